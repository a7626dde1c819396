/**
 * Randomness and masking rows of the zero-knowledge Ligero proof (`./zk-ligero.ts`).
 *
 * Randomness. A `RandomSource` fills a byte array; the default is `crypto.getRandomValues`
 * (Web Crypto, in browsers and Node ≥ 19, looked up at call time so that importing this module
 * needs no global), tests inject a seeded one. Field elements are drawn by rejection: a 31-bit
 * word is accepted iff < p, so they are exactly uniform given uniform bytes.
 *
 * Reproducible commitments. `seededRandom(seed)` is SHA-256 in counter mode,
 * block_i = SHA256(0x00 ‖ "zkinfer/zk-ligero/seeded-random/v1" ‖ seed ‖ LE64(i)), read as one byte
 * stream (the output does not depend on how the reads are split). Committing with it makes the
 * commitment a function of (w, params, seed), so a model owner stores a 32-byte seed instead of
 * the prover data and re-creates the data on demand. Hiding is then computational: the seed is as
 * secret as the weights (whoever knows it recomputes every row's randomness and salt, hence w
 * from any t opened columns), and one seed serves one vector (two vectors committed with the same
 * seed share their randomness: opened columns reveal their difference). A seeded source is
 * marked reproducible, and proofs never draw their per-proof randomness from it (a re-created
 * source would replay the masks and salts of an earlier proof; `isReproducible`).
 *
 * Masks. The proof's second tree starts with 20 rows, all of them codewords of RS[N, L] like
 * every other committed row; K-valued masks take four rows each, one per u-coefficient:
 *
 *   rows  0– 3  m            uniform, degree < L                 P0 = γᵀU + m
 *   rows  4– 7  a            uniform, degree < L, Σ_H a = 0       Q_lin mask  a + Z_H·b
 *   rows  8–11  b            uniform, degree < L − 1
 *   rows 12–15  c0           uniform, degree < L                  Q_quad mask Z_H·(c0 + X^{k−1}·c1)
 *   rows 16–19  c1           uniform, degree < L
 *
 * Why these shapes. Each test polynomial must be uniform over the polynomials that pass the
 * verifier's identity (degree, Σ_H, vanishing on H), and the mask rows' own opened values must
 * reveal nothing beyond what the column checks fix:
 *   - a + Z_H·b is uniform over {deg < C + L − 1, Σ_H = 0}: f = (f mod Z_H) + Z_H·(f div Z_H)
 *     with Σ_H (f mod Z_H) = Σ_H f, so (a, b) ↦ a + Z_H·b is onto; its kernel {a = −Z_H·b,
 *     deg b < k} makes b's values at t ≤ k opened points uniform given the polynomial, and a's
 *     are then fixed by the column check.
 *   - Z_H·(c0 + X^{k−1}·c1) is uniform over {deg < 2L − 1, Z_H | f}: (c0, c1) ↦ c0 + X^{k−1}c1 is
 *     onto the degree < C + 2k − 1 = L + k − 1 polynomials, with kernel {c0 = −X^{k−1}·c1,
 *     deg c1 < C + 1}, so c1's values at t ≤ C + 1 points are uniform given it. The degree k − 1
 *     (rather than C or L) keeps a cheating prover's mask, whatever rows it commits, of degree ≤
 *     2L − 2 — the product degree the quadratic test's query term counts — and vanishing on H.
 *   - a + Z_H·b has degree ≤ C + L − 1 for any committed a, b, the linear test's query term.
 * The verifier evaluates the masks from the opened rows with these same formulas.
 */
import { P, add, mul, sub } from '../field/babybear.js';
import { type Ext, ext } from '../field/extension.js';
import { DIGEST_BYTES, hashLeavesInto } from '../hash/sha256.js';
import type { ZkCodeShape } from './zk-ligero-params.js';

export type RandomSource = (out: Uint8Array) => void;

/** Web Crypto randomness, in chunks of 64 KiB (the getRandomValues limit). */
export const cryptoRandom: RandomSource = (out) => {
  const c = (globalThis as { crypto?: { getRandomValues?: (b: Uint8Array) => Uint8Array } }).crypto;
  if (!c || typeof c.getRandomValues !== 'function') throw new Error('zk-ligero: no crypto.getRandomValues in this environment; pass a RandomSource');
  for (let o = 0; o < out.length; o += 65536) c.getRandomValues(out.subarray(o, Math.min(out.length, o + 65536)));
};

/** Uniform 32-bit words drawn from a byte source (pads reproducible from a seeded stream). */
export function wordsOf(rng: RandomSource): (n: number) => Uint32Array {
  return (n) => {
    const b = new Uint8Array(4 * n);
    rng(b);
    return new Uint32Array(b.buffer);
  };
}

/** Least seed length of `seededRandom` (256 bits). */
export const MIN_SEED_BYTES = 32;
const SEED_TAG = new TextEncoder().encode('zkinfer/zk-ligero/seeded-random/v1');
/** Blocks hashed per refill of a seeded stream (128 KiB). */
const SEED_BATCH = 4096;
const reproducible = new WeakSet<RandomSource>();

/**
 * A reproducible RandomSource: SHA-256 in counter mode over a secret seed of at least 32 bytes
 * (see the header). Throws a TypeError on a shorter seed.
 */
export function seededRandom(seed: Uint8Array): RandomSource {
  if (!(seed instanceof Uint8Array) || seed.length < MIN_SEED_BYTES) {
    throw new TypeError(`seededRandom: expected a secret seed of at least ${MIN_SEED_BYTES} bytes, got ${seed instanceof Uint8Array ? `${seed.length} bytes` : typeof seed}`);
  }
  const key = seed.slice(); // the caller may reuse its array
  const leafSize = SEED_TAG.length + key.length + 8;
  let counter = 0;
  let block = new Uint8Array(0);
  let pos = 0;
  const refill = (wanted: number) => {
    const n = Math.min(SEED_BATCH, Math.max(1, Math.ceil(wanted / DIGEST_BYTES)));
    const pre = new Uint8Array(n * leafSize);
    const dv = new DataView(pre.buffer);
    for (let i = 0; i < n; i++, counter++) {
      const o = i * leafSize;
      pre.set(SEED_TAG, o);
      pre.set(key, o + SEED_TAG.length);
      dv.setUint32(o + leafSize - 8, counter % 2 ** 32, true);
      dv.setUint32(o + leafSize - 4, Math.floor(counter / 2 ** 32), true);
    }
    block = new Uint8Array(n * DIGEST_BYTES);
    hashLeavesInto(block, pre, leafSize);
    pos = 0;
  };
  const source: RandomSource = (out) => {
    for (let o = 0; o < out.length; ) {
      if (pos === block.length) refill(out.length - o);
      const n = Math.min(block.length - pos, out.length - o);
      out.set(block.subarray(pos, pos + n), o);
      pos += n;
      o += n;
    }
  };
  reproducible.add(source);
  return source;
}

/** Whether `rng` came from `seededRandom` (its output can be replayed). */
export function isReproducible(rng: RandomSource): boolean {
  return reproducible.has(rng);
}

/** n uniform field elements from `rng` (rejection sampling of 31-bit words). */
export function randomField(rng: RandomSource, n: number): Uint32Array {
  const out = new Uint32Array(n);
  let filled = 0;
  while (filled < n) {
    const want = Math.ceil((n - filled) * 1.07) + 4;
    const bytes = new Uint8Array(4 * want);
    rng(bytes);
    for (let i = 0; i < want && filled < n; i++) {
      const w = (bytes[4 * i] | (bytes[4 * i + 1] << 8) | (bytes[4 * i + 2] << 16) | (bytes[4 * i + 3] << 24)) & 0x7fffffff;
      if (w < P) out[filled++] = w;
    }
  }
  return out;
}

/** Random bytes from `rng`. */
export function randomBytes(rng: RandomSource, n: number): Uint8Array {
  const out = new Uint8Array(n);
  rng(out);
  return out;
}

export const MASK_ROWS = 20;
export const ROW_PROX = 0;
export const ROW_LIN_A = 4;
export const ROW_LIN_B = 8;
export const ROW_QUAD_0 = 12;
export const ROW_QUAD_1 = 16;

/** Fresh masks: 20 coefficient rows of L words (see the header). */
export function sampleMasks(s: ZkCodeShape, rng: RandomSource): Uint32Array {
  const { L, C } = s;
  const out = randomField(rng, MASK_ROWS * L);
  for (let r = ROW_LIN_A; r < ROW_LIN_A + 4; r++) {
    // Σ_H a = C·Σ_{i ≡ 0 mod C} a_i: make the sum of those coefficients zero
    let acc = 0;
    for (let i = C; i < L; i += C) acc = add(acc, out[r * L + i]);
    out[r * L] = sub(0, acc);
  }
  for (let r = ROW_LIN_B; r < ROW_LIN_B + 4; r++) out[r * L + L - 1] = 0;
  return out;
}

/** The K polynomial of four coefficient rows (rows r0..r0+3 of `rows`, L words each), length `len` ≥ L. */
function extRows(rows: Uint32Array, L: number, r0: number, len: number, shift = 0): Uint32Array {
  const out = new Uint32Array(4 * len);
  for (let c = 0; c < 4; c++) {
    const o = (r0 + c) * L;
    for (let i = 0; i < L; i++) out[4 * (i + shift) + c] = rows[o + i];
  }
  return out;
}

/** The proximity mask m (K, L coefficients). */
export function proximityMask(masks: Uint32Array, s: ZkCodeShape): Uint32Array {
  return extRows(masks, s.L, ROW_PROX, s.L);
}

/** The linear mask a + Z_H·b = a − b + X^C·b (K, C + L − 1 coefficients; b has degree < L − 1). */
export function linearMask(masks: Uint32Array, s: ZkCodeShape): Uint32Array {
  const { L, C, linDegree } = s;
  const out = extRows(masks, L, ROW_LIN_A, linDegree);
  for (let c = 0; c < 4; c++) {
    const o = (ROW_LIN_B + c) * L;
    for (let i = 0; i < L - 1; i++) {
      const b = masks[o + i];
      out[4 * i + c] = sub(out[4 * i + c], b);
      out[4 * (C + i) + c] = add(out[4 * (C + i) + c], b);
    }
  }
  return out;
}

/** The quadratic mask Z_H·(c0 + X^{k−1}·c1) (K, 2L − 1 coefficients). */
export function quadraticMask(masks: Uint32Array, s: ZkCodeShape): Uint32Array {
  const { L, C, k, quadDegree } = s;
  const gLen = L + k - 1; // deg(c0 + X^{k−1}c1) < L + k − 1
  const g = extRows(masks, L, ROW_QUAD_0, gLen);
  const c1 = extRows(masks, L, ROW_QUAD_1, gLen, k - 1);
  for (let i = 0; i < 4 * gLen; i++) g[i] = add(g[i], c1[i]);
  const out = new Uint32Array(4 * quadDegree); // Z_H·g = X^C·g − g
  for (let i = 0; i < 4 * gLen; i++) {
    out[i] = sub(out[i], g[i]);
    out[i + 4 * C] = add(out[i + 4 * C], g[i]);
  }
  return out;
}

/** The K value of four consecutive rows of an opened column: Σ_c u^c·col[r0 + c]. */
export function rowsValue(col: Uint32Array, r0: number): Ext {
  return ext(col[r0], col[r0 + 1], col[r0 + 2], col[r0 + 3]);
}

/** a(x) + Z_H(x)·b(x) from an opened tree-B column, Z_H(x) = zh. */
export function linearMaskAt(colB: Uint32Array, zh: number): Ext {
  const out = ext();
  for (let c = 0; c < 4; c++) out[c] = add(colB[ROW_LIN_A + c], mul(zh, colB[ROW_LIN_B + c]));
  return out;
}

/** Z_H(x)·(c0(x) + x^{k−1}·c1(x)) from an opened tree-B column; xk1 = x^{k−1}. */
export function quadraticMaskAt(colB: Uint32Array, zh: number, xk1: number): Ext {
  const out = ext();
  for (let c = 0; c < 4; c++) out[c] = mul(zh, add(colB[ROW_QUAD_0 + c], mul(xk1, colB[ROW_QUAD_1 + c])));
  return out;
}
