/**
 * The padded batch against the clear constraint checker: honest proofs over regions of 2^0 to
 * 2^10 entries (at base 0 and inside a larger address space) with ~50 hidden claims of mixed
 * sizes satisfy the emitted system on the prover's w, which holds one TensorLinear in all; the
 * fast prover sends what the generic padded sumcheck sends; and one change at a time — a claimed
 * value, an offset, a point, a dropped claim, a padded message, a committed entry — makes the
 * verifier or the constraints fail. Shapes and bytes are checked at the boundaries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Ext, ext, extAdd, extMul } from '../../src/field/extension.js';
import { checkConstraints } from '../../src/pcs/constraints.js';
import { proveZkBatch, readZkBatchProof, verifyZkBatch, writeZkBatchProof, zkBatchAt, zkBatchLayout } from '../../src/pcs/zk-batch.js';
import { eqTable, numVarsOf } from '../../src/poly/multilinear.js';
import { proveZkSumcheckWithEvals } from '../../src/piop/zk-sumcheck.js';
import { Transcript } from '../../src/transcript/transcript.js';
import { ByteReader, ByteWriter, DecodeError } from '../../src/util/bytes.js';
import { Rng } from '../support/random.js';
import { bump, MOD } from '../support/zk.js';
import { absorbValues, batchCase, cloneProof, holds, LABEL, PROTOCOL, proveCase, verifyCase } from '../support/zk-batch.js';

const N = 10;
const CLAIMS = 50;

function honest(seed = 1, numVars = N, numClaims = CLAIMS, baseBlocks = 1) {
  const c = batchCase(seed, { numVars, numClaims, baseBlocks });
  const { proof, tr } = proveCase(c);
  assert.ok(proof);
  return { c, proof: proof!, tr };
}

test('layout: 12n + 4 entries, a function of n alone, rounds first then the pad of f~(r)', () => {
  for (const n of [0, 1, 5, 22]) {
    const l = zkBatchLayout(n);
    assert.equal(l.size, 12 * n + 4);
    const at = zkBatchAt(l, 1000);
    assert.equal(at.rounds, 1000);
    assert.equal(at.final!.evals, 1000 + 12 * n);
  }
});

test(`honest round trip: ${CLAIMS} hidden claims of mixed sizes (repeats at other points, sub-slices, the whole region) — the system holds on w, one TensorLinear`, () => {
  let seed = 10;
  for (const [n, numClaims, baseBlocks] of [[N, CLAIMS, 1], [N, CLAIMS, 0], [N, CLAIMS, 3], [7, 20, 2], [2, 6, 1], [1, 3, 0], [0, 2, 1]]) {
    const { c, proof, tr } = honest(seed++, n, numClaims, baseBlocks);
    const sizes = new Set(c.prover.map((p) => numVarsOf(p.point)));
    if (n === N) assert.ok(sizes.size >= 5 && new Set(c.prover.map((p) => p.offset)).size < numClaims, 'mixed sizes and shared slices');
    const { res, tr: vtr } = verifyCase(c, proof);
    assert.ok(res.ok, `n=${n}: ${!res.ok && res.error.message}`);
    if (!res.ok) continue;
    assert.equal(checkConstraints(c.w, res.system), null, `n=${n} base=${c.region.base}`);
    assert.equal(res.system.tensor.length, 1);
    assert.deepEqual([res.system.tensor[0].offset, res.system.tensor[0].numVars], [c.region.base, n]);
    assert.equal(res.system.linear.length, n + 1, 'n round constraints and the final check');
    assert.equal(res.system.hadamard.length, 0, 'G(r) is public: no product slot');
    assert.deepEqual(vtr.challengeExt('next'), tr.challengeExt('next'), 'prover and verifier transcripts agree');
  }
});

test('the fast prover sends what the generic padded sumcheck sends on the tables G and f', () => {
  const c = batchCase(3, { numVars: 6, numClaims: 12 });
  const { proof } = proveCase(c);
  // replay the statement as zk-batch absorbs it to get ρ, then build G = Σ ρ^i eq(z_i ‖ bits(j_i), ·)
  const tr = new Transcript(PROTOCOL);
  absorbValues(tr, c.padded);
  tr.absorbNumber(`${LABEL}/region-base`, c.region.base);
  tr.absorbNumber(`${LABEL}/region-vars`, c.region.numVars);
  tr.absorbNumber(`${LABEL}/count`, c.prover.length);
  for (const p of c.prover) {
    tr.absorbNumber(`${LABEL}/claim-vars`, numVarsOf(p.point));
    tr.absorbNumber(`${LABEL}/claim-offset`, p.offset);
    tr.absorbExt(`${LABEL}/claim-point`, p.point);
  }
  const rho = tr.challengeExt(`${LABEL}/rho`);
  const size = 2 ** c.region.numVars;
  const G = new Uint32Array(4 * size);
  let pw: Ext = ext(1);
  for (const p of c.prover) {
    const eq = eqTable(p.point);
    const start = p.offset - c.region.base;
    for (let x = 0; x < eq.length >>> 2; x++) G.set(extAdd(G.subarray(4 * (start + x), 4 * (start + x) + 4), extMul(pw, eq.subarray(4 * x, 4 * x + 4))), 4 * (start + x));
    pw = extMul(pw, rho);
  }
  const f = c.w.slice(c.region.base, c.region.base + size);
  const generic = proveZkSumcheckWithEvals(tr, { numVars: c.region.numVars, degree: 2, tables: [G, f], terms: [{ coeff: ext(1), factors: [0, 1] }] }, c.w, c.at, [1], {
    label: `${LABEL}/sumcheck`,
    hiddenSum: true,
  });
  assert.deepEqual(generic.withEvals, proof);
});

test('the checked prover refuses a false claim and names it', () => {
  const c = batchCase(4, { numVars: 8, numClaims: 10 });
  c.prover[6] = { ...c.prover[6], value: extAdd(c.prover[6].value, ext(1)) };
  assert.throws(() => proveCase(c), /zk batch: claim 6 is false/);
});

// ---- tampering: each must make the verifier or the constraints fail ------------------------------

/** A claim whose hidden value (as w defines it) is off by one: ṽ_i is absorbed as (v_i + 1) + P_i. */
test('one claim’s value off by one (unchecked prover on the false claim): rejected', () => {
  for (const i of [0, 7, CLAIMS - 1]) {
    const c = batchCase(20 + i, { numVars: N, numClaims: CLAIMS });
    c.prover[i] = { ...c.prover[i], value: extAdd(c.prover[i].value, ext(1)) };
    c.padded[i] = extAdd(c.padded[i], ext(1));
    c.verifier[i] = { ...c.verifier[i], value: { ...c.verifier[i].value, constant: c.padded[i] } };
    const { proof } = proveCase(c, { unchecked: true });
    assert.notEqual(holds(c, proof), null, `claim ${i}`);
  }
});

test('a claim moved to another aligned offset: rejected (both sides moved with the old value, or the verifier alone)', () => {
  const c = batchCase(30, { numVars: N, numClaims: CLAIMS });
  const i = c.prover.findIndex((p) => numVarsOf(p.point) >= 2 && numVarsOf(p.point) < N);
  const k = numVarsOf(c.prover[i].point);
  const end = c.region.base + 2 ** N;
  const moved = c.prover[i].offset + 2 ** k < end ? c.prover[i].offset + 2 ** k : c.prover[i].offset - 2 ** k;
  const { proof } = proveCase(c);
  assert.equal(holds(c, proof), null, 'the untampered proof holds');
  const vclaims = c.verifier.map((v, j) => (j === i ? { ...v, offset: moved } : v));
  assert.notEqual(holds(c, proof, vclaims), null, 'verifier alone');
  const pclaims = c.prover.map((p, j) => (j === i ? { ...p, offset: moved } : p));
  const cheat = proveCase(c, { unchecked: true, claims: pclaims }).proof;
  assert.equal(verifyCase(c, cheat, vclaims).res.ok, true);
  assert.notEqual(holds(c, cheat, vclaims), null, 'both sides');
});

test('a claim’s point changed: rejected (verifier alone, or both sides with the old value)', () => {
  const c = batchCase(31, { numVars: N, numClaims: CLAIMS });
  const i = 5;
  const point = c.prover[i].point.slice();
  point[0] = bump(point[0]);
  const { proof } = proveCase(c);
  assert.equal(holds(c, proof), null, 'the untampered proof holds');
  const vclaims = c.verifier.map((v, j) => (j === i ? { ...v, point } : v));
  assert.notEqual(holds(c, proof, vclaims), null, 'verifier alone');
  const cheat = proveCase(c, { unchecked: true, claims: c.prover.map((p, j) => (j === i ? { ...p, point } : p)) }).proof;
  assert.notEqual(holds(c, cheat, vclaims), null, 'both sides');
});

test('a claim dropped on the verifier side, or added: rejected', () => {
  const c = batchCase(32, { numVars: N, numClaims: CLAIMS });
  const { proof } = proveCase(c);
  assert.equal(holds(c, proof), null, 'the untampered proof holds');
  for (const i of [0, 17, CLAIMS - 1]) assert.notEqual(holds(c, proof, c.verifier.filter((_, j) => j !== i)), null, `dropped ${i}`);
  assert.notEqual(holds(c, proof, [...c.verifier, c.verifier[3]]), null, 'duplicated');
});

test('every padded word changed, one at a time (rounds and f~(r)): rejected', () => {
  const c = batchCase(33, { numVars: 4, numClaims: 8 });
  const { proof } = proveCase(c);
  assert.equal(holds(c, proof), null);
  for (let j = 0; j < proof!.sumcheck.rounds.length; j++) {
    for (let k = 0; k < 12; k++) {
      const bad = cloneProof(proof!);
      bad.sumcheck.rounds[j][k] = bump(bad.sumcheck.rounds[j][k]);
      assert.notEqual(holds(c, bad), null, `round ${j} word ${k}`);
    }
  }
  for (let k = 0; k < 4; k++) {
    const bad = cloneProof(proof!);
    bad.final.evals[k] = bump(bad.final.evals[k]);
    assert.notEqual(holds(c, bad), null, `f~(r) word ${k}`);
  }
});

test('a committed entry changed after proving (claimed slice, unclaimed part of the region, a pad): rejected', () => {
  const c = batchCase(34, { numVars: N, numClaims: CLAIMS });
  const { proof } = proveCase(c);
  assert.equal(holds(c, proof), null, 'the untampered proof holds');
  const claimed = c.prover[3].offset;
  const unclaimedTail = c.region.base + 2 ** N - 1; // the region's zero tail: only the TensorLinear sees it
  for (const at of [claimed, unclaimedTail, c.valuePads[2] + 1, c.at.rounds + 5, c.at.final!.evals + 3]) {
    const w = c.w.slice();
    w[at] = bump(w[at]);
    assert.notEqual(holds(c, proof, undefined, w), null, `entry ${at}`);
  }
  const before = c.w.slice(0, c.region.base);
  before[0] = bump(before[0]);
  const w = c.w.slice();
  w.set(before, 0);
  assert.equal(holds(c, proof, undefined, w), null, 'an entry outside the region and the pads is not part of the statement');
});

test('a wrong transcript (another label or a missing earlier absorb): rejected', () => {
  const c = batchCase(35, { numVars: 6, numClaims: 10 });
  const { proof } = proveCase(c);
  const tr = new Transcript(PROTOCOL);
  const res = verifyZkBatch(tr, c.region, c.verifier, proof, c.at, LABEL); // the padded values were not absorbed
  assert.ok(!res.ok || checkConstraints(c.w, res.system) !== null);
  const tr2 = new Transcript(PROTOCOL);
  absorbValues(tr2, c.padded);
  const res2 = verifyZkBatch(tr2, c.region, c.verifier, proof, c.at, 'other');
  assert.ok(!res2.ok || checkConstraints(c.w, res2.system) !== null);
});

// ---- zero claims, shapes, bytes ------------------------------------------------------------------

test('zero claims: no proof, nothing absorbed, an empty system; a proof where none is due (or none where one is) is refused', () => {
  const c = batchCase(40, { numVars: 5, numClaims: 4 });
  const tr = new Transcript(PROTOCOL);
  assert.equal(proveZkBatch(tr, c.region, [], c.w, c.at).proof, null);
  assert.deepEqual(tr.challengeExt('x'), new Transcript(PROTOCOL).challengeExt('x'));
  const res = verifyZkBatch(new Transcript(PROTOCOL), c.region, [], null, c.at);
  assert.ok(res.ok && res.system.linear.length + res.system.tensor.length + res.system.hadamard.length === 0);
  const { proof } = proveCase(c);
  assert.equal(verifyZkBatch(new Transcript(PROTOCOL), c.region, [], proof, c.at).ok, false);
  assert.equal(verifyCase(c, null).res.ok, false);
  const w = new ByteWriter();
  writeZkBatchProof(w, null);
  assert.equal(w.finish().length, 0);
  assert.equal(readZkBatchProof(new ByteReader(new Uint8Array(0)), c.at.layout, 0), null);
});

test('bad shapes: misaligned or out-of-region claims, a bad region base, a layout over the region or of another size', () => {
  const c = batchCase(41, { numVars: 6, numClaims: 6 });
  const { proof } = proveCase(c);
  const i = c.prover.findIndex((p) => numVarsOf(p.point) >= 1);
  const misaligned = c.prover[i].offset + 1;
  const kind = (r: ReturnType<typeof verifyZkBatch>) => (r.ok ? 'ok' : r.error.kind);
  const tr = () => new Transcript(PROTOCOL);
  assert.throws(() => proveCase(c, { claims: c.prover.map((p, j) => (j === i ? { ...p, offset: misaligned } : p)) }), /multiple of 2\^/);
  assert.equal(kind(verifyZkBatch(tr(), c.region, c.verifier.map((v, j) => (j === i ? { ...v, offset: misaligned } : v)), proof, c.at, LABEL)), 'BadClaim');
  const outside = c.region.base + 2 ** 6;
  assert.throws(() => proveCase(c, { claims: c.prover.map((p, j) => (j === i ? { ...p, offset: outside } : p)) }), /outside the region/);
  assert.equal(kind(verifyZkBatch(tr(), c.region, c.verifier.map((v, j) => (j === i ? { ...v, offset: outside } : v)), proof, c.at, LABEL)), 'BadClaim');
  const tooBig = { ...c.verifier[0], point: new Uint32Array(4 * 7) };
  assert.equal(kind(verifyZkBatch(tr(), c.region, [tooBig], proof, c.at, LABEL)), 'BadClaim');
  const badBase = { base: c.region.base + 4, numVars: 6 };
  assert.throws(() => proveZkBatch(tr(), badBase, c.prover, c.w, c.at), /multiple of 2\^6/);
  assert.equal(kind(verifyZkBatch(tr(), badBase, c.verifier, proof, c.at)), 'BadShape');
  const over = zkBatchAt(c.at.layout, c.region.base + 8);
  assert.throws(() => proveZkBatch(tr(), c.region, c.prover, c.w, over), /overlap the region/);
  assert.equal(kind(verifyZkBatch(tr(), c.region, c.verifier, proof, over)), 'BadShape');
  const other = zkBatchAt(zkBatchLayout(5), c.at.rounds);
  assert.throws(() => proveZkBatch(tr(), c.region, c.prover, c.w, other), /batch layout over 6 variables/);
  assert.equal(kind(verifyZkBatch(tr(), c.region, c.verifier, proof, other)), 'BadShape');
  assert.throws(() => proveZkBatch(tr(), c.region, c.prover, c.w.subarray(0, c.w.length - 1), c.at), /inside w/);
});

test('bytes: 32 + 48n, round trip verifies; truncation, trailing bytes, non-canonical words and wrong counts are DecodeErrors', () => {
  const { c, proof } = honest(50, 7, 15);
  const w = new ByteWriter();
  writeZkBatchProof(w, proof);
  const bytes = w.finish();
  assert.equal(bytes.length, 32 + 48 * 7);
  const r = new ByteReader(bytes);
  const back = readZkBatchProof(r, c.at.layout, c.prover.length);
  r.end();
  assert.deepEqual(back, proof);
  assert.equal(holds(c, back), null);
  const decode = (b: Uint8Array) => {
    const rr = new ByteReader(b);
    readZkBatchProof(rr, c.at.layout, c.prover.length);
    rr.end();
  };
  for (let len = 0; len < bytes.length; len += 7) assert.throws(() => decode(bytes.subarray(0, len)), DecodeError, `truncated to ${len}`);
  assert.throws(() => decode(new Uint8Array([...bytes, 0])), DecodeError, 'trailing byte');
  const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (const [pos, value, what] of [
    [0, 6, 'round count'],
    [4, 4, 'values per round'],
    [8 + 48 * 3, MOD, 'non-canonical round word'],
    [8 + 48 * 7, 2, 'number of evaluations'],
    [12 + 48 * 7, MOD, 'non-canonical evaluation'],
    [28 + 48 * 7, 1, 'number of intermediates'],
  ] as const) {
    const bad = bytes.slice();
    view(bad).setUint32(pos, value, true);
    assert.throws(() => decode(bad), DecodeError, what);
  }
});

test('a hostile proof object never makes the verifier throw', () => {
  const { c, proof } = honest(51, 5, 6);
  const hostile: unknown[] = [
    {},
    { sumcheck: { rounds: 'x' }, final: proof.final },
    { sumcheck: { rounds: proof.sumcheck.rounds.slice(1) }, final: proof.final },
    { sumcheck: proof.sumcheck, final: { evals: new Uint32Array(8), chain: new Uint32Array(0) } },
    { sumcheck: proof.sumcheck, final: { evals: Uint32Array.of(MOD, 0, 0, 0), chain: new Uint32Array(0) } },
    { sumcheck: proof.sumcheck },
  ];
  for (const h of hostile) {
    const { res } = verifyCase(c, h as typeof proof);
    assert.equal(res.ok, false);
  }
});
