/**
 * One padded layer step of the fractional-sum GKR (`./gkr.ts`, PROTOCOL-NOTES §5) for zero
 * knowledge (docs/zero-knowledge.md §2): the claim on layer k and the masks stay hidden.
 *
 * Claim in: r ∈ K^k and hidden P = p~_k(r), Q = q~_k(r), held by the verifier as affine
 * expressions in w (the previous step's line restrictions). The step, in the clear protocol's
 * transcript order:
 *   1. draw λ (`<label>/lambda`); H = P + λ·Q is hidden — an affine expression;
 *   2. padded degree-3 sumcheck (`../zk-sumcheck.ts`, label `<label>/layer`, hidden sum) on
 *      Σ_x eq(r, x)·[p0·q1 + p1·q0 + λ·q0·q1](x), tables eq(r,·), p0, p1, q0, q1 = the halves of
 *      layer k+1 (the child bit is the top variable); point ρ;
 *   3. the masks a0, a1, b0, b1 = p~_{k+1}, q~_{k+1} at (ρ, 0), (ρ, 1) sent padded and absorbed
 *      under `<label>/masks` (where the clear masks are absorbed), with the final check
 *      c = eq(r, ρ)·(a0·b1 + a1·b0 + λ·b0·b1): a final check of shape {4 evaluations; terms
 *      a0b1, a1b0, b0b1} with public coefficients eq(r,ρ), eq(r,ρ), λ·eq(r,ρ) — three product slots;
 *   4. draw μ (`<label>/mu`); P' = a0 + μ(a1 − a0), Q' = b0 + μ(b1 − b0), affine in the mask pads;
 *      r' = (ρ, μ).
 * Claim out: (r', P', Q') — **the caller must discharge it** (the next step, or links of the leaves
 * to committed segments).
 *
 * Pads: `zkGkrLayerLayout(k)` = 4·k·4 round entries, then 4 masks · 4 entries, then 3 slots · 48.
 * Why sound: the clear layer step (error ≤ (3k + 2)/|K|) with messages fixed by committed pads
 * before each challenge; the final check is exact through the product slots (`../zk-final.ts`).
 * What it hides: the round values and masks are uniform; P, Q, P', Q' are never sent.
 *
 * The prover here is the generic `proveSumcheck` (through the padded prover) on five tables: the
 * reference for one step. `./zk-gkr.ts` proves whole trees with the eq-split workspace prover of
 * `./gkr-prover.ts` through padding hooks, which sends the same messages (tested).
 */
import { type Ext, ext, extAdd, extMul, extSub } from '../../field/extension.js';
import { type ConstraintSystem } from '../../pcs/constraints.js';
import { concatPoints, eqEval, eqTable, type Point } from '../../poly/multilinear.js';
import type { Transcript } from '../../transcript/transcript.js';
import { fail, type VerifyError } from '../../util/result.js';
import type { SumcheckProof } from '../sumcheck.js';
import { type Affine, affineAdd, affineCombine, appendSystem, affineScale } from '../zk-affine.js';
import { proveZkFinal, verifyZkFinal, type ZkFinalProof, type ZkFinalShape } from '../zk-final.js';
import { proveZkSumcheck, verifyZkSumcheck, zkSumcheckLayout, type ZkSumcheckAt, type ZkSumcheckLayout } from '../zk-sumcheck.js';

/** The layer's final check over (a0, a1, b0, b1): a0·b1, a1·b0, b0·b1. */
export const GKR_LAYER_FINAL: ZkFinalShape = { numEvals: 4, terms: [[0, 3], [1, 2], [2, 3]] };

/** The pad layout of the layer k → k+1 step (k ≥ 1 sumcheck variables). */
export function zkGkrLayerLayout(k: number): ZkSumcheckLayout {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`zk gkr layer: expected k ≥ 1, got ${k}`);
  return zkSumcheckLayout({ numVars: k, degree: 3, final: GKR_LAYER_FINAL });
}

export interface ZkGkrLayerProof {
  sumcheck: SumcheckProof;
  masks: ZkFinalProof;
}

/** The verifier's claim on a layer: point and hidden P, Q. */
export interface ZkGkrClaim {
  point: Point;
  p: Affine;
  q: Affine;
}

function line(a: Ext, b: Ext, mu: Ext): Ext {
  return extAdd(a, extMul(mu, extSub(b, a)));
}

/**
 * Prover of the step from layer k (claim point r, k coordinates) to layer k+1, whose tables
 * pNext, qNext (ext, 2^{k+1} elements each) are given. The pads of `at` (a `zkGkrLayerLayout(k)`
 * placement) must be in w and filled. Returns the proof and the clear next claim.
 */
export function proveZkGkrLayer(
  tr: Transcript,
  pNext: Uint32Array,
  qNext: Uint32Array,
  r: Point,
  w: Uint32Array,
  at: ZkSumcheckAt,
  label = 'gkr',
): { proof: ZkGkrLayerProof; point: Point; p: Ext; q: Ext } {
  const k = r.length >>> 2;
  const half = 4 << k;
  if (pNext.length !== 2 * half || qNext.length !== 2 * half) throw new RangeError(`zk gkr layer: expected layer tables of 2^${k + 1} ext elements, got ${pNext.length / 4} and ${qNext.length / 4}`);
  if (!at.final || at.layout.numVars !== k || at.layout.degree !== 3) throw new RangeError(`zk gkr layer: expected a zkGkrLayerLayout(${k}) placement`);
  const lambda = tr.challengeExt(`${label}/lambda`);
  const inst = {
    numVars: k,
    degree: 3,
    tables: [eqTable(r), pNext.subarray(0, half), pNext.subarray(half), qNext.subarray(0, half), qNext.subarray(half)],
    terms: [
      { coeff: ext(1), factors: [0, 1, 4] },
      { coeff: ext(1), factors: [0, 2, 3] },
      { coeff: lambda, factors: [0, 3, 4] },
    ],
  };
  const sc = proveZkSumcheck(tr, inst, w, at.rounds, { label: `${label}/layer`, hiddenSum: true });
  const [a0, a1, b0, b1] = sc.finalEvals.slice(1);
  const masks = proveZkFinal(tr, w, at.final, [a0, a1, b0, b1], `${label}/masks`);
  const mu = tr.challengeExt(`${label}/mu`);
  return { proof: { sumcheck: sc.proof, masks }, point: concatPoints(sc.point, mu), p: line(a0, a1, mu), q: line(b0, b1, mu) };
}

export type ZkGkrLayerVerifyResult = ({ ok: true; system: ConstraintSystem } & ZkGkrClaim) | { ok: false; error: VerifyError };

/**
 * Verifies one padded layer step from `claim` (on layer k = its point's length): emits the round
 * constraints, the final check's constraints and returns the next claim (r', P', Q') as
 * expressions, **which the caller must discharge**. Never throws.
 */
export function verifyZkGkrLayer(tr: Transcript, claim: ZkGkrClaim, proof: ZkGkrLayerProof, at: ZkSumcheckAt, label = 'gkr'): ZkGkrLayerVerifyResult {
  const k = claim?.point instanceof Uint32Array ? claim.point.length >>> 2 : -1;
  if (k < 1 || !at?.final || at.layout.numVars !== k || at.layout.degree !== 3 || at.layout.final?.shape.numEvals !== 4) {
    return fail('BadShape', `zk gkr layer: expected a claim on k ≥ 1 variables and a zkGkrLayerLayout(k) placement`);
  }
  if (!proof) return fail('MalformedProof', 'zk gkr layer: no proof');
  const lambda = tr.challengeExt(`${label}/lambda`);
  const sum = affineAdd(claim.p, affineScale(claim.q, lambda));
  const sc = verifyZkSumcheck(tr, { numVars: k, degree: 3, claimedSum: sum }, proof.sumcheck, at.rounds, `${label}/layer`);
  if (!sc.ok) return fail('LayerSumcheckFailed', `zk gkr layer ${k}: ${sc.error.message}`, { layer: k, cause: sc.error });
  const e = eqEval(claim.point, sc.point);
  const fin = verifyZkFinal(tr, at.final, sc.finalClaim, [e, e, extMul(lambda, e)], proof.masks, `${label}/masks`);
  if (!fin.ok) return fail('MalformedMasks', `zk gkr layer ${k}: ${fin.error.message}`, { layer: k, cause: fin.error });
  const mu = tr.challengeExt(`${label}/mu`);
  const [a0, a1, b0, b1] = fin.evals;
  const oneMinusMu = extSub(ext(1), mu);
  return {
    ok: true,
    point: concatPoints(sc.point, mu),
    p: affineCombine([oneMinusMu, mu], [a0, a1]),
    q: affineCombine([oneMinusMu, mu], [b0, b1]),
    system: appendSystem(sc.system, fin.system),
  };
}
