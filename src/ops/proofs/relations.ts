/**
 * Building blocks of the non-linear layer proofs (PReLU, Div, ArgMax, Softmax, normalization):
 * every relation below ends in evaluation claims on committed, parameter or public tensors.
 *
 *  - `productCheck`: one sumcheck of Σ_x Σ_j c_j·Π_{l ∈ S_j} C_l(x) = claimed over columns that
 *    are committed tensors (evaluation sent and claimed), views (evaluation sent and returned:
 *    the caller proves it) or public tables (the verifier evaluates them itself).
 *  - `zeroCheck`: G_k(x) = 0 at every point x of a cube for a few polynomial relations at once,
 *      0 = Σ_x eq(r, x)·Σ_k λ^k·G_k(x),   r, λ drawn after the witness commitment,
 *    which fails with probability ≤ (m + deg)/|K| when some G_k(x) ≠ 0 (Schwartz–Zippel on
 *    the MLE of Σ_k λ^k·G_k, then on λ). Padding points are included, so a relation that is
 *    zero there on honest (zero-padded) witnesses also proves padding values.
 *  - `rowSums`: per row of an (outer × n × inner) tensor, Σ_k Π factors = c·row + κ·χ_row, for
 *    several items at once (one random point r over the rows, one μ batching the items):
 *      Σ_x M_r(x)·Σ_i μ^i·Π_i(x) = Σ_i μ^i·(c_i·row_i~(r) + κ_i·χ~(r)),  M_r(x) = eq(r, row(x)).
 *  - `views`: claims on broadcast/gathered views V_i[j] = src_i[map[j]] (zero where map[j] < 0
 *    and on padding) are reduced to claims on the sources by one sumcheck of Σ_w M(w)·Σ_i μ^i·src_i(w).
 *  - remainder limbs (a value < 2^b as limbs of ≤ 16 bits, each range-checked) and keyed function
 *    tables with a padding row (the `table.ts` trick: key x − lo on real entries, n on padding).
 */
import { type Ext, ext, extEquals, extMul, extMulBase, extToString } from '../../field/extension.js';
import { kernels } from '../../field/active.js';
import { rangeTable, type FunctionTable } from '../../piop/lookup/tables.js';
import { eqEval, type Point } from '../../poly/multilinear.js';
import { chiEval, eqOnReal, isDense, modP, paddedIndex, type Layout } from '../../circuit/layout.js';
import { concat } from '../../circuit/requant.js';
import { drawCombiner, drawPoint, type AuxSpec, type ColumnSpec, type Context, type LookupSpec } from '../../circuit/protocol.js';
import { clear, foldPublic, vAdd, vCombine, vScale, type Val } from '../../circuit/values.js';

export type Column =
  | { kind: 'tensor'; name: string }
  | { kind: 'view'; field?: () => Uint32Array }
  | { kind: 'public'; field: () => Uint32Array; at: (pt: Point) => Ext };

export interface Term {
  coef: Ext;
  cols: number[];
}

/** An integer-coefficient term of a relation (a product of columns; no columns: the constant). */
export interface ITerm {
  coef: number;
  cols: number[];
}

export function pow(x: Ext, k: number): Ext {
  let acc = ext(1);
  for (let i = 0; i < k; i++) acc = extMul(acc, x);
  return acc;
}

export function ei(v: number): Ext {
  return ext(modP(v));
}

/**
 * Proves Σ_x Σ_j coef_j·Π cols = claimed (a value the verifier derived or already absorbed).
 * Returns the sumcheck point and every column's evaluation there; committed columns are claimed,
 * view evaluations are returned for the caller to prove.
 */
export function productCheck(ctx: Context, numVars: number, cols: Column[], terms: Term[], claimed: Val, label: string): { point: Point; evals: Val[] } {
  const degree = Math.max(1, ...terms.map((t) => t.cols.length));
  const st = terms.map((t) => ({ coeff: t.coef, factors: t.cols }));
  let point: Point;
  let evals: Val[];
  if (ctx.role === 'prover') {
    const tables = cols.map((c) => (c.kind === 'tensor' ? ctx.field(c.name) : c.field!()));
    const sc = ctx.sumcheck({ numVars, degree, tables, terms: st }, label);
    ctx.assert(extEquals(sc.claimedSum, clear(claimed)), `${label}: internal error, the relation does not hold on the witness (sum ${extToString(sc.claimedSum)}, expected ${extToString(clear(claimed))})`);
    const sent = sc.finalEvals.filter((_, i) => cols[i].kind !== 'public');
    ctx.send(`${label}/evals`, concat(sent));
    ctx.finalCheck(label, foldPublic(st, cols.map((c, i) => (c.kind === 'public' ? sc.finalEvals[i] : null))), sent);
    point = sc.point;
    evals = sc.finalEvals;
  } else {
    const res = ctx.sumcheck(numVars, degree, claimed, label);
    point = res.point;
    const got = ctx.recv(`${label}/evals`, cols.filter((c) => c.kind !== 'public').length);
    const publics = cols.map((c) => (c.kind === 'public' ? c.at(point) : null));
    let k = 0;
    evals = publics.map((p) => p ?? got[k++]);
    ctx.finalCheck(label, res.finalClaim, foldPublic(st, publics), got, 'RelationMismatch', `${label}: relation check failed at the sumcheck point`);
  }
  cols.forEach((c, i) => {
    if (c.kind === 'tensor') ctx.claim(c.name, point, evals[i]);
  });
  return { point, evals };
}

/** The real-entry indicator χ of a layout as a public column. */
export function chiColumn(l: Layout): Column {
  return {
    kind: 'public',
    field: () => {
      const t = new Uint32Array(2 ** l.numVars);
      if (isDense(l)) t.fill(1, 0, l.size);
      else for (const p of paddedIndex(l)) t[p] = 1;
      return t;
    },
    at: (pt) => chiEval(l, pt),
  };
}

/** eq(r, ·) as a public column. */
export function eqColumn(r: Point): Column {
  return { kind: 'public', field: () => kernels().eqTable(r), at: (pt) => eqEval(r, pt) };
}

/**
 * Proves G_k(x) = 0 on every point of `l`'s cube for each group k (G_k = Σ coef·Π cols).
 * Returns the point and the column evaluations (committed columns are claimed there).
 */
export function zeroCheck(ctx: Context, l: Layout, cols: Column[], groups: ITerm[][], label: string): { point: Point; evals: Val[] } {
  const r = drawPoint(ctx, `${label}/r`, l.numVars);
  const lambda = drawCombiner(ctx, `${label}/lambda`, groups.length - 1);
  const terms: Term[] = [];
  groups.forEach((g, k) => {
    const lk = pow(lambda, k);
    for (const t of g) terms.push({ coef: extMul(lk, ei(t.coef)), cols: [0, ...t.cols.map((c) => c + 1)] });
  });
  const res = productCheck(ctx, l.numVars, [eqColumn(r), ...cols], terms, ext(), label);
  return { point: res.point, evals: res.evals.slice(1) };
}

/** Row index of every real entry of an (outer × n × inner) tensor: o·inner + i. */
export function rowMapOf(outer: number, n: number, inner: number): Int32Array {
  const m = new Int32Array(outer * n * inner);
  for (let o = 0; o < outer; o++) for (let k = 0; k < n; k++) for (let i = 0; i < inner; i++) m[(o * n + k) * inner + i] = o * inner + i;
  return m;
}

/** Ext table over `src`'s padded cube: M[pad(map[j])] += w[j] for the real outputs j (map null: j). */
function gatherWeights(w: Uint32Array, outSize: number, src: Layout, map: ArrayLike<number> | null): Uint32Array {
  const M = new Uint32Array(4 * 2 ** src.numVars);
  const pidx = isDense(src) ? null : paddedIndex(src);
  const K = kernels();
  for (let j = 0; j < outSize; j++) {
    const s = map === null ? j : map[j];
    if (s < 0) continue;
    const p = 4 * (pidx ? pidx[s] : s);
    const dst = M.subarray(p, p + 4);
    K.extAdd(dst, dst, w.subarray(4 * j, 4 * j + 4));
  }
  return M;
}

/** Ext table over `x`'s padded cube: M[pad(j)] = w[map[j]] (the transpose of `gatherWeights`). */
function scatterWeights(w: Uint32Array, x: Layout, map: ArrayLike<number>): Uint32Array {
  const M = new Uint32Array(4 * 2 ** x.numVars);
  const pidx = isDense(x) ? null : paddedIndex(x);
  for (let j = 0; j < x.size; j++) {
    const p = 4 * (pidx ? pidx[j] : j);
    M.set(w.subarray(4 * map[j], 4 * map[j] + 4), p);
  }
  return M;
}

function publicExt(table: Uint32Array): Column {
  return { kind: 'public', field: () => table, at: (pt) => kernels().extDot(table, kernels().eqTable(pt)) };
}

export interface RowSumItem {
  /** x-shaped tensors whose product is summed over each row */
  factors: string[];
  /** row-shaped committed tensor on the right-hand side (null: none) */
  row: string | null;
  rowCoef: number;
  /** constant per real row */
  chiConst: number;
}

/**
 * Proves Σ_k Π factors[row, k] = rowCoef·row[row] + chiConst for every real row and item (and
 * row[row] = 0 on the row layout's padding, where the left side is empty). x-shaped tensors all
 * share `xl`; row tensors share `rl`; `rowMap` gives each real x entry its real row index.
 */
export function rowSums(ctx: Context, xl: Layout, rl: Layout, rowMap: Int32Array, items: RowSumItem[], label: string): void {
  const r = drawPoint(ctx, `${label}/r`, rl.numVars);
  const withRow = items.filter((it) => it.row !== null);
  let vals: Val[];
  if (ctx.role === 'prover') {
    const eq = kernels().eqTable(r);
    const clear = withRow.map((it) => kernels().extDotBase(eq, ctx.field(it.row!)));
    ctx.send(`${label}/rows`, concat(clear));
    vals = clear;
  } else {
    vals = ctx.recv(`${label}/rows`, withRow.length);
  }
  withRow.forEach((it, i) => ctx.claim(it.row!, r, vals[i]));
  const mu = drawCombiner(ctx, `${label}/mu`, items.length - 1);
  const Mr = scatterWeights(eqOnReal(rl, r), xl, rowMap);
  const names: string[] = [];
  for (const it of items) for (const f of it.factors) if (!names.includes(f)) names.push(f);
  const cols: Column[] = [publicExt(Mr), ...names.map((name): Column => ({ kind: 'tensor', name }))];
  const chi = chiEval(rl, r);
  const terms: Term[] = [];
  let claimed: Val = ext();
  let k = 0;
  items.forEach((it, i) => {
    const mi = pow(mu, i);
    terms.push({ coef: mi, cols: [0, ...it.factors.map((f) => 1 + names.indexOf(f))] });
    let rhs: Val = extMulBase(chi, modP(it.chiConst));
    if (it.row !== null) rhs = vAdd(rhs, vScale(vals[k++], ext(modP(it.rowCoef))));
    claimed = vAdd(claimed, vScale(rhs, mi));
  });
  productCheck(ctx, xl.numVars, cols, terms, claimed, `${label}/sum`);
}

/** The view src[map[j]] on `out`'s padded layout (zero on padding and where map[j] < 0). */
export function viewField(out: Layout, src: ArrayLike<number>, map: ArrayLike<number> | null): Uint32Array {
  const f = new Uint32Array(2 ** out.numVars);
  const pidx = isDense(out) ? null : paddedIndex(out);
  for (let j = 0; j < out.size; j++) {
    const s = map === null ? j : map[j];
    if (s >= 0) f[pidx ? pidx[j] : j] = modP(src[s]);
  }
  return f;
}

/** A view column for a zero-check (the prover materialises it; the verifier receives its value). */
export function viewColumn(ctx: Context, out: Layout, src: string, map: ArrayLike<number> | null): Column {
  return ctx.role === 'prover' ? { kind: 'view', field: () => viewField(out, ctx.values(src), map) } : { kind: 'view' };
}

/**
 * Discharges already-absorbed claims V_i~(pt) = values[i] on views V_i = sources[i][map] over
 * `out` (sources share one layout), as claims on the sources. An identity map between equal
 * shapes needs no sumcheck.
 */
export function views(ctx: Context, out: Layout, pt: Point, sources: string[], map: ArrayLike<number> | null, values: Val[], label: string): void {
  const src = ctx.layout(sources[0]);
  if (map === null && src.dims.length === out.dims.length && src.dims.every((d, i) => d === out.dims[i])) {
    sources.forEach((s, i) => ctx.claim(s, pt, values[i]));
    return;
  }
  const mu = drawCombiner(ctx, `${label}/mu`, sources.length - 1);
  const M = gatherWeights(eqOnReal(out, pt), out.size, src, map);
  const cols: Column[] = [publicExt(M), ...sources.map((name): Column => ({ kind: 'tensor', name }))];
  const terms = sources.map((_, i) => ({ coef: pow(mu, i), cols: [0, 1 + i] }));
  const claimed = vCombine(terms.map((t) => t.coef), values);
  productCheck(ctx, src.numVars, cols, terms, claimed, label);
}

// ---- remainders as 16-bit limbs ----

export const LIMB_BITS = 16;

export interface Limbs {
  names: string[];
  bits: number[];
  /** weight of limb p: 2^shift[p] */
  shift: number[];
}

/**
 * A non-negative value < 2^bits as range-checked limbs `${base}<p>` of ≤ 16 bits each, split as
 * evenly as possible (value = Σ_p 2^shift_p·limb_p): small range tables keep the lookups cheap.
 */
export function planLimbs(base: string, bits: number, dims: number[]): { limbs: Limbs; aux: AuxSpec[]; lookups: LookupSpec[] } {
  const b = Math.max(1, bits);
  const k = Math.ceil(b / LIMB_BITS);
  const parts = Array.from({ length: k }, (_, p) => Math.floor(b / k) + (p < b % k ? 1 : 0));
  const shift = parts.map((_, p) => parts.slice(0, p).reduce((a, c) => a + c, 0));
  const names = parts.map((_, p) => `${base}${p}`);
  return {
    limbs: { names, bits: parts, shift },
    aux: names.map((name) => ({ name, dims })),
    lookups: names.map((name, p) => ({ table: rangeTable(parts[p]), columns: [{ tensor: name }] })),
  };
}

export function limbWitness(l: Limbs, values: ArrayLike<number>, out: Map<string, Int32Array>): void {
  const arrs = l.names.map(() => new Int32Array(values.length));
  for (let i = 0; i < values.length; i++) {
    let v = values[i];
    for (let p = 0; p < arrs.length; p++) {
      const d = p === arrs.length - 1 ? v : v % 2 ** l.bits[p];
      arrs[p][i] = d;
      v = (v - d) / 2 ** l.bits[p];
    }
  }
  l.names.forEach((n, p) => out.set(n, arrs[p]));
}

/** Terms coef·Σ_p 2^shift_p·limb_p for limbs at columns first, first + 1, … */
export function limbTerms(l: Limbs, first: number, coef: number): ITerm[] {
  return l.names.map((_, p) => ({ coef: coef * 2 ** l.shift[p], cols: [first + p] }));
}

export function limbColumns(l: Limbs): Column[] {
  return l.names.map((name): Column => ({ kind: 'tensor', name }));
}

export function bitsFor(n: number): number {
  let b = 0;
  while (2 ** b < n) b++;
  return b;
}

// ---- keyed function tables ----

/**
 * A function table with keys 0 … n−1 (row j: j, values(j)), a padding row (n, 0, …, 0) and, up
 * to the next power of two, rows (j, 0, …, 0) that real entries never reach because their key is
 * range-limited elsewhere. `unreachable` moves one row's key to 2^b (beyond every reachable key)
 * with zero values: that input is excluded.
 */
export function keyedTable(name: string, n: number, width: number, values: (j: number) => number[], unreachable = -1): FunctionTable {
  const size = 2 ** bitsFor(n + 1);
  const cols = Array.from({ length: width + 1 }, () => new Uint32Array(size));
  for (let j = 0; j < size; j++) {
    cols[0][j] = j === unreachable ? size : j;
    if (j < n && j !== unreachable) {
      const v = values(j);
      for (let w = 0; w < width; w++) cols[w + 1][j] = modP(v[w]);
    }
  }
  return { kind: 'function', name, columns: cols };
}

/** Key column of a keyed table for tensor x with x − lo ∈ [0, n) on real entries: n on padding. */
export function keyColumn(x: string, lo: number, n: number): ColumnSpec {
  return { tensor: x, constOffset: n, chiOffset: -lo - n };
}

/** A function table given row by row (column 0 must hold distinct keys). */
export function rowsTable(name: string, rows: number[][]): FunctionTable {
  const w = rows[0].length;
  const cols = Array.from({ length: w }, (_, c) => Uint32Array.from(rows, (r) => modP(r[c])));
  return { kind: 'function', name, columns: cols };
}

export function sizeOfDims(d: number[]): number {
  return d.reduce((a, b) => a * b, 1);
}

export function maxAbs(r: { lo: number; hi: number }): number {
  return Math.max(Math.abs(r.lo), Math.abs(r.hi));
}

