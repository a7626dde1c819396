/**
 * Shape plumbing, folded at import (no integer semantics): Shape, Size, ConstantOfShape, Range,
 * Constant, and (constant inputs only) NonZero. PyTorch exports compute Reshape targets this way; once
 * the input shapes are fixed (symbolic dimensions = 1) all of it is constant. Comparisons and boolean
 * logic also lower on activations (the sum layer's comparison and extremum relations, a table),
 * Trilu as data movement with zeros, OneHot of run-time indices by expansion.
 */
import { DT } from '../model/onnx-proto.js';
import { normAxis, sizeOf, type Tensor } from '../model/tensor.js';
import type { Node } from '../model/graph.js';
import { NodeBuilder } from '../model/builder.js';
import type { Lowering } from '../quantize/lowering.js';
import { compareOp, maxOp, minOp } from './binary.js';
import { lowerLayout, lowerUnaryTable, mapUnary } from './common.js';
import { attrFloat, attrInt, attrInts, type ExpandContext, type OpDef } from './op.js';

export const Shape: OpDef = {
  shapeOnly: true,
  float(n, x) {
    const d = x[0]!.dims;
    const r = d.length;
    let s = attrInt(n, 'start', 0);
    let e = attrInt(n, 'end', r);
    if (s < 0) s += r;
    if (e < 0) e += r;
    s = Math.max(0, Math.min(r, s));
    e = Math.max(0, Math.min(r, e));
    const v = d.slice(s, Math.max(s, e));
    return [{ dims: [v.length], data: Float64Array.from(v), dtype: DT.INT64 }];
  },
};

export const Size: OpDef = {
  shapeOnly: true,
  float: (_n, x) => [{ dims: [], data: Float64Array.of(sizeOf(x[0]!.dims)), dtype: DT.INT64 }],
};

export const ConstantOfShape: OpDef = {
  float(n, x) {
    const dims = Array.from(x[0]!.data);
    const v = n.attrs.value as Tensor | undefined;
    const val = v ? v.data[0] : 0;
    return [{ dims, data: new Float64Array(sizeOf(dims)).fill(val), dtype: v ? v.dtype : DT.FLOAT }];
  },
};

export const Range: OpDef = {
  float(_n, x) {
    const [s, l, d] = x.map((t) => t!.data[0]);
    const k = Math.max(0, Math.ceil((l - s) / d));
    return [{ dims: [k], data: Float64Array.from({ length: k }, (_, i) => s + i * d), dtype: x[0]!.dtype }];
  },
};

export const Constant: OpDef = {
  float(n) {
    const a = n.attrs;
    if (a.value !== undefined) return [a.value as Tensor];
    if (a.value_float !== undefined) return [{ dims: [], data: Float64Array.of(attrFloat(n, 'value_float', 0)), dtype: DT.FLOAT }];
    if (a.value_int !== undefined) return [{ dims: [], data: Float64Array.of(attrInt(n, 'value_int', 0)), dtype: DT.INT64 }];
    if (a.value_floats !== undefined) {
      const v = a.value_floats as number[];
      return [{ dims: [v.length], data: Float64Array.from(v), dtype: DT.FLOAT }];
    }
    if (a.value_ints !== undefined) {
      const v = attrInts(n, 'value_ints')!;
      return [{ dims: [v.length], data: Float64Array.from(v), dtype: DT.INT64 }];
    }
    throw new Error('Constant without a supported value attribute');
  },
};

export const Equal = compareOp((a, b) => a === b, 'eq');
export const Less = compareOp((a, b) => a < b, 'lt');
export const LessOrEqual = compareOp((a, b) => a <= b, 'le');
export const Greater = compareOp((a, b) => a > b, 'gt');
export const GreaterOrEqual = compareOp((a, b) => a >= b, 'ge');
/*
 * Boolean logic on activations. A boolean tensor of the integer model holds exactly {0, 2^exp}
 * (a comparison's or Where's output, a table below, a bool input at exp 0), so on booleans
 *   And = Min, Or = Max (the sum layer's extremum relation), Not = the table T[q] = [q = 0],
 *   Xor = Not(Equal) (the equality relation, then the table),
 * and each output is again {0, 2^exp}: an integer 1 at its own exponent.
 */
const boolTable = (q: Lowering, n: Node): void => lowerUnaryTable(q, n, (v) => (v ? 0 : 1));

function logicOp(f: (a: boolean, b: boolean) => boolean, base: OpDef): OpDef {
  return { float: compareOp((a, b) => f(!!a, !!b)).float, lower: base.lower };
}

export const And = logicOp((a, b) => a && b, minOp);
export const Or = logicOp((a, b) => a || b, maxOp);
export const Xor: OpDef = {
  float: compareOp((a, b) => !!a !== !!b).float,
  expand(n, ctx) {
    if (n.inputs.every((i) => ctx.consts.has(i))) return null;
    const b = new NodeBuilder(ctx, n.name);
    b.op('Not', [b.op('Equal', n.inputs, {}, undefined, 'equal')], {}, n.outputs[0]);
    return b.nodes;
  },
};
export const Not: OpDef = {
  float: (_n, x) => [mapUnary(x[0]!, (v) => (v ? 0 : 1), DT.BOOL)],
  lower: boolTable,
};

/*
 * Data-dependent ops folded when their inputs are constant (a NonZero over a constant mask, a
 * OneHot of constant indices, a causal mask built with Trilu): their float references make the
 * constant sub-graph fold before op support matters. On model activations they stay refused
 * (`model/prepare.ts`, with the reason from `ops/registry.ts`).
 */

/** NonZero: the row-major indices of the nonzero entries, as a [rank, count] int64 tensor. */
export const NonZero: OpDef = {
  float(_n, x) {
    const t = x[0]!;
    const dims = t.dims;
    const hits: number[] = [];
    for (let i = 0; i < t.data.length; i++) if (t.data[i] !== 0) hits.push(i);
    const r = Math.max(1, dims.length);
    const out = new Float64Array(r * hits.length);
    hits.forEach((flat, c) => {
      let rest = flat;
      for (let a = dims.length - 1; a >= 0; a--) {
        out[a * hits.length + c] = rest % dims[a];
        rest = Math.floor(rest / dims[a]);
      }
    });
    return [{ dims: [r, hits.length], data: out, dtype: DT.INT64 }];
  },
};

/**
 * Trilu: the upper (default) or lower triangle of the last two axes, diagonal offset k (a constant).
 * On an activation it is data movement with zeros (a causal mask applied to scores): the gather map
 * of its float reference on an index tensor (`common.ts` `lowerLayout`).
 */
export const Trilu: OpDef = {
  params: [1],
  layout: true,
  lower(q, n) {
    lowerLayout(q, n, Trilu, [0]);
  },
  float(n, x) {
    const t = x[0]!;
    if (t.dims.length < 2) throw new Error(`Trilu needs a tensor of rank ≥ 2, got [${t.dims}]`);
    const k = x[1] ? x[1].data[0] : 0;
    const upper = attrInt(n, 'upper', 1) !== 0;
    const rows = t.dims[t.dims.length - 2];
    const cols = t.dims[t.dims.length - 1];
    const out = new Float64Array(t.data.length);
    for (let i = 0; i < t.data.length; i++) {
      const j = i % cols;
      const r = Math.floor(i / cols) % rows;
      if (upper ? j - r >= k : j - r <= k) out[i] = t.data[i];
    }
    return [{ dims: t.dims.slice(), data: out, dtype: t.dtype }];
  },
};

/** OneHot(indices, depth, values = [off, on]) with the new axis at `axis` (default −1). */
/**
 * OneHot on run-time indices, expanded before folding: with i = Cast(indices, int64) (truncation, a
 * table) unsqueezed at `axis` and the constant classes c = 0 … depth−1 along it,
 *   y = Where(Or(i = c, i = c − depth), on, off)
 * the equality relation per (position, class), so a negative index wraps and one outside
 * [−depth, depth) is all off, as ONNX says. depth and values must be constants.
 */
function expandOneHot(n: Node, ctx: ExpandContext): Node[] | null {
  const [ind, dep, vals] = n.inputs;
  if (ctx.consts.has(ind) || !ctx.consts.has(dep) || !ctx.consts.has(vals)) return null;
  const id = ctx.dims(ind);
  if (!id) return null;
  const depth = Math.trunc(ctx.consts.get(dep)!.data[0]);
  const V = ctx.consts.get(vals)!;
  const r = id.length + 1;
  const axis = normAxis(attrInt(n, 'axis', -1), r);
  const b = new NodeBuilder(ctx, n.name);
  const i = b.unsqueeze(b.op('Cast', [ind], { to: DT.INT64 }, undefined, 'index'), [axis]);
  const cd = Array.from({ length: r }, (_, k) => (k === axis ? depth : 1));
  const classes = (shift: number) => b.floats(`classes${shift ? '_wrapped' : ''}`, cd, Float64Array.from({ length: depth }, (_, c) => c - shift));
  const hit = b.op('Or', [b.op('Equal', [i, classes(0)], {}, undefined, 'is'), b.op('Equal', [i, classes(depth)], {}, undefined, 'is_wrapped')], {}, undefined, 'hit');
  const on = b.constant('on', { dims: [], data: Float64Array.of(V.data[1]), dtype: V.dtype });
  const off = b.constant('off', { dims: [], data: Float64Array.of(V.data[0]), dtype: V.dtype });
  b.op('Where', [hit, on, off], {}, n.outputs[0]);
  return b.nodes;
}

export const OneHot: OpDef = {
  expand: expandOneHot,
  float(n, x) {
    const [ind, dep, vals] = x as Tensor[];
    const depth = Math.trunc(dep.data[0]);
    if (!(depth >= 1)) throw new Error(`OneHot depth must be at least 1, got ${dep.data[0]}`);
    if (vals.data.length !== 2) throw new Error(`OneHot values must hold [off, on], got ${vals.data.length} values`);
    const r = ind.dims.length + 1;
    let axis = attrInt(n, 'axis', -1);
    if (axis < 0) axis += r;
    if (axis < 0 || axis >= r) throw new Error(`OneHot axis ${attrInt(n, 'axis', -1)} is out of range for rank ${r}`);
    const dims = [...ind.dims.slice(0, axis), depth, ...ind.dims.slice(axis)];
    const inner = sizeOf(ind.dims.slice(axis));
    const out = new Float64Array(sizeOf(dims)).fill(vals.data[0]);
    for (let i = 0; i < ind.data.length; i++) {
      let v = Math.trunc(ind.data[i]);
      if (v < 0) v += depth;
      if (v < 0 || v >= depth) continue; // out of range: all off (the ONNX spec)
      const outer = Math.floor(i / inner);
      out[(outer * depth + v) * inner + (i % inner)] = vals.data[1];
    }
    return [{ dims, data: out, dtype: vals.dtype }];
  },
};
