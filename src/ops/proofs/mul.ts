/**
 * Mul layers (element-wise products, scaled): y = round-half-up(a[aMap]·b[bMap]·mult / div),
 * i.e. 2·mult·(A'·B') + div = 2·div·y + rem (or mult·A'·B' = y when div = 1), where A', B' are
 * the broadcast views of the operands. After the requantisation leaves acc~(ρ) = (A'∘B')~(ρ),
 * a degree-3 sumcheck Σ_x eq(ρ, x)·A'(x)·B'(x) ends at σ with A'~(σ), B'~(σ); each is then
 * reduced to a claim on its operand by the linear reduction of its index map (which also proves
 * the views zero on padding). No wrap: |acc| ≤ max|a|·max|b|.
 */
import { clear, EQ_PRODUCT, foldPublic } from '../../circuit/values.js';
import { ext, extEquals } from '../../field/extension.js';
import { kernels } from '../../field/active.js';
import { eqEval } from '../../poly/multilinear.js';
import { isDense, modP, paddedIndex } from '../../circuit/layout.js';
import { divCoeffs, planRequant, proveRequant, requantWitness, verifyRequant, type RequantCoeffs, type RequantPlan } from '../../circuit/requant.js';
import { reduce, type ReduceTerm } from '../../circuit/reduce.js';
import { CircuitError, type LayerProtocol, type ProverContext } from '../../circuit/protocol.js';
import type { MulLayer } from '../../quantize/layers.js';

interface MulPlan {
  rq: RequantPlan;
  coeffs: RequantCoeffs;
  a: ReduceTerm;
  b: ReduceTerm;
}

function view(x: ArrayLike<number>, map: Int32Array | null, n: number): Float64Array {
  const v = new Float64Array(n);
  for (let j = 0; j < n; j++) v[j] = x[map === null ? j : map[j]];
  return v;
}

export const mulProof: LayerProtocol<MulLayer> = {
  plan(L, c) {
    if (!Number.isInteger(L.mult) || !Number.isInteger(L.div) || L.div < 1) throw new CircuitError(`layer '${L.name}': non-integer scale ${L.mult}/${L.div}`, L.name);
    const yd = c.dims(L.output);
    const size = yd.reduce((s, d) => s * d, 1);
    const ra = c.range(L.inputs[0]);
    const rb = c.range(L.inputs[1]);
    const accMax = Math.max(Math.abs(ra.lo), Math.abs(ra.hi)) * Math.max(Math.abs(rb.lo), Math.abs(rb.hi));
    const k = divCoeffs(L.mult, L.div);
    const coeffs = { a: new Float64Array(size).fill(k.a), h: new Float64Array(size).fill(k.h), d: new Float64Array(size).fill(k.d) };
    const rq = planRequant(L.name, L.output, yd, c.range(L.output), coeffs, accMax);
    const data: MulPlan = {
      rq: rq.plan,
      coeffs,
      a: { source: L.inputs[0], outIdx: null, srcIdx: L.aMap, coef: 1 },
      b: { source: L.inputs[1], outIdx: null, srcIdx: L.bMap, coef: 1 },
    };
    return { aux: rq.aux, lookups: rq.lookups, data };
  },
  witness(L, plan, values) {
    const p = plan.data as MulPlan;
    const y = values(L.output);
    const a = view(values(L.inputs[0]), L.aMap, y.length);
    const b = view(values(L.inputs[1]), L.bMap, y.length);
    return requantWitness(p.rq, p.coeffs, a.map((v, j) => v * b[j]), y);
  },
  prove(L, plan, ctx: ProverContext) {
    const p = plan.data as MulPlan;
    const y = ctx.values(L.output);
    const a = view(ctx.values(L.inputs[0]), L.aMap, y.length);
    const b = view(ctx.values(L.inputs[1]), L.bMap, y.length);
    const rq = proveRequant(ctx, p.rq, p.coeffs, a.map((v, j) => v * b[j]), L.name);
    const out = ctx.layout(L.output);
    const fa = new Uint32Array(2 ** out.numVars);
    const fb = new Uint32Array(2 ** out.numVars);
    const idx = isDense(out) ? null : paddedIndex(out);
    for (let j = 0; j < out.size; j++) {
      fa[idx ? idx[j] : j] = modP(a[j]);
      fb[idx ? idx[j] : j] = modP(b[j]);
    }
    const sc = ctx.sumcheck({ numVars: out.numVars, degree: 3, tables: [kernels().eqTable(rq.point), fa, fb], terms: [{ coeff: ext(1), factors: [0, 1, 2] }] }, `${L.name}/hadamard`);
    ctx.assert(extEquals(sc.claimedSum, rq.acc), `layer '${L.name}': internal error, the product does not match the accumulator`);
    ctx.send(`${L.name}/hadamard/evals`, Uint32Array.from([...sc.finalEvals[1], ...sc.finalEvals[2]]));
    ctx.finalCheck(`${L.name}/hadamard`, foldPublic(EQ_PRODUCT, [sc.finalEvals[0], null, null]), sc.finalEvals.slice(1));
    const va = reduce(ctx, out, sc.point, [p.a], `${L.name}/a`);
    const vb = reduce(ctx, out, sc.point, [p.b], `${L.name}/b`);
    ctx.assert(extEquals(clear(va), sc.finalEvals[1]) && extEquals(clear(vb), sc.finalEvals[2]), `layer '${L.name}': internal error in the operand views`);
  },
  verify(L, plan, ctx) {
    const p = plan.data as MulPlan;
    const rq = verifyRequant(ctx, p.rq, p.coeffs, L.name);
    const out = ctx.layout(L.output);
    const { point, finalClaim } = ctx.sumcheck(out.numVars, 3, rq.acc, `${L.name}/hadamard`);
    const [ea, eb] = ctx.recv(`${L.name}/hadamard/evals`, 2);
    ctx.finalCheck(`${L.name}/hadamard`, finalClaim, foldPublic(EQ_PRODUCT, [eqEval(rq.point, point), null, null]), [ea, eb], 'ProductMismatch', `layer '${L.name}': element-wise product check failed`);
    const va = reduce(ctx, out, point, [p.a], `${L.name}/a`);
    const vb = reduce(ctx, out, point, [p.b], `${L.name}/b`);
    ctx.equal(va, ea, 'CopyMismatch', `layer '${L.name}': an operand view does not match its operand`);
    ctx.equal(vb, eb, 'CopyMismatch', `layer '${L.name}': an operand view does not match its operand`);
  },
};
