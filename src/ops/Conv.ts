/**
 * Conv (1-D and 2-D, NCHW; groups, strides, pads, dilations, auto_pad). Integer semantics through
 * im2col: acc[b,co,p] = Σ_{ci,i,j} W[co,ci,i,j]·X[b, g·Cg+ci, y·sh+i·dh−pt, x·sw+j·dw−pl] + bias[co]
 * (0 outside the image), int8 weights per output channel, q = round(acc / 2^(fx + fw[co] − fy)).
 * No-wrap: |acc| ≤ 128·Σ|W[co]| + |bias[co]| per channel (PROTOCOL-NOTES §4, §7); fw[co] ≤
 * fy − fx + SHIFT_MAX, so a near-zero channel cannot make the divisor overflow p, and |bias[co]| ≤
 * BIAS_MAX at its scale (three digits: the circuit bounds a parameter by its digits; `quantize/lowering.ts`
 * linearRowCaps).
 */
import type { Node } from '../model/graph.js';
import type { Tensor } from '../model/tensor.js';
import { checkBound, linearRowCaps, quantizeRows, requantBound, roundHalfUp, type Lowering } from '../quantize/lowering.js';
import { QHI, QLO } from './common.js';
import { attrInt, attrInts, attrStr, type OpDef } from './op.js';

export interface ConvGeom {
  N: number; C: number; H: number; W: number; Co: number; KH: number; KW: number; OH: number; OW: number;
  sh: number; sw: number; pt: number; pl: number; dh: number; dw: number; group: number; rank: number;
}

/** Output size and begin padding of one spatial axis, per ONNX auto_pad rules. */
export function padAxis(inp: number, k: number, s: number, d: number, pads: [number, number], autoPad: string, ceil = false): { out: number; pb: number; pe: number } {
  const ek = (k - 1) * d + 1;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const out = Math.ceil(inp / s);
    const total = Math.max(0, (out - 1) * s + ek - inp);
    const small = Math.floor(total / 2);
    const pb = autoPad === 'SAME_UPPER' ? small : total - small;
    return { out, pb, pe: total - pb };
  }
  if (autoPad === 'VALID') return { out: Math.floor((inp - ek) / s) + 1, pb: 0, pe: 0 };
  const [pb, pe] = pads;
  const span = inp + pb + pe - ek;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= inp + pb) out--;
  return { out, pb, pe };
}

export function convGeom(n: Node, xd: number[], wd: number[]): ConvGeom {
  const rank = xd.length - 2;
  if (rank !== 1 && rank !== 2) throw new Error(`only 1-D and 2-D convolutions are supported, got ${rank}-D`);
  const group = attrInt(n, 'group', 1);
  const ks = attrInts(n, 'kernel_shape') ?? wd.slice(2);
  const st = attrInts(n, 'strides') ?? ks.map(() => 1);
  const di = attrInts(n, 'dilations') ?? ks.map(() => 1);
  const pads = attrInts(n, 'pads') ?? ks.map(() => 0).concat(ks.map(() => 0));
  const ap = attrStr(n, 'auto_pad', 'NOTSET');
  const [N, C] = xd;
  const H = rank === 2 ? xd[2] : 1;
  const W = xd[xd.length - 1];
  const KH = rank === 2 ? ks[0] : 1;
  const KW = ks[ks.length - 1];
  const ax = (i: number) => padAxis(xd[2 + i], ks[i], st[i], di[i], [pads[i], pads[i + rank]], ap);
  const hA = rank === 2 ? ax(0) : { out: 1, pb: 0, pe: 0 };
  const wA = ax(rank - 1);
  if (C !== wd[1] * group) throw new Error(`input channels ${C} ≠ weight channels ${wd[1]} × group ${group}`);
  return {
    N, C, H, W, Co: wd[0], KH, KW, OH: hA.out, OW: wA.out, rank,
    sh: rank === 2 ? st[0] : 1, sw: st[rank - 1], pt: hA.pb, pl: wA.pb, dh: rank === 2 ? di[0] : 1, dw: di[rank - 1], group,
  };
}

export function convFloat(g: ConvGeom, x: Float64Array, w: Float64Array, b: Float64Array | null): Float64Array {
  const { N, C, H, W, Co, KH, KW, OH, OW, sh, sw, pt, pl, dh, dw, group } = g;
  const Cg = C / group;
  const Cog = Co / group;
  const y = new Float64Array(N * Co * OH * OW);
  for (let bb = 0; bb < N; bb++)
    for (let co = 0; co < Co; co++) {
      const gi = Math.floor(co / Cog);
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let acc = b ? b[co] : 0;
          for (let ci = 0; ci < Cg; ci++) {
            const xc = (bb * C + gi * Cg + ci) * H * W;
            const wc = (co * Cg + ci) * KH * KW;
            for (let i = 0; i < KH; i++) {
              const ih = oh * sh + i * dh - pt;
              if (ih < 0 || ih >= H) continue;
              for (let j = 0; j < KW; j++) {
                const iw = ow * sw + j * dw - pl;
                if (iw < 0 || iw >= W) continue;
                acc += x[xc + ih * W + iw] * w[wc + i * KW + j];
              }
            }
          }
          y[((bb * Co + co) * OH + oh) * OW + ow] = acc;
        }
    }
  return y;
}

export const Conv: OpDef = {
  params: [1, 2],
  float(n, x) {
    const X = x[0]!;
    const Wt = x[1]!;
    const g = convGeom(n, X.dims, Wt.dims);
    const y = convFloat(g, X.data, Wt.data, x[2]?.data ?? null);
    const dims = g.rank === 2 ? [g.N, g.Co, g.OH, g.OW] : [g.N, g.Co, g.OW];
    return [{ dims, data: y, dtype: X.dtype }];
  },
  lower(q, n) {
    const x = q.act(n.inputs[0]);
    const Wt: Tensor = q.constant(n.inputs[1]);
    const B = n.inputs[2] ? q.constant(n.inputs[2]) : undefined;
    emitConv(q, n, x.name, convGeom(n, x.dims, Wt.dims), Wt.data, B?.data ?? null, n.outputs[0]);
  },
};

/**
 * Emit a conv layer for activation `xName` with geometry g and float weights Wt [Co, Cg·KH·KW]
 * (row co = output channel co) and optional float bias [Co].
 */
export function emitConv(q: Lowering, n: Node, xName: string, g: ConvGeom, Wt: Float64Array, B: Float64Array | null, out: string): void {
  const x = q.act(xName);
  const KK = (g.C / g.group) * g.KH * g.KW;
  const fy = q.expOf(out);
  const { q: w, exps } = quantizeRows(Wt, g.Co, KK, linearRowCaps(g.Co, x.exp, fy, (co) => (B ? Math.abs(B[co]) : 0)));
  const shift = new Int32Array(g.Co);
  const bias = B ? new Float64Array(g.Co) : null;
  let bound = 0;
  const xm = Math.max(-x.lo, x.hi);
  for (let co = 0; co < g.Co; co++) {
    const fa = x.exp + exps[co];
    shift[co] = fa - fy;
    if (bias && B) bias[co] = roundHalfUp(B[co] * 2 ** fa);
    let ws = 0;
    for (let k = 0; k < KK; k++) ws += Math.abs(w[co * KK + k]);
    bound = Math.max(bound, requantBound(xm * ws + (bias ? Math.abs(bias[co]) : 0), 2 ** shift[co]));
  }
  checkBound(bound, n, `the accumulator requantisation (fan-in ${KK})`);
  const { rank, N: _N, ...geom } = g;
  void rank; void _N;
  q.emit(
    { kind: 'conv', name: n.name, op: n.opType, inputs: [x.name], output: out, bound, ...geom, w, bias, shift },
    { dims: q.dims(out), exp: fy, lo: QLO, hi: QHI },
  );
}
