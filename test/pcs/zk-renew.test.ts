/**
 * Re-commitment (src/pcs/zk-renew.ts): honest renewals verify for lengths of one and of several
 * binary blocks and along a chain; one attack per test otherwise (STYLE §8) — a child committing
 * a vector that differs in one entry, the parent or the child swapped, V, the pad commitment or
 * any region of the proof bytes changed, a child with other parameters or length, the parent as
 * its own child, truncated or extended bytes — each rejected with a value, never an exception;
 * and the reveal budget: an exhausted parent refuses, changing nothing. Zero knowledge is in
 * zk-renew-zk.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { P } from '../../src/field/babybear.js';
import { ByteReader } from '../../src/util/bytes.js';
import { commitZkLigero, readZkCommitment, zkCommitmentBytes, type ZkLigeroCommitment } from '../../src/pcs/zk-ligero.js';
import { chooseZkLigeroParams, codeShape, zkLigeroSecurity, ZK_LIGERO_TARGET_BITS, type ZkLigeroParams } from '../../src/pcs/zk-ligero-params.js';
import { MASK_ROWS } from '../../src/pcs/zk-ligero-masks.js';
import { SALT_BYTES } from '../../src/pcs/zk-ligero-columns.js';
import { decodeRenewal, encodeRenewal, proveZkRenewal, renewalBlocks, renewZkCommitment, verifyZkRenewal, zkRenewalSecurity } from '../../src/pcs/zk-renew.js';
import { Rng } from '../support/random.js';
import { seeded } from './zk-ligero-support.js';

const T = 6;
/** C = 32, k = 3t + 2 = 20 (three openings), N = 2^7, t = 6 */
const PARAMS: ZkLigeroParams = { logCols: 5, randomness: 3 * T + 2, logCodeword: 7, queries: T };

function verify(parent: ZkLigeroCommitment, child: ZkLigeroCommitment, proof: Uint8Array) {
  return verifyZkRenewal(parent, child, proof, { minBits: 0 });
}

/** What a changed transcript gives: the columns J move, so the openings fail. */
const OPENINGS = /^(MerkleCheckFailed|BadLength)$/;

function kindOf(res: ReturnType<typeof verify>): string {
  return res.ok ? 'accepted' : res.error.kind;
}

function renewed(n: number, seed: number) {
  const w = new Rng(seed).baseVec(n);
  const parent = commitZkLigero(w, PARAMS, seeded(seed + 1));
  const { child, proof } = renewZkCommitment(parent.data, seeded(seed + 2));
  return { w, parent, child, proof };
}

// 48 = 32 + 16 and 1000 = 512 + 256 + 128 + 64 + 32 + 8: several blocks, the child's starting mid-row
const CASE = renewed(1000, 100);

test('blocks: the binary digits of the length, each aligned to its size', () => {
  assert.deepEqual(renewalBlocks(1000).map((b) => [b.offset, b.numVars]), [[0, 9], [512, 8], [768, 7], [896, 6], [960, 5], [992, 3]]);
  assert.deepEqual(renewalBlocks(8421376).map((b) => [b.offset, b.numVars]), [[0, 23], [2 ** 23, 15]], 'mlp-4m: 2^23 + 2^15');
  assert.deepEqual(renewalBlocks(1), [{ offset: 0, numVars: 0 }]);
});

for (const n of [1, 5, 16, 48, 300, 1000]) {
  test(`honest renewal of ${n} entries verifies; the child commits the same vector with the parent's parameters`, () => {
    const c = n === 1000 ? CASE : renewed(n, 200 + n);
    const res = verify(c.parent.commitment, c.child.commitment, c.proof);
    assert.ok(res.ok, JSON.stringify(!res.ok && res.error));
    assert.deepEqual(c.child.commitment.params, PARAMS);
    assert.equal(c.child.commitment.length, n);
    assert.deepEqual(c.child.data.values, c.w);
    assert.notDeepEqual(c.child.commitment.root, c.parent.commitment.root, 'fresh randomness');
    // one proof opened the same columns of both: they start the child's revealed set
    assert.ok(c.parent.data.revealed.size >= 1 && c.parent.data.revealed.size <= T);
    assert.deepEqual([...c.child.data.revealed].sort(), [...c.parent.data.revealed].sort());
    // the pair survives its encoding
    const back = decodeRenewal(encodeRenewal(c.child.commitment, c.proof));
    assert.ok(back.ok, JSON.stringify(!back.ok && back.error));
    if (back.ok) {
      assert.deepEqual(back.value.proof, c.proof);
      assert.ok(verify(c.parent.commitment, back.value.child, back.value.proof).ok);
    }
  });
}

test('a chain of two renewals: each link verifies, and a link\'s proof is bound to its own pair', () => {
  const { parent, child, proof } = renewed(48, 300);
  const g = renewZkCommitment(child.data, seeded(303));
  assert.ok(verify(child.commitment, g.child.commitment, g.proof).ok);
  assert.ok(verify(parent.commitment, child.commitment, proof).ok);
  assert.match(kindOf(verify(parent.commitment, g.child.commitment, g.proof)), OPENINGS, 'the second proof is not a proof for (parent, grandchild)');
  assert.notEqual(kindOf(verify(parent.commitment, g.child.commitment, proof)), 'accepted');
  // the middle commitment has spent two openings: its own renewal's columns (the parent's) and its child's
  const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
  assert.deepEqual(sorted(child.data.revealed), sorted(new Set([...parent.data.revealed, ...g.child.data.revealed])));
});

test('a child committing a vector that differs in one entry: the honest prover refuses, a cheating prover\'s proof is rejected', () => {
  const { w } = CASE;
  // an entry in the first block, one in a middle block, the last entry (in the last block)
  for (const i of [3, 800, 999]) {
    const parent = commitZkLigero(w, PARAMS, seeded(390 + i));
    const v = w.slice();
    v[i] = (v[i] + 1) % P;
    const liar = commitZkLigero(v, PARAMS, seeded(400 + i));
    assert.throws(() => proveZkRenewal(parent.data, liar.data, seeded(401)), new RegExp(`entry ${i} differs`));
    const forged = proveZkRenewal(parent.data, liar.data, seeded(402 + i), { unchecked: true });
    const res = verify(parent.commitment, liar.commitment, forged);
    assert.equal(res.ok, false, `entry ${i}: accepted`);
    if (!res.ok) assert.equal(res.error.kind, 'LinearSumMismatch', res.error.message);
  }
});

test('the parent or the child swapped for another commitment of the same vector, or the two exchanged: rejected', () => {
  const { w, parent, child, proof } = renewed(300, 500);
  const other = commitZkLigero(w, PARAMS, seeded(510)).commitment;
  // the transcript changes, so do the columns J: the openings no longer match (Merkle paths, or the number of distinct columns)
  assert.match(kindOf(verify(other, child.commitment, proof)), OPENINGS, 'another parent');
  assert.match(kindOf(verify(parent.commitment, other, proof)), OPENINGS, 'another child');
  assert.notEqual(kindOf(verify(child.commitment, parent.commitment, proof)), 'accepted', 'parent and child exchanged');
  assert.equal(kindOf(verify(parent.commitment, parent.commitment, proof)), 'SameCommitment', 'the parent as its own child');
  assert.throws(() => proveZkRenewal(parent.data, parent.data), /the parent commitment itself/);
});

/** The proof's byte regions, from its layout (src/pcs/zk-renew.ts and writeZkMultiProof). */
function regions(n: number, proof: Uint8Array): [string, number, number][] {
  const s = codeShape(PARAMS);
  const blocks = renewalBlocks(n).length;
  const rowsA = [Math.ceil(n / s.C), Math.ceil(n / s.C), 1, MASK_ROWS];
  const out: [string, number, number][] = [];
  let at = 0;
  const add = (name: string, len: number) => {
    out.push([name, at, at + len]);
    at += len;
  };
  add('version', 1);
  add('pad root', 32);
  add('V', 16 * blocks);
  add('ligero version', 1);
  add('rows B', 4);
  add('root B', 32);
  add('P0', 16 * s.L);
  add('Q_lin', 16 * s.linDegree);
  add('Q_quad', 16 * s.quadDegree);
  const q = new DataView(proof.buffer, proof.byteOffset).getUint32(at, true);
  add('opened count', 4);
  for (const [i, rows] of rowsA.entries()) add(`columns ${i}`, 4 * q * rows);
  for (let i = 0; i < 4; i++) add(`salts ${i}`, q * SALT_BYTES);
  for (let i = 0; i < 4; i++) {
    const m = new DataView(proof.buffer, proof.byteOffset).getUint32(at, true);
    add(`merkle count ${i}`, 4);
    add(`merkle ${i}`, 32 * m);
  }
  assert.equal(at, proof.length, 'the regions cover the proof');
  return out;
}

test('every region of the proof bytes changed: rejected with a value, never an exception', () => {
  const { parent, child, proof } = CASE;
  for (const [name, a, b] of regions(1000, proof)) {
    if (a === b) continue;
    for (const i of new Set([a, Math.floor((a + b) / 2), b - 1])) {
      for (const bit of [0, 7]) {
        const bad = proof.slice();
        bad[i] ^= 1 << bit;
        const res = verify(parent.commitment, child.commitment, bad);
        assert.equal(res.ok, false, `${name}, byte ${i}, bit ${bit}: accepted`);
      }
    }
  }
});

test('V changed (a canonical value) or the pad commitment replaced: rejected', () => {
  const { parent, child, proof } = CASE;
  const bad = proof.slice();
  const view = new DataView(bad.buffer);
  view.setUint32(33, (view.getUint32(33, true) + 1) % P, true);
  assert.match(kindOf(verify(parent.commitment, child.commitment, bad)), OPENINGS, 'V_0 + 1 (absorbed: new columns)');
  const otherPad = commitZkLigero(new Rng(7).baseVec(4 * renewalBlocks(1000).length), { ...PARAMS, randomness: T }, seeded(8)).commitment;
  const swapped = proof.slice();
  swapped.set(otherPad.root, 1);
  assert.match(kindOf(verify(parent.commitment, child.commitment, swapped)), OPENINGS, 'another pad root');
});

test('a child with other parameters (k, C, N or t) or of another length: refused by both sides', () => {
  const { w, parent, proof } = CASE;
  const others: [string, ZkLigeroParams][] = [
    ['k', { ...PARAMS, randomness: PARAMS.randomness + 1 }],
    ["C", { ...PARAMS, logCols: 6, logCodeword: 8 }],
    ['N', { ...PARAMS, logCodeword: 8 }],
    ['t', { ...PARAMS, queries: T + 1 }],
  ];
  for (const [what, p] of others) {
    const c = commitZkLigero(w, p, seeded(600));
    assert.equal(kindOf(verify(parent.commitment, c.commitment, proof)), 'ParameterMismatch', what);
    assert.throws(() => proveZkRenewal(parent.data, c.data), /parameters/, what);
  }
  const shorter = commitZkLigero(w.subarray(0, 999), PARAMS, seeded(601));
  assert.equal(kindOf(verify(parent.commitment, shorter.commitment, proof)), 'LengthMismatch');
  assert.throws(() => proveZkRenewal(parent.data, shorter.data), /length/);
  const bogus = { ...shorter.commitment, params: { ...PARAMS, queries: 0 } };
  assert.equal(kindOf(verify(parent.commitment, bogus, proof)), 'BadParameters');
  assert.equal(kindOf(verify(parent.commitment, null as unknown as ZkLigeroCommitment, proof)), 'BadParameters');
});

test('truncated, extended, re-versioned or non-byte input: a DecodeError value, never an exception', () => {
  const { parent, child, proof } = CASE;
  for (const len of [0, 1, 20, 33, 40, proof.length >> 1, proof.length - 1]) {
    const res = verify(parent.commitment, child.commitment, proof.subarray(0, len));
    assert.equal(kindOf(res), 'DecodeError', `truncated to ${len}`);
  }
  const longer = new Uint8Array(proof.length + 1);
  longer.set(proof);
  assert.match(JSON.stringify(verify(parent.commitment, child.commitment, longer)), /DecodeError.*1 trailing bytes/);
  const v2 = proof.slice();
  v2[0] = 2;
  assert.match(JSON.stringify(verify(parent.commitment, child.commitment, v2)), /unsupported renewal proof version 2/);
  assert.equal(kindOf(verify(parent.commitment, child.commitment, 'proof' as unknown as Uint8Array)), 'DecodeError');
  // the (child, proof) pair's encoding
  const enc = encodeRenewal(child.commitment, proof);
  for (const len of [0, 1, 30, 60, enc.length - 1]) assert.equal(decodeRenewal(enc.subarray(0, len)).ok, false, `pair truncated to ${len}`);
  const ext = new Uint8Array(enc.length + 3);
  ext.set(enc);
  const r = decodeRenewal(ext);
  assert.ok(!r.ok && r.error.kind === 'DecodeError' && /trailing/.test(r.error.message));
  const bad = enc.slice();
  bad[0] = 9;
  const r2 = decodeRenewal(bad);
  assert.ok(!r2.ok && /unsupported version 9/.test(r2.error.message));
  const bigLen = enc.slice();
  new DataView(bigLen.buffer).setUint32(1 + zkCommitmentBytes(child.commitment).length, 0xffffffff, true);
  assert.equal(decodeRenewal(bigLen).ok, false, 'a proof length beyond the bound');
  assert.deepEqual(readZkCommitment(new ByteReader(enc.subarray(1))), child.commitment);
});

test('budget: renewing a parent whose columns are spent throws and changes nothing; the child budget is the rest of k', () => {
  const w = new Rng(700).baseVec(300);
  const spent = Array.from({ length: PARAMS.randomness }, (_, j) => 3 * j);
  const parent = commitZkLigero(w, PARAMS, seeded(701), { revealed: spent });
  const before = [...parent.data.revealed].sort((a, b) => a - b);
  assert.throws(() => renewZkCommitment(parent.data, seeded(702)), /more than its k = 20 random symbols per row hide/);
  assert.deepEqual([...parent.data.revealed].sort((a, b) => a - b), before, 'the parent\'s revealed set is unchanged');
  // a fresh parent serves ⌊k/t⌋ = 3 renewals; each child starts with the t columns its proof opened
  const fresh = commitZkLigero(w, PARAMS, seeded(703));
  for (let i = 0; i < 3; i++) {
    const { child, proof } = renewZkCommitment(fresh.data, seeded(704 + i));
    assert.ok(verify(fresh.commitment, child.commitment, proof).ok);
    assert.ok(child.data.revealed.size <= T);
  }
  assert.ok(fresh.data.revealed.size <= 3 * T);
});

test('security: the chooser\'s parameters give ≥ 103 bits for mlp-4m\'s parameter side; weak parameters are refused by default', () => {
  const n = 8421376;
  const params = chooseZkLigeroParams(8461584, { openings: 16 }); // the receipt's address space, as commitModel chooses
  const sec = zkRenewalSecurity(params, n);
  assert.ok(sec.bits >= ZK_LIGERO_TARGET_BITS, `${sec.bits} bits`);
  assert.ok(sec.bits <= zkLigeroSecurity(params, 4).bits, 'no more than the Ligero proof alone');
  assert.ok(sec.terms[0].log2 < -119, 'the point: 23/|K|');
  const { parent, child, proof } = CASE;
  const res = verifyZkRenewal(parent.commitment, child.commitment, proof);
  assert.ok(!res.ok && res.error.kind === 'InsufficientSecurity', 'the small test code is below 103 bits');
  assert.equal(zkRenewalSecurity(PARAMS, 1).terms[0].log2, -Infinity, 'one entry: the check is exact');
});
