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

interface SoftmaxPlan {
  rm: RowMaxPlan;
  e: string;
  S: string;
  rem: Limbs | null;
  rem2: Limbs | null;
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
  const data: SoftmaxPlan = { rm: rm.plan, e, S, rem: null, rem2: null, dq: null, norm: null };
  if (!L.log) {
    if (!Number.isInteger(L.outExp) || L.outExp < 0) throw new CircuitError(`layer '${L.name}' (${L.op}): output exponent ${L.outExp} must be a non-negative integer`, L.name);
    const bits = bitsFor(2 * Smax);
    const bound = 2 ** (L.outExp + 1) * eMax + Smax + 2 * Smax * maxAbs(yr) + 2 * Smax;
    if (!(bound < P) || !(2 * 2 ** bits + 1 + 2 * Smax < P)) throw new CircuitError(`layer '${L.name}' (${L.op}): worst-case |lhs| + |rhs| of the division is ${bound} ≥ p = ${P} (n = ${L.n} is too long)`, L.name);
    const rem = planLimbs(`${L.output}#rem`, bits, xd);
    const rem2 = planLimbs(`${L.output}#remc`, bits, xd);
    aux.push(...rem.aux, ...rem2.aux);
    lookups.push(...rem.lookups, ...rem2.lookups);
    data.rem = rem.limbs;
    data.rem2 = rem2.limbs;
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
