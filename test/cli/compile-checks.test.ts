/**
 * `zkinfer compile` on a model that does not hold on its calibration data warns on stderr,
 * naming the output and the error, and `--strict` then exits 1 without writing the .zkm; EZKL's
 * batch-less input_shapes are read as the CLI reads them; an out-of-range input's error suggests
 * `--saturate` only to `run`, which accepts it, not to `prove`, which does not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, committedTiny } from './helpers.js';
import { buildModel, itensor, mlp, node, rand } from '../model/onnx-builder.js';
import { inputShapesJson } from '../../src/cli/inputs.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zkinfer-compile-checks-'));
const f = (n: string) => path.join(tmp, n);

/** Softmax over rows of 4 without the Softmax op; logits near 10^4 are below int8 resolution. */
const softmax = buildModel({
  inputs: [{ name: 'x', dims: [2, 4] }],
  outputs: ['y'],
  nodes: [
    node('ReduceMax', ['x'], ['m'], { axes: [1], keepdims: 1 }),
    node('Sub', ['x', 'm'], ['d']),
    node('Exp', ['d'], ['e']),
    node('ReduceSum', ['e', 'ax'], ['s'], { keepdims: 1 }),
    node('Div', ['e', 's'], ['y']),
  ],
  inits: [itensor('ax', [1], [1])],
});

test('compile warns, naming the output and its error, when outside tolerance on the calibration data; --strict exits 1', () => {
  fs.writeFileSync(f('sm.onnx'), softmax);
  fs.writeFileSync(f('large.json'), JSON.stringify({ x: [1, 2, 3, 4, 10000, 10001, 10002, 10003] }));
  fs.writeFileSync(f('plain.json'), JSON.stringify({ x: [1, 2, 3, 4, 0.5, -1, 2, 1] }));
  const warned = cli(['compile', f('sm.onnx'), '--calibrate', f('large.json'), '-o', f('warned.zkm')]);
  assert.equal(warned.code, 0, warned.err);
  assert.match(warned.err, /^warning: output 'y' is outside tolerance on the calibration input: rel\. L2 [0-9.e+-]+ \(tolerance 5e-2\)/m);
  assert.ok(fs.existsSync(f('warned.zkm')));
  const strict = cli(['compile', f('sm.onnx'), '--calibrate', f('large.json'), '-o', f('strict.zkm'), '--strict']);
  assert.equal(strict.code, 1);
  assert.match(strict.err, /warning: output 'y' is outside tolerance/);
  assert.match(strict.err, /--strict: the integer model does not hold on its calibration data/);
  assert.ok(!fs.existsSync(f('strict.zkm')), '--strict writes no model');
  const fine = cli(['compile', f('sm.onnx'), '--calibrate', f('plain.json'), '-o', f('fine.zkm'), '--strict']);
  assert.equal(fine.code, 0, fine.err);
  assert.doesNotMatch(fine.err, /warning/);
  assert.match(cli(['compile', '--help']).out, /--strict/);
});

test("EZKL input_shapes: batch-less shapes get batch 1, shapes beyond the model's inputs are ignored; the CLI compiles such a file", () => {
  const inputs = [{ name: 'x', dims: [1, 8], symbolicAxes: [{ axis: 0 }] }];
  assert.deepEqual(inputShapesJson(JSON.stringify({ input_shapes: [[8], [8], [8]] }), inputs), { x: [1, 8] });
  assert.deepEqual(inputShapesJson(JSON.stringify({ input_shapes: [[1, 8]] }), inputs), { x: [1, 8] });
  // a rank-1 input keeps its shape (nothing to read as a batch)
  assert.deepEqual(inputShapesJson(JSON.stringify({ input_shapes: [[4]] }), [{ name: 'v', dims: [4], symbolicAxes: [] }]), { v: [4] });
  fs.writeFileSync(f('mlp.onnx'), mlp(8, 6, 3));
  fs.writeFileSync(f('ezkl.json'), JSON.stringify({ input_shapes: [[8], [3]], input_data: [Array.from(rand(8, 3))] }));
  const c = cli(['compile', f('mlp.onnx'), '--calibrate', f('ezkl.json'), '-o', f('mlp.zkm')]);
  assert.equal(c.code, 0, c.err);
});

test('an out-of-range input: run suggests --saturate (it accepts it), prove does not', () => {
  const t = committedTiny('zkinfer-saturate-');
  const input = t.g.inputs[0] as Record<string, number[]>;
  const big = Object.fromEntries(Object.entries(input).map(([k, v]) => [k, v.map((x) => x * 1000 + 1000)]));
  fs.writeFileSync(t.f('big.json'), JSON.stringify(big));
  const r = cli(['run', t.f('m.zkm'), '--input', t.f('big.json')]);
  assert.equal(r.code, 1);
  assert.match(r.err, /outside the calibrated range.*--saturate/);
  assert.equal(cli(['run', t.f('m.zkm'), '--input', t.f('big.json'), '--saturate']).code, 0);
  const p = cli(['prove', t.f('m.zkc'), '--input', t.f('big.json'), '-o', t.f('big.zkr'), '--quiet']);
  assert.equal(p.code, 1);
  assert.match(p.err, /outside the calibrated range/);
  assert.doesNotMatch(p.err, /--saturate/);
});
