/**
 * Tensor PCS benchmark: commit, open at one random point, verify, proof size.
 *   npm run bench:pcs -- --log-size 20 [--reps 3] [--merged]
 * Prints a table and ends with one JSON line:
 *   {"logSize":N,"commitMs":…,"openMs":…,"verifyMs":…,"proofBytes":…,"securityBits":…}
 * Times are medians over --reps runs of commit and open (one thread). Verification is cheap, so
 * it runs --verify-reps times (default 7) on each proof; `verifyMs` is the median of those and
 * `verifyColdMs` the very first run in this process (JIT and twiddle tables still cold).
 */
import { kernels } from '../src/field/active.js';
import { TensorPcs } from '../src/pcs/tensor.js';
import { serializeOpening } from '../src/pcs/codec.js';
import { Transcript } from '../src/transcript/transcript.js';
import { P } from '../src/field/babybear.js';
import { arg, median, nowMs } from './util.js';

const logSize = Number(arg('--log-size', '20'));
const reps = Number(arg('--reps', logSize >= 24 ? '1' : '3'));
const verifyReps = Number(arg('--verify-reps', '7'));
const merged = process.argv.includes('--merged');
if (!Number.isInteger(logSize) || logSize < 1 || logSize > 28) {
  console.error(`bench:pcs: expected --log-size between 1 and 28, got ${logSize}`);
  process.exit(2);
}

const pcs = new TensorPcs({ merged });
const values = new Uint32Array(2 ** logSize);
let x = 12345;
for (let i = 0; i < values.length; i++) {
  x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  values[i] = x % P;
}
const point = new Transcript('bench').challengeExts('point', logSize);

const commitTimes: number[] = [];
const openTimes: number[] = [];
const verifyTimes: number[] = [];
let proofBytes = 0;
let ok = true;
for (let r = 0; r < reps; r++) {
  let t0 = nowMs();
  const { commitment, data } = pcs.commit(values);
  commitTimes.push(nowMs() - t0);
  t0 = nowMs();
  const { value, proof } = pcs.open(data, point, new Transcript('bench'), { pointIsChallenge: merged });
  openTimes.push(nowMs() - t0);
  proofBytes = serializeOpening(pcs, proof).length;
  for (let v = 0; v < verifyReps; v++) {
    t0 = nowMs();
    const res = pcs.verify(commitment, point, value, proof, new Transcript('bench'), { pointIsChallenge: merged });
    verifyTimes.push(nowMs() - t0);
    ok &&= res.ok;
  }
}
const layout = pcs.layout(logSize);
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
const result = {
  logSize,
  commitMs: +median(commitTimes).toFixed(1),
  openMs: +median(openTimes).toFixed(1),
  verifyMs: +median(verifyTimes).toFixed(2),
  verifyColdMs: +verifyTimes[0].toFixed(2),
  proofBytes,
  securityBits: +pcs.securityBits(layout).toFixed(2),
  queries: layout.numQueries,
  layout: `2^${layout.logRows}x2^${layout.logCols}`,
  merged,
  peakRssMb,
  kernels: kernels().name,
  verified: ok,
};
console.log(`tensor PCS, 2^${logSize} elements, rows×cols ${result.layout}, rate 1/${2 ** layout.logBlowup}, t=${layout.numQueries}, kernels=${result.kernels}`);
console.log(`  commit  ${result.commitMs} ms\n  open    ${result.openMs} ms\n  verify  ${result.verifyMs} ms (first, cold: ${result.verifyColdMs} ms)\n  proof   ${(proofBytes / 1024).toFixed(1)} KiB\n  peak RSS ${peakRssMb} MiB`);
if (!ok) {
  console.error('bench:pcs: an honest proof failed to verify');
  process.exitCode = 1;
}
console.log(JSON.stringify(result));
