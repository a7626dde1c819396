/**
 * Zero knowledge of a renewal proof (src/pcs/zk-renew.ts), statistically: for two parent vectors
 * of the same length — all zeros, and uniform — the values a renewal reveals are distributed
 * alike. Per run, a fresh parent commitment and one renewal (seeded, so the outcome is
 * deterministic); features: every word of the padded values V (two blocks: 48 = 32 + 16), words
 * of each test polynomial (P0, Q_lin past its constant, Q_quad), and the first opened column's
 * entries of the parent's, the child's and the pad's rows. `screenTwoSamples` (test/support/stats.ts)
 * runs a two-sample χ², a two-sample KS and a χ² uniformity test of each side per feature, at a
 * Bonferroni level: family-wise false-alarm rate ≤ 10⁻³. The same rule must flag the pads left
 * out (V = w~(r), zero for the zero vector) and one pad reused by every run, so the test can fail.
 * The Ligero proof's own simulator and leak tests are zk-ligero-zk.test.ts and
 * zk-ligero-multi-zk.test.ts; this screen covers what renewal adds (V, the pad, three trees).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commitZkLigero } from '../../src/pcs/zk-ligero.js';
import { codeShape, type ZkLigeroParams } from '../../src/pcs/zk-ligero-params.js';
import { renewalBlocks, renewZkCommitment, verifyZkRenewal } from '../../src/pcs/zk-renew.js';
import { Rng } from '../support/random.js';
import { screenTwoSamples } from '../support/stats.js';
import { seeded } from './zk-ligero-support.js';

const N = 48;
const RUNS = 300;
const PARAMS: ZkLigeroParams = { logCols: 5, randomness: 14, logCodeword: 7, queries: 6 }; // C = 32, k = 2t + 2
const SHAPE = codeShape(PARAMS);
const BLOCKS = renewalBlocks(N).length;
const ROWS = Math.ceil(N / SHAPE.C);

type Padding = 'uniform' | 'none' | 'reused';

function words(proof: Uint8Array, at: number, n: number): number[] {
  const v = new DataView(proof.buffer, proof.byteOffset);
  return Array.from({ length: n }, (_, i) => v.getUint32(at + 4 * i, true));
}

/** V, words of P0, Q_lin and Q_quad, and the first opened column of the parent, the child and the pad. */
function features(proof: Uint8Array): number[] {
  const V = 33;
  const p0 = V + 16 * BLOCKS + 1 + 4 + 32;
  const qLin = p0 + 16 * SHAPE.L;
  const qQuad = qLin + 16 * SHAPE.linDegree;
  const count = qQuad + 16 * SHAPE.quadDegree;
  const q = words(proof, count, 1)[0];
  const cols = count + 4;
  const parent = words(proof, cols, ROWS); // column 0 of tree A[0]: its ROWS words
  const child = words(proof, cols + 4 * q * ROWS, ROWS);
  const pad = words(proof, cols + 8 * q * ROWS, 1);
  const pick = (at: number, idx: number[]) => idx.map((i) => words(proof, at + 4 * i, 1)[0]);
  return [...words(proof, V, 4 * BLOCKS), ...pick(p0, [0, 5]), ...pick(qLin, [4, 9]), ...pick(qQuad, [0, 6]), ...parent, ...child, ...pad];
}

function renewal(w: Uint32Array, padding: Padding, seed: number): Uint8Array {
  const parent = commitZkLigero(w, PARAMS, seeded(seed));
  const pad = padding === 'none' ? new Uint32Array(4 * BLOCKS) : padding === 'reused' ? new Rng(1).baseVec(4 * BLOCKS) : undefined;
  const { child, proof } = renewZkCommitment(parent.data, seeded(seed + 1), { pad, proofRng: seeded(seed + 2) });
  if (seed % 100 === 0) assert.ok(verifyZkRenewal(parent.commitment, child.commitment, proof, { minBits: 0 }).ok, 'the sampled proofs verify');
  return proof;
}

function screen(padding: Padding): { minP: number; level: number; where: string } {
  const zero = new Uint32Array(N);
  const uniform = new Rng(4242).baseVec(N);
  const fa: number[][] = [], fb: number[][] = [];
  for (let i = 0; i < RUNS; i++) {
    fa.push(features(renewal(zero, padding, 10_000 + 10 * i)));
    fb.push(features(renewal(uniform, padding, 50_000 + 10 * i)));
  }
  return screenTwoSamples(fa, fb);
}

test(`renewals of two parent vectors (zeros, uniform) reveal values that are indistinguishable (${RUNS} runs each, family-wise α = 10⁻³)`, () => {
  const r = screen('uniform');
  assert.ok(r.minP >= r.level, `min p = ${r.minP} < ${r.level} (${r.where})`);
});

for (const padding of ['none', 'reused'] as const) {
  test(`the same decision rule flags a broken pad: ${padding}`, () => {
    const r = screen(padding);
    assert.ok(r.minP < r.level, `min p = ${r.minP} ≥ ${r.level}: ${padding} pads went unnoticed`);
  });
}
