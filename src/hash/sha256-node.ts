/**
 * SHA-256 specialised to the Merkle node preimage 0x01 ‖ l ‖ r (65 bytes), in plain JS.
 *
 * A 65-byte message pads to exactly two 64-byte blocks (FIPS 180-4 §5.1.1):
 *   block 1 = 0x01 ‖ (l ‖ r)[0..63)
 *   block 2 = (l ‖ r)[63] ‖ 0x80 ‖ 0^53 ‖ BE64(520)        (520 = 65·8 bits)
 * so W[0] of block 2 is byte63·2^24 + 0x80·2^16, W[1..14] = 0, W[15] = 520, and the whole
 * 64-word message schedule of block 2 depends on byte63 alone: it is precomputed for all 256
 * values (64 KiB) and block 2 runs only the 64 rounds.
 *
 * Why it exists: for 65-byte inputs the cost of a call into node:crypto (a fresh Buffer per
 * digest) dominates; this routine runs ~2× faster than `crypto.hash` there and ~3× faster than
 * the generic noble path, and tree building is ~2^16 such hashes per commitment. It computes
 * exactly SHA-256; tests compare it with node:crypto and @noble/hashes on random inputs.
 * Fragile: benchmark any change (keep the state in locals, Int32 arithmetic, no allocation).
 */

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/** Scratch message schedule and chaining state (the function is synchronous, non-reentrant). */
const W = new Int32Array(64);
const H = new Int32Array(8);

function expand(w: Int32Array, off: number): void {
  for (let i = off + 16; i < off + 64; i++) {
    const a = w[i - 15];
    const b = w[i - 2];
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
  }
}

/** Block-2 schedules indexed by the last message byte, with K[i] pre-added: T2[64b + i]. */
const T2 = (() => {
  const t = new Int32Array(256 * 64);
  for (let b = 0; b < 256; b++) {
    const o = 64 * b;
    t[o] = (b << 24) | 0x800000;
    t[o + 15] = 520;
    expand(t, o);
    for (let i = 0; i < 64; i++) t[o + i] = (t[o + i] + K[i]) | 0;
  }
  return t;
})();

/** 64 rounds on H with round inputs kw[o + i] = K[i] + W[i]. */
function rounds(kw: Int32Array, o: number): void {
  let a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + kw[o + i]) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = (H[0] + a) | 0;
  H[1] = (H[1] + b) | 0;
  H[2] = (H[2] + c) | 0;
  H[3] = (H[3] + d) | 0;
  H[4] = (H[4] + e) | 0;
  H[5] = (H[5] + f) | 0;
  H[6] = (H[6] + g) | 0;
  H[7] = (H[7] + h) | 0;
}

/**
 * out[outOff..outOff+32) = SHA256(0x01 ‖ src[srcOff..srcOff+64)). Reads all input before
 * writing, so out and src may alias. Trusts its offsets.
 */
export function hashNodeJs(out: Uint8Array, outOff: number, src: Uint8Array, srcOff: number): void {
  H.set(IV);
  const s = srcOff;
  W[0] = (0x01 << 24) | (src[s] << 16) | (src[s + 1] << 8) | src[s + 2];
  for (let i = 1; i < 16; i++) {
    const p = s + 4 * i - 1;
    W[i] = (src[p] << 24) | (src[p + 1] << 16) | (src[p + 2] << 8) | src[p + 3];
  }
  expand(W, 0);
  for (let i = 0; i < 64; i++) W[i] = (W[i] + K[i]) | 0;
  rounds(W, 0);
  rounds(T2, 64 * src[s + 63]);
  for (let i = 0, o = outOff; i < 8; i++, o += 4) {
    const v = H[i];
    out[o] = v >>> 24;
    out[o + 1] = (v >>> 16) & 0xff;
    out[o + 2] = (v >>> 8) & 0xff;
    out[o + 3] = v & 0xff;
  }
}
