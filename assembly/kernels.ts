/**
 * BabyBear vector kernels in AssemblyScript, compiled to WebAssembly (`npm run build:wasm`) and
 * driven by `src/field/wasm.ts`, which owns the memory layout: every kernel takes byte
 * pointers into linear memory plus element counts, and trusts them (lengths, canonical inputs).
 * The interface and the semantics of each kernel are those of `src/field/kernels.ts`; the
 * plain-TS oracle is `src/field/reference.ts`.
 *
 * Maths. p = 15·2^27 + 1 < 2^31, so canonical values fit in u32, a product of two is < p^2 <
 * 2^62 and fits in u64. `x % P` on a u64 with the constant P is exact and V8 compiles it to a
 * multiply-high and shift (no division). K = F[u]/(u^4 − 11): with the convolution terms
 * conv_k = Σ_{i+j=k} a_i·b_j (k = 0..6), a·b = (conv0 + 11·conv4, conv1 + 11·conv5,
 * conv2 + 11·conv6, conv3).
 *
 * Why exact — the bounds used for delayed reduction (q = p − 1 = the largest canonical value):
 *  - 4·q^2 + q < 2^64 (4q^2 ≈ 1.621e19, 2^64 ≈ 1.845e19): four products plus one canonical
 *    value may be summed in u64 before a single `% P`;
 *  - fold32(x) = (x >> 32)·C32 + (x & 0xffffffff) ≡ x (mod p), C32 = 2^32 mod p = 268435454,
 *    and for x ≤ 3q^2 it is ≤ 7.6e17, so conv0 + 11·fold32(conv4) ≤ 4.1e18 + 8.4e18 < 2^64 (and
 *    likewise for the smaller conv5, conv6): one reduction per output coefficient;
 *  - lazy sums (dot products) add each term x < 2^64 to a u64 `lo` and count wrap-arounds in
 *    `hi` (a wrap happened iff the new lo < x); the value is hi·2^64 + lo, reduced once at the end.
 * Fragile: benchmark any change, and run test/field (differential tests against the oracle).
 */

import { C32, GENERATOR, INV2, LO32, P, P64, addm, extMulTo, fold32, lazyAdd, lazyConv, lazyReduce, mulW, mulm, powm, subm } from './arith';

export * from './rounds';

/** The start of free memory (the JS side allocates from here). */
export function heapBase(): usize {
  return __heap_base;
}

// ---------------------------------------------------------------- base field, element-wise

export function add(out: usize, a: usize, b: usize, n: usize): void {
  for (let i: usize = 0; i < n; i++) {
    const o = i << 2;
    store<u32>(out + o, addm(load<u32>(a + o), load<u32>(b + o)));
  }
}

export function sub(out: usize, a: usize, b: usize, n: usize): void {
  for (let i: usize = 0; i < n; i++) {
    const o = i << 2;
    store<u32>(out + o, subm(load<u32>(a + o), load<u32>(b + o)));
  }
}

export function mul(out: usize, a: usize, b: usize, n: usize): void {
  for (let i: usize = 0; i < n; i++) {
    const o = i << 2;
    store<u32>(out + o, mulm(load<u32>(a + o), load<u32>(b + o)));
  }
}

export function scale(out: usize, a: usize, s: u32, n: usize): void {
  const s64 = <u64>s;
  for (let i: usize = 0; i < n; i++) {
    const o = i << 2;
    store<u32>(out + o, <u32>((<u64>load<u32>(a + o) * s64) % P64));
  }
}

/** acc += s·a: acc + a·s ≤ q + q^2 < 2^64, one reduction. */
export function mulAdd(acc: usize, a: usize, s: u32, n: usize): void {
  const s64 = <u64>s;
  for (let i: usize = 0; i < n; i++) {
    const o = i << 2;
    store<u32>(acc + o, <u32>((<u64>load<u32>(acc + o) + <u64>load<u32>(a + o) * s64) % P64));
  }
}

/** Σ a_i·b_i with a lazy (lo, hi) sum: no reduction per element. */
export function dot(a: usize, b: usize, n: usize): u32 {
  let lo: u64 = 0;
  let hi: u64 = 0;
  for (let i: usize = 0; i < n; i++) {
    const o = i << 2;
    const x = <u64>load<u32>(a + o) * <u64>load<u32>(b + o);
    lo += x;
    hi += <u64>(lo < x);
  }
  return lazyReduce(lo, hi);
}

// ---------------------------------------------------------------- extension field

export function extMul(out: usize, a: usize, b: usize, n: usize): void {
  for (let i: usize = 0; i < n; i++) {
    const o = i << 4;
    extMulTo(
      out + o,
      load<u32>(a + o), load<u32>(a + o, 4), load<u32>(a + o, 8), load<u32>(a + o, 12),
      load<u32>(b + o), load<u32>(b + o, 4), load<u32>(b + o, 8), load<u32>(b + o, 12),
    );
  }
}

/**
 * Shared body of extScale (withAcc = false) and extMulAdd (withAcc = true). With the constant s
 * pre-multiplied by 11 (w_k = 11·s_k mod p), each coefficient is a sum of four products (plus
 * a canonical acc term): ≤ 4q^2 + q < 2^64, one reduction.
 */
@inline function extScaleImpl(out: usize, acc: usize, a: usize, s0: u32, s1: u32, s2: u32, s3: u32, n: usize, withAcc: bool): void {
  const y0 = <u64>s0, y1 = <u64>s1, y2 = <u64>s2, y3 = <u64>s3;
  const w1 = <u64>mulW(s1), w2 = <u64>mulW(s2), w3 = <u64>mulW(s3);
  for (let i: usize = 0; i < n; i++) {
    const o = i << 4;
    const x0 = <u64>load<u32>(a + o), x1 = <u64>load<u32>(a + o, 4);
    const x2 = <u64>load<u32>(a + o, 8), x3 = <u64>load<u32>(a + o, 12);
    let c0 = x0 * y0 + x1 * w3 + x2 * w2 + x3 * w1;
    let c1 = x0 * y1 + x1 * y0 + x2 * w3 + x3 * w2;
    let c2 = x0 * y2 + x1 * y1 + x2 * y0 + x3 * w3;
    let c3 = x0 * y3 + x1 * y2 + x2 * y1 + x3 * y0;
    if (withAcc) {
      c0 += <u64>load<u32>(acc + o);
      c1 += <u64>load<u32>(acc + o, 4);
      c2 += <u64>load<u32>(acc + o, 8);
      c3 += <u64>load<u32>(acc + o, 12);
    }
    store<u32>(out + o, <u32>(c0 % P64));
    store<u32>(out + o, <u32>(c1 % P64), 4);
    store<u32>(out + o, <u32>(c2 % P64), 8);
    store<u32>(out + o, <u32>(c3 % P64), 12);
  }
}

export function extScale(out: usize, a: usize, s0: u32, s1: u32, s2: u32, s3: u32, n: usize): void {
  extScaleImpl(out, 0, a, s0, s1, s2, s3, n, false);
}

export function extMulAdd(acc: usize, a: usize, s0: u32, s1: u32, s2: u32, s3: u32, n: usize): void {
  extScaleImpl(acc, acc, a, s0, s1, s2, s3, n, true);
}

/** acc (ext, n) += s·a for base a: acc_k + s_k·a_i ≤ q + q^2, one reduction per coefficient. */
export function extMulAddBase(acc: usize, a: usize, s0: u32, s1: u32, s2: u32, s3: u32, n: usize): void {
  const y0 = <u64>s0, y1 = <u64>s1, y2 = <u64>s2, y3 = <u64>s3;
  for (let i: usize = 0; i < n; i++) {
    const x = <u64>load<u32>(a + (i << 2));
    const o = acc + (i << 4);
    store<u32>(o, <u32>((<u64>load<u32>(o) + x * y0) % P64));
    store<u32>(o, <u32>((<u64>load<u32>(o, 4) + x * y1) % P64), 4);
    store<u32>(o, <u32>((<u64>load<u32>(o, 8) + x * y2) % P64), 8);
    store<u32>(o, <u32>((<u64>load<u32>(o, 12) + x * y3) % P64), 12);
  }
}

/**
 * Σ a_i·b_i over K, written to out (4 words). Each of the 7 convolution sums is accumulated
 * lazily (lo, hi) — no reduction per element — and combined with u^4 = 11 at the end.
 */
export function extDot(out: usize, a: usize, b: usize, n: usize): void {
  let l0: u64 = 0, l1: u64 = 0, l2: u64 = 0, l3: u64 = 0, l4: u64 = 0, l5: u64 = 0, l6: u64 = 0;
  let h0: u64 = 0, h1: u64 = 0, h2: u64 = 0, h3: u64 = 0, h4: u64 = 0, h5: u64 = 0, h6: u64 = 0;
  for (let i: usize = 0; i < n; i++) {
    const o = i << 4;
    const x0 = <u64>load<u32>(a + o), x1 = <u64>load<u32>(a + o, 4);
    const x2 = <u64>load<u32>(a + o, 8), x3 = <u64>load<u32>(a + o, 12);
    const y0 = <u64>load<u32>(b + o), y1 = <u64>load<u32>(b + o, 4);
    const y2 = <u64>load<u32>(b + o, 8), y3 = <u64>load<u32>(b + o, 12);
    // each conv_k ≤ 4q^2 < 2^64, so one wrap at most per addition
    let t: u64;
    t = x0 * y0; l0 += t; h0 += <u64>(l0 < t);
    t = x0 * y1 + x1 * y0; l1 += t; h1 += <u64>(l1 < t);
    t = x0 * y2 + x1 * y1 + x2 * y0; l2 += t; h2 += <u64>(l2 < t);
    t = x0 * y3 + x1 * y2 + x2 * y1 + x3 * y0; l3 += t; h3 += <u64>(l3 < t);
    t = x1 * y3 + x2 * y2 + x3 * y1; l4 += t; h4 += <u64>(l4 < t);
    t = x2 * y3 + x3 * y2; l5 += t; h5 += <u64>(l5 < t);
    t = x3 * y3; l6 += t; h6 += <u64>(l6 < t);
  }
  const c4 = <u64>lazyReduce(l4, h4), c5 = <u64>lazyReduce(l5, h5), c6 = <u64>lazyReduce(l6, h6);
  store<u32>(out, <u32>((<u64>lazyReduce(l0, h0) + 11 * c4) % P64));
  store<u32>(out, <u32>((<u64>lazyReduce(l1, h1) + 11 * c5) % P64), 4);
  store<u32>(out, <u32>((<u64>lazyReduce(l2, h2) + 11 * c6) % P64), 8);
  store<u32>(out, lazyReduce(l3, h3), 12);
}

/** Σ a_i·b_i for a ∈ K^n, b ∈ F^n, to out (4 words); lazy sums per coefficient. */
export function extDotBase(out: usize, a: usize, b: usize, n: usize): void {
  let l0: u64 = 0, l1: u64 = 0, l2: u64 = 0, l3: u64 = 0;
  let h0: u64 = 0, h1: u64 = 0, h2: u64 = 0, h3: u64 = 0;
  for (let i: usize = 0; i < n; i++) {
    const o = i << 4;
    const y = <u64>load<u32>(b + (i << 2));
    let t: u64;
    t = <u64>load<u32>(a + o) * y; l0 += t; h0 += <u64>(l0 < t);
    t = <u64>load<u32>(a + o, 4) * y; l1 += t; h1 += <u64>(l1 < t);
    t = <u64>load<u32>(a + o, 8) * y; l2 += t; h2 += <u64>(l2 < t);
    t = <u64>load<u32>(a + o, 12) * y; l3 += t; h3 += <u64>(l3 < t);
  }
  store<u32>(out, lazyReduce(l0, h0));
  store<u32>(out, lazyReduce(l1, h1), 4);
  store<u32>(out, lazyReduce(l2, h2), 8);
  store<u32>(out, lazyReduce(l3, h3), 12);
}

/**
 * out (ext, cols) = Σ_r coeffs[r]·M[r] for a row-major base matrix M (rows × cols). Rows are
 * taken four at a time: out_k + Σ_{4 rows} s_{r,k}·M[r][c] ≤ q + 4q^2 < 2^64, one reduction
 * per coefficient per four rows.
 */
export function combineRows(out: usize, m: usize, coeffs: usize, rows: usize, cols: usize): void {
  memory.fill(out, 0, cols << 4);
  const rowBytes = cols << 2;
  let r: usize = 0;
  for (; r + 4 <= rows; r += 4) {
    const s = coeffs + (r << 4);
    const a0 = <u64>load<u32>(s), a1 = <u64>load<u32>(s, 4), a2 = <u64>load<u32>(s, 8), a3 = <u64>load<u32>(s, 12);
    const b0 = <u64>load<u32>(s, 16), b1 = <u64>load<u32>(s, 20), b2 = <u64>load<u32>(s, 24), b3 = <u64>load<u32>(s, 28);
    const c0 = <u64>load<u32>(s, 32), c1 = <u64>load<u32>(s, 36), c2 = <u64>load<u32>(s, 40), c3 = <u64>load<u32>(s, 44);
    const d0 = <u64>load<u32>(s, 48), d1 = <u64>load<u32>(s, 52), d2 = <u64>load<u32>(s, 56), d3 = <u64>load<u32>(s, 60);
    const r0 = m + r * rowBytes;
    const r1 = r0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
    for (let c: usize = 0; c < cols; c++) {
      const o = c << 2;
      const m0 = <u64>load<u32>(r0 + o), m1 = <u64>load<u32>(r1 + o);
      const m2 = <u64>load<u32>(r2 + o), m3 = <u64>load<u32>(r3 + o);
      const po = out + (c << 4);
      store<u32>(po, <u32>((<u64>load<u32>(po) + a0 * m0 + b0 * m1 + c0 * m2 + d0 * m3) % P64));
      store<u32>(po, <u32>((<u64>load<u32>(po, 4) + a1 * m0 + b1 * m1 + c1 * m2 + d1 * m3) % P64), 4);
      store<u32>(po, <u32>((<u64>load<u32>(po, 8) + a2 * m0 + b2 * m1 + c2 * m2 + d2 * m3) % P64), 8);
      store<u32>(po, <u32>((<u64>load<u32>(po, 12) + a3 * m0 + b3 * m1 + c3 * m2 + d3 * m3) % P64), 12);
    }
  }
  for (; r < rows; r++) {
    const s = coeffs + (r << 4);
    extMulAddBase(out, m + r * rowBytes, load<u32>(s), load<u32>(s, 4), load<u32>(s, 8), load<u32>(s, 12), cols);
  }
}

// ---------------------------------------------------------------- folding, eq tables

/** out[i] = t[2i] + r·(t[2i+1] − t[2i]), base t → ext out: lo + r_0·d ≤ q + q^2, exact. */
export function foldBase(out: usize, t: usize, r0: u32, r1: u32, r2: u32, r3: u32, n: usize): void {
  const y0 = <u64>r0, y1 = <u64>r1, y2 = <u64>r2, y3 = <u64>r3;
  for (let i: usize = 0; i < n; i++) {
    const lo = load<u32>(t + (i << 3));
    const d = <u64>subm(load<u32>(t + (i << 3), 4), lo);
    const o = out + (i << 4);
    store<u32>(o, <u32>((<u64>lo + y0 * d) % P64));
    store<u32>(o, <u32>((y1 * d) % P64), 4);
    store<u32>(o, <u32>((y2 * d) % P64), 8);
    store<u32>(o, <u32>((y3 * d) % P64), 12);
  }
}

/**
 * out[i] = lo + r·(hi − lo) for an ext table (pairs of ext elements). With r pre-multiplied by
 * 11 each coefficient is ≤ lo_k + 4q^2 < 2^64: one reduction. Element i is read (bytes
 * [32i, 32i+32)) before out[i] (bytes [16i, 16i+16)) is written, so out may equal t.
 */
export function foldExt(out: usize, t: usize, r0: u32, r1: u32, r2: u32, r3: u32, n: usize): void {
  const y0 = <u64>r0, y1 = <u64>r1, y2 = <u64>r2, y3 = <u64>r3;
  const w1 = <u64>mulW(r1), w2 = <u64>mulW(r2), w3 = <u64>mulW(r3);
  for (let i: usize = 0; i < n; i++) {
    const p = t + (i << 5);
    const l0 = load<u32>(p), l1 = load<u32>(p, 4), l2 = load<u32>(p, 8), l3 = load<u32>(p, 12);
    const x0 = <u64>subm(load<u32>(p, 16), l0), x1 = <u64>subm(load<u32>(p, 20), l1);
    const x2 = <u64>subm(load<u32>(p, 24), l2), x3 = <u64>subm(load<u32>(p, 28), l3);
    const o = out + (i << 4);
    store<u32>(o, <u32>((<u64>l0 + x0 * y0 + x1 * w3 + x2 * w2 + x3 * w1) % P64));
    store<u32>(o, <u32>((<u64>l1 + x0 * y1 + x1 * y0 + x2 * w3 + x3 * w2) % P64), 4);
    store<u32>(o, <u32>((<u64>l2 + x0 * y2 + x1 * y1 + x2 * y0 + x3 * w3) % P64), 8);
    store<u32>(o, <u32>((<u64>l3 + x0 * y3 + x1 * y2 + x2 * y1 + x3 * y0) % P64), 12);
  }
}

/**
 * eq table of z ∈ K^k (4k words at z) into out (4·2^k words): after step j, out[i] for
 * i < 2^(j+1) is Π_{l≤j} (bit_l(i) ? z_l : 1 − z_l). Step j maps v = out[i] (i < 2^j) to
 * out[i + 2^j] = v·z_j and out[i] = v − v·z_j = v·(1 − z_j): one ext-by-constant product.
 */
export function eqTable(out: usize, z: usize, k: usize): void {
  store<u32>(out, 1);
  store<u32>(out, 0, 4);
  store<u32>(out, 0, 8);
  store<u32>(out, 0, 12);
  for (let j: usize = 0; j < k; j++) {
    const zp = z + (j << 4);
    const y0 = <u64>load<u32>(zp), y1 = <u64>load<u32>(zp, 4), y2 = <u64>load<u32>(zp, 8), y3 = <u64>load<u32>(zp, 12);
    const w1 = <u64>mulW(<u32>y1), w2 = <u64>mulW(<u32>y2), w3 = <u64>mulW(<u32>y3);
    const size: usize = (<usize>1) << j;
    const hiBase = out + (size << 4);
    for (let i: usize = 0; i < size; i++) {
      const o = i << 4;
      const v0 = load<u32>(out + o), v1 = load<u32>(out + o, 4), v2 = load<u32>(out + o, 8), v3 = load<u32>(out + o, 12);
      const x0 = <u64>v0, x1 = <u64>v1, x2 = <u64>v2, x3 = <u64>v3;
      const c0 = <u32>((x0 * y0 + x1 * w3 + x2 * w2 + x3 * w1) % P64);
      const c1 = <u32>((x0 * y1 + x1 * y0 + x2 * w3 + x3 * w2) % P64);
      const c2 = <u32>((x0 * y2 + x1 * y1 + x2 * y0 + x3 * w3) % P64);
      const c3 = <u32>((x0 * y3 + x1 * y2 + x2 * y1 + x3 * y0) % P64);
      store<u32>(hiBase + o, c0);
      store<u32>(hiBase + o, c1, 4);
      store<u32>(hiBase + o, c2, 8);
      store<u32>(hiBase + o, c3, 12);
      store<u32>(out + o, subm(v0, c0));
      store<u32>(out + o, subm(v1, c1), 4);
      store<u32>(out + o, subm(v2, c2), 8);
      store<u32>(out + o, subm(v3, c3), 12);
    }
  }
}

// ---------------------------------------------------------------- sumcheck round

/**
 * s(t) = Σ_{i<n} Π_l (T_l[2i] + t·(T_l[2i+1] − T_l[2i])) for t = 0..degree, written to out
 * (4·(degree+1) words). The L tables lie at tables + l·stride (bytes), each 2n ext elements.
 * `scratch` holds 32·L + 112·(degree+1) bytes:
 *   [0, 32L): per table the running value v_l(t) (16 B) and the step d_l = hi − lo (16 B);
 *   then per t seven (lo, hi) u64 pairs: the lazy sums of the convolution terms of the last
 *   factor's product, so the final multiply in each term costs no reduction at all.
 * v_l(t+1) = v_l(t) + d_l, so evaluating at t = 0..degree needs additions only.
 */
export function productRound(out: usize, tables: usize, stride: usize, L: usize, n: usize, degree: usize, scratch: usize): void {
  // (two and three tables take productRoundSmall, which keeps the running values in locals)
  const vs = scratch;
  const accs = scratch + (L << 5);
  const nt = degree + 1;
  memory.fill(accs, 0, nt * 112);
  const prod = out; // out doubles as a 16-byte temporary for the running product
  if (L == 2 || L == 3) {
    productRoundSmall(tables, stride, L, n, nt, accs, prod);
    n = 0; // skip the generic loop; the final reduction below is shared
  }
  for (let i: usize = 0; i < n; i++) {
    const io = i << 5;
    for (let l: usize = 0; l < L; l++) {
      const p = tables + l * stride + io;
      const v = vs + (l << 5);
      const l0 = load<u32>(p), l1 = load<u32>(p, 4), l2 = load<u32>(p, 8), l3 = load<u32>(p, 12);
      store<u32>(v, l0);
      store<u32>(v, l1, 4);
      store<u32>(v, l2, 8);
      store<u32>(v, l3, 12);
      store<u32>(v, subm(load<u32>(p, 16), l0), 16);
      store<u32>(v, subm(load<u32>(p, 20), l1), 20);
      store<u32>(v, subm(load<u32>(p, 24), l2), 24);
      store<u32>(v, subm(load<u32>(p, 28), l3), 28);
    }
    for (let t: usize = 0; t < nt; t++) {
      // running product of all but the last table's values
      let a0: u32 = 1, a1: u32 = 0, a2: u32 = 0, a3: u32 = 0;
      if (L > 1) {
        a0 = load<u32>(vs); a1 = load<u32>(vs, 4); a2 = load<u32>(vs, 8); a3 = load<u32>(vs, 12);
        for (let l: usize = 1; l + 1 < L; l++) {
          const v = vs + (l << 5);
          extMulTo(prod, a0, a1, a2, a3, load<u32>(v), load<u32>(v, 4), load<u32>(v, 8), load<u32>(v, 12));
          a0 = load<u32>(prod); a1 = load<u32>(prod, 4); a2 = load<u32>(prod, 8); a3 = load<u32>(prod, 12);
        }
      }
      const v = vs + ((L - 1) << 5);
      lazyConv(accs + t * 112, a0, a1, a2, a3, load<u32>(v), load<u32>(v, 4), load<u32>(v, 8), load<u32>(v, 12));
      // advance every v_l to t + 1
      if (t + 1 < nt) {
        for (let l: usize = 0; l < L; l++) {
          const w = vs + (l << 5);
          store<u32>(w, addm(load<u32>(w), load<u32>(w, 16)));
          store<u32>(w, addm(load<u32>(w, 4), load<u32>(w, 20)), 4);
          store<u32>(w, addm(load<u32>(w, 8), load<u32>(w, 24)), 8);
          store<u32>(w, addm(load<u32>(w, 12), load<u32>(w, 28)), 12);
        }
      }
    }
  }
  for (let t: usize = 0; t < nt; t++) {
    const acc = accs + t * 112;
    const c4 = <u64>lazyReduce(load<u64>(acc, 64), load<u64>(acc, 72));
    const c5 = <u64>lazyReduce(load<u64>(acc, 80), load<u64>(acc, 88));
    const c6 = <u64>lazyReduce(load<u64>(acc, 96), load<u64>(acc, 104));
    const o = out + (t << 4);
    store<u32>(o, <u32>((<u64>lazyReduce(load<u64>(acc), load<u64>(acc, 8)) + 11 * c4) % P64));
    store<u32>(o, <u32>((<u64>lazyReduce(load<u64>(acc, 16), load<u64>(acc, 24)) + 11 * c5) % P64), 4);
    store<u32>(o, <u32>((<u64>lazyReduce(load<u64>(acc, 32), load<u64>(acc, 40)) + 11 * c6) % P64), 8);
    store<u32>(o, lazyReduce(load<u64>(acc, 48), load<u64>(acc, 56)), 12);
  }
}

/**
 * productRound for two or three tables with every running value in locals (the common
 * sumcheck shapes): the same arithmetic as the generic loop, without its scratch traffic.
 */
function productRoundSmall(tables: usize, stride: usize, L: usize, n: usize, nt: usize, accs: usize, tmp: usize): void {
  const t1 = tables + stride, t2 = t1 + stride;
  for (let i: usize = 0; i < n; i++) {
    const io = i << 5;
    const p = tables + io, q = t1 + io;
    let a0 = load<u32>(p), a1 = load<u32>(p, 4), a2 = load<u32>(p, 8), a3 = load<u32>(p, 12);
    const da0 = subm(load<u32>(p, 16), a0), da1 = subm(load<u32>(p, 20), a1);
    const da2 = subm(load<u32>(p, 24), a2), da3 = subm(load<u32>(p, 28), a3);
    let b0 = load<u32>(q), b1 = load<u32>(q, 4), b2 = load<u32>(q, 8), b3 = load<u32>(q, 12);
    const db0 = subm(load<u32>(q, 16), b0), db1 = subm(load<u32>(q, 20), b1);
    const db2 = subm(load<u32>(q, 24), b2), db3 = subm(load<u32>(q, 28), b3);
    if (L == 2) {
      for (let t: usize = 0; t < nt; t++) {
        lazyConv(accs + t * 112, a0, a1, a2, a3, b0, b1, b2, b3);
        a0 = addm(a0, da0); a1 = addm(a1, da1); a2 = addm(a2, da2); a3 = addm(a3, da3);
        b0 = addm(b0, db0); b1 = addm(b1, db1); b2 = addm(b2, db2); b3 = addm(b3, db3);
      }
    } else {
      const r = t2 + io;
      let c0 = load<u32>(r), c1 = load<u32>(r, 4), c2 = load<u32>(r, 8), c3 = load<u32>(r, 12);
      const dc0 = subm(load<u32>(r, 16), c0), dc1 = subm(load<u32>(r, 20), c1);
      const dc2 = subm(load<u32>(r, 24), c2), dc3 = subm(load<u32>(r, 28), c3);
      for (let t: usize = 0; t < nt; t++) {
        extMulTo(tmp, a0, a1, a2, a3, b0, b1, b2, b3);
        lazyConv(accs + t * 112, load<u32>(tmp), load<u32>(tmp, 4), load<u32>(tmp, 8), load<u32>(tmp, 12), c0, c1, c2, c3);
        a0 = addm(a0, da0); a1 = addm(a1, da1); a2 = addm(a2, da2); a3 = addm(a3, da3);
        b0 = addm(b0, db0); b1 = addm(b1, db1); b2 = addm(b2, db2); b3 = addm(b3, db3);
        c0 = addm(c0, dc0); c1 = addm(c1, dc1); c2 = addm(c2, dc2); c3 = addm(c3, dc3);
      }
    }
  }
}

// ---------------------------------------------------------------- NTT

/**
 * Fills the nested twiddle table for all stages up to 2^logN: word h + j (h = 2^(s−1),
 * j < h) is ω_s^j with ω_s = g^((p−1)/2^s) the primitive 2^s-th root of unity of babybear.ts.
 * The table has 2^logN words (word 0 unused) and serves every smaller size too.
 */
export function initTwiddles(tw: usize, logN: u32): void {
  for (let s: u32 = 1; s <= logN; s++) {
    const h: usize = (<usize>1) << (s - 1);
    const w = powm(GENERATOR, (P - 1) >> s);
    let x: u32 = 1;
    const base = tw + (h << 2);
    for (let j: usize = 0; j < h; j++) {
      store<u32>(base + (j << 2), x);
      x = mulm(x, w);
    }
  }
}

/** In-place bit-reversal permutation of 2^logN words at a. */
function bitReverse(a: usize, n: usize): void {
  let j: usize = 0;
  for (let i: usize = 1; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const pi = a + (i << 2), pj = a + (j << 2);
      const t = load<u32>(pi);
      store<u32>(pi, load<u32>(pj));
      store<u32>(pj, t);
    }
  }
}

/** One radix-2 stage with half-size h (≥ 2) over len words at base: butterflies (k + j, k + j + h). */
@inline function stage(base: usize, len: usize, h: usize, tw: usize): void {
  const t = tw + (h << 2);
  const hb = h << 2;
  const end = base + (len << 2);
  for (let pa = base; pa < end; pa += hb << 1) {
    const pb = pa + hb;
    for (let j: usize = 0; j < hb; j += 4) {
      const u = load<u32>(pa + j);
      const v = <u32>((<u64>load<u32>(pb + j) * <u64>load<u32>(t + j)) % P64);
      store<u32>(pa + j, addm(u, v));
      store<u32>(pb + j, subm(u, v));
    }
  }
}

/** log2 of the block that the first stages run on while it stays in L1 (4·2^12 B = 16 KiB). */
const BLOCK_LOG: u32 = 12;

/**
 * In-place NTT of `count` rows of 2^logN words at a (natural order in and out), iterative
 * radix-2 Cooley–Tukey after a bit reversal, twiddles from the table at tw (≥ 2^logN words,
 * see initTwiddles). Stages with butterflies inside a 2^BLOCK_LOG block run block by block
 * (cache blocking), the rest stage by stage. The inverse uses
 * DFT^−1(a)[j] = N^−1·DFT(a)[(N − j) mod N]: a forward transform, then reversing positions
 * 1..N−1 and scaling by N^−1 in one pass.
 */
export function nttBatch(a: usize, count: usize, logN: u32, inverse: bool, tw: usize): void {
  const n: usize = (<usize>1) << logN;
  if (n == 1) return;
  const nInv = powm(INV2, logN);
  const blk: usize = logN < BLOCK_LOG ? n : (<usize>1) << BLOCK_LOG;
  for (let row: usize = 0; row < count; row++) {
    const base = a + ((row * n) << 2);
    bitReverse(base, n);
    for (let b = base; b < base + (n << 2); b += blk << 2) {
      // stage h = 1: twiddle 1, no multiplication
      for (let k: usize = 0; k < blk; k += 2) {
        const p = b + (k << 2);
        const u = load<u32>(p), v = load<u32>(p, 4);
        store<u32>(p, addm(u, v));
        store<u32>(p, subm(u, v), 4);
      }
      for (let h: usize = 2; h < blk; h <<= 1) stage(b, blk, h, tw);
    }
    for (let h: usize = blk; h < n; h <<= 1) stage(base, n, h, tw);
    if (inverse) {
      store<u32>(base, mulm(load<u32>(base), nInv));
      const mid = base + (n << 1);
      store<u32>(mid, mulm(load<u32>(mid), nInv));
      const half = n >> 1;
      for (let j: usize = 1; j < half; j++) {
        const pj = base + (j << 2), pk = base + ((n - j) << 2);
        const x = load<u32>(pj), y = load<u32>(pk);
        store<u32>(pj, mulm(y, nInv));
        store<u32>(pk, mulm(x, nInv));
      }
    }
  }
}

// ---------------------------------------------------------------- transpose

const BLOCK: usize = 32;

/** out (cols × rows) = transposeᵀ of a (rows × cols), in 32×32 blocks for cache locality. */
export function transpose(out: usize, a: usize, rows: usize, cols: usize): void {
  for (let rb: usize = 0; rb < rows; rb += BLOCK) {
    const rEnd = rb + BLOCK < rows ? rb + BLOCK : rows;
    for (let cb: usize = 0; cb < cols; cb += BLOCK) {
      const cEnd = cb + BLOCK < cols ? cb + BLOCK : cols;
      for (let r = rb; r < rEnd; r++) {
        const src = a + ((r * cols) << 2);
        for (let c = cb; c < cEnd; c++) {
          store<u32>(out + ((c * rows + r) << 2), load<u32>(src + (c << 2)));
        }
      }
    }
  }
}
