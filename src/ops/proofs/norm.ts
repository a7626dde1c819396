/**
 * Normalization (LayerNormalization, InstanceNormalization; `normKernel`), per row (o, i) of x
 * (outer × n × inner), with committed gamma/beta parameters (`<layer>/gamma`, `<layer>/beta`):
 *   s = Σ_k x,  ss = Σ_k d²                  one row-sum sumcheck (d committed)
 *   mean = roundDiv(s, n), V0 = roundDiv(ss, n)   two requantisations (`circuit/requant.ts`)
 *                                                 with acc = the committed s, ss
 *   d = x − mean[row]                         linear, at a random point
 *   V = max(V0 + epsQ, 1):  V = V0 + epsQ + z, z ∈ {0,1}, z·(V0 + epsQ) = 0 — and V ≥ 1, which
 *                           the normalisation below implies (V = 0 admits no m ≥ 256, P ≥ 1)
 *   V = m·4^j, r = rsqrtTable[m − 256]        `normalise.ts`; its exponent table also carries the
 *                                             rescaling (a_j, h_j, d_j) of s2 = rBits + j + gExp − outExp
 *   a_j·(d·r·γ) + h_j = d_j·(y − β) + rem,  0 ≤ rem < d_j     (round half up by 2^s2, or an exact
 *                                             multiplication by 2^(−s2) when s2 ≤ 0)
 * The last relation, rem + rem2 + χ − d_j = 0 and y − χ·y = 0 form one zero-check over x's layout
 * (degree 5); the per-row values and γ, β enter as views reduced to claims on the row tensors and
 * the parameters. y is range-checked; mean and V0 are range-checked by their requantisations,
 * which bounds |d| ≤ hi − lo, ss ≤ n·(hi − lo)² and V < 2^16 + epsQ + 1 (the normalisation's
 * no-wrap bound needs that a-priori bound on V).
 * No wrap: each requantisation checks its own bound; the final relation needs
 * max a·(hi − lo)·max r·max|γ| + max h + max d·(max|y| + max|β|) + max d < p, checked here.
 */
import { P } from '../../field/babybear.js';
import { rangeTable } from '../../piop/lookup/tables.js';
import { layoutOf } from '../../circuit/layout.js';
import { divCoeffs, planRequant, proveRequant, rangeLookups, requantWitness, shiftCoeffs, verifyRequant, type RequantCoeffs, type RequantPlan } from '../../circuit/requant.js';
import { reduce } from '../../circuit/reduce.js';
import { CircuitError, drawPoint, type AuxSpec, type Context, type LayerProtocol, type LookupSpec, type PlanContext } from '../../circuit/protocol.js';
import type { NormLayer } from '../../quantize/layers.js';
import { normaliseWitness, planNormalise, runNormalise, type NormalisePlan } from './normalise.js';
import { bitsFor, chiColumn, limbColumns, limbTerms, limbWitness, maxAbs, planLimbs, rowMapOf, rowSums, viewColumn, views, zeroCheck, type Column, type Limbs } from './relations.js';

interface NormPlan {
  rowDims: number[];
  rowMap: Int32Array;
  gMap: Int32Array;
  gamma: string;
  beta: string;
  s: string;
  mean: { rq: RequantPlan; coeffs: RequantCoeffs; name: string };
  d: string;
  ss: string;
  v0: { rq: RequantPlan; coeffs: RequantCoeffs; name: string };
  z: string;
  v: string;
  norm: NormalisePlan;
  rem: Limbs;
  rem2: Limbs;
}

function uniform(size: number, k: { a: number; h: number; d: number }): RequantCoeffs {
  return { a: new Float64Array(size).fill(k.a), h: new Float64Array(size).fill(k.h), d: new Float64Array(size).fill(k.d) };
}

function plan(L: NormLayer, c: PlanContext) {
  const x = L.inputs[0];
  const xd = c.dims(x);
  const yd = c.dims(L.output);
  const { outer, n, inner } = L;
  const size = xd.reduce((a, b) => a * b, 1);
  if (xd.length !== yd.length || xd.some((d, i) => d !== yd[i])) throw new CircuitError(`layer '${L.name}' (${L.op}): input [${xd}] and output [${yd}] differ in shape`, L.name);
  if (outer * n * inner !== size) throw new CircuitError(`layer '${L.name}' (${L.op}): axis split ${outer}×${n}×${inner} does not match input [${xd}]`, L.name);
  if (!Number.isInteger(L.epsQ) || L.epsQ < 0) throw new CircuitError(`layer '${L.name}' (${L.op}): epsilon ${L.epsQ} is not a non-negative integer`, L.name);
  const gamma = `${L.name}/gamma`;
  const beta = `${L.name}/beta`;
  if (!c.isParam(gamma) || !c.isParam(beta)) throw new CircuitError(`layer '${L.name}' (${L.op}): missing committed gamma/beta parameters`, L.name);
  const glen = c.dims(gamma).reduce((a, b) => a * b, 1);
  if (c.dims(beta).reduce((a, b) => a * b, 1) !== glen || (L.affine === 'n' && glen !== n)) throw new CircuitError(`layer '${L.name}' (${L.op}): gamma/beta of ${glen} entries do not match the layer`, L.name);
  if (L.rsqrtTable.length !== 768) throw new CircuitError(`layer '${L.name}' (${L.op}): rsqrt table of ${L.rsqrtTable.length} entries (expected 768)`, L.name);
  const xr = c.range(x);
  const span = xr.hi - xr.lo;
  const rowDims = [outer * inner];
  const rows = outer * inner;
  const out = L.output;
  const aux: AuxSpec[] = [];
  const lookups: LookupSpec[] = [];

  const s = `${out}#s`;
  const meanName = `${out}#mean`;
  const meanCoeffs = uniform(rows, divCoeffs(1, n));
  const mean = planRequant(L.name, meanName, rowDims, xr, meanCoeffs, n * maxAbs(xr));
  const d = `${out}#d`;
  const ss = `${out}#ss`;
  const v0Name = `${out}#v0`;
  const v0Coeffs = uniform(rows, divCoeffs(1, n));
  // V0 ∈ [0, 2^b) with 2^b > span² (one range lookup; the honest V0 ≤ span²)
  const v0Max = 2 ** Math.max(1, bitsFor(span * span + 1)) - 1;
  const v0 = planRequant(L.name, v0Name, rowDims, { lo: 0, hi: v0Max }, v0Coeffs, n * span * span);
  const z = `${out}#z`;
  const v = `${out}#v`;
  const vmax = v0Max + L.epsQ + 1;
  aux.push(...[s, meanName, ss, v0Name, z, v].map((name) => ({ name, dims: rowDims })), { name: d, dims: xd }, ...mean.aux, ...v0.aux);
  lookups.push(...mean.lookups, ...v0.lookups, { table: rangeTable(1), columns: [{ tensor: z }] });

  const c0 = L.rBits + L.gExp - L.outExp;
  const nm = planNormalise(L.name, out, v, rowDims, 1, vmax, {
    w: 2,
    loBits: 8,
    hiBits: 10,
    mant: (m) => L.rsqrtTable[m - 256],
    extras: (j) => {
      const k = shiftCoeffs(c0 + j);
      return [k.a, k.h, k.d];
    },
    nExtras: 3,
  });
  aux.push(...nm.aux);
  lookups.push(...nm.lookups);

  let amax = 0;
  let hmax = 0;
  let dmax = 1;
  for (let j = nm.plan.jmin; j <= nm.plan.jmax; j++) {
    const k = shiftCoeffs(c0 + j);
    amax = Math.max(amax, k.a);
    hmax = Math.max(hmax, k.h);
    dmax = Math.max(dmax, k.d);
  }
  let rmax = 0;
  for (const r of L.rsqrtTable) rmax = Math.max(rmax, Math.abs(r));
  const yr = c.range(L.output);
  const bits = bitsFor(dmax);
  const bound = amax * span * rmax * maxAbs(c.range(gamma)) + hmax + dmax * (maxAbs(yr) + maxAbs(c.range(beta))) + dmax;
  if (!(bound < P) || !(2 * 2 ** Math.max(bits, 1) + 1 + dmax < P)) {
    throw new CircuitError(`layer '${L.name}' (${L.op}): worst-case |lhs| + |rhs| of the final rescaling is ${bound} ≥ p = ${P}, so the relation could wrap mod p`, L.name);
  }
  const rem = planLimbs(`${out}#rem`, bits, xd);
  const rem2 = planLimbs(`${out}#remc`, bits, xd);
  aux.push(...rem.aux, ...rem2.aux);
  lookups.push(...rem.lookups, ...rem2.lookups, ...rangeLookups(L.output, yr));

  const gMap = new Int32Array(size);
  for (let j = 0; j < size; j++) {
    const k = Math.floor(j / inner) % n;
    const o = Math.floor(j / (n * inner));
    gMap[j] = L.affine === 'n' ? k : o % glen;
  }
  const data: NormPlan = {
    rowDims,
    rowMap: rowMapOf(outer, n, inner),
    gMap,
    gamma,
    beta,
    s,
    mean: { rq: mean.plan, coeffs: meanCoeffs, name: meanName },
    d,
    ss,
    v0: { rq: v0.plan, coeffs: v0Coeffs, name: v0Name },
    z,
    v,
    norm: nm.plan,
    rem: rem.limbs,
    rem2: rem2.limbs,
  };
  return { aux, lookups, data };
}

function witness(L: NormLayer, p: NormPlan, values: (t: string) => ArrayLike<number>): Map<string, Int32Array> {
  const out = new Map<string, Int32Array>();
  const x = values(L.inputs[0]);
  const y = values(L.output);
  const gamma = values(p.gamma);
  const beta = values(p.beta);
  const rows = L.outer * L.inner;
  const { n } = L;
  const s = new Int32Array(rows);
  for (let j = 0; j < x.length; j++) s[p.rowMap[j]] += x[j];
  const mean = Int32Array.from(s, (v) => Math.floor((2 * v + n) / (2 * n)));
  const d = Int32Array.from(x, (v, j) => v - mean[p.rowMap[j]]);
  const ss = new Int32Array(rows);
  for (let j = 0; j < x.length; j++) ss[p.rowMap[j]] += d[j] * d[j];
  const v0 = Int32Array.from(ss, (v) => Math.floor((2 * v + n) / (2 * n)));
  const V = Int32Array.from(v0, (v) => Math.max(v + L.epsQ, 1));
  out.set(p.s, s);
  out.set(p.mean.name, mean);
  out.set(p.d, d);
  out.set(p.ss, ss);
  out.set(p.v0.name, v0);
  out.set(p.v, V);
  out.set(p.z, Int32Array.from(V, (v, r) => v - v0[r] - L.epsQ));
  for (const [k, t] of requantWitness(p.mean.rq, p.mean.coeffs, s, mean)) out.set(k, t);
  for (const [k, t] of requantWitness(p.v0.rq, p.v0.coeffs, ss, v0)) out.set(k, t);
  const js = normaliseWitness(p.norm, V, out);
  const c0 = L.rBits + L.gExp - L.outExp;
  const rsq = out.get(p.norm.mv)!;
  const rem = new Float64Array(x.length);
  const rem2 = new Float64Array(x.length);
  for (let j = 0; j < x.length; j++) {
    const r = p.rowMap[j];
    const k = shiftCoeffs(c0 + js[r]);
    const g = p.gMap[j];
    rem[j] = k.a * d[j] * rsq[r] * gamma[g] + k.h - k.d * (y[j] - beta[g]);
    rem2[j] = k.d - 1 - rem[j];
  }
  limbWitness(p.rem, rem, out);
  limbWitness(p.rem2, rem2, out);
  return out;
}

function requant(ctx: Context, q: { rq: RequantPlan; coeffs: RequantCoeffs }, acc: string, label: string): void {
  const res = ctx.role === 'prover' ? proveRequant(ctx, q.rq, q.coeffs, ctx.values(acc), label) : verifyRequant(ctx, q.rq, q.coeffs, label);
  ctx.claim(acc, res.point, res.acc);
}

function run(L: NormLayer, p: NormPlan, ctx: Context): void {
  const x = L.inputs[0];
  const xl = ctx.layout(x);
  const rl = layoutOf(p.rowDims);
  rowSums(ctx, xl, rl, p.rowMap, [{ factors: [x], row: p.s, rowCoef: 1, chiConst: 0 }, { factors: [p.d, p.d], row: p.ss, rowCoef: 1, chiConst: 0 }], `${L.name}/sums`);
  requant(ctx, p.mean, p.s, `${L.name}/mean`);
  requant(ctx, p.v0, p.ss, `${L.name}/var`);
  // d = x − mean[row]
  const r = drawPoint(ctx, `${L.name}/d/r`, xl.numVars);
  ctx.claim(p.d, r, reduce(ctx, xl, r, [{ source: x, outIdx: null, srcIdx: null, coef: 1 }, { source: p.mean.name, outIdx: null, srcIdx: p.rowMap, coef: -1 }], `${L.name}/d`));
  // V = V0 + epsQ + z, z·(V0 + epsQ) = 0 (z ∈ {0,1} by lookup; V ≥ 1 by the normalisation)
  const t = (name: string): Column => ({ kind: 'tensor', name });
  zeroCheck(
    ctx,
    rl,
    [chiColumn(rl), t(p.v), t(p.v0.name), t(p.z)],
    [
      [{ coef: 1, cols: [1] }, { coef: -1, cols: [2] }, { coef: -L.epsQ, cols: [0] }, { coef: -1, cols: [3] }],
      [{ coef: 1, cols: [3, 2] }, { coef: L.epsQ, cols: [3, 0] }],
    ],
    `${L.name}/clamp`,
  );
  runNormalise(ctx, p.norm, L.name);
  // a·(d·r·γ) + h − dd·(y − β) − rem = 0, rem + rem2 + χ − dd = 0, y − χ·y = 0
  const [a, h, dd] = p.norm.extras;
  const cols: Column[] = [
    chiColumn(xl),
    viewColumn(ctx, xl, a, p.rowMap),
    viewColumn(ctx, xl, h, p.rowMap),
    viewColumn(ctx, xl, dd, p.rowMap),
    viewColumn(ctx, xl, p.norm.mv, p.rowMap),
    viewColumn(ctx, xl, p.gamma, p.gMap),
    viewColumn(ctx, xl, p.beta, p.gMap),
    t(p.d),
    t(L.output),
    ...limbColumns(p.rem),
    ...limbColumns(p.rem2),
  ];
  const r0 = 9;
  const r20 = r0 + p.rem.names.length;
  const { point, evals } = zeroCheck(
    ctx,
    xl,
    cols,
    [
      [{ coef: 1, cols: [1, 7, 4, 5] }, { coef: 1, cols: [2] }, { coef: -1, cols: [3, 8] }, { coef: 1, cols: [3, 6] }, ...limbTerms(p.rem, r0, -1)],
      [...limbTerms(p.rem, r0, 1), ...limbTerms(p.rem2, r20, 1), { coef: 1, cols: [0] }, { coef: -1, cols: [3] }],
      [{ coef: 1, cols: [8] }, { coef: -1, cols: [0, 8] }],
    ],
    `${L.name}/norm`,
  );
  views(ctx, xl, point, [a, h, dd, p.norm.mv], p.rowMap, evals.slice(1, 5), `${L.name}/rows`);
  views(ctx, xl, point, [p.gamma, p.beta], p.gMap, evals.slice(5, 7), `${L.name}/affine`);
}

export const normProof: LayerProtocol<NormLayer> = {
  plan,
  witness(L, pl, values) {
    return witness(L, pl.data as NormPlan, values);
  },
  prove(L, pl, ctx) {
    run(L, pl.data as NormPlan, ctx);
  },
  verify(L, pl, ctx) {
    run(L, pl.data as NormPlan, ctx);
  },
};

