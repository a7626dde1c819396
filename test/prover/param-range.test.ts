/**
 * The parameter range proof (`src/circuit/param-range.ts`): chunk layout; honest proofs verify and
 * their chunk claims hold on the committed vector; an entry outside [−128, 127] (proved by the
 * cheating prover), rebalanced multiplicities, altered proof bytes, another commitment or another
 * extent are rejected.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { P } from '../../src/field/babybear.js';
import { extEquals } from '../../src/field/extension.js';
import { evaluateBase } from '../../src/poly/multilinear.js';
import { MAX_CHUNK_LOG, proveParamRange, rangeChunks, verifyParamRange } from '../../src/circuit/param-range.js';
import { Rng } from '../support/random.js';

const COMMITMENT = new Uint8Array(33).fill(3);

function int8Vector(rng: Rng, n: number, end: number): Uint32Array {
  const v = new Uint32Array(2 ** n);
  for (let i = 0; i < end; i++) {
    const x = rng.int(256) - 128;
    v[i] = x < 0 ? x + P : x;
  }
  return v;
}

function rejects(f: () => unknown, what: string): void {
  assert.throws(f, (e: Error) => e.name === 'Rejected' || e.name === 'DecodeError' || /parameter range/.test(e.message), what);
}

test('range chunks: binary expansion of the extent rounded up to 2^12, aligned, at most 2^MAX_CHUNK_LOG each', () => {
  assert.equal(MAX_CHUNK_LOG, 21);
  assert.deepEqual(rangeChunks(4216864, 23), [
    { offset: 0, numVars: 21 },
    { offset: 2 ** 21, numVars: 21 },
    { offset: 2 ** 22, numVars: 14 },
    { offset: 2 ** 22 + 2 ** 14, numVars: 13 },
  ]);
  assert.deepEqual(rangeChunks(2 ** 21 + 1, 25).map((c) => c.numVars), [21, 12]);
  assert.deepEqual(rangeChunks(2, 1), [{ offset: 0, numVars: 1 }]);
  assert.deepEqual(rangeChunks(0, 5), [{ offset: 0, numVars: 5 }]);
  const big = rangeChunks(17847328, 25);
  assert.deepEqual(big.map((c) => c.numVars), [...Array(8).fill(MAX_CHUNK_LOG), 20, 14, 13]);
  for (const [end, n] of [[17847328, 25], [4216864, 23], [5000, 13], [1, 12], [2 ** 24, 24]] as const) {
    const cs = rangeChunks(end, n);
    let at = 0;
    for (const c of cs) {
      assert.equal(c.offset, at);
      assert.equal(c.offset % 2 ** c.numVars, 0);
      assert.ok(c.numVars <= MAX_CHUNK_LOG);
      at += 2 ** c.numVars;
    }
    assert.ok(at >= end && at <= 2 ** n && at - end < 2 ** 12);
  }
});

test('honest range proof verifies; its chunk claims hold on the vector', () => {
  const rng = new Rng(1);
  for (const [n, end] of [[1, 2], [6, 40], [14, 10000], [13, 2 ** 13]] as const) {
    const v = int8Vector(rng, n, end);
    const proof = proveParamRange(COMMITMENT, v, end);
    const claims = verifyParamRange(COMMITMENT, n, end, proof);
    assert.equal(claims.length, rangeChunks(end, n).length);
    for (const c of claims) {
      const k = c.point.length / 4;
      const seg = c.segment ?? 0;
      assert.ok(extEquals(evaluateBase(v.subarray(seg * 2 ** k, (seg + 1) * 2 ** k), c.point), c.value), `n=${n} chunk ${seg}`);
    }
  }
});

test('an entry outside [−128, 127] is refused by the honest prover and rejected when proved anyway', () => {
  const rng = new Rng(2);
  const n = 12, end = 3000;
  for (const bad of [128, 200, P - 129, 1000000]) {
    const v = int8Vector(rng, n, end);
    v[1234] = bad;
    assert.throws(() => proveParamRange(COMMITMENT, v, end), /not an int8/);
    const forged = proveParamRange(COMMITMENT, v, end, { unchecked: true });
    rejects(() => verifyParamRange(COMMITMENT, n, end, forged), `value ${bad}`);
  }
  // a bad entry in the second of two chunks (each with its own α and multiplicities) is caught too
  {
    const v2 = int8Vector(rng, 14, 10000);
    assert.equal(rangeChunks(10000, 14).length, 2);
    v2[9000] = 300;
    rejects(() => verifyParamRange(COMMITMENT, 14, 10000, proveParamRange(COMMITMENT, v2, 10000, { unchecked: true })), 'bad entry in chunk 1');
  }
  // beyond the (rounded) extent no segment reads the vector, so nothing is checked there
  const v = int8Vector(rng, 13, end);
  v[2 ** 13 - 1] = 500;
  assert.ok(verifyParamRange(COMMITMENT, 13, end, proveParamRange(COMMITMENT, v, end)).length > 0);
});

test('altered multiplicities, proof bytes, commitment or extent are rejected', () => {
  const rng = new Rng(3);
  const n = 14, end = 5000;
  const v = int8Vector(rng, n, end);
  const proof = proveParamRange(COMMITMENT, v, end);
  // move one count from one table row to another (Σ m unchanged)
  const m = new Uint32Array(proof.buffer.slice(proof.byteOffset, proof.byteOffset + 1024));
  const from = m.findIndex((x) => x > 0);
  const moved = proof.slice();
  const view = new DataView(moved.buffer);
  view.setUint32(4 * from, m[from] - 1, true);
  view.setUint32(4 * ((from + 1) % 256), m[(from + 1) % 256] + 1, true);
  rejects(() => verifyParamRange(COMMITMENT, n, end, moved), 'moved multiplicity');
  const nonCanonical = proof.slice();
  new DataView(nonCanonical.buffer).setUint32(0, P + m[0], true);
  rejects(() => verifyParamRange(COMMITMENT, n, end, nonCanonical), 'non-canonical multiplicity');
  for (const pos of [1024 + 7, 1100, proof.length - 3]) {
    const t = proof.slice();
    t[pos] ^= 1;
    rejects(() => verifyParamRange(COMMITMENT, n, end, t), `byte ${pos}`);
  }
  rejects(() => verifyParamRange(new Uint8Array(33).fill(4), n, end, proof), 'other commitment');
  rejects(() => verifyParamRange(COMMITMENT, n, 9000, proof), 'other extent');
  rejects(() => verifyParamRange(COMMITMENT, n, end, proof.subarray(0, proof.length - 1)), 'truncated');
});
