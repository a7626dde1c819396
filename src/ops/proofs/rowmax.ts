/**
 * Row maximum (or minimum) by a one-hot selector — shared by ArgMax/ArgMin and Softmax. For x of
 * shape (outer × n × inner), per row (o, i) and position k, committed:
 *   sel[o,k,i] ∈ {0,1}  (range lookup)          mx[o,i] = Σ_k sel·x        Σ_k sel[o,k,i] = 1
 *   gap[o,k,i] = s·(mx[o,i] − x[o,k,i]) − tie[o,k,i] ∈ [0, 2^b)   (s = +1 for max, −1 for min)
 * With sel one-hot at k*, mx = x[k*] and gap ≥ 0 says s·x[k] ≤ s·x[k*] for every k: mx is the
 * row's max (min). Tie-breaking, when the index matters, uses cum[o,k,i] = Σ_{k' ≤ k} sel, proven
 * by sel[k] = cum[k] − cum[k−1] (cum[−1] = 0): cum = [k ≥ k*] is not range-checked because it is
 * a prefix sum of a one-hot vector. tie = 1 − cum (= [k < k*]) for the first index, so earlier
 * entries must be strictly smaller; tie = cum − sel (= [k > k*]) for the last index.
 * The index is then k* = n − Σ_k cum[o,k,i] (a row sum the caller can add as an extra item).
 *
 * Proof: one `rowSums` sumcheck (mx, Σ sel = 1, and the caller's extra items) and linear
 * reductions at one random point r over x's layout: gap~(r) = s·mx'~(r) − s·x~(r) ± … and
 * sel~(r) = cum~(r) − cum_shift~(r), which also prove gap and sel zero on padding.
 * No wrap: sel ∈ {0,1}, |x| ≤ 2^8-ish, n < 2^20, so |Σ_k sel·x| ≤ n·max|x| < p and
 * |gap| + |rhs| ≤ 2^b + 2·range + 2 < p: every identity holds over the integers.
 */
import { vAdd } from '../../circuit/values.js';
import { extMulBase } from '../../field/extension.js';
import { rangeTable } from '../../piop/lookup/tables.js';
import { chiEval, layoutOf, modP } from '../../circuit/layout.js';
import { reduce, type ReduceTerm } from '../../circuit/reduce.js';
import { CircuitError, drawPoint, type AuxSpec, type Context, type LookupSpec, type PlanContext } from '../../circuit/protocol.js';
import { bitsFor, rowMapOf, rowSums, type RowSumItem } from './relations.js';

export type Tie = 'any' | 'first' | 'last';

export interface RowMaxPlan {
  x: string;
  outer: number;
  n: number;
  inner: number;
  rowDims: number[];
  sel: string;
  mx: string;
  gap: string;
  cum: string | null;
  sign: 1 | -1;
  tie: Tie;
  rowMap: Int32Array;
}

/** Plans the selector relations; aux tensors are named after `base` (the layer's output). */
export function planRowMax(layer: string, base: string, x: string, rows: { outer: number; n: number; inner: number }, rowDims: number[], min: boolean, tie: Tie, c: PlanContext): { plan: RowMaxPlan; aux: AuxSpec[]; lookups: LookupSpec[] } {
  const xd = c.dims(x);
  const { outer, n, inner } = rows;
  const size = xd.reduce((a, b) => a * b, 1);
  if (outer * n * inner !== size || n < 1) throw new CircuitError(`layer '${layer}': axis split ${outer}×${n}×${inner} does not match input [${xd}]`, layer);
  if (rowDims.reduce((a, b) => a * b, 1) !== outer * inner) throw new CircuitError(`layer '${layer}': row shape [${rowDims}] does not hold ${outer * inner} rows`, layer);
  const xr = c.range(x);
  const bits = Math.max(1, bitsFor(xr.hi - xr.lo + 1));
  if (bits > 16) throw new CircuitError(`layer '${layer}': input range [${xr.lo}, ${xr.hi}] is wider than 2^16`, layer);
  const plan: RowMaxPlan = {
    x,
    outer,
    n,
    inner,
    rowDims,
    sel: `${base}#sel`,
    mx: `${base}#max`,
    gap: `${base}#gap`,
    cum: tie === 'any' ? null : `${base}#cum`,
    sign: min ? -1 : 1,
    tie,
    rowMap: rowMapOf(outer, n, inner),
  };
  const aux: AuxSpec[] = [
    { name: plan.sel, dims: xd },
    { name: plan.mx, dims: rowDims },
    { name: plan.gap, dims: xd },
  ];
  if (plan.cum) aux.push({ name: plan.cum, dims: xd });
  const lookups: LookupSpec[] = [
    { table: rangeTable(1), columns: [{ tensor: plan.sel }] },
    { table: rangeTable(bits), columns: [{ tensor: plan.gap }] },
  ];
  return { plan, aux, lookups };
}

/** The selected index per row under the plan's semantics (argmaxKernel's comparisons). */
export function rowArgs(p: RowMaxPlan, x: ArrayLike<number>): Int32Array {
  const { outer, n, inner, sign, tie } = p;
  const out = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let bi = 0;
      let bv = sign * x[base];
      for (let k = 1; k < n; k++) {
        const v = sign * x[base + k * inner];
        if (tie === 'last' ? v >= bv : v > bv) {
          bv = v;
          bi = k;
        }
      }
      out[o * inner + i] = bi;
    }
  }
  return out;
}

export function rowMaxWitness(p: RowMaxPlan, x: ArrayLike<number>, out: Map<string, Int32Array>): Int32Array {
  const { outer, n, inner, sign, tie } = p;
  const args = rowArgs(p, x);
  const sel = new Int32Array(x.length);
  const cum = new Int32Array(x.length);
  const gap = new Int32Array(x.length);
  const mx = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const r = o * inner + i;
      const ks = args[r];
      const m = x[(o * n + ks) * inner + i];
      mx[r] = m;
      for (let k = 0; k < n; k++) {
        const j = (o * n + k) * inner + i;
        sel[j] = k === ks ? 1 : 0;
        cum[j] = k >= ks ? 1 : 0;
        const t = tie === 'first' ? (k < ks ? 1 : 0) : tie === 'last' ? (k > ks ? 1 : 0) : 0;
        gap[j] = sign * (m - x[j]) - t;
      }
    }
  }
  out.set(p.sel, sel);
  out.set(p.mx, mx);
  out.set(p.gap, gap);
  if (p.cum) out.set(p.cum, cum);
  return args;
}

/** Proves the selector relations (and the caller's extra row sums, e.g. the index or Σ e). */
export function runRowMax(ctx: Context, p: RowMaxPlan, extra: RowSumItem[], label: string): void {
  const xl = ctx.layout(p.x);
  const rl = layoutOf(p.rowDims);
  rowSums(ctx, xl, rl, p.rowMap, [{ factors: [p.sel, p.x], row: p.mx, rowCoef: 1, chiConst: 0 }, { factors: [p.sel], row: null, rowCoef: 0, chiConst: 1 }, ...extra], `${label}/rows`);

  // gap = s·mx' − s·x − tie, tie = 1 − cum (first) or cum − sel (last)
  const r = drawPoint(ctx, `${label}/gap/r`, xl.numVars);
  const terms: ReduceTerm[] = [
    { source: p.mx, outIdx: null, srcIdx: p.rowMap, coef: p.sign },
    { source: p.x, outIdx: null, srcIdx: null, coef: -p.sign },
  ];
  let constant = 0;
  if (p.tie === 'first') {
    terms.push({ source: p.cum!, outIdx: null, srcIdx: null, coef: 1 });
    constant = -1;
  } else if (p.tie === 'last') {
    terms.push({ source: p.cum!, outIdx: null, srcIdx: null, coef: -1 }, { source: p.sel, outIdx: null, srcIdx: null, coef: 1 });
  }
  let v = reduce(ctx, xl, r, terms, `${label}/gap`);
  if (constant !== 0) v = vAdd(v, extMulBase(chiEval(xl, r), modP(constant)));
  ctx.claim(p.gap, r, v);

  if (p.cum) {
    // sel[k] = cum[k] − cum[k − 1] (k ≥ 1), sel[0] = cum[0]
    const outIdx: number[] = [];
    const srcIdx: number[] = [];
    for (let o = 0; o < p.outer; o++) {
      for (let k = 1; k < p.n; k++) {
        for (let i = 0; i < p.inner; i++) {
          outIdx.push((o * p.n + k) * p.inner + i);
          srcIdx.push((o * p.n + k - 1) * p.inner + i);
        }
      }
    }
    const shift: ReduceTerm[] = [{ source: p.cum, outIdx: null, srcIdx: null, coef: 1 }];
    if (outIdx.length) shift.push({ source: p.cum, outIdx: Int32Array.from(outIdx), srcIdx: Int32Array.from(srcIdx), coef: -1 });
    ctx.claim(p.sel, r, reduce(ctx, xl, r, shift, `${label}/cum`));
  }
}

