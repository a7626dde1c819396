/**
 * Softmax and LogSoftmax over an axis (`softmaxKernel`), per row (o, i) of x (outer × n × inner):
 *   max by the one-hot selector of `rowmax.ts`:  gap = mx − x ∈ [0, 2^b)   (so d = x − mx = −gap)
 *   e = expTable[gap]   — a keyed-table lookup (gap, e) (padding key ↦ 0, so e is zero on padding;
 *                         gap ≤ hi − lo < |expTable| keeps real keys inside the table)
 *   S = Σ_k e           — one more item of the selector's row-sum sumcheck
 * Softmax: y = floor((2·e·2^outExp + S) / (2S)) as a division with remainder by the committed S,
 *   2^(outExp+1)·e + S' − 2·S'·y − rem = 0,   rem + rem2 + χ − 2·S' = 0,   y − χ·y = 0
 * (one zero-check over x's layout; S' = S[row] is a view reduced to S), y range-checked.
 * S ≥ expTable[0] ≥ 1 because the selected entry has gap 0.
 * LogSoftmax: dq = roundShift(−gap, inExp − outExp) is the requantisation of `circuit/requant.ts`
 * with acc = −gap; S = m·2^k by `normalise.ts` (mantissa table log, exponent table kTable[k + 64]);
 * y = dq − logTable[m − 512] − kTable[k + 64] is a linear relation proven at a random point
 * (which also proves y zero on padding); y range-checked.
 * No wrap: 2^(outExp+1)·max e + Smax + 2·Smax·max|y| + 2·Smax < p with Smax = n·max e (and the
 * normalisation's own bound), checked at planning.
 *
 * Long rows (`softmaxDivision`): the product S'·y is what wraps first (n = 6,625 at 2^15 per entry
 * gives 2·Smax·128 ≈ 2^36.7), so when the bound above fails the first relation is split at the
 * remainder's limb boundary T = 2^t (rem = rem0 + T·rem1, its two range-checked limbs), with
 * S = Sl + T·Sh per row (Sl ∈ [0, T), Sh ∈ [0, ⌊Smax/T⌋] range-checked) and a carry c per entry
 * (range-checked in the interval the low half can reach):
 *   2^(outExp+1)·e + Sl' − 2·Sl'·y − rem0 − T·c = 0          (low half)
 *   Sh' − 2·Sh'·y − rem1 + c = 0                              (high half)
 *   S − Sl − T·Sh = 0                                         (per row, its own zero-check)
 * Each identity's worst case is below p, so each holds over the integers, and low + T·high is the
 * unsplit relation over the integers: the division is exact for any n with 2·Smax < 2^29 (the
 * lowering picks the exp table's precision from n for that, `Softmax.ts`).
 */
import { vScale } from '../../circuit/values.js';
import { P } from '../../field/babybear.js';
import { ext, extNeg } from '../../field/extension.js';
import { planRequant, proveRequant, rangeLookups, requantWitness, shiftCoeffs, verifyRequant, type RequantCoeffs, type RequantPlan } from '../../circuit/requant.js';
import { reduce } from '../../circuit/reduce.js';
import { CircuitError, drawPoint, type AuxSpec, type Context, type LayerProtocol, type LookupSpec, type PlanContext } from '../../circuit/protocol.js';
import type { SoftmaxLayer } from '../../quantize/layers.js';
import { normaliseWitness, planNormalise, runNormalise, type NormalisePlan } from './normalise.js';
import { bitsFor, chiColumn, keyColumn, keyedTable, limbColumns, limbTerms, limbWitness, maxAbs, planLimbs, viewColumn, views, zeroCheck, type Column, type Limbs } from './relations.js';
import { planRowMax, rowMaxWitness, runRowMax, type RowMaxPlan } from './rowmax.js';

/** The long-row split of the division (see the header): limb boundary 2^t and the ranges it needs. */
export interface DivisionSplit {
  t: number;
  shMax: number;
  cLo: number;
  cHi: number;
}

/**
 * Worst case |lhs| + |rhs| over the division's relations for rows of n entries of at most eMax
 * and outputs in `y`, and the split that keeps them below p when the unsplit relation would not
 * (null: the unsplit one fits, or no split of a 2-limb remainder does; then `bound` is ≥ p).
 */
export function softmaxDivision(n: number, eMax: number, outExp: number, y: { lo: number; hi: number }): { bound: number; bits: number; split: DivisionSplit | null } {
  const Smax = n * eMax;
  const bits = bitsFor(2 * Smax);
  const remCheck = 2 * 2 ** bits + 1 + 2 * Smax;
  const E1 = 2 ** (outExp + 1) * eMax;
  const ym = maxAbs(y);
  const whole = Math.max(E1 + Smax + 2 * Smax * ym + 2 * Smax, remCheck);
  if (whole < P) return { bound: whole, bits, split: null };
  const limbs = planLimbs('rem', bits, [1]).limbs;
  if (limbs.names.length !== 2) return { bound: whole, bits, split: null };
  const t = limbs.bits[0];
  const T = 2 ** t;
  // A = 2^(outExp+1)·e + Sl·(1 − 2y) − rem0 over e ∈ [0, eMax], Sl, rem0 ∈ [0, T), y ∈ [lo, hi]
  const aMax = E1 + (T - 1) * Math.max(0, 1 - 2 * y.lo);
  const aMin = (T - 1) * Math.min(0, 1 - 2 * y.hi) - (T - 1);
  const cLo = Math.ceil(aMin / T);
  const cHi = Math.floor(aMax / T);
  const cAbs = Math.max(-cLo, cHi);
  const shMax = Math.floor(Smax / T);
  const low = E1 + (T - 1) * (2 + 2 * ym) + T * cAbs;
  const high = shMax * (1 + 2 * ym) + 2 ** limbs.bits[1] - 1 + cAbs;
  const row = Smax + T - 1 + T * shMax;
  const bound = Math.max(low, high, row, remCheck);
  if (cHi - cLo + 1 > 2 ** 16 || shMax >= 2 ** 16) return { bound: Math.max(bound, P), bits, split: null };
  return { bound, bits, split: { t, shMax, cLo, cHi } };
}

interface SoftmaxPlan {
  rm: RowMaxPlan;
  e: string;
  S: string;
  rem: Limbs | null;
  rem2: Limbs | null;
  /** long rows: S's halves (row tensors) and the carry of the split relation */
  split: (DivisionSplit & { lo: string; hi: string; carry: string }) | null;
  dq: { name: string; rq: RequantPlan; coeffs: RequantCoeffs } | null;
  norm: NormalisePlan | null;
}

function plan(L: SoftmaxLayer, c: PlanContext) {
  const x = L.inputs[0];
  const xd = c.dims(x);
  const yd = c.dims(L.output);
  if (xd.length !== yd.length || xd.some((d, i) => d !== yd[i])) throw new CircuitError(`layer '${L.name}' (${L.op}): input [${xd}] and output [${yd}] differ in shape`, L.name);
  const xr = c.range(x);
  const span = xr.hi - xr.lo;
  const nE = L.expTable.length;
  if (nE < span + 1 || nE > 2 ** 16 - 1) throw new CircuitError(`layer '${L.name}' (${L.op}): exp table of ${nE} entries does not match the input range [${xr.lo}, ${xr.hi}]`, L.name);
  let eMax = 0;
  for (let i = 0; i < nE; i++) {
    if (!(L.expTable[i] >= 0)) throw new CircuitError(`layer '${L.name}' (${L.op}): negative exp table entry`, L.name);
    eMax = Math.max(eMax, L.expTable[i]);
  }
  if (!(L.expTable[0] >= 1)) throw new CircuitError(`layer '${L.name}' (${L.op}): exp table must start at a positive value`, L.name);
  const rows = { outer: L.outer, n: L.n, inner: L.inner };
  const rowDims = [L.outer * L.inner];
  const rm = planRowMax(L.name, L.output, x, rows, rowDims, false, 'any', c);
  const e = `${L.output}#e`;
  const S = `${L.output}#sum`;
  const aux: AuxSpec[] = [...rm.aux, { name: e, dims: xd }, { name: S, dims: rowDims }];
  const table = keyedTable(`softmax-exp:${L.output}`, nE, 1, (j) => [L.expTable[j]]);
  const lookups: LookupSpec[] = [...rm.lookups, { table, columns: [keyColumn(rm.plan.gap, 0, nE), { tensor: e }] }];
  const Smax = L.n * eMax;
  const yr = c.range(L.output);
  const data: SoftmaxPlan = { rm: rm.plan, e, S, rem: null, rem2: null, split: null, dq: null, norm: null };
  if (!L.log) {
    if (!Number.isInteger(L.outExp) || L.outExp < 0) throw new CircuitError(`layer '${L.name}' (${L.op}): output exponent ${L.outExp} must be a non-negative integer`, L.name);
    const { bound, bits, split } = softmaxDivision(L.n, eMax, L.outExp, yr);
    if (!(bound < P)) throw new CircuitError(`layer '${L.name}' (${L.op}): worst-case |lhs| + |rhs| of the division is ${bound} ≥ p = ${P} (n = ${L.n} is too long)`, L.name);
    const rem = planLimbs(`${L.output}#rem`, bits, xd);
    const rem2 = planLimbs(`${L.output}#remc`, bits, xd);
    aux.push(...rem.aux, ...rem2.aux);
    lookups.push(...rem.lookups, ...rem2.lookups);
    data.rem = rem.limbs;
    data.rem2 = rem2.limbs;
    if (split) {
      const names = { lo: `${L.output}#sumlo`, hi: `${L.output}#sumhi`, carry: `${L.output}#carry` };
      aux.push({ name: names.lo, dims: rowDims }, { name: names.hi, dims: rowDims }, { name: names.carry, dims: xd });
      lookups.push(...rangeLookups(names.lo, { lo: 0, hi: 2 ** split.t - 1 }), ...rangeLookups(names.hi, { lo: 0, hi: split.shMax }), ...rangeLookups(names.carry, { lo: split.cLo, hi: split.cHi }));
      data.split = { ...split, ...names };
    }
  } else {
    const logT = L.logTable;
    const kT = L.kTable;
    if (!logT || !kT || logT.length !== 512) throw new CircuitError(`layer '${L.name}' (${L.op}): missing log tables`, L.name);
    const sh = L.inExp - L.outExp;
    const k = shiftCoeffs(sh);
    const dqLo = sh > 0 ? Math.floor((-span + 2 ** (sh - 1)) / 2 ** sh) : -span * 2 ** -sh;
    const size = xd.reduce((a, b) => a * b, 1);
    const coeffs: RequantCoeffs = { a: new Float64Array(size).fill(k.a), h: new Float64Array(size).fill(k.h), d: new Float64Array(size).fill(k.d) };
    const dqName = `${L.output}#dq`;
    const rq = planRequant(L.name, dqName, xd, { lo: dqLo, hi: 0 }, coeffs, span);
    aux.push({ name: dqName, dims: xd }, ...rq.aux);
    lookups.push(...rq.lookups);
    const nm = planNormalise(L.name, L.output, S, rowDims, L.expTable[0], Smax, {
      w: 1,
      loBits: 9,
      hiBits: 10,
      mant: (m) => logT[m - 512],
      extras: (j) => {
        if (j + 64 < 0 || j + 64 >= kT.length) throw new CircuitError(`layer '${L.name}' (${L.op}): exponent ${j} outside the k table`, L.name);
        return [kT[j + 64]];
      },
      nExtras: 1,
    });
    aux.push(...nm.aux);
    lookups.push(...nm.lookups);
    let lmax = 0;
    for (const v of logT) lmax = Math.max(lmax, Math.abs(v));
    for (const v of kT) lmax = Math.max(lmax, Math.abs(v));
    if (!(maxAbs(yr) + Math.abs(dqLo) + 2 * lmax < P / 2)) throw new CircuitError(`layer '${L.name}' (${L.op}): log tables too wide`, L.name);
    data.dq = { name: dqName, rq: rq.plan, coeffs };
    data.norm = nm.plan;
  }
  lookups.push(...rangeLookups(L.output, yr));
  return { aux, lookups, data };
}

function dqOf(L: SoftmaxLayer, gap: ArrayLike<number>): Int32Array {
  const sh = L.inExp - L.outExp;
  return Int32Array.from(gap, (g) => (sh > 0 ? Math.floor((-g + 2 ** (sh - 1)) / 2 ** sh) : -g * 2 ** -sh));
}

function witness(L: SoftmaxLayer, p: SoftmaxPlan, values: (t: string) => ArrayLike<number>): Map<string, Int32Array> {
  const out = new Map<string, Int32Array>();
  const x = values(L.inputs[0]);
  rowMaxWitness(p.rm, x, out);
  const gap = out.get(p.rm.gap)!;
  const e = Int32Array.from(gap, (g) => L.expTable[g]);
  const S = new Int32Array(L.outer * L.inner);
  for (let j = 0; j < e.length; j++) S[p.rm.rowMap[j]] += e[j];
  out.set(p.e, e);
  out.set(p.S, S);
  if (p.rem && p.rem2) {
    const y = values(L.output);
    const fo2 = 2 ** (L.outExp + 1);
    const rem = new Float64Array(y.length);
    const rem2 = new Float64Array(y.length);
    for (let j = 0; j < y.length; j++) {
      const s = S[p.rm.rowMap[j]];
      rem[j] = fo2 * e[j] + s - 2 * s * y[j];
      rem2[j] = 2 * s - 1 - rem[j];
    }
    limbWitness(p.rem, rem, out);
    limbWitness(p.rem2, rem2, out);
    if (p.split) {
      const T = 2 ** p.split.t;
      const lo = Int32Array.from(S, (s) => s % T);
      const carry = new Int32Array(y.length);
      for (let j = 0; j < y.length; j++) {
        const sl = lo[p.rm.rowMap[j]];
        carry[j] = (fo2 * e[j] + sl - 2 * sl * y[j] - (rem[j] % T)) / T;
      }
      out.set(p.split.lo, lo);
      out.set(p.split.hi, Int32Array.from(S, (s) => Math.floor(s / T)));
      out.set(p.split.carry, carry);
    }
  }
  if (p.dq && p.norm) {
    const dq = dqOf(L, gap);
    out.set(p.dq.name, dq);
    for (const [k, v] of requantWitness(p.dq.rq, p.dq.coeffs, Float64Array.from(gap, (g) => -g), dq)) out.set(k, v);
    normaliseWitness(p.norm, S, out);
  }
  return out;
}

function run(L: SoftmaxLayer, p: SoftmaxPlan, ctx: Context): void {
  const xl = ctx.layout(L.inputs[0]);
  runRowMax(ctx, p.rm, [{ factors: [p.e], row: p.S, rowCoef: 1, chiConst: 0 }], L.name);
  if (p.rem && p.rem2) {
    const t = (name: string): Column => ({ kind: 'tensor', name });
    // columns: 0 χ, 1 e, 2 S', 3 y, rem limbs, rem2 limbs
    const cols: Column[] = [chiColumn(xl), t(p.e), viewColumn(ctx, xl, p.S, p.rm.rowMap), t(L.output), ...limbColumns(p.rem), ...limbColumns(p.rem2)];
    const r0 = 4;
    const r20 = r0 + p.rem.names.length;
    if (p.split) {
      runSplit(ctx, L, p, cols, r0, r20);
      return;
    }
    const { point, evals } = zeroCheck(
      ctx,
      xl,
      cols,
      [
        [{ coef: 2 ** (L.outExp + 1), cols: [1] }, { coef: 1, cols: [2] }, { coef: -2, cols: [2, 3] }, ...limbTerms(p.rem, r0, -1)],
        [...limbTerms(p.rem, r0, 1), ...limbTerms(p.rem2, r20, 1), { coef: 1, cols: [0] }, { coef: -2, cols: [2] }],
        [{ coef: 1, cols: [3] }, { coef: -1, cols: [0, 3] }],
      ],
      `${L.name}/softmax`,
    );
    views(ctx, xl, point, [p.S], p.rm.rowMap, [evals[2]], `${L.name}/sum`);
    return;
  }
  const dq = p.dq!;
  const nm = p.norm!;
  if (ctx.role === 'prover') {
    const rq = proveRequant(ctx, dq.rq, dq.coeffs, Float64Array.from(ctx.values(p.rm.gap), (g) => -g), `${L.name}/dq`);
    ctx.claim(p.rm.gap, rq.point, extNeg(rq.acc));
  } else {
    const rq = verifyRequant(ctx, dq.rq, dq.coeffs, `${L.name}/dq`);
    ctx.claim(p.rm.gap, rq.point, vScale(rq.acc, ext(P - 1)));
  }
  runNormalise(ctx, nm, L.name);
  // y = dq − logTable[m − 512] − kTable[k + 64] (per-row values broadcast)
  const r = drawPoint(ctx, `${L.name}/logsoftmax/r`, xl.numVars);
  const v = reduce(
    ctx,
    xl,
    r,
    [
      { source: dq.name, outIdx: null, srcIdx: null, coef: 1 },
      { source: nm.mv, outIdx: null, srcIdx: p.rm.rowMap, coef: -1 },
      { source: nm.extras[0], outIdx: null, srcIdx: p.rm.rowMap, coef: -1 },
    ],
    `${L.name}/logsoftmax`,
  );
  ctx.claim(L.output, r, v);
}

/** The long-row division (header): low and high halves of the split relation, then S = Sl + T·Sh per row. */
function runSplit(ctx: Context, L: SoftmaxLayer, p: SoftmaxPlan, base: Column[], r0: number, r20: number): void {
  const sp = p.split!;
  const rem = p.rem!;
  const T = 2 ** sp.t;
  const xl = ctx.layout(L.inputs[0]);
  const s0 = base.length;
  // base columns (0 χ, 1 e, 2 S', 3 y, rem limbs, rem2 limbs), then Sl', Sh', carry
  const cols: Column[] = [...base, viewColumn(ctx, xl, sp.lo, p.rm.rowMap), viewColumn(ctx, xl, sp.hi, p.rm.rowMap), { kind: 'tensor', name: sp.carry }];
  const [sl, sh, c] = [s0, s0 + 1, s0 + 2];
  const { point, evals } = zeroCheck(
    ctx,
    xl,
    cols,
    [
      [{ coef: 2 ** (L.outExp + 1), cols: [1] }, { coef: 1, cols: [sl] }, { coef: -2, cols: [sl, 3] }, { coef: -1, cols: [r0] }, { coef: -T, cols: [c] }],
      [{ coef: 1, cols: [sh] }, { coef: -2, cols: [sh, 3] }, { coef: -1, cols: [r0 + 1] }, { coef: 1, cols: [c] }],
      [...limbTerms(rem, r0, 1), ...limbTerms(p.rem2!, r20, 1), { coef: 1, cols: [0] }, { coef: -2, cols: [2] }],
      [{ coef: 1, cols: [3] }, { coef: -1, cols: [0, 3] }],
    ],
    `${L.name}/softmax`,
  );
  views(ctx, xl, point, [p.S, sp.lo, sp.hi], p.rm.rowMap, [evals[2], evals[sl], evals[sh]], `${L.name}/sum`);
  const t = (name: string): Column => ({ kind: 'tensor', name });
  zeroCheck(ctx, ctx.layout(p.S), [t(p.S), t(sp.lo), t(sp.hi)], [[{ coef: 1, cols: [0] }, { coef: -1, cols: [1] }, { coef: -T, cols: [2] }]], `${L.name}/sum-halves`);
}

export const softmaxProof: LayerProtocol<SoftmaxLayer> = {
  plan,
  witness(L, pl, values) {
    return witness(L, pl.data as SoftmaxPlan, values);
  },
  prove(L, pl, ctx) {
    run(L, pl.data as SoftmaxPlan, ctx);
  },
  verify(L, pl, ctx) {
    run(L, pl.data as SoftmaxPlan, ctx);
  },
};
