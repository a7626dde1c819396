/**
 * MatMul of two activations (batched, numpy broadcasting) — proof. Per batch t, with the operand
 * views A'[t,m,k] = a[aOff[t] + m·K + k] and B'[t,k,n] = b[bOff[t] + k·N + n]:
 *   acc[t,m,n] = Σ_k A'[t,m,k]·B'[t,k,n],   y = round-half-up(acc / 2^shift)
 * proven as the requantisation (`circuit/requant.ts`), which leaves acc~(ρ_n, ρ_m, ρ_t), then the
 * batched matrix-product sumcheck (PROTOCOL-NOTES §4, with the batch summed under eq):
 *   acc~(ρ) = Σ_{t,k} eq(ρ_t, t)·A'~(k, ρ_m, t)·B'~(ρ_n, k, t)          (degree 3)
 * whose final claims A'~(σ_k, ρ_m, σ_t) and B'~(ρ_n, σ_k, σ_t) are claims on the operands when a
 * view coincides with its operand's layout, and are otherwise reduced to them by the linear
 * reduction (broadcast batches, 1-D operands), which also makes the views zero on padding.
 * Operand padding along k is zero (proven by the operands' own relations, or by the reduction),
 * so padded k contributes nothing; y's padding is proven zero by the requantisation.
 * No wrap: |acc| ≤ K·max|a|·max|b| (int8×int8: K ≤ ~40,960), checked by the requantisation plan.
 */
import { clear, EQ_PRODUCT, foldPublic, type Val } from '../../circuit/values.js';
import { ext, extEquals } from '../../field/extension.js';
import { kernels } from '../../field/active.js';
import { eqEval, type Point } from '../../poly/multilinear.js';
import { layoutOf, nextPow2, toField } from '../../circuit/layout.js';
import { LIMB, columnCoeffs, planRequant, proveRequant, requantWitness, shiftCoeffs, verifyRequant, type RequantCoeffs, type RequantPlan } from '../../circuit/requant.js';
import { reduce, type ReduceTerm } from '../../circuit/reduce.js';
import { CircuitError, type Context, type LayerProtocol, type ProverContext } from '../../circuit/protocol.js';
import type { MatMulLayer } from '../../quantize/layers.js';

interface OperandView {
  source: string;
  /** view dims: [...batch, M, K] for a, [...batch, K, N] for b */
  dims: number[];
  /** null: the view is the operand itself (same layout), claims go straight to it */
  term: ReduceTerm | null;
}

interface MatMulPlan {
  rq: RequantPlan;
  coeffs: RequantCoeffs;
  batch: number[];
  a: OperandView;
  b: OperandView;
}

const squeeze = (d: number[]): number[] => d.filter((v) => v !== 1);
const sameDims = (x: number[], y: number[]): boolean => x.length === y.length && x.every((v, i) => v === y[i]);
const prod = (d: number[]): number => d.reduce((a, b) => a * b, 1);

function maxAbs(r: { lo: number; hi: number }): number {
  return Math.max(Math.abs(r.lo), Math.abs(r.hi));
}

/** Batch dims of the output: y dims are [...batch, M?, N?] (M or N dropped for 1-D operands). */
function batchDims(L: MatMulLayer, yd: number[]): number[] | null {
  const { M, N } = L;
  const T = L.aOff.length;
  const tries: number[][] = [];
  if (yd.length >= 2 && yd[yd.length - 2] === M && yd[yd.length - 1] === N) tries.push(yd.slice(0, -2));
  if (yd.length >= 1 && M === 1 && yd[yd.length - 1] === N) tries.push(yd.slice(0, -1));
  if (yd.length >= 1 && N === 1 && yd[yd.length - 1] === M) tries.push(yd.slice(0, -1));
  if (M === 1 && N === 1) tries.push(yd.slice());
  return tries.find((b) => prod(b) === T) ?? null;
}

/** View index map: entry (t, r, c) of a [T, R, C] view reads operand index off[t] + r·C + c. */
function viewMap(off: Int32Array, R: number, C: number): Int32Array {
  const out = new Int32Array(off.length * R * C);
  let j = 0;
  for (let t = 0; t < off.length; t++) for (let i = 0; i < R * C; i++) out[j++] = off[t] + i;
  return out;
}

function operandView(source: string, srcDims: number[], dims: number[], off: Int32Array, R: number, C: number): OperandView {
  const identity = off.every((o, t) => o === t * R * C) && sameDims(squeeze(srcDims), squeeze(dims));
  return { source, dims, term: identity ? null : { source, outIdx: null, srcIdx: viewMap(off, R, C), coef: 1 } };
}

/** Integer accumulators, the kernel's definition. */
export function matmulAcc(L: MatMulLayer, a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const { M, K, N, aOff, bOff } = L;
  const acc = new Float64Array(aOff.length * M * N);
  const row = new Float64Array(N);
  for (let t = 0; t < aOff.length; t++) {
    for (let m = 0; m < M; m++) {
      row.fill(0);
      const ao = aOff[t] + m * K;
      for (let k = 0; k < K; k++) {
        const av = a[ao + k];
        if (av === 0) continue;
        const bo = bOff[t] + k * N;
        for (let n = 0; n < N; n++) row[n] += av * b[bo + n];
      }
      acc.set(row, (t * M + m) * N);
    }
  }
  return acc;
}

export const matmulProof: LayerProtocol<MatMulLayer> = {
  plan(L, c) {
    const { M, K, N } = L;
    const yd = c.dims(L.output);
    const batch = batchDims(L, yd);
    if (!batch || L.bOff.length !== L.aOff.length || !Number.isInteger(L.shift) || L.shift < 0) {
      throw new CircuitError(`layer '${L.name}' (${L.op}): output [${yd}] is not a batch of ${L.aOff.length} [${M}, ${N}] products with a shift ≥ 0`, L.name);
    }
    const [an, bn] = L.inputs;
    const sizeA = prod(c.dims(an));
    const sizeB = prod(c.dims(bn));
    for (let t = 0; t < L.aOff.length; t++) {
      if (L.aOff[t] < 0 || L.aOff[t] + M * K > sizeA || L.bOff[t] < 0 || L.bOff[t] + K * N > sizeB) {
        throw new CircuitError(`layer '${L.name}': batch ${t} reads outside its operands`, L.name);
      }
    }
    const size = prod(yd);
    const coeffs = columnCoeffs(size, (() => {
      const s = shiftCoeffs(L.shift);
      return { a: [s.a], h: [s.h], d: [s.d] };
    })());
    const accMax = K * maxAbs(c.range(an)) * maxAbs(c.range(bn));
    const rq = planRequant(L.name, L.output, yd, c.range(L.output), coeffs, accMax);
    const data: MatMulPlan = {
      rq: rq.plan,
      coeffs,
      batch,
      a: operandView(an, c.dims(an), [...batch, M, K], L.aOff, M, K),
      b: operandView(bn, c.dims(bn), [...batch, K, N], L.bOff, K, N),
    };
    return { aux: rq.aux, lookups: rq.lookups, data };
  },

  witness(L, plan, values) {
    const p = plan.data as MatMulPlan;
    return requantWitness(p.rq, p.coeffs, matmulAcc(L, values(L.inputs[0]), values(L.inputs[1])), values(L.output));
  },

  prove(L, plan, ctx) {
    const p = plan.data as MatMulPlan;
    const a = ctx.values(L.inputs[0]);
    const b = ctx.values(L.inputs[1]);
    // the accumulator the committed (y, rem) imply; the product sumcheck checks it against a·b
    const rq = proveRequant(ctx, p.rq, p.coeffs, impliedAcc(p, ctx), L.name);
    const s = split(L, p, ctx, rq.point);
    const K = kernels();
    const { Mp, Kp, Np, Tp } = s;
    const la = layoutOf(p.a.dims);
    const lb = layoutOf(p.b.dims);
    const fa = p.a.term ? toField(la, viewOf(a, p.a.term.srcIdx!)) : ctx.field(p.a.source);
    const fb = p.b.term ? toField(lb, viewOf(b, p.b.term.srcIdx!)) : ctx.field(p.b.source);
    // Ar[t,k] = Σ_m eq(ρ_m, m)·A'[t,m,k];  Br[t,k] = Σ_n eq(ρ_n, n)·B'[t,k,n];  E[t,k] = eq(ρ_t, t)
    const eqM = K.eqTable(s.rhoM);
    const eqN = K.eqTable(s.rhoN);
    const eqT = K.eqTable(s.rhoT);
    const Ar = new Uint32Array(4 * Tp * Kp);
    const Br = new Uint32Array(4 * Tp * Kp);
    const E = new Uint32Array(4 * Tp * Kp);
    for (let t = 0; t < Tp; t++) {
      const ar = Ar.subarray(4 * t * Kp, 4 * (t + 1) * Kp);
      for (let m = 0; m < Mp; m++) {
        const o = (t * Mp + m) * Kp;
        K.extMulAddBase(ar, fa.subarray(o, o + Kp), eqM.subarray(4 * m, 4 * m + 4));
      }
      for (let k = 0; k < Kp; k++) {
        const o = (t * Kp + k) * Np;
        Br.set(K.extDotBase(eqN, fb.subarray(o, o + Np)), 4 * (t * Kp + k));
        E.set(eqT.subarray(4 * t, 4 * t + 4), 4 * (t * Kp + k));
      }
    }
    const sc = ctx.sumcheck({ numVars: s.nT + s.nK, degree: 3, tables: [E, Ar, Br], terms: [{ coeff: ext(1), factors: [0, 1, 2] }] }, `${L.name}/matmul`);
    ctx.assert(extEquals(sc.claimedSum, rq.acc), `layer '${L.name}': internal error, the product does not match the accumulator`);
    ctx.send(`${L.name}/matmul/evals`, Uint32Array.from([...sc.finalEvals[1], ...sc.finalEvals[2]]));
    ctx.finalCheck(`${L.name}/matmul`, foldPublic(EQ_PRODUCT, [sc.finalEvals[0], null, null]), sc.finalEvals.slice(1));
    operandClaims(ctx, p, s, sc.point, sc.finalEvals[1], sc.finalEvals[2], L.name);
  },

  verify(L, plan, ctx) {
    const p = plan.data as MatMulPlan;
    const rq = verifyRequant(ctx, p.rq, p.coeffs, L.name);
    const s = split(L, p, ctx, rq.point);
    const { point, finalClaim } = ctx.sumcheck(s.nT + s.nK, 3, rq.acc, `${L.name}/matmul`);
    const [av, bv] = ctx.recv(`${L.name}/matmul/evals`, 2);
    const e = eqEval(s.rhoT, point.subarray(4 * s.nK));
    ctx.finalCheck(`${L.name}/matmul`, finalClaim, foldPublic(EQ_PRODUCT, [e, null, null]), [av, bv], 'MatmulMismatch', `layer '${L.name}': eq·A~·B~ does not match the sumcheck's final claim`);
    operandClaims(ctx, p, s, point, av, bv, L.name);
  },
};

/** acc = (d·y + rem − h) / a from the committed output and remainder limbs (exact: a = 1 for shift ≥ 0). */
function impliedAcc(p: MatMulPlan, ctx: ProverContext): Float64Array {
  const y = ctx.values(p.rq.out);
  const rems = p.rq.rem.map((n) => ctx.values(n));
  const { a, h, d } = p.coeffs;
  const acc = new Float64Array(y.length);
  for (let j = 0; j < y.length; j++) {
    let r = 0;
    rems.forEach((v, i) => (r += v[j] * 2 ** (LIMB * i)));
    acc[j] = (d[j] * y[j] + r - h[j]) / a[j];
  }
  return acc;
}

interface Split {
  rhoN: Point;
  rhoM: Point;
  rhoT: Point;
  nK: number;
  nT: number;
  Mp: number;
  Kp: number;
  Np: number;
  Tp: number;
}

/** ρ over y's variables = (ρ_n, ρ_m, ρ_t), lowest first (1-D operands drop size-1 dims: no variables). */
function split(L: MatMulLayer, p: MatMulPlan, ctx: Context, rho: Point): Split {
  const ly = ctx.layout(L.output);
  const Mp = nextPow2(L.M);
  const Np = nextPow2(L.N);
  const Kp = nextPow2(L.K);
  const nM = Math.log2(Mp);
  const nN = Math.log2(Np);
  const lt = layoutOf(p.batch.length ? p.batch : [1]);
  if (ly.numVars !== lt.numVars + nM + nN) throw new Error(`matmul: output layout has ${ly.numVars} variables, expected ${lt.numVars + nM + nN}`);
  return {
    rhoN: rho.subarray(0, 4 * nN),
    rhoM: rho.subarray(4 * nN, 4 * (nN + nM)),
    rhoT: rho.subarray(4 * (nN + nM)),
    nK: Math.log2(Kp),
    nT: lt.numVars,
    Mp,
    Kp,
    Np,
    Tp: 2 ** lt.numVars,
  };
}

function viewOf(x: ArrayLike<number>, idx: Int32Array): Float64Array {
  const v = new Float64Array(idx.length);
  for (let j = 0; j < idx.length; j++) v[j] = x[idx[j]];
  return v;
}

function cat(...ps: Point[]): Point {
  const out = new Uint32Array(ps.reduce((s, q) => s + q.length, 0));
  let o = 0;
  for (const q of ps) {
    out.set(q, o);
    o += q.length;
  }
  return out;
}

/** Claims A'~(σ_k, ρ_m, σ_t) and B'~(ρ_n, σ_k, σ_t) on the operands (reduced when they are views). */
function operandClaims(ctx: Context, p: MatMulPlan, s: Split, sigma: Point, av: Val, bv: Val, name: string): void {
  const sk = sigma.subarray(0, 4 * s.nK);
  const st = sigma.subarray(4 * s.nK);
  const one = (v: OperandView, point: Point, value: Val, label: string): void => {
    if (!v.term) {
      ctx.claim(v.source, point, value);
      return;
    }
    const got = reduce(ctx, layoutOf(v.dims), point, [v.term], label);
    if (ctx.role === 'prover') ctx.assert(extEquals(clear(got), clear(value)), `layer '${name}': internal error in the ${label} operand view`);
    else ctx.equal(got, value, 'CopyMismatch', `layer '${name}': the batch view of '${v.source}' does not match the operand`);
  };
  one(p.a, cat(sk, s.rhoM, st), av, `${name}/a`);
  one(p.b, cat(s.rhoN, sk, st), bv, `${name}/b`);
}
