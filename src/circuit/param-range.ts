/**
 * The parameter range proof: every entry of the committed parameter vector f that a segment uses
 * lies in [−128, 127] (PROTOCOL-NOTES §7: "weights once at model commit"), which every no-wrap
 * bound relies on. It is computed once by `commitModel`, carried in every receipt, and re-verified
 * by the verifier, which receives one claim per chunk to settle in the same batch opening as the
 * receipt's other parameter claims.
 *
 * LogUp (PROTOCOL-NOTES §5) of e = f + 128 into the range table T = [0, 2^8), chunk by chunk, with
 * the table side computed by the verifier: each chunk I has its own 256 multiplicities m_I, sent in
 * the clear; after all of them are absorbed one squeeze draws an independent α_I ∈ K per chunk, and
 * the verifier checks for every chunk
 *   Σ_{i ∈ I} 1/(α_I − e_i) = Σ_{j<256} m_{I,j}/(α_I − j),
 * the left side proven by a fractional-sum GKR with unit numerators (`piop/lookup/gkr-prover.ts`,
 * `verifyGkr` with `rootFree`), the right side computed directly. Each GKR ends at a leaf claim
 * (x*, P, Q) with P = 1 (checked: every numerator is 1) and Q = α_I − ẽ(x*), i.e. the chunk claim
 * f~_I(x*) = α_I − Q − 128.
 *
 * Chunks. Only [0, end) is checked, end = the end of the last segment (`segmentsEnd`): entries
 * beyond it belong to no tensor and no claim ever reads them. [0, end), rounded up to a multiple of
 * 2^12, is split by its binary expansion, largest chunk first and at most 2^MAX_CHUNK_LOG = 2^21
 * entries each (which also bounds the prover's memory whatever the model size); offsets are then
 * aligned, so every chunk is a segment of the vector (PROTOCOL-NOTES §2). The chunk list comes from
 * the circuit on both sides. The chunk bound trades the fingerprint error (below) against proof
 * size: each chunk's GKR is O(n_I²) ext elements (≈ 15 KB at 2^21), so 2^20 would cost a 17.8M-
 * parameter model's receipts another ~120 KB for one more bit.
 *
 * Why sound. If some e_i ∉ T in chunk I, Σ_{i∈I} 1/(X − e_i) − Σ_j m_{I,j}/(X − j) is a non-zero
 * rational function (Haböck, ePrint 2022/1530, Lemma 5, as the number of terms is < p) whose
 * cleared numerator has degree < N_I + 256, so it vanishes at α_I w.p. ≤ (N_I + 256)/|K|; that
 * chunk's GKR adds Σ_k (3k + 2)/|K|, and its claim is opened against the parameter commitment.
 * α_I − j ≠ 0 and every root q_0 ≠ 0 are checked. A cheating prover must pass every chunk it
 * cheats in, and the α_I are independent, so the fingerprint error is the largest chunk's,
 * (2^21 + 256)/|K| ≈ 2^−102.6, not the sum over chunks — with one α for all chunks (v2) it was
 * (N + 256)/|K|, 2^−99.5 for a 17.8M-parameter model, below a 100-bit receipt by itself.
 */
import { P } from '../field/babybear.js';
import { type Ext, ext, extAdd, extBatchInv, extEquals, extInv, extIsBase, extMul, extSub } from '../field/extension.js';
import type { EvalClaim } from '../pcs/batch.js';
import { readGkrProof, verifyGkr, writeGkrProof, type GkrProof } from '../piop/lookup/gkr.js';
import { proveFractionSum } from '../piop/lookup/gkr-prover.js';
import { Transcript } from '../transcript/transcript.js';
import { ByteReader, ByteWriter, toHex } from '../util/bytes.js';
import { sha256 } from '../hash/sha256.js';
import { Rejected } from './protocol.js';

const LABEL = 'zkinfer/param-range/v3';
export const RANGE_TABLE_SIZE = 256;
const TABLE_SIZE = RANGE_TABLE_SIZE;
/** Chunk sizes are multiples of 2^MIN_CHUNK_LOG (fewer chunks) and at most 2^MAX_CHUNK_LOG (bounded memory). */
export const MIN_CHUNK_LOG = 12;
export const MAX_CHUNK_LOG = 21;

export interface RangeChunk {
  /** First entry (a multiple of 2^numVars). */
  offset: number;
  numVars: number;
}

/**
 * The chunks that cover [0, end) of a vector of 2^numVars entries (see the header); at least one,
 * so that a model without parameters still has a (zero) chunk and a claim to open.
 */
export function rangeChunks(end: number, numVars: number): RangeChunk[] {
  if (!Number.isInteger(numVars) || numVars < 1 || numVars > 32) throw new RangeError(`param range: expected 1 ≤ numVars ≤ 32, got ${numVars}`);
  if (!Number.isInteger(end) || end < 0 || end > 2 ** numVars) throw new RangeError(`param range: expected 0 ≤ end ≤ 2^${numVars}, got ${end}`);
  const unit = 2 ** Math.min(MIN_CHUNK_LOG, numVars);
  const total = Math.max(1, Math.ceil(end / unit)) * unit;
  const chunks: RangeChunk[] = [];
  let offset = 0;
  for (let b = Math.min(numVars, MAX_CHUNK_LOG); offset < total; ) {
    if (total - offset >= 2 ** b) {
      chunks.push({ offset, numVars: b });
      offset += 2 ** b;
    } else b--;
  }
  return chunks;
}

function transcript(commitment: Uint8Array, chunks: RangeChunk[], m: Uint32Array): Transcript {
  const tr = new Transcript(LABEL);
  tr.absorbBytes('param/commitment', commitment);
  tr.absorbNumber('param/chunks', chunks.length);
  for (const c of chunks) {
    tr.absorbNumber('param/chunk-offset', c.offset);
    tr.absorbNumber('param/chunk-vars', c.numVars);
  }
  tr.absorbBase('param/multiplicities', m);
  return tr;
}

/**
 * Proves the range of values[0, end) (canonical field elements of int8 parameters); returns the
 * proof bytes. Throws, naming the position, on a value outside [−128, 127] — unless `unchecked`
 * (soundness tests only), which counts members only and yields what a cheating prover would send.
 */
export function proveParamRange(commitment: Uint8Array, values: Uint32Array, end: number, opts: { unchecked?: boolean } = {}): Uint8Array {
  const chunks = rangeChunks(end, Math.log2(values.length));
  const leaves = chunks.map((c) => {
    const e = new Uint32Array(2 ** c.numVars);
    for (let i = 0; i < e.length; i++) {
      const v = values[c.offset + i] + 128;
      e[i] = v >= P ? v - P : v;
    }
    return e;
  });
  // m_I for every chunk, chunk-major
  const m = new Uint32Array(TABLE_SIZE * chunks.length);
  leaves.forEach((e, k) => {
    for (let i = 0; i < e.length; i++) {
      if (e[i] < TABLE_SIZE) m[TABLE_SIZE * k + e[i]]++;
      else if (!opts.unchecked) throw new RangeError(`param range: entry ${chunks[k].offset + i} is not an int8 (field value ${values[chunks[k].offset + i]})`);
    }
  });
  const tr = transcript(commitment, chunks, m);
  const alphas = tr.challengeExts('param/alpha', chunks.length);
  const w = new ByteWriter();
  w.words(m);
  leaves.forEach((e, k) => writeGkrProof(w, proveFractionSum(tr, { kind: 'unit', e, alpha: alphas.slice(4 * k, 4 * k + 4) }, `param/${k}/gkr`).proof));
  return w.finish();
}

/**
 * Accepted range proofs by SHA-256 of (commitment, numVars, end, proof bytes): the range proof is
 * the same in every receipt of a model, so a verifier checking many of them checks it once, like
 * the circuit (verification is a deterministic function of exactly these inputs). Small, bounded.
 */
const ACCEPTED = new Map<string, EvalClaim[]>();
const MAX_ACCEPTED = 8;

/** Verifies the range proof for the vector's [0, end); returns the chunk claims, or throws Rejected. */
export function verifyParamRange(commitment: Uint8Array, numVars: number, end: number, bytes: Uint8Array): EvalClaim[] {
  const shape = new Uint8Array(8);
  new DataView(shape.buffer).setUint32(0, numVars, true);
  new DataView(shape.buffer).setUint32(4, end, true);
  const key = toHex(sha256(Uint8Array.of(commitment.length & 0xff, commitment.length >> 8), commitment, shape, bytes));
  const hit = ACCEPTED.get(key);
  if (hit) return hit.map((c) => ({ point: c.point.slice(), segment: c.segment, value: c.value.slice() }));
  const claims = verifyUncached(commitment, numVars, end, bytes);
  if (ACCEPTED.size >= MAX_ACCEPTED) ACCEPTED.delete(ACCEPTED.keys().next().value!);
  ACCEPTED.set(key, claims.map((c) => ({ point: c.point.slice(), segment: c.segment, value: c.value.slice() })));
  return claims;
}

function verifyUncached(commitment: Uint8Array, numVars: number, end: number, bytes: Uint8Array): EvalClaim[] {
  const chunks = rangeChunks(end, numVars);
  const r = new ByteReader(bytes);
  const m = r.words(TABLE_SIZE * chunks.length, 'parameter range multiplicities');
  const proofs: GkrProof[] = chunks.map((c) => readGkrProof(r, c.numVars));
  r.end('parameter range proof');
  if (m.some((x) => x >= P)) throw new Rejected('ParamRangeRejected', 'parameter range proof: a multiplicity is not a canonical field element');
  const tr = transcript(commitment, chunks, m);
  const alphas = tr.challengeExts('param/alpha', chunks.length);
  const claims: EvalClaim[] = [];
  chunks.forEach((c, k) => {
    const alpha = alphas.slice(4 * k, 4 * k + 4);
    if (extIsBase(alpha) && alpha[0] < TABLE_SIZE) throw new Rejected('ParamRangeRejected', `parameter range proof, chunk ${k}: α is a table entry`);
    const g = verifyGkr(tr, c.numVars, proofs[k], `param/${k}/gkr`, { rootFree: true });
    if (!g.ok) throw new Rejected('ParamRangeRejected', `parameter range proof, chunk ${k}: ${g.error.message}`);
    if (!extEquals(g.p, ext(1))) throw new Rejected('ParamRangeRejected', `parameter range proof, chunk ${k}: leaf numerator claim is not 1`);
    const lookupSide = extMul(g.root.p, extInv(g.root.q));
    const denominators = new Uint32Array(4 * TABLE_SIZE);
    for (let j = 0; j < TABLE_SIZE; j++) denominators.set(extSub(alpha, ext(j)), 4 * j);
    const inv = extBatchInv(denominators);
    let tableSide: Ext = ext();
    for (let j = 0; j < TABLE_SIZE; j++) {
      const mj = m[TABLE_SIZE * k + j];
      if (mj !== 0) tableSide = extAdd(tableSide, extMul(ext(mj), inv.subarray(4 * j, 4 * j + 4)));
    }
    if (!extEquals(lookupSide, tableSide)) throw new Rejected('ParamRangeRejected', `parameter range proof, chunk ${k}: Σ 1/(α − e) differs from Σ m/(α − t) over the table`);
    claims.push({ point: g.point, segment: c.offset / 2 ** c.numVars, value: extSub(extSub(alpha, g.q), ext(128)) });
  });
  return claims;
}
