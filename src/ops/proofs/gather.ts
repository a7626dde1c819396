/**
 * Gather layers (every layout op: Reshape, Transpose, Slice, Concat, Pad, …) — proof of the copy
 * relation y[j] = concat(inputs)[map[j]] (or the public `fill` where map[j] < 0): at a random r,
 *   y~(r) = Σ_s S_s(r) + fill·Σ_{j: map[j] < 0} eq(r, pad(j)),
 * with S_s from the linear reduction (`circuit/reduce.ts`), which ends in claims on the inputs.
 * The output claim's value is derived, never sent, and it covers y's padding (proven zero).
 */
import { ext, extAdd, extMulBase } from '../../field/extension.js';
import { vAdd } from '../../circuit/values.js';
import { eqOnReal, modP } from '../../circuit/layout.js';
import { reduce, type ReduceTerm } from '../../circuit/reduce.js';
import { drawPoint, type Context, type LayerProtocol, type PlanContext } from '../../circuit/protocol.js';
import type { GatherLayer } from '../../quantize/layers.js';

interface GatherPlan {
  terms: ReduceTerm[];
  fillIdx: Int32Array;
}

function planGather(L: GatherLayer, c: PlanContext): GatherPlan {
  const sizes = L.inputs.map((nm) => c.dims(nm).reduce((a, b) => a * b, 1));
  const offs: number[] = [];
  let o = 0;
  for (const s of sizes) {
    offs.push(o);
    o += s;
  }
  const buckets = sizes.map(() => ({ out: [] as number[], src: [] as number[] }));
  const fill: number[] = [];
  for (let j = 0; j < L.map.length; j++) {
    const m = L.map[j];
    if (m < 0) {
      fill.push(j);
      continue;
    }
    let s = offs.length - 1;
    while (offs[s] > m) s--;
    buckets[s].out.push(j);
    buckets[s].src.push(m - offs[s]);
  }
  const terms: ReduceTerm[] = [];
  buckets.forEach((b, s) => {
    if (b.out.length) terms.push({ source: L.inputs[s], outIdx: Int32Array.from(b.out), srcIdx: Int32Array.from(b.src), coef: 1 });
  });
  return { terms, fillIdx: Int32Array.from(fill) };
}

function run(L: GatherLayer, p: GatherPlan, ctx: Context): void {
  const out = ctx.layout(L.output);
  const r = drawPoint(ctx, `${L.name}/gather/r`, out.numVars);
  let v = reduce(ctx, out, r, p.terms, L.name);
  if (p.fillIdx.length && L.fill !== 0) {
    const eq = eqOnReal(out, r);
    let f = ext();
    for (const j of p.fillIdx) f = extAdd(f, eq.subarray(4 * j, 4 * j + 4));
    v = vAdd(v, extMulBase(f, modP(L.fill)));
  }
  ctx.claim(L.output, r, v);
}

export const gatherProof: LayerProtocol<GatherLayer> = {
  plan(L, c) {
    return { aux: [], lookups: [], data: planGather(L, c) };
  },
  witness() {
    return new Map();
  },
  prove(L, plan, ctx) {
    run(L, plan.data as GatherPlan, ctx);
  },
  verify(L, plan, ctx) {
    run(L, plan.data as GatherPlan, ctx);
  },
};
