/**
 * Re-commitment (docs/zero-knowledge.md §4): a fresh hiding zk-Ligero commitment to the vector a
 * parent commitment holds, with a zero-knowledge proof that both commit to the same vector. A
 * long-lived commitment hides its rows only while at most k of its columns are revealed in all;
 * renewing spends t of the parent's columns and yields a child with a budget of its own, so a
 * tree of commitments serves many more proofs than one.
 *
 * Statement. Parent P and child Q of the same length n and the same parameters (C, k, N, t): the
 * child can then stand wherever the parent did (a receipt's multi proof needs equal (C, N, t) with
 * the witness commitment). n = Σ_j 2^{b_j} (its binary digits, b_0 > b_1 > …) splits both vectors
 * into blocks B_j = [o_j, o_j + 2^{b_j}), o_j = Σ_{i<j} 2^{b_i} a multiple of 2^{b_j}. Then
 * P = Q ⟺ P_j = Q_j for every block j.
 *
 * Protocol (transcript `zkinfer/zk-renew/v1`). The prover commits a third, tiny vector: a uniform
 * pad π_j ∈ K for every block (4 base entries each, one row, k = t: it is opened once). Absorb the
 * commitments of P, Q and π; draw r ∈ K^{b_0}; send V_j = P~_j(r_{<b_j}) + π_j for every block and
 * absorb them; then ONE zero-knowledge Ligero proof over [P, Q, π] (`proveZkLigeroMulti`) of the
 * 2·#blocks TensorLinear constraints
 *   ⟨eq(r_{<b_j}), P_j⟩ + π_j = V_j,    ⟨eq(r_{<b_j}), Q_j⟩ + π_j = V_j.
 * In the concatenation, Q's blocks start at n + o_j, a multiple of 2^{b_j} within Q but not in
 * general in the concatenation: the statement uses segments aligned within their vector
 * (`segmentAligned`, `./constraints.ts`), which the Ligero proof handles as any segment. Without
 * that, blocks would have to be of 2^{v2(n)} entries — n/2^{v2(n)} of them, 257 per vector for
 * mlp-4m's parameter side 2^23 + 2^15, each a separable group costing the verifier an NTT of size
 * N — where the binary digits give two.
 *
 * Soundness. The two constraints of block j imply ⟨eq(r), P_j − Q_j⟩ = 0 whatever π_j and V_j.
 * P and Q are bound (absorbed) before r is drawn: if P_j ≠ Q_j, the MLE of the difference is a
 * non-zero multilinear polynomial in b_j ≤ b_0 variables, zero at a uniform r w.p. ≤ b_0/|K|
 * (Schwartz–Zippel); otherwise the system is false and the Ligero proof accepts w.p. ≤ its error
 * (`zkLigeroSecurity` for the parent's code with 2·#blocks linear constraints; the pad's k = t ≤ k
 * leaves L = C + k). `zkRenewalSecurity` adds the two: for mlp-4m's parameter side (the chooser's
 * 103-bit code, C = 2^13, k = 3584, N = 2^16, t = 224) b_0/|K| = 23/|K| ≈ 2^−119 and the total is
 * 103.21 bits. The verifier also requires the child's root to differ from the parent's (a "child"
 * equal to its parent would claim a fresh budget for columns already spent), and fixes the pad
 * commitment's length and parameters itself: the proof carries only its root.
 *
 * Zero knowledge. The Ligero proof reveals nothing beyond the truth of its statement (its header);
 * the statement's public values are the three roots (salted: hiding), r, and the V_j, which are
 * uniform: π_j is uniform and only the pad's t ≤ k columns are opened, which are uniform and
 * independent of π. A simulator samples V uniformly and runs the Ligero simulator.
 *
 * Budget. The proof opens the same ≤ t columns of P, Q and π: they join the parent's revealed set
 * (the multi prover refuses, changing nothing, when that would exceed the parent's k) and start
 * the child's, which therefore has k − |J| ≥ (b − 1)·t left, b = ⌊k/t⌋. A root serves b openings
 * (receipts or children), every other commitment b − 1, so a tree of depth D, whose commitments
 * above the leaves open only children, serves b·(b − 1)^D receipts (16·15 = 240 at D = 1 for the
 * default 16 openings), and a receipt at depth D carries the D renewals of its path.
 *
 * Bytes (`proveZkRenewal`): version u8 | pad root (32) | V_j (#blocks extension elements) | the
 * multi proof (`writeZkMultiProof`); every length follows from the parent. `encodeRenewal` pairs
 * the child commitment's bytes with a proof.
 */
import type { Ext } from '../field/extension.js';
import { kernels } from '../field/active.js';
import { DIGEST_BYTES } from '../hash/sha256.js';
import { eqTable } from '../poly/multilinear.js';
import { Transcript } from '../transcript/transcript.js';
import { ByteReader, ByteWriter, DecodeError } from '../util/bytes.js';
import { fail, OK, type Result, type VerifyResult } from '../util/result.js';
import type { ConstraintSystem, TensorLinear } from './constraints.js';
import {
  absorbZkCommitment,
  commitZkLigero,
  proveZkLigeroMulti,
  readZkCommitment,
  readZkMultiProof,
  verifyZkLigeroMulti,
  writeZkMultiProof,
  zkCommitmentBytes,
  type ZkLigeroCommitment,
  type ZkLigeroProverData,
} from './zk-ligero.js';
import { cryptoRandom, randomField, type RandomSource } from './zk-ligero-masks.js';
import { LOG2_K, paramsIssue, ZK_LIGERO_TARGET_BITS, zkLigeroSecurity, type ZkLigeroParams } from './zk-ligero-params.js';

export const ZK_RENEW_PROTOCOL = 'zkinfer/zk-renew/v1';
export const ZK_RENEW_PROOF_VERSION = 1;
export const ZK_RENEWAL_VERSION = 1;
/** The most bytes `decodeRenewal` accepts for a proof (mlp-4m's is 2.99 MB). */
export const MAX_RENEWAL_PROOF_BYTES = 64 << 20;

/** A block of the binary decomposition of the length: [offset, offset + 2^numVars). */
export interface RenewalBlock {
  offset: number;
  numVars: number;
}

/** The blocks of n = Σ_j 2^{b_j}, largest first (each offset a multiple of its size). */
export function renewalBlocks(length: number): RenewalBlock[] {
  const out: RenewalBlock[] = [];
  let offset = 0;
  for (let b = Math.floor(Math.log2(length)); b >= 0; b--) {
    if (Math.floor(length / 2 ** b) % 2 === 1) {
      out.push({ offset, numVars: b });
      offset += 2 ** b;
    }
  }
  return out;
}

/** The pad commitment's parameters: the parent's code with k = t (it is opened once). */
function padParams(p: ZkLigeroParams): ZkLigeroParams {
  return { logCols: p.logCols, randomness: p.queries, logCodeword: p.logCodeword, queries: p.queries };
}

function sameParams(a: ZkLigeroParams, b: ZkLigeroParams): boolean {
  return a.logCols === b.logCols && a.randomness === b.randomness && a.logCodeword === b.logCodeword && a.queries === b.queries;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The pad's unit coefficients: π_j = Σ_c w[pad + c]·X^c. */
function padTerms(pad: number): { index: Uint32Array; coeffs: Uint32Array } {
  const coeffs = new Uint32Array(16);
  for (let c = 0; c < 4; c++) coeffs[5 * c] = 1;
  return { index: Uint32Array.of(pad, pad + 1, pad + 2, pad + 3), coeffs };
}

/** The 2·#blocks constraints: the parent's blocks, then the child's (at n + o_j), each tied to its pad. */
function renewalSystem(n: number, blocks: readonly RenewalBlock[], r: Uint32Array, values: Uint32Array): ConstraintSystem {
  const tensor: TensorLinear[] = [];
  for (const base of [0, n]) {
    blocks.forEach((b, j) => {
      tensor.push({ offset: base + b.offset, numVars: b.numVars, point: r.slice(0, 4 * b.numVars), extra: padTerms(2 * n + 4 * j), rhs: values.slice(4 * j, 4 * j + 4) });
    });
  }
  return { linear: [], tensor, hadamard: [] };
}

/** ⟨eq(z), f⟩ for a base segment f of 2^|z| entries, as eq(z_hi)-weighted rows times eq(z_lo) (no 2^|z| table). */
function segmentEval(f: Uint32Array, z: Uint32Array): Ext {
  const m = z.length >>> 2;
  const lo = Math.min(m, 12);
  const K = kernels();
  const rows = new Uint32Array(4 * 2 ** lo);
  K.combineRows(rows, f, eqTable(z.subarray(4 * lo)), 2 ** lo);
  return K.extDot(rows, eqTable(z.subarray(0, 4 * lo)));
}

/** The transcript after the three commitments, and the point r. */
function start(parent: ZkLigeroCommitment, child: ZkLigeroCommitment, pad: ZkLigeroCommitment, blocks: readonly RenewalBlock[]): { tr: Transcript; r: Uint32Array } {
  const tr = new Transcript(ZK_RENEW_PROTOCOL);
  absorbZkCommitment(tr, parent);
  absorbZkCommitment(tr, child);
  absorbZkCommitment(tr, pad);
  return { tr, r: tr.challengeExts('renew/point', blocks[0].numVars) };
}

export interface ZkRenewOptions {
  /** soundness tests only: prove for a child that may not commit the parent's vector (the proof a cheating prover sends) */
  unchecked?: boolean;
  /** tests only: the pad values (4 per block; uniform from `rng` by default) */
  pad?: Uint32Array;
  /** tests only: randomness for the Ligero proof's masks and salts (default: the multi prover's choice, never a reproducible source) */
  proofRng?: RandomSource;
}

export interface ZkRenewal {
  child: { commitment: ZkLigeroCommitment; data: ZkLigeroProverData };
  proof: Uint8Array;
}

/**
 * A fresh hiding commitment to the parent's vector (the parent's parameters, randomness from
 * `rng`; `seededRandom(seed)` makes it reproducible from a seed as secret as the vector) and the
 * proof that it commits to the same vector. Throws, changing nothing, when the proof would reveal
 * more columns of the parent than its k hides; the child's revealed set holds the proof's columns.
 */
export function renewZkCommitment(parent: ZkLigeroProverData, rng: RandomSource = cryptoRandom, opts: ZkRenewOptions = {}): ZkRenewal {
  const child = commitZkLigero(parent.values, parent.commitment.params, rng);
  return { child, proof: proveZkRenewal(parent, child.data, rng, opts) };
}

/**
 * The equality proof for a given child (see the header). Throws if the two differ in length or
 * parameters, if the child is the parent's own commitment, if they commit different vectors
 * (unless `opts.unchecked`), or if the proof would exceed a commitment's reveal budget (then
 * nothing changes).
 */
export function proveZkRenewal(parent: ZkLigeroProverData, child: ZkLigeroProverData, rng: RandomSource = cryptoRandom, opts: ZkRenewOptions = {}): Uint8Array {
  const pc = parent.commitment;
  const cc = child.commitment;
  if (!sameParams(pc.params, cc.params)) throw new RangeError(`zk renew: the child's parameters ${JSON.stringify(cc.params)} differ from the parent's ${JSON.stringify(pc.params)}`);
  if (pc.length !== cc.length) throw new RangeError(`zk renew: expected a child of the parent's length ${pc.length}, got ${cc.length}`);
  if (sameBytes(pc.root, cc.root)) throw new RangeError('zk renew: the child is the parent commitment itself: expected a fresh commitment');
  const n = pc.length;
  if (!opts.unchecked) {
    const i = parent.values.findIndex((v, j) => v !== child.values[j]);
    if (i >= 0) throw new Error(`zk renew: the child does not commit the parent's vector (entry ${i} differs)`);
  }
  const blocks = renewalBlocks(n);
  const padValues = opts.pad ?? randomField(rng, 4 * blocks.length);
  if (padValues.length !== 4 * blocks.length) throw new RangeError(`zk renew: expected ${4 * blocks.length} pad entries, got ${padValues.length}`);
  const pad = commitZkLigero(padValues, padParams(pc.params), rng);
  const { tr, r } = start(pc, cc, pad.commitment, blocks);
  const values = new Uint32Array(4 * blocks.length);
  blocks.forEach((b, j) => {
    const v = segmentEval(parent.values.subarray(b.offset, b.offset + 2 ** b.numVars), r.subarray(0, 4 * b.numVars));
    kernels().extAdd(values.subarray(4 * j, 4 * j + 4), v, padValues.subarray(4 * j, 4 * j + 4));
  });
  tr.absorbExt('renew/values', values);
  const sys = renewalSystem(n, blocks, r, values);
  const proof = proveZkLigeroMulti([parent, child, pad.data], sys, tr, { unchecked: opts.unchecked, rng: opts.proofRng });
  const w = new ByteWriter(1 << 16);
  w.u8(ZK_RENEW_PROOF_VERSION).bytes(pad.commitment.root).words(values);
  writeZkMultiProof(w, proof);
  return w.finish();
}

export interface ZkRenewVerifyOptions {
  /** least soundness bits the renewal must give (`zkRenewalSecurity`; default 103) */
  minBits?: number;
}

/** What keeps (parent, child) from being a renewal pair, as a failure, or null. */
function pairIssue(parent: ZkLigeroCommitment, child: ZkLigeroCommitment): { ok: false; error: { kind: string; message: string } } | null {
  for (const [name, c] of [['parent', parent], ['child', child]] as const) {
    const err = c && typeof c === 'object' ? paramsIssue(c.params) : 'missing commitment';
    if (err) return fail('BadParameters', `zk renew: ${name}: ${err}`);
    if (!(c.root instanceof Uint8Array) || c.root.length !== DIGEST_BYTES || !Number.isSafeInteger(c.length) || c.length < 1) return fail('BadCommitment', `zk renew: ${name}: expected a 32-byte root and a positive length`);
  }
  if (!sameParams(parent.params, child.params)) return fail('ParameterMismatch', `zk renew: the child's parameters ${JSON.stringify(child.params)} differ from the parent's ${JSON.stringify(parent.params)}`);
  if (parent.length !== child.length) return fail('LengthMismatch', `zk renew: expected a child of the parent's length ${parent.length}, got ${child.length}`);
  if (sameBytes(parent.root, child.root)) return fail('SameCommitment', 'zk renew: the child has the parent\'s root: expected a fresh commitment');
  return null;
}

/**
 * Checks that `child` commits the vector `parent` commits (`proof` from `proveZkRenewal`).
 * Stateless; never throws: malformed bytes come back as `DecodeError`, a failed check by its kind.
 */
export function verifyZkRenewal(parent: ZkLigeroCommitment, child: ZkLigeroCommitment, proof: Uint8Array, opts: ZkRenewVerifyOptions = {}): VerifyResult {
  try {
    const pErr = pairIssue(parent, child);
    if (pErr) return pErr;
    const minBits = opts.minBits ?? ZK_LIGERO_TARGET_BITS;
    const sec = zkRenewalSecurity(parent.params, parent.length);
    if (!(sec.bits >= minBits)) return fail('InsufficientSecurity', `zk renew: the parameters give ${sec.bits.toFixed(2)} bits, below ${minBits}`, { bits: sec.bits, required: minBits });
    if (!(proof instanceof Uint8Array)) return fail('DecodeError', 'zk renew: expected proof bytes');
    const n = parent.length;
    const blocks = renewalBlocks(n);
    let sys: ConstraintSystem;
    let cs: ZkLigeroCommitment[];
    let tr: Transcript;
    let multi: ReturnType<typeof readZkMultiProof>;
    try {
      const rd = new ByteReader(proof);
      const version = rd.u8('renewal proof version');
      if (version !== ZK_RENEW_PROOF_VERSION) throw new DecodeError(`unsupported renewal proof version ${version} (expected ${ZK_RENEW_PROOF_VERSION})`);
      const pad: ZkLigeroCommitment = { root: rd.bytes(DIGEST_BYTES, 'pad root'), length: 4 * blocks.length, params: padParams(parent.params) };
      cs = [parent, child, pad];
      const s = start(parent, child, pad, blocks);
      tr = s.tr;
      const values = rd.words(4 * blocks.length, 'renewal values V');
      tr.absorbExt('renew/values', values);
      sys = renewalSystem(n, blocks, s.r, values);
      multi = readZkMultiProof(rd, cs, sys);
      rd.end('renewal proof');
    } catch (e) {
      if (e instanceof DecodeError) return fail('DecodeError', `zk renew: ${e.message}`);
      throw e;
    }
    const res = verifyZkLigeroMulti(cs, sys, multi, tr, { minBits });
    return res.ok ? OK : fail(res.error.kind, `zk renew: ${res.error.message}`, { ligero: res.error });
  } catch (e) {
    return fail('MalformedProof', `zk renew: ${(e as Error).message}`);
  }
}

export interface ZkSecurityBits {
  bits: number;
  /** log2 of each term */
  terms: { name: string; log2: number }[];
}

/**
 * The soundness of a renewal of a vector of `length` entries under these parameters: the
 * Schwartz–Zippel term b_0/|K| of the point (b_0 = ⌊log2 length⌋) plus the zk-Ligero proof's
 * error for 2·#blocks linear constraints (see the header); Merkle binding and Fiat–Shamir are
 * charged globally, as for every zk-Ligero proof.
 */
export function zkRenewalSecurity(params: ZkLigeroParams, length: number): ZkSecurityBits {
  if (!Number.isSafeInteger(length) || length < 1) throw new RangeError(`zkRenewalSecurity: expected a positive length, got ${length}`);
  const blocks = renewalBlocks(length);
  const b0 = blocks[0].numVars;
  const point = b0 === 0 ? -Infinity : Math.log2(b0) - LOG2_K;
  const ligero = -zkLigeroSecurity(params, 2 * blocks.length).bits;
  const m = Math.max(point, ligero);
  const sum = m + Math.log2(2 ** (point - m) + 2 ** (ligero - m));
  return { bits: -sum, terms: [{ name: 'equality: Schwartz–Zippel at r', log2: point }, { name: 'zk-Ligero proof', log2: ligero }] };
}

// ---- a (child commitment, proof) pair -------------------------------------------------------------

/** Writes a renewal: version u8 | the child's `zkCommitmentBytes` | u32 proof length | proof. */
export function writeRenewal(w: ByteWriter, child: ZkLigeroCommitment, proof: Uint8Array): void {
  if (proof.length > MAX_RENEWAL_PROOF_BYTES) throw new RangeError(`writeRenewal: a proof of ${proof.length} bytes exceeds ${MAX_RENEWAL_PROOF_BYTES}`);
  w.u8(ZK_RENEWAL_VERSION).bytes(zkCommitmentBytes(child)).blob(proof);
}

/** Reads `writeRenewal`; throws DecodeError on malformed input. */
export function readRenewal(r: ByteReader): { child: ZkLigeroCommitment; proof: Uint8Array } {
  const version = r.u8('renewal version');
  if (version !== ZK_RENEWAL_VERSION) throw new DecodeError(`renewal: unsupported version ${version} (expected ${ZK_RENEWAL_VERSION})`);
  const child = readZkCommitment(r);
  return { child, proof: r.blob(MAX_RENEWAL_PROOF_BYTES, 'renewal proof') };
}

export function encodeRenewal(child: ZkLigeroCommitment, proof: Uint8Array): Uint8Array {
  const w = new ByteWriter(proof.length + 64);
  writeRenewal(w, child, proof);
  return w.finish();
}

/** Decodes `encodeRenewal`'s bytes (never throws: errors come back as values). */
export function decodeRenewal(bytes: Uint8Array): Result<{ child: ZkLigeroCommitment; proof: Uint8Array }> {
  try {
    if (!(bytes instanceof Uint8Array)) return fail('DecodeError', 'renewal: expected bytes');
    const r = new ByteReader(bytes);
    const value = readRenewal(r);
    r.end('renewal');
    return { ok: true, value };
  } catch (e) {
    return fail('DecodeError', (e as Error).message);
  }
}
