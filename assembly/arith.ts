/**
 * Scalar BabyBear and K helpers shared by the kernel files (`./kernels.ts`, `./rounds.ts`); all
 * inlined. The bounds that make each delayed reduction exact are in the header of `./kernels.ts`.
 */

export const P: u32 = 2013265921;
export const P64: u64 = 2013265921;
/** 2^32 mod p. */
export const C32: u64 = 268435454;
export const LO32: u64 = 0xffffffff;
/** The generator of F_p^* used for roots of unity (must match babybear.ts). */
export const GENERATOR: u32 = 31;
/** (p + 1) / 2 = 2^−1 mod p. */
export const INV2: u32 = 1006632961;

// ---------------------------------------------------------------- scalar helpers (inlined)

// @ts-ignore: decorator
@inline export function mulm(a: u32, b: u32): u32 {
  return <u32>((<u64>a * <u64>b) % P64);
}
// @ts-ignore: decorator
@inline export function addm(a: u32, b: u32): u32 {
  const s = a + b; // < 2^32: both < 2^31
  return s >= P ? s - P : s;
}
// @ts-ignore: decorator
@inline export function subm(a: u32, b: u32): u32 {
  const d = a - b; // wraps mod 2^32 when a < b; + P brings it back into [1, p)
  return a < b ? d + P : d;
}
/** 11·a mod p (11·a < 2^35). */
// @ts-ignore: decorator
@inline export function mulW(a: u32): u32 {
  return <u32>((<u64>a * 11) % P64);
}
/** A value ≡ x (mod p) of about 2^60 for the x ≤ 3q^2 it is used on (bounds in the header). */
// @ts-ignore: decorator
@inline export function fold32(x: u64): u64 {
  return (x >> 32) * C32 + (x & LO32);
}
export function powm(a: u32, e: u32): u32 {
  let acc: u32 = 1;
  let base = a;
  while (e != 0) {
    if (e & 1) acc = mulm(acc, base);
    base = mulm(base, base);
    e >>= 1;
  }
  return acc;
}
/** (hi·2^64 + lo) mod p, for the lazy sums. */
// @ts-ignore: decorator
@inline export function lazyReduce(lo: u64, hi: u64): u32 {
  const r64 = (C32 * C32) % P64; // 2^64 mod p
  return <u32>(((hi % P64) * r64 + lo % P64) % P64);
}

/**
 * Stores a·b ∈ K at `out`, for general a, b: 16 products and 4 reductions (bounds in header).
 * Reads of a and b happen before the stores, so out may alias either.
 */
// @ts-ignore: decorator
@inline export function extMulTo(
  out: usize,
  a0: u32, a1: u32, a2: u32, a3: u32,
  b0: u32, b1: u32, b2: u32, b3: u32,
): void {
  const x0 = <u64>a0, x1 = <u64>a1, x2 = <u64>a2, x3 = <u64>a3;
  const y0 = <u64>b0, y1 = <u64>b1, y2 = <u64>b2, y3 = <u64>b3;
  const c4 = x1 * y3 + x2 * y2 + x3 * y1;
  const c5 = x2 * y3 + x3 * y2;
  const c6 = x3 * y3;
  store<u32>(out, <u32>((x0 * y0 + 11 * fold32(c4)) % P64));
  store<u32>(out, <u32>((x0 * y1 + x1 * y0 + 11 * fold32(c5)) % P64), 4);
  store<u32>(out, <u32>((x0 * y2 + x1 * y1 + x2 * y0 + 11 * fold32(c6)) % P64), 8);
  store<u32>(out, <u32>((x0 * y3 + x1 * y2 + x2 * y1 + x3 * y0) % P64), 12);
}

/** Adds the 7 convolution terms of a·b to the lazy sums at acc (7 × 16 bytes). */
// @ts-ignore: decorator
@inline export function lazyConv(acc: usize, a0: u32, a1: u32, a2: u32, a3: u32, b0: u32, b1: u32, b2: u32, b3: u32): void {
  const x0 = <u64>a0, x1 = <u64>a1, x2 = <u64>a2, x3 = <u64>a3;
  const y0 = <u64>b0, y1 = <u64>b1, y2 = <u64>b2, y3 = <u64>b3;
  lazyAdd(acc, x0 * y0);
  lazyAdd(acc + 16, x0 * y1 + x1 * y0);
  lazyAdd(acc + 32, x0 * y2 + x1 * y1 + x2 * y0);
  lazyAdd(acc + 48, x0 * y3 + x1 * y2 + x2 * y1 + x3 * y0);
  lazyAdd(acc + 64, x1 * y3 + x2 * y2 + x3 * y1);
  lazyAdd(acc + 80, x2 * y3 + x3 * y2);
  lazyAdd(acc + 96, x3 * y3);
}

/** (lo, hi) at p += x, x < 2^64: a wrap-around happened iff the new lo < x. */
// @ts-ignore: decorator
@inline export function lazyAdd(p: usize, x: u64): void {
  const lo = load<u64>(p) + x;
  store<u64>(p, lo);
  store<u64>(p, load<u64>(p, 8) + <u64>(lo < x), 8);
}

