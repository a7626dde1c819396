/**
 * Zero-knowledge Ligero benchmark: commit, prove, verify and proof size for a vector of 2^N
 * entries with realistic constraints — one tensor constraint per 2^S-entry segment (with one
 * extra term each, like a pad), a few hundred sparse K-linear constraints, a few Hadamard
 * blocks — against today's (non-hiding) TensorPcs commit + one batch opening of the same vector
 * at the same segment claims.
 *
 *   node dist/bench/zk-ligero.js --log-size 20 [--segment-log 16] [--sparse 300] [--hadamard 4x1024] [--reps 3] [--min-blowup 4]
 *   node dist/bench/zk-ligero.js --log-size 20 --witness-log 18 [--openings 4] …
 *
 * With --witness-log W, two commitments: a long-lived one of 2^N entries (the parameters,
 * committed once with k = openings·t so it serves that many proofs) and a per-proof witness of 2^W
 * entries (k = t), one multi proof over both: tensor constraints per 2^S segment of each vector,
 * sparse constraints over both, Hadamard blocks with x, y in the parameters and z in the witness.
 * The comparison is one commitment of the concatenated 2^N + 2^W entries with the same system.
 *
 * Prints a table and one JSON line. Times are medians over --reps (one thread); verification
 * runs --verify-reps times per proof (median), after one untimed run. Parameters come from `chooseZkLigeroParams`
 * (103 bits per proof, N ≥ minBlowup·(C + k), 4 by default as docs/zero-knowledge.md §3 asks); the TensorPcs baseline uses its default 103-bit profile.
 */
import { P } from '../src/field/babybear.js';
import { kernels } from '../src/field/active.js';
import { evaluateBase } from '../src/poly/multilinear.js';
import { Transcript } from '../src/transcript/transcript.js';
import { ByteWriter } from '../src/util/bytes.js';
import type { ConstraintSystem, TensorLinear } from '../src/pcs/constraints.js';
import { absorbZkCommitment, commitZkLigero, proveZkLigero, proveZkLigeroMulti, serializeZkMultiProof, serializeZkProof, verifyZkLigero, verifyZkLigeroMulti } from '../src/pcs/zk-ligero.js';
import { chooseZkLigeroParams, codeShape, sharedCodeParams, zkLigeroSecurity, type ZkLigeroParams } from '../src/pcs/zk-ligero-params.js';
import { numLinearConstraints } from '../src/pcs/zk-ligero-system.js';
import { TensorPcs } from '../src/pcs/tensor.js';
import { proveBatchOpening, verifyBatchOpening, writeBatchOpeningProof, type EvalClaim } from '../src/pcs/batch.js';
import { arg, median, nowMs } from './util.js';

const logSize = Number(arg('--log-size', '20'));
const witnessLog = arg('--witness-log', '') === '' ? undefined : Number(arg('--witness-log', ''));
const segArg = Number(arg('--segment-log', '16'));
const sparse = Number(arg('--sparse', '300'));
const [hadBlocks, hadLen] = arg('--hadamard', '4x1024').split('x').map(Number);
const reps = Number(arg('--reps', logSize >= 22 ? '1' : '3'));
const verifyReps = Number(arg('--verify-reps', '5'));
const minBlowup = Number(arg('--min-blowup', '4'));
const openings = Number(arg('--openings', '4'));
if (!Number.isInteger(logSize) || logSize < 8 || logSize > 24) {
  console.error(`bench zk-ligero: expected --log-size between 8 and 24, got ${logSize}`);
  process.exit(2);
}
if (witnessLog !== undefined && (!Number.isInteger(witnessLog) || witnessLog < 8 || witnessLog > logSize)) {
  console.error(`bench zk-ligero: expected --witness-log between 8 and --log-size, got ${witnessLog}`);
  process.exit(2);
}

// deterministic data and randomness (a benchmark, not a proof anyone relies on)
let x = 12345;
const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
const field = () => next() % P;
const rng = (b: Uint8Array) => {
  for (let i = 0; i < b.length; i++) b[i] = next() >>> 24;
};
const lengths = witnessLog === undefined ? [2 ** logSize] : [2 ** logSize, 2 ** witnessLog];
const n = lengths.reduce((a, b) => a + b, 0);
const w = new Uint32Array(n);
for (let i = 0; i < n; i++) w[i] = field();
const extVec = (m: number) => Uint32Array.from({ length: 4 * m }, field);

// Hadamard blocks: z = x∘y on the last entries (of the last vector), x and y in the first vector
const hadamard = Array.from({ length: hadBlocks }, (_, b) => ({ x: b * hadLen, y: lengths[0] / 2 + b * hadLen, z: n - (b + 1) * hadLen, len: hadLen }));
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
// one tensor constraint per 2^S-entry segment of each vector (S ≤ the vector's size)
const claims: EvalClaim[] = [];
const tensor: TensorLinear[] = [];
let base = 0;
for (const len of lengths) {
  const segLog = Math.min(Math.log2(len), segArg);
  for (let o = base; o < base + len; o += 2 ** segLog) {
    const point = extVec(segLog);
    const value = evaluateBase(w.subarray(o, o + 2 ** segLog), point);
    if (lengths.length === 1) claims.push({ point, segment: o / 2 ** segLog, value });
    const index = Uint32Array.of(next() % n);
    const coeffs = extVec(1);
    const extra = dot(index, coeffs);
    const rhs = Uint32Array.from(value, (v, c) => (v + extra[c]) % P);
    tensor.push({ offset: o, numVars: segLog, point, extra: { index, coeffs }, rhs });
  }
  base += len;
}
const sys: ConstraintSystem = { linear, tensor, hadamard };
const numLinear = numLinearConstraints(sys);

interface Timing {
  params: ZkLigeroParams[];
  commitMs: number[];
  proveMs: number;
  verifyMs: number;
  proofBytes: number;
  bits: number;
}

/** Commit (each vector), prove and verify `reps` times; medians. */
function runZk(parts: Uint32Array[], params: ZkLigeroParams[]): Timing & { ok: boolean } {
  const commitMs: number[][] = parts.map(() => []);
  const proveMs: number[] = [];
  const verifyMs: number[] = [];
  let proofBytes = 0;
  let ok = true;
  for (let r = 0; r < reps; r++) {
    const made = parts.map((part, i) => {
      const t0 = nowMs();
      const m = commitZkLigero(part, params[i], rng);
      commitMs[i].push(nowMs() - t0);
      return m;
    });
    const cs = made.map((m) => m.commitment);
    const fresh = () => {
      const tr = new Transcript('bench');
      for (const c of cs) absorbZkCommitment(tr, c);
      return tr;
    };
    const tp = fresh();
    let t0 = nowMs();
    const single = parts.length === 1;
    const proof = single ? proveZkLigero(made[0].data, sys, tp) : proveZkLigeroMulti(made.map((m) => m.data), sys, tp);
    proveMs.push(nowMs() - t0);
    proofBytes = single ? serializeZkProof(proof as ReturnType<typeof proveZkLigero>).length : serializeZkMultiProof(proof as ReturnType<typeof proveZkLigeroMulti>).length;
    for (let v = -1; v < verifyReps; v++) {
      const tv = fresh();
      t0 = nowMs();
      const res = single ? verifyZkLigero(cs[0], sys, proof as ReturnType<typeof proveZkLigero>, tv) : verifyZkLigeroMulti(cs, sys, proof as ReturnType<typeof proveZkLigeroMulti>, tv);
      if (v >= 0) verifyMs.push(nowMs() - t0); // v = −1 warms the JIT up for this proof's shapes
      ok &&= res.ok;
    }
  }
  const bits = zkLigeroSecurity(sharedCodeParams(params), numLinear).bits;
  return { params, commitMs: commitMs.map((c) => +median(c).toFixed(1)), proveMs: +median(proveMs).toFixed(1), verifyMs: +median(verifyMs).toFixed(1), proofBytes, bits: +bits.toFixed(2), ok };
}

const describe = (p: ZkLigeroParams) => `C=2^${p.logCols} k=${p.randomness} N=2^${p.logCodeword} t=${p.queries}`;
const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
let ok = true;

if (lengths.length === 1) {
  const params = chooseZkLigeroParams(n, { minBlowup });
  const zk = runZk([w], [params]);
  ok &&= zk.ok;
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
    params: describe(params),
    rowsA: Math.ceil(n / codeShape(params).C),
    bits: zk.bits,
    commitMs: zk.commitMs[0],
    proveMs: zk.proveMs,
    verifyMs: zk.verifyMs,
    proofBytes: zk.proofBytes,
    tensorCommitMs: +median(tCommit).toFixed(1),
    tensorOpenMs: +median(tOpen).toFixed(1),
    tensorVerifyMs: +median(tVerify).toFixed(1),
    tensorProofBytes: tBytes,
    tensorLayout: `2^${layout.logRows}x2^${layout.logCols} t=${layout.numQueries}`,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    kernels: kernels().name,
    verified: ok,
  };
  console.log(`zk-ligero, 2^${logSize} entries, ${result.params}, ${result.rowsA} rows, ${zk.bits.toFixed(2)} bits; ${tensor.length} tensor + ${sparse} sparse + ${hadBlocks}×${hadLen} Hadamard`);
  console.log(`  zk-ligero   commit ${result.commitMs} ms   prove ${result.proveMs} ms   verify ${result.verifyMs} ms   proof ${kib(zk.proofBytes)}`);
  console.log(`  tensor PCS  commit ${result.tensorCommitMs} ms   batch open ${result.tensorOpenMs} ms   verify ${result.tensorVerifyMs} ms   proof ${kib(tBytes)} (${result.tensorLayout}, not hiding)`);
  console.log(JSON.stringify(result));
} else {
  const long = chooseZkLigeroParams(lengths[0], { minBlowup, openings });
  const witness = { ...long, randomness: long.queries };
  const multi = runZk([w.slice(0, lengths[0]), w.slice(lengths[0])], [long, witness]);
  const one = chooseZkLigeroParams(n, { minBlowup });
  const concat = runZk([w], [one]);
  ok &&= multi.ok && concat.ok;
  const result = {
    logSize,
    witnessLog,
    openings,
    tensorConstraints: tensor.length,
    sparse,
    hadamard: `${hadBlocks}x${hadLen}`,
    params: describe(long),
    witnessParams: describe(witness),
    bits: multi.bits,
    commitParamsMs: multi.commitMs[0],
    commitWitnessMs: multi.commitMs[1],
    proveMs: multi.proveMs,
    verifyMs: multi.verifyMs,
    proofBytes: multi.proofBytes,
    concatParams: describe(one),
    concatBits: concat.bits,
    concatCommitMs: concat.commitMs[0],
    concatProveMs: concat.proveMs,
    concatVerifyMs: concat.verifyMs,
    concatProofBytes: concat.proofBytes,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    kernels: kernels().name,
    verified: ok,
  };
  console.log(`zk-ligero, two commitments: 2^${logSize} (${result.params}) + 2^${witnessLog} (k = t), ${multi.bits.toFixed(2)} bits; ${tensor.length} tensor + ${sparse} sparse + ${hadBlocks}×${hadLen} Hadamard`);
  console.log(`  multi       commit ${result.commitParamsMs} ms (once) + ${result.commitWitnessMs} ms (per proof)   prove ${result.proveMs} ms   verify ${result.verifyMs} ms   proof ${kib(multi.proofBytes)}`);
  console.log(`  one vector  commit ${result.concatCommitMs} ms   prove ${result.concatProveMs} ms   verify ${result.concatVerifyMs} ms   proof ${kib(concat.proofBytes)} (${result.concatParams}, ${concat.bits.toFixed(2)} bits)`);
  console.log(JSON.stringify(result));
}
if (!ok) {
  console.error('bench zk-ligero: an honest proof failed to verify');
  process.exitCode = 1;
}
