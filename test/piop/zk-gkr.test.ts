/**
 * The padded GKR end to end: leaves committed in w, a fractional sum of zero proved with every
 * value padded, the leaf claims linked to the leaf segments. A non-zero sum, a zero denominator
 * (no inverse exists), a changed root value or a changed leaf each make the constraints fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add, inv, mul, neg, sub } from '../../src/field/babybear.js';
import { liftToExt } from '../../src/field/extension.js';
import { checkConstraints } from '../../src/pcs/constraints.js';
import { evaluateBase } from '../../src/poly/multilinear.js';
import { fillZkGkrPads, GKR_ROOT_FINAL, proveZkGkr, verifyZkGkr, zkGkrAt, zkGkrLayout, type ZkGkrProof } from '../../src/piop/lookup/zk-gkr.js';
import { evalAffine } from '../../src/piop/zk-affine.js';
import { linkToSegment, zkFinalLayout } from '../../src/piop/zk-final.js';
import { Transcript } from '../../src/transcript/transcript.js';
import { Rng } from '../support/random.js';
import { bump, seededWords } from '../support/zk.js';

/** Base leaves with Σ p_i/q_i = 0 (the last numerator solved for). */
function zeroSumLeaves(rng: Rng, n: number): { p: Uint32Array; q: Uint32Array } {
  const size = 1 << n;
  const p = rng.baseVec(size), q = rng.baseVec(size);
  let s = 0;
  for (let i = 0; i < size - 1; i++) s = add(s, mul(p[i], inv(q[i])));
  p[size - 1] = mul(neg(s), q[size - 1]);
  return { p, q };
}

function run(n: number, leaves: { p: Uint32Array; q: Uint32Array }, seed: number) {
  const size = 1 << n;
  const layout = zkGkrLayout(n);
  const at = zkGkrAt(layout, 2 * size);
  const w = new Uint32Array(2 * size + layout.size);
  w.set(leaves.p, 0);
  w.set(leaves.q, size);
  fillZkGkrPads(w, at, seededWords(new Rng(seed)));
  const out = proveZkGkr(new Transcript('zk-gkr'), liftToExt(leaves.p), liftToExt(leaves.q), w, at);
  return { w, at, out, size };
}

function check(r: ReturnType<typeof run>, proof: ZkGkrProof = r.out.proof, w = r.w): string | null {
  const v = verifyZkGkr(new Transcript('zk-gkr'), proof, r.at);
  if (!v.ok) return v.error.kind;
  v.system.tensor.push(linkToSegment(v.p, 0, v.point), linkToSegment(v.q, r.size, v.point));
  return checkConstraints(w, v.system);
}

test('padded GKR: zero fractional sums over 1–6 leaf variables verify, and the leaf claims are the leaves’ MLEs', () => {
  for (let n = 1; n <= 6; n++) {
    const rng = new Rng(n);
    const leaves = zeroSumLeaves(rng, n);
    const r = run(n, leaves, 100 + n);
    assert.equal(check(r), null, `N=${n}`);
    const v = verifyZkGkr(new Transcript('zk-gkr'), r.out.proof, r.at);
    assert.ok(v.ok);
    if (!v.ok) continue;
    assert.deepEqual(v.point, r.out.point);
    assert.deepEqual(evalAffine(v.p, r.w), evaluateBase(leaves.p, v.point));
    assert.deepEqual(evalAffine(v.q, r.w), evaluateBase(leaves.q, v.point));
  }
  const root = zkFinalLayout(GKR_ROOT_FINAL);
  assert.equal(root.products.length, 4);
  assert.equal(root.chain.length, 1);
  assert.equal(zkGkrLayout(3).size, root.size + zkGkrLayout(3).layers.reduce((s, l) => s + l.size, 0));
});

test('padded GKR: a non-zero sum, a zero denominator, a changed root value, mask or leaf makes the constraints fail', () => {
  const n = 4;
  const rng = new Rng(9);
  const leaves = zeroSumLeaves(rng, n);
  const r = run(n, leaves, 7);
  assert.equal(check(r), null);
  const off = { p: leaves.p.slice(), q: leaves.q };
  off.p[5] = add(off.p[5], 1);
  assert.notEqual(check(run(n, off, 7)), null, 'Σ p/q ≠ 0');
  // q_i = 0 for one leaf, numerators rebalanced so that p_0 = 0 still: only q_0 = 0 is wrong
  const z = zeroSumLeaves(rng, n);
  z.q[2] = 0;
  let s = 0;
  for (let i = 0; i < (1 << n) - 1; i++) if (i !== 2) s = add(s, mul(z.p[i], inv(z.q[i])));
  z.p[(1 << n) - 1] = mul(sub(0, s), z.q[(1 << n) - 1]);
  z.p[2] = 0;
  assert.notEqual(check(run(n, z, 8)), null, 'q_0 = 0');
  for (let k = 0; k < 20; k += 3) {
    const q = { root: { evals: r.out.proof.root.evals.slice(), chain: r.out.proof.root.chain.slice() }, layers: r.out.proof.layers };
    q.root.evals[k] = bump(q.root.evals[k]);
    assert.notEqual(check(r, q), null, `root word ${k}`);
  }
  const qc = { root: { evals: r.out.proof.root.evals, chain: Uint32Array.from(r.out.proof.root.chain, (x, i) => (i === 0 ? bump(x) : x)) }, layers: r.out.proof.layers };
  assert.notEqual(check(r, qc), null, 'root chain value q10·q11');
  const u = r.w.slice();
  u[3] = bump(u[3]);
  assert.notEqual(check(r, r.out.proof, u), null, 'leaf');
  assert.equal(check(r, { root: r.out.proof.root, layers: r.out.proof.layers.slice(1) }), 'WrongLayerCount');
});
