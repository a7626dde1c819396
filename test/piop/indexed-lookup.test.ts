/**
 * The committed-table LogUp instance at the piop level (`piop/lookup/indexed.ts`): lookups of
 * (key, row) tuples into the rows (v, E_v) of a committed matrix E, rows folded at ρ. Honest
 * proofs verify and leave claims that hold on the actual vectors (O at (ρ ‖ x), E at (ρ ‖ x_b));
 * a tampered table evaluation, a wrong row and forged multiplicities are rejected; a prover that
 * runs the table side on other rows E' passes the lookup but leaves a claim on E that is false
 * (the opening the caller must do rejects it); and the padding rows (v ≥ V, 0) are members,
 * which is why the embedding layer also range-checks its indices.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { P } from '../../src/field/babybear.js';
import { extEquals } from '../../src/field/extension.js';
import { evaluateBase } from '../../src/poly/multilinear.js';
import { Transcript } from '../../src/transcript/transcript.js';
import { ByteReader, ByteWriter } from '../../src/util/bytes.js';
import {
  committedMultiplicities,
  committedTable,
  computeMultiplicities,
  drawLookupChallenges,
  LookupMembershipError,
  proveLookups,
  proveLookupsUnchecked,
  readLookupProof,
  statementOf,
  verifyLookups,
  writeLookupProof,
  type LookupProof,
  type LookupStatement,
  type LookupWitness,
} from '../../src/piop/lookup/index.js';
import { Rng } from '../support/random.js';

const ROOT = new Uint8Array(32).fill(9);
const V = 11; // rows (b = 4: rows 11..15 are padding)
const K = 2; // rows of 4 entries
const W = 2 ** K;
const table = committedTable('E', V, K);

function prove(ws: LookupWitness[], unchecked = false) {
  const tr = new Transcript('test/indexed');
  tr.absorbBytes('root', ROOT);
  const ch = drawLookupChallenges(tr, ws.map(statementOf));
  return (unchecked ? proveLookupsUnchecked : proveLookups)(tr, ch, ws);
}

function verify(sts: LookupStatement[], proof: LookupProof) {
  const tr = new Transcript('test/indexed');
  tr.absorbBytes('root', ROOT);
  return verifyLookups(tr, drawLookupChallenges(tr, sts), sts, proof);
}

const rng = new Rng(5);
/** E's padded field vector: 2^⌈log2 V⌉ rows of W (zero rows past V). */
const E = new Uint32Array(16 * W).map((_, i) => (i < V * W ? rng.int(P) : 0));

/** Lookups of keys (2^logLen of them) with their rows; padding rows of the layout not modelled here. */
function lookupsOf(keys: number[]): Uint32Array[] {
  const k = Uint32Array.from(keys);
  const rows = new Uint32Array(keys.length * W);
  keys.forEach((v, t) => v < 16 && rows.set(E.subarray(v * W, (v + 1) * W), t * W));
  return [k, rows];
}

function witnessOf(keys: number[], m?: Uint32Array): LookupWitness {
  const lookups = [lookupsOf(keys)];
  return { table, lookups, tableRows: E, multiplicities: m ?? computeMultiplicities(table, lookups, E) };
}

const keys = [3, 0, 10, 7, 3, 3, 1, 10];

test('honest committed-table lookups verify; the claims on O and E hold on the vectors', () => {
  const w = witnessOf(keys);
  assert.equal(w.multiplicities[V], 16 - keys.length, 'the lookup side is padded with (V, 0)');
  const { proof } = prove([w]);
  const wr = new ByteWriter(1 << 12);
  writeLookupProof(wr, proof);
  const read = readLookupProof(new ByteReader(wr.finish()), [statementOf(w)]);
  const res = verify([statementOf(w)], read);
  assert.ok(res.ok, res.ok ? '' : res.error.message);
  const cl = res.claims[0];
  const [k, rows] = w.lookups[0];
  assert.ok(extEquals(evaluateBase(k, cl.columns[0][0].point), cl.columns[0][0].value), 'key column claim');
  assert.ok(extEquals(evaluateBase(rows, cl.columns[0][1].point), cl.columns[0][1].value), 'row claim: O at (ρ ‖ x)');
  assert.ok(extEquals(evaluateBase(E, cl.table!.point), cl.table!.value), 'table claim: E at (ρ ‖ x_b)');
  assert.ok(extEquals(evaluateBase(w.multiplicities, cl.multiplicities.point), cl.multiplicities.value));
});

test('a tampered table evaluation is rejected at the leaf check', () => {
  const w = witnessOf(keys);
  const { proof } = prove([w]);
  for (let word = 0; word < 4; word++) {
    const ip = proof.instances[0];
    const tableEval = ip.tableEval!.slice();
    tableEval[word] = (tableEval[word] + 1) % P;
    const res = verify([statementOf(w)], { instances: [{ ...ip, tableEval }] });
    assert.equal(res.ok, false);
    if (!res.ok) assert.equal(res.error.kind, 'LeafDenominatorMismatch');
  }
  const { tableEval: _, ...noEval } = proof.instances[0];
  assert.equal(verify([statementOf(w)], { instances: [noEval] }).ok, false, 'a missing table evaluation');
});

test('the honest prover refuses a wrong row; forced through, it and forged multiplicities are rejected', () => {
  const w = witnessOf(keys);
  w.lookups[0][1][2 * W + 1] = (w.lookups[0][1][2 * W + 1] + 1) % P;
  assert.throws(() => computeMultiplicities(table, w.lookups, E), LookupMembershipError);
  w.multiplicities = committedMultiplicities(table, w.lookups, E, false).m;
  assert.equal(verify([statementOf(w)], prove([w], true).proof).ok, false, 'wrong row');
  const m = computeMultiplicities(table, [lookupsOf(keys)], E);
  m[3] -= 1;
  m[4] += 1;
  assert.equal(verify([statementOf(w)], prove([witnessOf(keys, m)], true).proof).ok, false, 'forged multiplicities');
});

test('a table side run on other rows passes the lookup but leaves a false claim on E', () => {
  const w = witnessOf(keys);
  const forged = E.slice();
  forged[3 * W] = (forged[3 * W] + 1) % P; // the prover's "E" differs in row 3 …
  w.lookups[0][1].set(forged.subarray(3 * W, 4 * W), 0); // … and so does O's row 0 (key 3)
  w.lookups[0][1].set(forged.subarray(3 * W, 4 * W), 4 * W);
  w.lookups[0][1].set(forged.subarray(3 * W, 4 * W), 5 * W);
  const res = verify([statementOf(w)], prove([{ ...w, tableRows: forged }], true).proof);
  assert.ok(res.ok, 'the lookup alone is consistent');
  if (res.ok) assert.ok(!extEquals(evaluateBase(E, res.claims[0].table!.point), res.claims[0].table!.value), 'the claim on the committed E is false');
});

test('padding rows (v ≥ V, 0) are members and keys ≥ 2^b or negative are not: indices need the range check', () => {
  const pad = witnessOf([3, 0, V, 15, 3, 3, 1, 10]);
  assert.equal(pad.lookups[0][1].subarray(2 * W, 3 * W).every((x) => x === 0), true);
  assert.ok(verify([statementOf(pad)], prove([pad]).proof).ok, 'a key in [V, 2^b) with a zero row matches a padding row');
  for (const bad of [16, P - 1]) {
    const w = witnessOf([3, 0, 1, 2, 3, 3, 1, 10]);
    w.lookups[0][0][2] = bad;
    w.lookups[0][1].fill(0, 2 * W, 3 * W);
    assert.throws(() => computeMultiplicities(table, w.lookups, E), LookupMembershipError);
    w.multiplicities = committedMultiplicities(table, w.lookups, E, false).m;
    w.multiplicities[1] += 1; // balance the count as best a prover can
    assert.equal(verify([statementOf(w)], prove([w], true).proof).ok, false, `key ${bad}`);
  }
});
