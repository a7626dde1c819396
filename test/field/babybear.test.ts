/**
 * BabyBear F_p: field axioms as properties (fast-check), arithmetic against BigInt including
 * edge values, inverses, batch inversion, pow, signed encoding and the 2-adic roots of unity.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  P, P_BIG, TWO_ADICITY, add, sub, mul, neg, pow, inv, batchInv, square, fromSigned, toSigned, reduce, rootOfUnity,
} from '../../src/field/babybear.js';
import { EDGE, fe, feNonZero, big, modBig } from './helpers.js';

test('p = 15·2^27 + 1 and the two-adicity is 27', () => {
  assert.equal(P, 15 * 2 ** 27 + 1);
  assert.equal(P_BIG, BigInt(P));
  assert.equal((P - 1) % 2 ** TWO_ADICITY, 0);
  assert.equal(((P - 1) / 2 ** TWO_ADICITY) % 2, 1);
});

test('add, sub, mul, neg agree with BigInt on all pairs of edge values', () => {
  for (const x of EDGE) {
    for (const y of EDGE) {
      const a = x % P, b = y % P;
      assert.equal(add(a, b), modBig(big(a) + big(b)), `add(${a}, ${b})`);
      assert.equal(sub(a, b), modBig(big(a) - big(b)), `sub(${a}, ${b})`);
      assert.equal(mul(a, b), modBig(big(a) * big(b)), `mul(${a}, ${b})`);
    }
    assert.equal(neg(x % P), modBig(-big(x % P)));
  }
});

test('add, sub, mul, inv agree with BigInt on random elements', () => {
  fc.assert(
    fc.property(fe, fe, (a, b) => {
      assert.equal(add(a, b), modBig(big(a) + big(b)));
      assert.equal(sub(a, b), modBig(big(a) - big(b)));
      assert.equal(mul(a, b), modBig(big(a) * big(b)));
      if (a !== 0) assert.equal(mul(inv(a), a), 1);
    }),
    { numRuns: 2000 },
  );
});

test('mul is exact where the float quotient is most fragile (a·b within 2 of a multiple of p)', () => {
  for (const a of [P - 1, P - 2, (P - 1) / 2, 2 ** 30, 12345677, 3]) {
    for (const k of [1n, 2n, 7n, 1000n, 2n ** 20n, BigInt(a) - 1n]) {
      if (k <= 0n || k >= BigInt(a)) continue;
      const b0 = (k * P_BIG) / BigInt(a);
      for (let d = -2n; d <= 2n; d++) {
        const b = Number(b0 + d);
        if (b < 0 || b >= P) continue;
        assert.equal(mul(a, b), modBig(big(a) * big(b)), `mul(${a}, ${b})`);
      }
    }
  }
});

test('field axioms hold in F_p', () => {
  fc.assert(
    fc.property(fe, fe, fe, (a, b, c) => {
      assert.equal(add(add(a, b), c), add(a, add(b, c)), 'add associative');
      assert.equal(mul(mul(a, b), c), mul(a, mul(b, c)), 'mul associative');
      assert.equal(add(a, b), add(b, a), 'add commutative');
      assert.equal(mul(a, b), mul(b, a), 'mul commutative');
      assert.equal(mul(a, add(b, c)), add(mul(a, b), mul(a, c)), 'distributive');
      assert.equal(add(a, 0), a, 'additive identity');
      assert.equal(mul(a, 1), a, 'multiplicative identity');
      assert.equal(mul(a, 0), 0, 'zero absorbs');
      assert.equal(add(a, neg(a)), 0, 'additive inverse');
      assert.equal(sub(a, b), add(a, neg(b)), 'sub = add neg');
      assert.equal(square(a), mul(a, a), 'square');
    }),
    { numRuns: 1000 },
  );
});

test('inverses: a·a^−1 = 1, inv(inv(a)) = a, inv(0) throws', () => {
  fc.assert(
    fc.property(feNonZero, (a) => {
      const ai = inv(a);
      assert.equal(mul(a, ai), 1);
      assert.equal(inv(ai), a);
      assert.equal(ai, modBig(modPowBig(big(a), P_BIG - 2n)));
    }),
    { numRuns: 300 },
  );
  assert.throws(() => inv(0), RangeError);
});

test('batch inversion matches element-wise inversion and names a zero', () => {
  fc.assert(
    fc.property(fc.array(feNonZero, { minLength: 0, maxLength: 40 }), (xs) => {
      const v = Uint32Array.from(xs);
      const out = batchInv(v);
      assert.deepEqual(Array.from(out), xs.map(inv));
    }),
    { numRuns: 100 },
  );
  assert.throws(() => batchInv(Uint32Array.of(3, 0, 5)), /element 1 is zero/);
});

test('pow agrees with BigInt and obeys exponent laws; Fermat', () => {
  fc.assert(
    fc.property(fe, fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 1000 }), (a, e, f) => {
      assert.equal(pow(a, e), modBig(modPowBig(big(a), BigInt(e))));
      assert.equal(mul(pow(a, e), pow(a, f)), pow(a, e + f));
      if (a !== 0) assert.equal(pow(a, P - 1), 1);
    }),
    { numRuns: 300 },
  );
  assert.equal(pow(0, 0), 1);
  assert.equal(pow(5, 10n ** 30n), modBig(modPowBig(5n, 10n ** 30n)));
  assert.throws(() => pow(2, -1), RangeError);
});

test('signed encoding round-trips and reduce handles negatives', () => {
  fc.assert(
    fc.property(fc.integer({ min: -(P - 1) / 2, max: (P - 1) / 2 }), (v) => {
      const x = fromSigned(v);
      assert.ok(x >= 0 && x < P);
      assert.equal(toSigned(x), v);
      assert.equal(reduce(v), x);
    }),
  );
  assert.equal(reduce(-1), P - 1);
  assert.equal(reduce(3 * P + 4), 4);
});

test('roots of unity: ω_k^(2^k) = 1 and ω_k^(2^(k−1)) = p − 1 for k = 1..27', () => {
  assert.equal(rootOfUnity(0), 1);
  for (let k = 1; k <= TWO_ADICITY; k++) {
    const w = rootOfUnity(k);
    assert.equal(pow(w, 2 ** k), 1, `ω_${k}^(2^${k})`);
    assert.equal(pow(w, 2 ** (k - 1)), P - 1, `ω_${k}^(2^${k - 1})`);
    if (k > 1) assert.equal(mul(w, w), rootOfUnity(k - 1), `ω_${k}^2 = ω_${k - 1}`);
  }
  assert.throws(() => rootOfUnity(28), RangeError);
});

function modPowBig(b: bigint, e: bigint): bigint {
  let acc = 1n;
  let x = b % P_BIG;
  while (e > 0n) {
    if (e & 1n) acc = (acc * x) % P_BIG;
    x = (x * x) % P_BIG;
    e >>= 1n;
  }
  return acc;
}
