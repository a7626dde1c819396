/**
 * Div with an activation divisor (`divKernel`): num = a'·mult, den = b'·div (a' = a[aMap],
 * b' = b[bMap]); the signs are moved to the numerator and y = floor((2·num + den) / (2·den)), i.e.
 *   2·mult·g·a' + div·u = 2·div·u·y + rem,   0 ≤ rem < 2·div·u,
 * with g = ±1 the sign of b' and u = |b'| ≥ 1. Per element of b, u and the sign bit s (g = 1 − 2s)
 * are committed and looked up as (b, |b|, [b < 0]) in a keyed table (key b − lo, padding key
 * n ↦ (0, 0)) whose b = 0 row carries an unreachable key: b ≠ 0 is proven (and u ≥ 1 follows).
 * Relations (one zero-check over y's layout; A', S', U' are the views a[aMap], s[bMap], u[bMap]):
 *   2·mult·A' − 4·mult·S'·A' + div·U' − 2·div·U'·y − rem = 0
 *   rem + rem2 + χ − 2·div·U' = 0          (rem, rem2 range-checked: rem < 2·div·u)
 *   y − χ·y = 0                            (y zero on padding)
 * then the views are reduced to claims on a, s and u; y is range-checked in its [lo, hi].
 * No wrap: 2·mult·max|a| + div·umax + 2·div·umax·max|y| + 2·div·umax < p, and
 * 2·2^b + 1 + 2·div·umax < p for the remainder bound, checked at planning.
 */
import { P } from '../../field/babybear.js';
import { rangeLookups } from '../../circuit/requant.js';
import { CircuitError, type Context, type LayerProtocol, type PlanContext } from '../../circuit/protocol.js';
import type { DivLayer } from '../../quantize/layers.js';
import { bitsFor, chiColumn, keyColumn, keyedTable, limbColumns, limbTerms, limbWitness, maxAbs, planLimbs, viewColumn, views, zeroCheck, type Column, type Limbs } from './relations.js';

interface DivPlan {
  sign: string;
  abs: string;
  rem: Limbs;
  rem2: Limbs;
}

function plan(L: DivLayer, c: PlanContext) {
  const [a, b] = L.inputs;
  const yd = c.dims(L.output);
  const size = yd.reduce((s, d) => s * d, 1);
  if (!Number.isInteger(L.mult) || !Number.isInteger(L.div) || L.mult < 1 || L.div < 1) throw new CircuitError(`layer '${L.name}' (Div): non-integer scale ${L.mult}/${L.div}`, L.name);
  if (c.isParam(b)) throw new CircuitError(`layer '${L.name}' (Div): a constant divisor should have been lowered to a product`, L.name);
  const cover = (map: Int32Array | null, t: string) => (map === null ? c.dims(t).reduce((s, d) => s * d, 1) === size : map.length === size);
  if (!cover(L.aMap, a) || !cover(L.bMap, b)) throw new CircuitError(`layer '${L.name}' (Div): operand maps do not cover the output`, L.name);
  const br = c.range(b);
  const n = br.hi - br.lo + 1;
  if (n > 2 ** 16 - 1) throw new CircuitError(`layer '${L.name}' (Div): divisor range [${br.lo}, ${br.hi}] is wider than 2^16`, L.name);
  const umax = maxAbs(br);
  const yr = c.range(L.output);
  const bits = bitsFor(2 * L.div * umax);
  const bound = 2 * L.mult * maxAbs(c.range(a)) + L.div * umax + 2 * L.div * umax * maxAbs(yr) + 2 * L.div * umax;
  if (!(bound < P) || !(2 * 2 ** bits + 1 + 2 * L.div * umax < P)) {
    throw new CircuitError(`layer '${L.name}' (Div): worst-case |lhs| + |rhs| of the division is ${bound} ≥ p = ${P}, so the relation could wrap mod p`, L.name);
  }
  const bd = c.dims(b);
  const sign = `${L.output}#bsign`;
  const abs = `${L.output}#babs`;
  const rem = planLimbs(`${L.output}#rem`, bits, yd);
  const rem2 = planLimbs(`${L.output}#remc`, bits, yd);
  const table = keyedTable(`div-abs:${L.output}`, n, 2, (j) => [Math.abs(j + br.lo), j + br.lo < 0 ? 1 : 0], br.lo <= 0 && br.hi >= 0 ? -br.lo : -1);
  return {
    aux: [{ name: sign, dims: bd }, { name: abs, dims: bd }, ...rem.aux, ...rem2.aux],
    lookups: [{ table, columns: [keyColumn(b, br.lo, n), { tensor: abs }, { tensor: sign }] }, ...rem.lookups, ...rem2.lookups, ...rangeLookups(L.output, yr)],
    data: { sign, abs, rem: rem.limbs, rem2: rem2.limbs } satisfies DivPlan,
  };
}

function run(L: DivLayer, p: DivPlan, ctx: Context): void {
  const yl = ctx.layout(L.output);
  const t = (name: string): Column => ({ kind: 'tensor', name });
  // columns: 0 χ, 1 A', 2 S', 3 U', 4 y, then rem limbs, rem2 limbs
  const cols: Column[] = [chiColumn(yl), viewColumn(ctx, yl, L.inputs[0], L.aMap), viewColumn(ctx, yl, p.sign, L.bMap), viewColumn(ctx, yl, p.abs, L.bMap), t(L.output), ...limbColumns(p.rem), ...limbColumns(p.rem2)];
  const r0 = 5;
  const r20 = r0 + p.rem.names.length;
  const { point, evals } = zeroCheck(
    ctx,
    yl,
    cols,
    [
      [{ coef: 2 * L.mult, cols: [1] }, { coef: -4 * L.mult, cols: [2, 1] }, { coef: L.div, cols: [3] }, { coef: -2 * L.div, cols: [3, 4] }, ...limbTerms(p.rem, r0, -1)],
      [...limbTerms(p.rem, r0, 1), ...limbTerms(p.rem2, r20, 1), { coef: 1, cols: [0] }, { coef: -2 * L.div, cols: [3] }],
      [{ coef: 1, cols: [4] }, { coef: -1, cols: [0, 4] }],
    ],
    `${L.name}/div`,
  );
  views(ctx, yl, point, [L.inputs[0]], L.aMap, [evals[1]], `${L.name}/a`);
  views(ctx, yl, point, [p.sign, p.abs], L.bMap, [evals[2], evals[3]], `${L.name}/b`);
}

export const divProof: LayerProtocol<DivLayer> = {
  plan,
  witness(L, pl, values) {
    const p = pl.data as DivPlan;
    const a = values(L.inputs[0]);
    const b = values(L.inputs[1]);
    const y = values(L.output);
    const out = new Map<string, Int32Array>();
    out.set(p.sign, Int32Array.from(b, (v) => (v < 0 ? 1 : 0)));
    out.set(p.abs, Int32Array.from(b, (v) => Math.abs(v)));
    const rem = new Float64Array(y.length);
    const rem2 = new Float64Array(y.length);
    for (let j = 0; j < y.length; j++) {
      const bv = b[L.bMap === null ? j : L.bMap[j]];
      const g = bv < 0 ? -1 : 1;
      const den = Math.abs(bv) * L.div;
      rem[j] = 2 * L.mult * g * a[L.aMap === null ? j : L.aMap[j]] + den - 2 * den * y[j];
      rem2[j] = 2 * den - 1 - rem[j];
    }
    limbWitness(p.rem, rem, out);
    limbWitness(p.rem2, rem2, out);
    return out;
  },
  prove(L, pl, ctx) {
    run(L, pl.data as DivPlan, ctx);
  },
  verify(L, pl, ctx) {
    run(L, pl.data as DivPlan, ctx);
  },
};
