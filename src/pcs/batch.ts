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
 * The prover (`proveInnerProduct`) works on the vector's active prefix in a kernel workspace and
 * never re-evaluates the claims one by one unless the batched sum shows one is false; its hooks
 * let the padded batch (`./zk-batch.ts`) run the same kernels.
 */
import { type Ext, ext, extAdd, extEquals, extMul, extOneMinus, extSub, extToString } from '../field/extension.js';
import { kernels } from '../field/active.js';
import { eqAtIndex, eqEval, eqTable, evaluateBase, isCanonicalPoint, numVarsOf, type Point } from '../poly/multilinear.js';
import {
  absorbSumcheckStatement,
  readSumcheckProof,
  roundAt,
  verifySumcheck,
  writeSumcheckProof,
  type SumcheckProof,
  type SumcheckProverHooks,
} from '../piop/sumcheck.js';
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
function combinedValue(claims: readonly EvalClaim[], rho: Ext): Ext {
  let acc = ext();
  let pw: Ext = ext(1);
  for (const c of claims) {
    acc = extAdd(acc, extMul(pw, c.value));
    pw = extMul(pw, rho);
  }
  return acc;
}

/** G(r) = Σ_i ρ^i·eq(z_i, r_lo)·eq(bits(j_i), r_hi) (only the claims' shapes enter). */
export function combinedEqAt(claims: readonly Pick<EvalClaim, 'point' | 'segment'>[], rho: Ext, r: Point): Ext {
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
 *
 * The claims are not re-evaluated one by one: the first round message gives Σ_x G(x)·f(x) =
 * s(0) + s(1), which equals Σ ρ^i·v_i for a random ρ only if every claim holds (up to
 * (N_c − 1)/|K|); only on a mismatch are the claims evaluated, to name the false one.
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
  });
  const rho = absorbClaims(tr, pcs.commitmentBytes(commitment), claims);
  const checkSum = (sum: Ext): void => {
    if (!opts.unchecked) checkBatchedSum(f, claims, rho, sum, 'batch opening');
  };
  const sc = proveInnerProduct(tr, f, n, claims, rho, checkSum);
  const innerValue = sc.fEval;
  tr.absorbExt('batch/eval', innerValue);
  const { value, proof } = pcs.open(data, sc.point, tr, { pointIsChallenge: true });
  if (!opts.unchecked && !extEquals(value, innerValue)) throw new Error('batch opening: internal error, opening value differs from the sumcheck evaluation');
  return { sumcheck: { rounds: sc.rounds }, innerValue, opening: proof };
}

/**
 * Prover's check that Σ_x G(x)·f(x) = `sum` equals Σ ρ^i·v_i; on a mismatch evaluates the claims
 * one by one and throws naming the first false one (`what` prefixes the message).
 */
export function checkBatchedSum(f: Uint32Array, claims: readonly EvalClaim[], rho: Ext, sum: Ext, what: string): void {
  if (extEquals(sum, combinedValue(claims, rho))) return;
  claims.forEach((c, i) => {
    const k = numVarsOf(c.point);
    const j = c.segment ?? 0;
    const actual = evaluateBase(f.subarray(j * 2 ** k, (j + 1) * 2 ** k), c.point);
    if (!extEquals(actual, c.value)) throw new RangeError(`${what}: claim ${i} is false (f~ = ${extToString(actual)}, claimed ${extToString(c.value)})`);
  });
  throw new Error(`${what}: internal error, the claims hold but the batched sum differs`);
}

/**
 * The batching sumcheck Σ_x G(x)·f(x), in the transcript format of `proveSumcheck` (degree 2,
 * label 'batch/sumcheck' unless `opts.label`), on tables held in a kernel workspace. Only the active prefix is
 * stored: f and every claim's segment end by `len`, so G and f vanish beyond it, and after each
 * fold beyond ⌈len/2⌉ (the entry an odd length pairs with is zero).
 *
 * Round 0 never builds G. A claim (z, segment j, coefficient c) contributes
 *   c·eq(z_0, t)·H(t),  H(t) = Σ_{x'} eq(z_{>0}, x')·f(t, x') = A + t·(B − A),
 * with A, B = ⟨eq(z_{>0}), f_even⟩, ⟨eq(z_{>0}), f_odd⟩ on its segment — one row combination of
 * the segment by eq(z_hi) and two short dot products (eq = eq(z_lo) ⊗ eq(z_hi)). After r_0, the
 * folded G(r_0, ·) = Σ c·eq(z_0, r_0)·eq(z_{>0}, ·) is built directly at half size, and f is lifted
 * to K by its first fold. Later rounds derive s(1) = c_{j−1} − s(0). `checkSum` sees the claimed
 * sum before it is absorbed. `opts.hooks` change what is absorbed and sent, as in `proveSumcheck`
 * (the challenges' order and the clear recursion c_j = s_j(r_j) stay as they are); without them
 * the transcript is the clear one, byte for byte.
 */
export function proveInnerProduct(
  tr: Transcript,
  f: Uint32Array,
  n: number,
  claims: readonly EvalClaim[],
  rho: Ext,
  checkSum: (sum: Ext) => void,
  opts: { label?: string; hooks?: SumcheckProverHooks } = {},
): { rounds: Uint32Array[]; point: Point; fEval: Ext } {
  const label = opts.label ?? 'batch/sumcheck';
  const absorbStatement = opts.hooks?.absorbStatement ?? absorbSumcheckStatement;
  const message = opts.hooks?.message ?? ((_j: number, s: Uint32Array) => s);
  let len = 0;
  for (const c of claims) len = Math.max(len, ((c.segment ?? 0) + 1) * 2 ** numVarsOf(c.point));
  let last = f.length;
  while (last > len && f[last - 1] === 0) last--;
  len = Math.max(len, last);
  if (n === 0) {
    const g = combinedEqAt(claims, rho, new Uint32Array(0));
    const fEval = ext(f[0]);
    const sum = extMul(g, fEval);
    checkSum(sum);
    absorbStatement(tr, label, 0, 2, sum);
    return { rounds: [] as Uint32Array[], point: new Uint32Array(0), fEval };
  }
  const K = kernels();
  // Every claim with k ≥ 1 variables: a 0-variable claim on entry j is the 1-variable claim
  // eq(bit_0(j), x_0) on the pair j >> 1.
  let pw: Ext = ext(1);
  const terms = claims.map((c) => {
    const coeff = pw;
    pw = extMul(pw, rho);
    const j = c.segment ?? 0;
    return numVarsOf(c.point) === 0 ? { point: ext(j % 2) as Point, segment: Math.floor(j / 2), coeff } : { point: c.point, segment: j, coeff };
  });
  // round 0
  const s0 = new Uint32Array(12);
  for (const c of terms) {
    const k = numVarsOf(c.point);
    const z0 = c.point.subarray(0, 4);
    const rest = c.point.subarray(4);
    const a = (k - 1) >>> 1;
    const eqLo = eqTable(rest.subarray(0, 4 * a));
    const eqHi = eqTable(rest.subarray(4 * a));
    const v = new Uint32Array(8 << a);
    K.combineRows(v, f.subarray(c.segment * 2 ** k, (c.segment + 1) * 2 ** k), eqHi, 2 << a);
    const even = new Uint32Array(4 << a), odd = new Uint32Array(4 << a);
    for (let i = 0; i < 1 << a; i++) {
      even.set(v.subarray(8 * i, 8 * i + 4), 4 * i);
      odd.set(v.subarray(8 * i + 4, 8 * i + 8), 4 * i);
    }
    const A = K.extDot(eqLo, even), B = K.extDot(eqLo, odd);
    for (let t = 0; t < 3; t++) {
      const h = extAdd(A, extMul(ext(t), extSub(B, A)));
      s0.set(extAdd(s0.subarray(4 * t, 4 * t + 4), extMul(c.coeff, extMul(eqLinear(z0, ext(t)), h))), 4 * t);
    }
  }
  const sum = extAdd(s0.subarray(0, 4), s0.subarray(4, 8));
  checkSum(sum);
  absorbStatement(tr, label, n, 2, sum);
  const sent0 = message(0, s0);
  const rounds: Uint32Array[] = [sent0];
  const point = new Uint32Array(4 * n);
  tr.absorbExt(`${label}/round`, sent0);
  let r = tr.challengeExt(`${label}/challenge`);
  point.set(r, 0);
  let claim = roundAt(s0, r);
  const ws = K.workspace();
  try {
    const base = ws.alloc(len + (len & 1));
    ws.write(base, f.subarray(0, len));
    let size = (len + (len & 1)) >>> 1;
    if (n > 1) size += size & 1;
    const F = ws.alloc(4 * size);
    ws.foldBase(F, base, r, (len + 1) >>> 1);
    const G = ws.alloc(4 * size);
    for (const c of terms) {
      const k = numVarsOf(c.point);
      ws.eqTableAdd(ws.view(G, 4 * c.segment * 2 ** (k - 1)), c.point.subarray(4), extMul(c.coeff, eqLinear(c.point.subarray(0, 4), r)), 2 ** (k - 1));
    }
    for (let j = 1; j < n; j++) {
      const pairs = size >>> 1;
      const s = ws.ipRound(G, F, pairs, false, false);
      s.set(extSub(claim, s.subarray(0, 4)), 4);
      const sent = message(j, s);
      tr.absorbExt(`${label}/round`, sent);
      r = tr.challengeExt(`${label}/challenge`);
      point.set(r, 4 * j);
      rounds.push(sent);
      claim = roundAt(s, r);
      ws.foldExt(G, G, r, pairs);
      ws.foldExt(F, F, r, pairs);
      size = pairs;
      if (j + 1 < n && size & 1) {
        ws.zero(ws.view(G, 4 * size), 4);
        ws.zero(ws.view(F, 4 * size), 4);
        size++;
      }
    }
    return { rounds, point, fEval: ws.read(F, 4) };
  } finally {
    ws.release();
  }
}

/** eq(a, x) = (1 − a)(1 − x) + a·x for one variable. */
function eqLinear(a: Ext, x: Ext): Ext {
  return extAdd(extMul(extOneMinus(a), extOneMinus(x)), extMul(a, x));
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
