/**
 * The constraint system of a zero-knowledge Ligero proof as the tests see it
 * (`./constraints.ts` is the statement; `./zk-ligero.ts` the proof).
 *
 * Layout. The statement addresses the concatenation w = w_0 ‖ … ‖ w_{m−1} of the committed
 * vectors (one for `proveZkLigero`, several for `proveZkLigeroMulti`): w_i occupies
 * [base_i, base_i + n_i), base_i = Σ_{j<i} n_j. Each w_i fills its own tree's rows of C = 2^logC
 * entries (rows past its end are zero), and rows are numbered across the trees: entry base_i + a·C + b
 * is global row rowBase_i + a, column b, rowBase_i = Σ_{j<i} ⌈n_j/C⌉ (`VectorLayout`). The proof's
 * tree B holds 20 mask rows
 * (`./zk-ligero-masks.ts`) and then, for the Hadamard constraints, row triples (X_r, Y_r, Z_r):
 * entry e of the concatenated Hadamard blocks (constraint by constraint, i in order) sits at
 * triple r = ⌊e/C⌋, column e mod C, as copies x_e = w[x + i], y_e = w[y + i], z_e = w[z + i]. The
 * quadratic test then checks X_r∘Y_r = Z_r on H row-wise, and 3 copy constraints per entry join
 * the linear test (the blocks may lie in any vectors, even straddle them: each copy is its own
 * constraint). Rows are numbered globally: the trees A first, then tree B.
 *
 * Linear test terms. Constraint i (sparse first, then tensor, then copies X, Y, Z of each
 * entry) gets the weight ω_i = β·eq(τ)_i; the verifier needs, per row a, the interpolant q_a on H
 * of its combined coefficients. Tensor constraints on a segment of 2^m ≥ C entries are separable,
 * coefficient(a, b) = ω·eq(z_hi)_{a−a0}·eq(z_lo)_b, and kept as one `SeparableGroup` (one
 * interpolant, row weights): the verifier's work for them is an NTT plus t·(rows of the segment),
 * not the segment's size. A segment that starts at column l_lo ≠ 0 of its tree's rows (base_i not
 * a multiple of C) is two groups: columns b ≥ l_lo carry eq(z_lo)_{b−l_lo} on rows a0.., columns
 * b < l_lo carry eq(z_lo)_{b+C−l_lo} on rows a0+1.. (same row weights, one row down), since entry
 * index (a − a0)·C + b − l_lo has those low and high parts. A segment of more than SMALL_SEGMENT
 * entries must lie in one vector (`statementIssue`); smaller ones are entries and may straddle.
 * A segment may start at a multiple of its size within its vector instead of in the concatenation
 * (`segmentAligned`): the row map places it either way.
 * Everything else is a list of entries (row, column, K coefficient)
 * sorted by row, which the verifier evaluates by the Lagrange basis (few entries in a row) or by
 * densifying the row (many), and the prover likewise on its own domain.
 */
import { P } from '../field/babybear.js';
import { type Ext, ext, extAdd, extIsCanonical, extMul } from '../field/extension.js';
import { kernels } from '../field/active.js';
import { sha256 } from '../hash/sha256.js';
import { eqTable } from '../poly/multilinear.js';
import { ByteWriter } from '../util/bytes.js';
import { segmentAligned, type ConstraintSystem } from './constraints.js';
import { MASK_ROWS } from './zk-ligero-masks.js';
import { pushAll } from '../util/arrays.js';

/** Tensor segments of at most this many entries are expanded into entries. */
export const SMALL_SEGMENT = 32;

function isWords(v: unknown): v is Uint32Array {
  return v instanceof Uint32Array;
}

function canonical(v: Uint32Array): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] >= P) return false;
  return true;
}

function sparseIssue(index: unknown, coeffs: unknown, n: number): string | null {
  if (!isWords(index) || !isWords(coeffs)) return 'index and coeffs must be Uint32Arrays';
  if (coeffs.length !== 4 * index.length) return `expected ${4 * index.length} coefficient words for ${index.length} indices, got ${coeffs.length}`;
  if (!canonical(coeffs)) return 'a coefficient is not canonical';
  for (let i = 0; i < index.length; i++) if (index[i] >= n) return `entry ${index[i]} is outside the committed vector (length ${n})`;
  return null;
}

function rhsIssue(rhs: unknown): string | null {
  return isWords(rhs) && rhs.length === 4 && extIsCanonical(rhs) ? null : 'rhs must be a canonical extension element';
}

/**
 * What is wrong with `sys` as a statement about a committed vector of n entries, or null. `bases`:
 * the starts of the vectors it concatenates, where a segment may be aligned within its vector
 * (`segmentAligned`).
 */
export function systemIssue(n: number, sys: ConstraintSystem, bases?: readonly number[]): string | null {
  if (sys === null || typeof sys !== 'object' || !Array.isArray(sys.linear) || !Array.isArray(sys.tensor) || !Array.isArray(sys.hadamard)) {
    return 'expected { linear, tensor, hadamard } arrays';
  }
  for (const [k, c] of sys.linear.entries()) {
    const e = (c && (sparseIssue(c.index, c.coeffs, n) ?? rhsIssue(c.rhs))) ?? (c ? null : 'missing');
    if (e) return `linear constraint ${k}: ${e}`;
  }
  for (const [k, c] of sys.tensor.entries()) {
    if (!c) return `tensor constraint ${k}: missing`;
    const m = c.numVars;
    if (!Number.isInteger(m) || m < 0 || m > 30) return `tensor constraint ${k}: numVars must be an integer in [0, 30], got ${m}`;
    if (!Number.isSafeInteger(c.offset) || c.offset < 0 || !segmentAligned(c.offset, m, bases)) return `tensor constraint ${k}: offset ${c.offset} is not a multiple of 2^${m}${bases ? ' in the concatenation or in its vector' : ''}`;
    if (c.offset + 2 ** m > n) return `tensor constraint ${k}: segment [${c.offset}, ${c.offset + 2 ** m}) is outside the committed vector (length ${n})`;
    if (!isWords(c.point) || c.point.length !== 4 * m || !canonical(c.point)) return `tensor constraint ${k}: expected a canonical point of ${m} coordinates`;
    const e = (c.extra ? sparseIssue(c.extra.index, c.extra.coeffs, n) : 'extra terms missing') ?? rhsIssue(c.rhs);
    if (e) return `tensor constraint ${k}: ${e}`;
  }
  for (const [k, h] of sys.hadamard.entries()) {
    if (!h) return `hadamard constraint ${k}: missing`;
    for (const key of ['x', 'y', 'z', 'len'] as const) {
      if (!Number.isSafeInteger(h[key]) || h[key] < 0) return `hadamard constraint ${k}: ${key} must be a non-negative integer`;
    }
    for (const s of [h.x, h.y, h.z]) if (s + h.len > n) return `hadamard constraint ${k}: block [${s}, ${s + h.len}) is outside the committed vector (length ${n})`;
  }
  return null;
}

/** Where each committed vector sits in the concatenation and in the global row numbering. */
export interface VectorLayout {
  logC: number;
  /** base_i, and the total length last (m + 1 entries) */
  bases: readonly number[];
  /** rowBase_i, and the total number of tree-A rows last (m + 1 entries) */
  rowBases: readonly number[];
}

/** The layout of vectors of these lengths in rows of 2^logC entries. */
export function vectorLayout(lengths: readonly number[], logC: number): VectorLayout {
  const C = 2 ** logC;
  const bases = [0];
  const rowBases = [0];
  for (const n of lengths) {
    bases.push(bases[bases.length - 1] + n);
    rowBases.push(rowBases[rowBases.length - 1] + Math.ceil(n / C));
  }
  return { logC, bases, rowBases };
}

/** The vector holding global entry `pos` (0 ≤ pos < total), or the tree holding global row `pos` with `rowBases`. */
export function vectorAt(bases: readonly number[], pos: number): number {
  let lo = 0;
  let hi = bases.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (bases[mid] <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * What is wrong with `sys` as a statement about the concatenation of vectors of these lengths, or
 * null: `systemIssue` on the total length (a segment aligned in the concatenation or within its
 * vector), and every tensor segment of more than SMALL_SEGMENT entries inside one vector.
 */
export function statementIssue(lengths: readonly number[], sys: ConstraintSystem): string | null {
  const layout = vectorLayout(lengths, 0);
  const err = systemIssue(layout.bases[lengths.length], sys, lengths.length > 1 ? layout.bases : undefined);
  if (err || lengths.length === 1) return err;
  for (const [k, c] of sys.tensor.entries()) {
    const size = 2 ** c.numVars;
    if (size <= SMALL_SEGMENT) continue;
    const i = vectorAt(layout.bases, c.offset);
    const j = vectorAt(layout.bases, c.offset + size - 1);
    if (i !== j) {
      return `tensor constraint ${k}: segment [${c.offset}, ${c.offset + size}) straddles committed vectors ${i} and ${j} (vector ${j} starts at ${layout.bases[j]}): a segment of more than ${SMALL_SEGMENT} entries must lie in one vector`;
    }
  }
  return null;
}

/** The commitment fields a multi-commitment statement digest binds. */
export interface StatementCommitment {
  readonly root: Uint8Array;
  readonly length: number;
  readonly params: { readonly logCols: number; readonly randomness: number; readonly logCodeword: number; readonly queries: number };
}

function writeSystem(w: ByteWriter, sys: ConstraintSystem): void {
  w.u32(sys.linear.length).u32(sys.tensor.length).u32(sys.hadamard.length);
  for (const c of sys.linear) w.wordVec(c.index).words(c.coeffs).words(c.rhs);
  for (const c of sys.tensor) {
    w.u32(c.offset % 2 ** 32).u32(Math.floor(c.offset / 2 ** 32)).u32(c.numVars).words(c.point);
    w.wordVec(c.extra.index).words(c.extra.coeffs).words(c.rhs);
  }
  for (const h of sys.hadamard) w.u32(h.x).u32(h.y).u32(h.z).u32(h.len);
}

/**
 * The digest a proof absorbs as its statement. One commitment: `systemDigest(n, sys)` (the
 * caller's absorb binds the commitment). Several: SHA-256 under its own domain tag of the number
 * of commitments, each one's root, length and parameters in order, and the system, so a proof for
 * (A, B) does not verify for (B, A), nor with another commitment in either place.
 */
export function statementDigest(commitments: readonly StatementCommitment[], sys: ConstraintSystem): Uint8Array {
  if (commitments.length === 1) return systemDigest(commitments[0].length, sys);
  const w = new ByteWriter(1 << 12);
  w.bytes(new TextEncoder().encode('zkinfer/zk-ligero/multi-statement/v1'));
  w.u32(commitments.length);
  for (const c of commitments) {
    w.bytes(c.root).u32(c.length % 2 ** 32).u32(Math.floor(c.length / 2 ** 32));
    w.u8(c.params.logCols).u32(c.params.randomness).u8(c.params.logCodeword).u32(c.params.queries);
  }
  writeSystem(w, sys);
  return sha256(w.finish());
}

/**
 * SHA-256 of a canonical encoding of (n, sys): every count, index, coefficient, point and rhs, in
 * order, behind a domain tag. Two systems that differ anywhere have different digests (up to
 * collisions), so absorbing it binds the proof to the whole statement.
 */
export function systemDigest(n: number, sys: ConstraintSystem): Uint8Array {
  const w = new ByteWriter(1 << 12);
  w.bytes(new TextEncoder().encode('zkinfer/zk-ligero/system/v1'));
  w.u32(n % 2 ** 32).u32(Math.floor(n / 2 ** 32));
  writeSystem(w, sys);
  return sha256(w.finish());
}

/** Σ len over the Hadamard constraints. */
export function hadamardEntries(sys: ConstraintSystem): number {
  return sys.hadamard.reduce((s, h) => s + h.len, 0);
}

/** Linear constraints of the test: sparse + tensor + three copies per Hadamard entry. */
export function numLinearConstraints(sys: ConstraintSystem): number {
  return sys.linear.length + sys.tensor.length + 3 * hadamardEntries(sys);
}

/** The row triples X, Y, Z of the Hadamard copies (messages, row-major 3·triples × C). */
export function hadamardRows(w: Uint32Array, sys: ConstraintSystem, logC: number): Uint32Array {
  const C = 1 << logC;
  const triples = Math.ceil(hadamardEntries(sys) / C);
  const out = new Uint32Array(3 * triples * C);
  let e = 0;
  for (const h of sys.hadamard) {
    for (let i = 0; i < h.len; i++, e++) {
      const o = 3 * (e >> logC) * C + (e & (C - 1));
      out[o] = w[h.x + i];
      out[o + C] = w[h.y + i];
      out[o + 2 * C] = w[h.z + i];
    }
  }
  return out;
}

/** The weights ω_i = β·eq(τ)_i for i < M (τ has ⌈log2 M⌉ coordinates). */
export function linearWeights(beta: Ext, tau: Uint32Array, M: number): Uint32Array {
  const eq = eqTable(tau);
  const out = new Uint32Array(4 * M);
  kernels().extScale(out, eq.subarray(0, 4 * M), beta);
  return out;
}

/** ⌈log2 M⌉ (0 for M ≤ 1): the number of τ coordinates. */
export function weightVars(M: number): number {
  return M <= 1 ? 0 : Math.ceil(Math.log2(M));
}

export interface SeparableGroup {
  /** first (global) row */
  row0: number;
  rows: number;
  /** K weight of each row */
  rowWeights: Uint32Array;
  /** K coefficient of each column (C elements) */
  col: Uint32Array;
}

export interface LinearTerms {
  /** Σ_i ω_i·rhs_i */
  target: Ext;
  groups: SeparableGroup[];
  /** entries sorted by global row: rowStart[r] .. rowStart[r+1] */
  rowStart: Uint32Array;
  col: Uint32Array;
  /** 4 words per entry */
  coef: Uint32Array;
}

export interface RowDims {
  logC: number;
  /** tree-A rows, all trees A together */
  rowsA: number;
  /** total rows (trees A + tree B) */
  rows: number;
  /** the committed vectors (default: one vector of rowsA rows) */
  layout?: VectorLayout;
}

/** Maps global entries to (global row, column) through a layout: `place(pos)` sets `row` and `col`. */
class EntryMap {
  private readonly C: number;
  row = 0;
  col = 0;
  constructor(private readonly layout: VectorLayout) {
    this.C = 2 ** layout.logC;
  }
  place(pos: number): this {
    const { bases, rowBases } = this.layout;
    const i = bases.length === 2 ? 0 : vectorAt(bases, pos);
    const local = pos - bases[i];
    this.row = rowBases[i] + Math.floor(local / this.C);
    this.col = local % this.C;
    return this;
  }
}

/**
 * The separable groups of a tensor segment of more than SMALL_SEGMENT entries (see the header):
 * `hi` the weights of its rows (K, one per row of 2^numVars/C rows, or one for a segment inside
 * a row), `lo` the column factors (K, min(C, 2^numVars) of them), shifted by the column the
 * segment starts at in its tree and split into two groups when that column is not 0.
 */
function tensorGroups(offset: number, hi: Uint32Array, lo: Uint32Array, map: EntryMap, C: number): SeparableGroup[] {
  const { row: row0, col: l } = map.place(offset);
  const size = lo.length >>> 2;
  const rows = hi.length >>> 2;
  const first = new Uint32Array(4 * C);
  first.set(lo.subarray(0, 4 * Math.min(size, C - l)), 4 * l);
  const groups: SeparableGroup[] = [{ row0, rows, rowWeights: hi, col: first }];
  if (l + size > C) {
    const second = new Uint32Array(4 * C);
    second.set(lo.subarray(4 * (C - l)), 0);
    groups.push({ row0: row0 + 1, rows, rowWeights: hi.slice(), col: second });
  }
  return groups;
}

/** The linear test's coefficients on every committed row, for weights ω (see the header). */
export function linearTerms(sys: ConstraintSystem, d: RowDims, omega: Uint32Array): LinearTerms {
  const { logC } = d;
  const C = 1 << logC;
  const K = kernels();
  const map = new EntryMap(d.layout ?? { logC, bases: [0, d.rowsA * C], rowBases: [0, d.rowsA] });
  let target: Ext = ext();
  const groups: SeparableGroup[] = [];
  // count entries first
  let count = 0;
  for (const c of sys.linear) count += c.index.length;
  for (const c of sys.tensor) count += c.extra.index.length + (2 ** c.numVars <= SMALL_SEGMENT ? 2 ** c.numVars : 0);
  const E = hadamardEntries(sys);
  count += 6 * E;
  const row = new Uint32Array(count);
  const col = new Uint32Array(count);
  const coef = new Uint32Array(4 * count);
  let n = 0;
  const addScaled = (pos: number, scaled: Uint32Array, off: number) => {
    map.place(pos);
    row[n] = map.row;
    col[n] = map.col;
    // word by word: a subarray per entry would allocate in this loop
    const o = 4 * n;
    coef[o] = scaled[off];
    coef[o + 1] = scaled[off + 1];
    coef[o + 2] = scaled[off + 2];
    coef[o + 3] = scaled[off + 3];
    n++;
  };
  let i = 0;
  for (const c of sys.linear) {
    const w = omega.subarray(4 * i, 4 * i + 4);
    target = extAdd(target, extMul(w, c.rhs));
    const scaled = new Uint32Array(c.coeffs.length);
    K.extScale(scaled, c.coeffs, w);
    for (let j = 0; j < c.index.length; j++) addScaled(c.index[j], scaled, 4 * j);
    i++;
  }
  for (const c of sys.tensor) {
    const w = omega.subarray(4 * i, 4 * i + 4);
    target = extAdd(target, extMul(w, c.rhs));
    const scaled = new Uint32Array(c.extra.coeffs.length);
    K.extScale(scaled, c.extra.coeffs, w);
    for (let j = 0; j < c.extra.index.length; j++) addScaled(c.extra.index[j], scaled, 4 * j);
    const m = c.numVars;
    const size = 2 ** m;
    if (size <= SMALL_SEGMENT) {
      const eq = eqTable(c.point);
      const s = new Uint32Array(4 * size);
      K.extScale(s, eq, w);
      for (let j = 0; j < size; j++) addScaled(c.offset + j, s, 4 * j);
    } else if (m >= logC) {
      const rowWeights = new Uint32Array(4 * 2 ** (m - logC));
      K.extScale(rowWeights, eqTable(c.point.subarray(4 * logC)), w);
      pushAll(groups, tensorGroups(c.offset, rowWeights, eqTable(c.point.subarray(0, 4 * logC)), map, C));
    } else {
      pushAll(groups, tensorGroups(c.offset, w.slice(), eqTable(c.point), map, C));
    }
    i++;
  }
  // copies: entry e, part p: aux[p][e] − w[src_p + i] = 0 with weight ω_{i0 + 3e + p}
  const auxRow0 = d.rowsA + MASK_ROWS;
  let e = 0;
  for (const h of sys.hadamard) {
    for (let j = 0; j < h.len; j++, e++) {
      for (let p = 0; p < 3; p++) {
        const wo = 4 * (i + 3 * e + p);
        const pos = (p === 0 ? h.x : p === 1 ? h.y : h.z) + j;
        row[n] = auxRow0 + 3 * (e >> logC) + p;
        col[n] = e & (C - 1);
        map.place(pos);
        row[n + 1] = map.row;
        col[n + 1] = map.col;
        for (let c = 0; c < 4; c++) {
          const v = omega[wo + c];
          coef[4 * n + c] = v;
          coef[4 * n + 4 + c] = v === 0 ? 0 : P - v;
        }
        n += 2;
      }
    }
  }
  // counting sort by row
  const rowStart = new Uint32Array(d.rows + 1);
  for (let k = 0; k < n; k++) rowStart[row[k] + 1]++;
  for (let r = 0; r < d.rows; r++) rowStart[r + 1] += rowStart[r];
  const fill = rowStart.slice(0, d.rows);
  const sCol = new Uint32Array(n);
  const sCoef = new Uint32Array(4 * n);
  for (let k = 0; k < n; k++) {
    const at = fill[row[k]]++;
    sCol[at] = col[k];
    sCoef[4 * at] = coef[4 * k];
    sCoef[4 * at + 1] = coef[4 * k + 1];
    sCoef[4 * at + 2] = coef[4 * k + 2];
    sCoef[4 * at + 3] = coef[4 * k + 3];
  }
  return { target, groups, rowStart, col: sCol, coef: sCoef };
}

/** The dense K coefficient vector (C elements) of the entries of one row. */
export function denseRow(t: LinearTerms, r: number, C: number): Uint32Array {
  const out = new Uint32Array(4 * C);
  for (let k = t.rowStart[r]; k < t.rowStart[r + 1]; k++) {
    const o = 4 * t.col[k];
    for (let c = 0; c < 4; c++) {
      const s = out[o + c] + t.coef[4 * k + c];
      out[o + c] = s >= P ? s - P : s;
    }
  }
  return out;
}
