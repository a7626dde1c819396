/**
 * Zero-knowledge Ligero (src/pcs/zk-ligero.ts): honest round trips over many shapes, agreement
 * with the clear checker on random satisfied and unsatisfied systems, the byte encoding, the
 * parameter chooser and soundness terms, and the column budget of a reused commitment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { P } from '../../src/field/babybear.js';
import { ext, extAdd } from '../../src/field/extension.js';
import { checkConstraints, type ConstraintSystem } from '../../src/pcs/constraints.js';
import { commitZkLigero, deserializeZkProof, proveZkLigero, readZkCommitment, serializeZkProof, verifyZkLigero, zkCommitmentBytes } from '../../src/pcs/zk-ligero.js';
import { chooseZkLigeroParams, codeShape, paramsIssue, zkLigeroSecurity, ZK_LIGERO_TARGET_BITS } from '../../src/pcs/zk-ligero-params.js';
import { numLinearConstraints } from '../../src/pcs/zk-ligero-system.js';
import { zkLigeroTerms } from '../../src/circuit/security.js';
import { ByteReader } from '../../src/util/bytes.js';
import { Rng } from '../support/random.js';
import { commitAndProve, freshTranscript, satisfiedSystem, seeded, smallParams, verifyFresh, type SystemSpec } from './zk-ligero-support.js';

interface Shape {
  name: string;
  n: number;
  logCols: number;
  t: number;
  spec: SystemSpec;
}

const shapes: Shape[] = [
  { name: 'tiny (5 entries, C = 4)', n: 5, logCols: 2, t: 3, spec: { linear: 2, tensor: [[1, 1]], hadamard: [[0, 1, 4, 1]] } },
  { name: 'one row (R = 1)', n: 16, logCols: 4, t: 8, spec: { linear: 3, tensor: [[4, 0], [2, 3]], hadamard: [[0, 4, 8, 4]] } },
  {
    name: 'unaligned blocks and segments (n = 1000, C = 16)',
    n: 1000,
    logCols: 4,
    t: 10,
    spec: {
      linear: 6,
      tensor: [[3, 5], [5, 3], [4, 7], [6, 10], [2, 249], [0, 999], [9, 0]],
      tensorExtra: 2,
      hadamard: [[3, 501, 777, 37], [100, 100, 200, 20], [0, 990, 995, 5]],
    },
  },
  {
    name: 'many constraints of each kind (n = 4096, C = 64)',
    n: 4096,
    logCols: 6,
    t: 12,
    spec: {
      linear: 200,
      terms: 6,
      tensor: Array.from({ length: 20 }, (_, i) => [[3, 7, 6, 8, 10][i % 5], (7 * i) % (4096 >> [3, 7, 6, 8, 10][i % 5])] as [number, number]),
      tensorExtra: 3,
      hadamard: Array.from({ length: 10 }, (_, i) => [i * 97, 1000 + i * 131, 3000 + i * 100, 1 + ((i * 37) % 90)] as [number, number, number, number]),
    },
  },
  { name: 'large in-row segment (C = 256, 2^6 entries)', n: 700, logCols: 8, t: 6, spec: { linear: 1, tensor: [[6, 5], [7, 4]], hadamard: [] } },
  { name: 'base-field coefficients only', n: 300, logCols: 5, t: 8, spec: { linear: 10, tensor: [[5, 2], [6, 1]], tensorExtra: 1, hadamard: [[10, 20, 30, 5]], baseCoeffs: true } },
  { name: 'no constraints at all', n: 50, logCols: 3, t: 4, spec: {} },
];

for (const [i, s] of shapes.entries()) {
  test(`honest round trip: ${s.name}`, () => {
    const r = new Rng(1000 + i);
    const w = r.baseVec(s.n);
    const sys = satisfiedSystem(r, w, s.spec);
    assert.equal(checkConstraints(w, sys), null);
    const params = smallParams(s.logCols, s.t);
    const { commitment, proof } = commitAndProve(w, params, sys, 2000 + i);
    const res = verifyFresh(commitment, sys, proof);
    assert.ok(res.ok, JSON.stringify(!res.ok && res.error));
    const bytes = serializeZkProof(proof);
    const back = deserializeZkProof(bytes, commitment, sys);
    assert.ok(back.ok, JSON.stringify(!back.ok && back.error));
    if (back.ok) {
      assert.deepEqual(serializeZkProof(back.value), bytes, 'canonical re-encoding');
      assert.ok(verifyFresh(commitment, sys, back.value).ok, 'after a byte round trip');
    }
  });
}

test('default parameters (103 bits) on 2^12 entries with realistic constraints verify under the default minimum', () => {
  const n = 1 << 12;
  const params = chooseZkLigeroParams(n);
  const r = new Rng(77);
  const w = r.baseVec(n);
  const sys = satisfiedSystem(r, w, { linear: 40, tensor: [[10, 0], [10, 1], [9, 4], [11, 1]], tensorExtra: 1, hadamard: [[0, 100, 3000, 300]] });
  const { commitment, data } = commitZkLigero(w, params, seeded(78));
  const proof = proveZkLigero(data, sys, freshTranscript(commitment));
  const res = verifyZkLigero(commitment, sys, proof, freshTranscript(commitment));
  assert.ok(res.ok, JSON.stringify(!res.ok && res.error));
  assert.ok(zkLigeroSecurity(params, numLinearConstraints(sys)).bits >= ZK_LIGERO_TARGET_BITS);
});

/** Ways to make a satisfied system false, each one change. */
const breakers: [string, (w: Uint32Array, sys: ConstraintSystem) => void, RegExp][] = [
  ['a linear rhs + 1', (_, sys) => (sys.linear[0].rhs = extAdd(sys.linear[0].rhs, ext(1))), /LinearSumMismatch/],
  ['a linear rhs + u', (_, sys) => (sys.linear[1].rhs = extAdd(sys.linear[1].rhs, ext(0, 1))), /LinearSumMismatch/],
  ['a tensor rhs + 1', (_, sys) => (sys.tensor[0].rhs = extAdd(sys.tensor[0].rhs, ext(1))), /LinearSumMismatch/],
  ['an entry a linear constraint reads', (w, sys) => (w[sys.linear[2].index[0]] = (w[sys.linear[2].index[0]] + 1) % P), /LinearSumMismatch|QuadraticNotVanishing/],
  ['an entry of a tensor segment', (w, sys) => (w[sys.tensor[1].offset + 1] = (w[sys.tensor[1].offset + 1] + 7) % P), /LinearSumMismatch|QuadraticNotVanishing/],
  ['a Hadamard product entry', (w, sys) => (w[sys.hadamard[0].z + 2] = (w[sys.hadamard[0].z + 2] + 1) % P), /QuadraticNotVanishing|LinearSumMismatch/],
];

test('checkConstraints and the verifier agree on random satisfied and unsatisfied systems', () => {
  for (let seed = 0; seed < 4; seed++) {
    const r = new Rng(500 + seed);
    const n = 600;
    const spec: SystemSpec = { linear: 5, tensor: [[4, 3], [6, 2], [2, 17]], tensorExtra: 1, hadamard: [[400, 450, 520 + seed, 10]] };
    const w = r.baseVec(n);
    const sys = satisfiedSystem(r, w, spec);
    // guard the breakers: keep every constraint's reads away from the Hadamard outputs they edit
    const params = smallParams(5, 6);
    assert.equal(checkConstraints(w, sys), null);
    const ok = commitAndProve(w, params, sys, 600 + seed);
    assert.ok(verifyFresh(ok.commitment, sys, ok.proof).ok, `seed ${seed}: satisfied`);
    for (const [what, breakIt, kind] of breakers) {
      const w2 = w.slice();
      const sys2: ConstraintSystem = { linear: sys.linear.map((c) => ({ ...c })), tensor: sys.tensor.map((c) => ({ ...c })), hadamard: sys.hadamard.map((h) => ({ ...h })) };
      breakIt(w2, sys2);
      const clear = checkConstraints(w2, sys2);
      assert.notEqual(clear, null, `${what}: the clear checker must see the violation`);
      const { commitment, data } = commitZkLigero(w2, params, seeded(700 + seed));
      assert.throws(() => proveZkLigero(data, sys2, freshTranscript(commitment)), /does not hold/, `${what}: the honest prover refuses`);
      const proof = proveZkLigero(data, sys2, freshTranscript(commitment), { unchecked: true });
      const res = verifyFresh(commitment, sys2, proof);
      assert.equal(res.ok, false, `seed ${seed}, ${what}: an unchecked proof of a false system is rejected`);
      if (!res.ok) assert.match(res.error.kind, kind, `${what}: ${res.error.message}`);
    }
  }
});

test('encoding: truncated, extended and random bytes are decode errors, never exceptions', () => {
  const r = new Rng(31);
  const w = r.baseVec(300);
  const sys = satisfiedSystem(r, w, { linear: 3, tensor: [[5, 1]], hadamard: [[0, 50, 100, 40]] });
  const { commitment, proof } = commitAndProve(w, smallParams(5, 6), sys, 32);
  const bytes = serializeZkProof(proof);
  for (const cut of [0, 1, 4, 5, 37, bytes.length >> 1, bytes.length - 1]) assert.equal(deserializeZkProof(bytes.subarray(0, cut), commitment, sys).ok, false, `cut at ${cut}`);
  const longer = new Uint8Array(bytes.length + 1);
  longer.set(bytes);
  assert.equal(deserializeZkProof(longer, commitment, sys).ok, false, 'trailing byte');
  const rr = new Rng(33);
  for (let i = 0; i < 30; i++) {
    const junk = rr.bytes(rr.int(bytes.length + 64));
    const d = deserializeZkProof(junk, commitment, sys);
    if (d.ok) assert.equal(verifyFresh(commitment, sys, d.value).ok, false);
  }
  for (let i = 0; i < 40; i++) {
    const bad = bytes.slice();
    const pos = rr.int(bytes.length);
    bad[pos] ^= 1 << rr.int(8);
    const d = deserializeZkProof(bad, commitment, sys);
    if (d.ok) assert.equal(verifyFresh(commitment, sys, d.value).ok, false, `flip at byte ${pos}`);
  }
  // a non-canonical word (value + p) in the encoding
  const nc = bytes.slice();
  const off = 1 + 4 + 32; // first word of P0
  const v = new DataView(nc.buffer).getUint32(off, true);
  new DataView(nc.buffer).setUint32(off, v + P, true);
  assert.equal(deserializeZkProof(nc, commitment, sys).ok, false);
  // the commitment's bytes round-trip
  const cb = zkCommitmentBytes(commitment);
  const c2 = readZkCommitment(new ByteReader(cb));
  assert.deepEqual([...c2.root], [...commitment.root]);
  assert.deepEqual({ ...c2.params }, { ...commitment.params });
  assert.equal(c2.length, commitment.length);
});

test('parameters: validation, chooser and soundness terms', () => {
  assert.match(paramsIssue({ logCols: 4, randomness: 5, logCodeword: 7, queries: 6 }) ?? '', /not be hiding/);
  assert.match(paramsIssue({ logCols: 4, randomness: 18, logCodeword: 8, queries: 6 }) ?? '', /exceeds C \+ 1/);
  assert.match(paramsIssue({ logCols: 4, randomness: 8, logCodeword: 5, queries: 6 }) ?? '', /below 2·\(C \+ k\)/);
  assert.equal(paramsIssue(smallParams(4, 6)), null);
  for (const lg of [4, 12, 16, 20, 22]) {
    const p = chooseZkLigeroParams(2 ** lg);
    const s = codeShape(p);
    assert.equal(paramsIssue(p), null);
    assert.ok(p.queries <= p.randomness, 'hiding: t ≤ k');
    assert.ok(s.N >= 4 * s.L, 'N ≥ 4(C + k), docs/zero-knowledge.md §3');
    const sec = zkLigeroSecurity(p);
    assert.ok(sec.bits >= ZK_LIGERO_TARGET_BITS, `2^${lg}: ${sec.bits}`);
    // one query fewer misses the target: the chooser takes the least t for its C
    const fewer = { ...p, queries: p.queries - 1, randomness: p.randomness - 1 };
    if (paramsIssue(fewer) === null) assert.ok(zkLigeroSecurity(fewer).bits < ZK_LIGERO_TARGET_BITS, `2^${lg}: t − 1`);
    assert.equal(sec.terms.length, 4);
  }
  // 2^20 entries: C = 2^12, k = t = 209, N = 2^15 (rate (C+k)/N ≈ 0.13)
  assert.deepEqual(chooseZkLigeroParams(2 ** 20), { logCols: 12, randomness: 209, logCodeword: 15, queries: 209 });
  // a commitment meant for 3 proofs carries 3t random symbols per row
  const p3 = chooseZkLigeroParams(2 ** 16, { openings: 3 });
  assert.ok(p3.randomness >= 3 * p3.queries);
  // the helper circuit/security.ts exposes gives the same figures, in its ledger's form
  const p = chooseZkLigeroParams(2 ** 16);
  const terms = zkLigeroTerms(p, 1000);
  assert.equal(terms.length, 4);
  const sum = terms.reduce((a, t) => a + 2 ** t.log2, 0);
  assert.ok(Math.abs(-Math.log2(sum) - zkLigeroSecurity(p, 1000).bits) < 0.01);
  assert.ok(terms.every((t) => t.citation.length > 0 && t.formula.length > 0));
  assert.throws(() => chooseZkLigeroParams(2 ** 20, { targetBits: 125 }), /unreachable/);
});

test('verifier refuses parameters below its minimum, and malformed statements, as error values', () => {
  const r = new Rng(41);
  const w = r.baseVec(100);
  const sys = satisfiedSystem(r, w, { linear: 2 });
  const { commitment, proof } = commitAndProve(w, smallParams(4, 4), sys, 42);
  const res = verifyZkLigero(commitment, sys, proof, freshTranscript(commitment));
  assert.equal(res.ok, false);
  if (!res.ok) assert.equal(res.error.kind, 'InsufficientSecurity');
  const bad: ConstraintSystem = { ...sys, linear: [{ ...sys.linear[0], index: Uint32Array.of(100) }] };
  const r2 = verifyFresh(commitment, bad, proof);
  assert.equal(r2.ok, false);
  if (!r2.ok) assert.equal(r2.error.kind, 'BadStatement');
  const r3 = verifyZkLigero(commitment, sys, null as never, freshTranscript(commitment), { minBits: 0 });
  assert.equal(r3.ok, false);
  const r4 = verifyZkLigero({ ...commitment, params: { ...commitment.params, queries: 1000 } }, sys, proof, freshTranscript(commitment), { minBits: 0 });
  assert.equal(r4.ok, false);
  if (!r4.ok) assert.equal(r4.error.kind, 'BadParameters');
});

test('a reused commitment: proofs are refused once k distinct columns would be revealed', () => {
  const r = new Rng(51);
  const w = r.baseVec(200);
  const sys = satisfiedSystem(r, w, { linear: 2, tensor: [[3, 2]] });
  const params = { ...smallParams(4, 4, 0), randomness: 9 }; // k = 9 hides 9 columns: two proofs of t = 4, not three
  const { commitment, data } = commitZkLigero(w, params, seeded(52));
  let proofs = 0;
  let refused = false;
  for (let i = 0; i < 5 && !refused; i++) {
    try {
      const proof = proveZkLigero(data, sys, freshTranscript(commitment, `reuse-${i}`));
      assert.ok(verifyZkLigero(commitment, sys, proof, freshTranscript(commitment, `reuse-${i}`), { minBits: 0 }).ok);
      proofs++;
    } catch (e) {
      assert.match((e as Error).message, /more than its k = 9/);
      refused = true;
    }
  }
  assert.ok(refused, 'the budget is enforced');
  assert.ok(proofs >= 2 && data.revealed.size <= 9, `${proofs} proofs, ${data.revealed.size} columns revealed`);
});
