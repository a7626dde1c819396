/**
 * MatMul (numpy semantics, batch broadcasting, 1-D operands promoted). With a constant 2-D B it is a
 * Gemm layer (int8 weights per output column); otherwise both operands are int8 activations (or a
 * per-tensor int8 constant) and acc = Σ_k a·b is requantised once: |acc| ≤ K·2^14 must stay < p/2,
 * i.e. K ≲ 61,440 (PROTOCOL-NOTES §7) — checked.
 */
import { broadcastIndex, broadcastShape, sizeOf, type Tensor } from '../model/tensor.js';
import { checkBound, expForMax, quantizeAt, requantBound } from '../quantize/lowering.js';
import { QHI, QLO } from './common.js';
import { emitGemm, matmul2d } from './Gemm.js';
import type { OpDef } from './op.js';
import { transpose2d } from './Transpose.js';

interface MMShape { M: number; K: number; N: number; aBatch: number[]; bBatch: number[]; outBatch: number[]; outDims: number[] }

function mmShape(ad: number[], bd: number[]): MMShape {
  const a = ad.length === 1 ? [1, ad[0]] : ad;
  const b = bd.length === 1 ? [bd[0], 1] : bd;
  const M = a[a.length - 2];
  const K = a[a.length - 1];
  const N = b[b.length - 1];
  if (b[b.length - 2] !== K) throw new Error(`inner dimensions differ: [${ad}] × [${bd}]`);
  const aBatch = a.slice(0, -2);
  const bBatch = b.slice(0, -2);
  const outBatch = broadcastShape(aBatch, bBatch);
  const outDims = [...outBatch];
  if (ad.length !== 1) outDims.push(M);
  if (bd.length !== 1) outDims.push(N);
  return { M, K, N, aBatch, bBatch, outBatch, outDims };
}

export const MatMul: OpDef = {
  float(_n, x) {
    const A = x[0]!;
    const B = x[1]!;
    const s = mmShape(A.dims, B.dims);
    const T = sizeOf(s.outBatch);
    const am = broadcastIndex(s.aBatch, s.outBatch);
    const bm = broadcastIndex(s.bBatch, s.outBatch);
    const out = new Float64Array(T * s.M * s.N);
    for (let t = 0; t < T; t++) {
      const a = A.data.subarray(am[t] * s.M * s.K, (am[t] + 1) * s.M * s.K);
      const b = B.data.subarray(bm[t] * s.K * s.N, (bm[t] + 1) * s.K * s.N);
      out.set(matmul2d(a, b, s.M, s.K, s.N), t * s.M * s.N);
    }
    return [{ dims: s.outDims, data: out, dtype: A.dtype }];
  },
  lower(q, n) {
    const [an, bn] = n.inputs;
    const out = n.outputs[0];
    if (q.isConst(bn) && q.constant(bn).dims.length === 2) {
      const B = q.constant(bn);
      const [K, N] = B.dims;
      emitGemm(q, n, an, transpose2d(B.data, K, N), N, K, null, out);
      return;
    }
    const opnd = (name: string): { name: string; exp: number; dims: number[] } => {
      if (!q.isConst(name)) return q.act(name);
      const c: Tensor = q.constant(name);
      const e = expForMax(c.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0), 1);
      return { name: q.addConst(name, { dims: c.dims, exp: e, data: quantizeAt(c.data, e) }), exp: e, dims: c.dims };
    };
    const a = opnd(an);
    const b = opnd(bn);
    const s = mmShape(a.dims, b.dims);
    const fy = q.expOf(out);
    const shift = a.exp + b.exp - fy;
    if (shift < 0) throw new Error(`output scale finer than the product scale (shift ${shift}) is not supported`);
    const bound = requantBound(s.K * 128 * 128, 2 ** shift);
    checkBound(bound, n, `the accumulator requantisation (K = ${s.K})`);
    const am = broadcastIndex(s.aBatch, s.outBatch);
    const bm = broadcastIndex(s.bBatch, s.outBatch);
    q.emit(
      {
        kind: 'matmul', name: n.name, op: n.opType, inputs: [a.name, b.name], output: out, bound, M: s.M, K: s.K, N: s.N,
        aOff: am.map((v) => v * s.M * s.K), bOff: bm.map((v) => v * s.K * s.N), shift,
      },
      { dims: s.outDims, exp: fy, lo: QLO, hi: QHI },
    );
  },
};
