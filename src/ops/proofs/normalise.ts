/**
 * Mantissa/exponent normalisation of a positive per-row integer V (LogSoftmax's S = m·2^k,
 * normalization's V = m·4^j), exactly as the kernels' loops compute it with B = 2^w:
 *   while m ≥ 2^hi: m = floor(m / B), j++;   while m < 2^lo: m = m·B, j−−   (hi − lo = w)
 * i.e. m = floor(V / B^j) for j ≥ 0 and m = V·B^(−j) for j < 0, with m ∈ [2^lo, 2^hi).
 *
 * Relation, per row: V·Q = m·P + r, 0 ≤ r < P (r2 = P − 1 − r ≥ 0), with (P, Q) = (B^j, 1) for
 * j ≥ 0 and (1, B^(−j)) for j < 0, read together with the caller's per-exponent data from one
 * row of the public exponent table T_j = {(k, P, Q, extras(j)) : j = k + base}; rows whose j lies
 * outside [jmin, jmax] (row 0 among them, which zero padding looks up) hold P = Q = 0, ruled out
 * on real rows by r + r2 + 1 = P with r, r2 ≥ 0. The mantissa and its table value come from
 * T_m = {(m, f(m)) : m < 2^hi} (f = 0 below 2^lo), and the range check m − 2^lo ∈ [0, 2^hi)
 * excludes m < 2^lo on real rows. For V ≥ 1 exactly one j admits such an m (m·P ≤ V·Q < (m+1)·P
 * pins j), so m, j, r and every table value are functions of V: the kernel's.
 *
 * Proof: the lookups above and one zero-check over the row layout of
 *   V·Q − m·P − r = 0,   r + r2 + χ − P = 0   (r, r2 as 16-bit limbs).
 * No wrap: Vmax·Qmax + 2^hi·Pmax + Pmax < p and 2·2^rb + 1 + Pmax < p, checked here.
 */
import { P as FIELD_P } from '../../field/babybear.js';
import { rangeTable, type FunctionTable } from '../../piop/lookup/tables.js';
import { layoutOf } from '../../circuit/layout.js';
import { CircuitError, type AuxSpec, type Context, type LookupSpec } from '../../circuit/protocol.js';
import { bitsFor, chiColumn, limbColumns, limbTerms, limbWitness, planLimbs, rowsTable, zeroCheck, type Column, type Limbs } from './relations.js';

export interface NormaliseSpec {
  /** log2 of the base B */
  w: number;
  loBits: number;
  hiBits: number;
  /** table value f(m) for m ∈ [2^lo, 2^hi) */
  mant: (m: number) => number;
  /** per-exponent data (same count for every j) */
  extras: (j: number) => number[];
  nExtras: number;
}

export interface NormalisePlan {
  v: string;
  rowDims: number[];
  spec: NormaliseSpec;
  jmin: number;
  jmax: number;
  jBase: number;
  m: string;
  mv: string;
  jidx: string;
  P: string;
  Q: string;
  extras: string[];
  r: Limbs;
  r2: Limbs;
}

/** (m, j) of the kernels' loops for V ≥ 1. */
export function normalisedOf(V: number, s: { w: number; loBits: number; hiBits: number }): { m: number; j: number } {
  const B = 2 ** s.w;
  let m = V;
  let j = 0;
  while (m >= 2 ** s.hiBits) {
    m = Math.floor(m / B);
    j++;
  }
  while (m < 2 ** s.loBits) {
    m *= B;
    j--;
  }
  return { m, j };
}

function pq(j: number, w: number): [number, number] {
  return j >= 0 ? [2 ** (w * j), 1] : [1, 2 ** (-w * j)];
}

/**
 * Plans the normalisation of committed row tensor `v` whose real values lie in [vlo, vhi]
 * (vlo ≥ 1); aux tensors are named after `base`.
 */
export function planNormalise(layer: string, base: string, v: string, rowDims: number[], vlo: number, vhi: number, spec: NormaliseSpec): { plan: NormalisePlan; aux: AuxSpec[]; lookups: LookupSpec[]; tables: { exp: FunctionTable; mant: FunctionTable } } {
  if (spec.hiBits - spec.loBits !== spec.w || spec.hiBits > 16) throw new CircuitError(`layer '${layer}': bad normalisation window [2^${spec.loBits}, 2^${spec.hiBits}) for base 2^${spec.w}`, layer);
  if (!(vlo >= 1 && vhi >= vlo)) throw new CircuitError(`layer '${layer}': normalised value range [${vlo}, ${vhi}] must be positive`, layer);
  const jmin = normalisedOf(vlo, spec).j;
  const jmax = normalisedOf(vhi, spec).j;
  const jBase = jmin - 1;
  const jBits = bitsFor(jmax - jmin + 2);
  const [Pmax] = pq(Math.max(jmax, 0), spec.w);
  const [, Qmax] = pq(Math.min(jmin, 0), spec.w);
  const rb = spec.w * Math.max(jmax, 0);
  const bound = vhi * Qmax + 2 ** spec.hiBits * Pmax + Pmax;
  if (!(bound < FIELD_P) || !(2 * 2 ** Math.max(rb, 1) + 1 + Pmax < FIELD_P)) {
    throw new CircuitError(`layer '${layer}': normalisation of values up to ${vhi} could wrap mod p (worst case ${bound})`, layer);
  }
  const width = 3 + spec.nExtras;
  if (width > 8) throw new CircuitError(`layer '${layer}': exponent table too wide`, layer);
  const expRows: number[][] = [];
  for (let k = 0; k < 2 ** jBits; k++) {
    const j = k + jBase;
    if (j >= jmin && j <= jmax) {
      const ex = spec.extras(j);
      if (ex.length !== spec.nExtras) throw new CircuitError(`layer '${layer}': exponent data of wrong width`, layer);
      expRows.push([k, ...pq(j, spec.w), ...ex]);
    } else {
      expRows.push(new Array<number>(width).fill(0).map((z, c) => (c === 0 ? k : z)));
    }
  }
  const mantRows: number[][] = [];
  for (let m = 0; m < 2 ** spec.hiBits; m++) mantRows.push([m, m >= 2 ** spec.loBits ? spec.mant(m) : 0]);
  const exp = rowsTable(`normalise-exp:${base}`, expRows);
  const mant = rowsTable(`normalise-mant:${base}`, mantRows);
  const r = planLimbs(`${base}#nr`, rb, rowDims);
  const r2 = planLimbs(`${base}#nrc`, rb, rowDims);
  const plan: NormalisePlan = {
    v,
    rowDims,
    spec,
    jmin,
    jmax,
    jBase,
    m: `${base}#mant`,
    mv: `${base}#mantv`,
    jidx: `${base}#nexp`,
    P: `${base}#P`,
    Q: `${base}#Q`,
    extras: Array.from({ length: spec.nExtras }, (_, i) => `${base}#nexpv${i}`),
    r: r.limbs,
    r2: r2.limbs,
  };
  const aux: AuxSpec[] = [plan.m, plan.mv, plan.jidx, plan.P, plan.Q, ...plan.extras].map((name) => ({ name, dims: rowDims }));
  aux.push(...r.aux, ...r2.aux);
  const lookups: LookupSpec[] = [
    { table: exp, columns: [plan.jidx, plan.P, plan.Q, ...plan.extras].map((tensor) => ({ tensor })) },
    { table: mant, columns: [{ tensor: plan.m }, { tensor: plan.mv }] },
    { table: rangeTable(spec.hiBits), columns: [{ tensor: plan.m, chiOffset: -(2 ** spec.loBits) }] },
    ...r.lookups,
    ...r2.lookups,
  ];
  return { plan, aux, lookups, tables: { exp, mant } };
}

/** Aux values from V (real row values); returns the per-row exponent j for the caller. */
export function normaliseWitness(p: NormalisePlan, V: ArrayLike<number>, out: Map<string, Int32Array>): Int32Array {
  const n = V.length;
  const cols = { m: new Int32Array(n), mv: new Int32Array(n), jidx: new Int32Array(n), P: new Int32Array(n), Q: new Int32Array(n) };
  const ex = p.extras.map(() => new Int32Array(n));
  const r = new Float64Array(n);
  const r2 = new Float64Array(n);
  const js = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const { m, j } = normalisedOf(Math.max(V[i], 1), p.spec);
    const [Pj, Qj] = pq(j, p.spec.w);
    js[i] = j;
    cols.m[i] = m;
    cols.mv[i] = p.spec.mant(m);
    cols.jidx[i] = j - p.jBase;
    cols.P[i] = Pj;
    cols.Q[i] = Qj;
    p.spec.extras(j).forEach((e, c) => (ex[c][i] = e));
    r[i] = V[i] * Qj - m * Pj;
    r2[i] = Pj - 1 - r[i];
  }
  out.set(p.m, cols.m);
  out.set(p.mv, cols.mv);
  out.set(p.jidx, cols.jidx);
  out.set(p.P, cols.P);
  out.set(p.Q, cols.Q);
  p.extras.forEach((nm, c) => out.set(nm, ex[c]));
  limbWitness(p.r, r, out);
  limbWitness(p.r2, r2, out);
  return js;
}

export function runNormalise(ctx: Context, p: NormalisePlan, label: string): void {
  const rl = layoutOf(p.rowDims);
  const t = (name: string): Column => ({ kind: 'tensor', name });
  // columns: 0 χ, 1 V, 2 Q, 3 m, 4 P, then r limbs, then r2 limbs
  const cols: Column[] = [chiColumn(rl), t(p.v), t(p.Q), t(p.m), t(p.P), ...limbColumns(p.r), ...limbColumns(p.r2)];
  const r0 = 5;
  const r20 = 5 + p.r.names.length;
  zeroCheck(
    ctx,
    rl,
    cols,
    [
      [{ coef: 1, cols: [1, 2] }, { coef: -1, cols: [3, 4] }, ...limbTerms(p.r, r0, -1)],
      [...limbTerms(p.r, r0, 1), ...limbTerms(p.r2, r20, 1), { coef: 1, cols: [0] }, { coef: -1, cols: [4] }],
    ],
    `${label}/normalise`,
  );
}
