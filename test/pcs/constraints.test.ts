/** The clear constraint checker (src/pcs/constraints.ts): satisfied systems pass, one changed value fails. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { P } from '../../src/field/babybear.js';
import { ext, extAdd, extMulBase, type Ext } from '../../src/field/extension.js';
import { evaluateBase } from '../../src/poly/multilinear.js';
import { checkConstraints, type ConstraintSystem } from '../../src/pcs/constraints.js';
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
