/**
 * The padded GKR layer step: a chain of steps from a hidden claim on layer 1 down to the leaves,
 * whose final claims are linked to the committed leaf segments, is satisfied by the honest w;
 * changing one mask, one round value, one pad or one leaf makes the constraints fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add, mul } from '../../src/field/babybear.js';
import { type Ext, ext, extAdd, extMul } from '../../src/field/extension.js';
import { checkConstraints, emptySystem, type ConstraintSystem } from '../../src/pcs/constraints.js';
import { evaluateBase, evaluateExt, type Point } from '../../src/poly/multilinear.js';
import { proveZkGkrLayer, verifyZkGkrLayer, zkGkrLayerLayout, type ZkGkrClaim, type ZkGkrLayerProof } from '../../src/piop/lookup/zk-gkr-layer.js';
import { appendSystem, evalAffine, fillUniform, hidden, padAt } from '../../src/piop/zk-affine.js';
import { linkToSegment } from '../../src/piop/zk-final.js';
import { fillZkPads, zkSumcheckAt, type ZkSumcheckAt } from '../../src/piop/zk-sumcheck.js';
import { Transcript } from '../../src/transcript/transcript.js';
import { Rng } from '../support/random.js';
import { bump, seededWords } from '../support/zk.js';

const N = 4; // leaf variables

/** Layers 1..N as ext tables (p_k, q_k of 2^k elements), from base leaves. */
function layers(p: Uint32Array, q: Uint32Array): { P: Uint32Array[]; Q: Uint32Array[] } {
  const P: Uint32Array[] = [], Q: Uint32Array[] = [];
  P[N] = new Uint32Array(4 << N);
  Q[N] = new Uint32Array(4 << N);
  for (let i = 0; i < 1 << N; i++) {
    P[N][4 * i] = p[i];
    Q[N][4 * i] = q[i];
  }
  for (let k = N - 1; k >= 1; k--) {
    P[k] = new Uint32Array(4 << k);
    Q[k] = new Uint32Array(4 << k);
    const h = 1 << k;
    const at = (t: Uint32Array, i: number) => t.subarray(4 * i, 4 * i + 4);
    for (let i = 0; i < h; i++) {
      P[k].set(extAdd(extMul(at(P[k + 1], i), at(Q[k + 1], i + h)), extMul(at(P[k + 1], i + h), at(Q[k + 1], i))), 4 * i);
      Q[k].set(extMul(at(Q[k + 1], i), at(Q[k + 1], i + h)), 4 * i);
    }
  }
  return { P, Q };
}

interface Setup {
  w: Uint32Array;
  ats: ZkSumcheckAt[];
  offP: number;
  offQ: number;
  claimPads: [number, number];
  leaves: { p: Uint32Array; q: Uint32Array };
  proofs: ZkGkrLayerProof[];
  start: { point: Point; pTilde: Ext; qTilde: Ext };
  clear: { point: Point; p: Ext; q: Ext };
}

/** w = leaves p ‖ leaves q ‖ pads of the layer-1 claim ‖ the N − 1 layer layouts; pads filled, then proofs. */
function setup(seed: number): Setup {
  const rng = new Rng(seed);
  const leaves = { p: rng.baseVec(1 << N), q: rng.baseVec(1 << N) };
  const { P, Q } = layers(leaves.p, leaves.q);
  const offP = 0, offQ = 1 << N;
  let off = 2 << N;
  const claimPads: [number, number] = [off, off + 4];
  off += 8;
  const ats: ZkSumcheckAt[] = [];
  for (let k = 1; k < N; k++) {
    const layout = zkGkrLayerLayout(k);
    ats.push(zkSumcheckAt(layout, off));
    off += layout.size;
  }
  const w = new Uint32Array(off);
  w.set(leaves.p, offP);
  w.set(leaves.q, offQ);
  const words = seededWords(rng);
  fillUniform(w, claimPads[0], claimPads[0] + 8, words);
  for (const at of ats) fillZkPads(w, at, words);
  // the prover: the layer-1 claim at μ, sent padded, then the steps
  const tr = new Transcript('zk-gkr');
  let point: Point = tr.challengeExt('gkr/start');
  const pTilde = extAdd(evaluateExt(P[1], point), padAt(w, claimPads[0]));
  const qTilde = extAdd(evaluateExt(Q[1], point), padAt(w, claimPads[1]));
  tr.absorbExt('gkr/claim', Uint32Array.from([...pTilde, ...qTilde]));
  const proofs: ZkGkrLayerProof[] = [];
  let pc: Ext = ext(), qc: Ext = ext();
  for (let k = 1; k < N; k++) {
    const step = proveZkGkrLayer(tr, P[k + 1], Q[k + 1], point, w, ats[k - 1]);
    proofs.push(step.proof);
    point = step.point;
    [pc, qc] = [step.p, step.q];
  }
  return { w, ats, offP, offQ, claimPads, leaves, proofs, start: { point: new Transcript('zk-gkr').challengeExt('gkr/start'), pTilde, qTilde }, clear: { point, p: pc, q: qc } };
}

/** The verifier: every step, then the leaf claims linked to the leaf segments. */
function verify(s: Setup, proofs = s.proofs, start = s.start): { system: ConstraintSystem; claim: ZkGkrClaim } | string {
  const tr = new Transcript('zk-gkr');
  tr.challengeExt('gkr/start');
  tr.absorbExt('gkr/claim', Uint32Array.from([...start.pTilde, ...start.qTilde]));
  let claim: ZkGkrClaim = { point: start.point, p: hidden(start.pTilde, s.claimPads[0]), q: hidden(start.qTilde, s.claimPads[1]) };
  const system = emptySystem();
  for (let k = 1; k < N; k++) {
    const res = verifyZkGkrLayer(tr, claim, proofs[k - 1], s.ats[k - 1]);
    if (!res.ok) return res.error.kind;
    appendSystem(system, res.system);
    claim = { point: res.point, p: res.p, q: res.q };
  }
  system.tensor.push(linkToSegment(claim.p, s.offP, claim.point), linkToSegment(claim.q, s.offQ, claim.point));
  return { system, claim };
}

function cloneProofs(p: ZkGkrLayerProof[]): ZkGkrLayerProof[] {
  return p.map((l) => ({ sumcheck: { rounds: l.sumcheck.rounds.map((r) => r.slice()) }, masks: { evals: l.masks.evals.slice(), chain: l.masks.chain.slice() } }));
}

test('padded GKR steps from a hidden layer-1 claim to the leaves: the honest w satisfies every constraint, and the leaf claims are the leaves’ MLEs', () => {
  for (const seed of [1, 2, 3]) {
    const s = setup(seed);
    const v = verify(s);
    assert.ok(typeof v !== 'string', String(v));
    if (typeof v === 'string') continue;
    assert.equal(checkConstraints(s.w, v.system), null);
    assert.deepEqual(v.claim.point, s.clear.point);
    assert.deepEqual(evalAffine(v.claim.p, s.w), s.clear.p);
    assert.deepEqual(evalAffine(v.claim.q, s.w), evaluateBase(s.leaves.q, s.clear.point));
    assert.deepEqual(s.clear.p, evaluateBase(s.leaves.p, s.clear.point));
    // per step: 3 product slots (a0·b1, a1·b0, b0·b1), one Hadamard, no chain
    assert.equal(v.system.hadamard.length, N - 1);
    assert.ok(s.proofs.every((l) => l.masks.chain.length === 0 && l.masks.evals.length === 16));
  }
});

test('padded GKR: one changed mask, round value, swapped masks, pad, leaf or starting claim makes the constraints fail', () => {
  const s = setup(4);
  const fails = (proofs: ZkGkrLayerProof[], w = s.w, start = s.start, what = '') => {
    const v = verify(s, proofs, start);
    if (typeof v === 'string') return;
    assert.notEqual(checkConstraints(w, v.system), null, what);
  };
  for (let k = 0; k < N - 1; k++) {
    for (let m = 0; m < 16; m += 5) {
      const q = cloneProofs(s.proofs);
      q[k].masks.evals[m] = bump(q[k].masks.evals[m]);
      fails(q, s.w, s.start, `mask word ${m} of step ${k + 1}`);
    }
    const sw = cloneProofs(s.proofs);
    const e = sw[k].masks.evals;
    sw[k].masks.evals = Uint32Array.from([...e.subarray(4, 8), ...e.subarray(0, 4), ...e.subarray(8)]);
    fails(sw, s.w, s.start, `a0 ↔ a1 in step ${k + 1}`);
    for (let j = 0; j <= k; j++) {
      const q = cloneProofs(s.proofs);
      q[k].sumcheck.rounds[j][6] = bump(q[k].sumcheck.rounds[j][6]);
      fails(q, s.w, s.start, `round ${j} of step ${k + 1}`);
    }
  }
  const v = verify(s);
  assert.ok(typeof v !== 'string');
  if (typeof v === 'string') return;
  for (let i = 0; i < s.w.length; i++) {
    const u = s.w.slice();
    u[i] = bump(u[i]);
    assert.notEqual(checkConstraints(u, v.system), null, `entry ${i}`);
  }
  fails(s.proofs, s.w, { ...s.start, pTilde: extAdd(s.start.pTilde, ext(1)) }, 'starting claim');
  // a different leaf multiset with the same public data: the proof of the old one does not carry over
  const u = s.w.slice();
  u[3] = add(u[3], 1);
  u[(1 << N) + 3] = mul(u[(1 << N) + 3], 2);
  assert.notEqual(checkConstraints(u, v.system), null);
});

test('padded GKR: a layout for the wrong layer is refused (never throws)', () => {
  const s = setup(5);
  const tr = new Transcript('zk-gkr');
  const claim: ZkGkrClaim = { point: s.start.point, p: hidden(s.start.pTilde, s.claimPads[0]), q: hidden(s.start.qTilde, s.claimPads[1]) };
  const res = verifyZkGkrLayer(tr, claim, s.proofs[0], s.ats[1]);
  assert.equal(res.ok, false);
  if (!res.ok) assert.equal(res.error.kind, 'BadShape');
  const bad = verifyZkGkrLayer(new Transcript('zk-gkr'), claim, undefined as unknown as ZkGkrLayerProof, s.ats[0]);
  assert.equal(bad.ok, false);
});
