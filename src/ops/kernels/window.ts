/**
 * Integer kernels over windows and axes: pooling and reductions (max/min exact; sum/mean as one
 * division with remainder per output), softmax and log-softmax through exp/log tables, argmax, and
 * normalization (LayerNormalization / InstanceNormalization) through an rsqrt table on a normalized
 * mantissa. All intermediate values are integers with compile-time bounds (see quantize/bounds).
 */
import type { ArgMaxLayer, NormLayer, SoftmaxLayer, WindowLayer } from '../../quantize/layers.js';

export function windowKernel(L: WindowLayer, x: Int32Array, out: Int32Array): void {
  const { mode, win, map, counts, mult, div } = L;
  if (mode === 'sum') {
    for (let j = 0; j < out.length; j++) {
      const o = j * win;
      let acc = 0;
      for (let k = 0; k < win; k++) {
        const m = map[o + k];
        if (m >= 0) acc += x[m];
      }
      const D = div * (counts === null ? 1 : counts[j]);
      out[j] = Math.floor((2 * acc * mult + D) / (2 * D));
    }
    return;
  }
  // max / min over the valid entries (map ≥ 0); 0 for an empty window
  const sign = mode === 'max' ? 1 : -1;
  for (let j = 0; j < out.length; j++) {
    const o = j * win;
    let best = 0;
    let found = false;
    for (let k = 0; k < win; k++) {
      const m = map[o + k];
      if (m < 0) continue;
      const v = x[m];
      if (!found || sign * v > sign * best) {
        best = v;
        found = true;
      }
    }
    out[j] = best;
  }
}

export function softmaxKernel(L: SoftmaxLayer, x: Int32Array, out: Int32Array): void {
  const { outer, n, inner, expTable, log, logTable, kTable, inExp, outExp } = L;
  const e = new Float64Array(n);
  const fo = 2 ** outExp;
  const sh = inExp - outExp; // d at inExp → outExp
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let mx = -Infinity;
      for (let k = 0; k < n; k++) mx = Math.max(mx, x[base + k * inner]);
      let S = 0;
      for (let k = 0; k < n; k++) {
        e[k] = expTable[mx - x[base + k * inner]];
        S += e[k];
      }
      if (!log) {
        for (let k = 0; k < n; k++) out[base + k * inner] = Math.floor((2 * e[k] * fo + S) / (2 * S));
      } else {
        // S = m·2^kk with m ∈ [2^9, 2^10) (m exact when S < 2^10, else floor)
        let kk = 0;
        let m = S;
        while (m >= 1024) {
          m = Math.floor(m / 2);
          kk++;
        }
        while (m < 512) {
          m *= 2;
          kk--;
        }
        const logS = logTable![m - 512] + kTable![kk + 64];
        for (let k = 0; k < n; k++) {
          const d = x[base + k * inner] - mx;
          const dq = sh > 0 ? Math.floor((d + 2 ** (sh - 1)) / 2 ** sh) : d * 2 ** -sh;
          out[base + k * inner] = dq - logS;
        }
      }
    }
  }
}

export function argmaxKernel(L: ArgMaxLayer, x: Int32Array, out: Int32Array): void {
  const { outer, n, inner, last, min } = L;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let bi = 0;
      let bv = x[base];
      for (let k = 1; k < n; k++) {
        const v = x[base + k * inner];
        const better = min ? (last ? v <= bv : v < bv) : last ? v >= bv : v > bv;
        if (better) {
          bv = v;
          bi = k;
        }
      }
      out[o * inner + i] = bi;
    }
  }
}

export function normKernel(L: NormLayer, x: Int32Array, out: Int32Array): void {
  const { outer, n, inner, epsQ, rBits, rsqrtTable, gamma, gExp, beta, affine, outExp } = L;
  const d = new Float64Array(n);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let s = 0;
      for (let k = 0; k < n; k++) s += x[base + k * inner];
      const mean = Math.floor((2 * s + n) / (2 * n));
      let ss = 0;
      for (let k = 0; k < n; k++) {
        d[k] = x[base + k * inner] - mean;
        ss += d[k] * d[k];
      }
      let V = Math.floor((2 * ss + n) / (2 * n)) + epsQ;
      if (V < 1) V = 1;
      // V = m·4^j, m ∈ [2^8, 2^10)
      let j = 0;
      let m = V;
      while (m >= 1024) {
        m = Math.floor(m / 4);
        j++;
      }
      while (m < 256) {
        m *= 4;
        j--;
      }
      const r = rsqrtTable[m - 256];
      const s2 = rBits + j + gExp - outExp; // y = d·r·γ / 2^s2
      const D = 2 ** s2;
      for (let k = 0; k < n; k++) {
        const gi = affine === 'n' ? k : o % gamma.length;
        const acc = d[k] * r * gamma[gi];
        const q = s2 >= 0 ? Math.floor((2 * acc + D) / (2 * D)) : acc / D;
        out[base + k * inner] = q + beta[gi];
      }
    }
  }
}
