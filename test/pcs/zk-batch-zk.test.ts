/**
 * Zero knowledge of the padded batch.
 *
 * Exact argument (the simulator test). A simulator that knows only the public statement (region,
 * claim shapes, the padded values ṽ_i absorbed earlier) samples the 3n padded round values and the
 * padded f~(r) uniformly and replays the verifier. For every witness exactly one choice of the
 * batch's pads makes the honest prover send exactly those values (round by round: P_j = s̃_j − s_j
 * along the simulated challenges, then P_e = ẽ − f~(r)), and that w satisfies the simulated
 * system; so with uniform pads the real view has the simulator's distribution whatever the
 * region holds.
 *
 * Statistical check. Two witnesses of one statement (different tensors, the same shapes, points
 * and ṽ_i), 400 seeded runs each with uniform batch pads: every feature (two words of each padded
 * value, differences within a round, the padded f~(r)) passes a two-sample chi-square (16 bins), a
 * two-sample KS and a uniformity chi-square of each sample at a Bonferroni-corrected level —
 * family-wise false-alarm rate ≤ 10⁻³ (the seeds are fixed, so the outcome is deterministic). The
 * same rule must flag three broken paddings (none, one pad reused within a round, 2²⁰-range pads),
 * so the test can fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sub } from '../../src/field/babybear.js';
import { checkConstraints } from '../../src/pcs/constraints.js';
import type { ZkBatchProof } from '../../src/pcs/zk-batch.js';
import { roundPad } from '../../src/piop/zk-sumcheck.js';
import { Rng } from '../support/random.js';
import { screenTwoSamples } from '../support/stats.js';
import { batchCase, fillPads, proveCase, twinOf, verifyCase, type BatchCase } from '../support/zk-batch.js';

const N = 6;
const RUNS = 400;

function twins(): [BatchCase, BatchCase] {
  const a = batchCase(77, { numVars: N, numClaims: 10 });
  const b = twinOf(a, 78);
  assert.deepEqual(a.padded, b.padded, 'one public statement');
  assert.notDeepEqual(a.w.subarray(a.region.base, a.region.base + 2 ** N), b.w.subarray(b.region.base, b.region.base + 2 ** N), 'two witnesses');
  for (const c of [a, b]) assert.equal(verifyCase(c, proveCase(c).proof).res.ok, true);
  return [a, b];
}

type Padding = 'uniform' | 'none' | 'reused' | 'short';

function padded(c: BatchCase, padding: Padding, seed: number): BatchCase {
  const w = c.w.slice();
  const d = { ...c, w };
  const [from, to] = [c.at.rounds, c.at.rounds + c.at.layout.size];
  if (padding === 'none') {
    w.fill(0, from, to);
    return d;
  }
  fillPads(d, new Rng(seed));
  if (padding === 'reused') {
    for (let j = 0; j < N; j++) for (let t = 1; t <= 2; t++) w.copyWithin(roundPad(from, 2, j, t), roundPad(from, 2, j, 0), roundPad(from, 2, j, 0) + 4);
  }
  if (padding === 'short') for (let i = from; i < to; i++) w[i] &= (1 << 20) - 1;
  return d;
}

/** Words 0 and 3 of every padded value, word 0 of the differences within each round. */
function features(p: ZkBatchProof): number[] {
  const f: number[] = [];
  for (const s of p.sumcheck.rounds) for (let t = 0; t <= 2; t++) f.push(s[4 * t], s[4 * t + 3]);
  for (const s of p.sumcheck.rounds) f.push(sub(s[0], s[4]), sub(s[4], s[8]));
  f.push(p.final.evals[0], p.final.evals[3]);
  return f;
}

function screen(padding: Padding): { minP: number; level: number; where: string } {
  const [a, b] = twins();
  const fa: number[][] = [], fb: number[][] = [];
  for (let i = 0; i < RUNS; i++) {
    fa.push(features(proveCase(padded(a, padding, 10_000 + i)).proof!));
    fb.push(features(proveCase(padded(b, padding, 20_000 + i)).proof!));
  }
  return screenTwoSamples(fa, fb);
}

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

/** Uniform padded values and the replayed verifier's system — no witness used. */
function simulate(c: BatchCase, rng: Rng) {
  const proof: ZkBatchProof = { sumcheck: { rounds: Array.from({ length: N }, () => rng.extVec(3)) }, final: { evals: rng.extVec(1), chain: new Uint32Array(0) } };
  const { res } = verifyCase(c, proof);
  assert.ok(res.ok);
  if (!res.ok) throw new Error('unreachable');
  return { proof, system: res.system };
}

/** a − b word by word (a K vector's coordinates). */
function wordsSub(a: Uint32Array, b: Uint32Array): Uint32Array {
  return a.map((x, i) => sub(x, b[i]));
}

/** The unique batch pads with which witness c's honest prover sends exactly `sim`, found round by round. */
function explain(c: BatchCase, sim: ZkBatchProof): Uint32Array {
  const w = c.w.slice();
  const at = c.at;
  w.fill(0, at.rounds, at.rounds + at.layout.size);
  for (let j = 0; j <= N; j++) {
    const sent = proveCase(c, { w }).proof!; // rounds < j already explained, so the challenges up to r_j are the simulated ones
    if (j < N) w.set(wordsSub(sim.sumcheck.rounds[j], sent.sumcheck.rounds[j]), roundPad(at.rounds, 2, j, 0));
    else w.set(wordsSub(sim.final.evals, sent.final.evals), at.final!.evals);
  }
  return w;
}

test('simulator: uniform values and the replayed verifier’s system; each witness has exactly one explaining w, which satisfies it and reproduces the values', () => {
  const [a, b] = twins();
  for (let trial = 0; trial < 5; trial++) {
    const sim = simulate(a, new Rng(900 + trial));
    const wa = explain(a, sim.proof), wb = explain(b, sim.proof);
    assert.equal(checkConstraints(wa, sim.system), null, 'witness A explains the simulated view');
    assert.equal(checkConstraints(wb, sim.system), null, 'witness B explains the simulated view');
    assert.deepEqual(proveCase(a, { w: wa }).proof, sim.proof, 'A’s honest prover with these pads sends the simulated values');
    assert.deepEqual(proveCase(b, { w: wb }).proof, sim.proof);
    assert.notDeepEqual(wa.subarray(a.at.rounds), wb.subarray(b.at.rounds));
    // the simulated system is not vacuous: other pads do not satisfy it
    const other = a.w.slice();
    fillPads({ ...a, w: other }, new Rng(trial));
    assert.notEqual(checkConstraints(other, sim.system), null);
  }
});
