/**
 * Sumcheck for sums of products of multilinear tables (PROTOCOL-NOTES §3; Thaler, PAZK §4.1).
 *
 *   H = Σ_{x ∈ {0,1}^m} Σ_j c_j · Π_{l ∈ S_j} P_l(x),   every P_l multilinear, |S_j| ≤ d ≤ 8.
 *
 * Round j binds x_j (lowest first: pairs (2i, 2i+1)). The prover sends s_j(0), …, s_j(d),
 * the evaluations of s_j(X) = Σ_{x'} H-summand(r_0..r_{j−1}, X, x'). The verifier checks
 * (i) exactly d+1 canonical values — that is the degree check; (ii) s_j(0) + s_j(1) = c_{j−1}
 * with c_{−1} = H; (iii) absorbs s_j and draws r_j ∈ K; (iv) c_j = s_j(r_j) by Lagrange
 * interpolation. It returns (r, c_{m−1}): **the caller must discharge that final claim** by
 * checking c_{m−1} = Σ_j c_j Π P~_l(r) with values it computes itself or proves by other
 * means (new claims, absorbed before any later challenge). Soundness error ≤ m·d/|K|.
 *
 * Transcript: absorb (m, d) under `<label>/shape` and H under `<label>/sum` before any round,
 * so a prover-chosen H is bound; then per round absorb `<label>/round` and draw
 * `<label>/challenge`. With m = 0 there are no rounds and the final claim is H itself.
 */
import { kernels } from '../field/active.js';
import { P, inv } from '../field/babybear.js';
import { type Ext, ext, extAdd, extEquals, extMul, extMulBase, extSub, extToString, extIsCanonical } from '../field/extension.js';
import type { Point } from '../poly/multilinear.js';
import type { Transcript } from '../transcript/transcript.js';
import { fail, type VerifyError } from '../util/result.js';
import { ByteReader, ByteWriter } from '../util/bytes.js';

export const MAX_SUMCHECK_DEGREE = 8;
export const MAX_SUMCHECK_VARS = 40;

export interface ProductTerm {
  coeff: Ext;
  /** Indices into `tables`; a table may appear in several terms (and twice in one, for a square). */
  factors: number[];
}

export interface SumcheckInstance {
  numVars: number;
  /** Maximum number of factors in a term; round messages carry degree + 1 values. */
  degree: number;
  /**
   * Multilinear tables over m = numVars variables: a base table has 2^m words, an ext table
   * 4·2^m. The prover folds copies; the caller's arrays are not modified.
   */
  tables: Uint32Array[];
  terms: ProductTerm[];
}

export interface SumcheckProof {
  /** Round messages s_j(0..d), each an ext vector of d+1 elements. */
  rounds: Uint32Array[];
}

export interface SumcheckProverOutput {
  proof: SumcheckProof;
  /** The claimed sum H, as computed by the prover. */
  claimedSum: Ext;
  /** The random point r ∈ K^m (x_0 first). */
  point: Point;
  /** P~_l(r) for every table l, in table order. */
  finalEvals: Ext[];
}

export interface SumcheckStatement {
  numVars: number;
  degree: number;
  claimedSum: Ext;
}

export type SumcheckVerifyResult =
  | { ok: true; point: Point; finalClaim: Ext }
  | { ok: false; error: VerifyError };

function checkShape(numVars: number, degree: number): void {
  if (!Number.isInteger(numVars) || numVars < 0 || numVars > MAX_SUMCHECK_VARS) {
    throw new RangeError(`sumcheck: expected 0 ≤ numVars ≤ ${MAX_SUMCHECK_VARS}, got ${numVars}`);
  }
  if (!Number.isInteger(degree) || degree < 1 || degree > MAX_SUMCHECK_DEGREE) {
    throw new RangeError(`sumcheck: expected 1 ≤ degree ≤ ${MAX_SUMCHECK_DEGREE}, got ${degree}`);
  }
}

/**
 * Absorbs the statement (m, d, H) as `proveSumcheck`/`verifySumcheck` do, for specialised provers
 * that produce the same transcript (`pcs/batch.ts`, `piop/lookup/gkr.ts`).
 */
export function absorbSumcheckStatement(tr: Transcript, label: string, numVars: number, degree: number, sum: Ext): void {
  absorbStatement(tr, label, numVars, degree, sum);
}

function absorbStatement(tr: Transcript, label: string, numVars: number, degree: number, sum: Ext): void {
  tr.absorbNumber(`${label}/vars`, numVars);
  tr.absorbNumber(`${label}/degree`, degree);
  tr.absorbExt(`${label}/sum`, sum);
}

/** H = Σ_x Σ_j c_j Π P_l(x) for ext tables of 2^m elements — what an honest prover claims. */
function sumOfProducts(tables: Uint32Array[], terms: ProductTerm[], m: number, degree: number): Ext {
  let h = ext();
  for (const term of terms) {
    let v: Ext;
    if (term.factors.length === 0) {
      v = ext(2 ** m % P); // Σ_x 1
    } else if (m === 0) {
      v = term.factors.reduce<Ext>((acc, i) => extMul(acc, tables[i].subarray(0, 4)), ext(1));
    } else {
      const s = kernels().productRound(term.factors.map((i) => tables[i]), degree);
      v = extAdd(s.subarray(0, 4), s.subarray(4, 8)); // s_0(0) + s_0(1) = H_term
    }
    h = extAdd(h, extMul(term.coeff, v));
  }
  return h;
}

/**
 * How the prover's messages enter the transcript. The clear protocol (the default) absorbs the
 * statement (m, d, H) and sends each round message as it is; the padded prover of
 * `./zk-sumcheck.ts` absorbs its own statement and sends value + pad, through these hooks, so
 * both run the same kernels.
 */
export interface SumcheckProverHooks {
  /** Absorbs the statement; default: `absorbSumcheckStatement` with the claimed sum H. */
  absorbStatement?: (tr: Transcript, label: string, numVars: number, degree: number, sum: Ext) => void;
  /** The message sent and absorbed in round j, given the clear s_j(0..d); default: s_j itself. */
  message?: (round: number, clear: Uint32Array) => Uint32Array;
}

/**
 * Proves H = Σ_x Σ_j c_j Π P_l(x). Absorbs the statement, so the caller need not; returns
 * the point and the final table evaluations, which the caller hands to whoever discharges
 * the final claim (absorbing them first if the verifier will receive them from the proof).
 * `hooks` change what is absorbed and sent (never the challenges' order): see above.
 */
export function proveSumcheck(tr: Transcript, inst: SumcheckInstance, label = 'sumcheck', hooks: SumcheckProverHooks = {}): SumcheckProverOutput {
  const { numVars: m, degree: d, terms } = inst;
  checkShape(m, d);
  const size = 2 ** m;
  for (const term of terms) {
    if (term.factors.length > d) {
      throw new RangeError(`sumcheck: a term has ${term.factors.length} factors, more than degree ${d}`);
    }
    for (const f of term.factors) {
      if (!(f >= 0 && f < inst.tables.length)) throw new RangeError(`sumcheck: factor index ${f} out of range`);
    }
  }
  const K = kernels();
  // Work on ext copies (base tables are lifted).
  let tables = inst.tables.map((t, i) => {
    if (t.length === 4 * size) return t.slice();
    if (t.length === size) {
      const out = new Uint32Array(4 * size);
      for (let k = 0; k < size; k++) out[4 * k] = t[k];
      return out;
    }
    throw new RangeError(`sumcheck: table ${i} has ${t.length} words; expected ${size} (base) or ${4 * size} (ext) for ${m} variables`);
  });
  const claimedSum = sumOfProducts(tables, terms, m, d);
  (hooks.absorbStatement ?? absorbStatement)(tr, label, m, d, claimedSum);

  const rounds: Uint32Array[] = [];
  const point = new Uint32Array(4 * m);
  for (let j = 0; j < m; j++) {
    const s = new Uint32Array(4 * (d + 1));
    for (const term of terms) {
      const part =
        term.factors.length === 0 ? constantRound(2 ** (m - j - 1), d) : K.productRound(term.factors.map((i) => tables[i]), d);
      K.extMulAdd(s, part, term.coeff);
    }
    const sent = hooks.message ? hooks.message(j, s) : s;
    tr.absorbExt(`${label}/round`, sent);
    const r = tr.challengeExt(`${label}/challenge`);
    point.set(r, 4 * j);
    rounds.push(sent);
    tables = tables.map((t) => {
      const out = t.subarray(0, t.length >>> 1);
      K.foldExt(out, t, r);
      return out;
    });
  }
  return {
    proof: { rounds },
    claimedSum,
    point,
    finalEvals: tables.map((t) => t.slice(0, 4)),
  };
}

/** 1/k in F for k = 1..MAX_SUMCHECK_DEGREE. */
const INV_SMALL = Array.from({ length: MAX_SUMCHECK_DEGREE + 1 }, (_, k) => (k === 0 ? 0 : inv(k)));

/**
 * s(r) for a round message s(0..d) by Newton's forward differences on the nodes 0..d:
 *   s(r) = Σ_k C(r, k)·Δ^k s(0) = Δ^0 + r·(Δ^1 + (r − 1)/2·(Δ^2 + (r − 2)/3·(…))),
 * d products in K (the differences are subtractions) — the same value as Lagrange's formula
 * (`poly/univariate.ts`), for the verifier's hottest loop.
 */
export function roundAt(s: Uint32Array, r: Ext): Ext {
  const d = (s.length >>> 2) - 1;
  const diffs: Ext[] = [];
  for (let i = 0; i <= d; i++) diffs.push(s.subarray(4 * i, 4 * i + 4));
  const delta: Ext[] = [diffs[0]];
  for (let k = 1; k <= d; k++) {
    for (let i = 0; i + k <= d; i++) diffs[i] = extSub(diffs[i + 1], diffs[i]);
    delta.push(diffs[0]);
  }
  let acc = delta[d];
  for (let k = d - 1; k >= 0; k--) acc = extAdd(delta[k], extMulBase(extMul(acc, extSub(r, ext(k))), INV_SMALL[k + 1]));
  return acc;
}

/** Round message of an empty product (a constant term Σ_x 1 over n remaining points): s(t) = n. */
function constantRound(n: number, d: number): Uint32Array {
  const s = new Uint32Array(4 * (d + 1));
  for (let t = 0; t <= d; t++) s[4 * t] = n % P;
  return s;
}

/**
 * Verifies a sumcheck proof; stateless apart from the transcript. On success returns the
 * point r and the final claim c_{m−1}, **which the caller must check** against
 * Σ_j c_j Π P~_l(r) — an undischarged claim proves nothing.
 */
export function verifySumcheck(
  tr: Transcript,
  stmt: SumcheckStatement,
  proof: SumcheckProof,
  label = 'sumcheck',
): SumcheckVerifyResult {
  const { numVars: m, degree: d, claimedSum } = stmt;
  try {
    checkShape(m, d);
  } catch (e) {
    return fail('BadShape', (e as Error).message);
  }
  if (!extIsCanonical(claimedSum)) return fail('NonCanonical', 'claimed sum is not a canonical field element');
  if (!proof || !Array.isArray(proof.rounds)) return fail('MalformedProof', 'sumcheck proof has no rounds array');
  if (proof.rounds.length !== m) {
    return fail('WrongRoundCount', `expected ${m} rounds, got ${proof.rounds.length}`, { expected: m, actual: proof.rounds.length });
  }
  absorbStatement(tr, label, m, d, claimedSum);
  let claim: Ext = claimedSum;
  const point = new Uint32Array(4 * m);
  for (let j = 0; j < m; j++) {
    const s = proof.rounds[j];
    if (!(s instanceof Uint32Array) || s.length !== 4 * (d + 1)) {
      return fail('WrongRoundLength', `round ${j}: expected ${d + 1} evaluations, got ${s instanceof Uint32Array ? s.length / 4 : 'none'}`, { round: j });
    }
    for (let k = 0; k < s.length; k++) {
      if (s[k] >= P) return fail('NonCanonical', `round ${j}: value ${k} is not canonical`, { round: j });
    }
    const sum01 = extAdd(s.subarray(0, 4), s.subarray(4, 8));
    if (!extEquals(sum01, claim)) {
      return fail('RoundCheckFailed', `round ${j}: s(0) + s(1) = ${extToString(sum01)}, expected ${extToString(claim)}`, {
        round: j,
        expected: extToString(claim),
        actual: extToString(sum01),
      });
    }
    tr.absorbExt(`${label}/round`, s);
    const r = tr.challengeExt(`${label}/challenge`);
    point.set(r, 4 * j);
    claim = roundAt(s, r);
  }
  return { ok: true, point, finalClaim: claim };
}

/** Evaluates the summand Σ_j c_j Π P~_l at the final point from the per-table values. */
export function combineFinalEvals(terms: ProductTerm[], evals: Ext[]): Ext {
  let acc = ext();
  for (const term of terms) {
    let prod: Ext = ext(1);
    for (const f of term.factors) prod = extMul(prod, evals[f]);
    acc = extAdd(acc, extMul(term.coeff, prod));
  }
  return acc;
}

export function writeSumcheckProof(w: ByteWriter, proof: SumcheckProof): void {
  w.u32(proof.rounds.length);
  const d1 = proof.rounds.length === 0 ? 0 : proof.rounds[0].length >>> 2;
  w.u32(d1);
  for (const s of proof.rounds) w.words(s);
}

/** Reads a sumcheck proof; the shape must match what the verifier expects (bounded by it). */
export function readSumcheckProof(r: ByteReader, numVars: number, degree: number): SumcheckProof {
  r.u32In(numVars, numVars, 'sumcheck round count');
  r.u32In(numVars === 0 ? 0 : degree + 1, numVars === 0 ? 0 : degree + 1, 'sumcheck evaluations per round');
  const rounds: Uint32Array[] = [];
  for (let j = 0; j < numVars; j++) rounds.push(r.words(4 * (degree + 1), `sumcheck round ${j}`));
  return { rounds };
}
