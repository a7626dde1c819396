/**
 * BatchNormalization (inference): y = (x − mean)·γ/√(var + ε) + β per channel. After a Conv/Gemm it
 * is folded into the weights at import (model/passes.ts); otherwise it lowers to a per-channel
 * product with an int8 constant and a weighted sum with a wide constant (two requantisations).
 */
import { broadcastIndex, type Tensor } from '../model/tensor.js';
import { attrFloat, attrInt, type OpDef } from './op.js';
import { lowerMul, lowerSum } from './binary.js';

export function bnAffine(n: { attrs: Record<string, unknown> }, x: (Tensor | undefined)[]): { a: Float64Array; b: Float64Array } {
  const [, s, bias, mean, v] = x;
  const eps = typeof n.attrs.epsilon === 'number' ? n.attrs.epsilon : 1e-5;
  const C = s!.data.length;
  const a = new Float64Array(C);
  const b = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    a[c] = s!.data[c] / Math.sqrt(v!.data[c] + eps);
    b[c] = bias!.data[c] - mean!.data[c] * a[c];
  }
  return { a, b };
}

export const BatchNormalization: OpDef = {
  params: [1, 2, 3, 4],
  float(n, x) {
    if (attrInt(n, 'training_mode', 0) === 1) throw new Error('training_mode = 1 is not supported');
    void attrFloat;
    const X = x[0]!;
    const { a, b } = bnAffine(n, x);
    const cd = X.dims.map((d, i) => (i === 1 ? d : 1));
    const map = broadcastIndex(cd, X.dims);
    const out = new Float64Array(X.data.length);
    for (let i = 0; i < out.length; i++) out[i] = X.data[i] * a[map[i]] + b[map[i]];
    return [{ dims: X.dims, data: out, dtype: X.dtype }];
  },
  lower(q, n) {
    // Decomposed by model/passes.ts before calibration; reaching here means the pass was skipped.
    void lowerMul; void lowerSum;
    throw new Error(`BatchNormalization '${n.name}' should have been decomposed at import`);
  },
};
