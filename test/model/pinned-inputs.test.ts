/**
 * Pinned inputs (`compileOnnx`'s `pinnedInputs`, `zkinfer compile --const-input`): an input that only
 * selects control flow (silero VAD's sample rate `sr`) becomes a constant, so its If folds; the
 * compiled model no longer has it and records its value, and an input file that gives it must
 * give that value. Without the pin, the If's refusal names the input and the flag.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildModel, ftensor, itensor, node, rand } from './onnx-builder.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { runQuantized } from '../../src/quantize/infer.js';
import { DT } from '../../src/model/onnx-proto.js';
import { parseConstFlag, parseInputJson } from '../../src/cli/inputs.js';
import { decodeZkm, encodeZkm } from '../../src/quantize/zkm.js';
import { cli } from '../cli/helpers.js';

const W1 = rand(12, 1, 0.5);
const W2 = rand(12, 2, 0.5);
const branch = (w: string) => ({ inputs: [], outputs: ['y'], nodes: [node('MatMul', ['x', w], ['y'])] });
/** y = x·W1 when sr = 16000, else x·W2; `sr` (int64 scalar) comes before `x` among the inputs. */
const model = buildModel({
  inputs: [
    { name: 'sr', dims: [], dtype: DT.INT64 },
    { name: 'x', dims: [1, 4] },
  ],
  outputs: ['y'],
  nodes: [
    node('Equal', ['sr', 'k16'], ['is16'], {}, 'eq'),
    node('If', ['is16'], ['y'], { then_branch: { graph: branch('W1') }, else_branch: { graph: branch('W2') } }, 'if_sr'),
  ],
  inits: [itensor('k16', [], [16000]), ftensor('W1', [4, 3], W1), ftensor('W2', [4, 3], W2)],
});
const x = Array.from(rand(4, 7, 0.9));
const matmul = (w: Float64Array) => [0, 1, 2].map((j) => x.reduce((s, v, i) => s + v * w[i * 3 + j], 0));

test('an If on a run-time input is refused, naming the input and --const-input', () => {
  assert.throws(() => compileOnnx(model, [{ x, sr: [16000] }]), /If node 'if_sr': its condition 'is16' is computed from the model input at run time.*depends on the input\(s\) 'sr': if it selects a fixed setting, pin it at compile time with --const-input sr=…/);
});

test('a pinned input folds its If: the model loses the input, records the value, takes the branch', () => {
  for (const [sr, w] of [[16000, W1], [8000, W2]] as const) {
    const r = compileOnnx(model, [{ x }], { pinnedInputs: { sr: [sr] } });
    assert.deepEqual(r.model.inputs.map((i) => i.name), ['x']);
    assert.deepEqual(r.model.pinned, [{ name: 'sr', index: 0, dims: [], values: [sr] }]);
    assert.equal(r.model.layers.filter((l) => l.op === 'If' || l.op === 'Equal').length, 0);
    const y = runQuantized(r.model, { x }).outputs[0].values;
    const want = matmul(w);
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(y[j] - want[j]) < 0.05, `sr=${sr}: y[${j}] = ${y[j]}, want ${want[j]}`);
    // the record survives the .zkm
    assert.deepEqual(decodeZkm(encodeZkm(r.model)).pinned, r.model.pinned);
  }
});

test('pins are checked against the model: name, count and type', () => {
  assert.throws(() => compileOnnx(model, [{ x }], { pinnedInputs: { rate: [16000] } }), /--const-input rate: the model has no input 'rate' \(its inputs are 'sr', 'x'\)/);
  assert.throws(() => compileOnnx(model, [{ x }], { pinnedInputs: { sr: [16000, 8000] } }), /--const-input sr: expected 1 value\(s\) for its shape \[\], got 2/);
  assert.throws(() => compileOnnx(model, [{ x }], { pinnedInputs: { sr: [16000.5] } }), /--const-input sr: the input has type int64, value 0 is 16000.5/);
  assert.deepEqual(parseConstFlag('sr=16000'), ['sr', [16000]]);
  assert.deepEqual(parseConstFlag('v=-1,0.5,2e3'), ['v', [-1, 0.5, 2000]]);
  for (const bad of ['sr', 'sr=', 'sr=1,,2', 'sr=abc', '=1']) assert.throws(() => parseConstFlag(bad), /--const-input: expected name=v1,v2/, bad);
});

test('an input file may give a pinned input only with its pinned value', () => {
  const pinned = [{ name: 'sr', index: 0, dims: [], values: [16000] }];
  const inputs = [{ name: 'x' }];
  const notes: string[] = [];
  assert.deepEqual(parseInputJson(JSON.stringify({ x, sr: 16000 }), inputs, 'in.json', pinned, notes), { x });
  assert.match(notes[0], /input 'sr' is pinned to 16000 in this model \(--const-input at compile time\); the file's value agrees/);
  assert.throws(() => parseInputJson(JSON.stringify({ x, sr: 8000 }), inputs, 'in.json', pinned), /in.json: input 'sr' was pinned to 16000 at compile time \(--const-input\), the file gives 8000; compile again with --const-input sr=… for another value/);
  // EZKL's input_data in the graph's order, pinned input included (sr first), or without it
  assert.deepEqual(parseInputJson(JSON.stringify({ input_data: [[16000], x] }), inputs, 'in.json', pinned), { x });
  assert.throws(() => parseInputJson(JSON.stringify({ input_data: [[8000], x] }), inputs, 'in.json', pinned), /pinned to 16000/);
  assert.deepEqual(parseInputJson(JSON.stringify({ input_data: [x] }), inputs, 'in.json', pinned), { x });
});

test('zkinfer compile --const-input; prove says an input is pinned and refuses another value', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkinfer-pin-'));
  const f = (n: string) => path.join(dir, n);
  fs.writeFileSync(f('m.onnx'), model);
  fs.writeFileSync(f('cal.json'), JSON.stringify({ x, sr: 16000 }));
  const refused = cli(['compile', f('m.onnx'), '--calibrate', f('cal.json'), '-o', f('m.zkm')]);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /pin it at compile time with --const-input sr=…/);
  const c = cli(['compile', f('m.onnx'), '--calibrate', f('cal.json'), '--const-input', 'sr=16000', '-o', f('m.zkm')]);
  assert.equal(c.code, 0, c.err);
  assert.match(c.out, /note: input 'sr' pinned to 16000 \(folded into the model; it is no longer an input\)/);
  assert.equal(cli(['commit', f('m.zkm'), '-o', f('m.zkc'), '--no-zk', '--quiet']).code, 0);
  fs.writeFileSync(f('same.json'), JSON.stringify({ x, sr: 16000 }));
  const ok = cli(['prove', f('m.zkc'), '--input', f('same.json'), '-o', f('a.zkr'), '--quiet']);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.err, /note: input 'sr' is pinned to 16000 in this model/);
  fs.writeFileSync(f('other.json'), JSON.stringify({ x, sr: 8000 }));
  const bad = cli(['prove', f('m.zkc'), '--input', f('other.json'), '-o', f('b.zkr'), '--quiet']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /input 'sr' was pinned to 16000 at compile time \(--const-input\), the file gives 8000/);
  assert.ok(!fs.existsSync(f('b.zkr')));
  fs.rmSync(dir, { recursive: true, force: true });
});
