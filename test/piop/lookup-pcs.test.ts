/**
 * LogUp with real commitments: the looked-up column and the multiplicities are committed
 * with the tensor PCS, their roots absorbed before α, β are drawn, and the claims the lookup
 * verifier returns are settled by batch openings — the order PROTOCOL-NOTES §6 prescribes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Transcript } from '../../src/transcript/transcript.js';
import { TensorPcs } from '../../src/pcs/tensor.js';
import { proveBatchOpening, verifyBatchOpening, type EvalClaim } from '../../src/pcs/batch.js';
import {
  computeMultiplicities,
  LookupMembershipError,
  drawLookupChallenges,
  proveLookups,
  rangeTable,
  statementOf,
  verifyLookups,
  type LookupWitness,
} from '../../src/piop/lookup/index.js';
import { Rng } from '../support/random.js';

const pcs = new TensorPcs();

function setup(values: Uint32Array) {
  const table = rangeTable(8);
  const m = computeMultiplicities(table, [[values]]);
  const witness: LookupWitness = { table, lookups: [[values]], multiplicities: m };
  return { table, m, witness, col: pcs.commit(values), mult: pcs.commit(m) };
}

function absorbRoots(tr: Transcript, colRoot: Uint8Array, mRoot: Uint8Array): void {
  tr.absorbBytes('witness/column-root', colRoot);
  tr.absorbBytes('witness/multiplicity-root', mRoot);
}

test('range lookups on committed vectors: prove, open the claims, verify end to end', () => {
  const rng = new Rng(11);
  const values = new Uint32Array(1 << 12).map(() => rng.int(256));
  const { witness, col, mult } = setup(values);

  // prover
  const tp = new Transcript('e2e/lookup');
  absorbRoots(tp, col.commitment.root, mult.commitment.root);
  const ch = drawLookupChallenges(tp, [statementOf(witness)]);
  const { proof, claims } = proveLookups(tp, ch, [witness]);
  const colOpening = proveBatchOpening(pcs, col.commitment, col.data, [claims[0].columns[0][0]], tp);
  const mOpening = proveBatchOpening(pcs, mult.commitment, mult.data, [claims[0].multiplicities], tp);

  // verifier: its claims come from its own replay
  const verifyAll = (colCommitment = col.commitment) => {
    const tv = new Transcript('e2e/lookup');
    absorbRoots(tv, colCommitment.root, mult.commitment.root);
    const chv = drawLookupChallenges(tv, [statementOf(witness)]);
    const res = verifyLookups(tv, chv, [statementOf(witness)], proof);
    if (!res.ok) return res;
    const colClaims: EvalClaim[] = [res.claims[0].columns[0][0]];
    const a = verifyBatchOpening(pcs, colCommitment, colClaims, colOpening, tv);
    if (!a.ok) return a;
    return verifyBatchOpening(pcs, mult.commitment, [res.claims[0].multiplicities], mOpening, tv);
  };
  const ok = verifyAll();
  assert.ok(ok.ok, JSON.stringify(!ok.ok && ok.error));

  // The same proofs checked against a commitment to other (in-range) values are rejected.
  const other = values.slice();
  other[5] = (other[5] + 1) % 256;
  assert.equal(verifyAll(pcs.commit(other).commitment).ok, false);
});

test('an out-of-range committed value cannot be proven: the honest prover names table and position', () => {
  const values = new Uint32Array(1 << 8).fill(3);
  values[77] = 256;
  assert.throws(
    () => setup(values),
    (e: unknown) => e instanceof LookupMembershipError && e.table === 'range8' && e.position === 77 && /range8/.test(e.message) && /77/.test(e.message),
  );
});
