/**
 * Gemm (constant weights, per-output-column shifts) — proof. Relation per output (lead…, n):
 *   acc = Σ_k X[lead, k]·W[n, k] + bias,  then the requantisation of `circuit/requant.ts`.
 * After the requantisation sumcheck leaves acc~(ρ_n ‖ ρ_lead), the matrix-product sumcheck
 * (PROTOCOL-NOTES §4) proves
 *   acc~(ρ) − bias_term = Σ_{k} X~(k ‖ ρ_lead)·W~(k ‖ ρ_n)
 * with bias_term = bias~(ρ_n)·χ_lead~(ρ_lead) for a per-column bias (bias~(ρ) for a full one).
 * Its final claims X~(σ ‖ ρ_lead) and W~(σ ‖ ρ_n) go to the batch openings. X padding along k is
 * proven zero by X's own relation, so whatever sits in W's padding never contributes.
 * No wrap: |acc| ≤ max|x|·128·K + |bias| (weights are int8 by the model-commit range proof).
 */
import { ext, extEquals } from '../../field/extension.js';
import { kernels } from '../../field/active.js';
import type { GemmLayer } from '../../quantize/layers.js';
import { chiEval, layoutOf } from '../../circuit/layout.js';
import { clear, PRODUCT_OF_TWO, vScale, vSub, type Val } from '../../circuit/values.js';
import { CircuitError, type LayerProtocol, type PlanContext, type ProverContext, type VerifierContext } from '../../circuit/protocol.js';
import { columnCoeffs, planRequant, proveRequant, requantWitness, shiftCoeffs, verifyRequant, type RequantCoeffs, type RequantPlan } from '../../circuit/requant.js';

interface GemmPlan {
  rq: RequantPlan;
  coeffs: RequantCoeffs;
  lead: number[];
  biasName: string | null;
  biasFull: boolean;
}

function maxAbs(r: { lo: number; hi: number }): number {
  return Math.max(Math.abs(r.lo), Math.abs(r.hi));
}

export function gemmAcc(L: GemmLayer, x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | null): Float64Array {
  const { K, N } = L;
  const rows = x.length / K;
  const acc = new Float64Array(rows * N);
  const full = bias !== null && bias.length !== N;
  for (let r = 0; r < rows; r++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      const xo = r * K;
      const wo = n * K;
      for (let k = 0; k < K; k++) s += x[xo + k] * w[wo + k];
      if (bias) s += full ? bias[r * N + n] : bias[n];
      acc[r * N + n] = s;
    }
  }
  return acc;
}

export const gemmProof: LayerProtocol<GemmLayer> = {
  plan(L, c: PlanContext) {
    const xd = c.dims(L.inputs[0]);
    const yd = c.dims(L.output);
    const lead = yd.slice(0, -1);
    if (xd[xd.length - 1] !== L.K || yd[yd.length - 1] !== L.N || xd.length !== yd.length || lead.some((d, i) => d !== xd[i])) {
      throw new CircuitError(`layer '${L.name}' (Gemm): input [${xd}] and output [${yd}] are not [..., ${L.K}] → [..., ${L.N}]`, L.name);
    }
    const size = yd.reduce((a, b) => a * b, 1);
    const per = { a: [] as number[], h: [] as number[], d: [] as number[] };
    for (let n = 0; n < L.N; n++) {
      const s = shiftCoeffs(L.shift[n]);
      per.a.push(s.a);
      per.h.push(s.h);
      per.d.push(s.d);
    }
    const coeffs = columnCoeffs(size, per);
    const biasName = c.isParam(`${L.name}/bias`) ? `${L.name}/bias` : null;
    const biasMax = biasName ? maxAbs(c.range(biasName)) : 0;
    const accMax = maxAbs(c.range(L.inputs[0])) * 128 * L.K + biasMax;
    const rq = planRequant(L.name, L.output, yd, c.range(L.output), coeffs, accMax);
    const biasFull = biasName !== null && c.dims(biasName).length > 1;
    return { aux: rq.aux, lookups: rq.lookups, data: { rq: rq.plan, coeffs, lead, biasName, biasFull } satisfies GemmPlan };
  },

  witness(L, plan, values) {
    const p = plan.data as GemmPlan;
    const acc = gemmAcc(L, values(L.inputs[0]), values(`${L.name}/w`), p.biasName ? values(p.biasName) : null);
    return requantWitness(p.rq, p.coeffs, acc, values(L.output));
  },

  prove(L, plan, ctx: ProverContext) {
    const p = plan.data as GemmPlan;
    // the accumulator is implied by the committed output and remainder (no second product here)
    const rq = proveRequant(ctx, p.rq, p.coeffs, null, L.name);
    const { rhoN, rhoLead, lw } = split(L, ctx, rq.point);
    const target = subtractBias(L, p, ctx, rq.point, rhoN, rhoLead, rq.acc);
    const K = kernels();
    const Kp = 2 ** lw.logs[1];
    const xr = new Uint32Array(4 * Kp);
    K.combineRows(xr, ctx.field(L.inputs[0]), K.eqTable(rhoLead), Kp);
    const wr = new Uint32Array(4 * Kp);
    K.combineRows(wr, ctx.field(`${L.name}/w`), K.eqTable(rhoN), Kp);
    const sc = ctx.sumcheck({ numVars: lw.logs[1], degree: 2, tables: [xr, wr], terms: [{ coeff: ext(1), factors: [0, 1] }] }, `${L.name}/matmul`);
    ctx.assert(extEquals(sc.claimedSum, clear(target)), `layer '${L.name}': internal error, the product does not match the accumulator`);
    ctx.send(`${L.name}/matmul/evals`, Uint32Array.from([...sc.finalEvals[0], ...sc.finalEvals[1]]));
    ctx.finalCheck(`${L.name}/matmul`, PRODUCT_OF_TWO, sc.finalEvals);
    ctx.claim(L.inputs[0], cat(sc.point, rhoLead), sc.finalEvals[0]);
    ctx.claim(`${L.name}/w`, cat(sc.point, rhoN), sc.finalEvals[1]);
  },

  verify(L, plan, ctx: VerifierContext) {
    const p = plan.data as GemmPlan;
    const rq = verifyRequant(ctx, p.rq, p.coeffs, L.name);
    const { rhoN, rhoLead, lw } = split(L, ctx, rq.point);
    const target = subtractBias(L, p, ctx, rq.point, rhoN, rhoLead, rq.acc);
    const { point, finalClaim } = ctx.sumcheck(lw.logs[1], 2, target, `${L.name}/matmul`);
    const [xe, we] = ctx.recv(`${L.name}/matmul/evals`, 2);
    ctx.finalCheck(`${L.name}/matmul`, finalClaim, PRODUCT_OF_TWO, [xe, we], 'MatmulMismatch', `layer '${L.name}': X~·W~ does not match the sumcheck's final claim`);
    ctx.claim(L.inputs[0], cat(point, rhoLead), xe);
    ctx.claim(`${L.name}/w`, cat(point, rhoN), we);
  },
};

function split(L: GemmLayer, ctx: ProverContext | VerifierContext, rho: Uint32Array) {
  const ly = ctx.layout(L.output);
  const lw = layoutOf([L.N, L.K]);
  const nN = ly.logs[ly.logs.length - 1];
  return { rhoN: rho.subarray(0, 4 * nN), rhoLead: rho.subarray(4 * nN), lw };
}

function subtractBias(L: GemmLayer, p: GemmPlan, ctx: ProverContext | VerifierContext, rho: Uint32Array, rhoN: Uint32Array, rhoLead: Uint32Array, acc: Val): Val {
  if (!p.biasName) return acc;
  const pt = p.biasFull ? rho : rhoN;
  let b: Val;
  if (ctx.role === 'prover') {
    const clear = kernels().extDotBase(kernels().eqTable(pt), ctx.field(p.biasName));
    ctx.send(`${L.name}/bias/eval`, clear);
    b = clear;
  } else {
    [b] = ctx.recv(`${L.name}/bias/eval`, 1);
  }
  ctx.claim(p.biasName, pt, b);
  const term = p.biasFull ? b : vScale(b, chiEval(layoutOf(p.lead.length ? p.lead : [1]), rhoLead));
  return vSub(acc, term);
}

function cat(a: Uint32Array, b: Uint32Array): Uint32Array {
  const o = new Uint32Array(a.length + b.length);
  o.set(a);
  o.set(b, a.length);
  return o;
}
