/**
 * Sum layers — proof. Every operand enters through its view U_i[j] = mult_i·x_i[map_i[j]], a linear
 * map of the source proven by the linear reduction (`circuit/reduce.ts`), which also makes every
 * view zero on padding.
 *
 * Linear mode (Add, Sub, Sum, Mean, additions of constants): acc = Σ_i U_i, y = round-half-up(acc/D)
 * — the requantisation (2·acc + D = 2D·y + rem, or y = acc when D = 1), then the reduction of
 * acc~(ρ) to claims on the inputs. No wrap: |acc| ≤ Σ_i |mult_i|·max|x_i|.
 *
 * Max/Min: acc[j] = max_i (min_i) U_i[j], y = round-half-up(acc/D): the extremum relation of
 * `window.ts` with win = #inputs over the slots (j, i), whose target is y when D = 1 and otherwise
 * a committed acc followed by the requantisation (acc~(ρ) becomes a claim on it).
 *
 * Comparisons (y = cmp(U_0, U_1) ? div : 0, with w = U_1 − U_0 for lt/le, U_0 − U_1 for gt/ge) and
 * Where (y = C ≠ 0 ? A : B) are point-wise relations, proven by one degree-3 sumcheck of
 * Σ_x eq(r,x)·R(x) = 0 over y's cube (χ the real-entry indicator, λ a challenge), whose final
 * claims on the views are reduced to their sources at the same point:
 *   lt/gt: div·g = (2y − div·χ)·w − y        le/ge: div·g = (2y − div·χ)·w + y − div·χ
 *          + λ·y·(div·χ − y) = 0,   g ∈ [0, 2^k) committed.
 *     y ∈ {0, div} (and 0 on padding); with c = y/div ∈ {0,1}, g = (2c−1)·w − c (strict) or
 *     (2c−1)·w + c − 1 is a bounded integer ≥ 0 exactly when c = [w > 0] (resp. [w ≥ 0]).
 *   eq:    (U_0 − U_1)·y = 0,  λ·(div·χ − y − div·(U_0 − U_1)·inv) = 0,  λ²·(1 − χ)·inv = 0:
 *     a non-zero difference forces y = 0, a zero one y = div (inv a committed field element).
 *   Where: z = C·inv,  λ·C·(1 − z) = 0,  λ²·(y − z·A − (1 − z)·B) = 0,  λ³·(1 − χ)·inv = 0:
 *     C = 0 forces z = 0 and y = B; C ≠ 0 forces z = 1 and y = A (z, inv committed).
 * Integers are bounded (range-checked operands, |w| + 1 < p/2), so field equalities are integer ones.
 */
import { clear, foldPublic } from '../../circuit/values.js';
import { type Ext, ext, extEquals, extMul, extNeg } from '../../field/extension.js';
import { kernels } from '../../field/active.js';
import { inv as fieldInv } from '../../field/babybear.js';
import { rangeTable } from '../../piop/lookup/tables.js';
import { type ProductTerm } from '../../piop/sumcheck.js';
import { eqEval } from '../../poly/multilinear.js';
import { chiEval, isDense, modP, paddedIndex } from '../../circuit/layout.js';
import { LIMB, concat, divCoeffs, planRequant, proveRequant, rangeLookups, requantWitness, verifyRequant, type RequantCoeffs, type RequantPlan } from '../../circuit/requant.js';
import { reduce, type ReduceTerm } from '../../circuit/reduce.js';
import { CircuitError, drawCombiner, drawPoint, type AuxSpec, type LayerProtocol, type LookupSpec, type PlanContext, type ProverContext, type VerifierContext } from '../../circuit/protocol.js';
import type { SumLayer } from '../../quantize/layers.js';
import { extremumWitness, planExtremum, proveExtremum, verifyExtremum, type ExtremumPlan } from './window.js';

type Cmp = 'lt' | 'gt' | 'le' | 'ge' | 'eq';

interface LinearPlan {
  mode: 'linear';
  rq: RequantPlan;
  coeffs: RequantCoeffs;
  terms: ReduceTerm[];
}

interface ExtremumSumPlan {
  mode: 'max' | 'min';
  ex: ExtremumPlan;
  /** requantisation of the committed acc (null when D = 1: the target is y) */
  rq: RequantPlan | null;
  coeffs: RequantCoeffs | null;
}

interface PointwisePlan {
  mode: Cmp | 'select';
  /** operand views over y's real entries */
  views: ReduceTerm[];
  /** committed auxiliary tensors (dims of y) */
  aux: string[];
}

type SumPlan = LinearPlan | ExtremumSumPlan | PointwisePlan;

export function sumAcc(L: SumLayer, xs: ArrayLike<number>[], n: number): Float64Array {
  const acc = new Float64Array(n);
  xs.forEach((x, i) => {
    const m = L.mult[i];
    const map = L.maps[i];
    for (let j = 0; j < n; j++) acc[j] += m * x[map === null ? j : map[j]];
  });
  return acc;
}

function maxAbs(r: { lo: number; hi: number }): number {
  return Math.max(Math.abs(r.lo), Math.abs(r.hi));
}

/** View i's values on y's real entries. */
function viewValues(t: ReduceTerm, x: ArrayLike<number>, n: number): Float64Array {
  const v = new Float64Array(n);
  const map = t.srcIdx;
  for (let j = 0; j < n; j++) v[j] = t.coef * x[map === null ? j : map[j]];
  return v;
}

/** Range of mult·x for x in r. */
function scaled(m: number, r: { lo: number; hi: number }): { lo: number; hi: number } {
  return { lo: Math.min(m * r.lo, m * r.hi), hi: Math.max(m * r.lo, m * r.hi) };
}

function bitsFor(span: number, layer: string, what: string): number {
  let k = 1;
  while (2 ** k <= span) k++;
  if (k > LIMB) throw new CircuitError(`layer '${layer}': ${what} spans ${span}, wider than the 2^${LIMB} range table`, layer);
  return k;
}

function integerMults(L: SumLayer): void {
  L.mult.forEach((m) => {
    if (!Number.isInteger(m)) throw new CircuitError(`layer '${L.name}': non-integer multiplier ${m}`, L.name);
  });
  if (!Number.isInteger(L.div) || L.div < 1) throw new CircuitError(`layer '${L.name}': expected a positive integer divisor, got ${L.div}`, L.name);
}

function planLinear(L: SumLayer, c: PlanContext, yd: number[], size: number) {
  let accMax = 0;
  L.inputs.forEach((nm, i) => (accMax += Math.abs(L.mult[i]) * maxAbs(c.range(nm))));
  const k = divCoeffs(1, L.div);
  const coeffs = { a: new Float64Array(size).fill(k.a), h: new Float64Array(size).fill(k.h), d: new Float64Array(size).fill(k.d) };
  const rq = planRequant(L.name, L.output, yd, c.range(L.output), coeffs, accMax);
  const terms: ReduceTerm[] = L.inputs.map((nm, i) => ({ source: nm, outIdx: null, srcIdx: L.maps[i], coef: L.mult[i] }));
  return { aux: rq.aux, lookups: rq.lookups, data: { mode: 'linear', rq: rq.plan, coeffs, terms } satisfies SumPlan };
}

function planMax(L: SumLayer, c: PlanContext, yd: number[], size: number, mode: 'max' | 'min') {
  const m = L.inputs.length;
  let lo = Infinity;
  let hi = -Infinity;
  const views: ReduceTerm[] = L.inputs.map((nm, i) => {
    const r = scaled(L.mult[i], c.range(nm));
    lo = Math.min(lo, r.lo);
    hi = Math.max(hi, r.hi);
    const outIdx = new Int32Array(size);
    const srcIdx = new Int32Array(size);
    const map = L.maps[i];
    for (let j = 0; j < size; j++) {
      outIdx[j] = j * m + i;
      srcIdx[j] = map === null ? j : map[j];
    }
    return { source: nm, outIdx, srcIdx, coef: L.mult[i] };
  });
  const direct = L.div === 1;
  const target = direct ? L.output : `${L.output}#acc`;
  const ex = planExtremum(L.name, target, yd, m, mode === 'max' ? 1 : -1, views, { lo, hi }, direct ? c.range(L.output) : null);
  if (direct) return { aux: ex.aux, lookups: ex.lookups, data: { mode, ex: ex.plan, rq: null, coeffs: null } satisfies SumPlan };
  const k = divCoeffs(1, L.div);
  const coeffs = { a: new Float64Array(size).fill(k.a), h: new Float64Array(size).fill(k.h), d: new Float64Array(size).fill(k.d) };
  const rq = planRequant(L.name, L.output, yd, c.range(L.output), coeffs, Math.max(-lo, hi));
  return {
    aux: [{ name: target, dims: yd }, ...ex.aux, ...rq.aux],
    lookups: [...ex.lookups, ...rq.lookups],
    data: { mode, ex: ex.plan, rq: rq.plan, coeffs } satisfies SumPlan,
  };
}

function planPointwise(L: SumLayer, c: PlanContext, yd: number[], mode: Cmp | 'select') {
  const want = mode === 'select' ? 3 : 2;
  if (L.inputs.length !== want) throw new CircuitError(`layer '${L.name}' (${L.op}): mode '${mode}' expects ${want} inputs, got ${L.inputs.length}`, L.name);
  const views: ReduceTerm[] = L.inputs.map((nm, i) => ({ source: nm, outIdx: null, srcIdx: L.maps[i], coef: mode === 'select' ? 1 : L.mult[i] }));
  const yr = c.range(L.output);
  const aux: AuxSpec[] = [];
  const lookups: LookupSpec[] = [];
  if (mode === 'select') {
    aux.push({ name: `${L.output}#z`, dims: yd }, { name: `${L.output}#inv`, dims: yd });
    const a = c.range(L.inputs[1]);
    const b = c.range(L.inputs[2]);
    if (!(yr.lo <= Math.min(a.lo, b.lo) && Math.max(a.hi, b.hi) <= yr.hi)) lookups.push(...rangeLookups(L.output, yr));
  } else {
    if (!(yr.lo <= L.div && L.div <= yr.hi)) throw new CircuitError(`layer '${L.name}': comparison output ${L.div} lies outside the output range [${yr.lo}, ${yr.hi}]`, L.name);
    if (mode === 'eq') aux.push({ name: `${L.output}#inv`, dims: yd });
    else {
      const span = L.inputs.reduce((s, nm, i) => s + Math.abs(L.mult[i]) * maxAbs(c.range(nm)), 0) + 1;
      const g = `${L.output}#cmp`;
      aux.push({ name: g, dims: yd });
      lookups.push({ table: rangeTable(bitsFor(span, L.name, 'the comparison gap')), columns: [{ tensor: g }] });
    }
  }
  return { aux, lookups, data: { mode, views, aux: aux.map((a) => a.name) } satisfies SumPlan };
}

function maxAcc(L: SumLayer, values: (t: string) => ArrayLike<number>, n: number, isMax: boolean): Float64Array {
  const acc = new Float64Array(n).fill(isMax ? -Infinity : Infinity);
  L.inputs.forEach((nm, i) => {
    const x = values(nm);
    const map = L.maps[i];
    for (let j = 0; j < n; j++) {
      const v = L.mult[i] * x[map === null ? j : map[j]];
      if (isMax ? v > acc[j] : v < acc[j]) acc[j] = v;
    }
  });
  return acc;
}

function pointwiseWitness(L: SumLayer, p: PointwisePlan, values: (t: string) => ArrayLike<number>): Map<string, Int32Array> {
  const y = values(L.output);
  const n = y.length;
  const v = p.views.map((t) => viewValues(t, values(t.source), n));
  const out = new Map<string, Int32Array>();
  if (p.mode === 'select') {
    const z = new Int32Array(n);
    const inv = new Int32Array(n);
    for (let j = 0; j < n; j++) {
      z[j] = v[0][j] !== 0 ? 1 : 0;
      inv[j] = v[0][j] !== 0 ? fieldInv(modP(v[0][j])) : 0;
    }
    out.set(p.aux[0], z).set(p.aux[1], inv);
  } else if (p.mode === 'eq') {
    const inv = new Int32Array(n);
    for (let j = 0; j < n; j++) inv[j] = v[0][j] !== v[1][j] ? fieldInv(modP(v[0][j] - v[1][j])) : 0;
    out.set(p.aux[0], inv);
  } else {
    const g = new Int32Array(n);
    const strict = p.mode === 'lt' || p.mode === 'gt';
    const om = p.mode === 'lt' || p.mode === 'le' ? 1 : -1;
    for (let j = 0; j < n; j++) {
      const w = om * (v[1][j] - v[0][j]);
      const c = y[j] / L.div;
      g[j] = strict ? (2 * c - 1) * w - c : (2 * c - 1) * w + c - 1;
    }
    out.set(p.aux[0], g);
  }
  return out;
}

/** The highest power of λ in `pointwiseTerms`: λ³ for Where, λ² for eq, λ for the orderings. */
function pointwiseDegree(p: PointwisePlan): number {
  return p.mode === 'select' ? 3 : p.mode === 'eq' ? 2 : 1;
}

/**
 * Terms over tables 0 eq, 1 χ, 2 y, 3… aux, then the views (see the header).
 */
function pointwiseTerms(p: PointwisePlan, div: number, lambda: Ext): ProductTerm[] {
  const c = (v: number): Ext => ext(modP(v));
  const l2 = extMul(lambda, lambda);
  const l3 = extMul(l2, lambda);
  const na = p.aux.length;
  if (p.mode === 'select') {
    // 3 z, 4 inv, 5 C, 6 A, 7 B
    return [
      { coeff: ext(1), factors: [0, 3] },
      { coeff: c(-1), factors: [0, 5, 4] },
      { coeff: lambda, factors: [0, 5] },
      { coeff: extNeg(lambda), factors: [0, 5, 3] },
      { coeff: l2, factors: [0, 2] },
      { coeff: extNeg(l2), factors: [0, 3, 6] },
      { coeff: extNeg(l2), factors: [0, 7] },
      { coeff: l2, factors: [0, 3, 7] },
      { coeff: l3, factors: [0, 4] },
      { coeff: extNeg(l3), factors: [0, 1, 4] },
    ];
  }
  const U = 3 + na;
  const V = U + 1;
  if (p.mode === 'eq') {
    // 3 inv
    return [
      { coeff: ext(1), factors: [0, U, 2] },
      { coeff: c(-1), factors: [0, V, 2] },
      { coeff: extMul(lambda, c(div)), factors: [0, 1] },
      { coeff: extNeg(lambda), factors: [0, 2] },
      { coeff: extMul(lambda, c(-div)), factors: [0, U, 3] },
      { coeff: extMul(lambda, c(div)), factors: [0, V, 3] },
      { coeff: l2, factors: [0, 3] },
      { coeff: extNeg(l2), factors: [0, 1, 3] },
    ];
  }
  // 3 g; w = om·(V − U): div·g − 2·y·w + div·χ·w ± y (∓ div·χ) = 0
  const om = p.mode === 'lt' || p.mode === 'le' ? 1 : -1;
  const strict = p.mode === 'lt' || p.mode === 'gt';
  const t: ProductTerm[] = [
    { coeff: c(div), factors: [0, 3] },
    { coeff: c(-2 * om), factors: [0, 2, V] },
    { coeff: c(2 * om), factors: [0, 2, U] },
    { coeff: c(div * om), factors: [0, 1, V] },
    { coeff: c(-div * om), factors: [0, 1, U] },
    { coeff: c(strict ? 1 : -1), factors: [0, 2] },
    { coeff: extMul(lambda, c(div)), factors: [0, 1, 2] },
    { coeff: extNeg(lambda), factors: [0, 2, 2] },
  ];
  if (!strict) t.push({ coeff: c(div), factors: [0, 1] });
  return t;
}

function padded(ctx: ProverContext, name: string, v: ArrayLike<number>): Uint32Array {
  const l = ctx.layout(name);
  const f = new Uint32Array(2 ** l.numVars);
  const idx = isDense(l) ? null : paddedIndex(l);
  for (let j = 0; j < l.size; j++) f[idx ? idx[j] : j] = modP(v[j]);
  return f;
}

function provePointwise(L: SumLayer, p: PointwisePlan, ctx: ProverContext): void {
  const label = `${L.name}/${p.mode}`;
  const l = ctx.layout(L.output);
  const r = drawPoint(ctx, `${label}/r`, l.numVars);
  const lambda = drawCombiner(ctx, `${label}/lambda`, pointwiseDegree(p));
  const chi = new Uint32Array(2 ** l.numVars);
  if (isDense(l)) chi.fill(1, 0, l.size);
  else for (const q of paddedIndex(l)) chi[q] = 1;
  const views = p.views.map((t) => padded(ctx, L.output, viewValues(t, ctx.values(t.source), l.size)));
  const tables = [kernels().eqTable(r), chi, ctx.field(L.output), ...p.aux.map((a) => ctx.field(a)), ...views];
  const sc = ctx.sumcheck({ numVars: l.numVars, degree: 3, tables, terms: pointwiseTerms(p, L.div, lambda) }, label);
  ctx.assert(extEquals(sc.claimedSum, ext()), `layer '${L.name}': internal error, the ${p.mode} relation does not hold`);
  const sent = sc.finalEvals.slice(2);
  ctx.send(`${label}/evals`, concat(sent));
  ctx.finalCheck(label, foldPublic(pointwiseTerms(p, L.div, lambda), [sc.finalEvals[0], sc.finalEvals[1], ...sent.map(() => null)]), sent);
  ctx.claim(L.output, sc.point, sent[0]);
  p.aux.forEach((a, i) => ctx.claim(a, sc.point, sent[1 + i]));
  p.views.forEach((t, i) => {
    const v = reduce(ctx, l, sc.point, [t], `${label}/view${i}`);
    ctx.assert(extEquals(clear(v), sent[1 + p.aux.length + i]), `layer '${L.name}': internal error in operand view ${i}`);
  });
}

function verifyPointwise(L: SumLayer, p: PointwisePlan, ctx: VerifierContext): void {
  const label = `${L.name}/${p.mode}`;
  const l = ctx.layout(L.output);
  const r = drawPoint(ctx, `${label}/r`, l.numVars);
  const lambda = drawCombiner(ctx, `${label}/lambda`, pointwiseDegree(p));
  const { point, finalClaim } = ctx.sumcheck(l.numVars, 3, ext(), label);
  const k = 1 + p.aux.length + p.views.length;
  const sent = ctx.recv(`${label}/evals`, k);
  const terms = foldPublic(pointwiseTerms(p, L.div, lambda), [eqEval(r, point), chiEval(l, point), ...sent.map(() => null)]);
  ctx.finalCheck(label, finalClaim, terms, sent, 'PointwiseMismatch', `layer '${L.name}': ${p.mode} relation check failed at the sumcheck point`);
  ctx.claim(L.output, point, sent[0]);
  p.aux.forEach((a, i) => ctx.claim(a, point, sent[1 + i]));
  p.views.forEach((t, i) => {
    const v = reduce(ctx, l, point, [t], `${label}/view${i}`);
    ctx.equal(v, sent[1 + p.aux.length + i], 'CopyMismatch', `layer '${L.name}': operand view ${i} does not match its source '${t.source}'`);
  });
}

export const sumProof: LayerProtocol<SumLayer> = {
  plan(L, c) {
    integerMults(L);
    const yd = c.dims(L.output);
    const size = yd.reduce((a, b) => a * b, 1);
    if (L.maps.length !== L.inputs.length || L.mult.length !== L.inputs.length) throw new CircuitError(`layer '${L.name}': expected one map and one multiplier per input`, L.name);
    if (!L.mode) return planLinear(L, c, yd, size);
    if (L.mode === 'max' || L.mode === 'min') return planMax(L, c, yd, size, L.mode);
    if (L.mode === 'select' || L.mode === 'lt' || L.mode === 'gt' || L.mode === 'le' || L.mode === 'ge' || L.mode === 'eq') return planPointwise(L, c, yd, L.mode);
    throw new CircuitError(`layer '${L.name}' (${L.op}): unknown sum mode '${String(L.mode)}'`, L.name);
  },
  witness(L, plan, values) {
    const p = plan.data as SumPlan;
    const y = values(L.output);
    if (p.mode === 'linear') return requantWitness(p.rq, p.coeffs, sumAcc(L, L.inputs.map(values), y.length), y);
    if ('ex' in p) {
      if (!p.rq) return extremumWitness(p.ex, values, y);
      const acc = maxAcc(L, values, y.length, p.mode === 'max');
      const out = extremumWitness(p.ex, values, acc);
      out.set(p.ex.target, Int32Array.from(acc));
      for (const [k, v] of requantWitness(p.rq, p.coeffs!, acc, y)) out.set(k, v);
      return out;
    }
    return pointwiseWitness(L, p, values);
  },
  prove(L, plan, ctx) {
    const p = plan.data as SumPlan;
    if ('ex' in p) {
      if (p.rq) {
        const rq = proveRequant(ctx, p.rq, p.coeffs!, ctx.values(p.ex.target), L.name);
        ctx.claim(p.ex.target, rq.point, rq.acc);
      }
      return proveExtremum(ctx, p.ex, `${L.name}/${p.mode}`);
    }
    if (p.mode !== 'linear') return provePointwise(L, p, ctx);
    const y = ctx.values(L.output);
    const rq = proveRequant(ctx, p.rq, p.coeffs, sumAcc(L, L.inputs.map((n) => ctx.values(n)), y.length), L.name);
    const v = reduce(ctx, ctx.layout(L.output), rq.point, p.terms, L.name);
    ctx.assert(extEquals(clear(v), rq.acc), `layer '${L.name}': internal error, the reduction does not match the accumulator`);
  },
  verify(L, plan, ctx) {
    const p = plan.data as SumPlan;
    if ('ex' in p) {
      if (p.rq) {
        const rq = verifyRequant(ctx, p.rq, p.coeffs!, L.name);
        ctx.claim(p.ex.target, rq.point, rq.acc);
      }
      return verifyExtremum(ctx, p.ex, `${L.name}/${p.mode}`);
    }
    if (p.mode !== 'linear') return verifyPointwise(L, p, ctx);
    const rq = verifyRequant(ctx, p.rq, p.coeffs, L.name);
    const v = reduce(ctx, ctx.layout(L.output), rq.point, p.terms, L.name);
    ctx.equal(v, rq.acc, 'SumMismatch', `layer '${L.name}': Σ mult·x does not match the accumulator claim`);
  },
};
