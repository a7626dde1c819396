/**
 * Padded batch benchmark: prover time of `proveZkBatch` against the sumcheck part of the clear
 * `proveBatchOpening` (the same kernels, `proveInnerProduct`, without padding) on a full region of
 * 2^N base entries with --claims claims of mixed sizes (segments of 2^(N−12)..2^(N−4) entries at
 * random aligned offsets, and 4 claims on the whole region), plus the zk verifier's time to emit
 * its system and, for small N, the generic padded sumcheck prover (`proveZkSumcheckWithEvals` on
 * the tables G and f) that the fast path replaces.
 *
 *   node dist/bench/zk-batch.js --log-size 20 [--claims 200] [--reps 3] [--generic]
 *
 * Prints a table and one JSON line; times are medians over --reps interleaved runs after one untimed
 * warm-up each (one thread).
 */
import { ext, extAdd, extMul } from '../src/field/extension.js';
import { P } from '../src/field/babybear.js';
import { checkBatchedSum, proveInnerProduct, type EvalClaim } from '../src/pcs/batch.js';
import { checkConstraints } from '../src/pcs/constraints.js';
import { fillZkBatchPads, proveZkBatch, verifyZkBatch, zkBatchAt, zkBatchLayout, type ZkBatchClaim } from '../src/pcs/zk-batch.js';
import { eqTable, evaluateBase } from '../src/poly/multilinear.js';
import { type Affine, affineConst } from '../src/piop/zk-affine.js';
import { proveZkSumcheckWithEvals } from '../src/piop/zk-sumcheck.js';
import { Transcript } from '../src/transcript/transcript.js';
import { arg, median, nowMs } from './util.js';

const logSize = Number(arg('--log-size', '20'));
const numClaims = Number(arg('--claims', '200'));
const reps = Number(arg('--reps', logSize >= 22 ? '2' : '3'));
const generic = process.argv.includes('--generic');
if (!Number.isInteger(logSize) || logSize < 12 || logSize > 24) {
  console.error(`bench zk-batch: expected --log-size between 12 and 24, got ${logSize}`);
  process.exit(2);
}

// deterministic data and pads (a benchmark, not a proof anyone relies on)
let x = 12345;
const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
const field = () => next() % P;
const n = 2 ** logSize;
const layout = zkBatchLayout(logSize);
const at = zkBatchAt(layout, n);
const w = new Uint32Array(n + layout.size);
for (let i = 0; i < n; i++) w[i] = field();
fillZkBatchPads(w, at, (m) => Uint32Array.from({ length: m }, next));
const f = w.subarray(0, n);

const claims: ZkBatchClaim<Uint32Array>[] = [];
for (let i = 0; i < numClaims; i++) {
  const k = i < 4 ? logSize : logSize - 12 + (next() % 9);
  const offset = (next() % 2 ** (logSize - k)) * 2 ** k;
  const point = Uint32Array.from({ length: 4 * k }, field);
  claims.push({ offset, point, value: evaluateBase(f.subarray(offset, offset + 2 ** k), point) });
}
const clear: EvalClaim[] = claims.map((c) => ({ point: c.point, value: c.value, segment: c.offset / 2 ** (c.point.length >>> 2) }));
// the verifier's values: public constants here (the shape of the system is what matters)
const hiddenClaims: ZkBatchClaim<Affine>[] = claims.map((c) => ({ ...c, value: affineConst(c.value) }));

/** Medians of interleaved runs (one untimed warm-up each), so that both provers see the same heap and caches. */
function timeAll(runs: (() => void)[]): number[] {
  for (const run of runs) run();
  const ts: number[][] = runs.map(() => []);
  for (let r = 0; r < reps; r++) {
    runs.forEach((run, i) => {
      const t0 = nowMs();
      run();
      ts[i].push(nowMs() - t0);
    });
  }
  return ts.map((t) => Math.round(median(t)));
}

const region = { base: 0, numVars: logSize };
let proof = null as ReturnType<typeof proveZkBatch>['proof'];
let system = null as null | Parameters<typeof checkConstraints>[1];
const [clearMs, zkMs, verifyMs] = timeAll([
  () => {
    const tr = new Transcript('bench');
    const rho = tr.challengeExt('rho');
    proveInnerProduct(tr, f, logSize, clear, rho, (sum) => checkBatchedSum(f, clear, rho, sum, 'bench'));
  },
  () => {
    proof = proveZkBatch(new Transcript('bench'), region, claims, w, at).proof;
  },
  () => {
    const res = verifyZkBatch(new Transcript('bench'), region, hiddenClaims, proof, at);
    if (!res.ok) throw new Error(`bench zk-batch: an honest proof failed: ${res.error.message}`);
    system = res.system;
  },
]);
if (checkConstraints(w, system!) !== null) throw new Error('bench zk-batch: the honest w does not satisfy the system');

let genericMs: number | null = null;
if (generic) {
  [genericMs] = timeAll([() => {
    const tr = new Transcript('bench');
    const rho = tr.challengeExt('rho');
    const G = new Uint32Array(4 * n);
    let pw = ext(1);
    for (const c of clear) {
      const eq = eqTable(c.point);
      const start = 4 * (c.segment ?? 0) * (eq.length >>> 2);
      for (let i = 0; i < eq.length; i += 4) G.set(extAdd(G.subarray(start + i, start + i + 4), extMul(pw, eq.subarray(i, i + 4))), start + i);
      pw = extMul(pw, rho);
    }
    proveZkSumcheckWithEvals(tr, { numVars: logSize, degree: 2, tables: [G, f], terms: [{ coeff: ext(1), factors: [0, 1] }] }, w, at, [1], { hiddenSum: true });
  }]);
}

const result = { logSize, claims: numClaims, reps, clearSumcheckMs: clearMs, zkProveMs: zkMs, zkVerifyMs: verifyMs, genericZkSumcheckMs: genericMs, constraints: { linear: system!.linear.length, tensor: system!.tensor.length } };
console.log(`zk-batch, 2^${logSize} entries, ${numClaims} claims (median of ${reps})`);
console.log(`  clear batch sumcheck (proveInnerProduct)   ${clearMs} ms`);
console.log(`  padded batch (proveZkBatch)                ${zkMs} ms   (${(zkMs / clearMs).toFixed(2)}×)`);
console.log(`  zk verifier, emitting the system           ${verifyMs} ms   (${result.constraints.linear} linear + ${result.constraints.tensor} tensor)`);
if (genericMs !== null) console.log(`  generic padded sumcheck on G and f         ${genericMs} ms`);
console.log(JSON.stringify(result));
