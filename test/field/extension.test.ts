/**
 * The quartic extension K = F_p[u]/(u^4 − 11): irreducibility of u^4 − 11 (Rabin's test in
 * independent BigInt polynomial arithmetic, and the binomial criterion), field axioms as
 * properties, multiplication against a BigInt schoolbook oracle, inverses, batch inversion, pow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { P, P_BIG, pow } from '../../src/field/babybear.js';
import {
  W, ext, extAdd, extSub, extMul, extNeg, extInv, extBatchInv, extPow, extSquare, extMulBase, extOneMinus,
  extIsZero, EXT_ONE, EXT_ZERO, type Ext,
} from '../../src/field/extension.js';
import { extArb, extNonZero, fe, arr } from './helpers.js';

// ---- BigInt polynomials over F_p (coefficient arrays, constant first, no trailing zeros) ----
type Poly = bigint[];
const md = (x: bigint): bigint => ((x % P_BIG) + P_BIG) % P_BIG;
function trim(a: Poly): Poly {
  const r = a.map(md);
  while (r.length > 0 && r[r.length - 1] === 0n) r.pop();
  return r;
}
function polyMul(a: Poly, b: Poly): Poly {
  if (a.length === 0 || b.length === 0) return [];
  const r: Poly = new Array(a.length + b.length - 1).fill(0n);
  for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) r[i + j] += a[i] * b[j];
  return trim(r);
}
function polySub(a: Poly, b: Poly): Poly {
  const r: Poly = new Array(Math.max(a.length, b.length)).fill(0n);
  for (let i = 0; i < a.length; i++) r[i] += a[i];
  for (let i = 0; i < b.length; i++) r[i] -= b[i];
  return trim(r);
}
function invBig(a: bigint): bigint {
  let acc = 1n, x = md(a), e = P_BIG - 2n;
  while (e > 0n) {
    if (e & 1n) acc = (acc * x) % P_BIG;
    x = (x * x) % P_BIG;
    e >>= 1n;
  }
  return acc;
}
function polyMod(a: Poly, f: Poly): Poly {
  let r = trim(a);
  const lead = invBig(f[f.length - 1]);
  while (r.length >= f.length) {
    const c = (r[r.length - 1] * lead) % P_BIG;
    const shift = r.length - f.length;
    const sub: Poly = new Array(shift).fill(0n).concat(f.map((x) => x * c));
    r = polySub(r, sub);
  }
  return r;
}
function polyGcd(a: Poly, b: Poly): Poly {
  let x = trim(a), y = trim(b);
  while (y.length > 0) [x, y] = [y, polyMod(x, y)];
  const lead = invBig(x[x.length - 1]);
  return x.map((c) => (c * lead) % P_BIG); // monic
}
/** base^e mod f by square-and-multiply. */
function polyPowMod(base: Poly, e: bigint, f: Poly): Poly {
  let acc: Poly = [1n];
  let x = polyMod(base, f);
  while (e > 0n) {
    if (e & 1n) acc = polyMod(polyMul(acc, x), f);
    x = polyMod(polyMul(x, x), f);
    e >>= 1n;
  }
  return acc;
}

test('u^4 − 11 is irreducible over F_p: Rabin\'s test with BigInt polynomials', () => {
  const f: Poly = [md(-BigInt(W)), 0n, 0n, 0n, 1n];
  const x: Poly = [0n, 1n];
  // x^(p^k) mod f by k successive p-th powers
  let xp2 = x;
  for (let i = 0; i < 2; i++) xp2 = polyPowMod(xp2, P_BIG, f);
  let xp4 = xp2;
  for (let i = 0; i < 2; i++) xp4 = polyPowMod(xp4, P_BIG, f);
  assert.deepEqual(polySub(xp4, x), [], 'x^(p^4) ≡ x mod f');
  // the only prime divisor of 4 is 2: gcd(x^(p^2) − x, f) must be 1
  assert.deepEqual(polyGcd(polySub(xp2, x), f), [1n], 'gcd(x^(p^2) − x, f) = 1');
  // sanity of the machinery: a reducible binomial fails the gcd condition (u^4 − 16 = (u−2)(u+2)(u^2+4))
  const g: Poly = [md(-16n), 0n, 0n, 0n, 1n];
  let yp2 = x;
  for (let i = 0; i < 2; i++) yp2 = polyPowMod(yp2, P_BIG, g);
  assert.notDeepEqual(polyGcd(polySub(yp2, x), g), [1n]);
});

test('u^4 − 11 is irreducible: binomial criterion (11 a non-residue, p ≡ 1 mod 4)', () => {
  assert.equal(pow(W, (P - 1) / 2), P - 1, '11^((p−1)/2) = −1');
  assert.equal(P % 4, 1);
});

/** Schoolbook product in K with BigInt, reducing u^4 = 11. */
function extMulBig(a: Ext, b: Ext): number[] {
  const c = new Array<bigint>(7).fill(0n);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) c[i + j] += BigInt(a[i]) * BigInt(b[j]);
  for (let k = 6; k >= 4; k--) c[k - 4] += BigInt(W) * c[k];
  return c.slice(0, 4).map((x) => Number(x % P_BIG));
}

test('extMul agrees with a BigInt schoolbook product (including all-(p−1) operands)', () => {
  fc.assert(fc.property(extArb, extArb, (a, b) => assert.deepEqual(arr(extMul(a, b)), extMulBig(a, b))), { numRuns: 1000 });
  const m = ext(P - 1, P - 1, P - 1, P - 1);
  assert.deepEqual(arr(extMul(m, m)), extMulBig(m, m));
  assert.deepEqual(arr(extPow(ext(0, 1), 4)), [W, 0, 0, 0], 'u^4 = 11');
});

test('field axioms hold in K', () => {
  fc.assert(
    fc.property(extArb, extArb, extArb, (a, b, c) => {
      assert.deepEqual(extAdd(extAdd(a, b), c), extAdd(a, extAdd(b, c)), 'add associative');
      assert.deepEqual(extMul(extMul(a, b), c), extMul(a, extMul(b, c)), 'mul associative');
      assert.deepEqual(extAdd(a, b), extAdd(b, a), 'add commutative');
      assert.deepEqual(extMul(a, b), extMul(b, a), 'mul commutative');
      assert.deepEqual(extMul(a, extAdd(b, c)), extAdd(extMul(a, b), extMul(a, c)), 'distributive');
      assert.deepEqual(extAdd(a, EXT_ZERO as Ext), a, 'additive identity');
      assert.deepEqual(extMul(a, EXT_ONE as Ext), a, 'multiplicative identity');
      assert.ok(extIsZero(extAdd(a, extNeg(a))), 'additive inverse');
      assert.deepEqual(extSub(a, b), extAdd(a, extNeg(b)), 'sub = add neg');
      assert.deepEqual(extSquare(a), extMul(a, a), 'square');
      assert.deepEqual(extOneMinus(a), extSub(EXT_ONE as Ext, a), 'one minus');
    }),
    { numRuns: 500 },
  );
});

test('F_p embeds in K: base scaling equals multiplication by (s, 0, 0, 0)', () => {
  fc.assert(fc.property(extArb, fe, (a, s) => assert.deepEqual(extMulBase(a, s), extMul(a, ext(s)))), { numRuns: 300 });
});

test('inverses in K: a·a^−1 = 1, agrees with a^(p^4 − 2); inv(0) throws', () => {
  fc.assert(
    fc.property(extNonZero, (a) => {
      const ai = extInv(a);
      assert.deepEqual(arr(extMul(a, ai)), [1, 0, 0, 0]);
      assert.deepEqual(extInv(ai), a);
    }),
    { numRuns: 300 },
  );
  const a = ext(3, 1, 4, 1);
  assert.deepEqual(extPow(a, P_BIG ** 4n - 2n), extInv(a));
  assert.throws(() => extInv(ext()), RangeError);
});

test('batch inversion in K matches element-wise inversion and names a zero', () => {
  fc.assert(
    fc.property(fc.array(extNonZero, { minLength: 0, maxLength: 20 }), (xs) => {
      const v = new Uint32Array(4 * xs.length);
      xs.forEach((x, i) => v.set(x, 4 * i));
      const out = extBatchInv(v);
      xs.forEach((x, i) => assert.deepEqual(out.subarray(4 * i, 4 * i + 4), extInv(x)));
    }),
    { numRuns: 50 },
  );
  assert.throws(() => extBatchInv(Uint32Array.of(1, 0, 0, 0, 0, 0, 0, 0)), /element 1 is zero/);
});

test('pow in K: exponent laws, Lagrange (a^(p^4−1) = 1), Frobenius is additive', () => {
  fc.assert(
    fc.property(extArb, extArb, fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), (a, b, e, f) => {
      assert.deepEqual(extMul(extPow(a, e), extPow(a, f)), extPow(a, e + f));
      assert.deepEqual(extPow(extMul(a, b), e), extMul(extPow(a, e), extPow(b, e)));
      // (a + b)^p = a^p + b^p in characteristic p
      assert.deepEqual(extPow(extAdd(a, b), P), extAdd(extPow(a, P), extPow(b, P)));
    }),
    { numRuns: 100 },
  );
  fc.assert(fc.property(extNonZero, (a) => assert.deepEqual(arr(extPow(a, P_BIG ** 4n - 1n)), [1, 0, 0, 0])), { numRuns: 30 });
  assert.deepEqual(arr(extPow(ext(5, 6, 7, 8), 0)), [1, 0, 0, 0]);
});
