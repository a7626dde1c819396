import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add, mul, sub } from '../../src/field/babybear.js';
import { ext, extAdd, extMul, extMulBase, extSub, extFromBase, type Ext } from '../../src/field/extension.js';
import {
  concatPoints,
  eqAtIndex,
  eqEval,
  eqTable,
  evaluateBase,
  evaluateExt,
  fixHighVariablesBase,
  fixLowVariablesBase,
  indexToPoint,
} from '../../src/poly/multilinear.js';
import { interpolateAt } from '../../src/poly/univariate.js';
import { Rng } from '../support/random.js';

/** Naive MLE: Σ_b f[b]·Π_k (b_k ? z_k : 1 − z_k), written independently of the kernels. */
function naiveEval(f: Uint32Array, z: Uint32Array): Ext {
  const n = z.length / 4;
  let acc = ext();
  for (let b = 0; b < f.length; b++) {
    let w: Ext = ext(1);
    for (let k = 0; k < n; k++) {
      const zk = z.subarray(4 * k, 4 * k + 4);
      w = extMul(w, (b >> k) & 1 ? zk : extSub(ext(1), zk));
    }
    acc = extAdd(acc, extMulBase(w, f[b]));
  }
  return acc;
}

test('MLE agrees with the table on the hypercube (little-endian variables)', () => {
  const rng = new Rng(1);
  const f = rng.baseVec(16);
  for (let i = 0; i < 16; i++) assert.deepEqual(evaluateBase(f, indexToPoint(i, 4)), ext(f[i]));
});

test('MLE evaluation matches the naive formula at random points', () => {
  const rng = new Rng(2);
  for (const n of [0, 1, 3, 6]) {
    const f = rng.baseVec(1 << n);
    const z = rng.extVec(n);
    assert.deepEqual(evaluateBase(f, z), naiveEval(f, z), `n=${n}`);
  }
});

test('evaluateExt is linear: (a + s·b)~ = a~ + s·b~', () => {
  const rng = new Rng(3);
  const a = rng.extVec(8);
  const b = rng.extVec(8);
  const s = rng.ext();
  const z = rng.extVec(3);
  const comb = new Uint32Array(32);
  for (let i = 0; i < 8; i++) comb.set(extAdd(a.subarray(4 * i, 4 * i + 4), extMul(s, b.subarray(4 * i, 4 * i + 4))), 4 * i);
  assert.deepEqual(evaluateExt(comb, z), extAdd(evaluateExt(a, z), extMul(s, evaluateExt(b, z))));
});

test('eq table sums to 1 and matches eqEval at hypercube points', () => {
  const rng = new Rng(4);
  const z = rng.extVec(5);
  const t = eqTable(z);
  let sum = ext();
  for (let i = 0; i < 32; i++) {
    sum = extAdd(sum, t.subarray(4 * i, 4 * i + 4));
    assert.deepEqual(t.slice(4 * i, 4 * i + 4), eqEval(z, indexToPoint(i, 5)));
    assert.deepEqual(t.slice(4 * i, 4 * i + 4), eqAtIndex(z, i));
  }
  assert.deepEqual(sum, ext(1));
});

test('fixing low then evaluating equals full evaluation; same for high variables', () => {
  const rng = new Rng(5);
  const f = rng.baseVec(64);
  const z = rng.extVec(6);
  const full = evaluateBase(f, z);
  const low = fixLowVariablesBase(f, z.subarray(0, 8));
  assert.equal(low.length, 4 * 16);
  assert.deepEqual(evaluateExt(low, z.subarray(8)), full);
  const high = fixHighVariablesBase(f, z.subarray(12));
  assert.equal(high.length, 4 * 8);
  assert.deepEqual(evaluateExt(high, z.subarray(0, 12)), full);
  assert.deepEqual(concatPoints(z.subarray(0, 8), z.subarray(8)), z);
});

test('interpolateAt recovers a polynomial from its values on 0..d', () => {
  const rng = new Rng(6);
  for (const d of [1, 2, 3, 4, 8]) {
    const coeffs: Ext[] = Array.from({ length: d + 1 }, () => rng.ext());
    const evalPoly = (x: Ext): Ext => coeffs.reduceRight<Ext>((acc, c) => extAdd(extMul(acc, x), c), ext());
    const evals = new Uint32Array(4 * (d + 1));
    for (let i = 0; i <= d; i++) evals.set(evalPoly(extFromBase(i)), 4 * i);
    const r = rng.ext();
    assert.deepEqual(interpolateAt(evals, r), evalPoly(r), `d=${d}`);
    assert.deepEqual(interpolateAt(evals, extFromBase(1)), evalPoly(extFromBase(1)));
  }
  // sanity on base arithmetic used above
  assert.equal(sub(add(5, 7), mul(3, 4)), 0);
});
