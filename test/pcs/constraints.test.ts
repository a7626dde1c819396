/** The clear constraint checker (src/pcs/constraints.ts): satisfied systems pass, one changed value fails. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { P } from '../../src/field/babybear.js';
import { ext, extAdd, extMulBase, type Ext } from '../../src/field/extension.js';
import { evaluateBase } from '../../src/poly/multilinear.js';
import { checkConstraints, segmentAligned, type ConstraintSystem } from '../../src/pcs/constraints.js';
import { Rng } from '../support/random.js';

function system(r: Rng, w: Uint32Array): ConstraintSystem {
  const index = Uint32Array.of(3, 17, 40);
  const coeffs = r.extVec(3);
  let rhs: Ext = ext();
  index.forEach((i, k) => (rhs = extAdd(rhs, extMulBase(coeffs.subarray(4 * k, 4 * k + 4), w[i]))));
  const point = r.extVec(4); // the MLE of w[16, 32) at a point, plus c·w[50]
  const c = r.extVec(1);
  const tensorRhs = extAdd(evaluateBase(w.slice(16, 32), point), extMulBase(c, w[50]));
  for (let i = 0; i < 4; i++) w[56 + i] = Number((BigInt(w[48 + i]) * BigInt(w[52 + i])) % BigInt(P));
  return {
    linear: [{ index, coeffs, rhs }],
    tensor: [{ offset: 16, numVars: 4, point, extra: { index: Uint32Array.of(50), coeffs: c }, rhs: tensorRhs }],
    hadamard: [{ x: 48, y: 52, z: 56, len: 4 }],
  };
}

test('constraints: a satisfied system passes; changing any entry it reads is caught', () => {
  const r = new Rng(5);
  const w = r.baseVec(64);
  const sys = system(r, w);
  assert.equal(checkConstraints(w, sys), null);
  for (const [i, kind] of [[17, /linear constraint 0/], [20, /tensor constraint 0/], [50, /tensor constraint 0/], [49, /hadamard constraint 0, entry 1/], [59, /hadamard constraint 0, entry 3/]] as const) {
    const bad = w.slice();
    bad[i] = (bad[i] + 1) % P;
    assert.match(checkConstraints(bad, sys) ?? 'passed', kind, `entry ${i}`);
  }
  const untouched = w.slice();
  untouched[0] = (untouched[0] + 1) % P;
  assert.equal(checkConstraints(untouched, sys), null, 'an entry no constraint reads is free');
});

test('constraints: out-of-range indices and misaligned segments are caller errors', () => {
  const w = new Uint32Array(16);
  assert.throws(() => checkConstraints(w, { linear: [{ index: Uint32Array.of(16), coeffs: new Uint32Array(4), rhs: new Uint32Array(4) }], tensor: [], hadamard: [] }), /outside the committed vector/);
  assert.throws(() => checkConstraints(w, { linear: [], tensor: [{ offset: 2, numVars: 2, point: new Uint32Array(8), extra: { index: new Uint32Array(0), coeffs: new Uint32Array(0) }, rhs: new Uint32Array(4) }], hadamard: [] }), /not a multiple/);
  assert.throws(() => checkConstraints(w, { linear: [], tensor: [], hadamard: [{ x: 0, y: 4, z: 14, len: 4 }] }), /outside the committed vector/);
});

test('constraints: with the vectors\' starts, a segment may be aligned within its vector instead of in w', () => {
  assert.ok(segmentAligned(32, 4) && !segmentAligned(40, 4), 'without bases: a multiple of 2^4 in w');
  const bases = [0, 24, 64]; // two vectors, the second starting at 24
  assert.ok(segmentAligned(40, 4, bases), '40 = 24 + 16: aligned within vector 1');
  assert.ok(segmentAligned(32, 4, bases), 'aligned in w stays accepted');
  assert.ok(!segmentAligned(44, 4, bases) && !segmentAligned(8, 4, bases), 'neither');
  const r = new Rng(9);
  const w = r.baseVec(64);
  const point = r.extVec(4);
  const seg = (offset: number, rhs: Uint32Array): ConstraintSystem => ({ linear: [], tensor: [{ offset, numVars: 4, point, extra: { index: new Uint32Array(0), coeffs: new Uint32Array(0) }, rhs }], hadamard: [] });
  const sys = seg(40, evaluateBase(w.slice(40, 56), point));
  assert.equal(checkConstraints(w, sys, bases), null, 'the segment is read from its first entry');
  const bad = w.slice();
  bad[55] = (bad[55] + 1) % P;
  assert.match(checkConstraints(bad, sys, bases) ?? 'passed', /tensor constraint 0/);
  assert.throws(() => checkConstraints(w, sys), /not a multiple/, 'without the bases it is misaligned');
  assert.throws(() => checkConstraints(w, seg(44, sys.tensor[0].rhs), bases), /not a multiple of 2\^4 in w or in its vector/);
});
