import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ext, extAdd, extMul, extEquals, type Ext } from '../../src/field/extension.js';
import { evaluateBase, evaluateExt } from '../../src/poly/multilinear.js';
import {
  combineFinalEvals,
  MAX_SUMCHECK_DEGREE,
  proveSumcheck,
  roundAt,
  readSumcheckProof,
  verifySumcheck,
  writeSumcheckProof,
  type SumcheckInstance,
  type SumcheckProof,
} from '../../src/piop/sumcheck.js';
import { Transcript } from '../../src/transcript/transcript.js';
import { ByteReader, ByteWriter } from '../../src/util/bytes.js';
import { Rng } from '../support/random.js';
import { interpolateAt } from '../../src/poly/univariate.js';

function instance(rng: Rng, m: number): SumcheckInstance {
  // H = 3·A·B·C + B·D·D·A + 5 (degree 4, one base table, one squared table, a constant term)
  const A = rng.baseVec(1 << m);
  const B = rng.extVec(1 << m);
  const C = rng.baseVec(1 << m);
  const D = rng.extVec(1 << m);
  return {
    numVars: m,
    degree: 4,
    tables: [A, B, C, D],
    terms: [
      { coeff: ext(3), factors: [0, 1, 2] },
      { coeff: ext(1), factors: [1, 3, 3, 0] },
      { coeff: ext(5), factors: [] },
    ],
  };
}

function naiveSum(inst: SumcheckInstance): Ext {
  const m = inst.numVars;
  let h = ext();
  for (let x = 0; x < 1 << m; x++) {
    for (const term of inst.terms) {
      let prod: Ext = term.coeff;
      for (const f of term.factors) {
        const t = inst.tables[f];
        prod = extMul(prod, t.length === 1 << m ? ext(t[x]) : t.subarray(4 * x, 4 * x + 4));
      }
      h = extAdd(h, prod);
    }
  }
  return h;
}

function evalTable(t: Uint32Array, m: number, r: Uint32Array): Ext {
  return t.length === 1 << m ? evaluateBase(t, r) : evaluateExt(t, r);
}

function run(m: number, seed = 1) {
  const rng = new Rng(seed);
  const inst = instance(rng, m);
  const out = proveSumcheck(new Transcript('test'), inst);
  return { inst, out };
}

/** Verifies and discharges the final claim with honest table evaluations. */
function verifyAndDischarge(inst: SumcheckInstance, claimedSum: Ext, proof: SumcheckProof) {
  const res = verifySumcheck(new Transcript('test'), { numVars: inst.numVars, degree: inst.degree, claimedSum }, proof);
  if (!res.ok) return res;
  const evals = inst.tables.map((t) => evalTable(t, inst.numVars, res.point));
  const expected = combineFinalEvals(inst.terms, evals);
  if (!extEquals(expected, res.finalClaim)) return { ok: false as const, error: { kind: 'FinalEvaluationMismatch', message: 'final claim' } };
  return res;
}

test('honest sumcheck proofs verify, and the prover’s final evaluations are the tables’ MLEs at r', () => {
  for (const m of [0, 1, 2, 5, 8]) {
    const { inst, out } = run(m, m + 10);
    assert.deepEqual(out.claimedSum, naiveSum(inst), `claimed sum m=${m}`);
    const res = verifyAndDischarge(inst, out.claimedSum, out.proof);
    assert.ok(res.ok, `m=${m}: ${JSON.stringify(!res.ok && res.error)}`);
    if (res.ok) {
      assert.deepEqual(res.point, out.point);
      inst.tables.forEach((t, i) => assert.deepEqual(out.finalEvals[i], evalTable(t, m, out.point)));
    }
  }
});

test('a wrong claimed sum is rejected', () => {
  const { inst, out } = run(5);
  const res = verifySumcheck(new Transcript('test'), { numVars: 5, degree: 4, claimedSum: extAdd(out.claimedSum, ext(1)) }, out.proof);
  assert.equal(res.ok, false);
  if (!res.ok) assert.equal(res.error.kind, 'RoundCheckFailed');
  assert.ok(inst);
});

test('with zero variables the final claim is the claimed sum (caller must check it)', () => {
  const { inst, out } = run(0);
  const wrong = extAdd(out.claimedSum, ext(1));
  const res = verifyAndDischarge(inst, wrong, out.proof);
  assert.equal(res.ok, false);
});

test('every tampered round message is rejected', () => {
  const { inst, out } = run(4);
  for (let j = 0; j < 4; j++) {
    for (let k = 0; k < out.proof.rounds[j].length; k += 3) {
      const rounds = out.proof.rounds.map((s) => s.slice());
      rounds[j][k] = (rounds[j][k] + 1) % 2013265921;
      const res = verifyAndDischarge(inst, out.claimedSum, { rounds });
      assert.equal(res.ok, false, `round ${j} word ${k}`);
    }
  }
});

test('a consistent forgery (s(0)+s(1) kept) is caught by the final evaluation', () => {
  const { inst, out } = run(4);
  const rounds = out.proof.rounds.map((s) => s.slice());
  // shift s_2(0) up and s_2(1) down: the sum check of round 2 still passes
  rounds[2][0] = (rounds[2][0] + 7) % 2013265921;
  rounds[2][4] = (rounds[2][4] + 2013265921 - 7) % 2013265921;
  const res = verifyAndDischarge(inst, out.claimedSum, { rounds });
  assert.equal(res.ok, false);
});

test('a wrong final evaluation is rejected by the caller’s discharge', () => {
  const { inst, out } = run(3);
  const res = verifySumcheck(new Transcript('test'), { numVars: 3, degree: 4, claimedSum: out.claimedSum }, out.proof);
  assert.ok(res.ok);
  if (res.ok) {
    const evals = out.finalEvals.slice();
    evals[1] = extAdd(evals[1], ext(1));
    assert.equal(extEquals(combineFinalEvals(inst.terms, evals), res.finalClaim), false);
    assert.equal(extEquals(combineFinalEvals(inst.terms, out.finalEvals), res.finalClaim), true);
  }
});

test('wrong round counts and lengths (d+2 values, empty proof, swapped rounds) are rejected', () => {
  const { inst, out } = run(4);
  const stmt = { numVars: 4, degree: 4, claimedSum: out.claimedSum };
  const longer = out.proof.rounds.map((s, j) => (j === 1 ? Uint32Array.from([...s, 0, 0, 0, 0]) : s));
  let r = verifySumcheck(new Transcript('test'), stmt, { rounds: longer });
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.kind, 'WrongRoundLength');
  r = verifySumcheck(new Transcript('test'), stmt, { rounds: [] });
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.kind, 'WrongRoundCount');
  const swapped = out.proof.rounds.slice();
  [swapped[1], swapped[2]] = [swapped[2], swapped[1]];
  assert.equal(verifyAndDischarge(inst, out.claimedSum, { rounds: swapped }).ok, false);
  const nonCanonical = out.proof.rounds.map((s) => s.slice());
  nonCanonical[0][0] = 2013265921 + 5;
  r = verifySumcheck(new Transcript('test'), stmt, { rounds: nonCanonical });
  assert.equal(r.ok, false);
});

test('a proof replayed under another transcript prefix fails', () => {
  const { inst, out } = run(4);
  const res = verifySumcheck(new Transcript('other'), { numVars: 4, degree: 4, claimedSum: out.claimedSum }, out.proof);
  if (res.ok) {
    const evals = inst.tables.map((t) => evalTable(t, 4, res.point));
    assert.equal(extEquals(combineFinalEvals(inst.terms, evals), res.finalClaim), false);
  }
});

test('sumcheck proofs round-trip through bytes and refuse the wrong shape', () => {
  const { out } = run(5);
  const w = new ByteWriter();
  writeSumcheckProof(w, out.proof);
  const bytes = w.finish();
  const back = readSumcheckProof(new ByteReader(bytes), 5, 4);
  assert.deepEqual(back.rounds, out.proof.rounds);
  assert.throws(() => readSumcheckProof(new ByteReader(bytes), 6, 4));
  assert.throws(() => readSumcheckProof(new ByteReader(bytes), 5, 3));
  assert.throws(() => readSumcheckProof(new ByteReader(bytes.subarray(0, bytes.length - 1)), 5, 4));
});

test('roundAt (Newton differences) = interpolateAt (Lagrange) for every degree, at nodes and random points', () => {
  const rng = new Rng(99);
  for (let d = 0; d <= MAX_SUMCHECK_DEGREE; d++) {
    for (let trial = 0; trial < 5; trial++) {
      const s = rng.extVec(d + 1);
      for (const r of [rng.ext(), ext(0), ext(d), ext(d + 1), ext(2013265920)]) {
        assert.deepEqual([...roundAt(s, r)], [...interpolateAt(s, r)], `d=${d}`);
      }
    }
  }
});
