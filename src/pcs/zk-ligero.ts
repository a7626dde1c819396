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
 * Prove (transcript order, PROTOCOL-NOTES §6):
 *   1. tree B, fresh per proof: 20 mask rows (`./zk-ligero-masks.ts`) and the Hadamard copies
 *      (row triples X_r, Y_r, Z_r, hiding rows like tree A's; `./zk-ligero-system.ts`). Absorb
 *      the digest of the whole constraint system, root B and its row count;
 *   2. γ ∈ K^(R−4), uniform (R = R_A + R_B); send P0 = Σ_a γ_a·p_a + m (all rows but the
 *      proximity mask m's four, which enter with coefficients 1, u, u², u³): L coefficients; absorb;
 *   3. β ∈ K, τ ∈ K^⌈log2 M⌉; weights ω_i = β·eq(τ)_i over the M linear constraints (sparse,
 *      tensor, then three copies x_e = w[x+i], y_e, z_e per Hadamard entry); q_a = interpolant on H
 *      of row a's combined coefficients; send Q_lin = Σ_a q_a·p_a + a + Z_H·b: C + L − 1
 *      coefficients; absorb;
 *   4. ρ ∈ K^(R_q), one per row triple; send Q_quad = Σ_r ρ_r·(p_X p_Y − p_Z) + Z_H·(c0 + X^{k−1}·c1):
 *      2L − 1 coefficients; absorb;
 *   5. t column indices j ← [0, N) with replacement (every test polynomial is absorbed first:
 *      drawn earlier, a prover could fit a false Q_lin to the queried columns); open the distinct
 *      columns of both trees with salts and multi-openings.
 *
 * Verify: lengths (exactly L, C + L − 1 and 2L − 1 coefficients: the degree checks), canonical
 * values, both Merkle openings; Σ_H Q_lin = Σ_i ω_i·rhs_i; Z_H | Q_quad; and at every opened j,
 *   P0(x_j)    = Σ_a γ_a·E[a][j] + m(x_j),
 *   Q_lin(x_j) = Σ_a q_a(x_j)·E[a][j] + a(x_j) + Z_H(x_j)·b(x_j),
 *   Q_quad(x_j)= Σ_r ρ_r·(E[X_r][j]·E[Y_r][j] − E[Z_r][j]) + Z_H(x_j)·(c0(x_j) + x_j^{k−1}·c1(x_j)).
 * Tensor constraints stay separable (eq(z_hi) ⊗ eq(z_lo)): one interpolant per constraint and
 * O(t·rows) work, so verifying costs O(N log N) per tensor constraint plus O(t·R), never O(|w|).
 *
 * Soundness: `./zk-ligero-params.ts` derives the error terms (proximity test for RS[N, C + k],
 * the two tests' query terms from the product degrees, and the field terms of γ, (β, τ), ρ).
 *
 * Zero knowledge (statistical, perfect given the challenges, with the salted leaves as the only
 * computational-in-the-ROM part). Fix w and the challenges. (i) The opened values of every
 * witness or copy row are uniform and independent: t ≤ k distinct positions, see
 * `./zk-ligero-code.ts`. (ii) The masks are independent of w and uniform over the spaces of
 * `./zk-ligero-masks.ts`, so Q_quad is uniform over {deg < 2L − 1, Z_H | Q}, Q_lin over
 * {deg < C + L − 1, Σ_H Q = target}, P0 over {deg < L}, and the openings of b and c1 stay
 * uniform given them; the openings of a, c0 and m are then fixed by the three column identities.
 * (iii) The salts hide unopened columns (Q·2^−256 per leaf). The simulator
 * (test/pcs/zk-ligero-zk.test.ts) samples exactly this distribution without w. Assumptions: t ≤ k,
 * which `paramsIssue` enforces, and that a commitment opened by several proofs reveals at most k
 * distinct columns in all (docs/zero-knowledge.md §4): the prover data counts revealed columns
 * and `proveZkLigero` refuses to exceed k.
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
import { codePoint, componentAt, cosetEvaluateExt, cosetEvaluateRows, cosetInterpolateExt, firstNonVanishingResidue, hidingRowCoefficients, sumOverH } from './zk-ligero-code.js';
import { commitColumns, openColumns, SALT_BYTES, verifyColumns, type SaltedTree } from './zk-ligero-columns.js';
import { linearAtColumns, linearOnCoset, quadraticAtColumn, quadraticOnCoset } from './zk-ligero-eval.js';
import { cryptoRandom, linearMask, linearMaskAt, MASK_ROWS, proximityMask, quadraticMask, quadraticMaskAt, randomField, rowsValue, sampleMasks, type RandomSource } from './zk-ligero-masks.js';
import { codeShape, paramsIssue, ZK_LIGERO_TARGET_BITS, zkLigeroSecurity, type ZkCodeShape, type ZkLigeroParams } from './zk-ligero-params.js';
import { hadamardEntries, hadamardRows, linearTerms, linearWeights, numLinearConstraints, systemDigest, systemIssue, weightVars } from './zk-ligero-system.js';

export const ZK_LIGERO_PROOF_VERSION = 1;

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

/** The caller's absorb of a commitment, at commit time (part of the statement). */
export function absorbZkCommitment(tr: Transcript, c: ZkLigeroCommitment): void {
  tr.absorbBytes('zkl/root', c.root);
  tr.absorbNumber('zkl/length', c.length);
  tr.absorbNumber('zkl/log-cols', c.params.logCols);
  tr.absorbNumber('zkl/randomness', c.params.randomness);
  tr.absorbNumber('zkl/log-codeword', c.params.logCodeword);
  tr.absorbNumber('zkl/queries', c.params.queries);
}

/**
 * Commits w with fresh randomness from `rng` (default Web Crypto). Throws on non-canonical
 * entries or invalid parameters.
 */
export function commitZkLigero(w: Uint32Array, params: ZkLigeroParams, rng: RandomSource = cryptoRandom): { commitment: ZkLigeroCommitment; data: ZkLigeroProverData } {
  if (!(w instanceof Uint32Array) || w.length < 1) throw new TypeError('commitZkLigero: expected a non-empty Uint32Array of field elements');
  for (let i = 0; i < w.length; i++) if (w[i] >= P) throw new RangeError(`commitZkLigero: element ${i} is not canonical (${w[i]} ≥ p)`);
  const err = paramsIssue(params);
  if (err) throw new RangeError(`commitZkLigero: ${err}`);
  const s = codeShape(params);
  const rowsA = Math.ceil(w.length / s.C);
  const msgs = new Uint32Array(rowsA * s.C);
  msgs.set(w);
  const coeffs = hidingRowCoefficients(msgs, rowsA, s.logC, randomField(rng, rowsA * s.k), s.k);
  const encoded = cosetEvaluateRows(coeffs, rowsA, s.L, s.logN);
  const tree = commitColumns(encoded, rowsA, s.N, rng);
  const commitment: ZkLigeroCommitment = { root: tree.root, length: w.length, params: Object.freeze({ ...params }) };
  // a copy: the prover reads the entries again (Hadamard copies), the caller may reuse its array
  return { commitment, data: { commitment, values: w.slice(), shape: s, rowsA, coeffs, encoded, tree, rng, revealed: new Set() } };
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
  /** randomness for tree B (default: the commitment's source) */
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

function refuse(w: Uint32Array, sys: ConstraintSystem): never {
  const violated = checkConstraints(w, sys);
  throw new Error(`zk-ligero prove: the system does not hold: ${violated ?? 'a random combination of the constraints fails (the clear check found none: report this)'}`);
}

function assertZeroTail(q: Uint32Array, len: number, what: string): void {
  for (let i = 4 * len; i < q.length; i++) if (q[i] !== 0) throw new Error(`zk-ligero prove: internal error, ${what} has degree ≥ ${len}`);
}

/**
 * Proves that the committed vector satisfies `sys`. The transcript must already hold the
 * commitment (`absorbZkCommitment`). Throws (naming the constraint) if `sys` does not hold, and
 * if this proof would reveal more than k distinct columns of the commitment in all.
 */
export function proveZkLigero(data: ZkLigeroProverData, sys: ConstraintSystem, tr: Transcript, opts: ZkProveOptions = {}): ZkLigeroProof {
  const s = data.shape;
  const { L, N, M, logC, logN, logM, k } = s;
  const n = data.commitment.length;
  const issue = systemIssue(n, sys);
  if (issue) throw new RangeError(`zk-ligero prove: ${issue}`);
  const rng = opts.rng ?? data.rng;
  const K = kernels();
  const rowsA = data.rowsA;
  const rowsB = treeBRows(sys, logC);
  const triples = (rowsB - MASK_ROWS) / 3;
  const rows = rowsA + rowsB;

  // 1. tree B: masks and Hadamard copies
  const masks = opts.masks ?? sampleMasks(s, rng);
  if (masks.length !== MASK_ROWS * L) throw new RangeError(`zk-ligero prove: expected ${MASK_ROWS} mask rows of ${L} coefficients`);
  const aux = hidingRowCoefficients(hadamardRows(data.values, sys, logC), 3 * triples, logC, randomField(rng, 3 * triples * k), k);
  const coeffsB = new Uint32Array(rowsB * L);
  coeffsB.set(masks);
  coeffsB.set(aux, MASK_ROWS * L);
  const encodedB = cosetEvaluateRows(coeffsB, rowsB, L, logN);
  const treeB = commitColumns(encodedB, rowsB, N, rng);
  tr.absorbBytes('zkl/system', systemDigest(n, sys));
  tr.absorbBytes('zkl/root-b', treeB.root);
  tr.absorbNumber('zkl/rows-b', rowsB);

  // 2. proximity: P0 = γᵀU + m
  const gamma = tr.challengeExts('zkl/proximity', rows - 4);
  const p0 = new Uint32Array(4 * L);
  K.combineRows(p0, data.coeffs, gamma.subarray(0, 4 * rowsA), L);
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
  const terms = linearTerms(sys, { logC, rowsA, rows }, linearWeights(beta, tau, numLinear));
  const rowEvals = (r: number) => (r < rowsA ? subsample(data.encoded, r, N, M) : subsample(encodedB, r - rowsA, N, M));
  const linStar = cosetInterpolateExt(linearOnCoset(terms, { logC, logM, L, rowsA, rows }, data.coeffs, rowEvals), logM);
  assertZeroTail(linStar, s.linDegree, 'Σ q_a·p_a');
  // The honest prover refuses a false system. Σ_H Σ_a q_a·p_a = Σ_i ω_i·(A_i w) equals the target
  // for a random ω only if every linear constraint holds (up to (⌈log2 M⌉+1)/|K|): the clear
  // checker runs only on a mismatch, to name the violated constraint (as in ./batch.ts).
  if (!opts.unchecked && !extEquals(sumOverH(linStar, logC), terms.target)) refuse(data.values, sys);
  const qLin = linStar.slice(0, 4 * s.linDegree);
  K.extAdd(qLin, qLin, linearMask(masks, s));
  const qLinSent = opts.edit?.qLin ? opts.edit.qLin(qLin) : qLin;
  tr.absorbExt('zkl/q-lin', qLinSent);

  // 4. quadratic test
  const rho = tr.challengeExts('zkl/quadratic', triples);
  const quadStar = cosetInterpolateExt(quadraticOnCoset(rho, logM, rowsA + MASK_ROWS, rowEvals), logM);
  assertZeroTail(quadStar, s.quadDegree, 'Σ ρ_r·(p_X p_Y − p_Z)');
  if (!opts.unchecked && firstNonVanishingResidue(quadStar, logC) >= 0) refuse(data.values, sys);
  const qQuad = quadStar.slice(0, 4 * s.quadDegree);
  K.extAdd(qQuad, qQuad, quadraticMask(masks, s));
  const qQuadSent = opts.edit?.qQuad ? opts.edit.qQuad(qQuad) : qQuad;
  tr.absorbExt('zkl/q-quad', qQuadSent);

  // 5. columns
  const J = distinctSorted(tr.challengeIndices('zkl/columns', s.t, N));
  let fresh = 0;
  for (const j of J) if (!data.revealed.has(j)) fresh++;
  if (data.revealed.size + fresh > k) {
    throw new Error(`zk-ligero prove: this proof would reveal ${data.revealed.size + fresh} distinct columns of the commitment, more than its k = ${k} random symbols per row hide`);
  }
  for (const j of J) data.revealed.add(j);
  const a = openColumns(data.encoded, rowsA, N, data.tree, J);
  const b = openColumns(encodedB, rowsB, N, treeB, J);
  return { rowsB, rootB: treeB.root, p0: p0Sent, qLin: qLinSent, qQuad: qQuadSent, columnsA: a.columns, columnsB: b.columns, saltsA: a.salts, saltsB: b.salts, merkleA: a.nodes, merkleB: b.nodes };
}

export interface ZkVerifyOptions {
  /** least soundness bits the commitment's parameters must give this system (default 103) */
  minBits?: number;
}

/**
 * Checks a proof that the vector committed in `c` satisfies `sys`; the transcript must already
 * hold the commitment (`absorbZkCommitment`). Stateless; never throws on hostile input.
 */
export function verifyZkLigero(c: ZkLigeroCommitment, sys: ConstraintSystem, proof: ZkLigeroProof, tr: Transcript, opts: ZkVerifyOptions = {}): VerifyResult {
  try {
    return verifyUnchecked(c, sys, proof, tr, opts);
  } catch (e) {
    return fail('MalformedProof', `zk-ligero: ${(e as Error).message}`);
  }
}

function wordsOk(v: unknown, len: number): v is Uint32Array {
  return v instanceof Uint32Array && v.length === len;
}

function verifyUnchecked(c: ZkLigeroCommitment, sys: ConstraintSystem, proof: ZkLigeroProof, tr: Transcript, opts: ZkVerifyOptions): VerifyResult {
  const pErr = c && typeof c === 'object' ? paramsIssue(c.params) : 'missing commitment';
  if (pErr) return fail('BadParameters', `commitment parameters: ${pErr}`);
  if (!(c.root instanceof Uint8Array) || c.root.length !== DIGEST_BYTES || !Number.isSafeInteger(c.length) || c.length < 1) return fail('BadCommitment', 'expected a 32-byte root and a positive length');
  const s = codeShape(c.params);
  const { C, L, N, logC, logN, k } = s;
  const sErr = systemIssue(c.length, sys);
  if (sErr) return fail('BadStatement', sErr);
  const numLinear = numLinearConstraints(sys);
  const bits = zkLigeroSecurity(c.params, numLinear).bits;
  const minBits = opts.minBits ?? ZK_LIGERO_TARGET_BITS;
  if (!(bits >= minBits)) return fail('InsufficientSecurity', `the commitment's parameters give ${bits.toFixed(2)} bits for this system, below ${minBits}`, { bits, required: minBits });
  if (!proof || typeof proof !== 'object') return fail('MalformedProof', 'expected a proof object');
  const rowsA = Math.ceil(c.length / C);
  const rowsB = treeBRows(sys, logC);
  if (proof.rowsB !== rowsB) return fail('ShapeMismatch', `tree B has ${proof.rowsB} rows, the system needs ${rowsB}`);
  const triples = (rowsB - MASK_ROWS) / 3;
  const rows = rowsA + rowsB;
  if (!(proof.rootB instanceof Uint8Array) || proof.rootB.length !== DIGEST_BYTES) return fail('BadLength', 'root B: expected 32 bytes');
  for (const [name, v, len] of [['P0', proof.p0, L], ['Q_lin', proof.qLin, s.linDegree], ['Q_quad', proof.qQuad, s.quadDegree]] as const) {
    if (!wordsOk(v, 4 * len)) return fail('BadLength', `${name}: expected exactly ${len} extension coefficients, got ${(v as unknown) instanceof Uint32Array ? (v as Uint32Array).length / 4 : 'none'}`);
  }
  for (const [name, v] of [['P0', proof.p0], ['Q_lin', proof.qLin], ['Q_quad', proof.qQuad], ['columns A', proof.columnsA], ['columns B', proof.columnsB]] as const) {
    if (!(v instanceof Uint32Array)) return fail('BadLength', `${name}: missing`);
    for (let i = 0; i < v.length; i++) if (v[i] >= P) return fail('NonCanonical', `${name}[${i}] is not canonical`);
  }

  // the transcript, in the prover's order
  tr.absorbBytes('zkl/system', systemDigest(c.length, sys));
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

  // lengths of the openings
  if (!wordsOk(proof.columnsA, q * rowsA) || !wordsOk(proof.columnsB, q * rowsB)) {
    return fail('BadLength', `columns: expected ${q} columns of ${rowsA} + ${rowsB} words`);
  }
  for (const [name, v] of [['salts A', proof.saltsA], ['salts B', proof.saltsB]] as const) {
    if (!(v instanceof Uint8Array) || v.length !== q * SALT_BYTES) return fail('BadLength', `${name}: expected ${q} salts of ${SALT_BYTES} bytes`);
  }
  if (!(proof.merkleA instanceof Uint8Array) || !(proof.merkleB instanceof Uint8Array)) return fail('BadLength', 'Merkle openings: missing');
  const mA = verifyColumns(c.root, logN, J, { columns: proof.columnsA, salts: proof.saltsA, nodes: proof.merkleA }, rowsA);
  if (!mA.ok) return fail('MerkleCheckFailed', `tree A: ${mA.error.kind}`, { tree: 'A', merkle: mA.error });
  const mB = verifyColumns(proof.rootB, logN, J, { columns: proof.columnsB, salts: proof.saltsB, nodes: proof.merkleB }, rowsB);
  if (!mB.ok) return fail('MerkleCheckFailed', `tree B: ${mB.error.kind}`, { tree: 'B', merkle: mB.error });

  // identities on H
  const terms = linearTerms(sys, { logC, rowsA, rows }, linearWeights(beta, tau, numLinear));
  const sum = sumOverH(proof.qLin, logC);
  if (!extEquals(sum, terms.target)) return fail('LinearSumMismatch', `Σ_H Q_lin = ${extToString(sum)}, but the constraints' combination is ${extToString(terms.target)}`);
  const residue = firstNonVanishingResidue(proof.qQuad, logC);
  if (residue >= 0) return fail('QuadraticNotVanishing', `Q_quad does not vanish on H (residue ${residue} mod X^C − 1)`, { residue });

  // column identities
  const opened = new Uint32Array(q * rows);
  for (let i = 0; i < q; i++) {
    opened.set(proof.columnsA.subarray(i * rowsA, (i + 1) * rowsA), i * rows);
    opened.set(proof.columnsB.subarray(i * rowsB, (i + 1) * rowsB), i * rows + rowsA);
  }
  const lin = linearAtColumns(terms, { logC, logN, rows, t: q }, J, opened);
  const encP0 = cosetEvaluateExt(proof.p0, logN);
  const encLin = cosetEvaluateExt(proof.qLin, logN);
  const encQuad = cosetEvaluateExt(proof.qQuad, logN);
  const K = kernels();
  const gammaA = gamma.subarray(0, 4 * rowsA);
  const gammaB = gamma.subarray(4 * rowsA);
  for (let i = 0; i < q; i++) {
    const j = J[i];
    const colA = proof.columnsA.subarray(i * rowsA, (i + 1) * rowsA);
    const colB = proof.columnsB.subarray(i * rowsB, (i + 1) * rowsB);
    const x = codePoint(logN, j);
    const xC = pow(x, C);
    const zh = (xC + P - 1) % P;
    const prox = extAdd(extAdd(K.extDotBase(gammaA, colA), K.extDotBase(gammaB, colB.subarray(4))), rowsValue(colB, 0));
    if (!extEquals(prox, componentAt(encP0, N, j))) return fail('ProximityCheckFailed', `column ${j}: P0(x_j) ≠ Σ γ_a·E[a][j] + m(x_j)`, { column: j });
    const l = extAdd(lin.subarray(4 * i, 4 * i + 4), linearMaskAt(colB, zh));
    if (!extEquals(l, componentAt(encLin, N, j))) return fail('LinearCheckFailed', `column ${j}: Q_lin(x_j) ≠ Σ q_a(x_j)·E[a][j] + mask`, { column: j });
    const qd = extAdd(quadraticAtColumn(rho, colB, MASK_ROWS), quadraticMaskAt(colB, zh, pow(x, k - 1)));
    if (!extEquals(qd, componentAt(encQuad, N, j))) return fail('QuadraticCheckFailed', `column ${j}: Q_quad(x_j) ≠ Σ ρ_r·(x·y − z) + mask`, { column: j });
  }
  return OK;
}

// ---- encodings ----------------------------------------------------------------------------------

export function writeZkProof(w: ByteWriter, p: ZkLigeroProof): void {
  w.u8(ZK_LIGERO_PROOF_VERSION).u32(p.rowsB).bytes(p.rootB);
  w.words(p.p0).words(p.qLin).words(p.qQuad);
  w.u32(p.saltsA.length / SALT_BYTES).words(p.columnsA).words(p.columnsB).bytes(p.saltsA).bytes(p.saltsB);
  w.u32(p.merkleA.length / DIGEST_BYTES).bytes(p.merkleA);
  w.u32(p.merkleB.length / DIGEST_BYTES).bytes(p.merkleB);
}

/**
 * Reads a proof for commitment `c` and statement `sys` (which fix every length): the encoding is
 * canonical, one byte string per proof. Throws DecodeError on malformed input.
 */
export function readZkProof(r: ByteReader, c: ZkLigeroCommitment, sys: ConstraintSystem): ZkLigeroProof {
  const err = paramsIssue(c.params);
  if (err) throw new DecodeError(`zk-ligero proof: ${err}`);
  const s = codeShape(c.params);
  const version = r.u8('zk-ligero proof version');
  if (version !== ZK_LIGERO_PROOF_VERSION) throw new DecodeError(`zk-ligero proof: unsupported version ${version} (expected ${ZK_LIGERO_PROOF_VERSION})`);
  const sErr = systemIssue(c.length, sys);
  if (sErr) throw new DecodeError(`zk-ligero proof: ${sErr}`);
  const expectRowsB = treeBRows(sys, s.logC);
  const rowsB = r.u32In(expectRowsB, expectRowsB, 'tree B rows');
  const rootB = r.bytes(DIGEST_BYTES, 'root B');
  const p0 = r.words(4 * s.L, 'P0');
  const qLin = r.words(4 * s.linDegree, 'Q_lin');
  const qQuad = r.words(4 * s.quadDegree, 'Q_quad');
  const rowsA = Math.ceil(c.length / s.C);
  const q = r.u32In(1, Math.min(s.t, s.N), 'opened columns');
  const columnsA = r.words(q * rowsA, 'columns A');
  const columnsB = r.words(q * rowsB, 'columns B');
  const saltsA = r.bytes(q * SALT_BYTES, 'salts A');
  const saltsB = r.bytes(q * SALT_BYTES, 'salts B');
  const depth = Math.min(s.logN, MAX_MERKLE_DEPTH);
  const nA = r.u32In(0, q * depth, 'Merkle A nodes');
  const merkleA = r.bytes(nA * DIGEST_BYTES, 'Merkle A');
  const nB = r.u32In(0, q * depth, 'Merkle B nodes');
  const merkleB = r.bytes(nB * DIGEST_BYTES, 'Merkle B');
  return { rowsB, rootB, p0, qLin, qQuad, columnsA, columnsB, saltsA, saltsB, merkleA, merkleB };
}

/** A proof's bytes. */
export function serializeZkProof(p: ZkLigeroProof): Uint8Array {
  const w = new ByteWriter(1 << 16);
  writeZkProof(w, p);
  return w.finish();
}

/** Decodes proof bytes (never throws: errors come back as values). */
export function deserializeZkProof(bytes: Uint8Array, c: ZkLigeroCommitment, sys: ConstraintSystem): { ok: true; value: ZkLigeroProof } | { ok: false; error: { kind: string; message: string } } {
  try {
    if (!(bytes instanceof Uint8Array)) return fail('DecodeError', 'expected bytes');
    const r = new ByteReader(bytes);
    const value = readZkProof(r, c, sys);
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

