/**
 * Window layers in sum mode (AveragePool, GlobalAveragePool, ReduceMean/ReduceSum): per output j,
 *   acc[j] = Σ_{w < win, map[j·win+w] ≥ 0} x[map[j·win+w]],
 *   y = round-half-up(acc·mult / (div·count_j))   (2·mult·acc + D_j = 2·D_j·y + rem, D_j = div·count_j)
 * proven as the requantisation with per-element D_j, then the linear reduction of acc~(ρ) over the
 * window map to claims on x. Max/min pooling is not proven yet: planning it is a CircuitError.
 * No wrap: |acc| ≤ win·max|x|.
 */
import { extEquals, extToString } from '../../field/extension.js';
import { planRequant, proveRequant, requantWitness, verifyRequant, type RequantCoeffs, type RequantPlan } from '../../circuit/requant.js';
import { reduce, type ReduceTerm } from '../../circuit/reduce.js';
import { CircuitError, Rejected, type LayerProtocol } from '../../circuit/protocol.js';
import type { WindowLayer } from '../../quantize/layers.js';

interface WindowPlan {
  rq: RequantPlan;
  coeffs: RequantCoeffs;
  term: ReduceTerm;
}

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

export const windowProof: LayerProtocol<WindowLayer> = {
  plan(L, c) {
    if (L.mode !== 'sum') throw new CircuitError(`layer '${L.name}' (${L.op}): ${L.mode} pooling is not supported by the prover yet`, L.name);
    if (!Number.isInteger(L.mult) || !Number.isInteger(L.div)) throw new CircuitError(`layer '${L.name}': non-integer scale`, L.name);
    const yd = c.dims(L.output);
    const size = yd.reduce((s, d) => s * d, 1);
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
    const outIdx: number[] = [];
    const srcIdx: number[] = [];
    for (let j = 0; j < size; j++) {
      for (let w = 0; w < L.win; w++) {
        const m = L.map[j * L.win + w];
        if (m >= 0) {
          outIdx.push(j);
          srcIdx.push(m);
        }
      }
    }
    const term: ReduceTerm = { source: L.inputs[0], outIdx: Int32Array.from(outIdx), srcIdx: Int32Array.from(srcIdx), coef: 1 };
    return { aux: rq.aux, lookups: rq.lookups, data: { rq: rq.plan, coeffs: { a, h, d }, term } satisfies WindowPlan };
  },
  witness(L, plan, values) {
    const p = plan.data as WindowPlan;
    const y = values(L.output);
    return requantWitness(p.rq, p.coeffs, windowAcc(L, values(L.inputs[0]), y.length), y);
  },
  prove(L, plan, ctx) {
    const p = plan.data as WindowPlan;
    const y = ctx.values(L.output);
    const rq = proveRequant(ctx, p.rq, p.coeffs, windowAcc(L, ctx.values(L.inputs[0]), y.length), L.name);
    const v = reduce(ctx, ctx.layout(L.output), rq.point, [p.term], L.name);
    ctx.assert(extEquals(v, rq.acc), `layer '${L.name}': internal error, the window sum does not match the accumulator`);
  },
  verify(L, plan, ctx) {
    const p = plan.data as WindowPlan;
    const rq = verifyRequant(ctx, p.rq, p.coeffs, L.name);
    const v = reduce(ctx, ctx.layout(L.output), rq.point, [p.term], L.name);
    if (!extEquals(v, rq.acc)) throw new Rejected('WindowMismatch', `layer '${L.name}': window sum ${extToString(v)} does not match the accumulator claim ${extToString(rq.acc)}`);
  },
};
