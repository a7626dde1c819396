/**
 * Differential tests of the integer kernels: the fast paths (WebAssembly SIMD, int32 JS loops) and
 * the reference loops must give bit-identical results to the straightforward double loops the
 * kernels replaced (copied below verbatim from the previous src/ops/kernels/linear.ts, window.ts and
 * quantize/infer.ts), on random layers covering padding of K and N, groups, strides, pads,
 * dilations, batches, full biases, negative shifts, wide inputs and inputs beyond the 2^31 check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convKernel, gemmKernel, matmulKernel, setLinearBackend, type LinearBackend } from '../../src/ops/kernels/linear.js';
import { loadInt8Mm } from '../../src/ops/kernels/int8-wasm.js';
import { windowKernel } from '../../src/ops/kernels/window.js';
import { quantizeInput, runQuantized } from '../../src/quantize/infer.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { ModelError } from '../../src/model/errors.js';
import { sizeOf } from '../../src/model/tensor.js';
import type { ConvLayer, GemmLayer, MatMulLayer, QuantizedModel, WindowLayer } from '../../src/quantize/layers.js';
import { cnn, mlp, rand } from '../model/onnx-builder.js';

// ---- the previous kernels, verbatim ----
function oldGemm(L: GemmLayer, x: Int32Array, out: Int32Array): void {
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

function oldConv(L: ConvLayer, x: Int32Array, out: Int32Array): void {
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

function oldMatmul(L: MatMulLayer, a: Int32Array, b: Int32Array, out: Int32Array): void {
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

function oldWindow(L: WindowLayer, x: Int32Array, out: Int32Array): void {
  const { mode, win, map, counts, mult, div } = L;
  const nOut = out.length;
  for (let j = 0; j < nOut; j++) {
    const o = j * win;
    if (mode === 'sum') {
      let acc = 0;
      for (let k = 0; k < win; k++) {
        const m = map[o + k];
        if (m >= 0) acc += x[m];
      }
      const D = div * (counts === null ? 1 : counts[j]);
      out[j] = Math.floor((2 * acc * mult + D) / (2 * D));
    } else {
      let best = mode === 'max' ? -Infinity : Infinity;
      for (let k = 0; k < win; k++) {
        const m = map[o + k];
        if (m < 0) continue;
        const v = x[m];
        if (mode === 'max' ? v > best : v < best) best = v;
      }
      out[j] = best === Infinity || best === -Infinity ? 0 : best;
    }
  }
}

function oldQuantizeInput(model: QuantizedModel, name: string, data: ArrayLike<number>, strict: boolean): Int32Array {
  const info = model.inputs.find((i) => i.name === name)!;
  const n = sizeOf(info.dims);
  if (data.length !== n) {
    throw new ModelError('BadInput', `input '${name}': expected ${n} values for shape [${info.dims}], got ${data.length}`);
  }
  const q = new Int32Array(n);
  const sc = 2 ** info.exp;
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) throw new ModelError('BadInput', `input '${name}': value at index ${i} is ${v}`);
    let r = Math.floor(v * sc + 0.5);
    if (r < info.lo || r > info.hi) {
      if (strict) {
        throw new ModelError('OutOfRange', `input '${name}': value ${v} at index ${i} is outside the calibrated range [${info.lo / sc}, ${info.hi / sc}] (recalibrate with representative inputs)`, name);
      }
      r = Math.max(info.lo, Math.min(info.hi, r));
    }
    q[i] = r;
  }
  return q;
}

// ---- random layers ----
let seed = 12345;
function rnd(): number {
  seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0;
  return seed / 2 ** 32;
}
const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
const ints = (n: number, lo: number, hi: number): Int32Array => Int32Array.from({ length: n }, () => int(lo, hi));
const i8s = (n: number): Int8Array => Int8Array.from({ length: n }, () => int(-128, 127));
const shifts = (n: number, lo = -3, hi = 16): Int32Array => ints(n, lo, hi);
const bias = (n: number, m = 5000): Float64Array => Float64Array.from({ length: n }, () => int(-m, m));
const BACKENDS: LinearBackend[] = ['auto', 'js', 'reference'];
const base = { op: 'test', inputs: ['x'], output: 'y', bound: 0 };

function same(name: string, run: (out: Int32Array) => void, ref: (out: Int32Array) => void, n: number): void {
  const want = new Int32Array(n);
  ref(want);
  for (const b of BACKENDS) {
    setLinearBackend(b);
    const got = new Int32Array(n);
    run(got);
    assert.deepEqual(got, want, `${name}, backend ${b}`);
  }
  setLinearBackend('auto');
}

test('the WebAssembly SIMD kernel loads in Node (so the differential tests cover it)', () => {
  assert.ok(loadInt8Mm() !== null);
});

test('gemm: every backend equals the previous double loop (random shapes, biases, shifts, ranges)', () => {
  for (let t = 0; t < 150; t++) {
    const K = [1, 3, 7, 8, 9, 16, 17, 64, 100, 300][t % 10];
    const N = int(1, 13);
    const rows = int(1, 3);
    const wide = t % 5 === 4;
    const x = ints(rows * K, wide ? -40000 : -128, wide ? 40000 : 127);
    const b = t % 3 === 0 ? null : bias(t % 3 === 1 ? N : rows * N);
    const L: GemmLayer = { ...base, name: `g${t}`, kind: 'gemm', K, N, w: i8s(N * K), bias: b, shift: shifts(N) };
    same(L.name, (o) => gemmKernel(L, x, o), (o) => oldGemm(L, x, o), rows * N);
  }
});

test('gemm: accumulators beyond 2^31 take the exact double path', () => {
  const K = 64, N = 5;
  const x = ints(K, 2 ** 20, 2 ** 21);
  const L: GemmLayer = { ...base, name: 'big', kind: 'gemm', K, N, w: Int8Array.from({ length: N * K }, () => 127), bias: null, shift: Int32Array.from({ length: N }, () => 12) };
  same(L.name, (o) => gemmKernel(L, x, o), (o) => oldGemm(L, x, o), N);
});

test('conv: every backend equals the previous im2col loop (groups, strides, pads, dilations, 1-D, batches)', () => {
  for (let t = 0; t < 120; t++) {
    const group = [1, 1, 2, 3][t % 4];
    const Cg = int(1, 5);
    const Cog = int(1, 6);
    const C = Cg * group, Co = Cog * group;
    const oneD = t % 7 === 3;
    const H = oneD ? 1 : int(1, 9), W = int(1, 9);
    const KH = oneD ? 1 : int(1, Math.min(3, H + 2)), KW = int(1, Math.min(3, W + 2));
    const sh = int(1, 2), sw = int(1, 2), dh = oneD ? 1 : int(1, 2), dw = int(1, 2);
    const pt = oneD ? 0 : int(0, 2), pl = int(0, 2), pb = oneD ? 0 : int(0, 2), pr = int(0, 2);
    const OH = Math.floor((H + pt + pb - dh * (KH - 1) - 1) / sh) + 1;
    const OW = Math.floor((W + pl + pr - dw * (KW - 1) - 1) / sw) + 1;
    if (OH < 1 || OW < 1) continue;
    const batch = int(1, 2);
    const wide = t % 6 === 5;
    const x = ints(batch * C * H * W, wide ? -30000 : -128, wide ? 30000 : 127);
    const L: ConvLayer = {
      ...base, name: `c${t}`, kind: 'conv', C, H, W, Co, KH, KW, OH, OW, sh, sw, pt, pl, dh, dw, group,
      w: i8s(Co * Cg * KH * KW), bias: t % 2 ? bias(Co) : null, shift: shifts(Co, t % 9 === 0 ? -24 : -3, 16),
    };
    same(L.name, (o) => convKernel(L, x, o), (o) => oldConv(L, x, o), batch * Co * OH * OW);
  }
});

test('matmul of two activations: every backend equals the previous loop (batches, wide operands)', () => {
  for (let t = 0; t < 80; t++) {
    const M = int(1, 6), K = int(1, 40), N = int(1, 9), T = int(1, 3);
    const wideB = t % 4 === 3, huge = t % 10 === 9;
    const a = ints(T * M * K, huge ? -(2 ** 20) : -128, huge ? 2 ** 20 : 127);
    const b = ints(T * K * N, wideB ? -2000 : -128, wideB ? 2000 : 127);
    const L: MatMulLayer = {
      ...base, name: `m${t}`, kind: 'matmul', inputs: ['a', 'b'], M, K, N,
      aOff: Int32Array.from({ length: T }, (_, i) => i * M * K), bOff: Int32Array.from({ length: T }, (_, i) => i * K * N), shift: int(-2, 12),
    };
    same(L.name, (o) => matmulKernel(L, a, b, o), (o) => oldMatmul(L, a, b, o), T * M * N);
  }
});

test('SIMD range (min/max from 0) equals a scalar loop, for every length mod 4 and extreme values', () => {
  const mm = loadInt8Mm()!;
  const r = new Int32Array(2);
  for (let t = 0; t < 60; t++) {
    const n = int(1, 700);
    const x = ints(n, t % 3 === 0 ? 1 : -300, t % 3 === 1 ? -1 : 300);
    if (t % 5 === 0) x[int(0, n - 1)] = -(2 ** 31);
    if (t % 7 === 0) x[int(0, n - 1)] = 2 ** 31 - 1;
    let mn = 0, mx = 0;
    for (const v of x) { mn = Math.min(mn, v); mx = Math.max(mx, v); }
    mm.range(x, r);
    assert.deepEqual([r[0], r[1]], [mn, mx], `n = ${n}`);
  }
});

test('a layer changed in place gives the changed result (nothing is cached between calls)', () => {
  const K = 20, N = 6;
  const x = ints(K, -128, 127);
  const g: GemmLayer = { ...base, name: 'g', kind: 'gemm', K, N, w: i8s(N * K), bias: bias(N), shift: shifts(N, 0, 8) };
  const c: ConvLayer = { ...base, name: 'c', kind: 'conv', C: 2, H: 4, W: 5, Co: 3, KH: 2, KW: 2, OH: 3, OW: 4, sh: 1, sw: 1, pt: 0, pl: 0, dh: 1, dw: 1, group: 1, w: i8s(24), bias: bias(3), shift: shifts(3, 0, 8) };
  const cx = ints(40, -128, 127);
  for (let round = 0; round < 3; round++) {
    same('gemm after edit', (o) => gemmKernel(g, x, o), (o) => oldGemm(g, x, o), N);
    same('conv after edit', (o) => convKernel(c, cx, o), (o) => oldConv(c, cx, o), 36);
    g.w[round] = 100 - g.w[round];
    g.shift[round] += 1;
    g.bias![round] += 77;
    c.w[round] = -c.w[round] - 1;
    c.bias![round] -= 99;
  }
});

test('window max/min/sum equals the previous kernel, including empty windows', () => {
  for (let t = 0; t < 60; t++) {
    const mode = (['max', 'min', 'sum'] as const)[t % 3];
    const nOut = int(1, 20), win = int(1, 6);
    const x = ints(50, -128, 127);
    const map = Int32Array.from({ length: nOut * win }, () => (rnd() < 0.2 ? -1 : int(0, 49)));
    const L: WindowLayer = { ...base, name: `w${t}`, kind: 'window', mode, win, map, counts: t % 2 ? ints(nOut, 1, win) : null, mult: int(1, 3), div: int(1, 5) };
    const got = new Int32Array(nOut), want = new Int32Array(nOut);
    windowKernel(L, x, got);
    oldWindow(L, x, want);
    assert.deepEqual(got, want, L.name);
  }
});

test('quantizeInput equals the previous loop, and its errors are unchanged', () => {
  const model = { inputs: [{ name: 'x', dims: [2, 5], exp: 4, lo: -128, hi: 127 }] } as unknown as QuantizedModel;
  const cases: number[][] = [
    [0, 1.5, -2.03125, 7.9, -8, 0.03125, -0.03125, 3.3, 2.5, -7.96875],
    [0, 1, 2, 3, 9, 5, 6, NaN, 8, 9],
    [0, NaN, 2, 3, 9, 5, 6, 1, 8, 9],
    [Infinity, 1, 2, 3, 4, 5, 6, 1, 8, 9],
    [0, 1, 2, -30, 4, 5, 6, 1, 8, 9],
  ];
  for (const c of cases) {
    for (const strict of [true, false]) {
      let want: unknown, got: unknown;
      try { want = oldQuantizeInput(model, 'x', c, strict); } catch (e) { want = (e as Error).message; }
      try { got = quantizeInput(model, 'x', c, strict); } catch (e) { got = (e as Error).message; }
      assert.deepEqual(got, want, `${c} strict=${strict}`);
    }
  }
  assert.throws(() => quantizeInput(model, 'x', [1, 2], true), ModelError);
});

test('runQuantized: identical traces with the fast kernels and the reference loops (MLP, CNN)', () => {
  for (const [bytes, n] of [[mlp(40, 300, 10), 40], [cnn(3, 12), 3 * 12 * 12]] as const) {
    const samples = [1, 2].map((s) => ({ x: rand(n, 50 + s, 1) }));
    const { model } = compileOnnx(bytes, samples);
    const runs = BACKENDS.map((b) => {
      setLinearBackend(b);
      return runQuantized(model, { x: samples[1].x }, { trace: true, strict: false });
    });
    setLinearBackend('auto');
    for (const r of runs.slice(1)) {
      assert.equal(r.trace.size, runs[0].trace.size);
      for (const [k, v] of runs[0].trace) assert.deepEqual(r.trace.get(k), v, k);
    }
  }
});
