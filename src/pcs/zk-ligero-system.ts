/**
 * The constraint system of a zero-knowledge Ligero proof as the tests see it
 * (`./constraints.ts` is the statement; `./zk-ligero.ts` the proof).
 *
 * Layout. The committed vector w fills rows of C = 2^logC entries: w[a·C + b] is row a, column b
 * of tree A (rows past the end are zero). The proof's tree B holds 20 mask rows
 * (`./zk-ligero-masks.ts`) and then, for the Hadamard constraints, row triples (X_r, Y_r, Z_r):
 * entry e of the concatenated Hadamard blocks (constraint by constraint, i in order) sits at
 * triple r = ⌊e/C⌋, column e mod C, as copies x_e = w[x + i], y_e = w[y + i], z_e = w[z + i]. The
 * quadratic test then checks X_r∘Y_r = Z_r on H row-wise, and 3 copy constraints per entry join
 * the linear test. Rows are numbered globally: tree A first, then tree B.
 *
 * Linear test terms. Constraint i (sparse first, then tensor, then copies X, Y, Z of each
 * entry) gets the weight ω_i = β·eq(τ)_i; the verifier needs, per row a, the interpolant q_a on H
 * of its combined coefficients. Tensor constraints on a segment of 2^m ≥ C entries are separable,
 * coefficient(a, b) = ω·eq(z_hi)_{a−a0}·eq(z_lo)_b, and kept as one `SeparableGroup` (one
 * interpolant, row weights): the verifier's work for them is an NTT plus t·(rows of the segment),
 * not the segment's size. Everything else is a list of entries (row, column, K coefficient)
 * sorted by row, which the verifier evaluates by the Lagrange basis (few entries in a row) or by
 * densifying the row (many), and the prover likewise on its own domain.
 */
import { P } from '../field/babybear.js';
import { type Ext, ext, extAdd, extIsCanonical, extMul } from '../field/extension.js';
import { kernels } from '../field/active.js';
import { sha256 } from '../hash/sha256.js';
import { eqTable } from '../poly/multilinear.js';
import { ByteWriter } from '../util/bytes.js';
import type { ConstraintSystem } from './constraints.js';
import { MASK_ROWS } from './zk-ligero-masks.js';

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

/** What is wrong with `sys` as a statement about a committed vector of n entries, or null. */
export function systemIssue(n: number, sys: ConstraintSystem): string | null {
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
    if (!Number.isSafeInteger(c.offset) || c.offset < 0 || c.offset % 2 ** m !== 0) return `tensor constraint ${k}: offset ${c.offset} is not a multiple of 2^${m}`;
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

/**
 * SHA-256 of a canonical encoding of (n, sys): every count, index, coefficient, point and rhs, in
 * order, behind a domain tag. Two systems that differ anywhere have different digests (up to
 * collisions), so absorbing it binds the proof to the whole statement.
 */
export function systemDigest(n: number, sys: ConstraintSystem): Uint8Array {
  const w = new ByteWriter(1 << 12);
  w.bytes(new TextEncoder().encode('zkinfer/zk-ligero/system/v1'));
  w.u32(n % 2 ** 32).u32(Math.floor(n / 2 ** 32));
  w.u32(sys.linear.length).u32(sys.tensor.length).u32(sys.hadamard.length);
  for (const c of sys.linear) w.wordVec(c.index).words(c.coeffs).words(c.rhs);
  for (const c of sys.tensor) {
    w.u32(c.offset % 2 ** 32).u32(Math.floor(c.offset / 2 ** 32)).u32(c.numVars).words(c.point);
    w.wordVec(c.extra.index).words(c.extra.coeffs).words(c.rhs);
  }
  for (const h of sys.hadamard) w.u32(h.x).u32(h.y).u32(h.z).u32(h.len);
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
  rowsA: number;
  /** total rows (tree A + tree B) */
  rows: number;
}

/** The linear test's coefficients on every committed row, for weights ω (see the header). */
export function linearTerms(sys: ConstraintSystem, d: RowDims, omega: Uint32Array): LinearTerms {
  const { logC } = d;
  const C = 1 << logC;
  const K = kernels();
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
    row[n] = Math.floor(pos / C);
    col[n] = pos % C;
    coef.set(scaled.subarray(off, off + 4), 4 * n);
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
      groups.push({ row0: c.offset / C, rows: 2 ** (m - logC), rowWeights, col: eqTable(c.point.subarray(0, 4 * logC)) });
    } else {
      const colv = new Uint32Array(4 * C);
      colv.set(eqTable(c.point), 4 * (c.offset % C));
      groups.push({ row0: Math.floor(c.offset / C), rows: 1, rowWeights: w.slice(), col: colv });
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
        row[n + 1] = Math.floor(pos / C);
        col[n + 1] = pos % C;
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
