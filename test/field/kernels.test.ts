/**
 * Differential tests: every WebAssembly kernel against the TypeScript reference, on random
 * vectors of several sizes (1, odd, non-multiples of 4, larger), on constant edge vectors
 * (0, 1, p − 1), and with `out` aliasing an input. Also the loader (base64 decoder, sync
 * instantiation, dispatcher default).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { P } from '../../src/field/babybear.js';
import type { FieldKernels } from '../../src/field/kernels.js';
import { referenceKernels as R } from '../../src/field/reference.js';
import { wasmKernels as Wk, loadWasmKernels, decodeBase64 } from '../../src/field/wasm.js';
import { kernels } from '../../src/field/active.js';
import { rng, randVec, constVec, arr, EDGE } from './helpers.js';

const SIZES = [1, 2, 3, 5, 7, 8, 13, 64, 257, 1000];
const EDGE_FILLS = [0, 1, P - 1];
const W: FieldKernels = Wk;

/** Input vectors of `len` words: random ones, then constant edge vectors. */
function* vectors(seed: number, len: number): Generator<Uint32Array> {
  const rand = rng(seed);
  yield randVec(rand, len);
  yield randVec(rand, len, false);
  for (const v of EDGE_FILLS) yield constVec(len, v);
}

/** Pairs (a, b) of equal length: random pairs plus every combination of edge constants. */
function* pairs(seed: number, len: number): Generator<[Uint32Array, Uint32Array]> {
  const rand = rng(seed);
  for (let i = 0; i < 3; i++) yield [randVec(rand, len), randVec(rand, len)];
  for (const x of EDGE_FILLS) for (const y of EDGE_FILLS) yield [constVec(len, x), constVec(len, y)];
}

const scalars = (rand: () => number): number[] => [0, 1, P - 1, P - 2, ...randVec(rand, 2, false)];
const extScalars = (rand: () => number): Uint32Array[] => [
  Uint32Array.of(0, 0, 0, 0), Uint32Array.of(1, 0, 0, 0), Uint32Array.of(P - 1, P - 1, P - 1, P - 1),
  Uint32Array.of(0, 1, 0, 0), randVec(rand, 4, false), randVec(rand, 4),
];

test('the wasm kernels load synchronously and are the default', () => {
  assert.equal(W.name, 'wasm');
  assert.equal(kernels().name, 'wasm');
  const again = loadWasmKernels();
  assert.ok(again !== null);
  assert.equal(again.name, 'wasm');
});

test('loadWasmKernels returns null, not an exception, when WebAssembly is unavailable', () => {
  const g = globalThis as { WebAssembly?: unknown };
  const saved = g.WebAssembly;
  try {
    g.WebAssembly = undefined;
    assert.equal(loadWasmKernels(), null);
    g.WebAssembly = {
      Module: function refuse() {
        throw new RangeError('synchronous compilation refused');
      },
    };
    assert.equal(loadWasmKernels(), null);
  } finally {
    g.WebAssembly = saved;
  }
});

test('base64 decoder matches Buffer on all tail lengths', () => {
  const rand = rng(7);
  for (let len = 0; len < 40; len++) {
    const bytes = Uint8Array.from({ length: len }, () => Math.floor(rand() * 256));
    assert.deepEqual(decodeBase64(Buffer.from(bytes).toString('base64')), bytes);
  }
});

type Bin = 'add' | 'sub' | 'mul' | 'extAdd' | 'extSub' | 'extMul';

test('element-wise binary kernels: wasm = reference, also with out aliasing a or b', () => {
  for (const op of ['add', 'sub', 'mul', 'extAdd', 'extSub', 'extMul'] as Bin[]) {
    const words = op.startsWith('ext') ? 4 : 1;
    for (const n of SIZES) {
      for (const [a, b] of pairs(n * 31 + words, words * n)) {
        const want = new Uint32Array(words * n);
        R[op](want, a, b);
        const got = new Uint32Array(words * n);
        W[op](got, a, b);
        assert.deepEqual(arr(got), arr(want), `${op} n=${n}`);
        const a2 = a.slice();
        W[op](a2, a2, b);
        assert.deepEqual(arr(a2), arr(want), `${op} n=${n}, out = a`);
        const b2 = b.slice();
        W[op](b2, a, b2);
        assert.deepEqual(arr(b2), arr(want), `${op} n=${n}, out = b`);
      }
    }
  }
});

test('scale and mulAdd: wasm = reference, also in place', () => {
  const rand = rng(11);
  for (const n of SIZES) {
    for (const [a, acc] of pairs(n, n)) {
      for (const s of scalars(rand)) {
        const want = new Uint32Array(n);
        R.scale(want, a, s);
        const got = new Uint32Array(n);
        W.scale(got, a, s);
        assert.deepEqual(arr(got), arr(want), `scale n=${n} s=${s}`);
        const inPlace = a.slice();
        W.scale(inPlace, inPlace, s);
        assert.deepEqual(arr(inPlace), arr(want), `scale in place n=${n}`);
        const accR = acc.slice(), accW = acc.slice();
        R.mulAdd(accR, a, s);
        W.mulAdd(accW, a, s);
        assert.deepEqual(arr(accW), arr(accR), `mulAdd n=${n} s=${s}`);
      }
    }
  }
});

test('dot, extDot, extDotBase: wasm = reference (incl. long all-(p−1) sums)', () => {
  for (const n of [...SIZES, 4096]) {
    for (const [a, b] of pairs(n + 5, 4 * n)) {
      const bb = b.subarray(0, n);
      assert.equal(W.dot(a.subarray(0, n), bb), R.dot(a.subarray(0, n), bb), `dot n=${n}`);
      assert.deepEqual(arr(W.extDot(a, b)), arr(R.extDot(a, b)), `extDot n=${n}`);
      assert.deepEqual(arr(W.extDotBase(a, bb)), arr(R.extDotBase(a, bb)), `extDotBase n=${n}`);
    }
  }
  // many maximal terms: exercises the lazy (lo, hi) wrap-around counting
  const big = constVec(4 * 70000, P - 1);
  assert.deepEqual(arr(W.extDot(big, big)), arr(R.extDot(big, big)));
  assert.equal(W.dot(big, big), R.dot(big, big));
  assert.equal(W.dot(new Uint32Array(0), new Uint32Array(0)), 0);
});

test('extScale, extMulAdd, extMulAddBase: wasm = reference, also in place', () => {
  const rand = rng(13);
  for (const n of SIZES) {
    for (const [a, acc] of pairs(3 * n, 4 * n)) {
      for (const s of extScalars(rand)) {
        const want = new Uint32Array(4 * n);
        R.extScale(want, a, s);
        const got = new Uint32Array(4 * n);
        W.extScale(got, a, s);
        assert.deepEqual(arr(got), arr(want), `extScale n=${n}`);
        const inPlace = a.slice();
        W.extScale(inPlace, inPlace, s);
        assert.deepEqual(arr(inPlace), arr(want), `extScale in place n=${n}`);
        const accR = acc.slice(), accW = acc.slice();
        R.extMulAdd(accR, a, s);
        W.extMulAdd(accW, a, s);
        assert.deepEqual(arr(accW), arr(accR), `extMulAdd n=${n}`);
        const base = a.subarray(0, n);
        const accR2 = acc.slice(), accW2 = acc.slice();
        R.extMulAddBase(accR2, base, s);
        W.extMulAddBase(accW2, base, s);
        assert.deepEqual(arr(accW2), arr(accR2), `extMulAddBase n=${n}`);
      }
    }
  }
});

test('combineRows: wasm = reference for row counts around the 4-row grouping', () => {
  const rand = rng(17);
  for (const rows of [1, 2, 3, 4, 5, 7, 8, 9, 16]) {
    for (const cols of [1, 3, 8, 33]) {
      for (const m of vectors(rows * 100 + cols, rows * cols)) {
        const coeffs = randVec(rand, 4 * rows);
        const want = new Uint32Array(4 * cols);
        R.combineRows(want, m, coeffs, cols);
        const got = new Uint32Array(4 * cols).fill(123); // stale contents must be ignored
        W.combineRows(got, m, coeffs, cols);
        assert.deepEqual(arr(got), arr(want), `combineRows ${rows}×${cols}`);
      }
    }
  }
  const rows = 6, cols = 5;
  const m = constVec(rows * cols, P - 1), c = constVec(4 * rows, P - 1);
  const want = new Uint32Array(4 * cols), got = new Uint32Array(4 * cols);
  R.combineRows(want, m, c, cols);
  W.combineRows(got, m, c, cols);
  assert.deepEqual(arr(got), arr(want));
});

test('foldBase and foldExt: wasm = reference, foldExt also in place', () => {
  const rand = rng(19);
  for (const n of SIZES) {
    for (const r of extScalars(rand)) {
      for (const t of vectors(n + 1, 2 * n)) {
        const want = new Uint32Array(4 * n), got = new Uint32Array(4 * n);
        R.foldBase(want, t, r);
        W.foldBase(got, t, r);
        assert.deepEqual(arr(got), arr(want), `foldBase n=${n}`);
      }
      for (const t of vectors(n + 2, 8 * n)) {
        const want = new Uint32Array(4 * n), got = new Uint32Array(4 * n);
        R.foldExt(want, t, r);
        W.foldExt(got, t, r);
        assert.deepEqual(arr(got), arr(want), `foldExt n=${n}`);
        const inPlace = t.slice();
        W.foldExt(inPlace, inPlace, r);
        assert.deepEqual(arr(inPlace.subarray(0, 4 * n)), arr(want), `foldExt in place n=${n}`);
      }
    }
  }
});

test('eqTable: wasm = reference for k = 0..12, and sums to 1', () => {
  const rand = rng(23);
  for (let k = 0; k <= 12; k++) {
    for (const z of [randVec(rand, 4 * k), constVec(4 * k, P - 1), constVec(4 * k, 1), constVec(4 * k, 0)]) {
      const got = W.eqTable(z);
      assert.equal(got.length, 4 << k);
      assert.deepEqual(arr(got), arr(R.eqTable(z)), `eqTable k=${k}`);
    }
    // Σ_i eq(z, i) = Π_j (z_j + 1 − z_j) = 1
    const e = W.eqTable(randVec(rand, 4 * k));
    const sum = new Uint32Array(4);
    for (let i = 0; i < 1 << k; i++) W.extAdd(sum, sum, e.subarray(4 * i, 4 * i + 4));
    assert.deepEqual(arr(sum), [1, 0, 0, 0]);
  }
});

test('productRound: wasm = reference for 1..8 tables and degrees up to 8', () => {
  const rand = rng(29);
  for (const n of [1, 2, 3, 17, 64]) {
    for (let L = 1; L <= 8; L++) {
      for (const degree of new Set([L, L + 1, 8].filter((d) => d >= L && d <= 8))) {
        const tables = Array.from({ length: L }, () => randVec(rand, 8 * n));
        assert.deepEqual(arr(W.productRound(tables, degree)), arr(R.productRound(tables, degree)), `n=${n} L=${L} d=${degree}`);
      }
    }
  }
  for (const v of EDGE_FILLS) {
    const tables = [constVec(8 * 5, v), constVec(8 * 5, P - 1 - v), constVec(8 * 5, v)];
    assert.deepEqual(arr(W.productRound(tables, 4)), arr(R.productRound(tables, 4)), `constant ${v}`);
  }
  // many maximal terms: the lazy sums wrap around
  const big = [constVec(8 * 5000, P - 1), constVec(8 * 5000, P - 1)];
  assert.deepEqual(arr(W.productRound(big, 2)), arr(R.productRound(big, 2)));
});

test('transpose: wasm = reference for shapes around the 32×32 block', () => {
  for (const [rows, cols] of [[1, 1], [1, 7], [7, 1], [3, 5], [32, 32], [33, 31], [64, 100], [100, 3]]) {
    const a = randVec(rng(rows * cols), rows * cols);
    const want = new Uint32Array(rows * cols), got = new Uint32Array(rows * cols);
    R.transpose(want, a, rows, cols);
    W.transpose(got, a, rows, cols);
    assert.deepEqual(arr(got), arr(want), `transpose ${rows}×${cols}`);
  }
});

test('edge scalars multiply correctly in every scalar kernel', () => {
  for (const s of EDGE.map((x) => x % P)) {
    const a = Uint32Array.from(EDGE.map((x) => x % P));
    const want = new Uint32Array(a.length), got = new Uint32Array(a.length);
    R.scale(want, a, s);
    W.scale(got, a, s);
    assert.deepEqual(arr(got), arr(want));
  }
});
