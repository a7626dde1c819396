/**
 * The quartic extension K = F_p[u]/(u^4 − 11) of BabyBear (|K| = p^4 ≈ 2^123.6), the field
 * of every verifier challenge. An element a0 + a1·u + a2·u^2 + a3·u^3 is a `Uint32Array` of
 * length 4 (constant coefficient first); a vector of n elements is one `Uint32Array` of
 * length 4n, element i at [4i, 4i+4). Hot code uses the vector kernels in `./kernels.ts`.
 *
 * u^4 − W is irreducible over F_p for W = 11 because 11 is a quadratic non-residue mod p and
 * p ≡ 1 (mod 4) (the binomial criterion, Lidl–Niederreiter Thm 3.75); the tests check this
 * and also run Rabin's irreducibility test with BigInt. Inversion uses norms down the tower
 * F ⊂ F[u^2] ⊂ K: a·ā = b0 + b2·u^2 with ā = a(−u), and (b0 + b2·u^2)(b0 − b2·u^2) = b0^2 − W·b2^2 ∈ F.
 */
import { P, add, sub, mul, inv as baseInv, neg as baseNeg } from './babybear.js';

/** The non-residue W with u^4 = W. */
export const W = 11;

export type Ext = Uint32Array;

export function ext(c0 = 0, c1 = 0, c2 = 0, c3 = 0): Ext {
  return Uint32Array.of(c0, c1, c2, c3);
}

export const EXT_ZERO: Readonly<Ext> = ext();
export const EXT_ONE: Readonly<Ext> = ext(1);

export function extFromBase(a: number): Ext {
  return ext(a);
}

export function extIsZero(a: Ext): boolean {
  return a[0] === 0 && a[1] === 0 && a[2] === 0 && a[3] === 0;
}

export function extEquals(a: Ext, b: Ext): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

/** True when the element lies in the base field (its u-coefficients are zero). */
export function extIsBase(a: Ext): boolean {
  return a[1] === 0 && a[2] === 0 && a[3] === 0;
}

export function extIsCanonical(a: Ext): boolean {
  return a.length === 4 && a[0] < P && a[1] < P && a[2] < P && a[3] < P;
}

export function extAdd(a: Ext, b: Ext): Ext {
  return ext(add(a[0], b[0]), add(a[1], b[1]), add(a[2], b[2]), add(a[3], b[3]));
}

export function extSub(a: Ext, b: Ext): Ext {
  return ext(sub(a[0], b[0]), sub(a[1], b[1]), sub(a[2], b[2]), sub(a[3], b[3]));
}

export function extNeg(a: Ext): Ext {
  return ext(baseNeg(a[0]), baseNeg(a[1]), baseNeg(a[2]), baseNeg(a[3]));
}

export function extMulBase(a: Ext, s: number): Ext {
  return ext(mul(a[0], s), mul(a[1], s), mul(a[2], s), mul(a[3], s));
}

export function extAddBase(a: Ext, s: number): Ext {
  return ext(add(a[0], s), a[1], a[2], a[3]);
}

export function extMul(a: Ext, b: Ext): Ext {
  const [a0, a1, a2, a3] = a;
  const [b0, b1, b2, b3] = b;
  const c0 = add(mul(a0, b0), mul(W, add(add(mul(a1, b3), mul(a2, b2)), mul(a3, b1))));
  const c1 = add(add(mul(a0, b1), mul(a1, b0)), mul(W, add(mul(a2, b3), mul(a3, b2))));
  const c2 = add(add(add(mul(a0, b2), mul(a1, b1)), mul(a2, b0)), mul(W, mul(a3, b3)));
  const c3 = add(add(add(mul(a0, b3), mul(a1, b2)), mul(a2, b1)), mul(a3, b0));
  return ext(c0, c1, c2, c3);
}

export function extSquare(a: Ext): Ext {
  return extMul(a, a);
}

export function extPow(a: Ext, e: number | bigint): Ext {
  let exp = BigInt(e);
  if (exp < 0n) throw new RangeError(`extPow: expected a non-negative exponent, got ${exp}`);
  let base: Ext = a;
  let acc: Ext = ext(1);
  while (exp > 0n) {
    if (exp & 1n) acc = extMul(acc, base);
    base = extMul(base, base);
    exp >>= 1n;
  }
  return acc;
}

/** Inverse via the norm tower (see header); throws on zero. */
export function extInv(a: Ext): Ext {
  if (extIsZero(a)) throw new RangeError('extInv: zero has no inverse');
  const conj = ext(a[0], baseNeg(a[1]), a[2], baseNeg(a[3])); // a(−u)
  const b = extMul(a, conj); // = b0 + b2·u^2
  const norm = sub(mul(b[0], b[0]), mul(W, mul(b[2], b[2])));
  const nInv = baseInv(norm);
  const bConjScaled = ext(mul(b[0], nInv), 0, mul(baseNeg(b[2]), nInv), 0); // (b0 − b2·u^2)/norm
  return extMul(conj, bConjScaled);
}

/** Batch inversion in K (Montgomery's trick); throws naming the index of a zero. */
export function extBatchInv(a: Uint32Array): Uint32Array {
  const n = a.length >>> 2;
  const out = new Uint32Array(4 * n);
  let acc: Ext = ext(1);
  for (let i = 0; i < n; i++) {
    const ai = a.subarray(4 * i, 4 * i + 4);
    if (extIsZero(ai)) throw new RangeError(`extBatchInv: element ${i} is zero`);
    out.set(acc, 4 * i);
    acc = extMul(acc, ai);
  }
  let invAcc = extInv(acc);
  for (let i = n - 1; i >= 0; i--) {
    const ai = a.subarray(4 * i, 4 * i + 4);
    out.set(extMul(out.subarray(4 * i, 4 * i + 4), invAcc), 4 * i);
    invAcc = extMul(invAcc, ai);
  }
  return out;
}

/** Element i of an extension vector, as a copy. */
export function extAt(v: Uint32Array, i: number): Ext {
  return v.slice(4 * i, 4 * i + 4);
}

/** Lifts a base-field vector to an extension vector (coefficients 1..3 zero). */
export function liftToExt(a: Uint32Array): Uint32Array {
  const out = new Uint32Array(4 * a.length);
  for (let i = 0; i < a.length; i++) out[4 * i] = a[i];
  return out;
}

export function extToString(a: Ext): string {
  return `[${a[0]}, ${a[1]}, ${a[2]}, ${a[3]}]`;
}

/** 1 − a. */
export function extOneMinus(a: Ext): Ext {
  return ext(sub(1, a[0]), baseNeg(a[1]), baseNeg(a[2]), baseNeg(a[3]));
}
