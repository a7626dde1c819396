/**
 * Gemm: Y = α·op(A)·op(B) + β·C. Integer semantics (constant B): W = α·op(B)ᵀ quantized int8 per
 * output column (exponent fw[n]), bias β·C at exponent fx + fw[n];
 *   acc[r,n] = Σ_k x[r,k]·W[n,k] + bias[n],  q = round(acc / 2^(fx + fw[n] − fy)),  y = clamp(q).
 * No-wrap: |acc| ≤ 128·Σ_k|W[n,k]| + |bias[n]|, checked per column against p (PROTOCOL-NOTES §7);
 * fw[n] ≤ fy − fx + SHIFT_MAX, so a near-zero column cannot make the divisor overflow p, and
 * |bias[n]| ≤ BIAS_MAX at its scale (three digits: the circuit bounds a parameter by its digits;
 * `quantize/lowering.ts` linearRowCaps).
 */
import type { Node } from '../model/graph.js';
import { broadcastIndex, sizeOf, type Tensor } from '../model/tensor.js';
import { checkBound, linearRowCaps, quantizeRows, requantBound, roundHalfUp, type Lowering } from '../quantize/lowering.js';
import { QHI, QLO } from './common.js';
import { attrFloat, attrInt, type OpDef } from './op.js';
import { transpose2d } from './Transpose.js';

export function matmul2d(a: Float64Array, b: Float64Array, M: number, K: number, N: number): Float64Array {
  const y = new Float64Array(M * N);
  for (let m = 0; m < M; m++)
    for (let k = 0; k < K; k++) {
      const av = a[m * K + k];
      if (av === 0) continue;
      for (let n = 0; n < N; n++) y[m * N + n] += av * b[k * N + n];
    }
  return y;
}

/**
 * Emit a gemm layer for activation x [rows, K] and float weights Wt [N, K] (row n = output n) with
 * optional float bias of length N or rows·N.
 */
export function emitGemm(q: Lowering, n: Node, xName: string, Wt: Float64Array, N: number, K: number, bias: Float64Array | null, out: string): void {
  const x = q.act(xName);
  const fy = q.expOf(out);
  const biasMax = (c: number) => {
    let m = 0;
    if (bias) for (let i = c; i < bias.length; i += N) m = Math.max(m, Math.abs(bias[i]));
    return m;
  };
  const { q: w, exps } = quantizeRows(Wt, N, K, linearRowCaps(N, x.exp, fy, biasMax));
  const shift = new Int32Array(N);
  let bq: Float64Array | null = null;
  if (bias) bq = new Float64Array(bias.length);
  let bound = 0;
  const xm = Math.max(-x.lo, x.hi);
  for (let c = 0; c < N; c++) {
    const fa = x.exp + exps[c];
    shift[c] = fa - fy;
    let bmax = 0;
    if (bias && bq) {
      for (let i = c; i < bias.length; i += N) {
        bq[i] = roundHalfUp(bias[i] * 2 ** fa);
        bmax = Math.max(bmax, Math.abs(bq[i]));
      }
    }
    let wsum = 0;
    for (let k = 0; k < K; k++) wsum += Math.abs(w[c * K + k]);
    const accMax = xm * wsum + bmax;
    bound = Math.max(bound, requantBound(accMax, 2 ** shift[c]));
  }
  checkBound(bound, n, `the accumulator requantisation (K = ${K})`);
  q.emit(
    { kind: 'gemm', name: n.name, op: n.opType, inputs: [xName], output: out, bound, K, N, w, bias: bq, shift },
    { dims: q.dims(out), exp: fy, lo: QLO, hi: QHI },
  );
}

export const Gemm: OpDef = {
  params: [1, 2],
  float(n, x) {
    const [A, B, C] = x;
    const ta = attrInt(n, 'transA', 0);
    const tb = attrInt(n, 'transB', 0);
    const alpha = attrFloat(n, 'alpha', 1);
    const beta = attrFloat(n, 'beta', 1);
    const a = A!;
    const b = B!;
    const M = ta ? a.dims[1] : a.dims[0];
    const K = ta ? a.dims[0] : a.dims[1];
    const N = tb ? b.dims[0] : b.dims[1];
    const ad = ta ? transpose2d(a.data, a.dims[0], a.dims[1]) : a.data;
    const bd = tb ? transpose2d(b.data, b.dims[0], b.dims[1]) : b.data;
    const y = matmul2d(ad, bd, M, K, N);
    for (let i = 0; i < y.length; i++) y[i] *= alpha;
    if (C) {
      const map = broadcastIndex(C.dims, [M, N]);
      for (let i = 0; i < y.length; i++) y[i] += beta * C.data[map[i]];
    }
    return [{ dims: [M, N], data: y, dtype: a.dtype }];
  },
  lower(q, n) {
    if (!q.isConst(n.inputs[1])) throw new Error('Gemm with a non-constant B is not supported');
    const b = q.constant(n.inputs[1]);
    const tb = attrInt(n, 'transB', 0);
    const alpha = attrFloat(n, 'alpha', 1);
    const beta = attrFloat(n, 'beta', 1);
    const K = tb ? b.dims[1] : b.dims[0];
    const N = tb ? b.dims[0] : b.dims[1];
    const Wt = tb ? b.data.slice() : transpose2d(b.data, b.dims[0], b.dims[1]);
    for (let i = 0; i < Wt.length; i++) Wt[i] *= alpha;
    let xName = n.inputs[0];
    const xa = q.act(xName);
    const M = attrInt(n, 'transA', 0) ? xa.dims[1] : xa.dims[0];
    if (attrInt(n, 'transA', 0)) xName = q.transposed2d(xName, n);
    let bias: Float64Array | null = null;
    const cName = n.inputs[2];
    if (cName) {
      const C: Tensor = q.constant(cName);
      const map = broadcastIndex(C.dims, [M, N]);
      const perColumn = sizeOf(C.dims) <= N && (C.dims.length < 2 || C.dims[C.dims.length - 2] === 1);
      bias = new Float64Array(perColumn ? N : M * N);
      for (let i = 0; i < bias.length; i++) bias[i] = beta * C.data[map[i]];
    }
    emitGemm(q, n, xName, Wt, N, K, bias, n.outputs[0]);
  },
};
