/**
 * Salted column commitments (hiding Merkle trees) for the zero-knowledge Ligero proof.
 *
 *   leaf_j = SHA256(0x00 ‖ salt_j ‖ LE32(E[0][j]) ‖ … ‖ LE32(E[R−1][j])),   salt_j ∈ {0,1}^256 fresh,
 *   node   = SHA256(0x01 ‖ l ‖ r)                                          (`../hash/merkle.ts`)
 *
 * and the commitment is the root over the N columns. An opening reveals the columns and salts of
 * the opened indices with one canonical multi-opening (`merkleOpen`). Binding is the Merkle
 * tree's (a different opened column with the same root is a SHA-256 collision). Hiding: with
 * SHA-256 as a random oracle, an unopened leaf is a uniform string unless the adversary queries
 * the oracle at (0x00 ‖ salt_j ‖ column) — probability ≤ Q·2^−256 per leaf for Q queries, whatever
 * the column's entropy (Plonky3 `merkle-tree/src/hiding_mmcs.rs`; BCS16 ePrint 2016/116 §3). 256-bit
 * salts keep that term far below the 2^96 hash-query budget of `circuit/security.ts`.
 */
import { DIGEST_BYTES, hashLeaf, hashLeavesInto } from '../hash/sha256.js';
import { buildMerkleTree, merkleOpen, merkleRoot, merkleVerifyMulti, type MerkleResult, type MerkleTree } from '../hash/merkle.js';
import { type RandomSource, randomBytes } from './zk-ligero-masks.js';

export const SALT_BYTES = 32;
const SALT_WORDS = SALT_BYTES / 4;
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** LE32 bytes of a word vector (a view on little-endian hosts). */
export function leBytes(a: Uint32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) dv.setUint32(4 * i, a[i], true);
  return out;
}

export interface SaltedTree {
  readonly tree: MerkleTree;
  /** N salts of 32 bytes */
  readonly salts: Uint8Array;
  readonly root: Uint8Array;
}

/**
 * Commits the columns of `encoded` (row-major rows × N) with fresh salts. Leaves are hashed a block
 * of columns at a time (transposed into a buffer of about 1 MB), never the whole column-major matrix.
 */
export function commitColumns(encoded: Uint32Array, rows: number, N: number, rng: RandomSource, salts?: Uint8Array): SaltedTree {
  const s = salts ?? randomBytes(rng, SALT_BYTES * N);
  if (s.length !== SALT_BYTES * N) throw new RangeError(`commitColumns: expected ${SALT_BYTES * N} salt bytes, got ${s.length}`);
  const leafWords = SALT_WORDS + rows;
  const leafHashes = new Uint8Array(DIGEST_BYTES * N);
  const B = Math.min(N, Math.max(1, Math.floor(2 ** 18 / leafWords)));
  const block = new Uint32Array(B * leafWords);
  const blockBytes = new Uint8Array(block.buffer);
  for (let j0 = 0; j0 < N; j0 += B) {
    const cnt = Math.min(B, N - j0);
    for (let c = 0; c < cnt; c++) {
      const o = c * leafWords;
      // salts are raw bytes: copy them byte-wise into the block (host-endianness independent)
      blockBytes.set(s.subarray(SALT_BYTES * (j0 + c), SALT_BYTES * (j0 + c + 1)), 4 * o);
      for (let a = 0, src = j0 + c; a < rows; a++, src += N) block[o + SALT_WORDS + a] = encoded[src];
    }
    const words = block.subarray(0, cnt * leafWords);
    let bytes: Uint8Array;
    if (LITTLE_ENDIAN) {
      bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
    } else {
      bytes = new Uint8Array(words.byteLength);
      const dv = new DataView(bytes.buffer);
      for (let c = 0; c < cnt; c++) {
        bytes.set(s.subarray(SALT_BYTES * (j0 + c), SALT_BYTES * (j0 + c + 1)), 4 * c * leafWords);
        for (let a = 0; a < rows; a++) dv.setUint32(4 * (c * leafWords + SALT_WORDS + a), words[c * leafWords + SALT_WORDS + a], true);
      }
    }
    hashLeavesInto(leafHashes.subarray(DIGEST_BYTES * j0, DIGEST_BYTES * (j0 + cnt)), bytes, 4 * leafWords);
  }
  const tree = buildMerkleTree(leafHashes);
  return { tree, salts: s, root: merkleRoot(tree) };
}

/** Column j of a row-major rows × N matrix. */
export function columnOf(encoded: Uint32Array, rows: number, N: number, j: number): Uint32Array {
  const col = new Uint32Array(rows);
  for (let a = 0, src = j; a < rows; a++, src += N) col[a] = encoded[src];
  return col;
}

export interface ColumnOpening {
  /** |J| columns of R words, in the order of J */
  columns: Uint32Array;
  /** |J| salts */
  salts: Uint8Array;
  /** canonical Merkle multi-opening nodes */
  nodes: Uint8Array;
}

/** Opens the columns at the sorted distinct indices J. */
export function openColumns(encoded: Uint32Array, rows: number, N: number, st: SaltedTree, J: Uint32Array): ColumnOpening {
  const columns = new Uint32Array(J.length * rows);
  const salts = new Uint8Array(J.length * SALT_BYTES);
  for (let q = 0; q < J.length; q++) {
    const j = J[q];
    for (let a = 0, src = j; a < rows; a++, src += N) columns[q * rows + a] = encoded[src];
    salts.set(st.salts.subarray(SALT_BYTES * j, SALT_BYTES * (j + 1)), SALT_BYTES * q);
  }
  return { columns, salts, nodes: merkleOpen(st.tree, J).nodes };
}

/** The salted leaf hash of one column. */
export function saltedLeaf(salt: Uint8Array, column: Uint32Array): Uint8Array {
  const buf = new Uint8Array(SALT_BYTES + 4 * column.length);
  buf.set(salt.subarray(0, SALT_BYTES), 0);
  buf.set(leBytes(column), SALT_BYTES);
  return hashLeaf(buf);
}

/** Checks an opening against a root (never throws on well-typed input; lengths are the caller's). */
export function verifyColumns(root: Uint8Array, logN: number, J: Uint32Array, o: ColumnOpening, rows: number): MerkleResult {
  const leaves = new Uint8Array(DIGEST_BYTES * J.length);
  for (let q = 0; q < J.length; q++) {
    leaves.set(saltedLeaf(o.salts.subarray(SALT_BYTES * q, SALT_BYTES * (q + 1)), o.columns.subarray(q * rows, (q + 1) * rows)), DIGEST_BYTES * q);
  }
  return merkleVerifyMulti(root, logN, J, leaves, { nodes: o.nodes });
}
