/**
 * Window layers (pooling and reductions) — proof, and the extremum relation that `sum.ts` reuses
 * for Max/Min.
 *
 * Sum mode (AveragePool, GlobalAveragePool, ReduceMean/ReduceSum): per output j,
 *   acc[j] = Σ_{w < win, map[j·win+w] ≥ 0} x[map[j·win+w]],
 *   y = round-half-up(acc·mult / (div·count_j))   (2·mult·acc + D_j = 2·D_j·y + rem, D_j = div·count_j)
 * proven as the requantisation with per-element D_j, then the linear reduction of acc~(ρ) over the
 * window map to claims on x. No wrap: |acc| ≤ win·max|x|.
 *
 * Max/min mode (MaxPool, GlobalMaxPool, ReduceMax/ReduceMin): y[j] = max (min) of the valid
 * candidates X'[j,w] = x[map[j·win+w]] (map ≥ 0), and 0 for a window with none (windowKernel).
 * The extremum relation, for a target t of dims D (n entries) and candidates given as a linear view
 * X' of the sources (`views`), selectable slots V[j,w] ∈ {0,1} (the candidates, plus slot (j,0)
 * with X' = 0 for a window with no candidate), σ = +1 (max) or −1 (min), and committed δ, s of
 * dims [...D, win]:
 *   (a) δ = σ·(V·t[j] − X')    on the whole padded cube (linear reduction at the point below)
 *   (b) δ ∈ [0, 2^k), s ∈ {0,1}                     (range lookups)
 *   (c) (1 − V)·s = 0          s only on selectable slots (so zero on padding)
 *   (d) Σ_w s[j,w] = χ(j)      one selected slot per real j, none on padding
 *   (e) Σ_w s[j,w]·δ[j,w] = 0  the selected slot attains t
 *   (f) (1 − χ(j))·t[j] = 0    t is zero on padding
 * proven by one degree-3 sumcheck over the cube of δ, with E = eq(r_j, j) and EQ = eq(r, ·):
 *   Σ_x E·(s·δ + λ·s + λ²·Z·T) + λ³·EQ·(1 − V)·s = λ·χ~(r_j),   Z = (1 − χ(j))·[w = 0], T = t[j],
 * after which (a) is checked at the sumcheck's point σ by the linear reduction.
 * Sound: s ∈ {0,1} and Σ_w s ≤ win < p, so (d) selects exactly one slot w*, selectable by (c);
 * (e) is then the single term δ[j,w*] = 0, so t ≡ X'[j,w*] (or 0 for an empty window), a bounded
 * integer; by (a), (b) every selectable σ·(t − X'[j,w]), an integer of size below the candidate
 * span, is ≡ δ ∈ [0, 2^k), hence ≥ 0 over the integers: t is the max (min). The target needs no
 * range check of its own unless its declared range is narrower than the candidates'. The span
 * must fit one range table: 2^k > span, k ≤ 16 (a CircuitError otherwise).
 */
import { clear, foldPublic } from '../../circuit/values.js';
import { P } from '../../field/babybear.js';
import { type Ext, ext, extEquals, extMul, extOneMinus } from '../../field/extension.js';
import { kernels } from '../../field/active.js';
import { rangeTable } from '../../piop/lookup/tables.js';
import { type ProductTerm } from '../../piop/sumcheck.js';
import { eqEval, type Point } from '../../poly/multilinear.js';
import { chiEval, isDense, layoutOf, nextPow2, paddedIndex, type Layout } from '../../circuit/layout.js';
import { LIMB, planRequant, proveRequant, rangeLookups, requantWitness, verifyRequant, concat, type RequantCoeffs, type RequantPlan } from '../../circuit/requant.js';
import { reduce, type ReduceTerm } from '../../circuit/reduce.js';
import { CircuitError, drawCombiner, drawPoint, type AuxSpec, type Context, type LayerProtocol, type LookupSpec, type ProverContext, type VerifierContext } from '../../circuit/protocol.js';
import type { WindowLayer } from '../../quantize/layers.js';

// ------------------------------------------------------------------ the extremum relation

export interface ExtremumPlan {
  target: string;
  dims: number[];
  win: number;
  sign: 1 | -1;
  /** candidate views X' (explicit outIdx = slot j·win + w, srcIdx = source index; coef) */
  views: ReduceTerm[];
  /** selectable slots (real row-major over [n, win]) */
  valid: Uint8Array;
  delta: string;
  sel: string;
}

/**
 * Plans the relation. `cand` bounds the candidate values; `targetRange`, when given, is the
 * declared range of the target, range-checked unless every possible value already lies in it.
 */
export function planExtremum(
  layer: string,
  target: string,
  dims: number[],
  win: number,
  sign: 1 | -1,
  views: ReduceTerm[],
  cand: { lo: number; hi: number },
  targetRange: { lo: number; hi: number } | null,
): { plan: ExtremumPlan; aux: AuxSpec[]; lookups: LookupSpec[] } {
  const n = dims.reduce((a, b) => a * b, 1);
  if (!(win >= 1)) throw new CircuitError(`layer '${layer}': expected a window of at least one slot, got ${win}`, layer);
  const valid = new Uint8Array(n * win);
  for (const v of views) {
    const o = v.outIdx;
    if (!o || !v.srcIdx) throw new CircuitError(`layer '${layer}': extremum candidates need explicit slot and source indices`, layer);
    for (let k = 0; k < o.length; k++) valid[o[k]] = 1;
  }
  let empty = false;
  for (let j = 0; j < n; j++) {
    let any = 0;
    for (let w = 0; w < win; w++) any |= valid[j * win + w];
    if (!any) {
      valid[j * win] = 1; // slot (j, 0) with X' = 0: the kernel's 0 for an empty window
      empty = true;
    }
  }
  const lo = empty ? Math.min(cand.lo, 0) : cand.lo;
  const hi = empty ? Math.max(cand.hi, 0) : cand.hi;
  let k = 1;
  while (2 ** k <= hi - lo) k++;
  if (k > LIMB) throw new CircuitError(`layer '${layer}': candidates span [${lo}, ${hi}], wider than the 2^${LIMB} range table`, layer);
  const delta = `${target}#delta`;
  const sel = `${target}#sel`;
  const auxDims = [...dims, win];
  const lookups: LookupSpec[] = [
    { table: rangeTable(k), columns: [{ tensor: delta }] },
    { table: rangeTable(1), columns: [{ tensor: sel }] },
  ];
  if (targetRange && !(targetRange.lo <= lo && hi <= targetRange.hi)) lookups.push(...rangeLookups(target, targetRange));
  return { plan: { target, dims, win, sign, views, valid, delta, sel }, aux: [{ name: delta, dims: auxDims }, { name: sel, dims: auxDims }], lookups };
}

/** δ and s from the candidates and the target values t. */
export function extremumWitness(p: ExtremumPlan, values: (tensor: string) => ArrayLike<number>, t: ArrayLike<number>): Map<string, Int32Array> {
  const { win, valid, sign } = p;
  const n = t.length;
  const cand = new Float64Array(n * win);
  for (const v of p.views) {
    const src = values(v.source);
    const o = v.outIdx!;
    const s = v.srcIdx!;
    for (let k = 0; k < o.length; k++) cand[o[k]] += v.coef * src[s[k]];
  }
  const delta = new Int32Array(n * win);
  const sel = new Int32Array(n * win);
  for (let j = 0; j < n; j++) {
    let chosen = -1;
    for (let w = 0; w < win; w++) {
      const i = j * win + w;
      if (!valid[i]) continue;
      delta[i] = sign * (t[j] - cand[i]);
      if (chosen < 0 && delta[i] === 0) chosen = i;
    }
    if (chosen >= 0) sel[chosen] = 1;
  }
  return new Map([
    [p.delta, delta],
    [p.sel, sel],
  ]);
}

// tables: 0 EQ, 1 E, 2 s, 3 δ, 4 1 − V, 5 Z, 6 T
function extremumTerms(lambda: Ext): ProductTerm[] {
  const l2 = extMul(lambda, lambda);
  return [
    { coeff: ext(1), factors: [1, 2, 3] },
    { coeff: lambda, factors: [1, 2] },
    { coeff: l2, factors: [1, 5, 6] },
    { coeff: extMul(l2, lambda), factors: [0, 4, 2] },
  ];
}

interface Shape {
  tl: Layout;
  al: Layout;
  nW: number;
  Wp: number;
}

function shapeOf(ctx: Context, p: ExtremumPlan): Shape {
  const tl = ctx.layout(p.target);
  const al = ctx.layout(p.delta);
  const Wp = nextPow2(p.win);
  const nW = Math.log2(Wp);
  if (al.numVars !== tl.numVars + nW) throw new Error(`extremum: aux layout of ${al.numVars} variables does not extend the target's ${tl.numVars}`);
  return { tl, al, nW, Wp };
}

/** Padded index of every selectable slot. */
function validPadded(p: ExtremumPlan, s: Shape): Int32Array {
  const jIdx = isDense(s.tl) ? null : paddedIndex(s.tl);
  const out: number[] = [];
  for (let i = 0; i < p.valid.length; i++) {
    if (!p.valid[i]) continue;
    const j = Math.floor(i / p.win);
    out.push((jIdx ? jIdx[j] : j) * s.Wp + (i % p.win));
  }
  return Int32Array.from(out);
}

/** The terms of (a): δ = σ·V·t[j] − σ·X'. */
function deltaTerms(p: ExtremumPlan): ReduceTerm[] {
  const outIdx: number[] = [];
  const srcIdx: number[] = [];
  for (let i = 0; i < p.valid.length; i++) {
    if (p.valid[i]) {
      outIdx.push(i);
      srcIdx.push(Math.floor(i / p.win));
    }
  }
  const tTerm: ReduceTerm = { source: p.target, outIdx: Int32Array.from(outIdx), srcIdx: Int32Array.from(srcIdx), coef: p.sign };
  return [tTerm, ...p.views.map((v) => ({ ...v, coef: -p.sign * v.coef }))];
}

function challenges(ctx: Context, s: Shape, label: string): { r: Point; rj: Point; lambda: Ext } {
  const r = drawPoint(ctx, `${label}/r`, s.al.numVars);
  const lambda = drawCombiner(ctx, `${label}/lambda`, 3); // terms up to λ³ (`extremumTerms`)
  return { r, rj: r.subarray(4 * s.nW), lambda };
}

export function proveExtremum(ctx: ProverContext, p: ExtremumPlan, label: string): void {
  const s = shapeOf(ctx, p);
  const { r, rj, lambda } = challenges(ctx, s, label);
  const K = kernels();
  const size = 2 ** s.al.numVars;
  const nJ = 2 ** s.tl.numVars;
  const eqJ = K.eqTable(rj);
  const E = new Uint32Array(4 * size);
  const T = new Uint32Array(size);
  const Z = new Uint32Array(size);
  const tf = ctx.field(p.target);
  const chi = new Uint8Array(nJ);
  if (isDense(s.tl)) chi.fill(1, 0, s.tl.size);
  else for (const q of paddedIndex(s.tl)) chi[q] = 1;
  for (let j = 0; j < nJ; j++) {
    const e = eqJ.subarray(4 * j, 4 * j + 4);
    for (let w = 0; w < s.Wp; w++) {
      E.set(e, 4 * (j * s.Wp + w));
      T[j * s.Wp + w] = tf[j];
    }
    Z[j * s.Wp] = 1 - chi[j];
  }
  const NV = new Uint32Array(size).fill(1);
  for (const q of validPadded(p, s)) NV[q] = 0;
  const tables = [K.eqTable(r), E, ctx.field(p.sel), ctx.field(p.delta), NV, Z, T];
  const sc = ctx.sumcheck({ numVars: s.al.numVars, degree: 3, tables, terms: extremumTerms(lambda) }, label);
  ctx.assert(extEquals(sc.claimedSum, extMul(lambda, chiEval(s.tl, rj))), `${label}: internal error, the selector witness is inconsistent`);
  const sigma = sc.point;
  const sj = sigma.subarray(4 * s.nW);
  const sent = [sc.finalEvals[2], sc.finalEvals[3], sc.finalEvals[6]];
  ctx.send(`${label}/evals`, concat(sent));
  ctx.finalCheck(label, foldPublic(extremumTerms(lambda), sc.finalEvals.map((e, i) => (i === 2 || i === 3 || i === 6 ? null : e))), sent);
  ctx.claim(p.sel, sigma, sc.finalEvals[2]);
  ctx.claim(p.delta, sigma, sc.finalEvals[3]);
  ctx.claim(p.target, sj, sc.finalEvals[6]);
  const v = reduce(ctx, s.al, sigma, deltaTerms(p), `${label}/delta`);
  ctx.assert(extEquals(clear(v), sc.finalEvals[3]), `${label}: internal error, the differences do not match the candidates`);
}

export function verifyExtremum(ctx: VerifierContext, p: ExtremumPlan, label: string): void {
  const s = shapeOf(ctx, p);
  const { r, rj, lambda } = challenges(ctx, s, label);
  const { point: sigma, finalClaim } = ctx.sumcheck(s.al.numVars, 3, extMul(lambda, chiEval(s.tl, rj)), label);
  const got = ctx.recv(`${label}/evals`, 3);
  const [sv, dv, tv] = got;
  const sw = sigma.subarray(0, 4 * s.nW);
  const sj = sigma.subarray(4 * s.nW);
  const eqS = kernels().eqTable(sigma);
  // Σ over the valid slots of eq(σ, q): per-coordinate sums stay below 2^53, reduced once
  const acc = [0, 0, 0, 0];
  for (const q of validPadded(p, s)) {
    for (let c = 0; c < 4; c++) {
      acc[c] += eqS[4 * q + c];
      if (acc[c] >= 2 ** 52) acc[c] %= P;
    }
  }
  const vEval = Uint32Array.from(acc, (v) => v % P);
  let w0: Ext = ext(1);
  for (let i = 0; i < s.nW; i++) w0 = extMul(w0, extOneMinus(sw.subarray(4 * i, 4 * i + 4)));
  const zEval = extMul(extOneMinus(chiEval(s.tl, sj)), w0);
  const publics = [eqEval(r, sigma), eqEval(rj, sj), null, null, extOneMinus(vEval), zEval, null];
  ctx.finalCheck(label, finalClaim, foldPublic(extremumTerms(lambda), publics), got, 'SelectorMismatch', `${label}: selector check failed at the sumcheck point`);
  ctx.claim(p.sel, sigma, sv);
  ctx.claim(p.delta, sigma, dv);
  ctx.claim(p.target, sj, tv);
  const v = reduce(ctx, s.al, sigma, deltaTerms(p), `${label}/delta`);
  ctx.equal(v, dv, 'SelectorMismatch', `${label}: differences do not match target − candidates`);
}


// ------------------------------------------------------------------ window layers

interface SumWindowPlan {
  mode: 'sum';
  rq: RequantPlan;
  coeffs: RequantCoeffs;
  term: ReduceTerm;
}

interface ExtremumWindowPlan {
  mode: 'max' | 'min';
  ex: ExtremumPlan;
}

type WindowPlan = SumWindowPlan | ExtremumWindowPlan;

export function windowAcc(L: WindowLayer, x: ArrayLike<number>, n: number): Float64Array {
  const acc = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let w = 0; w < L.win; w++) {
      const m = L.map[j * L.win + w];
      if (m >= 0) s += x[m];
    }
    acc[j] = s;
  }
  return acc;
}

/** The window map's valid entries as (output index, source index) pairs; `slots`: output index j·win + w. */
function windowPairs(L: WindowLayer, n: number, slots: boolean): { outIdx: Int32Array; srcIdx: Int32Array } {
  const outIdx: number[] = [];
  const srcIdx: number[] = [];
  for (let j = 0; j < n; j++) {
    for (let w = 0; w < L.win; w++) {
      const m = L.map[j * L.win + w];
      if (m >= 0) {
        outIdx.push(slots ? j * L.win + w : j);
        srcIdx.push(m);
      }
    }
  }
  return { outIdx: Int32Array.from(outIdx), srcIdx: Int32Array.from(srcIdx) };
}

export const windowProof: LayerProtocol<WindowLayer> = {
  plan(L, c) {
    const yd = c.dims(L.output);
    const size = yd.reduce((s, d) => s * d, 1);
    if (L.map.length !== size * L.win) throw new CircuitError(`layer '${L.name}': window map has ${L.map.length} entries, expected ${size} × ${L.win}`, L.name);
    if (L.mode === 'max' || L.mode === 'min') {
      // windowKernel ignores mult/div in these modes: the output is a candidate (or 0)
      const pairs = windowPairs(L, size, true);
      const view: ReduceTerm = { source: L.inputs[0], ...pairs, coef: 1 };
      const ex = planExtremum(L.name, L.output, layoutOf(yd).dims, L.win, L.mode === 'max' ? 1 : -1, [view], c.range(L.inputs[0]), c.range(L.output));
      return { aux: ex.aux, lookups: ex.lookups, data: { mode: L.mode, ex: ex.plan } satisfies WindowPlan };
    }
    if (L.mode !== 'sum') throw new CircuitError(`layer '${L.name}' (${L.op}): unknown window mode '${String(L.mode)}'`, L.name);
    if (!Number.isInteger(L.mult) || !Number.isInteger(L.div)) throw new CircuitError(`layer '${L.name}': non-integer scale`, L.name);
    const a = new Float64Array(size).fill(2 * L.mult);
    const h = new Float64Array(size);
    const d = new Float64Array(size);
    for (let j = 0; j < size; j++) {
      const D = L.div * (L.counts === null ? 1 : L.counts[j]);
      h[j] = D;
      d[j] = 2 * D;
    }
    const r = c.range(L.inputs[0]);
    const accMax = L.win * Math.max(Math.abs(r.lo), Math.abs(r.hi));
    const rq = planRequant(L.name, L.output, yd, c.range(L.output), { a, h, d }, accMax);
    const term: ReduceTerm = { source: L.inputs[0], ...windowPairs(L, size, false), coef: 1 };
    return { aux: rq.aux, lookups: rq.lookups, data: { mode: 'sum', rq: rq.plan, coeffs: { a, h, d }, term } satisfies WindowPlan };
  },
  witness(L, plan, values) {
    const p = plan.data as WindowPlan;
    const y = values(L.output);
    if (p.mode !== 'sum') return extremumWitness(p.ex, values, y);
    return requantWitness(p.rq, p.coeffs, windowAcc(L, values(L.inputs[0]), y.length), y);
  },
  prove(L, plan, ctx) {
    const p = plan.data as WindowPlan;
    if (p.mode !== 'sum') return proveExtremum(ctx, p.ex, `${L.name}/${p.mode}`);
    const y = ctx.values(L.output);
    const rq = proveRequant(ctx, p.rq, p.coeffs, windowAcc(L, ctx.values(L.inputs[0]), y.length), L.name);
    const v = reduce(ctx, ctx.layout(L.output), rq.point, [p.term], L.name);
    ctx.assert(extEquals(clear(v), rq.acc), `layer '${L.name}': internal error, the window sum does not match the accumulator`);
  },
  verify(L, plan, ctx) {
    const p = plan.data as WindowPlan;
    if (p.mode !== 'sum') return verifyExtremum(ctx, p.ex, `${L.name}/${p.mode}`);
    const rq = verifyRequant(ctx, p.rq, p.coeffs, L.name);
    const v = reduce(ctx, ctx.layout(L.output), rq.point, [p.term], L.name);
    ctx.equal(v, rq.acc, 'WindowMismatch', `layer '${L.name}': the window sum does not match the accumulator claim`);
  },
};
