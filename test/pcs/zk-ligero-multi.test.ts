/**
 * Zero-knowledge Ligero over several commitments (proveZkLigeroMulti / verifyZkLigeroMulti):
 * round trips with 2 and 3 commitments of different lengths (and different k) under constraints
 * of every kind that span them, agreement with the clear checker, the byte encoding, the
 * single-commitment wrapper's bytes (pinned), and the refusals (codes that differ, segments that
 * straddle two vectors). Soundness attacks are in zk-ligero-multi-tamper.test.ts, zero knowledge
 * in zk-ligero-multi-zk.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { P } from '../../src/field/babybear.js';
import { ext, extAdd } from '../../src/field/extension.js';
import { evaluateBase } from '../../src/poly/multilinear.js';
import { sha256 } from '../../src/hash/sha256.js';
import { checkConstraints, type ConstraintSystem } from '../../src/pcs/constraints.js';
import {
  commitZkLigero,
  deserializeZkMultiProof,
  proveZkLigero,
  proveZkLigeroMulti,
  serializeZkMultiProof,
  serializeZkProof,
  verifyZkLigero,
  verifyZkLigeroMulti,
} from '../../src/pcs/zk-ligero.js';
import { chooseZkLigeroParams, sharedCodeIssue, sharedCodeParams, zkLigeroSecurity, ZK_LIGERO_TARGET_BITS, type ZkLigeroParams } from '../../src/pcs/zk-ligero-params.js';
import { linearTerms, linearWeights, numLinearConstraints, vectorLayout } from '../../src/pcs/zk-ligero-system.js';
import { Rng } from '../support/random.js';
import {
  commitAndProve,
  commitAndProveMulti,
  freshMultiTranscript,
  freshTranscript,
  satisfiedSystem,
  seeded,
  smallParams,
  splitVector,
  verifyMultiFresh,
  type SystemSpec,
} from './zk-ligero-support.js';

interface MultiShape {
  name: string;
  lengths: number[];
  logCols: number;
  t: number;
  /** extra random symbols per row for each commitment (k_i = t + margin_i) */
  margins: number[];
  spec: SystemSpec;
}

const shapes: MultiShape[] = [
  {
    // base_1 = 1000 is not a multiple of C = 16: every large segment in vector 1 starts mid-row
    name: 'two vectors (1000 + 300, C = 16), the second not row-aligned',
    lengths: [1000, 300],
    logCols: 4,
    t: 8,
    margins: [2, 2],
    spec: {
      linear: 12,
      tensor: [[9, 0], [6, 10], [8, 4], [6, 16], [6, 17], [5, 33], [3, 130], [0, 1299]],
      tensorExtra: 2,
      // x, y in vector 0 and z in vector 1; one block straddles the boundary; one inside vector 1
      hadamard: [[3, 501, 1100, 37], [980, 10, 1200, 40], [1010, 1040, 1250, 30]],
    },
  },
  {
    name: 'three vectors (700 + 256 + 77, C = 16), k = 3t on the first',
    lengths: [700, 256, 77],
    logCols: 4,
    t: 5,
    margins: [10, 0, 1],
    spec: { linear: 20, terms: 6, tensor: [[8, 1], [6, 11], [7, 6], [5, 30], [4, 60]], tensorExtra: 1, hadamard: [[0, 710, 960, 20], [650, 100, 1000, 33]] },
  },
  {
    // C = 128: in-row segments of 64 entries, one inside a row, one across two rows
    name: 'in-row segments across a row boundary (1000 + 500, C = 128)',
    lengths: [1000, 500],
    logCols: 7,
    t: 6,
    margins: [2, 2],
    spec: { linear: 12, tensor: [[6, 16], [6, 17], [7, 9], [8, 4], [6, 2]], tensorExtra: 1, hadamard: [[0, 1100, 1300, 90]] },
  },
];

function paramsFor(s: MultiShape): ZkLigeroParams[] {
  const base = smallParams(s.logCols, s.t, Math.max(...s.margins));
  return s.margins.map((m) => ({ ...base, randomness: s.t + m }));
}

/** A satisfied system over the concatenation, and its parts. */
function instance(seed: number, lengths: number[], spec: SystemSpec): { w: Uint32Array; parts: Uint32Array[]; sys: ConstraintSystem } {
  const r = new Rng(seed);
  const w = r.baseVec(lengths.reduce((a, b) => a + b, 0));
  const sys = satisfiedSystem(r, w, spec);
  return { w, parts: splitVector(w, lengths), sys };
}

for (const [i, s] of shapes.entries()) {
  test(`honest round trip: ${s.name}`, () => {
    const { w, parts, sys } = instance(3000 + i, s.lengths, s.spec);
    assert.equal(checkConstraints(w, sys), null);
    const params = paramsFor(s);
    const { commitments, proof } = commitAndProveMulti(parts, params, sys, 4000 + 10 * i);
    const res = verifyMultiFresh(commitments, sys, proof);
    assert.ok(res.ok, JSON.stringify(!res.ok && res.error));
    assert.equal(proof.a.length, s.lengths.length);
    // constraints do span the vectors (the fixture is what it claims)
    const layout = vectorLayout(s.lengths, s.logCols);
    const spans = sys.linear.filter((c) => new Set([...c.index].map((e) => layout.bases.findIndex((b, k) => e >= b && e < layout.bases[k + 1]))).size > 1);
    assert.ok(spans.length > 0, 'a sparse constraint reads several vectors');
    const bytes = serializeZkMultiProof(proof);
    const back = deserializeZkMultiProof(bytes, commitments, sys);
    assert.ok(back.ok, JSON.stringify(!back.ok && back.error));
    if (back.ok) {
      assert.deepEqual(serializeZkMultiProof(back.value), bytes, 'canonical re-encoding');
      assert.ok(verifyMultiFresh(commitments, sys, back.value).ok, 'after a byte round trip');
    }
  });
}

test('misaligned segments are split into two groups on the rows they cover', () => {
  const s = shapes[0];
  const { sys } = instance(3000, s.lengths, s.spec);
  const layout = vectorLayout(s.lengths, s.logCols);
  const rowsA = layout.rowBases[2];
  const omega = linearWeights(ext(1), new Uint32Array(4 * 7), numLinearConstraints(sys));
  const terms = linearTerms(sys, { logC: s.logCols, rowsA, rows: rowsA + 30, layout }, omega);
  // tensor [9, 0] and [6, 10] in vector 0: one group each; [8, 4], [6, 16], [6, 17] in vector 1
  // (local offsets 24, 24, 88: column 8 of their first row): two groups each
  assert.equal(terms.groups.length, 2 + 2 * 3);
  const second = terms.groups.slice(2);
  assert.equal(second[0].row0, layout.rowBases[1] + 1, 'segment [1024, 1280) starts at local row 1 of vector 1');
  assert.equal(second[1].row0, second[0].row0 + 1, 'its columns below 8 come from one row down');
});

test('two kinds of false statement per vector: the clear checker, the honest prover and the verifier agree', () => {
  const s = shapes[1];
  const { parts, sys } = instance(3100, s.lengths, s.spec);
  const params = paramsFor(s);
  const layout = vectorLayout(s.lengths, s.logCols);
  for (let v = 0; v < s.lengths.length; v++) {
    // a sparse constraint on vector v only, then lied about; and an entry of vector v changed
    const index = Uint32Array.from({ length: 3 }, (_, j) => layout.bases[v] + 5 + 7 * j);
    const coeffs = new Rng(v).extVec(3);
    const honest = { ...sys, linear: [...sys.linear, { index, coeffs, rhs: ext() }] };
    const w = Uint32Array.from(parts.flatMap((p) => [...p]));
    let rhs = ext();
    for (let j = 0; j < 3; j++) rhs = extAdd(rhs, Uint32Array.from(coeffs.subarray(4 * j, 4 * j + 4), (c) => Number((BigInt(c) * BigInt(w[index[j]])) % BigInt(P))));
    honest.linear[honest.linear.length - 1].rhs = rhs;
    assert.equal(checkConstraints(w, honest), null);
    const lie: ConstraintSystem = { ...honest, linear: honest.linear.map((c, k) => (k === honest.linear.length - 1 ? { ...c, rhs: extAdd(c.rhs, ext(1)) } : c)) };
    const edited = parts.map((p) => p.slice());
    edited[v][5] = (edited[v][5] + 1) % P;
    for (const [what, ps, st] of [['a false rhs', parts, lie], ['an edited entry', edited, honest]] as const) {
      const wAll = Uint32Array.from(ps.flatMap((p) => [...p]));
      assert.notEqual(checkConstraints(wAll, st), null, `vector ${v}, ${what}: the clear checker sees it`);
      const made = ps.map((p, i) => commitZkLigero(p, params[i], seeded(50 + i)));
      const cs = made.map((m) => m.commitment);
      assert.throws(() => proveZkLigeroMulti(made.map((m) => m.data), st, freshMultiTranscript(cs)), /does not hold/, `vector ${v}, ${what}: the honest prover refuses`);
      const forged = proveZkLigeroMulti(made.map((m) => m.data), st, freshMultiTranscript(cs), { unchecked: true });
      const res = verifyMultiFresh(cs, st, forged);
      assert.equal(res.ok, false, `vector ${v}, ${what}: rejected`);
      if (!res.ok) assert.match(res.error.kind, /LinearSumMismatch|QuadraticNotVanishing/);
    }
  }
});

test('one commitment: the multi proof is the single proof, byte for byte, and both verifiers accept it', () => {
  const r = new Rng(77);
  const w = r.baseVec(600);
  const sys = satisfiedSystem(r, w, { linear: 4, tensor: [[6, 2], [4, 3]], hadamard: [[0, 100, 200, 20]] });
  const params = smallParams(4, 8);
  const one = commitAndProve(w, params, sys, 78);
  const { commitment, data } = commitZkLigero(w, params, seeded(78));
  const multi = proveZkLigeroMulti([data], sys, freshTranscript(commitment));
  assert.deepEqual(serializeZkMultiProof(multi), serializeZkProof(one.proof));
  assert.ok(verifyZkLigeroMulti([commitment], sys, multi, freshTranscript(commitment), { minBits: 0 }).ok);
  assert.ok(verifyZkLigero(commitment, sys, one.proof, freshTranscript(commitment), { minBits: 0 }).ok);
});

/**
 * Golden bytes of the one-commitment proof: SHA-256 of proofs made before the multi-commitment
 * work (commit 478e0e6), so the wrapper's transcript and encoding are pinned.
 */
test('golden: one-commitment proofs are unchanged by the multi-commitment work', () => {
  const cases: [number, number, SystemSpec, number, number, number, number, string][] = [
    [31337, 700, { linear: 5, tensor: [[5, 3], [2, 40], [7, 2]], tensorExtra: 1, hadamard: [[0, 300, 600, 40]] }, 4, 8, 31338, 6577, 'afbf37d1faf7d64dda29ab6358b1032fe71b5ae1aa29c55a4489cb310fa71be7'],
    [4711, 1500, { linear: 5, tensor: [[6, 5], [9, 1], [3, 100]], tensorExtra: 1, hadamard: [[0, 700, 1400, 60]] }, 8, 6, 4712, 24969, '65be338fcde9ae30d3192ae9154f92ace90cb5b17cdacdef5f2c47e7a46bc64a'],
  ];
  for (const [seed, n, spec, logCols, t, proveSeed, len, hex] of cases) {
    const r = new Rng(seed);
    const w = r.baseVec(n);
    const sys = satisfiedSystem(r, w, spec);
    const bytes = serializeZkProof(commitAndProve(w, smallParams(logCols, t), sys, proveSeed).proof);
    assert.equal(bytes.length, len);
    assert.equal(Buffer.from(sha256(bytes)).toString('hex'), hex);
  }
});

test('the commitments must share (C, N, t): another C, N or t is refused with a clear error; k may differ', () => {
  const r = new Rng(90);
  const parts = [r.baseVec(200), r.baseVec(100)];
  const sys = satisfiedSystem(r, Uint32Array.from([...parts[0], ...parts[1]]), {});
  const p = smallParams(4, 6);
  for (const other of [{ ...p, logCols: 5 }, { ...p, logCodeword: p.logCodeword + 1 }, { ...p, queries: 5 }]) {
    assert.match(sharedCodeIssue([p, other]) ?? '', /must share \(C, N, t\)/);
    const a = commitZkLigero(parts[0], p, seeded(1));
    const b = commitZkLigero(parts[1], other, seeded(2));
    const cs = [a.commitment, b.commitment];
    assert.throws(() => proveZkLigeroMulti([a.data, b.data], sys, freshMultiTranscript(cs)), /must share \(C, N, t\)/);
    const honest = commitAndProveMulti(parts, [p, p], sys, 3);
    const res = verifyZkLigeroMulti(cs, sys, honest.proof, freshMultiTranscript(cs), { minBits: 0 });
    assert.equal(res.ok, false);
    if (!res.ok) assert.equal(res.error.kind, 'BadParameters');
  }
  assert.equal(sharedCodeIssue([p, { ...p, randomness: 16 }]), null);
  assert.equal(sharedCodeParams([p, { ...p, randomness: 15 }, { ...p, randomness: 9 }]).randomness, 15, 'the proof runs with the largest k');
  assert.match(sharedCodeIssue([]) ?? '', /at least one/);
});

test('a tensor segment of more than 32 entries straddling two vectors is refused (prover: RangeError, verifier: BadStatement); a small one is entries and allowed', () => {
  const r = new Rng(91);
  const parts = [r.baseVec(280), r.baseVec(300)]; // vector 1 starts at 280
  const w = Uint32Array.from([...parts[0], ...parts[1]]);
  const params = smallParams(4, 6);
  const allowed: [string, SystemSpec][] = [
    ['[256, 288): 32 entries across 280', { tensor: [[5, 8]] }],
    ['[320, 384): inside vector 1, mid-row', { tensor: [[6, 5]], linear: 1 }],
    ['[0, 256): inside vector 0', { tensor: [[8, 0]] }],
  ];
  for (const [what, spec] of allowed) {
    const sys = satisfiedSystem(r, w.slice(), spec);
    const m = commitAndProveMulti(parts, [params, params], sys, 92);
    assert.ok(verifyMultiFresh(m.commitments, sys, m.proof).ok, what);
  }
  const straddle = satisfiedSystem(r, w.slice(), { tensor: [[6, 4]] }); // [256, 320)
  const made = [commitZkLigero(parts[0], params, seeded(1)), commitZkLigero(parts[1], params, seeded(2))];
  const cs = made.map((m) => m.commitment);
  assert.throws(() => proveZkLigeroMulti(made.map((m) => m.data), straddle, freshMultiTranscript(cs)), /straddles committed vectors 0 and 1/);
  const honest = commitAndProveMulti(parts, [params, params], satisfiedSystem(r, w.slice(), { tensor: [[5, 8]] }), 94);
  const res = verifyMultiFresh(honest.commitments, straddle, honest.proof);
  assert.equal(res.ok, false);
  if (!res.ok) assert.equal(res.error.kind, 'BadStatement');
});

test('a long-lived commitment with k = 4t and a fresh witness at default strength: security is that of the larger code', () => {
  const wParams = chooseZkLigeroParams(2 ** 12, { openings: 4 });
  const witness = { ...wParams, randomness: wParams.queries };
  const shared = sharedCodeParams([wParams, witness]);
  assert.deepEqual(shared, wParams);
  const { parts, sys } = instance(95, [2 ** 12, 2 ** 10], { linear: 10, tensor: [[12, 0], [10, 4]], tensorExtra: 1, hadamard: [[0, 4096, 4500, 200]] });
  const m = commitAndProveMulti(parts, [wParams, witness], sys, 96);
  const res = verifyZkLigeroMulti(m.commitments, sys, m.proof, freshMultiTranscript(m.commitments));
  assert.ok(res.ok, JSON.stringify(!res.ok && res.error));
  assert.ok(zkLigeroSecurity(shared, numLinearConstraints(sys)).bits >= ZK_LIGERO_TARGET_BITS);
});

test('encoding: truncated, extended, bit-flipped and random bytes are decode errors or rejected proofs, never exceptions', () => {
  const s = shapes[1];
  const { parts, sys } = instance(3200, s.lengths, s.spec);
  const { commitments, proof } = commitAndProveMulti(parts, paramsFor(s), sys, 3300);
  const bytes = serializeZkMultiProof(proof);
  for (const cut of [0, 1, 5, 37, bytes.length >> 1, bytes.length - 1]) assert.equal(deserializeZkMultiProof(bytes.subarray(0, cut), commitments, sys).ok, false, `cut at ${cut}`);
  const longer = new Uint8Array(bytes.length + 1);
  longer.set(bytes);
  assert.equal(deserializeZkMultiProof(longer, commitments, sys).ok, false, 'trailing byte');
  // read for fewer or more commitments than it was made for
  assert.equal(deserializeZkMultiProof(bytes, commitments.slice(0, 2), sys).ok, false, 'two of three commitments');
  assert.equal(deserializeZkMultiProof(bytes, [...commitments, commitments[2]], sys).ok, false, 'a fourth commitment');
  assert.equal(deserializeZkMultiProof(bytes, [], sys).ok, false, 'no commitment');
  const rr = new Rng(3301);
  for (let i = 0; i < 40; i++) {
    const bad = bytes.slice();
    const pos = rr.int(bytes.length);
    bad[pos] ^= 1 << rr.int(8);
    const d = deserializeZkMultiProof(bad, commitments, sys);
    if (d.ok) assert.equal(verifyMultiFresh(commitments, sys, d.value).ok, false, `flip at byte ${pos}`);
  }
  for (let i = 0; i < 20; i++) {
    const d = deserializeZkMultiProof(rr.bytes(rr.int(bytes.length + 64)), commitments, sys);
    if (d.ok) assert.equal(verifyMultiFresh(commitments, sys, d.value).ok, false);
  }
  assert.equal(deserializeZkMultiProof('junk' as never, commitments, sys).ok, false);
});

test('the verifier returns error values for malformed commitment lists and proofs', () => {
  const s = shapes[1];
  const { parts, sys } = instance(3400, s.lengths, s.spec);
  const { commitments, proof } = commitAndProveMulti(parts, paramsFor(s), sys, 3500);
  for (const [what, cs, p] of [
    ['no commitments', [], proof],
    ['not an array', null, proof],
    ['a missing commitment', [commitments[0], null, commitments[2]], proof],
    ['a bad root', [commitments[0], { ...commitments[1], root: new Uint8Array(5) }, commitments[2]], proof],
    ['no proof', commitments, null],
    ['no tree-A openings', commitments, { ...proof, a: undefined }],
    ['a null opening', commitments, { ...proof, a: [proof.a[0], null, proof.a[2]] }],
  ] as const) {
    const res = verifyZkLigeroMulti(cs as never, sys, p as never, freshMultiTranscript(commitments), { minBits: 0 });
    assert.equal(res.ok, false, what);
  }
});

test('a segment aligned within its vector, not in the concatenation, is proven and verified; misaligned in both, refused', () => {
  // vector 1 starts at 600 = 37·16 + 8: its local block [256, 512) sits at [856, 1112), not a multiple of 256
  const lengths = [600, 700];
  const params = smallParams(4, 8);
  const r = new Rng(3300);
  const w = r.baseVec(1300);
  const point = r.extVec(8);
  const none = { index: new Uint32Array(0), coeffs: new Uint32Array(0) };
  const local = (offset: number, rhs = evaluateBase(w.slice(offset, offset + 256), point)): ConstraintSystem => ({ linear: [], tensor: [{ offset, numVars: 8, point, extra: none, rhs }], hadamard: [] });
  const sys = local(856);
  assert.equal(checkConstraints(w, sys, [0, 600, 1300]), null);
  const parts = splitVector(w, lengths);
  const { commitments, proof } = commitAndProveMulti(parts, [params, params], sys, 3301);
  const res = verifyMultiFresh(commitments, sys, proof);
  assert.ok(res.ok, JSON.stringify(!res.ok && res.error));
  // the same statement with a false value: the honest prover refuses, a cheating prover's proof is rejected
  const lie = local(856, extAdd(sys.tensor[0].rhs, ext(1)));
  const made = parts.map((p, i) => commitZkLigero(p, params, seeded(3302 + i)));
  const cs = made.map((m) => m.commitment);
  assert.throws(() => proveZkLigeroMulti(made.map((m) => m.data), lie, freshMultiTranscript(cs)), /does not hold: tensor constraint 0/);
  const forged = proveZkLigeroMulti(made.map((m) => m.data), lie, freshMultiTranscript(cs), { unchecked: true });
  assert.equal(verifyMultiFresh(cs, lie, forged).ok, false);
  // an entry of the segment changed in the committed vector
  const edited = parts.map((p) => p.slice());
  edited[1][300] = (edited[1][300] + 1) % P;
  const e = commitAndProveMulti(edited, [params, params], sys, 3304, { unchecked: true });
  assert.equal(verifyMultiFresh(e.commitments, sys, e.proof).ok, false, 'an edited entry in the segment');
  // one entry further (857 = 600 + 257): aligned neither way
  const off = local(857);
  assert.throws(() => proveZkLigeroMulti(made.map((m) => m.data), off, freshMultiTranscript(cs)), /not a multiple of 2\^8 in the concatenation or in its vector/);
  const v = verifyZkLigeroMulti(cs, off, proof, freshMultiTranscript(cs), { minBits: 0 });
  assert.ok(!v.ok && v.error.kind === 'BadStatement', JSON.stringify(!v.ok && v.error));
});
