/**
 * The array-based affine expressions (`src/piop/zk-affine.ts`) against the straightforward
 * reference kept here: a Map from entry index to K coefficient, every operation written out term
 * by term, constraints sorted by index with zero coefficients dropped (the representation the
 * verifier used before). Random expressions built by random sequences of operations must give the
 * same constraints (indices, coefficients, right-hand side), the same `isConstant` and the same
 * value on a random w.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { P } from '../../src/field/babybear.js';
import { type Ext, ext, extAdd, extIsZero, extMul, extMulBase, extNeg } from '../../src/field/extension.js';
import {
  type Affine,
  affineAdd,
  affineAddConst,
  affineCombine,
  affineConst,
  affineConstraint,
  affinePlusEntry,
  affinePlusPad,
  affineScale,
  affineSub,
  appendSystem,
  evalAffine,
  hidden,
  isAffine,
  isConstant,
  sortedTerms,
  U_POWERS,
} from '../../src/piop/zk-affine.js';
import { Rng } from '../support/random.js';
import type { ConstraintSystem } from '../../src/pcs/constraints.js';

/** The reference: constant and a Map of terms. */
interface Ref {
  constant: Ext;
  terms: Map<number, Ext>;
}

function refAdd(terms: Map<number, Ext>, i: number, c: Ext): void {
  const prev = terms.get(i);
  terms.set(i, prev ? extAdd(prev, c) : c.slice());
}

function refPlusPad(a: Ref, c: Ext, pad: number): Ref {
  const terms = new Map(a.terms);
  for (let i = 0; i < 4; i++) refAdd(terms, pad + i, extMul(c, U_POWERS[i]));
  return { constant: a.constant, terms };
}

function refCombine(cs: Ext[], parts: Ref[]): Ref {
  let constant = ext();
  const terms = new Map<number, Ext>();
  parts.forEach((p, k) => {
    constant = extAdd(constant, extMul(cs[k], p.constant));
    for (const [i, v] of p.terms) refAdd(terms, i, extMul(cs[k], v));
  });
  return { constant, terms };
}

function refSorted(a: Ref, scale: Ext = ext(1)): { index: number[]; coeffs: number[] } {
  const kept = [...a.terms].map(([i, v]) => [i, extMul(v, scale)] as const).filter(([, v]) => !extIsZero(v));
  kept.sort((x, y) => x[0] - y[0]);
  return { index: kept.map(([i]) => i), coeffs: kept.flatMap(([, v]) => Array.from(v)) };
}

function refEval(a: Ref, w: Uint32Array): Ext {
  let acc = a.constant;
  for (const [i, v] of a.terms) acc = extAdd(acc, extMulBase(v, w[i]));
  return acc;
}

const N = 96;

/** A random pair (array form, reference) built by `steps` random operations on small random expressions. */
function randomPair(rng: Rng, steps: number, pool: [Affine, Ref][]): [Affine, Ref] {
  const c0 = rng.ext();
  let cur: [Affine, Ref] = [affineConst(c0), { constant: c0, terms: new Map() }];
  for (let s = 0; s < steps; s++) {
    const c = rng.int(5) === 0 ? ext(rng.int(3)) : rng.ext(); // small coefficients make cancellations likely
    const other = pool.length > 0 ? pool[rng.int(pool.length)] : cur;
    switch (rng.int(8)) {
      case 0: {
        const pad = rng.int(N - 4);
        cur = [affinePlusPad(cur[0], c, pad), refPlusPad(cur[1], c, pad)];
        break;
      }
      case 1: {
        const i = rng.int(N);
        const t = new Map(cur[1].terms);
        refAdd(t, i, c);
        cur = [affinePlusEntry(cur[0], c, i), { constant: cur[1].constant, terms: t }];
        break;
      }
      case 2: {
        const padded = rng.ext();
        const pad = rng.int(N - 4);
        cur = [affineAdd(cur[0], hidden(padded, pad)), refCombine([ext(1), ext(1)], [cur[1], refPlusPad({ constant: padded, terms: new Map() }, ext(P - 1), pad)])];
        break;
      }
      case 3:
        cur = [affineSub(cur[0], other[0]), refCombine([ext(1), ext(P - 1)], [cur[1], other[1]])];
        break;
      case 4:
        cur = [affineScale(cur[0], c), refCombine([c], [cur[1]])];
        break;
      case 5:
        cur = [affineAddConst(cur[0], c), { constant: extAdd(cur[1].constant, c), terms: cur[1].terms }];
        break;
      case 6: {
        // a combination of several pool members (the balanced merge)
        const k = 1 + rng.int(7);
        const picks = Array.from({ length: k }, () => (pool.length > 0 ? pool[rng.int(pool.length)] : cur));
        const cs = picks.map(() => rng.ext());
        cur = [affineCombine([ext(1), ...cs], [cur[0], ...picks.map((p) => p[0])]), refCombine([ext(1), ...cs], [cur[1], ...picks.map((p) => p[1])])];
        break;
      }
      default: {
        // every term cancels (zero coefficients stay in the array form), then one entry is added
        const i = rng.int(N);
        const r = refCombine([ext(1), ext(P - 1)], [cur[1], cur[1]]);
        refAdd(r.terms, i, c);
        cur = [affinePlusEntry(affineSub(cur[0], cur[0]), c, i), r];
      }
    }
  }
  return cur;
}

test('array-based affine expressions give the reference’s constraints, constancy and values', () => {
  const rng = new Rng(2026);
  const pool: [Affine, Ref][] = [];
  for (let trial = 0; trial < 400; trial++) {
    const [a, r] = randomPair(rng, 1 + rng.int(12), pool);
    assert.ok(isAffine(a), `trial ${trial}: malformed expression`);
    const scale = rng.ext();
    const got = sortedTerms(a, scale);
    const want = refSorted(r, scale);
    assert.deepEqual(Array.from(got.index), want.index, `trial ${trial}: indices`);
    assert.deepEqual(Array.from(got.coeffs), want.coeffs, `trial ${trial}: coefficients`);
    const [b, rb] = pool.length > 0 ? pool[rng.int(pool.length)] : [affineConst(), { constant: ext(), terms: new Map() }];
    const lc = affineConstraint(a, b);
    const d = refCombine([ext(1), ext(P - 1)], [r, rb]);
    const wantC = refSorted(d);
    assert.deepEqual([Array.from(lc.index), Array.from(lc.coeffs), Array.from(lc.rhs)], [wantC.index, wantC.coeffs, Array.from(extNeg(d.constant))], `trial ${trial}: constraint`);
    assert.equal(isConstant(a), refSorted(r).index.length === 0, `trial ${trial}: isConstant`);
    const w = rng.baseVec(N);
    assert.deepEqual(evalAffine(a, w), refEval(r, w), `trial ${trial}: value`);
    pool.push([a, r]);
    if (pool.length > 24) pool.shift();
  }
});

test('isAffine refuses descending or repeated indices, a short coefficient array and non-canonical words', () => {
  const good = affinePlusPad(affineConst(ext(3)), ext(5), 8);
  assert.ok(isAffine(good));
  assert.equal(isAffine({ ...good, index: Uint32Array.of(8, 10, 9, 11) }), false);
  assert.equal(isAffine({ ...good, index: Uint32Array.of(8, 9, 9, 11) }), false);
  assert.equal(isAffine({ ...good, coeffs: good.coeffs.subarray(0, 12) }), false);
  const bad = good.coeffs.slice();
  bad[5] = P;
  assert.equal(isAffine({ ...good, coeffs: bad }), false);
  assert.equal(isAffine({ ...good, constant: ext(P) }), false);
});

test('appendSystem: a system of 300,000 constraints appends without overflowing the call stack (the PaddleOCR recognizer has ~10^5)', () => {
  const big: ConstraintSystem = { linear: [], tensor: [], hadamard: [] };
  const c = { terms: [], rhs: [0, 0, 0, 0] } as unknown as ConstraintSystem['linear'][number];
  for (let i = 0; i < 300_000; i++) big.linear.push(c);
  const into = appendSystem({ linear: [c], tensor: [], hadamard: [] }, big, big);
  assert.equal(into.linear.length, 600_001);
  assert.equal(into.linear[600_000], c);
});
