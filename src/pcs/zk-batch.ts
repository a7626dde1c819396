/**
 * Zero-knowledge batching of hidden evaluation claims: the padded form of `./batch.ts`
 * (docs/zero-knowledge.md §2, step 4), so that every claim on one region of the committed vector
 * w reaches the zero-knowledge Ligero proof as ONE tensor-structured constraint.
 *
 * Statement. A region R = w[base, base + 2^n) (base a multiple of 2^n: the whole witness part or
 * the parameter part of a concatenated address space) and claims T~_i(z_i) = v_i, where T_i is
 * the aligned slice w[o_i, o_i + 2^{k_i}) ⊆ R (o_i a multiple of 2^{k_i}, z_i ∈ K^{k_i}) and v_i
 * is hidden: the verifier holds it as an affine expression in w (`../piop/zk-affine.ts`), the
 * prover in the clear. With j_i = (o_i − base)/2^{k_i} and f the MLE of R, T~_i(z_i) = f~(z_i ‖
 * bits(j_i)), so as in the clear protocol, after the shapes (n, base, count, every (k_i, o_i, z_i))
 * are absorbed and ρ ∈ K is drawn,
 *
 *   H = Σ_i ρ^i·v_i = Σ_{x ∈ {0,1}^n} G(x)·f(x),   G(x) = Σ_i ρ^i·eq(z_i ‖ bits(j_i), x).
 *
 * Protocol. A degree-2 padded sumcheck (`../piop/zk-sumcheck.ts`) of this sum in hidden-sum mode
 * (H is an expression, never absorbed), ending at r with claim c; the prover sends f~(r) + P_e;
 * the verifier emits the n round constraints, the final check c = G(r)·(ẽ − P_e) — G(r) it
 * computes itself, so the check is linear (no product slot) — and the link
 * ⟨eq(r), R⟩ = ẽ − P_e (`linkToSegment`): one `TensorLinear` for all claims. Pads (a function of
 * n alone, `zkBatchLayout`): 3 per round and P_e, 12n + 4 base entries, which must lie outside R.
 * The prover runs the clear batch prover's kernels (`proveInnerProduct`) through its hooks.
 *
 * Why sound. The commitment to w is absorbed before this runs (the caller's duty, as for every
 * padded protocol), and each v_i is affine in w with coefficients computed from values absorbed
 * earlier: the v_i are fixed before ρ is drawn, so absorbing them would add nothing — and they
 * cannot be absorbed, they are hidden. The shapes are absorbed so that ρ depends on the whole
 * statement, as in `./batch.ts`. If some v_i ≠ T~_i(z_i) on the committed w, Σ ρ^i·(v_i − T~_i(z_i))
 * is a non-zero polynomial of degree < N_c in ρ, zero with probability ≤ (N_c − 1)/|K|; the
 * padded sumcheck is the clear one with committed messages (≤ 2n/|K|), and on every w satisfying
 * the emitted system the final check and the link are the clear final check and opening.
 * Error ≤ (N_c − 1)/|K| + 2n/|K| plus the Ligero proof's.
 *
 * What it hides. The 3n + 1 padded values are uniform and independent of w: for fixed w and
 * claims, pads ↦ padded values is a bijection (s̃_j = s_j + P_j, with s_j depending only on earlier
 * padded values through the challenges, and ẽ = f~(r) + P_e), provided no pad of this layout lies
 * in R (else f, hence s_j, would depend on the pads) — both sides refuse such a layout. ρ, r and
 * the constraints are computed from public values alone. With zero claims nothing is sent,
 * absorbed or emitted.
 */
import { type Ext, ext, extAdd, extIsCanonical, extMul } from '../field/extension.js';
import { isCanonicalPoint, numVarsOf, type Point } from '../poly/multilinear.js';
import { MAX_SUMCHECK_VARS } from '../piop/sumcheck.js';
import { type Affine, affineCombine, cryptoWords, padAt, type WordSource } from '../piop/zk-affine.js';
import { linkToSegment, proveZkFinal } from '../piop/zk-final.js';
import {
  absorbZkSumcheckStatement,
  fillZkPads,
  readZkSumcheckWithEvals,
  roundPad,
  verifyZkSumcheckWithEvals,
  writeZkSumcheckWithEvals,
  zkSumcheckAt,
  zkSumcheckLayout,
  type ZkSumcheckAt,
  type ZkSumcheckLayout,
  type ZkSumcheckWithEvalsProof,
} from '../piop/zk-sumcheck.js';
import type { Transcript } from '../transcript/transcript.js';
import type { ByteReader, ByteWriter } from '../util/bytes.js';
import { fail, type VerifyError } from '../util/result.js';
import { checkBatchedSum, combinedEqAt, proveInnerProduct, type EvalClaim } from './batch.js';
import { emptySystem, type ConstraintSystem } from './constraints.js';

/** The region w[base, base + 2^numVars) of the committed address space that one batch covers. */
export interface ZkBatchRegion {
  /** A multiple of 2^numVars. */
  base: number;
  numVars: number;
}

/** A claim on the aligned slice w[offset, offset + 2^k) of the region, k = point's number of variables. */
export interface ZkBatchClaim<V> {
  /** Absolute offset in w, a multiple of 2^k, the slice inside the region. */
  offset: number;
  point: Point;
  /** Prover: the clear value (Ext); verifier: the hidden value as an expression in w (Affine). */
  value: V;
}

/** The pads of a batch over n variables: a degree-2 sumcheck's rounds and the pad of f~(r). */
export type ZkBatchLayout = ZkSumcheckLayout;
export type ZkBatchAt = ZkSumcheckAt;
/** Padded round messages and the padded f~(r) (`final.evals`, one value; no intermediates). */
export type ZkBatchProof = ZkSumcheckWithEvalsProof;

const DEGREE = 2;

/** The layout of a batch over a region of 2^numVars entries: 12·numVars + 4 base entries, whatever the claims. */
export function zkBatchLayout(numVars: number): ZkBatchLayout {
  return zkSumcheckLayout({ numVars, degree: DEGREE, final: { numEvals: 1, terms: [[0]] } });
}

/** The layout placed contiguously at `base` (round pads, then the pad of f~(r)). */
export function zkBatchAt(layout: ZkBatchLayout, base: number): ZkBatchAt {
  return zkSumcheckAt(layout, base);
}

/** Prover, before committing w: fills every pad of the batch with uniform F elements. */
export function fillZkBatchPads(w: Uint32Array, at: ZkBatchAt, words: WordSource = cryptoWords): void {
  fillZkPads(w, at, words);
}

// ---- shapes -------------------------------------------------------------------------------------

function regionError(region: ZkBatchRegion): string | null {
  const n = region?.numVars;
  if (!Number.isInteger(n) || n < 0 || n > MAX_SUMCHECK_VARS) return `expected 0 ≤ region numVars ≤ ${MAX_SUMCHECK_VARS}, got ${n}`;
  if (!Number.isSafeInteger(region.base) || region.base < 0 || region.base % 2 ** n !== 0) return `expected a region base that is a multiple of 2^${n}, got ${region.base}`;
  return null;
}

/** [start, end) of the batch's round pads and of the pad of f~(r). */
function padRanges(at: ZkBatchAt): [number, number][] {
  return [
    [at.rounds, at.rounds + at.layout.roundEntries],
    [at.final!.evals, at.final!.evals + 4],
  ];
}

function layoutError(at: ZkBatchAt, region: ZkBatchRegion): string | null {
  const l = at?.layout;
  const fin = l?.final;
  const isBatch =
    l && fin && at.final && l.numVars === region.numVars && l.degree === DEGREE && fin.shape.numEvals === 1 && fin.shape.terms.length === 1 &&
    fin.shape.terms[0].length === 1 && fin.shape.terms[0][0] === 0 && fin.chain.length === 0 && fin.products.length === 0;
  if (!isBatch) return `expected a batch layout over ${region.numVars} variables (zkBatchLayout)`;
  const end = region.base + 2 ** region.numVars;
  for (const [a, b] of padRanges(at)) {
    if (!Number.isSafeInteger(a) || a < 0) return `expected pad offsets ≥ 0, got ${a}`;
    if (a < end && b > region.base) return `the pads [${a}, ${b}) overlap the region [${region.base}, ${end}): they must lie outside it`;
  }
  return null;
}

function claimError(c: ZkBatchClaim<unknown>, region: ZkBatchRegion, i: number): string | null {
  if (!c || !(c.point instanceof Uint32Array) || c.point.length % 4 !== 0 || !isCanonicalPoint(c.point)) return `claim ${i}: malformed point`;
  const k = numVarsOf(c.point);
  if (k > region.numVars) return `claim ${i}: point has ${k} variables, the region only ${region.numVars}`;
  const o = c.offset;
  if (!Number.isSafeInteger(o) || o % 2 ** k !== 0) return `claim ${i}: expected an offset that is a multiple of 2^${k}, got ${o}`;
  if (o < region.base || o + 2 ** k > region.base + 2 ** region.numVars) return `claim ${i}: slice [${o}, ${o + 2 ** k}) is outside the region [${region.base}, ${region.base + 2 ** region.numVars})`;
  return null;
}

/** Segment index of a claim's slice inside the region (the clear batch's j_i). */
function segmentOf(c: ZkBatchClaim<unknown>, region: ZkBatchRegion): number {
  return (c.offset - region.base) / 2 ** numVarsOf(c.point);
}

/** Absorbs the region and every claim's shape (never its value), then draws ρ. */
function absorbShapes(tr: Transcript, label: string, region: ZkBatchRegion, claims: readonly ZkBatchClaim<unknown>[]): Ext {
  tr.absorbNumber(`${label}/region-base`, region.base);
  tr.absorbNumber(`${label}/region-vars`, region.numVars);
  tr.absorbNumber(`${label}/count`, claims.length);
  for (const c of claims) {
    tr.absorbNumber(`${label}/claim-vars`, numVarsOf(c.point));
    tr.absorbNumber(`${label}/claim-offset`, c.offset);
    tr.absorbExt(`${label}/claim-point`, c.point);
  }
  return tr.challengeExt(`${label}/rho`);
}

// ---- prover and verifier ------------------------------------------------------------------------

/**
 * Proves the claims on the region of w (the whole committed vector; the region and the batch's
 * pads, already filled, are read from it). Throws (naming the claim) if a claim is false, unless
 * `opts.unchecked` (soundness tests only: the proof a cheating prover would send). Zero claims:
 * no proof, nothing absorbed.
 */
export function proveZkBatch(
  tr: Transcript,
  region: ZkBatchRegion,
  claims: readonly ZkBatchClaim<Ext>[],
  w: Uint32Array,
  at: ZkBatchAt,
  label = 'zk-batch',
  opts: { unchecked?: boolean } = {},
): { proof: ZkBatchProof | null } {
  const err = regionError(region) ?? layoutError(at, region);
  if (err) throw new RangeError(`zk batch: ${err}`);
  const n = region.numVars;
  const inW = [[region.base, region.base + 2 ** n], ...padRanges(at)].every(([, b]) => b <= w.length);
  if (!inW) throw new RangeError(`zk batch: expected the region and the pads inside w (length ${w.length})`);
  claims.forEach((c, i) => {
    const e = claimError(c, region, i) ?? (c.value instanceof Uint32Array && c.value.length === 4 && extIsCanonical(c.value) ? null : `claim ${i}: malformed value`);
    if (e) throw new RangeError(`zk batch: ${e}`);
  });
  if (claims.length === 0) return { proof: null };
  const rho = absorbShapes(tr, label, region, claims);
  const f = w.subarray(region.base, region.base + 2 ** n);
  const clear: EvalClaim[] = claims.map((c) => ({ point: c.point, value: c.value, segment: segmentOf(c, region) }));
  const scLabel = `${label}/sumcheck`;
  const check = (sum: Ext): void => {
    if (!opts.unchecked) checkBatchedSum(f, clear, rho, sum, 'zk batch');
  };
  const sc = proveInnerProduct(tr, f, n, clear, rho, check, {
    label: scLabel,
    hooks: {
      absorbStatement: (t, l, m, d) => absorbZkSumcheckStatement(t, l, m, d, null),
      message: (j, s) => {
        const sent = new Uint32Array(s.length);
        for (let t = 0; t <= DEGREE; t++) sent.set(extAdd(s.subarray(4 * t, 4 * t + 4), padAt(w, roundPad(at.rounds, DEGREE, j, t))), 4 * t);
        return sent;
      },
    },
  });
  const final = proveZkFinal(tr, w, at.final!, [sc.fEval], `${scLabel}/evals`);
  return { proof: { sumcheck: { rounds: sc.rounds }, final } };
}

export type ZkBatchVerifyResult = { ok: true; point: Point; system: ConstraintSystem } | { ok: false; error: VerifyError };

/**
 * Verifies a padded batch of `claims` — from the verifier's own replay, never the proof — and
 * returns the constraints it reduces them to: n round constraints, the final check and the one
 * `TensorLinear` on the region. They prove nothing until a zero-knowledge Ligero proof shows that
 * the committed w satisfies them. Zero claims: `proof` must be null; empty system. Never throws.
 */
export function verifyZkBatch(
  tr: Transcript,
  region: ZkBatchRegion,
  claims: readonly ZkBatchClaim<Affine>[],
  proof: ZkBatchProof | null,
  at: ZkBatchAt,
  label = 'zk-batch',
): ZkBatchVerifyResult {
  try {
    const err = regionError(region) ?? layoutError(at, region);
    if (err) return fail('BadShape', `zk batch: ${err}`);
    for (let i = 0; i < claims.length; i++) {
      const e = claimError(claims[i], region, i);
      if (e) return fail('BadClaim', `zk batch: ${e}`, { claim: i });
    }
    if (claims.length === 0) return proof == null ? { ok: true, point: new Uint32Array(0), system: emptySystem() } : fail('MalformedProof', 'zk batch: expected no proof for zero claims');
    if (!proof) return fail('MalformedProof', `zk batch: expected a proof for ${claims.length} claims, got none`);
    const rho = absorbShapes(tr, label, region, claims);
    const powers: Ext[] = [];
    for (let i = 0, pw: Ext = ext(1); i < claims.length; i++, pw = extMul(pw, rho)) powers.push(pw);
    const sum = affineCombine(powers, claims.map((c) => c.value));
    const shapes = claims.map((c) => ({ point: c.point, segment: segmentOf(c, region) }));
    const scLabel = `${label}/sumcheck`;
    const res = verifyZkSumcheckWithEvals(tr, { numVars: region.numVars, degree: DEGREE, claimedSum: sum }, proof, at, (r) => [combinedEqAt(shapes, rho, r)], scLabel);
    if (!res.ok) return res;
    res.system.tensor.push(linkToSegment(res.evals[0], region.base, res.point));
    return { ok: true, point: res.point, system: res.system };
  } catch (e) {
    return fail('MalformedProof', `zk batch: ${(e as Error).message}`);
  }
}

// ---- bytes --------------------------------------------------------------------------------------

/** Padded rounds in `writeSumcheckProof`'s format, then the padded f~(r); nothing for zero claims. */
export function writeZkBatchProof(w: ByteWriter, proof: ZkBatchProof | null): void {
  if (proof) writeZkSumcheckWithEvals(w, proof);
}

/** Reads `writeZkBatchProof`: every length is fixed by the layout and the number of claims (DecodeError otherwise). */
export function readZkBatchProof(r: ByteReader, layout: ZkBatchLayout, numClaims: number): ZkBatchProof | null {
  return numClaims === 0 ? null : readZkSumcheckWithEvals(r, layout);
}
