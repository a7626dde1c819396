/**
 * ArgMax / ArgMin along an axis (`argmaxKernel`: first index of the extremum, or the last with
 * select_last_index) — proof by the one-hot selector of `rowmax.ts` with tie-breaking: per row,
 *   sel one-hot at k*,  cum[k] = [k ≥ k*],  s·x[k] + [k < k*] ≤ s·x[k*]  (first index)
 *                                           s·x[k] + [k > k*] ≤ s·x[k*]  (last index)
 * so k* is exactly the kernel's index, and the output is y = k* = n − Σ_k cum[k], proven as one
 * more item of the selector's row-sum sumcheck (Σ_k cum = n·χ − y on y's layout, which also
 * proves y zero on padding). y ∈ [0, n − 1] follows from the relation; no extra range check.
 * No wrap: every identity involves 0/1 values, x ∈ [lo, hi] and n, far below p (see rowmax.ts).
 */
import type { ArgMaxLayer } from '../../quantize/layers.js';
import { CircuitError, type LayerProtocol } from '../../circuit/protocol.js';
import { planRowMax, rowMaxWitness, runRowMax, type RowMaxPlan } from './rowmax.js';

function run(L: ArgMaxLayer, p: RowMaxPlan, ctx: Parameters<typeof runRowMax>[0]): void {
  runRowMax(ctx, p, [{ factors: [p.cum!], row: L.output, rowCoef: -1, chiConst: L.n }], L.name);
}

export const argmaxProof: LayerProtocol<ArgMaxLayer> = {
  plan(L, c) {
    const yd = c.dims(L.output);
    if (yd.reduce((a, b) => a * b, 1) !== L.outer * L.inner) throw new CircuitError(`layer '${L.name}' (${L.op}): output [${yd}] does not hold ${L.outer * L.inner} indices`, L.name);
    if (L.n > 2 ** 20) throw new CircuitError(`layer '${L.name}' (${L.op}): axis of ${L.n} entries is too long`, L.name);
    const rm = planRowMax(L.name, L.output, L.inputs[0], { outer: L.outer, n: L.n, inner: L.inner }, yd, L.min, L.last ? 'last' : 'first', c);
    return { aux: rm.aux, lookups: rm.lookups, data: rm.plan };
  },
  witness(L, plan, values) {
    const out = new Map<string, Int32Array>();
    rowMaxWitness(plan.data as RowMaxPlan, values(L.inputs[0]), out);
    return out;
  },
  prove(L, plan, ctx) {
    run(L, plan.data as RowMaxPlan, ctx);
  },
  verify(L, plan, ctx) {
    run(L, plan.data as RowMaxPlan, ctx);
  },
};
