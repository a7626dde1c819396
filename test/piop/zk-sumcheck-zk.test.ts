/**
 * Zero knowledge of the padded sumcheck.
 *
 * Exact argument (the simulator test). A simulator that knows only the public statement samples
 * the padded messages uniformly, replays the verifier and emits the constraints. For every
 * witness there is exactly one pad vector — pads = simulated messages − that witness's clear
 * messages along the simulated challenges — with which the honest prover produces exactly the
 * simulated messages, and it satisfies the simulated constraints. pads ↦ messages is therefore
 * a bijection for each witness, so with uniform pads the real view (messages, challenges,
 * constraints) has the simulator's distribution whatever the witness. What is left to simulate is
 * the proof that w satisfies the constraints: the zero-knowledge Ligero proof must be simulatable
 * from the constraint system alone, over a hiding commitment (docs/zero-knowledge.md §3).
 *
 * Statistical check (two-sample tests). Two different witnesses with the same public statement,
 * 400 seeded runs each with uniform pads: every feature (single padded words, differences
 * within a round, evaluations, the chain intermediate) passes a two-sample chi-square (16 bins),
 * a two-sample KS and a uniformity chi-square for each sample, at a Bonferroni-corrected level:
 * family-wise false-alarm rate ≤ 10⁻³ (the seeds are fixed, so the outcome is deterministic).
 * The same decision rule must flag three broken paddings: no pads, one pad reused within a
 * round, and short (2²⁰-range) pads — so the test can fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inv, mul, sub } from '../../src/field/babybear.js';
import { ext, extSub } from '../../src/field/extension.js';
import { checkConstraints } from '../../src/pcs/constraints.js';
import { proveSumcheck, type ProductTerm } from '../../src/piop/sumcheck.js';
import { fillUniform } from '../../src/piop/zk-affine.js';
import { fillFinalProducts, proveZkFinal } from '../../src/piop/zk-final.js';
import { absorbZkSumcheckStatement, roundPad, type ZkSumcheckWithEvalsProof } from '../../src/piop/zk-sumcheck.js';
import { Transcript } from '../../src/transcript/transcript.js';
import { Rng } from '../support/random.js';
import { chiSquareSurvival, chiSquareTwoSample, chiSquareUniform, ksTwoSample, SCREEN_BINS, screenTwoSamples } from '../support/stats.js';
import { commitCase, LABEL, naiveSum, PROTOCOL, proveCase, seededWords, verifyCase, zkCase, type ZkCase } from '../support/zk.js';

const [M, D] = [3, 3];
const TERMS: ProductTerm[] = [
  { coeff: ext(1), factors: [0, 1, 2] },
  { coeff: ext(3), factors: [1] },
];

/** Two witnesses of one public statement (m, d, terms, H): B's first entry is solved for H_B = H_A. */
function twins(): [ZkCase, ZkCase] {
  const rng = new Rng(77);
  const n = 2 ** M;
  const ta = [rng.baseVec(n), rng.baseVec(n), rng.baseVec(n)];
  const tb = [rng.baseVec(n), rng.baseVec(n), rng.baseVec(n)];
  const a = zkCase(rng, M, D, { tables: ta, terms: TERMS });
  const hb = naiveSum(zkCase(rng, M, D, { tables: tb, terms: TERMS }).inst)[0];
  tb[0][0] = (tb[0][0] + mul(sub(naiveSum(a.inst)[0], hb), inv(mul(tb[1][0], tb[2][0])))) % 2013265921;
  const b = zkCase(rng, M, D, { tables: tb, terms: TERMS });
  assert.deepEqual(naiveSum(a.inst), naiveSum(b.inst));
  assert.notDeepEqual(a.inst.tables, b.inst.tables);
  return [a, b];
}

type Padding = 'uniform' | 'none' | 'reused' | 'short';

function committed(c: ZkCase, padding: Padding, seed: number): Uint32Array {
  if (padding === 'none') return commitCase(c, null);
  const w = commitCase(c, seededWords(new Rng(seed)));
  if (padding === 'reused') {
    for (let j = 0; j < M; j++) for (let t = 1; t <= D; t++) w.copyWithin(roundPad(c.at.rounds, D, j, t), roundPad(c.at.rounds, D, j, 0), roundPad(c.at.rounds, D, j, 0) + 4);
  }
  if (padding === 'short') {
    for (let i = c.at.rounds; i < c.at.final!.x; i++) w[i] &= (1 << 20) - 1;
    fillFinalProducts(w, c.at.final!);
  }
  return w;
}

/** Feature f of a run: words 0 and 3 of every padded round value, round differences, evaluations, intermediates. */
function features(p: ZkSumcheckWithEvalsProof): number[] {
  const f: number[] = [];
  for (const s of p.sumcheck.rounds) for (let t = 0; t <= D; t++) f.push(s[4 * t], s[4 * t + 3]);
  for (const s of p.sumcheck.rounds) f.push(sub(s[0], s[4]), sub(s[4], s[8]));
  for (let l = 0; l < p.final.evals.length; l += 4) f.push(p.final.evals[l]);
  for (let l = 0; l < p.final.chain.length; l += 4) f.push(p.final.chain[l]);
  return f;
}

const RUNS = 400;
const BINS = SCREEN_BINS;

/** The smallest p-value over all features and tests, and the Bonferroni level it is compared with. */
function screen(padding: Padding): { minP: number; level: number; where: string } {
  const [a, b] = twins();
  const fa: number[][] = [], fb: number[][] = [];
  for (let i = 0; i < RUNS; i++) {
    fa.push(features(proveCase(a, committed(a, padding, 10_000 + i)).proof));
    fb.push(features(proveCase(b, committed(b, padding, 20_000 + i)).proof));
  }
  return screenTwoSamples(fa, fb);
}

test('the statistics are calibrated: χ²₁₅ survival at 37.697 ≈ 10⁻³; identical and disjoint samples', () => {
  assert.ok(Math.abs(chiSquareSurvival(37.697, 15) - 1e-3) < 2e-5);
  assert.ok(Math.abs(chiSquareSurvival(15, 15) - 0.4514) < 1e-3);
  const rng = new Rng(5);
  const u = Array.from({ length: 500 }, () => rng.field());
  assert.ok(ksTwoSample(u, u) > 0.99 && chiSquareTwoSample(u, u, BINS) > 0.99);
  const low = u.map((x) => x >>> 2);
  assert.ok(ksTwoSample(u, low) < 1e-10 && chiSquareUniform(low, BINS) < 1e-10);
});

test(`with uniform pads the padded messages of two witnesses of one statement are indistinguishable (${RUNS} runs each, family-wise α = 10⁻³)`, () => {
  const r = screen('uniform');
  assert.ok(r.minP >= r.level, `min p = ${r.minP} < ${r.level} (${r.where})`);
});

for (const padding of ['none', 'reused', 'short'] as const) {
  test(`the same decision rule flags broken padding: ${padding}`, () => {
    const r = screen(padding);
    assert.ok(r.minP < r.level, `min p = ${r.minP} ≥ ${r.level}: ${padding} padding went unnoticed`);
  });
}

/** The simulator: uniform padded messages, the verifier replayed on them — no witness used. */
function simulate(c: ZkCase, H: Uint32Array, rng: Rng) {
  const proof: ZkSumcheckWithEvalsProof = {
    sumcheck: { rounds: Array.from({ length: M }, () => rng.extVec(D + 1)) },
    final: { evals: rng.extVec(c.shape.numEvals), chain: rng.extVec(c.at.final!.layout.chain.length) },
  };
  const v = verifyCase(c, proof, null, { sum: H });
  assert.ok(v.ok);
  if (!v.ok) throw new Error('unreachable');
  return { proof, system: v.system };
}

/** The unique pads with which witness c's honest prover sends exactly `sim` (and its products). */
function explain(c: ZkCase, sim: ZkSumcheckWithEvalsProof): Uint32Array {
  const w = commitCase(c, null);
  const out = proveSumcheck(new Transcript(PROTOCOL), c.inst, LABEL, {
    absorbStatement: (t, l, m, d, sum) => absorbZkSumcheckStatement(t, l, m, d, sum),
    message: (j, s) => {
      const target = sim.sumcheck.rounds[j];
      for (let t = 0; t <= D; t++) w.set(extSub(target.subarray(4 * t, 4 * t + 4), s.subarray(4 * t, 4 * t + 4)), roundPad(c.at.rounds, D, j, t));
      return target.slice();
    },
  });
  const fin = c.at.final!;
  out.finalEvals.forEach((e, l) => w.set(extSub(sim.final.evals.subarray(4 * l, 4 * l + 4), e), fin.evals + 4 * l));
  const clearChain = proveZkFinal(new Transcript('scratch'), w, fin, out.finalEvals, 'scratch').chain; // chain pads still 0
  for (let k = 0; k < clearChain.length; k += 4) w.set(extSub(sim.final.chain.subarray(k, k + 4), clearChain.subarray(k, k + 4)), fin.chain + k);
  fillFinalProducts(w, fin);
  return w;
}

test('simulator: uniform messages and the replayed verifier’s constraints; each witness has exactly one explaining w, which satisfies them and reproduces the messages', () => {
  const [a, b] = twins();
  const H = naiveSum(a.inst);
  for (let trial = 0; trial < 5; trial++) {
    const sim = simulate(a, H, new Rng(900 + trial));
    const wa = explain(a, sim.proof);
    const wb = explain(b, sim.proof);
    assert.equal(checkConstraints(wa, sim.system), null, 'witness A explains the simulated view');
    assert.equal(checkConstraints(wb, sim.system), null, 'witness B explains the simulated view');
    assert.deepEqual(proveCase(a, wa).proof, sim.proof, 'A’s honest prover with these pads sends the simulated messages');
    assert.deepEqual(proveCase(b, wb).proof, sim.proof);
    assert.notDeepEqual(wa.subarray(a.at.rounds), wb.subarray(b.at.rounds));
    // the simulated constraints are not vacuous: other pads do not satisfy them
    const other = wa.slice();
    fillUniform(other, a.at.rounds, a.at.rounds + a.at.layout.roundEntries, seededWords(new Rng(trial)));
    assert.notEqual(checkConstraints(other, sim.system), null);
  }
});
