/**
 * Sum layers in linear mode (Add, Sub, Sum, Mean, additions of constants): per output j,
 *   acc[j] = Σ_i mult_i·x_i[map_i[j]],   y = round-half-up(acc / D)
 * proven as the requantisation (2·acc + D = 2D·y + rem, or y = acc when D = 1) followed by a
 * linear reduction of acc~(ρ) to claims on the inputs (broadcasts are index maps).
 * The comparison, max/min and select modes are not proven yet: planning them is a CircuitError.
 * No wrap: |acc| ≤ Σ_i |mult_i|·max|x_i|.
 */
import { extEquals, extToString } from '../../field/extension.js';
import { divCoeffs, planRequant, proveRequant, requantWitness, verifyRequant, type RequantCoeffs, type RequantPlan } from '../../circuit/requant.js';
import { reduce, type ReduceTerm } from '../../circuit/reduce.js';
import { CircuitError, Rejected, type LayerProtocol } from '../../circuit/protocol.js';
import type { SumLayer } from '../../quantize/layers.js';

interface SumPlan {
  rq: RequantPlan;
  coeffs: RequantCoeffs;
  terms: ReduceTerm[];
}

export function sumAcc(L: SumLayer, xs: ArrayLike<number>[], n: number): Float64Array {
  const acc = new Float64Array(n);
  xs.forEach((x, i) => {
    const m = L.mult[i];
    const map = L.maps[i];
    for (let j = 0; j < n; j++) acc[j] += m * x[map === null ? j : map[j]];
  });
  return acc;
}

export const sumProof: LayerProtocol<SumLayer> = {
  plan(L, c) {
    if (L.mode) throw new CircuitError(`layer '${L.name}' (${L.op}): the '${L.mode}' mode of sum layers is not supported by the prover yet`, L.name);
    const yd = c.dims(L.output);
    const size = yd.reduce((a, b) => a * b, 1);
    let accMax = 0;
    L.inputs.forEach((nm, i) => {
      if (!Number.isInteger(L.mult[i])) throw new CircuitError(`layer '${L.name}': non-integer multiplier ${L.mult[i]}`, L.name);
      const r = c.range(nm);
      accMax += Math.abs(L.mult[i]) * Math.max(Math.abs(r.lo), Math.abs(r.hi));
    });
    const k = divCoeffs(1, L.div);
    const coeffs = { a: new Float64Array(size).fill(k.a), h: new Float64Array(size).fill(k.h), d: new Float64Array(size).fill(k.d) };
    const rq = planRequant(L.name, L.output, yd, c.range(L.output), coeffs, accMax);
    const terms: ReduceTerm[] = L.inputs.map((nm, i) => ({ source: nm, outIdx: null, srcIdx: L.maps[i], coef: L.mult[i] }));
    return { aux: rq.aux, lookups: rq.lookups, data: { rq: rq.plan, coeffs, terms } satisfies SumPlan };
  },
  witness(L, plan, values) {
    const p = plan.data as SumPlan;
    const y = values(L.output);
    return requantWitness(p.rq, p.coeffs, sumAcc(L, L.inputs.map(values), y.length), y);
  },
  prove(L, plan, ctx) {
    const p = plan.data as SumPlan;
    const y = ctx.values(L.output);
    const rq = proveRequant(ctx, p.rq, p.coeffs, sumAcc(L, L.inputs.map((n) => ctx.values(n)), y.length), L.name);
    const v = reduce(ctx, ctx.layout(L.output), rq.point, p.terms, L.name);
    ctx.assert(extEquals(v, rq.acc), `layer '${L.name}': internal error, the reduction does not match the accumulator`);
  },
  verify(L, plan, ctx) {
    const p = plan.data as SumPlan;
    const rq = verifyRequant(ctx, p.rq, p.coeffs, L.name);
    const v = reduce(ctx, ctx.layout(L.output), rq.point, p.terms, L.name);
    if (!extEquals(v, rq.acc)) throw new Rejected('SumMismatch', `layer '${L.name}': Σ mult·x = ${extToString(v)} but the accumulator claim is ${extToString(rq.acc)}`);
  },
};
