/**
 * Kernels for multi-round protocols whose tables stay in linear memory between calls: the batch
 * opening's inner-product sumcheck Σ G·f (src/pcs/batch.ts) and the fractional-sum GKR
 * (src/piop/lookup/gkr.ts). `src/field/wasm-workspace.ts` owns the memory; the plain-TS oracle is
 * `src/field/reference-workspace.ts`, and the semantics are those of `Workspace` in
 * `src/field/kernels.ts`.
 *
 * Round kernels return sums reduced once, at the end: an ext × base product adds one u64 term per
 * coefficient to a lazy (lo, hi) sum (see the header of `./kernels.ts`); an ext × ext product is
 * reduced (`extMulTo`) and its four canonical coefficients added to u64 sums, which cannot
 * overflow below 2^33 terms. Tables are folded in pairs (2i, 2i + 1); a value at t is
 * lo + t·(hi − lo), so t = 2 is hi + (hi − lo).
 * Fragile: benchmark any change, and run test/field (differential tests against the oracle).
 */
import { P64, addm, subm, mulm, mulW, extMulTo, lazyAdd, lazyConv, lazyReduce } from './arith';

/** Reduces the seven lazy convolution sums at acc (112 bytes) to an ext element at out (u^4 = 11). */
// @ts-ignore: decorator
@inline function finishConv(out: usize, acc: usize): void {
  const c4 = <u64>lazyReduce(load<u64>(acc, 64), load<u64>(acc, 72));
  const c5 = <u64>lazyReduce(load<u64>(acc, 80), load<u64>(acc, 88));
  const c6 = <u64>lazyReduce(load<u64>(acc, 96), load<u64>(acc, 104));
  store<u32>(out, <u32>((<u64>lazyReduce(load<u64>(acc), load<u64>(acc, 8)) + 11 * c4) % P64));
  store<u32>(out, <u32>((<u64>lazyReduce(load<u64>(acc, 16), load<u64>(acc, 24)) + 11 * c5) % P64), 4);
  store<u32>(out, <u32>((<u64>lazyReduce(load<u64>(acc, 32), load<u64>(acc, 40)) + 11 * c6) % P64), 8);
  store<u32>(out, lazyReduce(load<u64>(acc, 48), load<u64>(acc, 56)), 12);
}

/** acc (4 lazy sums, 64 bytes) += (w0..w3)·y for a base y: one u64 product per coefficient. */
// @ts-ignore: decorator
@inline function lazyScale(acc: usize, w0: u32, w1: u32, w2: u32, w3: u32, y: u32): void {
  const y64 = <u64>y;
  lazyAdd(acc, <u64>w0 * y64);
  lazyAdd(acc + 16, <u64>w1 * y64);
  lazyAdd(acc + 32, <u64>w2 * y64);
  lazyAdd(acc + 48, <u64>w3 * y64);
}

/** Reduces four lazy sums (64 bytes at acc) to an ext element at out. */
// @ts-ignore: decorator
@inline function finish4(out: usize, acc: usize): void {
  store<u32>(out, lazyReduce(load<u64>(acc), load<u64>(acc, 8)));
  store<u32>(out, lazyReduce(load<u64>(acc, 16), load<u64>(acc, 24)), 4);
  store<u32>(out, lazyReduce(load<u64>(acc, 32), load<u64>(acc, 40)), 8);
  store<u32>(out, lazyReduce(load<u64>(acc, 48), load<u64>(acc, 56)), 12);
}

/**
 * out[i] += s·eq(z, i) for i < limit ≤ 2^k (z: k ext coordinates, variable 0 = lowest bit).
 * The table of the low k − 1 variables, started at s instead of 1, is built in tmp (truncated to
 * the min(2^(k−1), limit) entries that matter: entry i only ever feeds entries ≥ i); the last
 * variable's step adds v·(1 − z) and v·z straight into out. tmp holds min(2^(k−1), limit) ext.
 */
export function eqTableAdd(out: usize, tmp: usize, z: usize, k: usize, s0: u32, s1: u32, s2: u32, s3: u32, limit: usize): void {
  if (limit == 0) return;
  if (k == 0) {
    store<u32>(out, addm(load<u32>(out), s0));
    store<u32>(out, addm(load<u32>(out, 4), s1), 4);
    store<u32>(out, addm(load<u32>(out, 8), s2), 8);
    store<u32>(out, addm(load<u32>(out, 12), s3), 12);
    return;
  }
  const half: usize = (<usize>1) << (k - 1);
  const lim = limit < half ? limit : half;
  store<u32>(tmp, s0);
  store<u32>(tmp, s1, 4);
  store<u32>(tmp, s2, 8);
  store<u32>(tmp, s3, 12);
  for (let j: usize = 0; j + 1 < k; j++) {
    const size: usize = (<usize>1) << j;
    const have = size < lim ? size : lim;
    const grow = lim > size ? lim - size : 0; // entries i < grow also get i + size
    const zp = z + (j << 4);
    const y0 = <u64>load<u32>(zp), y1 = <u64>load<u32>(zp, 4), y2 = <u64>load<u32>(zp, 8), y3 = <u64>load<u32>(zp, 12);
    const w1 = <u64>mulW(<u32>y1), w2 = <u64>mulW(<u32>y2), w3 = <u64>mulW(<u32>y3);
    const hiBase = tmp + (size << 4);
    for (let i: usize = 0; i < have; i++) {
      const o = i << 4;
      const v0 = load<u32>(tmp + o), v1 = load<u32>(tmp + o, 4), v2 = load<u32>(tmp + o, 8), v3 = load<u32>(tmp + o, 12);
      const x0 = <u64>v0, x1 = <u64>v1, x2 = <u64>v2, x3 = <u64>v3;
      const c0 = <u32>((x0 * y0 + x1 * w3 + x2 * w2 + x3 * w1) % P64);
      const c1 = <u32>((x0 * y1 + x1 * y0 + x2 * w3 + x3 * w2) % P64);
      const c2 = <u32>((x0 * y2 + x1 * y1 + x2 * y0 + x3 * w3) % P64);
      const c3 = <u32>((x0 * y3 + x1 * y2 + x2 * y1 + x3 * y0) % P64);
      if (i < grow) {
        store<u32>(hiBase + o, c0);
        store<u32>(hiBase + o, c1, 4);
        store<u32>(hiBase + o, c2, 8);
        store<u32>(hiBase + o, c3, 12);
      }
      store<u32>(tmp + o, subm(v0, c0));
      store<u32>(tmp + o, subm(v1, c1), 4);
      store<u32>(tmp + o, subm(v2, c2), 8);
      store<u32>(tmp + o, subm(v3, c3), 12);
    }
  }
  const zp = z + ((k - 1) << 4);
  const y0 = <u64>load<u32>(zp), y1 = <u64>load<u32>(zp, 4), y2 = <u64>load<u32>(zp, 8), y3 = <u64>load<u32>(zp, 12);
  const w1 = <u64>mulW(<u32>y1), w2 = <u64>mulW(<u32>y2), w3 = <u64>mulW(<u32>y3);
  const grow = limit > half ? limit - half : 0;
  const hiBase = out + (half << 4);
  for (let i: usize = 0; i < lim; i++) {
    const o = i << 4;
    const v0 = load<u32>(tmp + o), v1 = load<u32>(tmp + o, 4), v2 = load<u32>(tmp + o, 8), v3 = load<u32>(tmp + o, 12);
    const x0 = <u64>v0, x1 = <u64>v1, x2 = <u64>v2, x3 = <u64>v3;
    const c0 = <u32>((x0 * y0 + x1 * w3 + x2 * w2 + x3 * w1) % P64);
    const c1 = <u32>((x0 * y1 + x1 * y0 + x2 * w3 + x3 * w2) % P64);
    const c2 = <u32>((x0 * y2 + x1 * y1 + x2 * y0 + x3 * w3) % P64);
    const c3 = <u32>((x0 * y3 + x1 * y2 + x2 * y1 + x3 * y0) % P64);
    if (i < grow) {
      const h = hiBase + o;
      store<u32>(h, addm(load<u32>(h), c0));
      store<u32>(h, addm(load<u32>(h, 4), c1), 4);
      store<u32>(h, addm(load<u32>(h, 8), c2), 8);
      store<u32>(h, addm(load<u32>(h, 12), c3), 12);
    }
    const l = out + o;
    store<u32>(l, addm(load<u32>(l), subm(v0, c0)));
    store<u32>(l, addm(load<u32>(l, 4), subm(v1, c1)), 4);
    store<u32>(l, addm(load<u32>(l, 8), subm(v2, c2)), 8);
    store<u32>(l, addm(load<u32>(l, 12), subm(v3, c3)), 12);
  }
}

/**
 * Round message of Σ_x G(x)·f(x) for an ext table G and a base table f (2·pairs elements each):
 * s(t) = Σ_i G_t[i]·f_t[i] for t = 0, 1, 2, three ext elements at out. ext × base products: four
 * u64 terms per pair and t, summed lazily. `scratch`: 192 bytes.
 */
export function ipRoundBase(out: usize, g: usize, f: usize, pairs: usize, scratch: usize): void {
  memory.fill(scratch, 0, 192);
  const a0 = scratch, a1 = scratch + 64, a2 = scratch + 128;
  for (let i: usize = 0; i < pairs; i++) {
    const gp = g + (i << 5);
    const f0 = load<u32>(f + (i << 3)), f1 = load<u32>(f + (i << 3), 4);
    const f2 = addm(f1, subm(f1, f0));
    const l0 = load<u32>(gp), l1 = load<u32>(gp, 4), l2 = load<u32>(gp, 8), l3 = load<u32>(gp, 12);
    const h0 = load<u32>(gp, 16), h1 = load<u32>(gp, 20), h2 = load<u32>(gp, 24), h3 = load<u32>(gp, 28);
    lazyScale(a0, l0, l1, l2, l3, f0);
    lazyScale(a1, h0, h1, h2, h3, f1);
    lazyScale(a2, addm(h0, subm(h0, l0)), addm(h1, subm(h1, l1)), addm(h2, subm(h2, l2)), addm(h3, subm(h3, l3)), f2);
  }
  finish4(out, a0);
  finish4(out + 16, a1);
  finish4(out + 32, a2);
}

/** out[i] = t[2i] + t[2i + 1] (ext, n outputs); out may equal t. */
export function pairSum(out: usize, t: usize, n: usize): void {
  for (let i: usize = 0; i < n; i++) {
    const p = t + (i << 5);
    const o = out + (i << 4);
    const s0 = addm(load<u32>(p), load<u32>(p, 16)), s1 = addm(load<u32>(p, 4), load<u32>(p, 20));
    const s2 = addm(load<u32>(p, 8), load<u32>(p, 24)), s3 = addm(load<u32>(p, 12), load<u32>(p, 28));
    store<u32>(o, s0);
    store<u32>(o, s1, 4);
    store<u32>(o, s2, 8);
    store<u32>(o, s3, 12);
  }
}

/**
 * Round message of Σ_x G(x)·F(x) for two ext tables (2·pairs elements each): s(t) = Σ_i G_t[i]·F_t[i]
 * for t = 0, 2, and t = 1 when withOne (else zero), three ext elements at out; lazy convolution
 * sums per t. `scratch`: 3·112 bytes.
 */
export function ipRoundExt(out: usize, g: usize, f: usize, pairs: usize, withOne: bool, scratch: usize): void {
  memory.fill(scratch, 0, 336);
  for (let i: usize = 0; i < pairs; i++) {
    const pg = g + (i << 5), pf = f + (i << 5);
    lazyConv(scratch, load<u32>(pg), load<u32>(pg, 4), load<u32>(pg, 8), load<u32>(pg, 12), load<u32>(pf), load<u32>(pf, 4), load<u32>(pf, 8), load<u32>(pf, 12));
    if (withOne) lazyConv(scratch + 112, load<u32>(pg, 16), load<u32>(pg, 20), load<u32>(pg, 24), load<u32>(pg, 28), load<u32>(pf, 16), load<u32>(pf, 20), load<u32>(pf, 24), load<u32>(pf, 28));
    lazyConv(scratch + 224, at2(pg, 0), at2(pg, 4), at2(pg, 8), at2(pg, 12), at2(pf, 0), at2(pf, 4), at2(pf, 8), at2(pf, 12));
  }
  for (let t: usize = 0; t < 3; t++) finishConv(out + (t << 4), scratch + t * 112);
}

/** Stores four u64 sums of canonical values, reduced, as an ext element. */
// @ts-ignore: decorator
@inline function store4(out: usize, a: u64, b: u64, c: u64, d: u64): void {
  store<u32>(out, <u32>(a % P64));
  store<u32>(out, <u32>(b % P64), 4);
  store<u32>(out, <u32>(c % P64), 8);
  store<u32>(out, <u32>(d % P64), 12);
}

/**
 * GKR layer round with the eq factor split off (Gruen): h(t) = Σ_i w[i]·(p0·q1 + q0·u)_t[i] for
 * t = 0, 2, and t = 1 when withOne (else zero), three ext elements at out. p0, q0, q1, u: ext
 * tables of 2·pairs elements; w: pairs ext weights. The gate is reduced (two products), then
 * multiplied by w lazily. `scratch`: 3·112 + 32 bytes.
 */
export function fracRound(out: usize, p0: usize, q0: usize, q1: usize, u: usize, w: usize, pairs: usize, withOne: bool, scratch: usize): void {
  memory.fill(scratch, 0, 336);
  const tmp = scratch + 336;
  for (let i: usize = 0; i < pairs; i++) {
    const io = i << 5;
    const pa = p0 + io, pb = q1 + io, pc = q0 + io, pd = u + io;
    const wp = w + (i << 4);
    const w0 = load<u32>(wp), w1 = load<u32>(wp, 4), w2 = load<u32>(wp, 8), w3 = load<u32>(wp, 12);
    for (let t: usize = 0; t < 3; t++) {
      if (t == 1 && !withOne) continue;
      // value at t: t = 0 lo, t = 1 hi, t = 2 hi + (hi − lo)
      let a0: u32, a1: u32, a2: u32, a3: u32, b0: u32, b1: u32, b2: u32, b3: u32;
      let c0: u32, c1: u32, c2: u32, c3: u32, d0: u32, d1: u32, d2: u32, d3: u32;
      if (t == 0) {
        a0 = load<u32>(pa); a1 = load<u32>(pa, 4); a2 = load<u32>(pa, 8); a3 = load<u32>(pa, 12);
        b0 = load<u32>(pb); b1 = load<u32>(pb, 4); b2 = load<u32>(pb, 8); b3 = load<u32>(pb, 12);
        c0 = load<u32>(pc); c1 = load<u32>(pc, 4); c2 = load<u32>(pc, 8); c3 = load<u32>(pc, 12);
        d0 = load<u32>(pd); d1 = load<u32>(pd, 4); d2 = load<u32>(pd, 8); d3 = load<u32>(pd, 12);
      } else if (t == 1) {
        a0 = load<u32>(pa, 16); a1 = load<u32>(pa, 20); a2 = load<u32>(pa, 24); a3 = load<u32>(pa, 28);
        b0 = load<u32>(pb, 16); b1 = load<u32>(pb, 20); b2 = load<u32>(pb, 24); b3 = load<u32>(pb, 28);
        c0 = load<u32>(pc, 16); c1 = load<u32>(pc, 20); c2 = load<u32>(pc, 24); c3 = load<u32>(pc, 28);
        d0 = load<u32>(pd, 16); d1 = load<u32>(pd, 20); d2 = load<u32>(pd, 24); d3 = load<u32>(pd, 28);
      } else {
        a0 = at2(pa, 0); a1 = at2(pa, 4); a2 = at2(pa, 8); a3 = at2(pa, 12);
        b0 = at2(pb, 0); b1 = at2(pb, 4); b2 = at2(pb, 8); b3 = at2(pb, 12);
        c0 = at2(pc, 0); c1 = at2(pc, 4); c2 = at2(pc, 8); c3 = at2(pc, 12);
        d0 = at2(pd, 0); d1 = at2(pd, 4); d2 = at2(pd, 8); d3 = at2(pd, 12);
      }
      extMulTo(tmp, a0, a1, a2, a3, b0, b1, b2, b3);
      extMulTo(tmp + 16, c0, c1, c2, c3, d0, d1, d2, d3);
      lazyConv(scratch + t * 112, w0, w1, w2, w3,
        addm(load<u32>(tmp), load<u32>(tmp, 16)), addm(load<u32>(tmp, 4), load<u32>(tmp, 20)),
        addm(load<u32>(tmp, 8), load<u32>(tmp, 24)), addm(load<u32>(tmp, 12), load<u32>(tmp, 28)));
    }
  }
  for (let t: usize = 0; t < 3; t++) finishConv(out + (t << 4), scratch + t * 112);
}

/** Coefficient (byte offset k) of a table pair's value at t = 2: hi + (hi − lo). */
// @ts-ignore: decorator
@inline function at2(p: usize, k: usize): u32 {
  const hi = load<u32>(p + k, 16);
  return addm(hi, subm(hi, load<u32>(p + k)));
}

/**
 * GKR round for unit numerators, in terms of two ext tables a, b (2·pairs elements each) and
 * weights w: S_t = Σ_i w[i]·(a + b)_t[i] and Π_t = Σ_i w[i]·(a·b)_t[i], written to out as
 * S_0, Π_0, S_1, Π_1, S_2, Π_2 (t = 1 zero unless withOne). `scratch`: 6·112 + 16 bytes.
 */
export function fracRoundUnit(out: usize, a: usize, b: usize, w: usize, pairs: usize, withOne: bool, scratch: usize): void {
  memory.fill(scratch, 0, 672);
  const tmp = scratch + 672;
  for (let i: usize = 0; i < pairs; i++) {
    const io = i << 5;
    const pa = a + io, pb = b + io;
    const wp = w + (i << 4);
    const w0 = load<u32>(wp), w1 = load<u32>(wp, 4), w2 = load<u32>(wp, 8), w3 = load<u32>(wp, 12);
    for (let t: usize = 0; t < 3; t++) {
      if (t == 1 && !withOne) continue;
      let a0: u32, a1: u32, a2: u32, a3: u32, b0: u32, b1: u32, b2: u32, b3: u32;
      if (t == 0) {
        a0 = load<u32>(pa); a1 = load<u32>(pa, 4); a2 = load<u32>(pa, 8); a3 = load<u32>(pa, 12);
        b0 = load<u32>(pb); b1 = load<u32>(pb, 4); b2 = load<u32>(pb, 8); b3 = load<u32>(pb, 12);
      } else if (t == 1) {
        a0 = load<u32>(pa, 16); a1 = load<u32>(pa, 20); a2 = load<u32>(pa, 24); a3 = load<u32>(pa, 28);
        b0 = load<u32>(pb, 16); b1 = load<u32>(pb, 20); b2 = load<u32>(pb, 24); b3 = load<u32>(pb, 28);
      } else {
        a0 = at2(pa, 0); a1 = at2(pa, 4); a2 = at2(pa, 8); a3 = at2(pa, 12);
        b0 = at2(pb, 0); b1 = at2(pb, 4); b2 = at2(pb, 8); b3 = at2(pb, 12);
      }
      extMulTo(tmp, a0, a1, a2, a3, b0, b1, b2, b3);
      const acc = scratch + t * 224;
      lazyConv(acc, w0, w1, w2, w3, addm(a0, b0), addm(a1, b1), addm(a2, b2), addm(a3, b3));
      lazyConv(acc + 112, w0, w1, w2, w3, load<u32>(tmp), load<u32>(tmp, 4), load<u32>(tmp, 8), load<u32>(tmp, 12));
    }
  }
  for (let t: usize = 0; t < 6; t++) finishConv(out + (t << 4), scratch + t * 112);
}

/**
 * The same sums for base tables a, b (2·pairs elements each): S_t = Σ w·(a + b)_t and
 * Π_t = Σ w·(a·b)_t with (a + b)_t, (a·b)_t base values — four u64 products each. Output as in
 * fracRoundUnit. `scratch`: 6·64 bytes.
 */
export function fracRoundLeaves(out: usize, a: usize, b: usize, w: usize, pairs: usize, withOne: bool, scratch: usize): void {
  memory.fill(scratch, 0, 384);
  for (let i: usize = 0; i < pairs; i++) {
    const a0 = load<u32>(a + (i << 3)), a1 = load<u32>(a + (i << 3), 4);
    const b0 = load<u32>(b + (i << 3)), b1 = load<u32>(b + (i << 3), 4);
    const wp = w + (i << 4);
    const w0 = load<u32>(wp), w1 = load<u32>(wp, 4), w2 = load<u32>(wp, 8), w3 = load<u32>(wp, 12);
    lazyScale(scratch, w0, w1, w2, w3, addm(a0, b0));
    lazyScale(scratch + 64, w0, w1, w2, w3, mulm(a0, b0));
    if (withOne) {
      lazyScale(scratch + 128, w0, w1, w2, w3, addm(a1, b1));
      lazyScale(scratch + 192, w0, w1, w2, w3, mulm(a1, b1));
    }
    const a2 = addm(a1, subm(a1, a0)), b2 = addm(b1, subm(b1, b0));
    lazyScale(scratch + 256, w0, w1, w2, w3, addm(a2, b2));
    lazyScale(scratch + 320, w0, w1, w2, w3, mulm(a2, b2));
  }
  for (let t: usize = 0; t < 6; t++) finish4(out + (t << 4), scratch + (t << 6));
}

/**
 * One GKR layer up (ext, n outputs, children at [0, n) and [n, 2n)):
 * np[i] = p[i]·q[i+n] + p[i+n]·q[i], nq[i] = q[i]·q[i+n]. `scratch`: 32 bytes.
 */
export function fracParent(np: usize, nq: usize, p: usize, q: usize, n: usize, scratch: usize): void {
  const hb = n << 4;
  for (let i: usize = 0; i < n; i++) {
    const o = i << 4;
    const pa = p + o, pb = pa + hb, qa = q + o, qb = qa + hb;
    const q0 = load<u32>(qa), q1 = load<u32>(qa, 4), q2 = load<u32>(qa, 8), q3 = load<u32>(qa, 12);
    const r0 = load<u32>(qb), r1 = load<u32>(qb, 4), r2 = load<u32>(qb, 8), r3 = load<u32>(qb, 12);
    extMulTo(scratch, load<u32>(pa), load<u32>(pa, 4), load<u32>(pa, 8), load<u32>(pa, 12), r0, r1, r2, r3);
    extMulTo(scratch + 16, load<u32>(pb), load<u32>(pb, 4), load<u32>(pb, 8), load<u32>(pb, 12), q0, q1, q2, q3);
    const po = np + o;
    store<u32>(po, addm(load<u32>(scratch), load<u32>(scratch, 16)));
    store<u32>(po, addm(load<u32>(scratch, 4), load<u32>(scratch, 20)), 4);
    store<u32>(po, addm(load<u32>(scratch, 8), load<u32>(scratch, 24)), 8);
    store<u32>(po, addm(load<u32>(scratch, 12), load<u32>(scratch, 28)), 12);
    extMulTo(nq + o, q0, q1, q2, q3, r0, r1, r2, r3);
  }
}

/**
 * The layer above unit-numerator leaves (p = 1, q = α − e for base e; children at [0, n) and
 * [n, 2n)): np[i] = 2α − (e_i + e_{i+n}), nq[i] = α² − (e_i + e_{i+n})·α + e_i·e_{i+n}, with α and
 * α² passed as coefficients.
 */
export function unitParent(
  np: usize, nq: usize, e: usize, n: usize,
  x0: u32, x1: u32, x2: u32, x3: u32, y0: u32, y1: u32, y2: u32, y3: u32,
): void {
  const d0 = addm(x0, x0), d1 = addm(x1, x1), d2 = addm(x2, x2), d3 = addm(x3, x3);
  const hb = n << 2;
  for (let i: usize = 0; i < n; i++) {
    const a = load<u32>(e + (i << 2)), b = load<u32>(e + (i << 2) + hb);
    const s = addm(a, b);
    const o = i << 4;
    store<u32>(np + o, subm(d0, s));
    store<u32>(np + o, d1, 4);
    store<u32>(np + o, d2, 8);
    store<u32>(np + o, d3, 12);
    store<u32>(nq + o, addm(subm(y0, mulm(s, x0)), mulm(a, b)));
    store<u32>(nq + o, subm(y1, mulm(s, x1)), 4);
    store<u32>(nq + o, subm(y2, mulm(s, x2)), 8);
    store<u32>(nq + o, subm(y3, mulm(s, x3)), 12);
  }
}
