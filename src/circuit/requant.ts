/**
 * The requantisation relation shared by every rescaling layer (PROTOCOL-NOTES §7), per real
 * output element x:
 *
 *   a(x)·acc(x) + h(x) = d(x)·y(x) + rem(x),   0 ≤ rem(x) < d(x),   y(x) ∈ [lo, hi],
 *
 * with public per-element integers a, h, d (e.g. a = 1, h = 2^(s−1), d = 2^s for a shift s > 0;
 * a = 2^(−s), h = 0, d = 1 for s ≤ 0; a = 2, h = D, d = 2D for a division by D), so y is exactly
 * round-half-up(a·acc / d) — the integer kernels' semantics. The remainder is range-checked in
 * [0, 2^b) (2^b ≥ max d, as 16-bit limbs when b > 16) and, when d is not 2^b everywhere, so is
 * rem2 = d − 1 − rem, which gives rem < d. y is range-checked in [lo, hi].
 *
 * Proof: after the witness commitment, draw r and λ, and run one degree-3 sumcheck of
 *   0 = Σ_x eq(r,x)·[ a·acc + h − d·y − rem + λ·(1 − χ)·rem + λ²·(rem + rem2 − (d − 1)·χ) ]
 * (a = h = 0, d = 1 on padding, so padding entries of y and rem are proven zero). At its point ρ
 * the prover sends acc~(ρ), y~(ρ), rem~(ρ), rem2~(ρ); the verifier evaluates the public a, h, d, χ
 * itself, checks the final claim, and hands acc~(ρ) back to the layer, which proves it.
 *
 * No wrap: the caller passes a bound on |acc|; with range-checked y and rem, |lhs| + |rhs| ≤
 * max|a|·accMax + max h + max d·max(|lo|, |hi|) + max d, which must stay below p (DESIGN §3).
 */
import { inv, mul, P } from '../field/babybear.js';
import { type Ext, ext, extEquals, extMul, extNeg, extSub } from '../field/extension.js';
import { kernels } from '../field/active.js';
import { rangeTable } from '../piop/lookup/tables.js';
import { type ProductTerm } from '../piop/sumcheck.js';
import { eqEval, type Point } from '../poly/multilinear.js';
import { modP, paddedIndex, isDense, type Layout } from './layout.js';
import { foldPublic, type Val } from './values.js';
import { CircuitError, drawCombiner, drawPoint, type AuxSpec, type LookupSpec, type ProverContext, type VerifierContext } from './protocol.js';

export const LIMB = 16;

export interface RequantCoeffs {
  a: ArrayLike<number>;
  h: ArrayLike<number>;
  d: ArrayLike<number>;
}

export interface RequantPlan {
  out: string;
  dims: number[];
  /** bits of each remainder limb, lowest first (empty when d = 1 everywhere) */
  parts: number[];
  /** whether rem2 = d − 1 − rem is committed */
  upper: boolean;
  rem: string[];
  rem2: string[];
}

/** Per-element coefficients of one column pattern broadcast over leading rows. */
export function columnCoeffs(size: number, perCol: { a: number[]; h: number[]; d: number[] }): RequantCoeffs {
  const N = perCol.a.length;
  const a = new Float64Array(size);
  const h = new Float64Array(size);
  const d = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const c = i % N;
    a[i] = perCol.a[c];
    h[i] = perCol.h[c];
    d[i] = perCol.d[c];
  }
  return { a, h, d };
}

/** (a, h, d) of a round-half-up shift by s (s ≤ 0: exact multiplication by 2^(−s)). */
export function shiftCoeffs(s: number): { a: number; h: number; d: number } {
  return s > 0 ? { a: 1, h: 2 ** (s - 1), d: 2 ** s } : { a: 2 ** -s, h: 0, d: 1 };
}

/** (a, h, d) of round-half-up(num / D) written as 2·num + D = 2D·y + rem. */
export function divCoeffs(mult: number, D: number): { a: number; h: number; d: number } {
  return D === 1 ? { a: mult, h: 0, d: 1 } : { a: 2 * mult, h: D, d: 2 * D };
}

/**
 * Plans the relation for output `out` (dims, range [lo, hi]); `accMax` bounds |acc| over the
 * integers. Throws a CircuitError naming the layer when the relation could wrap mod p.
 */
export function planRequant(
  layer: string,
  out: string,
  dims: number[],
  range: { lo: number; hi: number },
  coeffs: RequantCoeffs,
  accMax: number,
): { plan: RequantPlan; aux: AuxSpec[]; lookups: LookupSpec[] } {
  let dMax = 1;
  let aMax = 0;
  let hMax = 0;
  let uniform = true;
  for (let i = 0; i < coeffs.d.length; i++) {
    const d = coeffs.d[i];
    if (!Number.isInteger(d) || d < 1 || !Number.isInteger(coeffs.a[i]) || !Number.isInteger(coeffs.h[i])) {
      throw new CircuitError(`layer '${layer}': requantisation coefficients must be integers with d ≥ 1`, layer);
    }
    dMax = Math.max(dMax, d);
    aMax = Math.max(aMax, Math.abs(coeffs.a[i]));
    hMax = Math.max(hMax, Math.abs(coeffs.h[i]));
  }
  let b = 0;
  while (2 ** b < dMax) b++;
  for (let i = 0; i < coeffs.d.length; i++) if (coeffs.d[i] !== 2 ** b) uniform = false;
  if (b > 2 * LIMB) throw new CircuitError(`layer '${layer}': divisor ${dMax} needs more than ${2 * LIMB} bits`, layer);
  const parts = b === 0 ? [] : b <= LIMB ? [b] : [LIMB, b - LIMB];
  const yMax = Math.max(Math.abs(range.lo), Math.abs(range.hi));
  const bound = aMax * accMax + hMax + dMax * yMax + dMax;
  if (!(bound < P)) {
    throw new CircuitError(`layer '${layer}': worst-case |lhs| + |rhs| of the requantisation is ${bound} ≥ p = ${P}, so the relation could wrap mod p (reduce the fan-in or the scale gap)`, layer);
  }
  if (!(range.lo <= 0 && range.hi >= 0)) throw new CircuitError(`layer '${layer}': output range [${range.lo}, ${range.hi}] must contain 0`, layer);
  const upper = !uniform && b > 0;
  const rem = parts.map((_, p) => `${out}#rem${p}`);
  const rem2 = upper ? parts.map((_, p) => `${out}#remc${p}`) : [];
  const aux: AuxSpec[] = [...rem, ...rem2].map((name) => ({ name, dims }));
  const lookups: LookupSpec[] = [];
  [...rem, ...rem2].forEach((name, i) => lookups.push({ table: rangeTable(parts[i % parts.length]), columns: [{ tensor: name }] }));
  lookups.push(...rangeLookups(out, range));
  return { plan: { out, dims, parts, upper, rem, rem2 }, aux, lookups };
}

/** y ∈ [lo, hi] (lo ≤ 0 ≤ hi): y − lo ∈ [0, 2^k) and, unless hi − lo + 1 = 2^k, hi − y ∈ [0, 2^k). */
export function rangeLookups(tensor: string, range: { lo: number; hi: number }): LookupSpec[] {
  const span = range.hi - range.lo + 1;
  let k = 0;
  while (2 ** k < span) k++;
  if (k > LIMB) throw new CircuitError(`tensor '${tensor}': range [${range.lo}, ${range.hi}] is wider than 2^${LIMB}`);
  const out: LookupSpec[] = [{ table: rangeTable(k), columns: [{ tensor, constOffset: -range.lo }] }];
  if (2 ** k !== span) out.push({ table: rangeTable(k), columns: [{ tensor, sign: -1, constOffset: range.hi }] });
  return out;
}

/** Remainders (and rem2) from acc and y. */
export function requantWitness(plan: RequantPlan, coeffs: RequantCoeffs, acc: ArrayLike<number>, y: ArrayLike<number>): Map<string, Int32Array> {
  const n = y.length;
  const out = new Map<string, Int32Array>();
  if (plan.parts.length === 0) return out;
  const rem = plan.rem.map(() => new Int32Array(n));
  const rem2 = plan.rem2.map(() => new Int32Array(n));
  for (let i = 0; i < n; i++) {
    const r = coeffs.a[i] * acc[i] + coeffs.h[i] - coeffs.d[i] * y[i];
    split(r, rem, i);
    if (plan.upper) split(coeffs.d[i] - 1 - r, rem2, i);
  }
  plan.rem.forEach((nm, p) => out.set(nm, rem[p]));
  plan.rem2.forEach((nm, p) => out.set(nm, rem2[p]));
  return out;
}

function split(v: number, parts: Int32Array[], i: number): void {
  if (parts.length === 1) parts[0][i] = v;
  else {
    parts[0][i] = v % 2 ** LIMB;
    parts[1][i] = Math.floor(v / 2 ** LIMB);
  }
}

/** Public tables on the padded layout: A, H, D, 1 − χ, (d − 1)·χ. */
function publicTables(l: Layout, c: RequantCoeffs): Uint32Array[] {
  const n = 2 ** l.numVars;
  const A = new Uint32Array(n);
  const H = new Uint32Array(n);
  const D = new Uint32Array(n).fill(1);
  const NC = new Uint32Array(n).fill(1);
  const DM1 = new Uint32Array(n);
  const idx = isDense(l) ? null : paddedIndex(l);
  for (let j = 0; j < l.size; j++) {
    const p = idx ? idx[j] : j;
    A[p] = modP(c.a[j]);
    H[p] = modP(c.h[j]);
    D[p] = modP(c.d[j]);
    NC[p] = 0;
    DM1[p] = modP(c.d[j] - 1);
  }
  return [A, H, D, NC, DM1];
}

/** The highest power of λ in `terms`: λ² with rem2, λ with a remainder, none without. */
function lambdaDegree(plan: RequantPlan): number {
  return plan.upper ? 2 : plan.parts.length > 0 ? 1 : 0;
}

function terms(plan: RequantPlan, lambda: Ext): ProductTerm[] {
  // tables: 0 eq, 1 A, 2 acc, 3 H, 4 D, 5 y, 6 NC, 7 DM1, 8.. rem parts, then rem2 parts
  const one = ext(1);
  const t: ProductTerm[] = [
    { coeff: one, factors: [0, 1, 2] },
    { coeff: one, factors: [0, 3] },
    { coeff: extNeg(one), factors: [0, 4, 5] },
  ];
  const l2 = extMul(lambda, lambda);
  const np = plan.parts.length;
  plan.parts.forEach((_, p) => {
    const w = ext(2 ** (LIMB * p) % P);
    const self = plan.upper ? extSub(l2, one) : extNeg(one);
    t.push({ coeff: extMul(self, w), factors: [0, 8 + p] });
    t.push({ coeff: extMul(lambda, w), factors: [0, 6, 8 + p] });
    if (plan.upper) t.push({ coeff: extMul(l2, w), factors: [0, 8 + np + p] });
  });
  if (plan.upper) t.push({ coeff: extNeg(l2), factors: [0, 7] });
  return t;
}

/**
 * The accumulator the committed y and remainder imply, acc = (d·y + rem − h)·a⁻¹ in the field, so a
 * layer need not recompute its accumulator to prove it (and a forged y or rem reaches the layer's
 * own product check instead of stopping here).
 */
function impliedAcc(ctx: ProverContext, plan: RequantPlan, coeffs: RequantCoeffs, l: Layout): Uint32Array {
  const y = ctx.values(plan.out);
  const parts = plan.rem.map((n) => ctx.values(n));
  const out = new Uint32Array(2 ** l.numVars);
  const idx = isDense(l) ? null : paddedIndex(l);
  let lastA = 1;
  let invA = 1;
  for (let j = 0; j < l.size; j++) {
    let rem = 0;
    for (let p = 0; p < parts.length; p++) rem += parts[p][j] * 2 ** (LIMB * p);
    const a = coeffs.a[j];
    if (a !== lastA) {
      lastA = a;
      invA = inv(modP(a));
    }
    const v = modP(coeffs.d[j] * y[j] + rem - coeffs.h[j]);
    out[idx ? idx[j] : j] = a === 1 ? v : mul(v, invA);
  }
  return out;
}

/**
 * Proves the relation; returns the point ρ and acc~(ρ), which the layer must prove. `acc` is the
 * layer's accumulator, or null to use the one the committed y and remainder imply.
 */
export function proveRequant(ctx: ProverContext, plan: RequantPlan, coeffs: RequantCoeffs, acc: ArrayLike<number> | null, label: string): { point: Point; acc: Ext } {
  const l = ctx.layout(plan.out);
  const r = drawPoint(ctx, `${label}/requant/r`, l.numVars);
  const lambda = drawCombiner(ctx, `${label}/requant/lambda`, lambdaDegree(plan));
  let accField: Uint32Array;
  if (acc === null) accField = impliedAcc(ctx, plan, coeffs, l);
  else {
    accField = new Uint32Array(2 ** l.numVars);
    const idx = isDense(l) ? null : paddedIndex(l);
    for (let j = 0; j < l.size; j++) accField[idx ? idx[j] : j] = modP(acc[j]);
  }
  const [A, H, D, NC, DM1] = publicTables(l, coeffs);
  const tables = [kernels().eqTable(r), A, accField, H, D, ctx.field(plan.out), NC, DM1, ...plan.rem.map((n) => ctx.field(n)), ...plan.rem2.map((n) => ctx.field(n))];
  const sc = ctx.sumcheck({ numVars: l.numVars, degree: 3, tables, terms: terms(plan, lambda) }, `${label}/requant`);
  ctx.assert(extEquals(sc.claimedSum, ext()), `${label}: requantisation relation does not hold (internal error: the witness is inconsistent)`);
  const sent = [sc.finalEvals[2], sc.finalEvals[5], ...sc.finalEvals.slice(8)];
  ctx.send(`${label}/requant/evals`, concat(sent));
  ctx.finalCheck(`${label}/requant`, foldPublic(terms(plan, lambda), sc.finalEvals.map((e, i) => (i === 2 || i === 5 || i >= 8 ? null : e))), sent);
  ctx.claim(plan.out, sc.point, sc.finalEvals[5]);
  [...plan.rem, ...plan.rem2].forEach((n, i) => ctx.claim(n, sc.point, sc.finalEvals[8 + i]));
  return { point: sc.point, acc: sc.finalEvals[2] };
}

export function verifyRequant(ctx: VerifierContext, plan: RequantPlan, coeffs: RequantCoeffs, label: string): { point: Point; acc: Val } {
  const l = ctx.layout(plan.out);
  const r = drawPoint(ctx, `${label}/requant/r`, l.numVars);
  const lambda = drawCombiner(ctx, `${label}/requant/lambda`, lambdaDegree(plan));
  const { point, finalClaim } = ctx.sumcheck(l.numVars, 3, ext(), `${label}/requant`);
  const nAux = plan.rem.length + plan.rem2.length;
  const got = ctx.recv(`${label}/requant/evals`, 2 + nAux);
  const eqTab = kernels().eqTable(point);
  const pubs = publicTables(l, coeffs).map((t) => kernels().extDotBase(eqTab, t));
  const publics = [eqEval(r, point), pubs[0], null, pubs[1], pubs[2], null, pubs[3], pubs[4], ...Array<null>(nAux).fill(null)];
  ctx.finalCheck(`${label}/requant`, finalClaim, foldPublic(terms(plan, lambda), publics), got, 'RequantMismatch', `${label}: requantisation check failed at the sumcheck point`);
  ctx.claim(plan.out, point, got[1]);
  [...plan.rem, ...plan.rem2].forEach((n, i) => ctx.claim(n, point, got[2 + i]));
  return { point, acc: got[0] };
}

export function concat(xs: Uint32Array[]): Uint32Array {
  const out = new Uint32Array(xs.reduce((s, x) => s + x.length, 0));
  let o = 0;
  for (const x of xs) {
    out.set(x, o);
    o += x.length;
  }
  return out;
}

