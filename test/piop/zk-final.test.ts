/**
 * Final-check discharge of the padded sumcheck: pad products in slots (copies + Hadamard), the
 * K product assembled from the 16 base products, chains for terms of ≥ 3 factors, the layout
 * (shared products and prefixes, sizes), split placements, and links to committed segments.
 * Each tamper changes one thing and the clear checker must refuse.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Ext, ext, extAdd, extMul, extSub } from '../../src/field/extension.js';
import { checkConstraints, emptySystem } from '../../src/pcs/constraints.js';
import { evaluateBase } from '../../src/poly/multilinear.js';
import { affineConst, affineConstraint, affineSub, appendSystem, evalAffine, fillUniform, hidden, padAt } from '../../src/piop/zk-affine.js';
import {
  fillFinalProducts,
  fillProductSlot,
  finalCheckValue,
  finalPadRange,
  linkToSegment,
  mulHidden,
  PRODUCT_SLOT_ENTRIES,
  productSlotSystem,
  proveZkFinal,
  verifyZkFinal,
  zkFinalAt,
  zkFinalAtSplit,
  zkFinalLayout,
  type ZkFinalAt,
  type ZkFinalShape,
} from '../../src/piop/zk-final.js';
import { Transcript } from '../../src/transcript/transcript.js';
import { Rng } from '../support/random.js';
import { bump, seededWords } from '../support/zk.js';

test('a product slot: mulHidden(A, B) is A·B on w, its copies and Hadamard hold, and each of its 48 entries matters', () => {
  const rng = new Rng(1);
  const w = new Uint32Array(8 + PRODUCT_SLOT_ENTRIES);
  fillUniform(w, 0, 8, seededWords(rng));
  const slot = { x: 8, y: 24, z: 40 };
  fillProductSlot(w, slot, 0, 4);
  const [a, b] = [rng.ext(), rng.ext()];
  const A = { padded: extAdd(a, padAt(w, 0)), pad: 0 }, B = { padded: extAdd(b, padAt(w, 4)), pad: 4 };
  assert.deepEqual(evalAffine(mulHidden(A, B, slot), w), extMul(a, b));
  const sys = productSlotSystem(slot, 0, 4);
  assert.equal(sys.linear.length, 8);
  assert.equal(checkConstraints(w, sys), null);
  for (let i = 0; i < w.length; i++) {
    const u = w.slice();
    u[i] = bump(u[i]);
    assert.notEqual(checkConstraints(u, sys), null, `entry ${i}`);
  }
  // a square: both operands the same hidden value
  fillProductSlot(w, slot, 0, 0);
  assert.deepEqual(evalAffine(mulHidden(A, A, slot), w), extMul(a, a));
  assert.equal(checkConstraints(w, productSlotSystem(slot, 0, 0)), null);
});

test('final layouts: sorted factors, shared products and chain prefixes, sizes; too many factors or a bad index is refused', () => {
  const L = zkFinalLayout({ numEvals: 4, terms: [[2, 1, 0], [0, 1, 2], [0, 1], [3], [], [0, 1, 2, 3]] });
  // e0·e1 (shared by three terms), t0·e2 (t0 = e0·e1, shared), t1·e3 (t1 = t0·e2)
  assert.equal(L.products.length, 3);
  assert.equal(L.chain.length, 2);
  assert.deepEqual(L.termProduct, [1, 1, 0, -1, -1, 2]);
  assert.equal(L.padEntries, 4 * (4 + 2));
  assert.equal(L.size, L.padEntries + 3 * PRODUCT_SLOT_ENTRIES);
  const gkr = zkFinalLayout({ numEvals: 4, terms: [[0, 3], [1, 2], [2, 3]] });
  assert.equal(gkr.products.length, 3);
  assert.equal(gkr.chain.length, 0);
  assert.equal(gkr.size, 16 + 3 * 48);
  assert.throws(() => zkFinalLayout({ numEvals: 2, terms: [[0, 2]] }), RangeError);
  assert.throws(() => zkFinalLayout({ numEvals: 1, terms: [Array(9).fill(0)] }), RangeError);
  assert.equal(zkFinalLayout({ numEvals: 1, terms: [Array(8).fill(0)] }).chain.length, 6);
});

function finalRun(rng: Rng, shape: ZkFinalShape, where: (size: number) => { w: Uint32Array; at: ZkFinalAt }) {
  const layout = zkFinalLayout(shape);
  const { w, at } = where(layout.size);
  const [lo, hi] = finalPadRange(at);
  fillUniform(w, lo, hi, seededWords(rng));
  fillFinalProducts(w, at);
  const evals = Array.from({ length: shape.numEvals }, () => rng.ext());
  const coeffs = shape.terms.map(() => rng.ext());
  const claimValue = finalCheckValue(shape, coeffs, evals);
  const proof = proveZkFinal(new Transcript('final'), w, at, evals, 'f/evals');
  return { layout, w, at, evals, coeffs, claimValue, proof };
}

test('honest final checks of up to 4 factors per term hold on w; the hidden evaluations evaluate to the clear ones', () => {
  const rng = new Rng(2);
  const shapes: ZkFinalShape[] = [
    { numEvals: 1, terms: [[0]] },
    { numEvals: 2, terms: [[0, 1], []] },
    { numEvals: 3, terms: [[0, 1, 2], [1, 1], [2]] },
    { numEvals: 4, terms: [[0, 1, 2, 3], [3, 2, 1], [0, 0, 0, 0], [1, 2]] },
  ];
  for (const shape of shapes) {
    const r = finalRun(rng, shape, (size) => {
      const w = new Uint32Array(16 + size);
      return { w, at: zkFinalAt(zkFinalLayout(shape), 16) };
    });
    const claim = affineConst(r.claimValue);
    const res = verifyZkFinal(new Transcript('final'), r.at, claim, r.coeffs, r.proof, 'f/evals');
    assert.ok(res.ok, JSON.stringify(shape));
    if (!res.ok) continue;
    assert.equal(checkConstraints(r.w, res.system), null, JSON.stringify(shape));
    res.evals.forEach((e, l) => assert.deepEqual(evalAffine(e, r.w), r.evals[l]));
    // one wrong claim, one wrong chain value, one wrong evaluation: each refused
    const wrong = verifyZkFinal(new Transcript('final'), r.at, affineConst(extAdd(r.claimValue, ext(1))), r.coeffs, r.proof, 'f/evals');
    assert.ok(wrong.ok && checkConstraints(r.w, wrong.system) !== null);
    for (const part of ['evals', 'chain'] as const) {
      if (r.proof[part].length === 0) continue;
      const q = { evals: r.proof.evals.slice(), chain: r.proof.chain.slice() };
      q[part][1] = bump(q[part][1]);
      const t = verifyZkFinal(new Transcript('final'), r.at, claim, r.coeffs, q, 'f/evals');
      assert.ok(t.ok && checkConstraints(r.w, t.system) !== null, `${part} of ${JSON.stringify(shape)}`);
    }
  }
});

test('a chain intermediate is bound by the constraints: a prover who sends another t̃ (pads unchanged) is refused', () => {
  const rng = new Rng(3);
  const shape = { numEvals: 3, terms: [[0, 1, 2]] };
  const r = finalRun(rng, shape, (size) => {
    const w = new Uint32Array(size);
    return { w, at: zkFinalAt(zkFinalLayout(shape), 0) };
  });
  // change t and fix the claim to what the changed t gives: the chain constraint still refuses
  const t = extSub(r.proof.chain.subarray(0, 4), padAt(r.w, r.at.chain));
  const tFake = extAdd(t, ext(1));
  const q = { evals: r.proof.evals, chain: extAdd(tFake, padAt(r.w, r.at.chain)) };
  const claim = affineConst(extMul(r.coeffs[0], extMul(tFake, r.evals[2])));
  const res = verifyZkFinal(new Transcript('final'), r.at, claim, r.coeffs, q, 'f/evals');
  assert.ok(res.ok);
  if (res.ok) assert.match(checkConstraints(r.w, res.system) ?? '', /linear constraint/);
});

test('split placement: X, Y, Z regions elsewhere in w (e.g. row-aligned) give one Hadamard over the three regions and the same truth', () => {
  const rng = new Rng(4);
  const shape = { numEvals: 4, terms: [[0, 3], [1, 2], [2, 3]] };
  const r = finalRun(rng, shape, () => {
    const w = new Uint32Array(1024);
    return { w, at: zkFinalAtSplit(zkFinalLayout(shape), { pads: 3, x: 256, y: 512, z: 768 }) };
  });
  const res = verifyZkFinal(new Transcript('final'), r.at, affineConst(r.claimValue), r.coeffs, r.proof, 'f/evals');
  assert.ok(res.ok);
  if (!res.ok) return;
  assert.deepEqual(res.system.hadamard, [{ x: 256, y: 512, z: 768, len: 48 }]);
  assert.equal(checkConstraints(r.w, res.system), null);
  r.w[768 + 16 + 5] = bump(r.w[768 + 16 + 5]);
  assert.notEqual(checkConstraints(r.w, res.system), null);
  assert.match(checkConstraints(r.w, { linear: [], tensor: [], hadamard: res.system.hadamard }) ?? '', /hadamard constraint 0, entry 21/);
});

test('the verifier refuses coefficient counts, lengths and encodings that do not match the layout (never throws)', () => {
  const rng = new Rng(5);
  const shape = { numEvals: 2, terms: [[0, 1]] };
  const r = finalRun(rng, shape, (size) => ({ w: new Uint32Array(size), at: zkFinalAt(zkFinalLayout(shape), 0) }));
  const v = (coeffs: Ext[], proof: typeof r.proof) => {
    const res = verifyZkFinal(new Transcript('final'), r.at, affineConst(r.claimValue), coeffs, proof, 'f/evals');
    return res.ok ? 'ok' : res.error.kind;
  };
  assert.equal(v(r.coeffs, r.proof), 'ok');
  assert.equal(v([], r.proof), 'BadShape');
  assert.equal(v(r.coeffs, { evals: r.proof.evals.subarray(4), chain: r.proof.chain }), 'WrongLength');
  assert.equal(v(r.coeffs, { evals: r.proof.evals, chain: new Uint32Array(4) }), 'WrongLength');
  const nc = r.proof.evals.slice();
  nc[0] += 2013265921;
  assert.equal(v(r.coeffs, { evals: nc, chain: r.proof.chain }), 'NonCanonical');
  assert.equal(v(r.coeffs, undefined as unknown as typeof r.proof), 'MalformedProof');
});

test('linkToSegment: ⟨eq(r), segment⟩ = ẽ − P holds for the honest evaluation, fails for a changed entry or value', () => {
  const rng = new Rng(6);
  const m = 5;
  const w = new Uint32Array(2 * 32 + 4);
  w.set(rng.baseVec(32), 32);
  fillUniform(w, 64, 68, seededWords(rng));
  const r = rng.extVec(m);
  const e = evaluateBase(w.subarray(32, 64), r);
  const value = hidden(extAdd(e, padAt(w, 64)), 64);
  const sys = emptySystem();
  sys.tensor.push(linkToSegment(value, 32, r));
  assert.equal(checkConstraints(w, sys), null);
  const u = w.slice();
  u[40] = bump(u[40]);
  assert.notEqual(checkConstraints(u, sys), null);
  const off = emptySystem();
  off.tensor.push(linkToSegment(hidden(extAdd(extAdd(e, ext(1)), padAt(w, 64)), 64), 32, r));
  assert.notEqual(checkConstraints(w, off), null);
  assert.throws(() => linkToSegment(value, 16, r), RangeError);
  // an expression with several terms is linked as well (a line restriction of two hidden values)
  const sys2 = appendSystem(emptySystem(), sys);
  sys2.linear.push(affineConstraint(affineSub(value, value)));
  assert.equal(checkConstraints(w, sys2), null);
});
