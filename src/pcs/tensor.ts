/**
 * Ligero/Brakedown tensor commitment over BabyBear with K-valued openings (DESIGN §3,
 * PROTOCOL-NOTES §1). Transparent and hash-based (plausibly post-quantum).
 *
 * Commit. f of length 2^n is the R×C matrix M[a][b] = f[a·C + b] (columns = low variables).
 * Each row is Reed–Solomon encoded at rate 2^−logBlowup by an NTT of length N = C·2^logBlowup;
 * leaf j = SHA256(0x00 ‖ LE32(E[0][j]) ‖ … ‖ LE32(E[R−1][j])) and the commitment is the
 * Merkle root over the N columns.
 *
 * Open at z = (z_lo ∈ K^{log C}, z_hi ∈ K^{log R}), y = f~(z) = eq(z_hi)ᵀ·M·eq(z_lo):
 *   1. absorb root, z, y;
 *   2. draw g ∈ K^{log R}, γ = eq(g)               (skipped in merged mode);
 *   3. send v = eq(z_hi)ᵀM ∈ K^C and w = γᵀM ∈ K^C, absorb both (w only when not merged);
 *   4. draw t column indices j_k = word & (N − 1) (with replacement);
 *   5. send the distinct columns E[·][j] in ascending j and one Merkle multi-opening.
 * Verify: lengths and canonical values; the Merkle opening; Enc(v)[j] = ⟨eq(z_hi), E[·][j]⟩ and
 * Enc(w)[j] = ⟨γ, E[·][j]⟩ for every queried j (Enc is F-linear, so a K-vector is encoded as
 * four base NTTs, one per u-coefficient); and ⟨v, eq(z_lo)⟩ = y.
 *
 * Why sound: if the committed rows are far from the code, a random tensor combination is far
 * too (proximity gap), and t random columns catch the inconsistency except with the
 * probability in `./params.ts`; if they are close, v is pinned to the decoded rows' combination
 * by the column checks, so ⟨v, eq(z_lo)⟩ is the true f~(z). v and w are absorbed before the
 * indices are drawn — otherwise a prover who knows the indices solves for a fake v
 * (the Expander pitfall in PROTOCOL-NOTES §1).
 *
 * Merged mode (PROTOCOL-NOTES §1): when z_hi is uniformly random and drawn after the root,
 * eq(z_hi) is itself a tensor combination, so v doubles as the proximity test and w is
 * dropped. `open`/`verify` refuse merged mode unless the caller states that the point is a
 * transcript challenge (`pointIsChallenge`); the batch opener (`./batch.ts`) always is.
 *
 * Hiding (later): salted leaves and blinding rows change `commit` and the proof contents, not
 * this module's interface.
 */
import { P } from '../field/babybear.js';
import { type Ext, extEquals, extToString } from '../field/extension.js';
import { kernels } from '../field/active.js';
import { rsEncodeRows } from '../field/ntt.js';
import { DIGEST_BYTES, hashLeaf, hashLeavesInto } from '../hash/sha256.js';
import { buildMerkleTree, merkleOpen, merkleRoot, merkleVerifyMulti, type MerkleTree } from '../hash/merkle.js';
import { eqTable, isCanonicalPoint, log2Exact, numVarsOf, type Point } from '../poly/multilinear.js';
import type { Transcript } from '../transcript/transcript.js';
import { ByteReader, ByteWriter, DecodeError } from '../util/bytes.js';
import { fail, OK, type VerifyResult } from '../util/result.js';
import { chooseLayout, DEFAULT_TENSOR_PCS_CONFIG, tensorSecurityBits, type TensorLayout, type TensorPcsConfig } from './params.js';
import type { MultilinearPcs, OpenOptions } from './types.js';

export const TENSOR_PROOF_VERSION = 1;

export interface TensorCommitment {
  readonly root: Uint8Array;
  readonly layout: TensorLayout;
}

export interface TensorProverData {
  readonly commitment: TensorCommitment;
  /** The committed vector, i.e. M in row-major order. */
  readonly values: Uint32Array;
  /** The encoded rows [0, usedRows), row-major: E[a][j] at a·N + j (`tensorColumn` reads a column). */
  readonly encoded: Uint32Array;
  /** Rows [usedRows, R) of M are zero, and so are their codewords: encoding, hashing and row combinations skip them. */
  readonly usedRows: number;
  readonly tree: MerkleTree;
}

/** Column j of the encoded matrix, E[·][j] (R words; rows from `usedRows` on are zero). */
export function tensorColumn(data: TensorProverData, j: number): Uint32Array {
  const L = data.commitment.layout;
  const N = 1 << (L.logCols + L.logBlowup);
  const col = new Uint32Array(1 << L.logRows);
  for (let a = 0; a < data.usedRows; a++) col[a] = data.encoded[a * N + j];
  return col;
}

export interface TensorProof {
  /** Parameters recorded in the proof; the verifier demands its own. */
  logCols: number;
  logRows: number;
  logBlowup: number;
  numQueries: number;
  merged: boolean;
  /** v = eq(z_hi)ᵀM, an ext vector of C elements. */
  v: Uint32Array;
  /** w = γᵀM (empty in merged mode). */
  w: Uint32Array;
  /** The distinct queried columns, ascending index, R words each. */
  columns: Uint32Array;
  /** Merkle multi-opening nodes for the distinct indices. */
  merkleNodes: Uint8Array;
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** LE32 bytes of a word vector (a view on little-endian hosts). */
function leBytes(a: Uint32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) dv.setUint32(4 * i, a[i], true);
  return out;
}

function absorbOpeningStatement(tr: Transcript, c: TensorCommitment, z: Point, y: Ext): void {
  tr.absorbBytes('pcs/root', c.root);
  tr.absorbNumber('pcs/vars', c.layout.numVars);
  tr.absorbExt('pcs/point', z);
  tr.absorbExt('pcs/value', y);
}

/** Sorted distinct values of an index list. */
function distinctSorted(idx: Uint32Array): Uint32Array {
  const s = Uint32Array.from(idx).sort();
  let k = 0;
  for (let i = 0; i < s.length; i++) if (i === 0 || s[i] !== s[i - 1]) s[k++] = s[i];
  return s.slice(0, k);
}

/** Enc(x) for an ext vector x of C elements: four base NTTs of length N (coefficient-major). */
function encodeExt(x: Uint32Array, logCols: number, logBlowup: number): Uint32Array {
  const C = 1 << logCols;
  const N = C << logBlowup;
  const out = new Uint32Array(4 * N);
  for (let i = 0; i < C; i++) {
    out[i] = x[4 * i];
    out[N + i] = x[4 * i + 1];
    out[2 * N + i] = x[4 * i + 2];
    out[3 * N + i] = x[4 * i + 3];
  }
  kernels().nttBatch(out, 4, logCols + logBlowup, false);
  return out;
}

function encodedAt(enc: Uint32Array, N: number, j: number): Ext {
  return Uint32Array.of(enc[j], enc[N + j], enc[2 * N + j], enc[3 * N + j]);
}

export class TensorPcs implements MultilinearPcs<TensorCommitment, TensorProverData, TensorProof> {
  readonly name = 'tensor';
  readonly config: Readonly<TensorPcsConfig>;

  constructor(config: Partial<TensorPcsConfig> = {}) {
    this.config = Object.freeze({ ...DEFAULT_TENSOR_PCS_CONFIG, ...config });
  }

  /** The layout this instance uses for vectors of 2^numVars elements. */
  layout(numVars: number): TensorLayout {
    return chooseLayout(numVars, this.config);
  }

  /** Security bits of the proximity test for a layout (recorded by benchmarks and receipts). */
  securityBits(layout: TensorLayout): number {
    return tensorSecurityBits(layout.logCols, layout.logRows, layout.logBlowup, layout.numQueries);
  }

  committedValues(data: TensorProverData): Uint32Array {
    return data.values;
  }

  numVars(c: TensorCommitment): number {
    return c.layout.numVars;
  }

  commit(values: Uint32Array): { commitment: TensorCommitment; data: TensorProverData } {
    if (!(values instanceof Uint32Array)) throw new TypeError('commit: expected a Uint32Array of field elements');
    const n = log2Exact(values.length, 'commit');
    for (let i = 0; i < values.length; i++) {
      if (values[i] >= P) throw new RangeError(`commit: element ${i} is not canonical (${values[i]} ≥ p)`);
    }
    const layout = this.layout(n);
    const R = 1 << layout.logRows;
    const N = 1 << (layout.logCols + layout.logBlowup);
    // zero rows encode to zero codewords: encode the rows up to the last non-zero one only
    let last = values.length;
    while (last > 0 && values[last - 1] === 0) last--;
    const usedRows = Math.ceil(last / (1 << layout.logCols));
    const encoded = rsEncodeRows(values.subarray(0, usedRows << layout.logCols), usedRows, layout.logCols, layout.logBlowup);
    // Leaves are columns: transpose a block of B columns at a time (about 1 MB, cache-resident)
    // and hash it, rather than materialise the column-major matrix.
    const leafHashes = new Uint8Array(DIGEST_BYTES * N);
    const B = Math.min(N, Math.max(1, 2 ** 18 >> layout.logRows));
    const block = new Uint32Array(B * R); // rows from usedRows on stay zero
    for (let j0 = 0; j0 < N; j0 += B) {
      for (let a = 0; a < usedRows; a++) {
        const row = a * N + j0;
        for (let c = 0, o = a; c < B; c++, o += R) block[o] = encoded[row + c];
      }
      hashLeavesInto(leafHashes.subarray(DIGEST_BYTES * j0, DIGEST_BYTES * (j0 + B)), leBytes(block), 4 * R);
    }
    const tree = buildMerkleTree(leafHashes);
    const commitment: TensorCommitment = { root: merkleRoot(tree), layout };
    return { commitment, data: { commitment, values, encoded, usedRows, tree } };
  }

  commitmentBytes(c: TensorCommitment): Uint8Array {
    const w = new ByteWriter(40);
    w.u8(c.layout.numVars).bytes(c.root);
    return w.finish();
  }

  readCommitment(r: ByteReader): TensorCommitment {
    const numVars = r.u8('commitment numVars');
    if (numVars > 32) throw new DecodeError(`commitment: expected at most 32 variables, got ${numVars}`);
    const root = r.bytes(DIGEST_BYTES, 'commitment root');
    return { root, layout: this.layout(numVars) };
  }

  open(data: TensorProverData, z: Point, tr: Transcript, opts: OpenOptions = {}): { value: Ext; proof: TensorProof } {
    const { layout } = data.commitment;
    if (numVarsOf(z) !== layout.numVars || !isCanonicalPoint(z)) {
      throw new RangeError(`open: expected a canonical point with ${layout.numVars} variables, got ${numVarsOf(z)}`);
    }
    if (layout.merged && !opts.pointIsChallenge) {
      throw new Error('open: merged mode is sound only at transcript-drawn points; pass { pointIsChallenge: true } only when that holds');
    }
    const C = 1 << layout.logCols;
    const R = 1 << layout.logRows;
    const N = C << layout.logBlowup;
    const K = kernels();
    const zLo = z.subarray(0, 4 * layout.logCols);
    const zHi = z.subarray(4 * layout.logCols);
    const used = data.usedRows;
    const rows = (coeffs: Uint32Array, out: Uint32Array) => K.combineRows(out, data.values.subarray(0, used * C), coeffs.subarray(0, 4 * used), C);
    const v = new Uint32Array(4 * C);
    rows(eqTable(zHi), v);
    const y = K.extDot(v, eqTable(zLo));

    absorbOpeningStatement(tr, data.commitment, z, y);
    let w = new Uint32Array(0);
    if (!layout.merged) {
      const gamma = eqTable(tr.challengeExts('pcs/proximity', layout.logRows));
      w = new Uint32Array(4 * C);
      rows(gamma, w);
    }
    tr.absorbExt('pcs/v', v);
    if (!layout.merged) tr.absorbExt('pcs/w', w);
    const queries = distinctSorted(tr.challengeIndices('pcs/queries', layout.numQueries, N));
    const cols = new Uint32Array(queries.length * R);
    for (let k = 0; k < queries.length; k++) {
      for (let a = 0; a < used; a++) cols[k * R + a] = data.encoded[a * N + queries[k]];
    }
    const merkle = merkleOpen(data.tree, queries);
    return {
      value: y,
      proof: {
        logCols: layout.logCols,
        logRows: layout.logRows,
        logBlowup: layout.logBlowup,
        numQueries: layout.numQueries,
        merged: layout.merged,
        v,
        w,
        columns: cols,
        merkleNodes: merkle.nodes,
      },
    };
  }

  verify(c: TensorCommitment, z: Point, y: Ext, proof: TensorProof, tr: Transcript, opts: OpenOptions = {}): VerifyResult {
    try {
      return this.verifyUnchecked(c, z, y, proof, tr, opts);
    } catch (e) {
      // Defence in depth: a malformed object must never escape as an exception.
      return fail('MalformedProof', `tensor PCS: ${(e as Error).message}`);
    }
  }

  private verifyUnchecked(c: TensorCommitment, z: Point, y: Ext, proof: TensorProof, tr: Transcript, opts: OpenOptions): VerifyResult {
    const layout = c.layout;
    const expected = this.layout(layout.numVars);
    if (
      layout.logCols !== expected.logCols ||
      layout.logRows !== expected.logRows ||
      layout.numQueries !== expected.numQueries ||
      layout.logBlowup !== expected.logBlowup ||
      layout.merged !== expected.merged
    ) {
      return fail('ParameterMismatch', 'commitment layout differs from this verifier’s parameters');
    }
    if (
      proof.logCols !== layout.logCols ||
      proof.logRows !== layout.logRows ||
      proof.logBlowup !== layout.logBlowup ||
      proof.numQueries !== layout.numQueries ||
      proof.merged !== layout.merged
    ) {
      return fail('ParameterMismatch', `proof parameters (cols 2^${proof.logCols}, rows 2^${proof.logRows}, rate 2^-${proof.logBlowup}, t=${proof.numQueries}, merged=${proof.merged}) differ from the verifier’s`);
    }
    if (layout.merged && !opts.pointIsChallenge) {
      return fail('UnsafeMode', 'merged mode requires a transcript-drawn point');
    }
    if (numVarsOf(z) !== layout.numVars || z.length % 4 !== 0 || !isCanonicalPoint(z)) {
      return fail('BadPoint', `expected a canonical point with ${layout.numVars} variables`);
    }
    if (!(y instanceof Uint32Array) || y.length !== 4 || !isCanonicalPoint(y)) return fail('BadValue', 'claimed value is not a canonical extension element');
    const C = 1 << layout.logCols;
    const R = 1 << layout.logRows;
    const logN = layout.logCols + layout.logBlowup;
    const N = 1 << logN;
    if (!(proof.v instanceof Uint32Array) || proof.v.length !== 4 * C) return fail('BadLength', `v: expected ${C} extension elements`);
    const wLen = layout.merged ? 0 : 4 * C;
    if (!(proof.w instanceof Uint32Array) || proof.w.length !== wLen) return fail('BadLength', `w: expected ${wLen / 4} extension elements`);
    for (const [name, vec] of [['v', proof.v], ['w', proof.w], ['columns', proof.columns]] as const) {
      if (!(vec instanceof Uint32Array)) return fail('BadLength', `${name}: missing`);
      for (let i = 0; i < vec.length; i++) if (vec[i] >= P) return fail('NonCanonical', `${name}[${i}] is not canonical`);
    }

    const K = kernels();
    absorbOpeningStatement(tr, c, z, y);
    let gamma: Uint32Array | undefined;
    if (!layout.merged) gamma = eqTable(tr.challengeExts('pcs/proximity', layout.logRows));
    tr.absorbExt('pcs/v', proof.v);
    if (!layout.merged) tr.absorbExt('pcs/w', proof.w);
    const queries = distinctSorted(tr.challengeIndices('pcs/queries', layout.numQueries, N));
    if (proof.columns.length !== queries.length * R) {
      return fail('BadLength', `columns: expected ${queries.length} columns of ${R} elements, got ${proof.columns.length} words`);
    }

    // (d) the evaluation claim
    const zLo = z.subarray(0, 4 * layout.logCols);
    const zHi = z.subarray(4 * layout.logCols);
    const yv = K.extDot(proof.v, eqTable(zLo));
    if (!extEquals(yv, y)) return fail('EvaluationMismatch', `⟨v, eq(z_lo)⟩ = ${extToString(yv)} but the claim is ${extToString(y)}`);

    // (b) Merkle paths of the queried columns
    const leafHashes = new Uint8Array(DIGEST_BYTES * queries.length);
    for (let k = 0; k < queries.length; k++) leafHashes.set(hashLeaf(leBytes(proof.columns.subarray(k * R, (k + 1) * R))), DIGEST_BYTES * k);
    const m = merkleVerifyMulti(c.root, logN, queries, leafHashes, { nodes: proof.merkleNodes });
    if (!m.ok) return fail('MerkleCheckFailed', `column opening: ${m.error.kind}`, { merkle: m.error });

    // (c) column consistency with Enc(v) and Enc(w)
    const eqHi = eqTable(zHi);
    const encV = encodeExt(proof.v, layout.logCols, layout.logBlowup);
    const encW = layout.merged ? undefined : encodeExt(proof.w, layout.logCols, layout.logBlowup);
    for (let k = 0; k < queries.length; k++) {
      const col = proof.columns.subarray(k * R, (k + 1) * R);
      const j = queries[k];
      if (!extEquals(K.extDotBase(eqHi, col), encodedAt(encV, N, j))) {
        return fail('ColumnCheckFailed', `column ${j}: Enc(v)[${j}] ≠ ⟨eq(z_hi), column⟩`, { column: j, vector: 'v' });
      }
      if (encW && !extEquals(K.extDotBase(gamma!, col), encodedAt(encW, N, j))) {
        return fail('ColumnCheckFailed', `column ${j}: Enc(w)[${j}] ≠ ⟨γ, column⟩ (proximity test)`, { column: j, vector: 'w' });
      }
    }
    return OK;
  }

  writeProof(w: ByteWriter, p: TensorProof): void {
    w.u8(TENSOR_PROOF_VERSION).u8(p.logCols).u8(p.logRows).u8(p.logBlowup).u32(p.numQueries).u8(p.merged ? 1 : 0);
    w.words(p.v).words(p.w);
    const R = 1 << p.logRows;
    w.u32(p.columns.length / R).words(p.columns);
    w.u32(p.merkleNodes.length / DIGEST_BYTES).bytes(p.merkleNodes);
  }

  readProof(r: ByteReader, c: TensorCommitment): TensorProof {
    const L = c.layout;
    const version = r.u8('tensor proof version');
    if (version !== TENSOR_PROOF_VERSION) throw new DecodeError(`tensor proof: unsupported version ${version} (expected ${TENSOR_PROOF_VERSION})`);
    const logCols = r.u8('logCols');
    const logRows = r.u8('logRows');
    const logBlowup = r.u8('logBlowup');
    const numQueries = r.u32('numQueries');
    const merged = r.u8('merged');
    if (logCols !== L.logCols || logRows !== L.logRows || logBlowup !== L.logBlowup || numQueries !== L.numQueries || merged !== (L.merged ? 1 : 0)) {
      throw new DecodeError(
        `tensor proof: parameters (cols 2^${logCols}, rows 2^${logRows}, rate 2^-${logBlowup}, t=${numQueries}, merged=${merged}) differ from the commitment's layout`,
      );
    }
    const C = 1 << logCols;
    const R = 1 << logRows;
    const logN = logCols + logBlowup;
    const v = r.words(4 * C, 'v');
    const w = r.words(L.merged ? 0 : 4 * C, 'w');
    const nCols = r.u32In(1, Math.min(numQueries, 1 << logN), 'column count');
    const columns = r.words(nCols * R, 'columns');
    const nNodes = r.u32In(0, nCols * logN, 'Merkle node count');
    const merkleNodes = r.bytes(nNodes * DIGEST_BYTES, 'Merkle nodes');
    return { logCols, logRows, logBlowup, numQueries, merged: merged === 1, v, w, columns, merkleNodes };
  }
}
