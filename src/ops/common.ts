/**
 * Helpers shared by the op modules: broadcast float element-wise evaluation, the unary-table lowering
 * (every non-linear unary op is T[x] for int8 x: the table the prover looks up), and the layout
 * lowering (a pure data-movement op evaluated on an index tensor yields its gather map, i.e. the
 * copy relation a prover checks).
 */
import type { Node } from '../model/graph.js';
import { DT } from '../model/onnx-proto.js';
import { broadcastIndex, broadcastShape, isIntType, sizeOf, stridesOf, type Tensor } from '../model/tensor.js';
import type { Lowering } from '../quantize/lowering.js';
import { roundHalfUp } from '../quantize/lowering.js';
import type { OpDef } from './op.js';

export function mapBinary(a: Tensor, b: Tensor, f: (x: number, y: number) => number, dtype = a.dtype): Tensor {
  const dims = broadcastShape(a.dims, b.dims);
  const n = sizeOf(dims);
  const am = broadcastIndex(a.dims, dims);
  const bm = broadcastIndex(b.dims, dims);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f(a.data[am[i]], b.data[bm[i]]);
  return { dims, data: out, dtype };
}

/**
 * GatherElements/ScatterElements addressing: for each position p of `ind` (row-major), the flat
 * offset in a tensor of shape `dims` of p with p[axis] replaced by ind[p] (negative indices count
 * from the end). Same rank required; an index out of range, or `ind` larger than `dims` off the
 * axis, is an error that says which.
 */
export function elementOffsets(dims: readonly number[], ind: Tensor, axis: number): Int32Array {
  const r = dims.length;
  const sa = stridesOf(dims);
  const offs = new Int32Array(sizeOf(ind.dims));
  const idx = ind.dims.map(() => 0);
  for (let i = 0; i < offs.length; i++) {
    let k = ind.data[i];
    if (k < 0) k += dims[axis];
    if (!(k >= 0 && k < dims[axis])) throw new Error(`index ${ind.data[i]} out of range for axis ${axis} of size ${dims[axis]}`);
    let off = 0;
    for (let d = 0; d < r; d++) {
      if (d !== axis && idx[d] >= dims[d]) throw new Error(`indices shape [${ind.dims}] exceeds data shape [${dims}] on axis ${d}`);
      off += (d === axis ? k : idx[d]) * sa[d];
    }
    offs[i] = off;
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d] < ind.dims[d]) break;
      idx[d] = 0;
    }
  }
  return offs;
}

export function mapUnary(a: Tensor, f: (x: number) => number, dtype = a.dtype): Tensor {
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(a.data[i]);
  return { dims: a.dims.slice(), data: out, dtype };
}

/** int8 domain of activations */
export const QLO = -128;
export const QHI = 127;

/**
 * Lower a unary op to a 256-entry table: T[i] = clamp(round(f(i·2^−fi)·2^fo)).
 * `keepExp`: output keeps the input exponent (piece-wise linear ops like Relu, Clip, Neg).
 */
export function lowerUnaryTable(q: Lowering, n: Node, f: (x: number) => number, keepExp = false): void {
  const x = q.act(n.inputs[0]);
  // an int64/int32 result (index arithmetic such as 2·i) stays exact at 2^0 in its own range
  const int = keepExp ? null : q.integerRange(n.outputs[0]);
  // a wide intermediate (a square, or an affine function of one, read by a table) keeps 16 bits
  const wide = keepExp || int ? null : q.wide(n.outputs[0]);
  const fo = int ? 0 : wide ? wide.exp : keepExp ? x.exp : q.expOf(n.outputs[0]);
  const [lo, hi] = int ? [int.lo, int.hi] : wide ? [wide.lo, wide.hi] : [QLO, QHI];
  const table = new Int32Array(x.hi - x.lo + 1);
  const si = 2 ** -x.exp;
  const so = 2 ** fo;
  for (let i = x.lo; i <= x.hi; i++) {
    let v = roundHalfUp(f(i * si) * so);
    if (Number.isNaN(v)) v = 0;
    table[i - x.lo] = Math.max(lo, Math.min(hi, v));
  }
  q.emit(
    { kind: 'table', name: n.name, op: n.opType, inputs: [x.name], output: n.outputs[0], bound: 2 * Math.max(256, Math.max(-lo, hi) + 1), tlo: x.lo, table },
    { dims: x.dims, exp: fo, lo, hi },
  );
}

/** A unary op whose float semantics is f and whose integer semantics is its table. */
export function unaryOp(f: (x: number, n: Node) => number, opts: { keepExp?: boolean; intExact?: boolean } = {}): OpDef {
  return {
    float(n, x) {
      const a = x[0]!;
      return [mapUnary(a, (v) => f(v, n))];
    },
    lower(q, n) {
      lowerUnaryTable(q, n, (v) => f(v, n), opts.keepExp ?? false);
    },
  };
}

/**
 * Lower a layout op. Activation inputs at positions `actIdx` are rescaled to a common exponent (the
 * coarsest) and concatenated; the op's float semantics applied to 1-based index tensors gives, per
 * output element, the source index (0 marks padding → `fill`).
 */
export function lowerLayout(q: Lowering, n: Node, def: OpDef, actIdx: number[], fillValue = 0): void {
  const names = actIdx.map((i) => n.inputs[i]);
  const infos = names.map((nm) => q.act(nm));
  const exp = Math.min(...infos.map((i) => i.exp));
  const srcs = names.map((nm) => q.rescaled(nm, exp, n));
  const xs: (Tensor | undefined)[] = n.inputs.map((nm) => (nm === '' ? undefined : q.isConst(nm) ? q.constant(nm) : undefined));
  let off = 1;
  actIdx.forEach((pos, k) => {
    const dims = infos[k].dims;
    const sz = sizeOf(dims);
    const d = new Float64Array(sz);
    for (let i = 0; i < sz; i++) d[i] = off + i;
    off += sz;
    xs[pos] = { dims, data: d, dtype: DT.FLOAT };
  });
  const outs = def.float(n, xs, q.opset);
  const fill = roundHalfUp(fillValue * 2 ** exp);
  outs.forEach((o, k) => {
    const name = n.outputs[k];
    if (!name) return;
    const map = new Int32Array(o.data.length);
    for (let i = 0; i < map.length; i++) map[i] = o.data[i] - 1;
    q.emit(
      { kind: 'gather', name: outs.length > 1 ? `${n.name}:${k}` : n.name, op: n.opType, inputs: srcs, output: name, bound: 256, map, fill },
      // a copy keeps its sources' range (an integer input's token ids reach past int8)
      { dims: o.dims, exp, lo: Math.min(QLO, fill, ...infos.map((i) => i.lo)), hi: Math.max(QHI, fill, ...infos.map((i) => i.hi)) },
    );
  });
}

/** A layout op: float semantics `f`, integer semantics its gather map. */
export function layoutOp(f: OpDef['float'], params: number[] = [], actIdx = [0]): OpDef {
  const def: OpDef = {
    params,
    layout: true,
    float: f,
    lower(q, n) {
      lowerLayout(q, n, def, actIdx);
    },
  };
  return def;
}

export function castTo(v: number, dtype: number): number {
  if (dtype === DT.BOOL) return v !== 0 ? 1 : 0;
  if (isIntType(dtype)) {
    const t = Math.trunc(v);
    if (dtype === DT.UINT8) return ((t % 256) + 256) % 256;
    if (dtype === DT.INT8) return ((((t + 128) % 256) + 256) % 256) - 128;
    return t;
  }
  if (dtype === DT.FLOAT) return Math.fround(v);
  return v;
}
