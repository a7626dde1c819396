/**
 * LayerNormalization (normalized over dims[axis:]) and InstanceNormalization (over the spatial dims,
 * per channel). Integer semantics (x int8 at fi), per normalized group of n values:
 *   mean = round(Σx / n); d = x − mean; V = round(Σd² / n) + round(ε·2^(2fi)) (V ≈ var·2^(2fi));
 *   V = m·4^j with m ∈ [2^8, 2^10); r = T_rsqrt[m] = round(2^14/√m);
 *   y = round(d·r·γ / 2^(14 + j + fγ − fo)) + β   (γ int8 at fγ, β at fo).
 * All values are integers with |d| ≤ 255, |Σd²| ≤ n·2^16; the rsqrt table has 768 entries.
 * LayerNormalization's optional outputs Mean and InvStdDev (shape dims[:axis] + 1s): when a node or
 * the graph output reads one, the node is expanded before folding into the norm layer for Y plus
 *   Mean = ReduceMean(X, axes ≥ axis), V = ReduceMean((X − Mean)²), InvStdDev = (V + ε)^(−1/2),
 * plain ops that lower to proven window, sum, mul and table layers (each tensor calibrated on its
 * own); unread, they are dropped, as exporters leave them. stash_type only fixes the float type of
 * the reference's statistics: the integer statistics are exact integer arithmetic either way.
 */
import type { Node } from '../model/graph.js';
import { normAxis, sizeOf, type Tensor } from '../model/tensor.js';
import { checkBound, expForMax, quantizeAt, roundHalfUp, type Lowering } from '../quantize/lowering.js';
import { QHI, QLO } from './common.js';
import { attrFloat, attrInt, type ExpandContext, type OpDef } from './op.js';
import { NodeBuilder } from '../model/builder.js';

const R_BITS = 14;

function normFloat(x: Tensor, outer: number, n: number, eps: number, g: Float64Array, b: Float64Array | null, gIdx: (o: number, k: number) => number): Tensor {
  const out = new Float64Array(x.data.length);
  for (let o = 0; o < outer; o++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += x.data[o * n + k];
    const mean = s / n;
    let v = 0;
    for (let k = 0; k < n; k++) v += (x.data[o * n + k] - mean) ** 2;
    const r = 1 / Math.sqrt(v / n + eps);
    for (let k = 0; k < n; k++) {
      const gi = gIdx(o, k);
      out[o * n + k] = (x.data[o * n + k] - mean) * r * g[gi] + (b ? b[gi] : 0);
    }
  }
  return { dims: x.dims, data: out, dtype: x.dtype };
}

function lnSplit(n: Node, dims: number[]): { outer: number; n: number } {
  const a = normAxis(attrInt(n, 'axis', -1), dims.length);
  return { outer: sizeOf(dims.slice(0, a)), n: sizeOf(dims.slice(a)) };
}

function lowerNorm(q: Lowering, nd: Node, outer: number, n: number, affine: 'n' | 'outer', eps: number): void {
  const x = q.act(nd.inputs[0]);
  const out = nd.outputs[0];
  const fo = q.expOf(out);
  const g = q.constant(nd.inputs[1]);
  const b = nd.inputs[2] ? q.constant(nd.inputs[2]) : undefined;
  const len = affine === 'n' ? n : sizeOf(g.dims);
  const gd = new Float64Array(len);
  const bd = new Float64Array(len);
  for (let i = 0; i < len; i++) {
    gd[i] = g.data[g.data.length === 1 ? 0 : i];
    bd[i] = b ? b.data[b.data.length === 1 ? 0 : i] : 0;
  }
  const gExp = expForMax(gd.reduce((m, v) => Math.max(m, Math.abs(v)), 0), 1);
  const gamma = quantizeAt(gd, gExp);
  const beta = quantizeAt(bd, fo);
  const rsqrtTable = new Int32Array(768);
  for (let m = 256; m < 1024; m++) rsqrtTable[m - 256] = roundHalfUp(2 ** R_BITS / Math.sqrt(m));
  const epsQ = roundHalfUp(eps * 2 ** (2 * x.exp));
  const bound = 255 * 1024 * 128 * 2 + n * 2 ** 17;
  checkBound(bound, nd, `the normalization (n = ${n})`);
  q.emit(
    {
      kind: 'norm', name: nd.name, op: nd.opType, inputs: [x.name], output: out, bound, outer, n, inner: 1, epsQ, rBits: R_BITS,
      rsqrtTable, gamma, gExp, beta, affine, outExp: fo,
    },
    { dims: x.dims, exp: fo, lo: QLO, hi: QHI },
  );
}

/** Mean and 1/√(var + ε) per normalized group, shaped dims[:axis] + [1]·(rank − axis). */
function lnStats(X: Tensor, n: Node, eps: number): Tensor[] {
  const a = normAxis(attrInt(n, 'axis', -1), X.dims.length);
  const s = lnSplit(n, X.dims);
  const dims = X.dims.map((d, i) => (i < a ? d : 1));
  const mean = new Float64Array(s.outer);
  const inv = new Float64Array(s.outer);
  for (let o = 0; o < s.outer; o++) {
    let t = 0;
    for (let k = 0; k < s.n; k++) t += X.data[o * s.n + k];
    const m = t / s.n;
    let v = 0;
    for (let k = 0; k < s.n; k++) v += (X.data[o * s.n + k] - m) ** 2;
    mean[o] = m;
    inv[o] = 1 / Math.sqrt(v / s.n + eps);
  }
  return [{ dims, data: mean, dtype: X.dtype }, { dims, data: inv, dtype: X.dtype }];
}

/** The norm node for Y and plain nodes for the statistics that are read (null when none is). */
function expandStats(n: Node, ctx: ExpandContext): Node[] | null {
  const [y, mean, inv] = n.outputs;
  const read = (v: string | undefined): v is string => !!v && ctx.isRead(v);
  if (!read(mean) && !read(inv)) return null;
  const dims = ctx.dims(n.inputs[0]);
  if (!dims) return null;
  const a = normAxis(attrInt(n, 'axis', -1), dims.length);
  const b = new NodeBuilder(ctx, n.name);
  const axes = b.ints('axes', [dims.length - a], dims.map((_, i) => i).slice(a));
  const nodes: Node[] = y ? [{ ...n, outputs: [y] }] : [];
  const m = b.op('ReduceMean', [n.inputs[0], axes], { keepdims: 1 }, read(mean) ? mean : undefined, 'mean');
  if (read(inv)) {
    const d = b.op('Sub', [n.inputs[0], m], {}, undefined, 'centred');
    const v = b.op('ReduceMean', [b.op('Mul', [d, d], {}, undefined, 'square'), axes], { keepdims: 1 }, undefined, 'variance');
    const eps = b.floats('epsilon', [], Float64Array.of(attrFloat(n, 'epsilon', 1e-5)));
    const ve = b.op('Add', [v, eps], {}, undefined, 'variance_eps');
    b.op('Pow', [ve, b.floats('minus_half', [], Float64Array.of(-0.5))], {}, inv);
  }
  return [...nodes, ...b.nodes];
}

export const LayerNormalization: OpDef = {
  params: [1, 2],
  expand: expandStats,
  float(n, x) {
    const X = x[0]!;
    const s = lnSplit(n, X.dims);
    const g = x[1]!.data;
    const eps = attrFloat(n, 'epsilon', 1e-5);
    const y = normFloat(X, s.outer, s.n, eps, g, x[2]?.data ?? null, (_o, k) => (g.length === 1 ? 0 : k));
    return n.outputs.length > 1 ? [y, ...lnStats(X, n, eps)] : [y];
  },
  lower(q, n) {
    ['Mean', 'InvStdDev'].forEach((what, i) => {
      const name = n.outputs[i + 1];
      const users = name ? q.usedBy(name) : [];
      // a reader prepare's expansion did not see (one inside an unrolled body): the norm layer computes only Y
      if (users.length) throw new Error(`its optional ${what} output '${name}' is used (${users.join(', ')}) by a node the import did not see when it expanded the statistics; compute it with other ops`);
    });
    const s = lnSplit(n, q.act(n.inputs[0]).dims);
    lowerNorm(q, n, s.outer, s.n, 'n', attrFloat(n, 'epsilon', 1e-5));
  },
};

export const InstanceNormalization: OpDef = {
  params: [1, 2],
  float(n, x) {
    const X = x[0]!;
    const C = X.dims[1];
    const sp = sizeOf(X.dims.slice(2));
    return [normFloat(X, X.dims[0] * C, sp, attrFloat(n, 'epsilon', 1e-5), x[1]!.data, x[2]?.data ?? null, (o) => o % C)];
  },
  lower(q, n) {
    const d = q.act(n.inputs[0]).dims;
    lowerNorm(q, n, d[0] * d[1], sizeOf(d.slice(2)), 'outer', attrFloat(n, 'epsilon', 1e-5));
  },
};
