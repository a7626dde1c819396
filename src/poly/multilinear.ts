/**
 * Multilinear extensions of tables of length 2^n, little-endian (PROTOCOL-NOTES conventions):
 * index i = Σ_k b_k·2^k, so variable x_0 is the lowest bit, the fastest tensor dimension.
 *
 *   f~(x) = Σ_{b ∈ {0,1}^n} f[b]·eq(b, x),   eq(a, b) = Π_k (a_k·b_k + (1 − a_k)(1 − b_k)).
 *
 * Points in K^n are extension vectors (`Uint32Array` of 4n words, x_0 first). Evaluation is
 * ⟨f, eq(z)⟩; fixing the low variables folds pairs (2i, 2i+1); fixing the high variables is a
 * row combination of the table viewed as a 2^(n−k) × 2^k matrix.
 */
import { kernels } from '../field/active.js';
import { type Ext, ext, extAdd, extMul, extOneMinus, extIsCanonical } from '../field/extension.js';
import { isCanonical } from '../field/babybear.js';

/** A point in K^k as 4k words, variable 0 first. */
export type Point = Uint32Array;

/** Number of variables of a point. */
export function numVarsOf(point: Point): number {
  return point.length >>> 2;
}

/** Variable j of a point (a view). */
export function coord(point: Point, j: number): Ext {
  return point.subarray(4 * j, 4 * j + 4);
}

/** Concatenates points: (a ‖ b) with a's variables lowest. */
export function concatPoints(...parts: Point[]): Point {
  const out = new Uint32Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** log2 of a power-of-two length, or a RangeError naming `what`. */
export function log2Exact(len: number, what = 'table'): number {
  const n = Math.log2(len);
  if (!Number.isInteger(n)) throw new RangeError(`${what}: expected a power-of-two length, got ${len}`);
  return n;
}

/** The eq table eq(z, ·) over {0,1}^k, as an ext vector of 2^k elements. */
export function eqTable(z: Point): Uint32Array {
  return kernels().eqTable(z);
}

/** eq(a, b) = Π_k (a_k·b_k + (1 − a_k)(1 − b_k)) for two points of equal length. */
export function eqEval(a: Point, b: Point): Ext {
  if (a.length !== b.length) throw new RangeError(`eqEval: expected points of equal length, got ${a.length >>> 2} and ${b.length >>> 2}`);
  let acc: Ext = ext(1);
  for (let k = 0; k < a.length >>> 2; k++) {
    const ak = coord(a, k);
    const bk = coord(b, k);
    acc = extMul(acc, extAdd(extMul(ak, bk), extMul(extOneMinus(ak), extOneMinus(bk))));
  }
  return acc;
}

/**
 * eq(z, bits(j)) for an integer j < 2^k: Π_k (bit_k(j) ? z_k : 1 − z_k). Used for segment
 * offsets (PROTOCOL-NOTES §2), whose top variables are fixed to the offset's bits.
 */
export function eqAtIndex(z: Point, j: number): Ext {
  let acc: Ext = ext(1);
  for (let k = 0; k < z.length >>> 2; k++) {
    const zk = coord(z, k);
    acc = extMul(acc, (Math.floor(j / 2 ** k) & 1) === 1 ? zk : extOneMinus(zk));
  }
  return acc;
}

/** The point bits(j) ∈ {0,1}^k as an ext point. */
export function indexToPoint(j: number, k: number): Point {
  const out = new Uint32Array(4 * k);
  for (let b = 0; b < k; b++) out[4 * b] = Math.floor(j / 2 ** b) & 1;
  return out;
}

/** f~(z) for a base table f of length 2^n and z ∈ K^n. */
export function evaluateBase(f: Uint32Array, z: Point): Ext {
  const n = log2Exact(f.length, 'evaluateBase');
  if (numVarsOf(z) !== n) throw new RangeError(`evaluateBase: expected a point with ${n} variables, got ${numVarsOf(z)}`);
  return kernels().extDotBase(eqTable(z), f);
}

/** f~(z) for an ext table f (4·2^n words) and z ∈ K^n. */
export function evaluateExt(f: Uint32Array, z: Point): Ext {
  const n = log2Exact(f.length >>> 2, 'evaluateExt');
  if (numVarsOf(z) !== n) throw new RangeError(`evaluateExt: expected a point with ${n} variables, got ${numVarsOf(z)}`);
  return kernels().extDot(eqTable(z), f);
}

/**
 * Fixes the lowest k = |r| variables of a base table: g(y) = f~(r, y), an ext table of length
 * 2^(n−k). Folds one variable at a time.
 */
export function fixLowVariablesBase(f: Uint32Array, r: Point): Uint32Array {
  const k = numVarsOf(r);
  if (k === 0) {
    const out = new Uint32Array(4 * f.length);
    for (let i = 0; i < f.length; i++) out[4 * i] = f[i];
    return out;
  }
  let cur = new Uint32Array(2 * f.length);
  kernels().foldBase(cur, f, coord(r, 0));
  return fixLowVariablesExt(cur, r.subarray(4), true);
}

/** Fixes the lowest |r| variables of an ext table; with `inPlace` it may reuse f's storage. */
export function fixLowVariablesExt(f: Uint32Array, r: Point, inPlace = false): Uint32Array {
  let cur = inPlace ? f : f.slice();
  let len = cur.length;
  const K = kernels();
  for (let j = 0; j < numVarsOf(r); j++) {
    if (len < 8) throw new RangeError(`fixLowVariablesExt: more variables (${numVarsOf(r)}) than the table has`);
    const out = cur.subarray(0, len >>> 1);
    K.foldExt(out, cur.subarray(0, len), coord(r, j));
    len >>>= 1;
  }
  return cur.slice(0, len);
}

/**
 * Fixes the highest k = |r| variables of a base table: g(y) = f~(y, r) = Σ_j eq(r, j)·f[j·2^(n−k) + y],
 * an ext table of length 2^(n−k) (the row combination with eq(r) as coefficients).
 */
export function fixHighVariablesBase(f: Uint32Array, r: Point): Uint32Array {
  const k = numVarsOf(r);
  const n = log2Exact(f.length, 'fixHighVariablesBase');
  if (k > n) throw new RangeError(`fixHighVariablesBase: expected at most ${n} variables, got ${k}`);
  const cols = 1 << (n - k);
  const out = new Uint32Array(4 * cols);
  kernels().combineRows(out, f, eqTable(r), cols);
  return out;
}

/** True when every word of a base table is canonical. */
export function isCanonicalBase(v: Uint32Array): boolean {
  for (let i = 0; i < v.length; i++) if (!isCanonical(v[i])) return false;
  return true;
}

/** True when a point's coordinates are canonical ext elements. */
export function isCanonicalPoint(z: Point): boolean {
  if (z.length % 4 !== 0) return false;
  for (let k = 0; k < z.length >>> 2; k++) if (!extIsCanonical(coord(z, k))) return false;
  return true;
}
