import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileOnnx } from '../../src/quantize/compile.js';
import { runQuantized } from '../../src/quantize/infer.js';
import { ModelError } from '../../src/model/errors.js';
import { requantBound, expForMax } from '../../src/quantize/lowering.js';
import { P } from '../../src/quantize/layers.js';
import { gemmKernel } from '../../src/ops/kernels/linear.js';
import { buildModel, cnn, ftensor, mlp, node, rand } from '../model/onnx-builder.js';

const sample = (n: number, seed: number) => ({ x: Array.from(rand(n, seed)) });

test('MLP: integer output within 5% relative L2 of the float reference, argmax agrees', () => {
  const { model, report } = compileOnnx(mlp(64, 32, 10), [sample(64, 5), sample(64, 6)]);
  assert.equal(report.length, 1);
  assert.ok(report[0].relL2 < 0.05, `relL2 ${report[0].relL2}`);
  assert.notEqual(report[0].argmaxAgree, false);
  assert.deepEqual(model.layers.map((l) => l.kind), ['gemm', 'table', 'gemm']);
});

test('CNN: conv/pool/GAP/gemm within 5%', () => {
  const { report } = compileOnnx(cnn(), [sample(3 * 16 * 16, 9)]);
  assert.ok(report[0].relL2 < 0.05, `relL2 ${report[0].relL2}`);
});

test('integer inference is deterministic and bit-exact across runs', () => {
  const { model } = compileOnnx(mlp(16, 8, 4, true), [sample(16, 1)]);
  const a = runQuantized(model, sample(16, 1), { trace: true });
  const b = runQuantized(model, sample(16, 1), { trace: true });
  for (const [k, v] of a.trace) assert.deepEqual([...v], [...b.trace.get(k)!], k);
});

test('requantisation rounds half up: acc + 2^(s−1) = 2^s·q + rem', () => {
  const L = { kind: 'gemm' as const, name: 'g', op: 'Gemm', inputs: ['x'], output: 'y', bound: 0, K: 1, N: 1, w: Int8Array.of(1), bias: null, shift: Int32Array.of(2) };
  const xs = [-6, -5, -3, -2, -1, 0, 1, 2, 3, 5, 6];
  const out = new Int32Array(1);
  for (const x of xs) {
    gemmKernel(L, Int32Array.of(x), out);
    const q = out[0];
    const rem = x + 2 - 4 * q;
    assert.ok(rem >= 0 && rem < 4, `x=${x} q=${q} rem=${rem}`);
  }
});

test('no-wrap bound matches PROTOCOL-NOTES §7 worked example and refuses a matmul whose K can wrap', () => {
  // K = 4096, |b| ≤ 2^20, s = 12: |lhs| ≤ 2^26 + 2^20 + 2^11, Q = 2^15, |rhs| ≤ 2^27 + 2^12 − 1 (we bound rem by 2^s)
  const b = requantBound(2 ** 26 + 2 ** 20, 2 ** 12);
  assert.ok(b >= 202381311 && b < 202381311 + 2 ** 13, String(b));
  assert.ok(requantBound(40960 * 2 ** 14, 2 ** 16) < P); // ≈ 40,960 once Q is a power of two (§7)
  // activation × activation MatMul with K = 70,000: |acc| ≤ K·2^14 > p/2 → refused with the layer name
  const K = 70000;
  const bytes = buildModel({ inputs: [{ name: 'a', dims: [1, K] }, { name: 'b', dims: [K, 1] }], outputs: ['y'], nodes: [node('MatMul', ['a', 'b'], ['y'], {}, 'bigdot')] });
  assert.throws(
    () => compileOnnx(bytes, [{ a: Array.from(rand(K, 1)), b: Array.from(rand(K, 2)) }]),
    (e: unknown) => e instanceof ModelError && e.kind === 'WrapAround' && /'bigdot'/.test(e.message) && /wrap/.test(e.message),
  );
});

test('exponent choice leaves headroom: max·margin·2^e ≤ 127 < max·margin·2^(e+1)', () => {
  for (const m of [0.01, 0.7, 1, 3.3, 100]) {
    const e = expForMax(m, 1.25);
    assert.ok(m * 1.25 * 2 ** e <= 127 && m * 1.25 * 2 ** (e + 1) > 127);
  }
});

test('run-time input errors: wrong size, NaN, out of calibrated range (strict) name the input', () => {
  const { model } = compileOnnx(mlp(8, 4, 3), [sample(8, 3)]);
  assert.throws(() => runQuantized(model, { x: [1, 2] }), (e: unknown) => e instanceof ModelError && e.kind === 'BadInput' && /expected 8 values/.test(e.message));
  assert.throws(() => runQuantized(model, { x: [NaN, 0, 0, 0, 0, 0, 0, 0] }), (e: unknown) => e instanceof ModelError && e.kind === 'BadInput');
  assert.throws(() => runQuantized(model, { x: [1000, 0, 0, 0, 0, 0, 0, 0] }), (e: unknown) => e instanceof ModelError && e.kind === 'OutOfRange' && /'x'/.test(e.message));
  // non-strict clamps instead
  runQuantized(model, { x: [1000, 0, 0, 0, 0, 0, 0, 0] }, { strict: false });
});

test('an intermediate value outside its calibrated range is an error naming the layer', () => {
  // calibrate on a tiny input, then run a larger one that still fits the input scale but overflows fc1
  const bytes = buildModel({
    inputs: [{ name: 'x', dims: [1, 4] }],
    outputs: ['y'],
    nodes: [node('Gemm', ['x', 'w', 'b'], ['y'], { transB: 1 }, 'fc1')],
    inits: [ftensor('w', [1, 4], [1, 1, 1, 1]), ftensor('b', [1], [0])],
  });
  const { model } = compileOnnx(bytes, [{ x: [0.9, -0.9, 0.9, -0.9] }]);
  assert.throws(() => runQuantized(model, { x: [0.9, 0.9, 0.9, 0.9] }), (e: unknown) => e instanceof ModelError && e.kind === 'OutOfRange' && /'fc1'/.test(e.message));
});
