/**
 * BabyBear prime field F_p, p = 15·2^27 + 1 = 2013265921 (two-adicity 27).
 *
 * Elements are plain numbers in canonical form [0, p). Signed integers v are encoded as
 * v mod p (see `fromSigned` / `toSigned`). This module is the scalar reference: protocol
 * code that touches whole vectors goes through the kernels in `./kernels.ts` instead.
 *
 * Exact multiplication without BigInt (`mul`): with a, b < p < 2^31 the true product is
 * < 2^62, so the double `a*b` carries an absolute error ≤ 2^8 and `q = floor(a*b/p)` is off
 * by at most one from the true quotient, and only when a·b is within ~2^9 of a multiple of p.
 * Hence the true remainder r = a·b − q·p lies in (−2^10, p + 2^10), which fits in a signed
 * 32-bit integer, so its low 32 bits — `imul(a,b) − imul(q,p)`, computed mod 2^32 — are r
 * itself; one correction step brings it to [0, p). Fragile: test any change against BigInt.
 */

/** The BabyBear modulus. */
export const P = 2013265921;
/** p as a BigInt, for tests and slow paths. */
export const P_BIG = 2013265921n;
/** Two-adicity of p − 1. */
export const TWO_ADICITY = 27;
/** A generator of the multiplicative group F_p^* (31, as in Plonky3). */
export const MULTIPLICATIVE_GENERATOR = 31;

export function add(a: number, b: number): number {
  const s = a + b;
  return s >= P ? s - P : s;
}

export function sub(a: number, b: number): number {
  const s = a - b;
  return s < 0 ? s + P : s;
}

export function neg(a: number): number {
  return a === 0 ? 0 : P - a;
}

export function mul(a: number, b: number): number {
  const q = Math.floor((a * b) / P);
  let r = (Math.imul(a, b) - Math.imul(q, P)) | 0;
  if (r < 0) r += P;
  else if (r >= P) r -= P;
  return r;
}

export function square(a: number): number {
  return mul(a, a);
}

/** a^e for a non-negative integer exponent e (number up to 2^53 or bigint). */
export function pow(a: number, e: number | bigint): number {
  let exp = BigInt(e);
  if (exp < 0n) throw new RangeError(`pow: expected a non-negative exponent, got ${exp}`);
  let base = a;
  let acc = 1;
  while (exp > 0n) {
    if (exp & 1n) acc = mul(acc, base);
    base = mul(base, base);
    exp >>= 1n;
  }
  return acc;
}

/** Multiplicative inverse by Fermat (a^(p−2)); throws on 0. */
export function inv(a: number): number {
  if (a === 0) throw new RangeError('inv: zero has no inverse');
  return pow(a, P - 2);
}

/**
 * Montgomery's batch inversion: one inversion and 3(n−1) multiplications.
 * Throws if any element is zero (naming its index).
 */
export function batchInv(a: Uint32Array): Uint32Array {
  const n = a.length;
  const out = new Uint32Array(n);
  if (n === 0) return out;
  let acc = 1;
  for (let i = 0; i < n; i++) {
    if (a[i] === 0) throw new RangeError(`batchInv: element ${i} is zero`);
    out[i] = acc;
    acc = mul(acc, a[i]);
  }
  let invAcc = inv(acc);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = mul(out[i], invAcc);
    invAcc = mul(invAcc, a[i]);
  }
  return out;
}

/** Encodes a signed integer |v| < p/2 as v mod p. */
export function fromSigned(v: number): number {
  if (!Number.isSafeInteger(v)) throw new RangeError(`fromSigned: expected a safe integer, got ${v}`);
  const r = v % P;
  return r < 0 ? r + P : r;
}

/** Decodes x ∈ [0, p) as the signed integer in (−p/2, p/2) congruent to it. */
export function toSigned(x: number): number {
  return x > (P - 1) / 2 ? x - P : x;
}

/** Reduces any safe integer (possibly negative) into [0, p). */
export function reduce(v: number): number {
  const r = v % P;
  return r < 0 ? r + P : r;
}

export function isCanonical(x: number): boolean {
  return Number.isInteger(x) && x >= 0 && x < P;
}

/** A primitive 2^logN-th root of unity, logN ≤ 27: g^((p−1)/2^logN) for the generator g. */
export function rootOfUnity(logN: number): number {
  if (!Number.isInteger(logN) || logN < 0 || logN > TWO_ADICITY) {
    throw new RangeError(`rootOfUnity: expected 0 ≤ logN ≤ ${TWO_ADICITY}, got ${logN}`);
  }
  return pow(MULTIPLICATIVE_GENERATOR, (P - 1) / 2 ** logN);
}

/** Uniform-ish random element from Math.random — for tests and benchmarks only, never for protocols. */
export function randomElement(rand: () => number = Math.random): number {
  return Math.floor(rand() * P);
}
