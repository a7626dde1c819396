/**
 * Many evaluation claims on one committed vector, settled by one batching sumcheck and one
 * opening (PROTOCOL-NOTES §2).
 *
 * Claims f~(z_i ‖ bits(j_i)) = v_i, where a claim may address an aligned segment: a tensor of
 * padded size 2^k stored at offset j·2^k of the committed vector has T~(z) = f~(z ‖ bits(j)).
 * After every (k_i, j_i, z_i, v_i) is absorbed, draw ρ ∈ K; then
 *
 *   Σ_i ρ^i·v_i = Σ_{x ∈ {0,1}^n} G(x)·f(x),   G(x) = Σ_i ρ^i·eq(z_i ‖ bits(j_i), x),
 *
 * a degree-2 sumcheck ending at a random point r with claim c. The prover sends f~(r)
 * (absorbed), the verifier computes G(r) = Σ_i ρ^i·eq(z_i, r_lo)·eq(bits(j_i), r_hi) itself and
 * checks c = G(r)·f~(r), and f~(r) is opened once. Since r is a transcript challenge drawn
 * after the commitment was absorbed, merged-mode PCS openings are allowed here.
 * Error ≤ (N_c − 1)/|K| + 2n/|K| plus the opening's.
 *
 * The verifier's claim list must come from its own replay of the protocol, never the proof.
 */
import { type Ext, ext, extAdd, extEquals, extMul, extToString } from '../field/extension.js';
import { kernels } from '../field/active.js';
import { eqAtIndex, eqEval, eqTable, evaluateBase, isCanonicalPoint, numVarsOf, type Point } from '../poly/multilinear.js';
import { proveSumcheck, readSumcheckProof, verifySumcheck, writeSumcheckProof, type SumcheckProof } from '../piop/sumcheck.js';
import type { Transcript } from '../transcript/transcript.js';
import { ByteReader, ByteWriter } from '../util/bytes.js';
import { fail, type VerifyResult } from '../util/result.js';
import type { AnyPcs } from './types.js';

export interface EvalClaim {
  /** z ∈ K^k, k ≤ n. */
  point: Point;
  value: Ext;
  /** Segment index j < 2^(n−k): the claim is on f[j·2^k, (j+1)·2^k). Default 0 (k = n: the whole vector). */
  segment?: number;
}

export interface BatchOpeningProof<Pf = unknown> {
  sumcheck: SumcheckProof;
  /** f~(r) at the sumcheck's point. */
  innerValue: Ext;
  opening: Pf;
}

function checkClaim(c: EvalClaim, n: number, i: number): string | null {
  if (!(c.point instanceof Uint32Array) || c.point.length % 4 !== 0 || !isCanonicalPoint(c.point)) return `claim ${i}: malformed point`;
  const k = numVarsOf(c.point);
  if (k > n) return `claim ${i}: point has ${k} variables, the vector only ${n}`;
  const j = c.segment ?? 0;
  if (!Number.isInteger(j) || j < 0 || j >= 2 ** (n - k)) return `claim ${i}: segment ${j} is outside [0, 2^${n - k})`;
  if (!(c.value instanceof Uint32Array) || c.value.length !== 4 || !isCanonicalPoint(c.value)) return `claim ${i}: malformed value`;
  return null;
}

function absorbClaims(tr: Transcript, commitmentBytes: Uint8Array, claims: EvalClaim[]): Ext {
  tr.absorbBytes('batch/commitment', commitmentBytes);
  tr.absorbNumber('batch/count', claims.length);
  for (const c of claims) {
    tr.absorbNumber('batch/claim-vars', numVarsOf(c.point));
    tr.absorbNumber('batch/claim-segment', c.segment ?? 0);
    tr.absorbExt('batch/claim-point', c.point);
    tr.absorbExt('batch/claim-value', c.value);
  }
  return tr.challengeExt('batch/rho');
}

/** Σ ρ^i·v_i. */
function combinedValue(claims: EvalClaim[], rho: Ext): Ext {
  let acc = ext();
  let pw: Ext = ext(1);
  for (const c of claims) {
    acc = extAdd(acc, extMul(pw, c.value));
    pw = extMul(pw, rho);
  }
  return acc;
}

/** G(r) = Σ_i ρ^i·eq(z_i, r_lo)·eq(bits(j_i), r_hi). */
function combinedEqAt(claims: EvalClaim[], rho: Ext, r: Point): Ext {
  let acc = ext();
  let pw: Ext = ext(1);
  for (const c of claims) {
    const k = numVarsOf(c.point);
    const term = extMul(eqEval(c.point, r.subarray(0, 4 * k)), eqAtIndex(r.subarray(4 * k), c.segment ?? 0));
    acc = extAdd(acc, extMul(pw, term));
    pw = extMul(pw, rho);
  }
  return acc;
}

/**
 * Proves every claim on the committed vector. Throws (naming the claim) if a claim is false:
 * an honest prover must not produce a proof that can only fail. `unchecked` (soundness tests
 * only) skips that check and yields the proof a cheating prover would send.
 */
export function proveBatchOpening<C, D, Pf>(
  pcs: { commitmentBytes(c: C): Uint8Array; committedValues(d: D): Uint32Array; open(d: D, z: Point, tr: Transcript, o?: { pointIsChallenge?: boolean }): { value: Ext; proof: Pf } },
  commitment: C,
  data: D,
  claims: EvalClaim[],
  tr: Transcript,
  opts: { unchecked?: boolean } = {},
): BatchOpeningProof<Pf> {
  const f = pcs.committedValues(data);
  const n = Math.log2(f.length);
  if (claims.length === 0) throw new RangeError('batch opening: expected at least one claim');
  claims.forEach((c, i) => {
    const err = checkClaim(c, n, i);
    if (err) throw new RangeError(`batch opening: ${err}`);
    const k = numVarsOf(c.point);
    const j = c.segment ?? 0;
    if (opts.unchecked) return;
    const actual = evaluateBase(f.subarray(j * 2 ** k, (j + 1) * 2 ** k), c.point);
    if (!extEquals(actual, c.value)) throw new RangeError(`batch opening: claim ${i} is false (f~ = ${extToString(actual)}, claimed ${extToString(c.value)})`);
  });
  const rho = absorbClaims(tr, pcs.commitmentBytes(commitment), claims);
  const G = new Uint32Array(4 * f.length);
  let pw: Ext = ext(1);
  const K = kernels();
  for (const c of claims) {
    const k = numVarsOf(c.point);
    const j = c.segment ?? 0;
    K.extMulAdd(G.subarray(4 * j * 2 ** k, 4 * (j + 1) * 2 ** k), eqTable(c.point), pw);
    pw = extMul(pw, rho);
  }
  const sc = proveSumcheck(tr, { numVars: n, degree: 2, tables: [G, f], terms: [{ coeff: ext(1), factors: [0, 1] }] }, 'batch/sumcheck');
  const innerValue = sc.finalEvals[1];
  tr.absorbExt('batch/eval', innerValue);
  const { value, proof } = pcs.open(data, sc.point, tr, { pointIsChallenge: true });
  if (!opts.unchecked && !extEquals(value, innerValue)) throw new Error('batch opening: internal error, opening value differs from the sumcheck evaluation');
  return { sumcheck: sc.proof, innerValue, opening: proof };
}

/** Verifies a batch opening of `claims` (from the verifier's own replay) against `commitment`. */
export function verifyBatchOpening(pcs: AnyPcs, commitment: unknown, claims: EvalClaim[], proof: BatchOpeningProof, tr: Transcript): VerifyResult {
  try {
    const n = pcs.numVars(commitment);
    if (claims.length === 0) return fail('NoClaims', 'batch opening: no claims to verify');
    for (let i = 0; i < claims.length; i++) {
      const err = checkClaim(claims[i], n, i);
      if (err) return fail('BadClaim', err, { claim: i });
    }
    if (!proof || !(proof.innerValue instanceof Uint32Array) || proof.innerValue.length !== 4 || !isCanonicalPoint(proof.innerValue)) {
      return fail('MalformedProof', 'batch opening: missing or malformed inner value');
    }
    const rho = absorbClaims(tr, pcs.commitmentBytes(commitment), claims);
    const sc = verifySumcheck(tr, { numVars: n, degree: 2, claimedSum: combinedValue(claims, rho) }, proof.sumcheck, 'batch/sumcheck');
    if (!sc.ok) return fail('SumcheckFailed', `batch opening sumcheck: ${sc.error.message}`, { sumcheck: sc.error });
    tr.absorbExt('batch/eval', proof.innerValue);
    const expected = extMul(combinedEqAt(claims, rho, sc.point), proof.innerValue);
    if (!extEquals(expected, sc.finalClaim)) {
      return fail('FinalClaimMismatch', `batch opening: G(r)·f~(r) = ${extToString(expected)} but the sumcheck ends at ${extToString(sc.finalClaim)}`);
    }
    const opened = pcs.verify(commitment, sc.point, proof.innerValue, proof.opening, tr, { pointIsChallenge: true });
    if (!opened.ok) return fail('OpeningFailed', `batch opening: ${opened.error.message}`, { opening: opened.error });
    return { ok: true };
  } catch (e) {
    return fail('MalformedProof', `batch opening: ${(e as Error).message}`);
  }
}

export function writeBatchOpeningProof(pcs: AnyPcs, w: ByteWriter, proof: BatchOpeningProof): void {
  writeSumcheckProof(w, proof.sumcheck);
  w.words(proof.innerValue);
  pcs.writeProof(w, proof.opening);
}

export function readBatchOpeningProof(pcs: AnyPcs, r: ByteReader, commitment: unknown): BatchOpeningProof {
  const n = pcs.numVars(commitment);
  const sumcheck = readSumcheckProof(r, n, 2);
  const innerValue = r.words(4, 'inner value');
  const opening = pcs.readProof(r, commitment);
  return { sumcheck, innerValue, opening };
}
