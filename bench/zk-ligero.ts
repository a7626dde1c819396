/**
 * Zero-knowledge Ligero benchmark: commit, prove, verify and proof size for a vector of 2^N
 * entries with realistic constraints — one tensor constraint per 2^S-entry segment (with one
 * extra term each, like a pad), a few hundred sparse K-linear constraints, a few Hadamard
 * blocks — against today's (non-hiding) TensorPcs commit + one batch opening of the same vector
 * at the same segment claims.
 *
 *   node dist/bench/zk-ligero.js --log-size 20 [--segment-log 16] [--sparse 300] [--hadamard 4x1024] [--reps 3] [--min-blowup 4]
 *
 * Prints a table and one JSON line. Times are medians over --reps (one thread); verification
 * runs --verify-reps times per proof (median). Parameters come from `chooseZkLigeroParams`
 * (103 bits per proof, N ≥ minBlowup·(C + k), 4 by default as docs/zero-knowledge.md §3 asks); the TensorPcs baseline uses its default 103-bit profile.
 */
import { P } from '../src/field/babybear.js';
import { kernels } from '../src/field/active.js';
import { evaluateBase } from '../src/poly/multilinear.js';
import { Transcript } from '../src/transcript/transcript.js';
import { ByteWriter } from '../src/util/bytes.js';
import type { ConstraintSystem } from '../src/pcs/constraints.js';
import { absorbZkCommitment, commitZkLigero, proveZkLigero, serializeZkProof, verifyZkLigero } from '../src/pcs/zk-ligero.js';
import { chooseZkLigeroParams, codeShape, zkLigeroSecurity } from '../src/pcs/zk-ligero-params.js';
import { numLinearConstraints } from '../src/pcs/zk-ligero-system.js';
import { TensorPcs } from '../src/pcs/tensor.js';
import { proveBatchOpening, verifyBatchOpening, writeBatchOpeningProof, type EvalClaim } from '../src/pcs/batch.js';
import { arg, median, nowMs } from './util.js';

const logSize = Number(arg('--log-size', '20'));
const segLog = Math.min(logSize, Number(arg('--segment-log', '16')));
const sparse = Number(arg('--sparse', '300'));
const [hadBlocks, hadLen] = arg('--hadamard', '4x1024').split('x').map(Number);
const reps = Number(arg('--reps', logSize >= 22 ? '1' : '3'));
const verifyReps = Number(arg('--verify-reps', '5'));
const minBlowup = Number(arg('--min-blowup', '4'));
if (!Number.isInteger(logSize) || logSize < 8 || logSize > 24) {
  console.error(`bench zk-ligero: expected --log-size between 8 and 24, got ${logSize}`);
  process.exit(2);
}

// deterministic data and randomness (a benchmark, not a proof anyone relies on)
let x = 12345;
const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
const field = () => next() % P;
const rng = (b: Uint8Array) => {
  for (let i = 0; i < b.length; i++) b[i] = next() >>> 24;
};
const n = 2 ** logSize;
const w = new Uint32Array(n);
for (let i = 0; i < n; i++) w[i] = field();
const extVec = (m: number) => Uint32Array.from({ length: 4 * m }, field);

// Hadamard blocks: z = x∘y on the last entries of the vector
const hadamard = Array.from({ length: hadBlocks }, (_, b) => ({ x: b * hadLen, y: n / 2 + b * hadLen, z: n - (b + 1) * hadLen, len: hadLen }));
for (const h of hadamard) for (let i = 0; i < h.len; i++) w[h.z + i] = Number((BigInt(w[h.x + i]) * BigInt(w[h.y + i])) % BigInt(P));
const dot = (index: Uint32Array, coeffs: Uint32Array) => {
  const acc = new Uint32Array(4);
  for (let i = 0; i < index.length; i++) for (let c = 0; c < 4; c++) acc[c] = Number((BigInt(acc[c]) + BigInt(coeffs[4 * i + c]) * BigInt(w[index[i]])) % BigInt(P));
  return acc;
};
const linear = Array.from({ length: sparse }, () => {
  const index = Uint32Array.from({ length: 4 }, () => next() % n);
  const coeffs = extVec(4);
  return { index, coeffs, rhs: dot(index, coeffs) };
});
const claims: EvalClaim[] = [];
const tensor = Array.from({ length: n / 2 ** segLog }, (_, seg) => {
  const point = extVec(segLog);
  const value = evaluateBase(w.subarray(seg * 2 ** segLog, (seg + 1) * 2 ** segLog), point);
  claims.push({ point, segment: seg, value });
  const index = Uint32Array.of(next() % n);
  const coeffs = extVec(1);
  const extra = dot(index, coeffs);
  const rhs = Uint32Array.from(value, (v, c) => (v + extra[c]) % P);
  return { offset: seg * 2 ** segLog, numVars: segLog, point, extra: { index, coeffs }, rhs };
});
const sys: ConstraintSystem = { linear, tensor, hadamard };

const params = chooseZkLigeroParams(n, { minBlowup });
const shape = codeShape(params);
const bits = zkLigeroSecurity(params, numLinearConstraints(sys)).bits;

const commitMs: number[] = [];
const proveMs: number[] = [];
const verifyMs: number[] = [];
let proofBytes = 0;
let ok = true;
for (let r = 0; r < reps; r++) {
  let t0 = nowMs();
  const { commitment, data } = commitZkLigero(w, params, rng);
  commitMs.push(nowMs() - t0);
  const tp = new Transcript('bench');
  absorbZkCommitment(tp, commitment);
  t0 = nowMs();
  const proof = proveZkLigero(data, sys, tp);
  proveMs.push(nowMs() - t0);
  proofBytes = serializeZkProof(proof).length;
  for (let v = 0; v < verifyReps; v++) {
    const tv = new Transcript('bench');
    absorbZkCommitment(tv, commitment);
    t0 = nowMs();
    const res = verifyZkLigero(commitment, sys, proof, tv);
    verifyMs.push(nowMs() - t0);
    ok &&= res.ok;
  }
}

// the baseline: TensorPcs commit + one batch opening of the segment claims
const pcs = new TensorPcs();
const tCommit: number[] = [];
const tOpen: number[] = [];
const tVerify: number[] = [];
let tBytes = 0;
for (let r = 0; r < reps; r++) {
  let t0 = nowMs();
  const { commitment, data } = pcs.commit(w);
  tCommit.push(nowMs() - t0);
  t0 = nowMs();
  const bp = proveBatchOpening(pcs, commitment, data, claims, new Transcript('bench'));
  tOpen.push(nowMs() - t0);
  const bw = new ByteWriter(1 << 16);
  writeBatchOpeningProof(pcs, bw, bp);
  tBytes = bw.finish().length;
  for (let v = 0; v < verifyReps; v++) {
    t0 = nowMs();
    ok &&= verifyBatchOpening(pcs, commitment, claims, bp, new Transcript('bench')).ok;
    tVerify.push(nowMs() - t0);
  }
}
const layout = pcs.layout(logSize);
const result = {
  logSize,
  tensorConstraints: tensor.length,
  sparse,
  hadamard: `${hadBlocks}x${hadLen}`,
  params: `C=2^${params.logCols} k=${params.randomness} N=2^${params.logCodeword} t=${params.queries}`,
  rowsA: Math.ceil(n / shape.C),
  bits: +bits.toFixed(2),
  commitMs: +median(commitMs).toFixed(1),
  proveMs: +median(proveMs).toFixed(1),
  verifyMs: +median(verifyMs).toFixed(1),
  proofBytes,
  tensorCommitMs: +median(tCommit).toFixed(1),
  tensorOpenMs: +median(tOpen).toFixed(1),
  tensorVerifyMs: +median(tVerify).toFixed(1),
  tensorProofBytes: tBytes,
  tensorLayout: `2^${layout.logRows}x2^${layout.logCols} t=${layout.numQueries}`,
  peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  kernels: kernels().name,
  verified: ok,
};
console.log(`zk-ligero, 2^${logSize} entries, ${result.params}, ${result.rowsA} rows, ${bits.toFixed(2)} bits; ${tensor.length} tensor + ${sparse} sparse + ${hadBlocks}×${hadLen} Hadamard`);
console.log(`  zk-ligero   commit ${result.commitMs} ms   prove ${result.proveMs} ms   verify ${result.verifyMs} ms   proof ${(proofBytes / 1024).toFixed(1)} KiB`);
console.log(`  tensor PCS  commit ${result.tensorCommitMs} ms   batch open ${result.tensorOpenMs} ms   verify ${result.tensorVerifyMs} ms   proof ${(tBytes / 1024).toFixed(1)} KiB (${result.tensorLayout}, not hiding)`);
if (!ok) {
  console.error('bench zk-ligero: an honest proof failed to verify');
  process.exitCode = 1;
}
console.log(JSON.stringify(result));
