/**
 * Linear reductions: the copy relation of layout ops and every fixed linear map of tensors
 * (broadcast operands, window sums, concatenation). For an output point r and public triples
 * (j, i, c) per source tensor X_s,
 *
 *   S_s(r) = Σ_{(j,i,c)} c·eq(r, pad(j))·X_s[i] = Σ_{i'} X_s(i')·M_s(i'),
 *   M_s(pad(i)) = Σ_{(j,i,c)} c·eq(r, pad(j))   (zero on the source's padding).
 *
 * The prover sends every S_s(r) (absorbed); the caller checks their combination against what it
 * knows; then one degree-2 sumcheck per source reduces S_s(r) to X_s~(σ_s)·M_s~(σ_s), the prover
 * sends X_s~(σ_s) and the verifier computes M_s~(σ_s) itself in O(|out| + |X_s|). An identity map
 * between equal layouts skips the sumcheck: S_s(r) = c·X_s~(r).
 *
 * Because M_s is zero wherever no real output reads, whatever sits in X_s's padding never matters,
 * and an output whose MLE is claimed equal to Σ S_s(r) has proven-zero padding.
 */
import { P } from '../field/babybear.js';
import { type Ext, ext, extMul } from '../field/extension.js';
import { kernels } from '../field/active.js';
import type { Point } from '../poly/multilinear.js';
import { eqOnReal, isDense, modP, paddedIndex, type Layout } from './layout.js';
import type { Context, ProverContext, VerifierContext } from './protocol.js';
import { vAdd, vScale, type Val } from './values.js';

export interface ReduceTerm {
  source: string;
  /** output indices (real, row-major); null: 0 … n−1 */
  outIdx: Int32Array | null;
  /** source indices (real, row-major), same length; null: equal to outIdx */
  srcIdx: Int32Array | null;
  /** one coefficient for all pairs */
  coef: number;
}

function isIdentity(t: ReduceTerm, out: Layout, src: Layout): boolean {
  if (out.dims.length !== src.dims.length || out.dims.some((d, i) => d !== src.dims[i])) return false;
  if (t.outIdx === null && t.srcIdx === null) return true;
  const o = t.outIdx;
  const s = t.srcIdx ?? o;
  if (!o || !s || o.length !== out.size) return false;
  for (let j = 0; j < o.length; j++) if (o[j] !== j || s[j] !== j) return false;
  return true;
}

/** M over the source's padded cube (ext vector). Hot for large maps: plain loops, no allocation per pair. */
function buildM(t: ReduceTerm, eqOut: Uint32Array, out: Layout, src: Layout): Uint32Array {
  const M = new Uint32Array(4 * 2 ** src.numVars);
  const pidx = isDense(src) ? null : paddedIndex(src);
  const n = t.outIdx ? t.outIdx.length : out.size;
  const c = modP(t.coef);
  let eq = eqOut;
  if (c !== 1) {
    eq = new Uint32Array(eqOut.length);
    kernels().extScale(eq, eqOut, ext(c));
  }
  for (let k = 0; k < n; k++) {
    const j = t.outIdx ? t.outIdx[k] : k;
    const i = t.srcIdx ? t.srcIdx[k] : j;
    const p = 4 * (pidx ? pidx[i] : i);
    const q = 4 * j;
    for (let w = 0; w < 4; w++) {
      const v = M[p + w] + eq[q + w];
      M[p + w] = v >= P ? v - P : v;
    }
  }
  return M;
}

/**
 * Returns Σ_s S_s(r) (the value of the reduction at r) and registers the claims on the sources.
 * The caller compares the returned value with its own (or uses it as a claim on the output).
 */
export function proveReduce(ctx: ProverContext, out: Layout, r: Point, terms: ReduceTerm[], label: string): Ext {
  const K = kernels();
  const eqOut = eqOnReal(out, r);
  const plans = terms.map((t) => {
    const src = ctx.layout(t.source);
    if (isIdentity(t, out, src)) return { t, src, M: null as Uint32Array | null, S: K.extDotBase(K.eqTable(r), ctx.field(t.source)) };
    const M = buildM(t, eqOut, out, src);
    return { t, src, M, S: K.extDotBase(M, ctx.field(t.source)) };
  });
  const sums = new Uint32Array(4 * terms.length);
  plans.forEach((p, s) => sums.set(p.S, 4 * s));
  ctx.send(`${label}/reduce/sums`, sums);
  let total = ext();
  plans.forEach((p, s) => {
    const v = p.M ? p.S : extMul(p.S, ext(modP(p.t.coef)));
    total = addExt(total, v);
    if (!p.M) {
      ctx.claim(p.t.source, r, p.S);
      return;
    }
    const sc = ctx.sumcheck({ numVars: p.src.numVars, degree: 2, tables: [ctx.field(p.t.source), p.M], terms: [{ coeff: ext(1), factors: [0, 1] }] }, `${label}/reduce/${s}`);
    ctx.send(`${label}/reduce/${s}/eval`, sc.finalEvals[0]);
    ctx.finalCheck(`${label}/reduce/${s}`, [{ coeff: sc.finalEvals[1], factors: [0] }], [sc.finalEvals[0]]);
    ctx.claim(p.t.source, sc.point, sc.finalEvals[0]);
  });
  return total;
}

export function verifyReduce(ctx: VerifierContext, out: Layout, r: Point, terms: ReduceTerm[], label: string): Val {
  const K = kernels();
  const sums = ctx.recv(`${label}/reduce/sums`, terms.length);
  let eqOut: Uint32Array | null = null;
  let total: Val = ext();
  terms.forEach((t, s) => {
    const S = sums[s];
    const src = ctx.layout(t.source);
    if (isIdentity(t, out, src)) {
      total = vAdd(total, vScale(S, ext(modP(t.coef))));
      ctx.claim(t.source, r, S);
      return;
    }
    total = vAdd(total, S);
    eqOut ??= eqOnReal(out, r);
    const { point, finalClaim } = ctx.sumcheck(src.numVars, 2, S, `${label}/reduce/${s}`);
    const [x] = ctx.recv(`${label}/reduce/${s}/eval`, 1);
    const m = K.extDot(buildM(t, eqOut, out, src), K.eqTable(point));
    ctx.finalCheck(`${label}/reduce/${s}`, finalClaim, [{ coeff: m, factors: [0] }], [x], 'CopyMismatch', `${label}: linear map check failed for source '${t.source}'`);
    ctx.claim(t.source, point, x);
  });
  return total;
}

export function reduce(ctx: Context, out: Layout, r: Point, terms: ReduceTerm[], label: string): Val {
  return ctx.role === 'prover' ? proveReduce(ctx, out, r, terms, label) : verifyReduce(ctx, out, r, terms, label);
}

function addExt(a: Ext, b: Ext): Ext {
  const out = new Uint32Array(4);
  kernels().extAdd(out, a, b);
  return out;
}

