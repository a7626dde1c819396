/**
 * Integer kernels of the linear layers (Gemm/MatMul with constant weights, Conv, MatMul of two
 * activations). The semantics is the exact integer accumulator
 *   acc = Σ_k x_k·w_k (+ bias),   q = floor((acc + 2^(s−1)) · 2^−s)   (s > 0; q = acc·2^−s for s ≤ 0)
 * i.e. round half up of acc / 2^s (PROTOCOL-NOTES §7), the division computed on doubles, exact
 * below 2^53. `*Reference` below is that definition written as plain double loops.
 *
 * The fast paths compute the dot products in 32-bit integers (WebAssembly SIMD, `./int8-wasm.ts`,
 * or `Math.imul` loops) and are bit-identical to the reference because each call first checks
 * K·|x|max·128 < 2^31 (weights are int8; for MatMul K·|a|max·|b|max): then the exact sum lies in
 * the int32 range and the int32 sum mod 2^32 equals it. Int8 activations pass for any K < 2^17;
 * other layers take the reference path. Biases must be integers below 2^52 (they are: the
 * compiler rounds them), so (dot + bias) + half is exact in any order. Nothing is cached per
 * layer: weights, scales and biases are read on every call, so a layer changed in place (as a
 * soundness test might) gives the changed result. Fragile: benchmark any change
 * (`npm run bench:infer`).
 */
import type { ConvLayer, GemmLayer, MatMulLayer } from '../../quantize/layers.js';
import { loadInt8Mm, type Int8Mm } from './int8-wasm.js';

export type LinearBackend = 'auto' | 'js' | 'reference';
let backend: LinearBackend = 'auto';

/** Select the kernels (tests compare them): 'auto' = WebAssembly SIMD where available, else JS. */
export function setLinearBackend(b: LinearBackend): void {
  backend = b;
}

const LIM = 2 ** 31;
const wasm = (): Int8Mm | null => (backend === 'auto' ? loadInt8Mm() : null);
const up = (v: number, m: number): number => Math.ceil(v / m) * m || m;

// ---------------------------------------------------------------- reference (the definition)

export function gemmReference(L: GemmLayer, x: Int32Array, out: Int32Array): void {
  const { K, N, w, bias, shift } = L;
  const rows = (x.length / K) | 0;
  const biasFull = bias !== null && bias.length !== N;
  for (let r = 0; r < rows; r++) {
    for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += x[r * K + k] * w[n * K + k];
      if (bias !== null) acc += biasFull ? bias[r * N + n] : bias[n];
      const s = shift[n];
      out[r * N + n] = Math.floor((acc + (s > 0 ? 2 ** (s - 1) : 0)) * 2 ** -s);
    }
  }
}

export function convReference(L: ConvLayer, x: Int32Array, out: Int32Array): void {
  const { C, H, W, Co, KH, KW, OH, OW, sh, sw, pt, pl, dh, dw, group, w, bias, shift } = L;
  const batch = (x.length / (C * H * W)) | 0;
  const Cg = C / group;
  const Cog = Co / group;
  for (let b = 0; b < batch; b++) {
    for (let co = 0; co < Co; co++) {
      const g = Math.floor(co / Cog);
      const s = shift[co];
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let acc = bias !== null ? bias[co] : 0;
          for (let ci = 0; ci < Cg; ci++) {
            for (let i = 0; i < KH; i++) {
              const ih = oh * sh + i * dh - pt;
              for (let j = 0; j < KW; j++) {
                const iw = ow * sw + j * dw - pl;
                if (ih >= 0 && ih < H && iw >= 0 && iw < W) acc += x[((b * C + g * Cg + ci) * H + ih) * W + iw] * w[((co * Cg + ci) * KH + i) * KW + j];
              }
            }
          }
          out[((b * Co + co) * OH + oh) * OW + ow] = Math.floor((acc + (s > 0 ? 2 ** (s - 1) : 0)) * 2 ** -s);
        }
      }
    }
  }
}

export function matmulReference(L: MatMulLayer, a: Int32Array, b: Int32Array, out: Int32Array): void {
  const { M, K, N, aOff, bOff, shift } = L;
  for (let t = 0; t < aOff.length; t++) {
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += a[aOff[t] + m * K + k] * b[bOff[t] + k * N + n];
        out[t * M * N + m * N + n] = Math.floor((acc + (shift > 0 ? 2 ** (shift - 1) : 0)) * 2 ** -shift);
      }
    }
  }
}

// ---------------------------------------------------------------- shared pieces

/** Per output column: mul = 2^−s, half = 2^(s−1) or 0, so q = floor((acc + half)·mul). */
function scales(shift: Int32Array): { mul: Float64Array; half: Float64Array } {
  const mul = new Float64Array(shift.length);
  const half = new Float64Array(shift.length);
  for (let n = 0; n < shift.length; n++) {
    const s = shift[n];
    mul[n] = 2 ** -s;
    half[n] = s > 0 ? 2 ** (s - 1) : 0;
  }
  return { mul, half };
}

/** Integer biases below 2^52 keep (dot + bias) + half exact whatever the order of additions. */
function integralBias(bias: Float64Array | null): boolean {
  if (bias === null) return true;
  for (let i = 0; i < bias.length; i++) if (!Number.isInteger(bias[i]) || Math.abs(bias[i]) >= 2 ** 52) return false;
  return true;
}

let lo = 0;
let hi = 0;
/** Sets lo/hi to min(0, x) / max(0, x) over x[off, off + n). */
function range(x: Int32Array, off: number, n: number): void {
  let a = 0;
  let b = 0;
  for (let i = off; i < off + n; i++) {
    const v = x[i];
    if (v < a) a = v;
    else if (v > b) b = v;
  }
  lo = a;
  hi = b;
}
const absMax = (): number => Math.max(-lo, hi);
const fitsI16 = (): boolean => lo >= -32768 && hi <= 32767;
const a16 = (v: number): number => (v + 15) & ~15;

let js32 = new Int32Array(1024);
/** A reusable Int32Array scratch of at least n elements (JS paths). */
function scratch32(n: number): Int32Array {
  if (js32.length < n) js32 = new Int32Array(Math.max(n, 2 * js32.length));
  return js32;
}

/**
 * JS path: acc[r·N + n] = Σ_k x[xo + r·K + k]·w[wo + n·K + k] in int32 (`Math.imul`, `| 0`), four
 * columns per pass so each x value is loaded once for four weights. Exact under the 2^31 check.
 */
function mmJs(x: Int32Array, xo: number, w: Int8Array | Int32Array, wo: number, acc: Int32Array, R: number, N: number, K: number): void {
  for (let r = 0; r < R; r++) {
    const xr = xo + r * K;
    const or = r * N;
    let n = 0;
    for (; n + 3 < N; n += 4) {
      const w0 = wo + n * K;
      const w1 = w0 + K;
      const w2 = w1 + K;
      const w3 = w2 + K;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let k = 0; k < K; k++) {
        const v = x[xr + k];
        a0 = (a0 + Math.imul(v, w[w0 + k])) | 0;
        a1 = (a1 + Math.imul(v, w[w1 + k])) | 0;
        a2 = (a2 + Math.imul(v, w[w2 + k])) | 0;
        a3 = (a3 + Math.imul(v, w[w3 + k])) | 0;
      }
      acc[or + n] = a0;
      acc[or + n + 1] = a1;
      acc[or + n + 2] = a2;
      acc[or + n + 3] = a3;
    }
    for (; n < N; n++) {
      const wn = wo + n * K;
      let a0 = 0;
      for (let k = 0; k < K; k++) a0 = (a0 + Math.imul(x[xr + k], w[wn + k])) | 0;
      acc[or + n] = a0;
    }
  }
}

// ---------------------------------------------------------------- Gemm

/** Raw requantized outputs; the caller clamps and counts saturations. */
export function gemmKernel(L: GemmLayer, x: Int32Array, out: Int32Array): void {
  const { K, N, w, bias, shift } = L;
  const rows = (x.length / K) | 0;
  if (backend === 'reference' || K === 0 || rows === 0) return gemmReference(L, x, out);
  range(x, 0, rows * K);
  if (absMax() * 128 * K >= LIM || !integralBias(bias)) return gemmReference(L, x, out);
  const { mul, half } = scales(shift);
  const mm = wasm();
  let acc: Int32Array;
  let ao: number;
  let stride: number;
  if (mm && fitsI16()) {
    // [weights as stored + slack | x rows padded to Kp with zeros | out rows of Np]
    const Kp = up(K, 8);
    const Np = up(N, 4);
    const xAddr = a16(N * K + 4 * K + 16);
    const oAddr = xAddr + rows * Kp * 2;
    mm.scratch(oAddr + rows * Np * 4);
    mm.i8.set(w, 0);
    const x16 = mm.i16;
    for (let r = 0; r < rows; r++) {
      const d = (xAddr >> 1) + r * Kp;
      for (let k = 0; k < K; k++) x16[d + k] = x[r * K + k];
      x16.fill(0, d + K, d + Kp);
    }
    mm.mm(xAddr, 0, oAddr, rows, Np, Kp, K);
    acc = mm.i32;
    ao = oAddr >> 2;
    stride = Np;
  } else {
    acc = scratch32(rows * N);
    mmJs(x, 0, w, 0, acc, rows, N, K);
    ao = 0;
    stride = N;
  }
  const biasFull = bias !== null && bias.length !== N;
  for (let r = 0; r < rows; r++) {
    const ar = ao + r * stride;
    const or = r * N;
    for (let n = 0; n < N; n++) {
      const b = bias === null ? 0 : biasFull ? bias[or + n] : bias[n];
      out[or + n] = Math.floor((acc[ar + n] + b + half[n]) * mul[n]);
    }
  }
}

// ---------------------------------------------------------------- Conv

/**
 * im2col of one (batch, group) in JS: col[p·KK + (ci·KH + i)·KW + j] = x[ci, ih, iw] (0 outside the
 * image), p = oh·OW + ow. Loops over the kernel tap outside and the output pixels inside, with the
 * valid ow range computed per tap (no branch per pixel).
 */
function im2col(L: ConvLayer, x: Int32Array, xo: number, col: Int32Array, KK: number): void {
  const { H, W, KH, KW, OH, OW, sh, sw, pt, pl, dh, dw } = L;
  const Cg = KK / (KH * KW);
  let kk = 0;
  for (let ci = 0; ci < Cg; ci++) {
    const xc = xo + ci * H * W;
    for (let i = 0; i < KH; i++) {
      for (let j = 0; j < KW; j++, kk++) {
        const off = j * dw - pl;
        // ow valid ⇔ 0 ≤ ow·sw + off < W
        const owLo = Math.min(OW, Math.max(0, Math.ceil(-off / sw)));
        const owHi = Math.max(owLo, Math.min(OW, Math.floor((W - 1 - off) / sw) + 1));
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * sh + i * dh - pt;
          let d = oh * OW * KK + kk;
          if (ih < 0 || ih >= H) {
            for (let ow = 0; ow < OW; ow++, d += KK) col[d] = 0;
            continue;
          }
          const xr = xc + ih * W + off;
          let ow = 0;
          for (; ow < owLo; ow++, d += KK) col[d] = 0;
          for (; ow < owHi; ow++, d += KK) col[d] = x[xr + ow * sw];
          for (; ow < OW; ow++, d += KK) col[d] = 0;
        }
      }
    }
  }
}

export function convKernel(L: ConvLayer, x: Int32Array, out: Int32Array): void {
  const { C, H, W, Co, KH, KW, OH, OW, sh, sw, pt, pl, dh, dw, group, w, bias, shift } = L;
  const batch = (x.length / (C * H * W)) | 0;
  const Cg = C / group;
  const Cog = Co / group;
  const KK = Cg * KH * KW;
  const P = OH * OW;
  if (backend === 'reference' || batch === 0 || Co === 0 || P === 0 || KK === 0) return convReference(L, x, out);
  range(x, 0, batch * C * H * W);
  const accMax = absMax() * 128 * KK;
  if (accMax >= LIM || !integralBias(bias)) return convReference(L, x, out);
  const { mul, half } = scales(shift);
  const mm = wasm();
  if (mm && fitsI16()) {
    const Kp = up(KK, 8);
    const Cogp = up(Cog, 4);
    // The group's channels go into an int16 image zero-padded to Hp × Wp (pads inside), so every
    // tap of every window is in bounds: im2col reads img[corner + offs[kk]] with byte offsets
    // offs[(ci·KH + i)·KW + j] = 2·(ci·Hp·Wp + i·dh·Wp + j·dw).
    const Hp = Math.max(pt + H, (OH - 1) * sh + (KH - 1) * dh + 1);
    const Wp = Math.max(pl + W, (OW - 1) * sw + (KW - 1) * dw + 1);
    const imgLen = Cg * Hp * Wp;
    // Per channel c = bias + half, m = mul; requantize in WebAssembly when every result fits in
    // int32 (then its truncation equals JS's ToInt32 of the same double).
    const cm = new Float64Array(2 * Co);
    let cMax = 0;
    let mMax = 0;
    for (let co = 0; co < Co; co++) {
      const c = (bias !== null ? bias[co] : 0) + half[co];
      cm[2 * co] = c;
      cm[2 * co + 1] = mul[co];
      cMax = Math.max(cMax, Math.abs(c));
      mMax = Math.max(mMax, mul[co]);
    }
    const wasmRequant = cMax < 2 ** 52 && (accMax + cMax) * mMax + 1 < LIM;
    // [weights + slack | (c, m) | image | offs | col | acc | requantized block]
    const cmAddr = a16(Co * KK + 4 * KK + 16);
    const imgAddr = cmAddr + a16(Co * 16);
    const offAddr = imgAddr + a16(imgLen * 2);
    const colAddr = offAddr + a16(KK * 4);
    const oAddr = colAddr + P * Kp * 2;
    const rAddr = oAddr + P * Cogp * 4;
    mm.scratch(rAddr + Cog * P * 4);
    mm.i8.set(w, 0);
    mm.f64.set(cm, cmAddr >> 3);
    const offs = mm.i32;
    for (let ci = 0, kk = offAddr >> 2; ci < Cg; ci++) for (let i = 0; i < KH; i++) for (let j = 0; j < KW; j++) offs[kk++] = 2 * (ci * Hp * Wp + i * dh * Wp + j * dw);
    // im2col writes entries kk < KK of each row; the pads kk ∈ [KK, Kp) must be 0 (they meet the
    // next weight row's values)
    if (Kp > KK) mm.i16.fill(0, colAddr >> 1, (colAddr >> 1) + P * Kp);
    for (let b = 0; b < batch; b++) {
      for (let g = 0; g < group; g++) {
        const img = mm.i16;
        const i0 = imgAddr >> 1;
        img.fill(0, i0, i0 + imgLen);
        for (let ci = 0; ci < Cg; ci++) {
          const xc = (b * C + g * Cg + ci) * H * W;
          for (let h = 0; h < H; h++) {
            const d = i0 + ci * Hp * Wp + (h + pt) * Wp + pl;
            const src = xc + h * W;
            for (let k = 0; k < W; k++) img[d + k] = x[src + k];
          }
        }
        mm.im2col(imgAddr, offAddr, colAddr, OH, OW, 2 * sh * Wp, 2 * sw, KK, 2 * Kp);
        mm.mm(colAddr, g * Cog * KK, oAddr, P, Cogp, Kp, KK);
        if (wasmRequant) {
          mm.requant(oAddr, 4 * Cogp, rAddr, P, Cog, cmAddr + 16 * g * Cog);
          out.set(mm.i32.subarray(rAddr >> 2, (rAddr >> 2) + Cog * P), (b * Co + g * Cog) * P);
        } else requantConv(mm.i32, oAddr >> 2, Cogp, out, b, g, L, mul, half);
      }
    }
    return;
  }
  const col = scratch32(P * KK + P * Cog);
  const acc = col.subarray(P * KK);
  for (let b = 0; b < batch; b++) {
    for (let g = 0; g < group; g++) {
      im2col(L, x, (b * C + g * Cg) * H * W, col, KK);
      mmJs(col, 0, w, g * Cog * KK, acc, P, Cog, KK);
      requantConv(acc, 0, Cog, out, b, g, L, mul, half);
    }
  }
}

/** out[(b·Co + co)·P + p] = floor((acc[ao + p·stride + cl] + bias + half)·mul), co = g·Cog + cl. */
function requantConv(acc: Int32Array, ao: number, stride: number, out: Int32Array, b: number, g: number, L: ConvLayer, mul: Float64Array, half: Float64Array): void {
  const { Co, group, bias, OH, OW } = L;
  const Cog = Co / group;
  const P = OH * OW;
  for (let cl = 0; cl < Cog; cl++) {
    const co = g * Cog + cl;
    const bv = bias !== null ? bias[co] : 0;
    const h = half[co];
    const m = mul[co];
    const oo = (b * Co + co) * P;
    for (let q = 0, a = ao + cl; q < P; q++, a += stride) out[oo + q] = Math.floor((acc[a] + bv + h) * m);
  }
}

// ---------------------------------------------------------------- MatMul of two activations

export function matmulKernel(L: MatMulLayer, a: Int32Array, b: Int32Array, out: Int32Array): void {
  const { M, K, N, aOff, bOff, shift } = L;
  if (backend === 'reference' || K === 0 || M * N === 0) return matmulReference(L, a, b, out);
  range(a, 0, a.length);
  const aMax = absMax();
  const aI16 = fitsI16();
  range(b, 0, b.length);
  const bI8 = lo >= -128 && hi <= 127;
  if (aMax * absMax() * K >= LIM) return matmulReference(L, a, b, out);
  const mul = 2 ** -shift;
  const half = shift > 0 ? 2 ** (shift - 1) : 0;
  const mm = wasm();
  if (mm && aI16 && bI8) {
    // [Bᵀ as Np rows of Kp (zero-padded) | A rows of Kp (zero-padded) | out rows of Np]
    const Kp = up(K, 8);
    const Np = up(N, 4);
    const aAddr = Np * Kp;
    const oAddr = aAddr + M * Kp * 2;
    mm.scratch(oAddr + M * Np * 4);
    for (let t = 0; t < aOff.length; t++) {
      const a16v = mm.i16;
      const b8 = mm.i8;
      const ao = aOff[t];
      const bo = bOff[t];
      for (let m = 0; m < M; m++) {
        const d = (aAddr >> 1) + m * Kp;
        for (let k = 0; k < K; k++) a16v[d + k] = a[ao + m * K + k];
        a16v.fill(0, d + K, d + Kp);
      }
      b8.fill(0, 0, Np * Kp);
      for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) b8[n * Kp + k] = b[bo + k * N + n];
      mm.mm(aAddr, 0, oAddr, M, Np, Kp, Kp);
      const acc = mm.i32;
      const oo = t * M * N;
      for (let m = 0; m < M; m++) {
        const ar = (oAddr >> 2) + m * Np;
        for (let n = 0; n < N; n++) out[oo + m * N + n] = Math.floor((acc[ar + n] + half) * mul);
      }
    }
    return;
  }
  const buf = scratch32(K * N + M * N);
  const acc = buf.subarray(K * N);
  for (let t = 0; t < aOff.length; t++) {
    const bo = bOff[t];
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) buf[n * K + k] = b[bo + k * N + n];
    mmJs(a, aOff[t], buf, 0, acc, M, N, K);
    const oo = t * M * N;
    for (let i = 0; i < M * N; i++) out[oo + i] = Math.floor((acc[i] + half) * mul);
  }
}
