/**
 * ConvTranspose (1-D and 2-D, NCHW; groups, strides, pads, output_padding, output_shape, dilations,
 * auto_pad). Float semantics, per spatial axis: y[o] += x[i]·W[ci, co, k] for o = i·s + k·d − pb.
 * Integer semantics without a new relation: a transposed convolution is a stride-1 convolution of
 * the zero-upsampled input with the spatially flipped kernel,
 *   U[u] = x[(u − (ek − 1 − pb)) / s] when that is an integer index in range, else 0 (ek = (k−1)·d + 1),
 *   y[o] = Σ_k U[o + k·d]·W'[k],  W'[co, ci, k] = W[ci, co, K − 1 − k]  (per group),
 * so it lowers to a gather layer (the copy relation, fill 0) feeding an ordinary conv layer; both
 * are exact, and the conv layer carries the usual no-wrap bound.
 */
import type { Node } from '../model/graph.js';
import { sizeOf } from '../model/tensor.js';
import { emitConv, type ConvGeom } from './Conv.js';
import { attrInt, attrInts, attrStr, type OpDef } from './op.js';

interface TGeom {
  N: number; C: number; Co: number; group: number; rank: number;
  /** per spatial axis (2 entries; H first, H = 1 for 1-D) */
  inp: number[]; k: number[]; s: number[]; d: number[]; pb: number[]; out: number[];
}

function tgeom(n: Node, xd: number[], wd: number[]): TGeom {
  const rank = xd.length - 2;
  if (rank !== 1 && rank !== 2) throw new Error(`only 1-D and 2-D ConvTranspose is supported, got ${rank}-D`);
  const group = attrInt(n, 'group', 1);
  const [N, C] = xd;
  if (wd[0] !== C) throw new Error(`weight has ${wd[0]} input channels, input has ${C}`);
  const ks = attrInts(n, 'kernel_shape') ?? wd.slice(2);
  const st = attrInts(n, 'strides') ?? ks.map(() => 1);
  const di = attrInts(n, 'dilations') ?? ks.map(() => 1);
  const op = attrInts(n, 'output_padding') ?? ks.map(() => 0);
  const pads = attrInts(n, 'pads') ?? ks.map(() => 0).concat(ks.map(() => 0));
  const shape = attrInts(n, 'output_shape');
  const ap = attrStr(n, 'auto_pad', 'NOTSET');
  const inp = xd.slice(2);
  const pb: number[] = [];
  const out: number[] = [];
  for (let a = 0; a < rank; a++) {
    const ek = (ks[a] - 1) * di[a] + 1;
    const full = st[a] * (inp[a] - 1) + op[a] + ek;
    if (shape || ap === 'SAME_UPPER' || ap === 'SAME_LOWER') {
      const o = shape ? shape[shape.length - rank + a] : inp[a] * st[a];
      const total = full - o;
      const small = Math.floor(total / 2);
      // ONNX: SAME_UPPER puts the smaller half first; SAME_LOWER and an explicit output_shape the larger
      pb.push(ap === 'SAME_UPPER' ? small : total - small);
      out.push(o);
    } else {
      const [b, e] = ap === 'VALID' ? [0, 0] : [pads[a], pads[a + rank]];
      pb.push(b);
      out.push(full - b - e);
    }
    if (!(out[a] > 0)) throw new Error(`output size ${out[a]} on spatial axis ${a} is not positive`);
  }
  const pad1 = <T,>(v: T[], one: T): T[] => (rank === 2 ? v : [one, ...v]);
  return { N, C, Co: wd[1] * group, group, rank, inp: pad1(inp, 1), k: pad1(ks, 1), s: pad1(st, 1), d: pad1(di, 1), pb: pad1(pb, 0), out: pad1(out, 1) };
}

function outDims(g: TGeom): number[] {
  return g.rank === 2 ? [g.N, g.Co, g.out[0], g.out[1]] : [g.N, g.Co, g.out[1]];
}

export const ConvTranspose: OpDef = {
  params: [1, 2],
  float(n, x) {
    const X = x[0]!;
    const Wt = x[1]!;
    const g = tgeom(n, X.dims, Wt.dims);
    const [H, W] = g.inp;
    const [KH, KW] = g.k;
    const [OH, OW] = g.out;
    const Cg = g.C / g.group;
    const Cog = g.Co / g.group;
    const y = new Float64Array(g.N * g.Co * OH * OW);
    const b = x[2]?.data;
    for (let bb = 0; bb < g.N; bb++) {
      if (b) for (let co = 0; co < g.Co; co++) y.fill(b[co], (bb * g.Co + co) * OH * OW, (bb * g.Co + co + 1) * OH * OW);
      for (let c = 0; c < g.C; c++) {
        const gi = Math.floor(c / Cg);
        for (let ih = 0; ih < H; ih++)
          for (let iw = 0; iw < W; iw++) {
            const v = X.data[((bb * g.C + c) * H + ih) * W + iw];
            for (let cl = 0; cl < Cog; cl++) {
              const co = gi * Cog + cl;
              for (let i = 0; i < KH; i++) {
                const oh = ih * g.s[0] + i * g.d[0] - g.pb[0];
                if (oh < 0 || oh >= OH) continue;
                for (let j = 0; j < KW; j++) {
                  const ow = iw * g.s[1] + j * g.d[1] - g.pb[1];
                  if (ow < 0 || ow >= OW) continue;
                  y[((bb * g.Co + co) * OH + oh) * OW + ow] += v * Wt.data[((c * Cog + cl) * KH + i) * KW + j];
                }
              }
            }
          }
      }
    }
    return [{ dims: outDims(g), data: y, dtype: X.dtype }];
  },
  lower(q, n) {
    const x = q.act(n.inputs[0]);
    const Wt = q.constant(n.inputs[1]);
    const B = n.inputs[2] ? q.constant(n.inputs[2]) : undefined;
    const g = tgeom(n, x.dims, Wt.dims);
    const [H, W] = g.inp;
    const [KH, KW] = g.k;
    const [OH, OW] = g.out;
    const ek = [0, 1].map((a) => (g.k[a] - 1) * g.d[a] + 1);
    const U = [OH + ek[0] - 1, OW + ek[1] - 1];
    const off = [0, 1].map((a) => ek[a] - 1 - g.pb[a]);
    // the zero-upsampled, padded (or cropped) input: a gather map with fill 0
    const map = new Int32Array(g.N * g.C * U[0] * U[1]).fill(-1);
    const src = (u: number, a: number, size: number): number => {
      const v = u - off[a];
      return v >= 0 && v % g.s[a] === 0 && v / g.s[a] < size ? v / g.s[a] : -1;
    };
    for (let bc = 0; bc < g.N * g.C; bc++)
      for (let uh = 0; uh < U[0]; uh++) {
        const ih = src(uh, 0, H);
        if (ih < 0) continue;
        for (let uw = 0; uw < U[1]; uw++) {
          const iw = src(uw, 1, W);
          if (iw >= 0) map[(bc * U[0] + uh) * U[1] + uw] = (bc * H + ih) * W + iw;
        }
      }
    const up = q.fresh(`${n.outputs[0]}:upsampled`);
    const uDims = g.rank === 2 ? [g.N, g.C, U[0], U[1]] : [g.N, g.C, U[1]];
    q.emit(
      { kind: 'gather', name: `${n.name}/upsample`, op: n.opType, inputs: [x.name], output: up, bound: 256, map, fill: 0 },
      { dims: uDims, exp: x.exp, lo: Math.min(x.lo, 0), hi: Math.max(x.hi, 0) },
    );
    // flipped kernel with in/out channels swapped within each group: W'[co, cl_in, i, j]
    const Cg = g.C / g.group;
    const Cog = g.Co / g.group;
    const KK = Cg * KH * KW;
    const Wf = new Float64Array(g.Co * KK);
    for (let co = 0; co < g.Co; co++) {
      const gi = Math.floor(co / Cog);
      const cl = co % Cog;
      for (let ci = 0; ci < Cg; ci++)
        for (let i = 0; i < KH; i++)
          for (let j = 0; j < KW; j++) Wf[((co * Cg + ci) * KH + i) * KW + j] = Wt.data[(((gi * Cg + ci) * Cog + cl) * KH + (KH - 1 - i)) * KW + (KW - 1 - j)];
    }
    const geom: ConvGeom = {
      N: g.N, C: g.C, H: U[0], W: U[1], Co: g.Co, KH, KW, OH, OW, sh: 1, sw: 1, pt: 0, pl: 0, dh: g.d[0], dw: g.d[1], group: g.group, rank: g.rank,
    };
    if (sizeOf(q.dims(n.outputs[0])) !== g.N * g.Co * OH * OW) throw new Error(`output shape [${q.dims(n.outputs[0])}] does not match [${outDims(g)}]`);
    emitConv(q, n, up, geom, Wf, B?.data ?? null, n.outputs[0]);
  },
};
