/**
 * The padded sumcheck against the clear constraint checker: honest proofs satisfy the emitted
 * constraints on the w holding the pads; padding changes nothing but the messages; and one
 * change at a time — a round value, a committed entry, the claimed sum, a final evaluation, the
 * order of rounds, the encoding — makes the constraints (or decoding) fail. The Frozen-Heart
 * harness shows the forgery that an omitted absorb allows and that the real transcript stops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Ext, ext, extAdd, extEquals, extInv, extMul, extSub } from '../../src/field/extension.js';
import { checkConstraints } from '../../src/pcs/constraints.js';
import { MAX_SUMCHECK_DEGREE, proveSumcheck, roundAt } from '../../src/piop/sumcheck.js';
import { evalAffine, padAt, padTerms } from '../../src/piop/zk-affine.js';
import {
  absorbZkSumcheckStatement,
  lagrangeBasis,
  proveZkSumcheck,
  readZkSumcheckWithEvals,
  roundPad,
  verifyZkSumcheck,
  writeZkSumcheckWithEvals,
  zkSumcheckPadSize,
} from '../../src/piop/zk-sumcheck.js';
import { Transcript } from '../../src/transcript/transcript.js';
import { ByteReader, ByteWriter, DecodeError } from '../../src/util/bytes.js';
import { Rng } from '../support/random.js';
import { bump, cloneProof, commitCase, LABEL, MOD, naiveSum, PROTOCOL, proveCase, seededWords, verifyCase, zkCase, type ZkCase } from '../support/zk.js';

function holds(c: ZkCase, w: Uint32Array, proof = proveCase(c, w)): string | null {
  const v = verifyCase(c, proof.proof, proof.hTilde);
  if (!v.ok) return `verifier: ${v.error.kind}`;
  return checkConstraints(w, v.system);
}

test('lagrangeBasis(d, r)·s = roundAt(s, r) for every degree, at the nodes and at random points', () => {
  const rng = new Rng(3);
  for (let d = 1; d <= MAX_SUMCHECK_DEGREE; d++) {
    const s = rng.extVec(d + 1);
    for (const r of [rng.ext(), ext(0), ext(d), ext(d + 1), rng.ext()]) {
      const L = lagrangeBasis(d, r);
      let acc = ext();
      L.forEach((l, t) => (acc = extAdd(acc, extMul(l, s.subarray(4 * t, 4 * t + 4)))));
      assert.deepEqual(acc, roundAt(s, r), `d=${d}`);
    }
  }
});

test('padTerms: c·P is four entries with coefficients c, c·u, c·u², c·u³', () => {
  const rng = new Rng(4);
  const w = rng.baseVec(12);
  const c = rng.ext();
  const t = padTerms(c, 5);
  let acc = ext();
  for (let i = 0; i < 4; i++) acc = extAdd(acc, extMul(t.coeffs.subarray(4 * i, 4 * i + 4), ext(w[t.index[i]])));
  assert.deepEqual([...t.index], [5, 6, 7, 8]);
  assert.deepEqual(acc, extMul(c, padAt(w, 5)));
});

test('honest padded proofs verify and w satisfies every emitted constraint (degrees 1–4, 0–10 variables, public and hidden sums)', () => {
  let seed = 100;
  for (const m of [0, 1, 2, 3, 5, 7, 10]) {
    for (let d = 1; d <= 4; d++) {
      for (const hiddenSum of [false, true]) {
        const rng = new Rng(seed++);
        const c = zkCase(rng, m, d, { hidden: hiddenSum, withExt: m % 2 === 1 });
        const w = commitCase(c, seededWords(rng));
        const p = proveCase(c, w);
        assert.deepEqual(p.claimedSum, naiveSum(c.inst));
        const v = verifyCase(c, p.proof, p.hTilde);
        assert.ok(v.ok, `m=${m} d=${d} hidden=${hiddenSum}: ${!v.ok && v.error.message}`);
        if (!v.ok) continue;
        assert.deepEqual(v.point, p.point);
        assert.equal(checkConstraints(w, v.system), null, `m=${m} d=${d} hidden=${hiddenSum}`);
        assert.equal(v.system.linear.length >= m + 1, true);
      }
    }
  }
});

test('the verifier’s final evaluations are the prover’s hidden ones: evalAffine(e_l, w) = P~_l(r)', () => {
  const rng = new Rng(7);
  const c = zkCase(rng, 4, 3, { numTables: 3 });
  const w = commitCase(c, seededWords(rng));
  const p = proveCase(c, w);
  const tr = new Transcript(PROTOCOL);
  const sc = verifyZkSumcheck(tr, { numVars: 4, degree: 3, claimedSum: p.claimedSum }, p.proof.sumcheck, c.at.rounds, LABEL);
  assert.ok(sc.ok);
  if (!sc.ok) return;
  // the final claim, evaluated on w, is the clear c_{m−1} = Σ_j c_j Π P~_l(r)
  let expected = ext();
  c.inst.terms.forEach((t) => (expected = extAdd(expected, t.factors.reduce<Ext>((acc, f) => extMul(acc, p.finalEvals[f]), t.coeff))));
  assert.deepEqual(evalAffine(sc.finalClaim, w), expected);
});

test('with all pads zero the padded prover is today’s prover: same rounds, point and transcript state', () => {
  for (const [m, d] of [[0, 1], [1, 2], [4, 3], [6, 4], [3, 8]]) {
    const rng = new Rng(200 + m * 10 + d);
    const c = zkCase(rng, m, d);
    const w = commitCase(c, null);
    const tz = new Transcript(PROTOCOL), tc = new Transcript(PROTOCOL);
    const zk = proveZkSumcheck(tz, c.inst, w, c.at.rounds, { label: LABEL });
    const clear = proveSumcheck(tc, c.inst, LABEL);
    assert.deepEqual(zk.proof.rounds, clear.proof.rounds, `m=${m} d=${d}`);
    assert.deepEqual(zk.point, clear.point);
    assert.deepEqual(zk.finalEvals, clear.finalEvals);
    assert.deepEqual(tz.snapshot(), tc.snapshot());
    // and with uniform pads only the messages change: each is the clear value plus its pad
    const wp = commitCase(c, seededWords(rng));
    const tp = new Transcript(PROTOCOL);
    const padded = proveZkSumcheck(tp, c.inst, wp, c.at.rounds, { label: LABEL });
    if (m > 0) {
      const first = proveSumcheck(new Transcript(PROTOCOL), c.inst, LABEL).proof.rounds[0];
      for (let t = 0; t <= d; t++) assert.deepEqual(padded.proof.rounds[0].subarray(4 * t, 4 * t + 4), extAdd(first.subarray(4 * t, 4 * t + 4), padAt(wp, roundPad(c.at.rounds, d, 0, t))));
      assert.notDeepEqual(padded.point, clear.point);
    }
  }
});

test('emitted round constraints have the documented form: m constraints on the pads of s_j(0), s_j(1) and s_{j−1}(0..d)', () => {
  const rng = new Rng(9);
  const [m, d] = [5, 3];
  const c = zkCase(rng, m, d, { numTables: 2 });
  const w = commitCase(c, seededWords(rng));
  const p = proveCase(c, w);
  const sc = verifyZkSumcheck(new Transcript(PROTOCOL), { numVars: m, degree: d, claimedSum: p.claimedSum }, p.proof.sumcheck, c.at.rounds, LABEL);
  assert.ok(sc.ok);
  if (!sc.ok) return;
  assert.equal(sc.system.linear.length, m);
  assert.equal(sc.system.tensor.length + sc.system.hadamard.length, 0);
  assert.equal(zkSumcheckPadSize(m, d), 4 * m * (d + 1));
  sc.system.linear.forEach((lc, j) => {
    const want = new Set<number>();
    for (const t of [0, 1]) for (let i = 0; i < 4; i++) want.add(roundPad(c.at.rounds, d, j, t) + i);
    if (j > 0) for (let t = 0; t <= d; t++) for (let i = 0; i < 4; i++) want.add(roundPad(c.at.rounds, d, j - 1, t) + i);
    assert.deepEqual(new Set(lc.index), want, `round ${j}`);
    assert.equal(lc.coeffs.length, 4 * lc.index.length);
  });
  assert.equal(sc.finalClaim.index.length, 4 * (d + 1));
});

// ---- tampering: one thing at a time --------------------------------------------------------------

for (const hiddenSum of [false, true]) {
  const name = hiddenSum ? 'hidden' : 'public';
  const setup = () => {
    const rng = new Rng(hiddenSum ? 31 : 30);
    const c = zkCase(rng, 4, 3, { hidden: hiddenSum, numTables: 3 });
    const w = commitCase(c, seededWords(rng));
    const p = proveCase(c, w);
    assert.equal(holds(c, w, p), null);
    return { c, w, p };
  };

  test(`[${name} sum] changing any one padded round value makes the constraints fail`, () => {
    const { c, w, p } = setup();
    for (let j = 0; j < 4; j++) {
      for (let t = 0; t <= 3; t++) {
        for (const word of [0, 3]) {
          const q = cloneProof(p.proof);
          q.sumcheck.rounds[j][4 * t + word] = bump(q.sumcheck.rounds[j][4 * t + word]);
          const v = verifyCase(c, q, p.hTilde);
          assert.ok(v.ok);
          if (v.ok) assert.notEqual(checkConstraints(w, v.system), null, `round ${j} value ${t} word ${word}`);
        }
      }
    }
  });

  test(`[${name} sum] changing any one committed entry (table, pad or pad product) makes the constraints fail`, () => {
    const { c, w, p } = setup();
    const v = verifyCase(c, p.proof, p.hTilde);
    assert.ok(v.ok);
    if (!v.ok) return;
    for (let i = 0; i < w.length; i++) {
      const u = w.slice();
      u[i] = bump(u[i]);
      assert.notEqual(checkConstraints(u, v.system), null, `entry ${i} of ${w.length}`);
    }
  });

  test(`[${name} sum] a wrong claimed sum makes the constraints fail`, () => {
    const { c, w, p } = setup();
    let v;
    if (hiddenSum) v = verifyCase(c, p.proof, extAdd(p.hTilde!, ext(0, 1)));
    else v = verifyCase(c, p.proof, null, { sum: extAdd(p.claimedSum, ext(1)) });
    assert.ok(v.ok);
    if (v.ok) assert.notEqual(checkConstraints(w, v.system), null);
  });

  test(`[${name} sum] a changed final evaluation or chain intermediate makes the constraints fail`, () => {
    const { c, w, p } = setup();
    for (const part of ['evals', 'chain'] as const) {
      for (let k = 0; k < p.proof.final[part].length; k += 3) {
        const q = cloneProof(p.proof);
        q.final[part][k] = bump(q.final[part][k]);
        const v = verifyCase(c, q, p.hTilde);
        assert.ok(v.ok);
        if (v.ok) assert.notEqual(checkConstraints(w, v.system), null, `${part} word ${k}`);
      }
    }
  });

  test(`[${name} sum] swapping two rounds, or a consistent shift s̃(0)+δ, s̃(1)−δ, makes the constraints fail`, () => {
    const { c, w, p } = setup();
    for (let j = 0; j < 3; j++) {
      const q = cloneProof(p.proof);
      [q.sumcheck.rounds[j], q.sumcheck.rounds[j + 1]] = [q.sumcheck.rounds[j + 1], q.sumcheck.rounds[j]];
      const v = verifyCase(c, q, p.hTilde);
      assert.ok(v.ok);
      if (v.ok) assert.notEqual(checkConstraints(w, v.system), null, `swap ${j}, ${j + 1}`);
    }
    for (let j = 0; j < 4; j++) {
      const q = cloneProof(p.proof);
      q.sumcheck.rounds[j][0] = bump(q.sumcheck.rounds[j][0], 7);
      q.sumcheck.rounds[j][4] = bump(q.sumcheck.rounds[j][4], MOD - 7);
      const v = verifyCase(c, q, p.hTilde);
      assert.ok(v.ok);
      if (v.ok) assert.notEqual(checkConstraints(w, v.system), null, `shift in round ${j}`);
    }
  });
}

test('malformed proofs are refused before any constraint: counts, lengths, non-canonical values, bytes', () => {
  const rng = new Rng(40);
  const c = zkCase(rng, 4, 3, { numTables: 2 });
  const w = commitCase(c, seededWords(rng));
  const p = proveCase(c, w);
  const kind = (q: typeof p.proof) => {
    const v = verifyCase(c, q, null);
    return v.ok ? 'ok' : v.error.kind;
  };
  assert.equal(kind(p.proof), 'ok');
  let q = cloneProof(p.proof);
  q.sumcheck.rounds[1] = Uint32Array.from([...q.sumcheck.rounds[1], 0, 0, 0, 0]);
  assert.equal(kind(q), 'WrongRoundLength');
  q = cloneProof(p.proof);
  q.sumcheck.rounds.pop();
  assert.equal(kind(q), 'WrongRoundCount');
  q = cloneProof(p.proof);
  q.sumcheck.rounds[2][5] += MOD; // value + p: another encoding of the same element
  assert.equal(kind(q), 'NonCanonical');
  q = cloneProof(p.proof);
  q.final.evals[1] += MOD;
  assert.equal(kind(q), 'NonCanonical');
  q = cloneProof(p.proof);
  q.final.evals = q.final.evals.subarray(4);
  assert.equal(kind(q), 'WrongLength');
  assert.equal(kind({ sumcheck: { rounds: [] }, final: p.proof.final }), 'WrongRoundCount');
  assert.equal(kind(null as unknown as typeof p.proof), 'MalformedProof');
  // bytes: round trip, and refusal of truncated or non-canonical encodings
  const bw = new ByteWriter();
  writeZkSumcheckWithEvals(bw, p.proof);
  const bytes = bw.finish();
  assert.deepEqual(readZkSumcheckWithEvals(new ByteReader(bytes), c.at.layout), p.proof);
  assert.throws(() => readZkSumcheckWithEvals(new ByteReader(bytes.subarray(0, bytes.length - 1)), c.at.layout), DecodeError);
  const bad = bytes.slice();
  bad.set([0xff, 0xff, 0xff, 0x7f], 8); // the first word of round 0: ≥ p
  assert.throws(() => readZkSumcheckWithEvals(new ByteReader(bad), c.at.layout), DecodeError);
});

// ---- Fiat–Shamir: a message chosen after its challenge ------------------------------------------

/** Drops the absorb of round `skip`'s message (a broken transcript, for the harness only); records the last challenge. */
class SkipRoundAbsorb extends Transcript {
  private seen = 0;
  last: Ext = ext();
  constructor(private readonly skip: number) {
    super(PROTOCOL);
  }
  override absorbExt(label: string, values: Uint32Array): void {
    if (label === `${LABEL}/round` && this.seen++ === this.skip) return;
    super.absorbExt(label, values);
  }
  override challengeExt(label: string): Uint32Array {
    this.last = super.challengeExt(label);
    return this.last;
  }
}

/**
 * A padded prover claiming `claimed` = H + δ that knows r_j before it sends round j (j < 0: never).
 * Rounds i < j carry the discrepancy Δ (Δ_{−1} = δ): s'_i = s_i + Δ·X, so s'_i(0) + s'_i(1) = c_{i−1} + Δ
 * and Δ becomes Δ·r_i; round j sends s'_j = s_j + Δ·(X − r_j)/(1 − 2r_j), which still adds Δ at 0 and 1
 * but agrees with s_j at r_j, and the rest is honest. Only a transcript that does not absorb round j
 * before r_j lets it compute r_j in time.
 */
function forge(c: ZkCase, w: Uint32Array, tr: SkipRoundAbsorb | Transcript, claimed: Ext, j: number) {
  const d = c.inst.degree;
  let disc = extSub(claimed, naiveSum(c.inst));
  const out = proveSumcheck(tr, c.inst, LABEL, {
    absorbStatement: (t, l, m, deg) => absorbZkSumcheckStatement(t, l, m, deg, claimed),
    message: (round, s) => {
      const msg = s.slice();
      if (round > 0 && round <= j && tr instanceof SkipRoundAbsorb) disc = extMul(disc, tr.last);
      let add: (t: number) => Ext = () => ext();
      if (round < j) add = (t) => extMul(disc, ext(t));
      if (round === j) {
        const r = tr.clone().challengeExt(`${LABEL}/challenge`); // the next draw, if round j is not absorbed
        const scale = extMul(disc, extInv(extSub(ext(1), extAdd(r, r))));
        add = (t) => extMul(scale, extSub(ext(t), r));
      }
      for (let t = 0; t <= d; t++) {
        const v = extAdd(extAdd(msg.subarray(4 * t, 4 * t + 4), add(t)), padAt(w, roundPad(c.at.rounds, d, round, t)));
        msg.set(v, 4 * t);
      }
      return msg;
    },
  });
  // honest final evaluations (degree ≤ 2 here: no chain intermediates)
  const evals = new Uint32Array(4 * c.inst.tables.length);
  c.inst.tables.forEach((_, l) => evals.set(extAdd(out.finalEvals[l], padAt(w, c.at.final!.evals + 4 * l)), 4 * l));
  tr.absorbExt(`${LABEL}/evals`, evals);
  return { sumcheck: out.proof, final: { evals, chain: new Uint32Array(0) } };
}

test('Frozen Heart: with round j’s absorb skipped a false sum is forged and satisfies every constraint; the real transcript rejects the same forgery', () => {
  const rng = new Rng(50);
  // no chain intermediates (degree 2) so the forger needs only the evaluations
  const c = zkCase(rng, 4, 2, { numTables: 2 });
  const w = commitCase(c, seededWords(rng));
  const delta = ext(5, 0, 1);
  const falseSum = extAdd(naiveSum(c.inst), delta);
  for (let j = 0; j < 4; j++) {
    const forged = forge(c, w, new SkipRoundAbsorb(j), falseSum, j);
    const broken = verifyCase(c, forged, null, { sum: falseSum, tr: new SkipRoundAbsorb(j) });
    assert.ok(broken.ok);
    if (broken.ok) assert.equal(checkConstraints(w, broken.system), null, `harness, round ${j}: the forgery passes`);
    const real = verifyCase(c, forged, null, { sum: falseSum });
    assert.ok(real.ok);
    if (real.ok) assert.notEqual(checkConstraints(w, real.system), null, `real transcript, round ${j}`);
    // and the honest proof does not prove the false sum either
    const honest = verifyCase(c, proveCase(c, w).proof, null, { sum: falseSum });
    if (honest.ok) assert.notEqual(checkConstraints(w, honest.system), null);
  }
});

test('pads chosen after the challenges forge any sum: why w must be committed (its root absorbed) before the sumcheck', () => {
  const rng = new Rng(60);
  const c = zkCase(rng, 3, 2, { numTables: 2 });
  const w = commitCase(c, seededWords(rng));
  const falseSum = extAdd(naiveSum(c.inst), ext(1));
  const claiming = forge(c, w, new Transcript(PROTOCOL), falseSum, -1); // honest messages, false statement
  const v = verifyCase(c, claiming, null, { sum: falseSum });
  assert.ok(v.ok);
  if (!v.ok) return;
  assert.notEqual(checkConstraints(w, v.system), null, 'the committed pads refute the false sum');
  // Knowing every challenge, rewrite the round-0 pads: clear s'_0 = s_0 + (X − r_0)/(1 − 2r_0) adds 1
  // to s'_0(0) + s'_0(1) and keeps s'_0(r_0): every later constraint still holds.
  const r0 = v.point.subarray(0, 4);
  const scale = extInv(extSub(ext(1), extAdd(r0, r0)));
  const u = w.slice();
  for (let t = 0; t <= 2; t++) {
    const o = roundPad(c.at.rounds, 2, 0, t);
    const pad = extSub(padAt(u, o), extMul(scale, extSub(ext(t), r0)));
    u.set(pad, o);
  }
  assert.equal(checkConstraints(u, v.system), null, 'a w chosen after the challenges satisfies the constraints of a false sum');
  assert.ok(!extEquals(padAt(u, c.at.rounds), padAt(w, c.at.rounds)));
});
