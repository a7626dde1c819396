/**
 * The padded GKR end to end: leaves committed in w, a fractional sum of zero proved with every
 * value padded, the leaf claims linked to the leaf segments. A non-zero sum, a zero denominator
 * (no inverse exists), a changed root value or a changed leaf each make the constraints fail. The
 * fast (workspace, hooked) prover is checked against the step-by-step reference; bytes round-trip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add, inv, mul, neg, sub } from '../../src/field/babybear.js';
import { type Ext, ext, extAdd, extInv, extIsZero, extMul, extSub, liftToExt } from '../../src/field/extension.js';
import { checkConstraints } from '../../src/pcs/constraints.js';
import { evaluateBase, type Point } from '../../src/poly/multilinear.js';
import { fillZkGkrPads, GKR_ROOT_FINAL, proveZkGkr, readZkGkrProof, verifyZkGkr, writeZkGkrProof, zkGkrAt, zkGkrLayout, type ZkGkrAt, type ZkGkrProof } from '../../src/piop/lookup/zk-gkr.js';
import { proveZkGkrLayer, type ZkGkrLayerProof } from '../../src/piop/lookup/zk-gkr-layer.js';
import { evalAffine } from '../../src/piop/zk-affine.js';
import { linkToSegment, proveZkFinal, zkFinalLayout } from '../../src/piop/zk-final.js';
import { Transcript } from '../../src/transcript/transcript.js';
import { ByteReader, ByteWriter, DecodeError } from '../../src/util/bytes.js';
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

/** Layers 1..N of the fraction tree over ext leaves, with plain K arithmetic (the reference). */
function fractionLayers(p: Uint32Array, q: Uint32Array, n: number): { P: Uint32Array[]; Q: Uint32Array[] } {
  const P: Uint32Array[] = [], Q: Uint32Array[] = [];
  [P[n], Q[n]] = [p, q];
  const at = (t: Uint32Array, i: number) => t.subarray(4 * i, 4 * i + 4);
  for (let k = n - 1; k >= 1; k--) {
    const h = 1 << k;
    [P[k], Q[k]] = [new Uint32Array(4 * h), new Uint32Array(4 * h)];
    for (let i = 0; i < h; i++) {
      P[k].set(extAdd(extMul(at(P[k + 1], i), at(Q[k + 1], i + h)), extMul(at(P[k + 1], i + h), at(Q[k + 1], i))), 4 * i);
      Q[k].set(extMul(at(Q[k + 1], i), at(Q[k + 1], i + h)), 4 * i);
    }
  }
  return { P, Q };
}

/** The padded GKR step by step: the root check, then `proveZkGkrLayer` (generic sumcheck) per layer. */
function referenceProof(tr: Transcript, p: Uint32Array, q: Uint32Array, w: Uint32Array, at: ZkGkrAt, label: string): { proof: ZkGkrProof; point: Point; p: Ext; q: Ext } {
  const n = at.layout.numVars;
  const { P, Q } = fractionLayers(p, q, n);
  const r4 = [P[1].subarray(0, 4), P[1].subarray(4, 8), Q[1].subarray(0, 4), Q[1].subarray(4, 8)];
  const q0 = extMul(r4[2], r4[3]);
  const root = proveZkFinal(tr, w, at.root, [...r4, extIsZero(q0) ? ext() : extInv(q0)], `${label}/root`);
  tr.challengeExt(`${label}/root-beta`);
  const mu = tr.challengeExt(`${label}/mu`);
  const line = (a: Ext, b: Ext) => extAdd(a, extMul(mu, extSub(b, a)));
  let [point, pc, qc]: [Point, Ext, Ext] = [mu.slice(), line(r4[0], r4[1]), line(r4[2], r4[3])];
  const layers: ZkGkrLayerProof[] = [];
  for (let k = 1; k < n; k++) {
    const step = proveZkGkrLayer(tr, P[k + 1], Q[k + 1], point, w, at.layers[k - 1], label);
    layers.push(step.proof);
    [point, pc, qc] = [step.point, step.p, step.q];
  }
  return { proof: { root, layers }, point, p: pc, q: qc };
}

test('the workspace prover with padding hooks sends exactly what the step-by-step generic prover sends (ext and base leaves, 1–7 variables)', () => {
  for (let n = 1; n <= 7; n++) {
    const rng = new Rng(40 + n);
    const leaves = n % 2 === 0 ? zeroSumLeaves(rng, n) : { p: rng.baseVec(1 << n), q: rng.baseVec(1 << n) };
    const [p, q] = n === 7 ? [rng.extVec(1 << n), rng.extVec(1 << n)] : [liftToExt(leaves.p), liftToExt(leaves.q)];
    const at = zkGkrAt(zkGkrLayout(n), 0);
    const w = new Uint32Array(at.layout.size);
    fillZkGkrPads(w, at, seededWords(new Rng(n)));
    const fast = proveZkGkr(new Transcript('eq'), p, q, w, at, 'g');
    const ref = referenceProof(new Transcript('eq'), p, q, w, at, 'g');
    assert.deepEqual(fast, ref, `N=${n}`);
  }
});

test('padded GKR bytes round-trip; truncated, trailing, non-canonical and miscounted bytes are a DecodeError', () => {
  const n = 4;
  const r = run(n, zeroSumLeaves(new Rng(3), n), 5);
  const out = new ByteWriter();
  writeZkGkrProof(out, r.out.proof);
  const bytes = out.finish();
  const read = (b: Uint8Array) => {
    const rd = new ByteReader(b);
    const p = readZkGkrProof(rd, r.at.layout);
    rd.end();
    return p;
  };
  const back = read(bytes);
  assert.deepEqual(back, r.out.proof);
  assert.equal(check(r, back), null);
  assert.throws(() => read(bytes.subarray(0, bytes.length - 2)), DecodeError);
  assert.throws(() => read(Uint8Array.from([...bytes, 1, 2, 3, 4])), DecodeError);
  for (const [pos, v] of [[0, 5], [4, 6], [8, 2013265921], [bytes.length - 4, 2013265921]]) {
    const b = bytes.slice();
    new DataView(b.buffer).setUint32(pos, v, true);
    assert.throws(() => read(b), DecodeError, `word at ${pos}`);
  }
  assert.throws(() => readZkGkrProof(new ByteReader(bytes), zkGkrLayout(5)), DecodeError, 'another N');
});
