/**
 * A long-lived commitment reused by many multi proofs (docs/zero-knowledge.md §4): the reveal
 * budget is per commitment (the long-lived one is refused after enough proofs while each proof's
 * fresh witness is not charged for it), the revealed-column count survives export and restore,
 * a commitment made with `seededRandom(seed)` is reproducible from the seed, and proofs never take
 * their per-proof randomness from a reproducible source (a re-created seeded source would replay
 * an earlier proof's masks and salts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commitZkLigero, proveZkLigeroMulti, revealedColumns, verifyZkLigeroMulti, type ZkLigeroProverData } from '../../src/pcs/zk-ligero.js';
import { isReproducible, MIN_SEED_BYTES, seededRandom } from '../../src/pcs/zk-ligero-masks.js';
import type { ZkLigeroParams } from '../../src/pcs/zk-ligero-params.js';
import { Rng } from '../support/random.js';
import { freshMultiTranscript, satisfiedSystem, seeded, smallParams, splitVector } from './zk-ligero-support.js';

const t = 4;
const witnessParams = smallParams(4, t, 0); // k = t: a witness commitment serves one proof
// the long-lived commitment: k = 13 hides 13 distinct columns, so at most three proofs of t = 4
const longParams: ZkLigeroParams = { ...witnessParams, randomness: 13 };
const lengths = [300, 120];
const r = new Rng(8001);
const w = r.baseVec(lengths[0] + lengths[1]);
const sys = satisfiedSystem(r, w, { linear: 4, tensor: [[7, 1], [5, 10]], hadamard: [[0, 310, 200, 12]] });
const [weights, activations] = splitVector(w, lengths);
const SEED = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff);

/** Proves with the long-lived data and a fresh witness until refused; returns the proofs made. */
function proveUntilRefused(long: ZkLigeroProverData, label: string, max = 10): { proofs: number; refusal: string | null } {
  for (let i = 0; i < max; i++) {
    const wit = commitZkLigero(activations, witnessParams, seeded(9000 + i));
    const cs = [long.commitment, wit.commitment];
    try {
      const proof = proveZkLigeroMulti([long, wit.data], sys, freshMultiTranscript(cs, `${label}-${i}`), { rng: seeded(9500 + i) });
      const res = verifyZkLigeroMulti(cs, sys, proof, freshMultiTranscript(cs, `${label}-${i}`), { minBits: 0 });
      assert.ok(res.ok, JSON.stringify(!res.ok && res.error));
      assert.ok(wit.data.revealed.size <= t);
    } catch (e) {
      assert.equal(wit.data.revealed.size, 0, 'a refused proof charges no commitment');
      return { proofs: i, refusal: (e as Error).message };
    }
  }
  return { proofs: max, refusal: null };
}

test('the long-lived commitment is refused once its k distinct columns would be exceeded; each fresh witness is not', () => {
  const long = commitZkLigero(weights, longParams, seededRandom(SEED)).data;
  const { proofs, refusal } = proveUntilRefused(long, 'budget');
  assert.match(refusal ?? '', /of commitment 0, more than its k = 13/);
  assert.ok(proofs >= 3 && proofs <= 13, `${proofs} proofs`);
  assert.ok(long.revealed.size <= 13 && long.revealed.size > 13 - t, `${long.revealed.size} columns revealed`);
});

test('the revealed-column count survives export and restore: a node restarted from the seed is refused at the same proof', () => {
  const straight = proveUntilRefused(commitZkLigero(weights, longParams, seededRandom(SEED)).data, 'restart');
  // the same sequence of proofs, with a restart from the seed after the first one
  const first = commitZkLigero(weights, longParams, seededRandom(SEED)).data;
  const wit = commitZkLigero(activations, witnessParams, seeded(9000));
  const cs = [first.commitment, wit.commitment];
  proveZkLigeroMulti([first, wit.data], sys, freshMultiTranscript(cs, 'restart-0'), { rng: seeded(9500) });
  const saved = revealedColumns(first);
  assert.deepEqual([...saved], [...first.revealed].sort((a, b) => a - b), 'ascending, distinct');
  const restored = commitZkLigero(weights, longParams, seededRandom(SEED), { revealed: saved }).data;
  assert.deepEqual(restored.commitment, first.commitment, 'the same commitment');
  assert.deepEqual(revealedColumns(restored), saved);
  let proofs = 1;
  for (let i = 1; i < 10; i++, proofs++) {
    const wi = commitZkLigero(activations, witnessParams, seeded(9000 + i));
    const c = [restored.commitment, wi.commitment];
    try {
      proveZkLigeroMulti([restored, wi.data], sys, freshMultiTranscript(c, `restart-${i}`), { rng: seeded(9500 + i) });
    } catch {
      break;
    }
  }
  assert.equal(proofs, straight.proofs);
  assert.deepEqual(revealedColumns(restored), revealedColumns(commitZkLigero(weights, longParams, seededRandom(SEED), { revealed: revealedColumns(restored) }).data));
  // without the restore the budget would start again: the count is what enforces it
  const forgetful = commitZkLigero(weights, longParams, seededRandom(SEED)).data;
  assert.equal(forgetful.revealed.size, 0);
  // invalid restores are refused
  assert.throws(() => commitZkLigero(weights, longParams, seededRandom(SEED), { revealed: [2 ** 20] }), /expected an index below N/);
  assert.throws(() => commitZkLigero(weights, longParams, seededRandom(SEED), { revealed: [1.5] }), /expected an index below N/);
  assert.throws(() => commitZkLigero(weights, longParams, seededRandom(SEED), { revealed: Array.from({ length: 14 }, (_, i) => i) }), /exceed the k = 13/);
});

test('seededRandom: a commitment is a function of (w, params, seed); the stream does not depend on how it is read', () => {
  const a = commitZkLigero(weights, longParams, seededRandom(SEED));
  const b = commitZkLigero(weights, longParams, seededRandom(SEED.slice()));
  assert.deepEqual(a.commitment.root, b.commitment.root);
  assert.deepEqual(a.data.encoded, b.data.encoded);
  assert.deepEqual(a.data.tree.salts, b.data.tree.salts);
  const other = SEED.slice();
  other[31] ^= 1;
  assert.notDeepEqual(commitZkLigero(weights, longParams, seededRandom(other)).commitment.root, a.commitment.root, 'another seed');
  // one read of 10^5 bytes equals many reads of odd sizes
  const whole = new Uint8Array(100_000);
  seededRandom(SEED)(whole);
  const pieces = new Uint8Array(100_000);
  const src = seededRandom(SEED);
  for (let o = 0, k = 1; o < pieces.length; o += k, k = (k * 7 + 3) % 5000) src(pieces.subarray(o, Math.min(pieces.length, o + k)));
  assert.deepEqual(pieces, whole);
  // the output looks uniform: byte counts within 6σ of 10^5/256 (false alarm < 10^−6 per byte value)
  const counts = new Array(256).fill(0);
  for (const x of whole) counts[x]++;
  const mean = whole.length / 256;
  assert.ok(counts.every((c) => Math.abs(c - mean) < 6 * Math.sqrt(mean)), 'byte histogram');
  // the seed's array may be reused by the caller
  const mutable = SEED.slice();
  const s1 = seededRandom(mutable);
  mutable.fill(0);
  const x1 = new Uint8Array(64);
  s1(x1);
  assert.deepEqual(x1, whole.subarray(0, 64));
  assert.throws(() => seededRandom(new Uint8Array(MIN_SEED_BYTES - 1)), /at least 32 bytes/);
  assert.throws(() => seededRandom('seed' as never), /at least 32 bytes/);
  assert.ok(isReproducible(src) && !isReproducible(seeded(1)));
});

test('proofs never draw tree B from a reproducible source: two proofs of a re-created seeded commitment share no mask or salt', () => {
  const cs = () => {
    const a = commitZkLigero(weights, longParams, seededRandom(SEED));
    const b = commitZkLigero(activations, { ...witnessParams, randomness: 8 }, seededRandom(new Uint8Array(32).fill(7)));
    return [a, b];
  };
  const [a1, b1] = cs();
  const [a2, b2] = cs();
  assert.deepEqual(a1.commitment, a2.commitment);
  assert.deepEqual(b1.commitment, b2.commitment);
  const commitments = [a1.commitment, b1.commitment];
  // the same statement and transcript: only tree B's randomness could differ, and it must
  const p1 = proveZkLigeroMulti([a1.data, b1.data], sys, freshMultiTranscript(commitments));
  const p2 = proveZkLigeroMulti([a2.data, b2.data], sys, freshMultiTranscript(commitments));
  assert.notDeepEqual(p1.rootB, p2.rootB);
  assert.notDeepEqual(p1.p0, p2.p0);
  for (const p of [p1, p2]) assert.ok(verifyZkLigeroMulti(commitments, sys, p, freshMultiTranscript(commitments), { minBits: 0 }).ok);
  // with a non-reproducible source among the data, that one is used (deterministic tests keep working)
  const [a3] = cs();
  const c = commitZkLigero(activations, witnessParams, seeded(5));
  const c2 = commitZkLigero(activations, witnessParams, seeded(5));
  const [a4] = cs();
  const cc = [a3.commitment, c.commitment];
  const q1 = proveZkLigeroMulti([a3.data, c.data], sys, freshMultiTranscript(cc));
  const q2 = proveZkLigeroMulti([a4.data, c2.data], sys, freshMultiTranscript(cc));
  assert.deepEqual(q1, q2);
});
