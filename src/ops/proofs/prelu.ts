/**
 * PRelu with committed slopes (`<layer>/slope`, a parameter): y = x ≥ 0 ? x : roundDiv(x·slope[map], div)
 * (`preluKernel`, div = 2^fs ≥ 1). Both branches are one division with remainder,
 *   y = roundDiv(x·c, div),  c = slope[map] when x < 0, c = div when x ≥ 0
 * (roundDiv(x·div, div) = x exactly), so with u = min(x, 0):
 *   acc = x·c = div·(x − u) + u·slope[map],   2·acc + div = 2·div·y + rem,  0 ≤ rem < 2·div
 * (acc = y, no remainder, when div = 1), y range-checked — the requantisation of
 * `circuit/requant.ts`. u is committed and looked up as (x, min(x, 0)) in a keyed table (key
 * x − lo; padding key n ↦ 0, so u is zero on padding). acc~(ρ) left by the requantisation is
 * proven by a degree-3 sumcheck Σ_z eq(ρ, z)·[div·x − div·u + u·S](z) with S the slope view
 * slope[map], which is reduced to a claim on the committed slope parameter.
 * No wrap: |acc| ≤ max|x|·max(div, max|slope|) (slopes bounded by the parameter range proof),
 * and the requantisation checks |lhs| + |rhs| < p at planning.
 */
import type { Val } from '../../circuit/values.js';
import { ext } from '../../field/extension.js';
import { divCoeffs, planRequant, proveRequant, requantWitness, verifyRequant, type RequantCoeffs, type RequantPlan } from '../../circuit/requant.js';
import { CircuitError, type Context, type LayerProtocol, type PlanContext } from '../../circuit/protocol.js';
import type { PReluLayer } from '../../quantize/layers.js';
import { ei, eqColumn, keyColumn, keyedTable, maxAbs, productCheck, viewColumn, views, type Column } from './relations.js';

interface PReluPlan {
  rq: RequantPlan;
  coeffs: RequantCoeffs;
  neg: string;
  slope: string;
}

function accOf(L: PReluLayer, x: ArrayLike<number>, slope: ArrayLike<number>): Float64Array {
  const acc = new Float64Array(x.length);
  for (let j = 0; j < x.length; j++) acc[j] = x[j] >= 0 ? x[j] * L.div : x[j] * slope[L.map === null ? j : L.map[j]];
  return acc;
}

function plan(L: PReluLayer, c: PlanContext) {
  const x = L.inputs[0];
  const xd = c.dims(x);
  const yd = c.dims(L.output);
  if (xd.length !== yd.length || xd.some((d, i) => d !== yd[i])) throw new CircuitError(`layer '${L.name}' (PRelu): input [${xd}] and output [${yd}] differ in shape`, L.name);
  if (!Number.isInteger(L.div) || L.div < 1) throw new CircuitError(`layer '${L.name}' (PRelu): slope scale 1/${L.div} is not an integer divisor (slopes above 127 are not supported)`, L.name);
  const slope = `${L.name}/slope`;
  if (!c.isParam(slope)) throw new CircuitError(`layer '${L.name}' (PRelu): missing committed slope parameter '${slope}'`, L.name);
  const size = xd.reduce((a, b) => a * b, 1);
  const slopeLen = c.dims(slope).reduce((a, b) => a * b, 1);
  if (L.map === null ? slopeLen !== size : L.map.length !== size) throw new CircuitError(`layer '${L.name}' (PRelu): slope map does not cover the input`, L.name);
  const xr = c.range(x);
  const accMax = maxAbs(xr) * Math.max(L.div, maxAbs(c.range(slope)));
  const k = divCoeffs(1, L.div);
  const coeffs = { a: new Float64Array(size).fill(k.a), h: new Float64Array(size).fill(k.h), d: new Float64Array(size).fill(k.d) };
  const rq = planRequant(L.name, L.output, yd, c.range(L.output), coeffs, accMax);
  const neg = `${L.output}#neg`;
  const n = xr.hi - xr.lo + 1;
  if (n > 2 ** 16 - 1) throw new CircuitError(`layer '${L.name}' (PRelu): input range [${xr.lo}, ${xr.hi}] is wider than 2^16`, L.name);
  const table = keyedTable(`prelu-neg:${L.output}`, n, 1, (j) => [Math.min(j + xr.lo, 0)]);
  return {
    aux: [...rq.aux, { name: neg, dims: xd }],
    lookups: [...rq.lookups, { table, columns: [keyColumn(x, xr.lo, n), { tensor: neg }] }],
    data: { rq: rq.plan, coeffs, neg, slope } satisfies PReluPlan,
  };
}

/** acc~(ρ) = Σ_z eq(ρ, z)·[div·x − div·u + u·S](z), then S~(σ) reduced to the slope parameter. */
function proveAcc(L: PReluLayer, p: PReluPlan, ctx: Context, rho: Uint32Array, acc: Val): void {
  const xl = ctx.layout(L.inputs[0]);
  const cols: Column[] = [eqColumn(rho), { kind: 'tensor', name: L.inputs[0] }, { kind: 'tensor', name: p.neg }, viewColumn(ctx, xl, p.slope, L.map)];
  const terms = [
    { coef: ei(L.div), cols: [0, 1] },
    { coef: ei(-L.div), cols: [0, 2] },
    { coef: ext(1), cols: [0, 2, 3] },
  ];
  const { point, evals } = productCheck(ctx, xl.numVars, cols, terms, acc, `${L.name}/prelu`);
  views(ctx, xl, point, [p.slope], L.map, [evals[3]], `${L.name}/slope`);
}

export const preluProof: LayerProtocol<PReluLayer> = {
  plan,
  witness(L, pl, values) {
    const p = pl.data as PReluPlan;
    const x = values(L.inputs[0]);
    const out = requantWitness(p.rq, p.coeffs, accOf(L, x, values(p.slope)), values(L.output));
    out.set(p.neg, Int32Array.from(x, (v) => Math.min(v, 0)));
    return out;
  },
  prove(L, pl, ctx) {
    const p = pl.data as PReluPlan;
    const x = ctx.values(L.inputs[0]);
    const u = ctx.values(p.neg);
    const slope = ctx.values(p.slope);
    // the accumulator as the relation defines it from the committed u (equal to accOf on honest witnesses)
    const acc = new Float64Array(x.length);
    for (let j = 0; j < x.length; j++) acc[j] = L.div * (x[j] - u[j]) + u[j] * slope[L.map === null ? j : L.map[j]];
    const rq = proveRequant(ctx, p.rq, p.coeffs, acc, L.name);
    proveAcc(L, p, ctx, rq.point, rq.acc);
  },
  verify(L, pl, ctx) {
    const p = pl.data as PReluPlan;
    const rq = verifyRequant(ctx, p.rq, p.coeffs, L.name);
    proveAcc(L, p, ctx, rq.point, rq.acc);
  },
};

