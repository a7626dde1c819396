/**
 * Symbolic input dimensions (`src/model/input-shapes.ts`): a given shape is checked against the
 * model and used; one symbolic dimension is taken from the calibration data's length; several
 * that the data does not fix are an error naming them; a dimension set to 1 without evidence is
 * said, and named again by a later shape error. The CLI reads `--input-shape` and EZKL's
 * `input_shapes`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildModel, ftensor, itensor, node, rand } from './onnx-builder.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { parseShapeFlag } from '../../src/model/input-shapes.js';
import { inputShapesJson } from '../../src/cli/inputs.js';
import { decodeZkm } from '../../src/quantize/zkm.js';

const W = ftensor('W', [4, 3], rand(12, 1, 0.5));
/** y = x·W with x of shape [seq, 4] (`seq` symbolic). */
const seqModel = buildModel({ inputs: [{ name: 'x', dims: ['seq', 4] }], outputs: ['y'], nodes: [node('MatMul', ['x', 'W'], ['y'])], inits: [W] });
const data = (n: number) => ({ x: Array.from(rand(n, 7, 0.9)) });

test('one symbolic dimension is taken from the calibration data, and said so', () => {
  const r = compileOnnx(seqModel, [data(12)]);
  assert.deepEqual(r.model.inputs[0].dims, [3, 4]);
  assert.match(r.shapeNotes.join('\n'), /input 'x': symbolic dimension 'seq' \(axis 0\) = 3, from the calibration data's 12 values/);
  const one = compileOnnx(seqModel, [data(4)]);
  assert.deepEqual(one.model.inputs[0].dims, [1, 4]);
  assert.match(one.shapeNotes.join('\n'), /'seq' \(axis 0\) set to 1 \(the calibration data agrees\)/);
});

test('a given shape is checked against the model and used', () => {
  assert.deepEqual(compileOnnx(seqModel, [data(8)], { inputShapes: { x: [2, 4] } }).model.inputs[0].dims, [2, 4]);
  assert.throws(() => compileOnnx(seqModel, [data(10)], { inputShapes: { x: [2, 5] } }), /input 'x': axis 1 is fixed at 4 in the model \(\[seq,4\]\), the given shape says 5/);
  assert.throws(() => compileOnnx(seqModel, [data(4)], { inputShapes: { x: [4] } }), /rank 2 \(\[seq,4\]\), the given shape \[4\] rank 1/);
  assert.throws(() => compileOnnx(seqModel, [data(4)], { inputShapes: { image: [1, 4] } }), /input shape given for 'image', but the model's inputs are 'x'/);
  assert.throws(() => compileOnnx(seqModel, [data(12)], { inputShapes: { x: [2, 4] } }), /expected 8 values for shape \[2,4\], got 12/);
});

test('symbolic dimensions the data does not fix are an error naming them', () => {
  const two = buildModel({ inputs: [{ name: 'x', dims: ['batch', 'seq', 4] }], outputs: ['y'], nodes: [node('MatMul', ['x', 'W'], ['y'])], inits: [W] });
  assert.throws(() => compileOnnx(two, [data(8)]), /input 'x' has symbolic dimension\(s\) 'batch' \(axis 0\), 'seq' \(axis 1\) \(\[batch,seq,4\]\) and the calibration data has 8 values, which does not fix them: give the shape with --input-shape x=/);
  assert.deepEqual(compileOnnx(two, [data(8)], { inputShapes: { x: [1, 2, 4] } }).model.inputs[0].dims, [1, 2, 4]);
  assert.throws(() => compileOnnx(seqModel, [data(4), data(8)]), /the calibration samples have 4, 8 values/);
});

test('a shape error after a symbolic dimension was set to 1 names the dimension', () => {
  // Reshape to [2, 8] needs seq = 4: with seq set to 1 (no evidence) the error says which dimension needs a value
  const reshaped = buildModel({
    inputs: [{ name: 'x', dims: ['seq', 4] }],
    outputs: ['y'],
    nodes: [node('Reshape', ['x', 'shape'], ['y'])],
    inits: [itensor('shape', [2], [2, 8])],
  });
  assert.throws(() => compileOnnx(reshaped, [data(4)]), /symbolic dimensions of 'x' \[seq,4\] were set to 1; if the model needs other sizes, give them with --input-shape/);
  assert.deepEqual(compileOnnx(reshaped, [data(16)]).model.inputs[0].dims, [4, 4]);
});

test('--input-shape and EZKL input_shapes are parsed strictly', () => {
  assert.deepEqual(parseShapeFlag('x=1,3,48,320'), ['x', [1, 3, 48, 320]]);
  for (const bad of ['x', 'x=', 'x=1,,2', 'x=0,2', 'x=1.5', '=3']) assert.throws(() => parseShapeFlag(bad), /--input-shape/, bad);
  assert.deepEqual(inputShapesJson(JSON.stringify({ input_shapes: [[2, 4]], input_data: [[0]] }), [{ name: 'x' }]), { x: [2, 4] });
  assert.deepEqual(inputShapesJson(JSON.stringify({ input_data: [[0]] }), [{ name: 'x' }]), {});
  assert.throws(() => inputShapesJson(JSON.stringify({ input_shapes: [[2, -1]] }), [{ name: 'x' }]), /input_shapes must be a list of shapes/);
  // EZKL's own example files carry shapes beyond the model's inputs: ignored (each used one is checked by resolveInputShapes)
  assert.deepEqual(inputShapesJson(JSON.stringify({ input_shapes: [[1], [2]] }), [{ name: 'x' }]), { x: [1] });
});

test('zkinfer compile --input-shape and input_shapes', () => {
  const main = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkinfer-shapes-'));
  const f = (n: string) => path.join(dir, n);
  fs.writeFileSync(f('m.onnx'), seqModel);
  fs.writeFileSync(f('cal.json'), JSON.stringify({ input_data: [data(8).x] }));
  const run = (args: string[]) => spawnSync(process.execPath, [main, 'compile', f('m.onnx'), ...args], { encoding: 'utf8' });
  const flag = run(['--calibrate', f('cal.json'), '--input-shape', 'x=2,4', '-o', f('a.zkm')]);
  assert.equal(flag.status, 0, flag.stderr);
  assert.deepEqual(decodeZkm(fs.readFileSync(f('a.zkm'))).inputs[0].dims, [2, 4]);
  fs.writeFileSync(f('ezkl.json'), JSON.stringify({ input_shapes: [[2, 4]], input_data: [data(8).x] }));
  assert.equal(run(['--calibrate', f('ezkl.json'), '-o', f('b.zkm')]).status, 0);
  assert.deepEqual(decodeZkm(fs.readFileSync(f('b.zkm'))).inputs[0].dims, [2, 4]);
  const inferred = run(['--calibrate', f('cal.json'), '-o', f('c.zkm')]);
  assert.match(inferred.stdout, /note: input 'x': symbolic dimension 'seq' \(axis 0\) = 2/);
  const bad = run(['--calibrate', f('cal.json'), '--input-shape', 'x=2,5', '-o', f('d.zkm')]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /axis 1 is fixed at 4/);
  fs.rmSync(dir, { recursive: true, force: true });
});
