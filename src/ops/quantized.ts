/**
 * ONNX's own quantization ops (QuantizeLinear, DequantizeLinear, MatMulInteger, ConvInteger,
 * QLinearMatMul, QLinearConv), mapped onto what zkinfer proves. Float semantics (ONNX):
 *   QuantizeLinear:   y = saturate(round_half_even(x / s) + zp)   (per tensor, per axis, blocked)
 *   DequantizeLinear: y = (x − zp)·s
 *   MatMulInteger / ConvInteger: the product of (a − a_zp) and (b − b_zp), integers exact in floats
 *   QLinearMatMul / QLinearConv: QuantizeLinear(op(DequantizeLinear(a), DequantizeLinear(b)) + bias)
 * Integer semantics:
 *   - QuantizeLinear and DequantizeLinear on an activation are lookup tables on its integer q
 *     (y = T[q], T evaluated at the value q·2^−exp it stands for): the quantized integers have
 *     exponent 0 and the range the table reaches. Per-axis and blocked parameters give one table
 *     per distinct (scale, zero point) and a gather picking each element's table (the copy
 *     relation), so every element sees exactly its own function.
 *   - On constants (a quantized weight) every op folds at import: the float weight it denotes.
 *   - MatMulInteger, ConvInteger, QLinearMatMul and QLinearConv with an activation operand are
 *     expanded before folding into DequantizeLinear → MatMul/Conv → QuantizeLinear, whose
 *     constant parts fold to float weights: a linear layer (gemm, conv or matmul) with int8
 *     weights requantised to the calibrated scale, then the output table. The result matches
 *     onnxruntime within quantization tolerance, not bit for bit (our int8 weights re-round an
 *     int8/uint8 weight with its zero point, up to 255 levels).
 * Scales and zero points must be constants (`params`).
 */
import type { Node } from '../model/graph.js';
import { DT, dtypeName } from '../model/onnx-proto.js';
import { normAxis, sizeOf, stridesOf, type Tensor } from '../model/tensor.js';
import { roundHalfUp, type Lowering } from '../quantize/lowering.js';
import { QHI, QLO } from './common.js';
import { Conv } from './Conv.js';
import { MatMul } from './MatMul.js';
import { attrInt, type ExpandContext, type OpDef } from './op.js';
import { NodeBuilder } from '../model/builder.js';

const INT4 = 22;
const UINT4 = 21;
/** Saturation range of each quantized type. */
const RANGE: Record<number, [number, number]> = {
  [DT.UINT8]: [0, 255], [DT.INT8]: [-128, 127], [DT.UINT16]: [0, 65535], [DT.INT16]: [-32768, 32767],
  [UINT4]: [0, 15], [INT4]: [-8, 7], [DT.INT32]: [-(2 ** 31), 2 ** 31 - 1],
};

function rangeOf(dtype: number): [number, number] {
  const r = RANGE[dtype];
  if (!r) throw new Error(`quantized type ${dtypeName(dtype)} is not supported (uint8, int8, uint16, int16, uint4, int4, int32)`);
  return r;
}

export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
}

/**
 * For each element of a tensor of shape `dims`, the index of its scale (and zero point): 0 for a
 * per-tensor scale, the coordinate on `axis` for a 1-D per-axis scale, or the block's index for a
 * blocked scale (same rank, dims[axis] / block_size blocks on `axis`).
 */
export function paramIndex(dims: number[], scale: Tensor, axisAttr: number, blockSize: number): Int32Array {
  const n = sizeOf(dims);
  const idx = new Int32Array(n);
  const ns = sizeOf(scale.dims);
  if (ns === 1) return idx;
  const axis = normAxis(axisAttr, dims.length);
  const st = stridesOf(dims);
  if (blockSize > 0) {
    if (scale.dims.length !== dims.length) throw new Error(`blocked scale of shape [${scale.dims}] for input [${dims}]: expected the same rank`);
    const sst = stridesOf(scale.dims);
    for (let i = 0; i < n; i++) {
      let off = 0;
      for (let d = 0; d < dims.length; d++) {
        let c = Math.floor(i / st[d]) % dims[d];
        if (d === axis) c = Math.floor(c / blockSize);
        if (c >= scale.dims[d]) throw new Error(`blocked scale of shape [${scale.dims}] does not cover input [${dims}] with block_size ${blockSize} on axis ${axis}`);
        off += c * sst[d];
      }
      idx[i] = off;
    }
    return idx;
  }
  if (scale.dims.length !== 1 || scale.dims[0] !== dims[axis]) throw new Error(`per-axis scale of shape [${scale.dims}] for axis ${axis} of input [${dims}]: expected [${dims[axis]}]`);
  for (let i = 0; i < n; i++) idx[i] = Math.floor(i / st[axis]) % dims[axis];
  return idx;
}

interface QParams { idx: Int32Array; s: Float64Array; zp: Float64Array; dtype: number }

function qparams(n: Node, dims: number[], scale: Tensor, zp: Tensor | undefined, outDtype: number): QParams {
  const idx = paramIndex(dims, scale, attrInt(n, 'axis', 1), attrInt(n, 'block_size', 0));
  if (zp && sizeOf(zp.dims) !== sizeOf(scale.dims)) throw new Error(`zero point of shape [${zp.dims}] does not match scale [${scale.dims}]`);
  return { idx, s: scale.data, zp: zp ? zp.data : new Float64Array(scale.data.length), dtype: zp ? zp.dtype : outDtype };
}

function quantizeValue(v: number, s: number, zp: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, roundHalfEven(Math.fround(v / s)) + zp));
}

function quantizeFloat(x: Tensor, p: QParams): Tensor {
  const [lo, hi] = rangeOf(p.dtype);
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = quantizeValue(x.data[i], p.s[p.idx[i]], p.zp[p.idx[i]], lo, hi);
  return { dims: x.dims.slice(), data: out, dtype: p.dtype };
}

function dequantizeFloat(x: Tensor, p: QParams): Tensor {
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.fround((x.data[i] - p.zp[p.idx[i]]) * p.s[p.idx[i]]);
  return { dims: x.dims.slice(), data: out, dtype: DT.FLOAT };
}

/** More distinct (scale, zero point) pairs than this on an activation are refused (one table each). */
export const MAX_GROUPS = 256;

/**
 * y[j] = f_{g(j)}(x[j]) for an activation x: one table per distinct parameter pair g (T_g[q] =
 * f_g(q·2^−exp) at the output exponent), and for several pairs a gather that takes element j from
 * table g(j)'s copy. `clamp` bounds every table entry; the output range is what the tables reach.
 */
function lowerPerGroup(q: Lowering, n: Node, p: QParams, f: (v: number, s: number, zp: number) => number, outExp: number, clamp: [number, number]): void {
  const x = q.act(n.inputs[0]);
  const keys = new Map<string, number>();
  const groupOf = new Int32Array(p.idx.length);
  const reps: number[] = [];
  p.idx.forEach((k, j) => {
    const key = `${p.s[k]}|${p.zp[k]}`;
    let g = keys.get(key);
    if (g === undefined) {
      g = reps.length;
      keys.set(key, g);
      reps.push(k);
    }
    groupOf[j] = g;
  });
  if (reps.length > MAX_GROUPS) throw new Error(`${reps.length} distinct (scale, zero point) pairs on an activation; at most ${MAX_GROUPS} are supported (one lookup table each)`);
  const size = sizeOf(x.dims);
  const outs: string[] = [];
  let lo = Infinity;
  let hi = -Infinity;
  reps.forEach((k, g) => {
    const table = new Int32Array(x.hi - x.lo + 1);
    for (let i = x.lo; i <= x.hi; i++) {
      const v = Math.max(clamp[0], Math.min(clamp[1], f(i * 2 ** -x.exp, p.s[k], p.zp[k])));
      table[i - x.lo] = v;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const out = reps.length === 1 ? n.outputs[0] : q.fresh(`${n.outputs[0]}:g${g}`);
    const name = reps.length === 1 ? n.name : `${n.name}:g${g}`;
    const bound = 2 * (Math.max(Math.abs(lo), Math.abs(hi), x.hi - x.lo) + 1);
    q.emit({ kind: 'table', name, op: n.opType, inputs: [x.name], output: out, bound, tlo: x.lo, table }, { dims: x.dims, exp: outExp, lo, hi });
    outs.push(out);
  });
  if (reps.length === 1) return;
  const map = new Int32Array(size);
  for (let j = 0; j < size; j++) map[j] = groupOf[j] * size + j;
  q.emit(
    { kind: 'gather', name: n.name, op: n.opType, inputs: outs, output: n.outputs[0], bound: 2 * (Math.max(Math.abs(lo), Math.abs(hi)) + 1), map, fill: 0 },
    { dims: x.dims, exp: outExp, lo: Math.min(lo, 0), hi: Math.max(hi, 0) },
  );
}

export const QuantizeLinear: OpDef = {
  params: [1, 2],
  float(n, x) {
    const X = x[0]!;
    return [quantizeFloat(X, qparams(n, X.dims, x[1]!, x[2], attrInt(n, 'output_dtype', 0) || DT.UINT8))];
  },
  lower(q, n) {
    const dims = q.dims(n.inputs[0]);
    const p = qparams(n, dims, q.constant(n.inputs[1]), n.inputs[2] ? q.constant(n.inputs[2]) : undefined, attrInt(n, 'output_dtype', 0) || DT.UINT8);
    const [lo, hi] = rangeOf(p.dtype);
    lowerPerGroup(q, n, p, (v, s, zp) => quantizeValue(v, s, zp, lo, hi), 0, [lo, hi]);
  },
};

export const DequantizeLinear: OpDef = {
  params: [1, 2],
  float(n, x) {
    const X = x[0]!;
    return [dequantizeFloat(X, qparams(n, X.dims, x[1]!, x[2], X.dtype))];
  },
  lower(q, n) {
    const dims = q.dims(n.inputs[0]);
    const p = qparams(n, dims, q.constant(n.inputs[1]), n.inputs[2] ? q.constant(n.inputs[2]) : undefined, DT.FLOAT);
    const fo = q.expOf(n.outputs[0]);
    lowerPerGroup(q, n, p, (v, s, zp) => roundHalfUp(Math.fround((v - zp) * s) * 2 ** fo), fo, [QLO, QHI]);
  },
};

/** Per-row (axis −2, [M]) or per-column (axis −1, [N]) zero points/scales of a matrix operand, as DequantizeLinear's axis. */
function mmAxis(dims: number[], p: Tensor | undefined, col: boolean): number {
  if (!p || sizeOf(p.dims) === 1) return 1;
  return dims.length === 1 ? 0 : col ? dims.length - 1 : dims.length - 2;
}

const one = (like: Tensor | undefined): Tensor => ({ dims: like ? like.dims.slice() : [], data: new Float64Array(like ? Math.max(1, sizeOf(like.dims)) : 1).fill(1), dtype: DT.FLOAT });
const dq = (x: Tensor, s: Tensor, zp: Tensor | undefined, axis: number): Tensor => dequantizeFloat(x, qparams({ attrs: { axis } } as unknown as Node, x.dims, s, zp, DT.FLOAT));
const asInt32 = (t: Tensor): Tensor => ({ ...t, dtype: DT.INT32 });

/** The zero points/scales of a Conv weight: per output channel (axis 0) or per tensor. */
const wAxis = (p: Tensor | undefined): number => (p && sizeOf(p.dims) > 1 ? 0 : 1);

/**
 * The expansion of a quantized linear op with an activation operand: DequantizeLinear of every
 * operand (constants fold to float weights), the float op, and (QLinear*) QuantizeLinear of its
 * output. Null when every input is constant (the node folds as it is).
 */
function expandLinear(n: Node, ctx: ExpandContext, build: (b: NodeBuilder, dq: (x: string, s: string | null, zp: string, axis: number) => string) => void): Node[] | null {
  if (n.inputs.every((i) => i === '' || ctx.consts.has(i))) return null;
  const b = new NodeBuilder(ctx, n.name);
  // an integer op's operand is x − zp: DequantizeLinear at scale 1 (ones shaped like a per-axis zp)
  const deq = (x: string, s: string | null, zp: string, axis: number): string => {
    const sc = s ?? b.constant('ones', one(zp ? ctx.consts.get(zp) : undefined));
    return b.op('DequantizeLinear', zp ? [x, sc, zp] : [x, sc], { axis }, undefined, 'dequantized');
  };
  build(b, deq);
  return b.nodes;
}

export const MatMulInteger: OpDef = {
  params: [2, 3],
  float(_n, x) {
    const [A, B, az, bz] = x as Tensor[];
    return [asInt32(MatMul.float(_n, [dq(A, one(az), az, mmAxis(A.dims, az, false)), dq(B, one(bz), bz, mmAxis(B.dims, bz, true))], 13)[0])];
  },
  expand: (n, ctx) =>
    expandLinear(n, ctx, (b, deq) => {
      const [A, B, az, bz] = n.inputs;
      const a = deq(A, null, az ?? '', mmAxis(ctx.dims(A)!, az ? ctx.consts.get(az) : undefined, false));
      const w = deq(B, null, bz ?? '', mmAxis(ctx.dims(B)!, bz ? ctx.consts.get(bz) : undefined, true));
      b.op('MatMul', [a, w], {}, n.outputs[0]);
    }),
};

export const ConvInteger: OpDef = {
  params: [2, 3],
  float(n, x, opset) {
    const [X, W, xz, wz] = x as Tensor[];
    return [asInt32(Conv.float(n, [dq(X, one(undefined), xz, 1), dq(W, one(wz), wz, wAxis(wz))], opset)[0])];
  },
  expand: (n, ctx) =>
    expandLinear(n, ctx, (b, deq) => {
      const [X, W, xz, wz] = n.inputs;
      const xd = deq(X, null, xz ?? '', 1);
      const wd = deq(W, null, wz ?? '', wAxis(wz ? ctx.consts.get(wz) : undefined));
      b.op('Conv', [xd, wd], n.attrs, n.outputs[0]);
    }),
};

function outParams(n: Node, ys: Tensor, yz: Tensor | undefined, dims: number[]): QParams {
  return qparams({ ...n, attrs: { axis: ys && sizeOf(ys.dims) > 1 ? -1 : 1 } }, dims, ys, yz, DT.UINT8);
}

export const QLinearMatMul: OpDef = {
  params: [1, 2, 4, 5, 6, 7],
  float(n, x) {
    const [A, as, az, B, bs, bz, ys, yz] = x as Tensor[];
    const y = MatMul.float(n, [dq(A, as, az, mmAxis(A.dims, as, false)), dq(B, bs, bz, mmAxis(B.dims, bs, true))], 13)[0];
    return [quantizeFloat(y, outParams(n, ys, yz, y.dims))];
  },
  expand: (n, ctx) =>
    expandLinear(n, ctx, (b, deq) => {
      const [A, as, az, B, bs, bz, ys, yz] = n.inputs;
      const a = deq(A, as, az, mmAxis(ctx.dims(A)!, ctx.consts.get(as), false));
      const w = deq(B, bs, bz, mmAxis(ctx.dims(B)!, ctx.consts.get(bs), true));
      const y = b.op('MatMul', [a, w], {}, undefined, 'product');
      const ysT = ctx.consts.get(ys);
      b.op('QuantizeLinear', yz ? [y, ys, yz] : [y, ys], { axis: ysT && sizeOf(ysT.dims) > 1 ? -1 : 1 }, n.outputs[0]);
    }),
};

/** QLinearConv's int32 bias B at scale x_scale·w_scale[c], as a float bias. */
function convBias(B: Tensor, xs: Tensor, ws: Tensor): Tensor {
  const out = new Float64Array(B.data.length);
  for (let c = 0; c < out.length; c++) out[c] = B.data[c] * xs.data[0] * ws.data[ws.data.length === 1 ? 0 : c];
  return { dims: B.dims.slice(), data: out, dtype: DT.FLOAT };
}

export const QLinearConv: OpDef = {
  params: [1, 2, 4, 5, 6, 7, 8],
  float(n, x, opset) {
    const [X, xs, xz, W, ws, wz, ys, yz, B] = x as Tensor[];
    const y = Conv.float(n, [dq(X, xs, xz, 1), dq(W, ws, wz, wAxis(ws)), B ? convBias(B, xs, ws) : undefined], opset)[0];
    return [quantizeFloat(y, qparams({ ...n, attrs: { axis: 1 } }, y.dims, ys, yz, DT.UINT8))];
  },
  expand: (n, ctx) =>
    expandLinear(n, ctx, (b, deq) => {
      const [X, xs, xz, W, ws, wz, ys, yz, B] = n.inputs;
      const xd = deq(X, xs, xz, 1);
      const wd = deq(W, ws, wz, wAxis(ctx.consts.get(ws)));
      const ins = [xd, wd];
      if (B) ins.push(b.constant('bias', convBias(ctx.consts.get(B)!, ctx.consts.get(xs)!, ctx.consts.get(ws)!)));
      const y = b.op('Conv', ins, n.attrs, undefined, 'conv');
      b.op('QuantizeLinear', yz ? [y, ys, yz] : [y, ys], {}, n.outputs[0]);
    }),
};
