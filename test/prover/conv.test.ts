/**
 * Conv receipts (`src/ops/proofs/conv.ts`): honest receipts for strides 1 and 2, padding, dilation 2,
 * with and without bias, depthwise and grouped convolutions, a 1-D conv and a batch of 2; forged
 * witnesses (output ± 1, remainder compensated), a prover that uses other weights than the committed
 * ones, and a verifier whose wiring uses another stride, padding or dilation must all be rejected.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { floatTensor, node, type AttrValue, type ModelSpec } from '../../src/model/onnx-writer.js';
import type { ConvLayer, QuantizedModel } from '../../src/quantize/layers.js';
import { prove } from '../../src/prover/prove.js';
import { verifyReceipt } from '../../src/verifier/verify.js';
import { convProof } from '../../src/ops/proofs/conv.js';
import { limbName } from '../../src/circuit/circuit.js';
import { layoutOf, toField } from '../../src/circuit/layout.js';
import { bump, opHarness, type OpHarness, vec } from './harness.js';

const prod = (d: number[]): number => d.reduce((a, b) => a * b, 1);

interface ConvCase {
  x: number[];
  /** weight dims [Co, C/group, KH, KW] (or [Co, C/group, KW]) */
  w: number[];
  bias?: boolean;
  attrs: Record<string, AttrValue>;
  /** ops after the conv (its output is `c`) */
  after?: 'relu' | 'relu-avgpool';
}

function convSpec(k: ConvCase, seed: number): ModelSpec {
  const nodes = [node('Conv', ['x', 'w', ...(k.bias ? ['b'] : [])], ['c'], k.attrs)];
  let out = 'c';
  if (k.after) {
    nodes.push(node('Relu', ['c'], ['r']));
    out = 'r';
  }
  if (k.after === 'relu-avgpool') {
    nodes.push(node('AveragePool', ['r'], ['y'], { kernel_shape: [2, 2], strides: [2, 2] }));
    out = 'y';
  }
  const inits = [floatTensor('w', k.w, vec(prod(k.w), seed, 0.6))];
  if (k.bias) inits.push(floatTensor('b', [k.w[0]], vec(k.w[0], seed + 1, 0.4)));
  return { inputs: [{ name: 'x', dims: k.x }], outputs: [out], nodes, inits };
}

function harness(k: ConvCase, seed: number): OpHarness {
  const n = prod(k.x);
  return opHarness(convSpec(k, seed), [{ x: vec(n, seed + 2) }, { x: vec(n, seed + 3) }, { x: vec(n, seed + 4) }]);
}

function convLayer(m: QuantizedModel): ConvLayer {
  const L = m.layers.find((l) => l.kind === 'conv');
  assert.ok(L && L.kind === 'conv', 'the model has a conv layer');
  return L;
}

/** Output ± 1 and output + 1 with its remainder − 2^shift (range check), at a few positions. */
function assertOutputForgeries(h: OpHarness): void {
  const L = convLayer(h.model);
  const rem = h.tensors().find((t) => t.startsWith('c#rem'));
  const P = L.OH * L.OW;
  for (const i of [0, P + 1, L.Co * P - 1]) {
    h.assertForgedRejected(`conv output[${i}] + 1`, (v, ph) => ph === 'witness' && bump(v, 'c', i, 1));
    h.assertForgedRejected(`conv output[${i}] − 1`, (v, ph) => ph === 'witness' && bump(v, 'c', i, -1));
  }
  if (rem) {
    const i = P + 2;
    const s = L.shift[Math.floor(i / P) % L.Co];
    h.assertForgedRejected('conv output + 1, remainder compensated', (v, ph) => {
      if (ph !== 'witness') return;
      bump(v, 'c', i, 1);
      bump(v, rem, i, -(2 ** s));
    });
    h.assertForgedRejected('conv remainder + 1', (v, ph) => ph === 'witness' && bump(v, rem, 0, 1));
  }
}

/** Verifies an honest receipt with the conv verifier seeing a modified geometry: must reject. */
function assertWiringChangeRejected(h: OpHarness, receipt: Uint8Array, what: string, change: (L: ConvLayer) => ConvLayer): void {
  const orig = convProof.verify;
  convProof.verify = (L, plan, ctx) => orig(change(L), plan, ctx);
  try {
    const v = verifyReceipt(receipt, h.cm.modelId, h.input);
    assert.equal(v.ok, false, `a verifier with ${what} ACCEPTED the receipt — the wiring is not bound to the geometry`);
    assert.equal(v.ok ? '' : v.error.kind, 'ConvWiringMismatch', `a verifier with ${what} rejected for another reason`);
  } finally {
    convProof.verify = orig;
  }
  const v = verifyReceipt(receipt, h.cm.modelId, h.input);
  assert.ok(v.ok, 'the honest receipt verifies again with the real geometry');
}

test('Conv 3×3, stride 1, pad 1, bias → Relu → AveragePool: honest, forged outputs, wrong wiring', () => {
  const h = harness({ x: [1, 2, 6, 6], w: [3, 2, 3, 3], bias: true, attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, after: 'relu-avgpool' }, 10);
  const receipt = h.assertHonest();
  assertOutputForgeries(h);
  h.assertForgedRejected('relu input unchanged, conv output + 1 everywhere in one channel', (v, ph) => {
    if (ph !== 'witness') return;
    for (let i = 36; i < 72; i++) bump(v, 'c', i, 1);
  });
  assertWiringChangeRejected(h, receipt, 'stride 2', (L) => ({ ...L, sh: 2, sw: 2 }));
  assertWiringChangeRejected(h, receipt, 'stride 2 on the width only', (L) => ({ ...L, sw: 2 }));
  assertWiringChangeRejected(h, receipt, 'padding 0 on top', (L) => ({ ...L, pt: 0 }));
  assertWiringChangeRejected(h, receipt, 'dilation 2', (L) => ({ ...L, dh: 2 }));
});

test('Conv 3×3, stride 2, pad 1, no bias, odd image 7×5, 3 → 5 channels', () => {
  const h = harness({ x: [1, 3, 7, 5], w: [5, 3, 3, 3], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] }, after: 'relu' }, 20);
  const receipt = h.assertHonest();
  assertOutputForgeries(h);
  assertWiringChangeRejected(h, receipt, 'stride 1', (L) => ({ ...L, sh: 1, sw: 1 }));
  assertWiringChangeRejected(h, receipt, 'left padding 0', (L) => ({ ...L, pl: 0 }));
});

test('Conv 3×3, dilation 2, asymmetric stride and padding, bias', () => {
  const h = harness({ x: [1, 2, 9, 8], w: [4, 2, 3, 3], bias: true, attrs: { kernel_shape: [3, 3], dilations: [2, 2], pads: [2, 1, 0, 2], strides: [1, 2] }, after: 'relu' }, 30);
  const receipt = h.assertHonest();
  assertOutputForgeries(h);
  assertWiringChangeRejected(h, receipt, 'dilation 1', (L) => ({ ...L, dh: 1, dw: 1 }));
});

test('Conv 2×4 kernel, no padding, as the model output', () => {
  const h = harness({ x: [1, 3, 5, 6], w: [2, 3, 2, 4], bias: true, attrs: { kernel_shape: [2, 4] } }, 40);
  h.assertHonest();
  h.assertForgedRejected('conv remainder + 1', (v, ph) => ph === 'witness' && bump(v, h.tensors().find((t) => t.startsWith('c#rem'))!, 3, 1));
});

test('depthwise Conv (group = C = Co = 4), stride 2, pad 1', () => {
  const h = harness({ x: [1, 4, 6, 6], w: [4, 1, 3, 3], bias: true, attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2], group: 4 }, after: 'relu' }, 50);
  assert.equal(convLayer(h.model).group, 4);
  const receipt = h.assertHonest();
  assertOutputForgeries(h);
  assertWiringChangeRejected(h, receipt, 'stride 1', (L) => ({ ...L, sh: 1, sw: 1 }));
});

test('grouped Conv (C = 4, group = 2, Co = 6) and a depthwise channel multiplier (group = C = 3, Co = 6)', () => {
  const h = harness({ x: [1, 4, 5, 5], w: [6, 2, 3, 3], bias: true, attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 2 }, after: 'relu' }, 60);
  const receipt = h.assertHonest();
  assertOutputForgeries(h);
  assertWiringChangeRejected(h, receipt, 'padding 0', (L) => ({ ...L, pt: 0, pl: 0 }));
  const m = harness({ x: [1, 3, 4, 4], w: [6, 1, 2, 2], attrs: { kernel_shape: [2, 2], group: 3 }, after: 'relu' }, 61);
  m.assertHonest();
  assertOutputForgeries(m);
});

test('1×1 depthwise Conv (no kernel variables) and a 1×1 Conv', () => {
  harness({ x: [1, 4, 3, 3], w: [4, 1, 1, 1], bias: true, attrs: { kernel_shape: [1, 1], group: 4 }, after: 'relu' }, 70).assertHonest();
  const h = harness({ x: [1, 3, 4, 4], w: [5, 3, 1, 1], attrs: { kernel_shape: [1, 1] }, after: 'relu' }, 71);
  h.assertHonest();
  assertOutputForgeries(h);
});

test('1-D Conv (kernel 3, stride 2, pad 1)', () => {
  const h = harness({ x: [1, 3, 10], w: [4, 3, 3], bias: true, attrs: { kernel_shape: [3], pads: [1, 1], strides: [2] }, after: 'relu' }, 80);
  const receipt = h.assertHonest();
  assertOutputForgeries(h);
  assertWiringChangeRejected(h, receipt, 'stride 1', (L) => ({ ...L, sw: 1 }));
});

test('batch of 2', () => {
  const h = harness({ x: [2, 2, 5, 5], w: [3, 2, 3, 3], bias: true, attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, after: 'relu' }, 90);
  const receipt = h.assertHonest();
  const L = convLayer(h.model);
  const i = L.Co * L.OH * L.OW + 4; // second image
  h.assertForgedRejected('second image conv output + 1', (v, ph) => ph === 'witness' && bump(v, 'c', i, 1));
  assertWiringChangeRejected(h, receipt, 'stride 2', (L2) => ({ ...L2, sh: 2 }));
});

test('a prover that convolves with other weights than the committed ones is rejected', () => {
  const h = harness({ x: [1, 2, 5, 5], w: [3, 2, 3, 3], bias: true, attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, after: 'relu' }, 100);
  const L = convLayer(h.model);
  // transpose every 3×3 kernel (W[co, c, i, j] → W[co, c, j, i]), consistently in inference and proof
  const wT = new Int8Array(L.w.length);
  for (let k = 0; k < L.w.length; k += 9) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) wT[k + 3 * i + j] = L.w[k + 3 * j + i];
  assert.ok(wT.some((v, k) => v !== L.w[k]), 'the transposed kernel differs');
  const model: QuantizedModel = { ...h.model, layers: h.model.layers.map((l) => (l === L ? { ...L, w: wT } : l)) };
  const params = new Map(h.cm.params);
  params.set(`${L.name}/w`, wT);
  // the cheating prover also reads the weights it proves with from its (edited) copy of the
  // committed vector, while the commitment and its Merkle data stay the honest ones
  const seg = h.cm.circuit.params.segments.get(limbName(`${L.name}/w`, 0))!;
  const honestData = h.cm.paramData!;
  const values = honestData.values.slice();
  values.set(toField(layoutOf([L.Co, L.C / L.group, L.KH, L.KW]), wT), seg.offset);
  const forged = { ...h.cm, model, params, paramData: { ...honestData, values } };
  const { receipt } = prove(forged, h.input, { tamper: () => {} });
  const v = verifyReceipt(receipt, h.cm.modelId, h.input);
  assert.equal(v.ok, false, 'a receipt computed with transposed weights was ACCEPTED');
  assert.match(v.ok ? '' : v.error.message, /parameter opening/, 'rejected when the weight claim is opened against the commitment');
});
