/**
 * NTT and Reed–Solomon encoding: forward/inverse round trips (2^0..2^16 and 2^20 in wasm),
 * agreement with the naive O(N^2) DFT, wasm = reference (batched), and the code's properties:
 * an encoded row is not systematic, its inverse NTT has degree < C and recovers the row, and
 * rows differing in one coefficient give codewords at distance ≥ N − C + 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { P } from '../../src/field/babybear.js';
import { referenceKernels as R, naiveDft } from '../../src/field/reference.js';
import { wasmKernels as W } from '../../src/field/wasm.js';
import { useKernels } from '../../src/field/active.js';
import { ntt, intt, rsEncodeRows } from '../../src/field/ntt.js';
import { rng, randVec, arr } from './helpers.js';

test('wasm NTT round trip for N = 2^0..2^16, forward ∘ inverse and inverse ∘ forward', () => {
  const rand = rng(1);
  for (let logN = 0; logN <= 16; logN++) {
    const a = randVec(rand, 1 << logN);
    const x = a.slice();
    W.nttBatch(x, 1, logN, false);
    W.nttBatch(x, 1, logN, true);
    assert.deepEqual(arr(x), arr(a), `2^${logN}`);
    W.nttBatch(x, 1, logN, true);
    W.nttBatch(x, 1, logN, false);
    assert.deepEqual(arr(x), arr(a), `2^${logN} (inverse first)`);
  }
});

test('wasm NTT round trip for N = 2^20, and it equals the reference there', () => {
  const a = randVec(rng(2), 1 << 20, false);
  const x = a.slice();
  W.nttBatch(x, 1, 20, false);
  const y = a.slice();
  R.nttBatch(y, 1, 20, false);
  assert.ok(x.every((v, i) => v === y[i]), 'wasm = reference at 2^20');
  W.nttBatch(x, 1, 20, true);
  assert.ok(x.every((v, i) => v === a[i]), 'round trip at 2^20');
});

test('wasm NTT round trip at 2^24 (linear memory grows on demand), batched 2 × 2^22', () => {
  const a = new Uint32Array(1 << 24);
  for (let i = 0; i < a.length; i++) a[i] = (Math.imul(i, 2654435761) >>> 1) % P;
  const x = a.slice();
  W.nttBatch(x, 1, 24, false);
  assert.ok(x.some((v, i) => v !== a[i]));
  W.nttBatch(x, 1, 24, true);
  assert.ok(x.every((v, i) => v === a[i]), 'round trip at 2^24');
  W.nttBatch(x, 2, 22, false);
  W.nttBatch(x, 2, 22, true);
  assert.ok(x.every((v, i) => v === a[i]), 'round trip of 2 × 2^22');
});

test('NTT agrees with the naive DFT for N ≤ 2^7 (both implementations)', () => {
  const rand = rng(3);
  for (let logN = 0; logN <= 7; logN++) {
    for (const inverse of [false, true]) {
      const a = randVec(rand, 1 << logN);
      const want = naiveDft(a, inverse);
      for (const k of [R, W]) {
        const x = a.slice();
        k.nttBatch(x, 1, logN, inverse);
        assert.deepEqual(arr(x), arr(want), `${k.name} 2^${logN} inverse=${inverse}`);
      }
    }
  }
});

test('batched NTT: wasm = reference for several sizes and row counts', () => {
  const rand = rng(4);
  for (const [count, logN] of [[1, 1], [3, 2], [5, 3], [7, 5], [4, 10], [2, 12], [9, 6]]) {
    for (const inverse of [false, true]) {
      const a = randVec(rand, count << logN);
      const x = a.slice(), y = a.slice();
      W.nttBatch(x, count, logN, inverse);
      R.nttBatch(y, count, logN, inverse);
      assert.deepEqual(arr(x), arr(y), `${count} × 2^${logN} inverse=${inverse}`);
    }
  }
});

test('NTT of a delta is a row of powers of ω; the constant 1 transforms to N·δ_0', () => {
  const n = 16;
  const one = new Uint32Array(n).fill(1);
  ntt(one);
  assert.deepEqual(arr(one), [n, ...new Array(n - 1).fill(0)]);
  const d = new Uint32Array(n);
  d[0] = 7;
  intt(d);
  const inv16 = Number((7n * BigInt(P - (P - 1) / 16)) % BigInt(P)); // 7/16 mod p
  assert.deepEqual(arr(d), new Array(n).fill(inv16));
  assert.throws(() => ntt(new Uint32Array(3)), RangeError);
});

for (const k of [R, W]) {
  test(`Reed–Solomon encoding at rate 1/4 (${k.name} kernels)`, () => {
    const prev = useKernels(k);
    try {
      const rand = rng(5);
      for (const logC of [0, 2, 5, 8]) {
        const C = 1 << logC, N = 4 * C, rows = 3;
        const m = randVec(rand, rows * C, false);
        const enc = rsEncodeRows(m, rows, logC, 2);
        assert.equal(enc.length, rows * N);
        for (let r = 0; r < rows; r++) {
          const row = m.subarray(r * C, (r + 1) * C);
          const cw = enc.slice(r * N, (r + 1) * N);
          if (C > 1) assert.notDeepEqual(arr(cw.subarray(0, C)), arr(row), 'not systematic');
          intt(cw);
          assert.deepEqual(arr(cw.subarray(0, C)), arr(row), 'low coefficients = the row');
          assert.ok(cw.subarray(C).every((v) => v === 0), 'degree < C');
        }
        // two rows differing in one coefficient: distance ≥ N − C + 1
        const m2 = m.slice(0, C);
        const j = Math.floor(rand() * C);
        m2[j] = (m2[j] + 1 + Math.floor(rand() * (P - 1))) % P;
        const e1 = rsEncodeRows(m.subarray(0, C), 1, logC, 2);
        const e2 = rsEncodeRows(m2, 1, logC, 2);
        let dist = 0;
        for (let i = 0; i < N; i++) if (e1[i] !== e2[i]) dist++;
        assert.ok(dist >= N - C + 1, `distance ${dist} < ${N - C + 1}`);
      }
      assert.throws(() => rsEncodeRows(new Uint32Array(5), 1, 2, 2), RangeError);
    } finally {
      useKernels(prev);
    }
  });
}
