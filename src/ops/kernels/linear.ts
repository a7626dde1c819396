/**
 * Integer kernels of the linear layers (Gemm/MatMul with constant weights, Conv, MatMul of two
 * activations). Operands are int8; accumulators are exact JS numbers (|acc| < p/2 < 2^31 is
 * enforced at compile time, so every partial sum is an exact integer); the requantisation is
 * q = floor((2·acc + D) / (2D)) with D = 2^s, i.e. round half up of acc / 2^s (PROTOCOL-NOTES §7),
 * computed on doubles, which is exact below 2^53. For s ≤ 0, q = acc·2^(−s).
 */
import type { ConvLayer, GemmLayer, MatMulLayer } from '../../quantize/layers.js';

/** Raw requantized outputs; the caller clamps and counts saturations. */
export function gemmKernel(L: GemmLayer, x: Int32Array, out: Int32Array): void {
  const { K, N, w, bias, shift } = L;
  const rows = (x.length / K) | 0;
  const biasFull = bias !== null && bias.length !== N;
  const mul = new Float64Array(N);
  const half = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    const s = shift[n];
    mul[n] = 2 ** -s;
    half[n] = s > 0 ? 2 ** (s - 1) : 0;
  }
  for (let r = 0; r < rows; r++) {
    const xo = r * K;
    for (let n = 0; n < N; n++) {
      const wo = n * K;
      let acc = 0;
      for (let k = 0; k < K; k++) acc += x[xo + k] * w[wo + k];
      if (bias !== null) acc += biasFull ? bias[r * N + n] : bias[n];
      out[r * N + n] = Math.floor((acc + half[n]) * mul[n]);
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
  const col = new Int32Array(P * KK);
  for (let b = 0; b < batch; b++) {
    for (let g = 0; g < group; g++) {
      // im2col for this group: col[p*KK + (ci*KH + i)*KW + j]
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const p = oh * OW + ow;
          let ci0 = p * KK;
          for (let ci = 0; ci < Cg; ci++) {
            const xc = (b * C + g * Cg + ci) * H * W;
            for (let i = 0; i < KH; i++) {
              const ih = oh * sh + i * dh - pt;
              for (let j = 0; j < KW; j++) {
                const iw = ow * sw + j * dw - pl;
                col[ci0++] = ih >= 0 && ih < H && iw >= 0 && iw < W ? x[xc + ih * W + iw] : 0;
              }
            }
          }
        }
      }
      for (let cl = 0; cl < Cog; cl++) {
        const co = g * Cog + cl;
        const s = shift[co];
        const mul = 2 ** -s;
        const half = s > 0 ? 2 ** (s - 1) : 0;
        const bv = bias !== null ? bias[co] : 0;
        const wo = co * KK;
        const oo = (b * Co + co) * P;
        for (let p = 0; p < P; p++) {
          const po = p * KK;
          let acc = bv;
          for (let k = 0; k < KK; k++) acc += col[po + k] * w[wo + k];
          out[oo + p] = Math.floor((acc + half) * mul);
        }
      }
    }
  }
}

export function matmulKernel(L: MatMulLayer, a: Int32Array, b: Int32Array, out: Int32Array): void {
  const { M, K, N, aOff, bOff, shift } = L;
  const mul = 2 ** -shift;
  const half = shift > 0 ? 2 ** (shift - 1) : 0;
  const bt = new Int32Array(K * N);
  for (let t = 0; t < aOff.length; t++) {
    const ao = aOff[t];
    const bo = bOff[t];
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) bt[n * K + k] = b[bo + k * N + n];
    const oo = t * M * N;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += a[ao + m * K + k] * bt[n * K + k];
        out[oo + m * N + n] = Math.floor((acc + half) * mul);
      }
    }
  }
}
