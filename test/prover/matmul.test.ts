/**
 * Honest receipts and forged-witness rejection for MatMul of two activations: x·xᵀ (an operand that
 * is a public input), batched Q·Kᵀ from two Gemms, and broadcast operands (a 2-D right operand
 * shared by every batch, a 1-D right operand). Forgeries: the output ± 1, the output + 1 with the
 * remainder compensated, and outputs recomputed honestly from the wrong operands (batches swapped,
 * one operand entry changed), remainders included, so that only the product sumcheck can object.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { floatTensor, node } from '../../src/model/onnx-writer.js';
import type { MatMulLayer } from '../../src/quantize/layers.js';
import { bump, opHarness, type OpHarness, vec, rejectedBy, type Vals } from './harness.js';



function matmulLayer(h: OpHarness, out: string): MatMulLayer {
  const L = h.model.layers.find((l) => l.output === out);
  assert.ok(L && L.kind === 'matmul', `no MatMul-of-activations layer writes '${out}'`);
  return L;
}

/** Accumulators with the given operand values and batch offsets. */
function acc(L: MatMulLayer, a: ArrayLike<number>, b: ArrayLike<number>, bOff = L.bOff): number[] {
  const out: number[] = [];
  for (let t = 0; t < L.aOff.length; t++) {
    for (let m = 0; m < L.M; m++) {
      for (let n = 0; n < L.N; n++) {
        let s = 0;
        for (let k = 0; k < L.K; k++) s += a[L.aOff[t] + m * L.K + k] * b[bOff[t] + k * L.N + n];
        out.push(s);
      }
    }
  }
  return out;
}

/** Installs y = round-half-up(acc / 2^shift) and its remainders: an honest-looking requantisation. */
function installOutput(L: MatMulLayer, v: Vals, accs: number[]): void {
  const D = 2 ** L.shift;
  const y = Int32Array.from(accs, (x) => Math.floor((x + D / 2) / D));
  v.set(L.output, y);
  if (L.shift > 0) v.set(`${L.output}#rem0`, Int32Array.from(accs, (x, i) => x + D / 2 - D * y[i]));
}

test('MatMul x·xᵀ (left operand a public input): honest receipt; forged outputs rejected', () => {
  const h = opHarness(
    {
      inputs: [{ name: 'x', dims: [4, 8] }],
      outputs: ['y'],
      nodes: [node('Transpose', ['x'], ['xt'], { perm: [1, 0] }), node('MatMul', ['x', 'xt'], ['s']), node('Gemm', ['s', 'wh', 'bh'], ['y'], { transB: 1 })],
      inits: [floatTensor('wh', [3, 4], vec(12, 1, 0.5)), floatTensor('bh', [3], vec(3, 2, 0.2))],
    },
    [{ x: vec(32, 3) }, { x: vec(32, 4) }, { x: vec(32, 5) }],
  );
  h.assertHonest();
  const L = matmulLayer(h, 's');
  assert.ok(L.shift > 0, 'the product is rescaled');
  rejectedBy(h, 'output + 1', /MatMul_s/, (v) => bump(v, 's', 5, 1));
  rejectedBy(h, 'output − 1', /MatMul_s/, (v) => bump(v, 's', 0, -1));
  rejectedBy(h, 'output + 1, remainder compensated', /lookups/, (v) => {
    bump(v, 's', 2, 1);
    bump(v, 's#rem0', 2, -(2 ** L.shift));
  });
  rejectedBy(h, 'product with one operand entry changed, requantised honestly', /MatMul_s/, (v) => {
    const b = Int32Array.from(v.get('xt')!);
    b[3] += 5;
    installOutput(L, v, acc(L, v.get('x')!, b));
  });
});

test('MatMul Q·Kᵀ batched (two Gemms, Transpose): honest receipt; swapped batches rejected', () => {
  const h = opHarness(
    {
      inputs: [{ name: 'x', dims: [2, 3, 8] }],
      outputs: ['y'],
      nodes: [
        node('MatMul', ['x', 'wq'], ['q']),
        node('MatMul', ['x', 'wk'], ['k']),
        node('Transpose', ['k'], ['kt'], { perm: [0, 2, 1] }),
        node('MatMul', ['q', 'kt'], ['s']),
        node('MatMul', ['s', 'wo'], ['y']),
      ],
      inits: [floatTensor('wq', [8, 6], vec(48, 11, 0.5)), floatTensor('wk', [8, 6], vec(48, 12, 0.5)), floatTensor('wo', [3, 2], vec(6, 13, 0.5))],
    },
    [{ x: vec(48, 14) }, { x: vec(48, 15) }, { x: vec(48, 16) }],
  );
  h.assertHonest();
  const L = matmulLayer(h, 's');
  assert.equal(L.aOff.length, 2);
  rejectedBy(h, 'output + 1', /MatMul_s/, (v) => bump(v, 's', 7, 1));
  rejectedBy(h, 'output + 1, remainder compensated', /lookups/, (v) => {
    bump(v, 's', 4, 1);
    bump(v, 's#rem0', 4, -(2 ** L.shift));
  });
  rejectedBy(h, 'batches of the right operand swapped, requantised honestly', /MatMul_s/, (v) => {
    installOutput(L, v, acc(L, v.get('q')!, v.get('kt')!, Int32Array.from([L.bOff[1], L.bOff[0]])));
  });
});

test('MatMul with broadcast operands (2-D and 1-D right operands shared by every batch)', () => {
  const h = opHarness(
    {
      inputs: [
        { name: 'x', dims: [2, 3, 8] },
        { name: 'z', dims: [6, 5] },
        { name: 'u', dims: [6] },
      ],
      outputs: ['y'],
      nodes: [
        node('MatMul', ['x', 'wq'], ['q']),
        node('Relu', ['z'], ['rz']),
        node('MatMul', ['q', 'rz'], ['s']),
        node('Sigmoid', ['u'], ['su']),
        node('MatMul', ['q', 'su'], ['t']),
        node('Unsqueeze', ['t', 'ax'], ['tu']),
        node('Concat', ['s', 'tu'], ['c'], { axis: 2 }),
        node('MatMul', ['c', 'wo'], ['y']),
      ],
      inits: [floatTensor('wq', [8, 6], vec(48, 21, 0.5)), floatTensor('wo', [6, 2], vec(12, 22, 0.5)), { name: 'ax', dims: [1], dataType: 7, int64Data: [2] }],
    },
    [
      { x: vec(48, 23), z: vec(30, 24), u: vec(6, 25) },
      { x: vec(48, 26), z: vec(30, 27), u: vec(6, 28) },
    ],
  );
  h.assertHonest();
  const S = matmulLayer(h, 's');
  const T = matmulLayer(h, 't');
  assert.deepEqual(Array.from(S.bOff), [0, 0]);
  assert.equal(T.N, 1);
  rejectedBy(h, 'broadcast product + 1', /MatMul_s/, (v) => bump(v, 's', 9, 1));
  rejectedBy(h, '1-D product − 1', /MatMul_t/, (v) => bump(v, 't', 1, -1));
  rejectedBy(h, 'broadcast operand entry changed, requantised honestly', /MatMul_s/, (v) => {
    const b = Int32Array.from(v.get('rz')!);
    b[7] += 9;
    installOutput(S, v, acc(S, v.get('q')!, b));
  });
});
