/**
 * Softmax over long rows — an OCR recognizer's 6,625 characters and GPT-2's 50,257-token
 * vocabulary — where the unsplit division relation would wrap mod p: the split relation of
 * `ops/proofs/softmax.ts` (S = Sl + T·Sh, a carry between the halves) compiles, proves and
 * verifies in clear and zero-knowledge receipts, rejects forged halves, carries and outputs, and
 * stays within tolerance of the float softmax on an input it was not calibrated on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { node } from '../../src/model/onnx-writer.js';
import { runQuantized } from '../../src/quantize/infer.js';
import { compare } from '../../src/quantize/compile.js';
import { softmaxDivision } from '../../src/ops/proofs/softmax.js';
import { P } from '../../src/quantize/layers.js';
import { bump, opHarness, vec } from './harness.js';

const w = (ph: string) => ph === 'witness';

function floatSoftmax(x: number[]): number[] {
  const mx = Math.max(...x);
  const e = x.map((v) => Math.exp(v - mx));
  const S = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / S);
}

for (const [n, scale] of [[6625, 6], [50257, 8]] as const) {
  test(`Softmax over ${n} entries: the split division proves, forgeries are rejected, output within tolerance`, (t) => {
    const h = opHarness(
      { inputs: [{ name: 'x', dims: [1, n] }], outputs: ['y'], nodes: [node('Softmax', ['x'], ['s']), node('Flatten', ['s'], ['y'])] },
      [{ x: vec(n, 61, scale) }],
    );
    const L = h.model.layers.find((l) => l.kind === 'softmax')!;
    assert.ok(L.kind === 'softmax');
    // the unsplit relation would wrap at these n: the split one is what is proven
    const eMax = Math.max(...L.expTable);
    assert.ok(!(2 ** (L.outExp + 1) * eMax + 2 * n * eMax * 129 < P), 'the unsplit division fits p: this test would not exercise the split');
    assert.ok(softmaxDivision(n, eMax, L.outExp, { lo: -128, hi: 127 }).split !== null);
    assert.ok(h.tensors().includes('s#carry') && h.tensors().includes('s#sumlo') && h.tensors().includes('s#sumhi'));
    h.assertHonest();

    const T = 2 ** softmaxDivision(n, eMax, L.outExp, { lo: -128, hi: 127 }).split!.t;
    h.assertForgedRejected('output + 1', (v, ph) => w(ph) && bump(v, 's', 0, 1));
    h.assertForgedRejected('carry + 1', (v, ph) => w(ph) && bump(v, 's#carry', 3, 1));
    h.assertForgedRejected('carry + 1, high remainder limb compensated', (v, ph) => {
      if (!w(ph)) return;
      bump(v, 's#carry', 3, 1);
      bump(v, 's#rem1', 3, 1);
    });
    h.assertForgedRejected('low half + T, high half − 1 (same S, low half out of range)', (v, ph) => {
      if (!w(ph)) return;
      bump(v, 's#sumlo', 0, T);
      bump(v, 's#sumhi', 0, -1);
    });
    h.assertForgedRejected('low half + 1', (v, ph) => w(ph) && bump(v, 's#sumlo', 0, 1));
    h.assertForgedRejected('high half + 1', (v, ph) => w(ph) && bump(v, 's#sumhi', 0, 1));
    h.assertForgedRejected('row sum + 1', (v, ph) => w(ph) && bump(v, 's#sum', 0, 1));

    // accuracy on an input of the same kind it was not calibrated on
    const x2 = vec(n, 62, scale * 0.9);
    const run = runQuantized(h.model, { x: Float64Array.from(x2) }, { strict: true });
    const o = run.outputs[0];
    const r = compare(floatSoftmax(x2), o.values, 2 ** -o.exp);
    // (no argmax check: thousands of uniform logits tie at the top int8 input step)
    assert.ok(r.relL2 < 0.05, `rel. L2 ${r.relL2} vs the float softmax`);
    t.diagnostic(`n = ${n}: exp table 2^${Math.log2(eMax)}, output 2^-${o.exp}, rel. L2 ${r.relL2.toExponential(2)}, max abs ${r.maxAbs.toExponential(2)} vs the float softmax`);
  });
}
