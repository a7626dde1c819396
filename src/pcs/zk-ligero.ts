/**
 * Zero-knowledge Ligero: a proof that a committed base-field vector w satisfies a
 * `ConstraintSystem` (sparse K-linear, tensor-structured MLE and Hadamard constraints,
 * `./constraints.ts`), revealing nothing else (AHIV17 "Ligero", CCS 2017, §4–5; journal version
 * ePrint 2022/1608; Longfellow-zk, draft-google-cfrg-libzk; docs/zero-knowledge.md §3).
 *
 * Commit. w fills R_A rows of C = 2^logC entries (zero-padded). Each row is the polynomial
 * p = m̂ + Z_H·r of degree < L = C + k: m̂ interpolates the row on H = ⟨ω_C⟩, r is uniform of
 * degree < k, Z_H = X^C − 1 (`./zk-ligero-code.ts`). Codewords are evaluations on the disjoint
 * coset g·⟨ω_N⟩ (N ≥ 2L, a power of two); leaves are salted columns, H(0x00 ‖ salt_j ‖ column_j)
 * with a fresh 256-bit salt each (`./zk-ligero-columns.ts`). The commitment is (root A, length n,
 * parameters); the caller absorbs it (`absorbZkCommitment`) when it is made. Evaluation-form
 * messages are what make the tests work: Σ_{h∈H} and "vanishes on H" are identities on the
 * message symbols, and Z_H·r adds nothing on H.
 *
 * Several commitments (`proveZkLigeroMulti`, `verifyZkLigeroMulti`). The statement addresses the
 * concatenation w_0 ‖ … ‖ w_{m−1} of the committed vectors (w_i at [base_i, base_i + n_i),
 * base_i = Σ_{j<i} n_j; rows numbered across the trees A_0..A_{m−1}, `./zk-ligero-system.ts`).
 * Any constraint may read any vector, and one constraint several; a tensor segment of more than 32
 * entries must lie in one vector (refused otherwise), and may be aligned within it rather than in
 * the concatenation (`segmentAligned`, `./constraints.ts`). The commitments share (C, N, t); k may
 * differ (a long-lived commitment carries more randomness to survive more openings): the proof
 * runs the code with L = C + max_i k_i, which every tree's rows belong to, and all the steps
 * below treat the rows of all trees as one matrix: one γ, one set J opening every tree, every
 * test polynomial over all rows. Tree B is made per proof as before. The caller absorbs each
 * commitment when it is made; the proof's statement digest binds m and each commitment's (root,
 * length, parameters) in order again, so it does not verify for the commitments permuted or one
 * of them replaced. With one commitment this is exactly the single-commitment proof (same
 * transcript and bytes: `proveZkLigero` is a wrapper).
 *
 * Prove (transcript order, PROTOCOL-NOTES §6):
 *   1. tree B, fresh per proof: 20 mask rows (`./zk-ligero-masks.ts`) and the Hadamard copies
 *      (row triples X_r, Y_r, Z_r, hiding rows like tree A's; `./zk-ligero-system.ts`). Absorb
 *      the digest of the whole statement (`statementDigest`), root B and its row count;
 *   2. γ ∈ K^(R−4), uniform (R = R_A + R_B, R_A the rows of all trees A); send P0 = Σ_a γ_a·p_a + m (all rows but the
 *      proximity mask m's four, which enter with coefficients 1, u, u², u³): L coefficients; absorb;
 *   3. β ∈ K, τ ∈ K^⌈log2 M⌉; weights ω_i = β·eq(τ)_i over the M linear constraints (sparse,
 *      tensor, then three copies x_e = w[x+i], y_e, z_e per Hadamard entry); q_a = interpolant on H
 *      of row a's combined coefficients; send Q_lin = Σ_a q_a·p_a + a + Z_H·b: C + L − 1
 *      coefficients; absorb;
 *   4. ρ ∈ K^(R_q), one per row triple; send Q_quad = Σ_r ρ_r·(p_X p_Y − p_Z) + Z_H·(c0 + X^{k−1}·c1):
 *      2L − 1 coefficients; absorb;
 *   5. t column indices j ← [0, N) with replacement (every test polynomial is absorbed first:
 *      drawn earlier, a prover could fit a false Q_lin to the queried columns); open the distinct
 *      columns of every tree with salts and multi-openings.
 *
 * Verify: lengths (exactly L, C + L − 1 and 2L − 1 coefficients: the degree checks), canonical
 * values, every tree's Merkle opening; Σ_H Q_lin = Σ_i ω_i·rhs_i; Z_H | Q_quad; and at every opened j,
 *   P0(x_j)    = Σ_a γ_a·E[a][j] + m(x_j),
 *   Q_lin(x_j) = Σ_a q_a(x_j)·E[a][j] + a(x_j) + Z_H(x_j)·b(x_j),
 *   Q_quad(x_j)= Σ_r ρ_r·(E[X_r][j]·E[Y_r][j] − E[Z_r][j]) + Z_H(x_j)·(c0(x_j) + x_j^{k−1}·c1(x_j)).
 * Tensor constraints stay separable (eq(z_hi) ⊗ eq(z_lo)): one interpolant per constraint and
 * O(t·rows) work, so verifying costs O(N log N) per tensor constraint plus O(t·R), never O(|w|).
 * The verifier evaluates the test polynomials and the interpolants at the t opened columns only
 * (`PolynomialsAtColumns`: folded NTTs of size ≪ N and Horner steps, exact), not on the coset.
 *
 * Soundness: `./zk-ligero-params.ts` derives the error terms (proximity test for RS[N, C + k],
 * the two tests' query terms from the product degrees, and the field terms of γ, (β, τ), ρ); with
 * several commitments, for k = max_i k_i, and the number of trees or rows adds no term.
 *
 * Zero knowledge (statistical, perfect given the challenges, with the salted leaves as the only
 * computational-in-the-ROM part). Fix w and the challenges. (i) The opened values of every
 * witness or copy row are uniform and independent: t ≤ k_i distinct positions of a row of tree i, see
 * `./zk-ligero-code.ts`. (ii) The masks are independent of w and uniform over the spaces of
 * `./zk-ligero-masks.ts`, so Q_quad is uniform over {deg < 2L − 1, Z_H | Q}, Q_lin over
 * {deg < C + L − 1, Σ_H Q = target}, P0 over {deg < L}, and the openings of b and c1 stay
 * uniform given them; the openings of a, c0 and m are then fixed by the three column identities.
 * (iii) The salts hide unopened columns (Q·2^−256 per leaf). The simulator
 * (test/pcs/zk-ligero-zk.test.ts) samples exactly this distribution without w. Assumptions: t ≤ k,
 * which `paramsIssue` enforces, and that a commitment opened by several proofs reveals at most k
 * distinct columns in all (docs/zero-knowledge.md §4): each prover data counts its revealed
 * columns and every proof refuses to take any commitment beyond its k. The count is exported by
 * `revealedColumns` and restored by `commitZkLigero(…, { revealed })`, for a commitment re-created
 * from its seed (`seededRandom`: the seed is then as secret as the committed vector). Per-proof
 * randomness (tree B's masks, copy rows and salts) never comes from a reproducible source.
 */
import { P, pow } from '../field/babybear.js';
import { extAdd, extEquals, extToString } from '../field/extension.js';
import { kernels } from '../field/active.js';
import { DIGEST_BYTES } from '../hash/sha256.js';
import { MAX_MERKLE_DEPTH } from '../hash/merkle.js';
import type { Transcript } from '../transcript/transcript.js';
import { ByteReader, ByteWriter, DecodeError } from '../util/bytes.js';
import { fail, OK, type VerifyResult } from '../util/result.js';
import { checkConstraints, type ConstraintSystem } from './constraints.js';
import { codePoint, cosetEvaluateRows, cosetInterpolateExt, firstNonVanishingResidue, hidingRowCoefficients, PolynomialsAtColumns, sumOverH } from './zk-ligero-code.js';
import { commitColumns, openColumns, SALT_BYTES, verifyColumns, type SaltedTree } from './zk-ligero-columns.js';
import { linearAtColumns, linearOnCoset, quadraticAtColumn, quadraticOnCoset } from './zk-ligero-eval.js';
import { cryptoRandom, isReproducible, linearMask, linearMaskAt, MASK_ROWS, proximityMask, quadraticMask, quadraticMaskAt, randomField, rowsValue, sampleMasks, type RandomSource } from './zk-ligero-masks.js';
import { codeShape, paramsIssue, sharedCodeIssue, sharedCodeParams, ZK_LIGERO_TARGET_BITS, zkLigeroSecurity, type ZkCodeShape, type ZkLigeroParams } from './zk-ligero-params.js';
import { hadamardEntries, hadamardRows, linearTerms, linearWeights, numLinearConstraints, statementDigest, statementIssue, vectorAt, vectorLayout, weightVars } from './zk-ligero-system.js';

export const ZK_LIGERO_PROOF_VERSION = 1;
/** Most commitments one proof may span. */
export const MAX_ZK_COMMITMENTS = 256;

export interface ZkLigeroCommitment {
  readonly root: Uint8Array;
  /** entries of the committed vector */
  readonly length: number;
  readonly params: Readonly<ZkLigeroParams>;
}

export interface ZkLigeroProverData {
  readonly commitment: ZkLigeroCommitment;
  readonly values: Uint32Array;
  readonly shape: ZkCodeShape;
  readonly rowsA: number;
  /** coefficient rows, rowsA × L */
  readonly coeffs: Uint32Array;
  /** codewords, rowsA × N */
  readonly encoded: Uint32Array;
  readonly tree: SaltedTree;
  readonly rng: RandomSource;
  /** column indices revealed so far (at most k over all proofs of this commitment) */
  readonly revealed: Set<number>;
}

/** A one-commitment proof (`proveZkLigero`). */
export interface ZkLigeroProof {
  /** tree B rows: 20 masks + 3 per Hadamard row triple */
  rowsB: number;
  rootB: Uint8Array;
  /** P0: L extension coefficients */
  p0: Uint32Array;
  /** Q_lin: C + L − 1 extension coefficients */
  qLin: Uint32Array;
  /** Q_quad: 2L − 1 extension coefficients */
  qQuad: Uint32Array;
  /** the distinct opened columns, ascending index: rowsA (resp. rowsB) words each */
  columnsA: Uint32Array;
  columnsB: Uint32Array;
  /** 32 bytes per opened column */
  saltsA: Uint8Array;
  saltsB: Uint8Array;
  merkleA: Uint8Array;
  merkleB: Uint8Array;
}

/** The opened columns of one tree: |J| columns of its rows, their salts, one multi-opening. */
export interface ZkTreeOpening {
  columns: Uint32Array;
  salts: Uint8Array;
  merkle: Uint8Array;
}

/** A proof over several commitments (`proveZkLigeroMulti`); L = C + max_i k_i. */
export interface ZkLigeroMultiProof {
  rowsB: number;
  rootB: Uint8Array;
  /** P0: L extension coefficients */
  p0: Uint32Array;
  /** Q_lin: C + L − 1 extension coefficients */
  qLin: Uint32Array;
  /** Q_quad: 2L − 1 extension coefficients */
  qQuad: Uint32Array;
  /** trees A_0 .. A_{m−1}, in the order of the commitments */
  a: ZkTreeOpening[];
  b: ZkTreeOpening;
}

/** The caller's absorb of a commitment, at commit time (part of the statement). */
export function absorbZkCommitment(tr: Transcript, c: ZkLigeroCommitment): void {
  tr.absorbBytes('zkl/root', c.root);
  tr.absorbNumber('zkl/length', c.length);
  tr.absorbNumber('zkl/log-cols', c.params.logCols);
  tr.absorbNumber('zkl/randomness', c.params.randomness);
  tr.absorbNumber('zkl/log-codeword', c.params.logCodeword);
  tr.absorbNumber('zkl/queries', c.params.queries);
}

export interface ZkCommitOptions {
  /**
   * Columns earlier proofs of this same commitment revealed (`revealedColumns` of its previous
   * prover data): a commitment re-created from its seed resumes its reveal budget.
   */
  revealed?: ArrayLike<number>;
}

function restoredColumns(cols: ArrayLike<number> | undefined, s: ZkCodeShape): Set<number> {
  const out = new Set<number>();
  if (cols === undefined) return out;
  for (let i = 0; i < cols.length; i++) {
    const j = cols[i];
    if (!Number.isInteger(j) || j < 0 || j >= s.N) throw new RangeError(`commitZkLigero: revealed column ${j}: expected an index below N = ${s.N}`);
    out.add(j);
  }
  if (out.size > s.k) throw new RangeError(`commitZkLigero: ${out.size} revealed columns exceed the k = ${s.k} the rows hide`);
  return out;
}

/**
 * Commits w with randomness from `rng` (default Web Crypto; `seededRandom(seed)` makes the
 * commitment reproducible, see `./zk-ligero-masks.ts`). Throws on non-canonical entries, invalid
 * parameters, or an invalid `opts.revealed`.
 */
export function commitZkLigero(w: Uint32Array, params: ZkLigeroParams, rng: RandomSource = cryptoRandom, opts: ZkCommitOptions = {}): { commitment: ZkLigeroCommitment; data: ZkLigeroProverData } {
  if (!(w instanceof Uint32Array) || w.length < 1) throw new TypeError('commitZkLigero: expected a non-empty Uint32Array of field elements');
  for (let i = 0; i < w.length; i++) if (w[i] >= P) throw new RangeError(`commitZkLigero: element ${i} is not canonical (${w[i]} ≥ p)`);
  const err = paramsIssue(params);
  if (err) throw new RangeError(`commitZkLigero: ${err}`);
  const s = codeShape(params);
  const revealed = restoredColumns(opts.revealed, s);
  const rowsA = Math.ceil(w.length / s.C);
  const msgs = new Uint32Array(rowsA * s.C);
  msgs.set(w);
  const coeffs = hidingRowCoefficients(msgs, rowsA, s.logC, randomField(rng, rowsA * s.k), s.k);
  const encoded = cosetEvaluateRows(coeffs, rowsA, s.L, s.logN);
  const tree = commitColumns(encoded, rowsA, s.N, rng);
  const commitment: ZkLigeroCommitment = { root: tree.root, length: w.length, params: Object.freeze({ ...params }) };
  // a copy: the prover reads the entries again (Hadamard copies), the caller may reuse its array
  return { commitment, data: { commitment, values: w.slice(), shape: s, rowsA, coeffs, encoded, tree, rng, revealed } };
}

/** The distinct columns of the commitment revealed so far, ascending (to persist with its seed). */
export function revealedColumns(data: ZkLigeroProverData): Uint32Array {
  return Uint32Array.from(data.revealed).sort();
}

function distinctSorted(idx: Uint32Array): Uint32Array {
  const s = Uint32Array.from(idx).sort();
  let k = 0;
  for (let i = 0; i < s.length; i++) if (i === 0 || s[i] !== s[i - 1]) s[k++] = s[i];
  return s.slice(0, k);
}

/** Tree B rows for a system: 20 masks + 3 per row triple of Hadamard copies. */
export function treeBRows(sys: ConstraintSystem, logC: number): number {
  return MASK_ROWS + 3 * Math.ceil(hadamardEntries(sys) / 2 ** logC);
}

export interface ZkProveOptions {
  /**
   * randomness for tree B (default: the first commitment's source that is not reproducible, see
   * `isReproducible`, else Web Crypto: a seeded source re-created later would replay this proof's
   * masks and salts)
   */
  rng?: RandomSource;
  /** soundness tests only: skip the clear check and produce the proof a cheating prover would send */
  unchecked?: boolean;
  /** tests only: the 20 mask coefficient rows (`sampleMasks` by default) */
  masks?: Uint32Array;
  /**
   * Soundness tests only: a cheating prover's edit of a test polynomial before it is absorbed
   * (the proof then continues honestly from the edited transcript).
   */
  edit?: { p0?: (p: Uint32Array) => Uint32Array; qLin?: (p: Uint32Array) => Uint32Array; qQuad?: (p: Uint32Array) => Uint32Array };
}

/** Row r of a row-major matrix of N columns, subsampled at every (N/M)-th position: the values on g·⟨ω_M⟩. */
function subsample(encoded: Uint32Array, r: number, N: number, M: number): Uint32Array {
  const out = new Uint32Array(M);
  const step = N / M;
  for (let i = 0, src = r * N; i < M; i++, src += step) out[i] = encoded[src];
  return out;
}

function refuse(w: Uint32Array, sys: ConstraintSystem, bases: readonly number[]): never {
  const violated = checkConstraints(w, sys, bases);
  throw new Error(`zk-ligero prove: the system does not hold: ${violated ?? 'a random combination of the constraints fails (the clear check found none: report this)'}`);
}

function assertZeroTail(q: Uint32Array, len: number, what: string): void {
  for (let i = 4 * len; i < q.length; i++) if (q[i] !== 0) throw new Error(`zk-ligero prove: internal error, ${what} has degree ≥ ${len}`);
}

/** The concatenation of the committed vectors (the vector the statement addresses). */
function concatenated(datas: readonly ZkLigeroProverData[]): Uint32Array {
  if (datas.length === 1) return datas[0].values;
  const out = new Uint32Array(datas.reduce((n, d) => n + d.values.length, 0));
  let o = 0;
  for (const d of datas) {
    out.set(d.values, o);
    o += d.values.length;
  }
  return out;
}

/** Σ_a weights_a·p_a over tree `d`'s rows [r0, r0 + rows), zero-extended to L coefficients (K, interleaved). */
function combineTree(d: ZkLigeroProverData, r0: number, rows: number, weights: Uint32Array, L: number): Uint32Array {
  const Li = d.shape.L;
  const out = new Uint32Array(4 * L);
  const dst = Li === L ? out : new Uint32Array(4 * Li);
  kernels().combineRows(dst, d.coeffs.subarray(r0 * Li, (r0 + rows) * Li), weights, Li);
  if (dst !== out) out.set(dst);
  return out;
}

/**
 * Adds this proof's columns J to each commitment's revealed set, or throws (changing none) if a
 * commitment would then have more than its k distinct columns revealed.
 */
function reserveColumns(datas: readonly ZkLigeroProverData[], J: Uint32Array): void {
  const distinct = [...new Set(datas)];
  for (const d of distinct) {
    let fresh = 0;
    for (const j of J) if (!d.revealed.has(j)) fresh++;
    if (d.revealed.size + fresh > d.shape.k) {
      const which = datas.length === 1 ? 'the commitment' : `commitment ${datas.indexOf(d)}`;
      throw new Error(`zk-ligero prove: this proof would reveal ${d.revealed.size + fresh} distinct columns of ${which}, more than its k = ${d.shape.k} random symbols per row hide`);
    }
  }
  for (const d of distinct) for (const j of J) d.revealed.add(j);
}

/**
 * Proves that the committed vector satisfies `sys`. The transcript must already hold the
 * commitment (`absorbZkCommitment`). Throws (naming the constraint) if `sys` does not hold, and
 * if this proof would reveal more than k distinct columns of the commitment in all.
 */
export function proveZkLigero(data: ZkLigeroProverData, sys: ConstraintSystem, tr: Transcript, opts: ZkProveOptions = {}): ZkLigeroProof {
  return singleProof(proveZkLigeroMulti([data], sys, tr, opts));
}

/**
 * Proves that the concatenation of the committed vectors (in this order) satisfies `sys`. The
 * transcript must already hold every commitment (`absorbZkCommitment`, when each was made). The
 * commitments must share (C, N, t) (`sharedCodeIssue`). Throws (naming the constraint) if `sys`
 * does not hold, and if this proof would reveal more than k_i distinct columns of commitment i in
 * all (over every proof its prover data made).
 */
export function proveZkLigeroMulti(datas: readonly ZkLigeroProverData[], sys: ConstraintSystem, tr: Transcript, opts: ZkProveOptions = {}): ZkLigeroMultiProof {
  if (!Array.isArray(datas) || datas.length < 1 || datas.length > MAX_ZK_COMMITMENTS) throw new TypeError(`zk-ligero prove: expected 1 to ${MAX_ZK_COMMITMENTS} prover data, got ${Array.isArray(datas) ? datas.length : typeof datas}`);
  const commitments = datas.map((d) => d.commitment);
  const codeErr = sharedCodeIssue(commitments.map((c) => c.params));
  if (codeErr) throw new RangeError(`zk-ligero prove: ${codeErr}`);
  const s = codeShape(sharedCodeParams(commitments.map((c) => c.params)));
  const { L, N, M, logC, logN, logM, k } = s;
  const lengths = commitments.map((c) => c.length);
  const issue = statementIssue(lengths, sys);
  if (issue) throw new RangeError(`zk-ligero prove: ${issue}`);
  const layout = vectorLayout(lengths, logC);
  const rng = opts.rng ?? datas.map((d) => d.rng).find((r) => !isReproducible(r)) ?? cryptoRandom;
  const K = kernels();
  const rowBases = layout.rowBases;
  const rowsA = rowBases[datas.length];
  const rowsB = treeBRows(sys, logC);
  const triples = (rowsB - MASK_ROWS) / 3;
  const rows = rowsA + rowsB;
  const values = triples > 0 || !opts.unchecked ? concatenated(datas) : new Uint32Array(0);

  // 1. tree B: masks and Hadamard copies
  const masks = opts.masks ?? sampleMasks(s, rng);
  if (masks.length !== MASK_ROWS * L) throw new RangeError(`zk-ligero prove: expected ${MASK_ROWS} mask rows of ${L} coefficients`);
  const aux = hidingRowCoefficients(hadamardRows(values, sys, logC), 3 * triples, logC, randomField(rng, 3 * triples * k), k);
  const coeffsB = new Uint32Array(rowsB * L);
  coeffsB.set(masks);
  coeffsB.set(aux, MASK_ROWS * L);
  const encodedB = cosetEvaluateRows(coeffsB, rowsB, L, logN);
  const treeB = commitColumns(encodedB, rowsB, N, rng);
  tr.absorbBytes('zkl/system', statementDigest(commitments, sys));
  tr.absorbBytes('zkl/root-b', treeB.root);
  tr.absorbNumber('zkl/rows-b', rowsB);

  // 2. proximity: P0 = γᵀU + m
  const gamma = tr.challengeExts('zkl/proximity', rows - 4);
  const p0 = new Uint32Array(4 * L);
  for (const [i, d] of datas.entries()) K.extAdd(p0, p0, combineTree(d, 0, d.rowsA, gamma.subarray(4 * rowBases[i], 4 * rowBases[i + 1]), L));
  const partB = new Uint32Array(4 * L);
  K.combineRows(partB, coeffsB.subarray(4 * L), gamma.subarray(4 * rowsA), L);
  K.extAdd(p0, p0, partB);
  K.extAdd(p0, p0, proximityMask(masks, s));
  const p0Sent = opts.edit?.p0 ? opts.edit.p0(p0) : p0;
  tr.absorbExt('zkl/p0', p0Sent);

  // 3. linear test
  const numLinear = numLinearConstraints(sys);
  const beta = tr.challengeExt('zkl/linear-scale');
  const tau = tr.challengeExts('zkl/linear', weightVars(numLinear));
  const terms = linearTerms(sys, { logC, rowsA, rows, layout }, linearWeights(beta, tau, numLinear));
  const rowEvals = (r: number) => {
    if (r >= rowsA) return subsample(encodedB, r - rowsA, N, M);
    const i = vectorAt(rowBases, r);
    return subsample(datas[i].encoded, r - rowBases[i], N, M);
  };
  const combine = (row0: number, n: number, weights: Uint32Array) => {
    const i = vectorAt(rowBases, row0);
    return combineTree(datas[i], row0 - rowBases[i], n, weights, L);
  };
  const linStar = cosetInterpolateExt(linearOnCoset(terms, { logC, logM, L, rowsA, rows }, combine, rowEvals), logM);
  assertZeroTail(linStar, s.linDegree, 'Σ q_a·p_a');
  // The honest prover refuses a false system. Σ_H Σ_a q_a·p_a = Σ_i ω_i·(A_i w) equals the target
  // for a random ω only if every linear constraint holds (up to (⌈log2 M⌉+1)/|K|): the clear
  // checker runs only on a mismatch, to name the violated constraint (as in ./batch.ts).
  if (!opts.unchecked && !extEquals(sumOverH(linStar, logC), terms.target)) refuse(values, sys, layout.bases);
  const qLin = linStar.slice(0, 4 * s.linDegree);
  K.extAdd(qLin, qLin, linearMask(masks, s));
  const qLinSent = opts.edit?.qLin ? opts.edit.qLin(qLin) : qLin;
  tr.absorbExt('zkl/q-lin', qLinSent);

  // 4. quadratic test
  const rho = tr.challengeExts('zkl/quadratic', triples);
  const quadStar = cosetInterpolateExt(quadraticOnCoset(rho, logM, rowsA + MASK_ROWS, rowEvals), logM);
  assertZeroTail(quadStar, s.quadDegree, 'Σ ρ_r·(p_X p_Y − p_Z)');
  if (!opts.unchecked && firstNonVanishingResidue(quadStar, logC) >= 0) refuse(values, sys, layout.bases);
  const qQuad = quadStar.slice(0, 4 * s.quadDegree);
  K.extAdd(qQuad, qQuad, quadraticMask(masks, s));
  const qQuadSent = opts.edit?.qQuad ? opts.edit.qQuad(qQuad) : qQuad;
  tr.absorbExt('zkl/q-quad', qQuadSent);

  // 5. columns: one set J opens every tree
  const J = distinctSorted(tr.challengeIndices('zkl/columns', s.t, N));
  reserveColumns(datas, J);
  const opening = (o: ReturnType<typeof openColumns>): ZkTreeOpening => ({ columns: o.columns, salts: o.salts, merkle: o.nodes });
  const a = datas.map((d) => opening(openColumns(d.encoded, d.rowsA, N, d.tree, J)));
  const b = opening(openColumns(encodedB, rowsB, N, treeB, J));
  return { rowsB, rootB: treeB.root, p0: p0Sent, qLin: qLinSent, qQuad: qQuadSent, a, b };
}

function singleProof(p: ZkLigeroMultiProof): ZkLigeroProof {
  const [a] = p.a;
  return { rowsB: p.rowsB, rootB: p.rootB, p0: p.p0, qLin: p.qLin, qQuad: p.qQuad, columnsA: a.columns, columnsB: p.b.columns, saltsA: a.salts, saltsB: p.b.salts, merkleA: a.merkle, merkleB: p.b.merkle };
}

function multiProof(p: ZkLigeroProof): ZkLigeroMultiProof {
  return { rowsB: p.rowsB, rootB: p.rootB, p0: p.p0, qLin: p.qLin, qQuad: p.qQuad, a: [{ columns: p.columnsA, salts: p.saltsA, merkle: p.merkleA }], b: { columns: p.columnsB, salts: p.saltsB, merkle: p.merkleB } };
}

export interface ZkVerifyOptions {
  /** least soundness bits the commitments' shared code must give this system (default 103) */
  minBits?: number;
}

/**
 * Checks a proof that the vector committed in `c` satisfies `sys`; the transcript must already
 * hold the commitment (`absorbZkCommitment`). Stateless; never throws on hostile input.
 */
export function verifyZkLigero(c: ZkLigeroCommitment, sys: ConstraintSystem, proof: ZkLigeroProof, tr: Transcript, opts: ZkVerifyOptions = {}): VerifyResult {
  try {
    // a non-object proof goes through as is: the commitment's checks come first, as for several
    return verifyUnchecked([c], sys, proof && typeof proof === 'object' ? multiProof(proof) : (proof as never), tr, opts);
  } catch (e) {
    return fail('MalformedProof', `zk-ligero: ${(e as Error).message}`);
  }
}

/**
 * Checks a proof that the concatenation of the vectors committed in `commitments` (in this order)
 * satisfies `sys`; the transcript must already hold every commitment (`absorbZkCommitment`).
 * Stateless; never throws on hostile input.
 */
export function verifyZkLigeroMulti(commitments: readonly ZkLigeroCommitment[], sys: ConstraintSystem, proof: ZkLigeroMultiProof, tr: Transcript, opts: ZkVerifyOptions = {}): VerifyResult {
  try {
    return verifyUnchecked(commitments, sys, proof, tr, opts);
  } catch (e) {
    return fail('MalformedProof', `zk-ligero: ${(e as Error).message}`);
  }
}

function wordsOk(v: unknown, len: number): v is Uint32Array {
  return v instanceof Uint32Array && v.length === len;
}

/** What is wrong with a list of commitments for one proof, as an error kind and message, or null. */
function commitmentsIssue(cs: readonly ZkLigeroCommitment[]): { kind: string; message: string } | null {
  if (!Array.isArray(cs) || cs.length < 1 || cs.length > MAX_ZK_COMMITMENTS) return { kind: 'BadCommitment', message: `expected 1 to ${MAX_ZK_COMMITMENTS} commitments` };
  for (const [i, c] of cs.entries()) {
    const name = cs.length === 1 ? 'commitment' : `commitment ${i}`;
    const pErr = c && typeof c === 'object' ? paramsIssue(c.params) : 'missing commitment';
    if (pErr) return { kind: 'BadParameters', message: `${name} parameters: ${pErr}` };
    if (!(c.root instanceof Uint8Array) || c.root.length !== DIGEST_BYTES || !Number.isSafeInteger(c.length) || c.length < 1) return { kind: 'BadCommitment', message: `${name}: expected a 32-byte root and a positive length` };
  }
  const err = sharedCodeIssue(cs.map((c) => c.params));
  return err ? { kind: 'BadParameters', message: err } : null;
}

function verifyUnchecked(cs: readonly ZkLigeroCommitment[], sys: ConstraintSystem, proof: ZkLigeroMultiProof, tr: Transcript, opts: ZkVerifyOptions): VerifyResult {
  const cErr = commitmentsIssue(cs);
  if (cErr) return fail(cErr.kind, cErr.message);
  const code = sharedCodeParams(cs.map((c) => c.params));
  const s = codeShape(code);
  const { C, L, N, logC, logN, k } = s;
  const lengths = cs.map((c) => c.length);
  const sErr = statementIssue(lengths, sys);
  if (sErr) return fail('BadStatement', sErr);
  const numLinear = numLinearConstraints(sys);
  const bits = zkLigeroSecurity(code, numLinear).bits;
  const minBits = opts.minBits ?? ZK_LIGERO_TARGET_BITS;
  if (!(bits >= minBits)) return fail('InsufficientSecurity', `the commitments' parameters give ${bits.toFixed(2)} bits for this system, below ${minBits}`, { bits, required: minBits });
  if (!proof || typeof proof !== 'object') return fail('MalformedProof', 'expected a proof object');
  const widths = cs.map((c) => Math.ceil(c.length / C));
  const rowsA = widths.reduce((a, b) => a + b, 0);
  const rowsB = treeBRows(sys, logC);
  if (proof.rowsB !== rowsB) return fail('ShapeMismatch', `tree B has ${proof.rowsB} rows, the system needs ${rowsB}`);
  const triples = (rowsB - MASK_ROWS) / 3;
  const rows = rowsA + rowsB;
  if (!(proof.rootB instanceof Uint8Array) || proof.rootB.length !== DIGEST_BYTES) return fail('BadLength', 'root B: expected 32 bytes');
  for (const [name, v, len] of [['P0', proof.p0, L], ['Q_lin', proof.qLin, s.linDegree], ['Q_quad', proof.qQuad, s.quadDegree]] as const) {
    if (!wordsOk(v, 4 * len)) return fail('BadLength', `${name}: expected exactly ${len} extension coefficients, got ${(v as unknown) instanceof Uint32Array ? (v as Uint32Array).length / 4 : 'none'}`);
  }
  if (!Array.isArray(proof.a) || proof.a.length !== cs.length) return fail('BadLength', `expected ${cs.length} tree-A openings`);
  const trees = [...proof.a, proof.b];
  const treeName = (i: number) => (i === cs.length ? 'B' : cs.length === 1 ? 'A' : `A[${i}]`);
  for (const [i, o] of trees.entries()) {
    if (!o || typeof o !== 'object' || !(o.columns instanceof Uint32Array)) return fail('BadLength', `columns ${treeName(i)}: missing`);
  }
  for (const [name, v] of [['P0', proof.p0], ['Q_lin', proof.qLin], ['Q_quad', proof.qQuad], ...trees.map((o, i) => [`columns ${treeName(i)}`, o.columns] as const)] as const) {
    for (let i = 0; i < v.length; i++) if (v[i] >= P) return fail('NonCanonical', `${name}[${i}] is not canonical`);
  }

  // the transcript, in the prover's order
  tr.absorbBytes('zkl/system', statementDigest(cs, sys));
  tr.absorbBytes('zkl/root-b', proof.rootB);
  tr.absorbNumber('zkl/rows-b', rowsB);
  const gamma = tr.challengeExts('zkl/proximity', rows - 4);
  tr.absorbExt('zkl/p0', proof.p0);
  const beta = tr.challengeExt('zkl/linear-scale');
  const tau = tr.challengeExts('zkl/linear', weightVars(numLinear));
  tr.absorbExt('zkl/q-lin', proof.qLin);
  const rho = tr.challengeExts('zkl/quadratic', triples);
  tr.absorbExt('zkl/q-quad', proof.qQuad);
  const J = distinctSorted(tr.challengeIndices('zkl/columns', s.t, N));
  const q = J.length;

  // lengths of the openings, then each tree's Merkle opening
  const treeRows = [...widths, rowsB];
  for (const [i, o] of trees.entries()) {
    if (!wordsOk(o.columns, q * treeRows[i])) return fail('BadLength', `columns ${treeName(i)}: expected ${q} columns of ${treeRows[i]} words`);
    if (!(o.salts instanceof Uint8Array) || o.salts.length !== q * SALT_BYTES) return fail('BadLength', `salts ${treeName(i)}: expected ${q} salts of ${SALT_BYTES} bytes`);
    if (!(o.merkle instanceof Uint8Array)) return fail('BadLength', `Merkle opening ${treeName(i)}: missing`);
  }
  for (const [i, o] of trees.entries()) {
    const root = i === cs.length ? proof.rootB : cs[i].root;
    const m = verifyColumns(root, logN, J, { columns: o.columns, salts: o.salts, nodes: o.merkle }, treeRows[i]);
    if (!m.ok) return fail('MerkleCheckFailed', `tree ${treeName(i)}: ${m.error.kind}`, { tree: treeName(i), merkle: m.error });
  }

  // identities on H
  const layout = vectorLayout(lengths, logC);
  const terms = linearTerms(sys, { logC, rowsA, rows, layout }, linearWeights(beta, tau, numLinear));
  const sum = sumOverH(proof.qLin, logC);
  if (!extEquals(sum, terms.target)) return fail('LinearSumMismatch', `Σ_H Q_lin = ${extToString(sum)}, but the constraints' combination is ${extToString(terms.target)}`);
  const residue = firstNonVanishingResidue(proof.qQuad, logC);
  if (residue >= 0) return fail('QuadraticNotVanishing', `Q_quad does not vanish on H (residue ${residue} mod X^C − 1)`, { residue });

  // column identities, on the columns of all trees side by side (trees A in order, then B)
  const opened = new Uint32Array(q * rows);
  for (let i = 0; i < q; i++) {
    let o = i * rows;
    for (const [t, tree] of trees.entries()) {
      opened.set(tree.columns.subarray(i * treeRows[t], (i + 1) * treeRows[t]), o);
      o += treeRows[t];
    }
  }
  const lin = linearAtColumns(terms, { logC, logN, rows, t: q }, J, opened);
  // the test polynomials at the opened columns only (not on the whole coset)
  const atJ = (poly: Uint32Array) => new PolynomialsAtColumns(Math.max(0, Math.ceil(Math.log2(poly.length >>> 2))), logN, J).at(poly);
  const encP0 = atJ(proof.p0);
  const encLin = atJ(proof.qLin);
  const encQuad = atJ(proof.qQuad);
  const K = kernels();
  const gammaA = gamma.subarray(0, 4 * rowsA);
  const gammaB = gamma.subarray(4 * rowsA);
  for (let i = 0; i < q; i++) {
    const j = J[i];
    const colA = opened.subarray(i * rows, i * rows + rowsA);
    const colB = opened.subarray(i * rows + rowsA, (i + 1) * rows);
    const x = codePoint(logN, j);
    const xC = pow(x, C);
    const zh = (xC + P - 1) % P;
    const prox = extAdd(extAdd(K.extDotBase(gammaA, colA), K.extDotBase(gammaB, colB.subarray(4))), rowsValue(colB, 0));
    if (!extEquals(prox, encP0.subarray(4 * i, 4 * i + 4))) return fail('ProximityCheckFailed', `column ${j}: P0(x_j) ≠ Σ γ_a·E[a][j] + m(x_j)`, { column: j });
    const l = extAdd(lin.subarray(4 * i, 4 * i + 4), linearMaskAt(colB, zh));
    if (!extEquals(l, encLin.subarray(4 * i, 4 * i + 4))) return fail('LinearCheckFailed', `column ${j}: Q_lin(x_j) ≠ Σ q_a(x_j)·E[a][j] + mask`, { column: j });
    const qd = extAdd(quadraticAtColumn(rho, colB, MASK_ROWS), quadraticMaskAt(colB, zh, pow(x, k - 1)));
    if (!extEquals(qd, encQuad.subarray(4 * i, 4 * i + 4))) return fail('QuadraticCheckFailed', `column ${j}: Q_quad(x_j) ≠ Σ ρ_r·(x·y − z) + mask`, { column: j });
  }
  return OK;
}

// ---- encodings ----------------------------------------------------------------------------------

/**
 * Writes a multi proof: version, rows B, root B, P0, Q_lin, Q_quad, the opened column count, then
 * the columns of trees A_0..A_{m−1} and B, their salts, and each tree's Merkle node count and
 * nodes. m and every length follow from the statement; for one commitment these are exactly the
 * bytes of `writeZkProof`.
 */
export function writeZkMultiProof(w: ByteWriter, p: ZkLigeroMultiProof): void {
  const trees = [...p.a, p.b];
  w.u8(ZK_LIGERO_PROOF_VERSION).u32(p.rowsB).bytes(p.rootB);
  w.words(p.p0).words(p.qLin).words(p.qQuad);
  w.u32(p.a[0].salts.length / SALT_BYTES);
  for (const o of trees) w.words(o.columns);
  for (const o of trees) w.bytes(o.salts);
  for (const o of trees) w.u32(o.merkle.length / DIGEST_BYTES).bytes(o.merkle);
}

export function writeZkProof(w: ByteWriter, p: ZkLigeroProof): void {
  writeZkMultiProof(w, multiProof(p));
}

/**
 * Reads a proof for the commitments `cs` and statement `sys` (which fix every length): the
 * encoding is canonical, one byte string per proof. Throws DecodeError on malformed input.
 */
export function readZkMultiProof(r: ByteReader, cs: readonly ZkLigeroCommitment[], sys: ConstraintSystem): ZkLigeroMultiProof {
  const err = commitmentsIssue(cs);
  if (err) throw new DecodeError(`zk-ligero proof: ${err.message}`);
  const s = codeShape(sharedCodeParams(cs.map((c) => c.params)));
  const version = r.u8('zk-ligero proof version');
  if (version !== ZK_LIGERO_PROOF_VERSION) throw new DecodeError(`zk-ligero proof: unsupported version ${version} (expected ${ZK_LIGERO_PROOF_VERSION})`);
  const sErr = statementIssue(cs.map((c) => c.length), sys);
  if (sErr) throw new DecodeError(`zk-ligero proof: ${sErr}`);
  const expectRowsB = treeBRows(sys, s.logC);
  const rowsB = r.u32In(expectRowsB, expectRowsB, 'tree B rows');
  const rootB = r.bytes(DIGEST_BYTES, 'root B');
  const p0 = r.words(4 * s.L, 'P0');
  const qLin = r.words(4 * s.linDegree, 'Q_lin');
  const qQuad = r.words(4 * s.quadDegree, 'Q_quad');
  const q = r.u32In(1, Math.min(s.t, s.N), 'opened columns');
  const widths = [...cs.map((c) => Math.ceil(c.length / s.C)), rowsB];
  const name = (i: number) => (i === cs.length ? 'B' : cs.length === 1 ? 'A' : `A[${i}]`);
  const columns = widths.map((rows, i) => r.words(q * rows, `columns ${name(i)}`));
  const salts = widths.map((_, i) => r.bytes(q * SALT_BYTES, `salts ${name(i)}`));
  const depth = Math.min(s.logN, MAX_MERKLE_DEPTH);
  const merkle = widths.map((_, i) => r.bytes(r.u32In(0, q * depth, `Merkle ${name(i)} nodes`) * DIGEST_BYTES, `Merkle ${name(i)}`));
  const trees = widths.map((_, i) => ({ columns: columns[i], salts: salts[i], merkle: merkle[i] }));
  return { rowsB, rootB, p0, qLin, qQuad, a: trees.slice(0, cs.length), b: trees[cs.length] };
}

/** Reads a one-commitment proof (`readZkMultiProof` with one commitment). */
export function readZkProof(r: ByteReader, c: ZkLigeroCommitment, sys: ConstraintSystem): ZkLigeroProof {
  return singleProof(readZkMultiProof(r, [c], sys));
}

/** A proof's bytes. */
export function serializeZkProof(p: ZkLigeroProof): Uint8Array {
  return serializeZkMultiProof(multiProof(p));
}

/** A multi proof's bytes. */
export function serializeZkMultiProof(p: ZkLigeroMultiProof): Uint8Array {
  const w = new ByteWriter(1 << 16);
  writeZkMultiProof(w, p);
  return w.finish();
}

type Decoded<T> = { ok: true; value: T } | { ok: false; error: { kind: string; message: string } };

/** Decodes proof bytes (never throws: errors come back as values). */
export function deserializeZkProof(bytes: Uint8Array, c: ZkLigeroCommitment, sys: ConstraintSystem): Decoded<ZkLigeroProof> {
  const d = deserializeZkMultiProof(bytes, [c], sys);
  return d.ok ? { ok: true, value: singleProof(d.value) } : d;
}

/** Decodes multi proof bytes for these commitments (never throws: errors come back as values). */
export function deserializeZkMultiProof(bytes: Uint8Array, cs: readonly ZkLigeroCommitment[], sys: ConstraintSystem): Decoded<ZkLigeroMultiProof> {
  try {
    if (!(bytes instanceof Uint8Array)) return fail('DecodeError', 'expected bytes');
    const r = new ByteReader(bytes);
    const value = readZkMultiProof(r, cs, sys);
    r.end('zk-ligero proof');
    return { ok: true, value };
  } catch (e) {
    return fail('DecodeError', (e as Error).message);
  }
}

/** The commitment's bytes: root ‖ LE64 length ‖ parameters. */
export function zkCommitmentBytes(c: ZkLigeroCommitment): Uint8Array {
  const w = new ByteWriter(64);
  w.bytes(c.root).u32(c.length % 2 ** 32).u32(Math.floor(c.length / 2 ** 32));
  w.u8(c.params.logCols).u32(c.params.randomness).u8(c.params.logCodeword).u32(c.params.queries);
  return w.finish();
}

/** Parses `zkCommitmentBytes`; throws DecodeError on malformed input. */
export function readZkCommitment(r: ByteReader): ZkLigeroCommitment {
  const root = r.bytes(DIGEST_BYTES, 'root');
  const lo = r.u32('length');
  const hi = r.u32In(0, 2 ** 21 - 1, 'length (high)');
  const length = hi * 2 ** 32 + lo;
  const params: ZkLigeroParams = { logCols: r.u8('logCols'), randomness: r.u32('randomness'), logCodeword: r.u8('logCodeword'), queries: r.u32('queries') };
  const err = paramsIssue(params);
  if (err) throw new DecodeError(`zk-ligero commitment: ${err}`);
  if (length < 1) throw new DecodeError('zk-ligero commitment: empty vector');
  return { root, length, params: Object.freeze(params) };
}

