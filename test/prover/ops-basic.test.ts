/**
 * Honest receipts and forged-witness rejection for the basic layer proofs: Gemm (with its
 * requantisation), table lookups (Relu, Sigmoid), gathers (Transpose, Flatten, Pad), sums
 * (Add with broadcast), element-wise products (Mul) and average pooling (window sums).
 */
import { test } from 'node:test';
import { floatTensor, node } from '../../src/model/onnx-writer.js';
import { bump, opHarness, rejectedBy, vec } from './harness.js';


test('Gemm → Relu → Gemm: honest receipt verifies; forged witnesses are rejected', () => {
  const h = opHarness(
    {
      inputs: [{ name: 'x', dims: [1, 12] }],
      outputs: ['y'],
      nodes: [node('Gemm', ['x', 'w1', 'b1'], ['h'], { transB: 1 }), node('Relu', ['h'], ['r']), node('Gemm', ['r', 'w2', 'b2'], ['y'], { transB: 1 })],
      inits: [floatTensor('w1', [6, 12], vec(72, 1, 0.5)), floatTensor('b1', [6], vec(6, 2, 0.3)), floatTensor('w2', [3, 6], vec(18, 3, 0.5)), floatTensor('b2', [3], vec(3, 4, 0.3))],
    },
    [{ x: vec(12, 5) }, { x: vec(12, 6) }, { x: vec(12, 7) }],
  );
  h.assertHonest();
  const names = h.tensors();
  const rem = names.find((n) => n.startsWith('h#rem'))!;
  h.assertForgedRejected('gemm output + 1', (v, ph) => ph === 'witness' && bump(v, 'h', 2, 1));
  // output + 1 with the next layer recomputed from it: lookups and the requantisation (whose
  // accumulator is implied by output and remainder) pass, so the product sumcheck must reject
  rejectedBy(h, 'gemm output + 1 with relu recomputed', /Gemm_h\/matmul/, (v) => {
    const hv = Int32Array.from(v.get('h')!);
    const i = hv.findIndex((x) => x < 127);
    hv[i] += 1;
    v.set('h', hv);
    v.set('r', Int32Array.from(hv, (x) => Math.max(x, 0)));
  });
  h.assertForgedRejected('gemm output + 1, remainder compensated', (v, ph) => {
    if (ph !== 'witness') return;
    bump(v, 'h', 1, 1);
    const s = h.model.layers.find((l) => l.output === 'h' && l.kind === 'gemm');
    const D = s && s.kind === 'gemm' ? 2 ** s.shift[1] : 1;
    bump(v, rem, 1, -D);
  });
  h.assertForgedRejected('remainder + 1', (v, ph) => ph === 'witness' && bump(v, rem, 0, 1));
  h.assertForgedRejected('relu output − 1', (v, ph) => ph === 'witness' && bump(v, 'r', 0, -1));
  h.assertForgedRejected('multiplicity + 1', (v, ph) => ph === 'multiplicities' && bump(v, '#mult0', 3, 1));
  h.assertForgedRejected('final output + 1', (v, ph) => ph === 'witness' && bump(v, 'y', 0, 1));
});

test('Add with broadcast constant, Mul, Sigmoid, Transpose, Pad, AveragePool', () => {
  const h = opHarness(
    {
      inputs: [{ name: 'x', dims: [1, 2, 4, 4] }],
      outputs: ['y'],
      nodes: [
        node('Add', ['x', 'c'], ['a']),
        node('Mul', ['a', 'x'], ['m']),
        node('Sigmoid', ['m'], ['s']),
        node('Transpose', ['s'], ['t'], { perm: [0, 1, 3, 2] }),
        node('Pad', ['t', 'pads'], ['p']),
        node('AveragePool', ['p'], ['y'], { kernel_shape: [2, 2], strides: [2, 2] }),
      ],
      inits: [floatTensor('c', [2, 1, 1], [0.25, -0.5]), { name: 'pads', dims: [8], dataType: 7, int64Data: [0, 0, 1, 1, 0, 0, 1, 1] }],
    },
    [{ x: vec(32, 11) }, { x: vec(32, 12) }, { x: vec(32, 13) }],
  );
  h.assertHonest();
  h.assertForgedRejected('add output + 1', (v, ph) => ph === 'witness' && bump(v, 'a', 5, 1));
  h.assertForgedRejected('mul output − 1', (v, ph) => ph === 'witness' && bump(v, 'm', 3, -1));
  h.assertForgedRejected('sigmoid output + 1', (v, ph) => ph === 'witness' && bump(v, 's', 7, 1));
  h.assertForgedRejected('transpose output + 1', (v, ph) => ph === 'witness' && bump(v, 't', 4, 1));
  h.assertForgedRejected('pad output (a padded cell) + 1', (v, ph) => ph === 'witness' && bump(v, 'p', 0, 1));
});

test('a pure layout model (Reshape/Flatten only: no witness claims) proves and verifies', () => {
  const h = opHarness(
    {
      inputs: [{ name: 'x', dims: [1, 2, 3] }],
      outputs: ['y'],
      nodes: [node('Flatten', ['x'], ['y'])],
    },
    [{ x: vec(6, 21) }],
  );
  h.assertHonest();
});
