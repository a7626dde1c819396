/**
 * LogUp-GKR benchmark: 2^L range lookups into [0, 2^B), excluding PCS openings.
 *   npm run bench:lookup -- --log-lookups 20 --log-table 16 [--runs 3]
 * Prints a small table, then one JSON line {lookups, tableSize, proveMs, verifyMs, proofBytes}.
 */
import { Transcript } from '../src/transcript/transcript.js';
import { ByteWriter } from '../src/util/bytes.js';
import {
  computeMultiplicities,
  drawLookupChallenges,
  proveLookups,
  rangeTable,
  statementOf,
  verifyLookups,
  writeLookupProof,
  type LookupWitness,
} from '../src/piop/lookup/index.js';
import { arg, median, nowMs } from './util.js';

const logLookups = Number(arg('--log-lookups', '20'));
const logTable = Number(arg('--log-table', '16'));
const runs = Number(arg('--runs', '3'));

const table = rangeTable(logTable);
const values = new Uint32Array(2 ** logLookups);
let seed = 12345;
for (let i = 0; i < values.length; i++) {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  values[i] = seed % 2 ** logTable;
}
const commitRoot = new Uint8Array(32); // stands in for the PCS root of (values, m)

const proveTimes: number[] = [];
const verifyTimes: number[] = [];
let proofBytes = 0;
for (let run = 0; run < runs; run++) {
  const t0 = nowMs();
  const m = computeMultiplicities(table, [[values]]);
  const wit: LookupWitness = { table, lookups: [[values]], multiplicities: m };
  const tp = new Transcript('bench/lookup');
  tp.absorbBytes('witness-root', commitRoot);
  const chP = drawLookupChallenges(tp, [statementOf(wit)]);
  const { proof } = proveLookups(tp, chP, [wit]);
  const t1 = nowMs();
  const tv = new Transcript('bench/lookup');
  tv.absorbBytes('witness-root', commitRoot);
  const st = [{ table, numLookups: 1, logLen: logLookups }];
  const chV = drawLookupChallenges(tv, st);
  const res = verifyLookups(tv, chV, st, proof);
  const t2 = nowMs();
  if (!res.ok) throw new Error(`verification failed: ${res.error.message}`);
  const w = new ByteWriter();
  writeLookupProof(w, proof);
  proofBytes = w.finish().length;
  proveTimes.push(t1 - t0);
  verifyTimes.push(t2 - t1);
}
const proveMs = Math.round(median(proveTimes) * 10) / 10;
const verifyMs = Math.round(median(verifyTimes) * 10) / 10;
console.log(`lookups 2^${logLookups} into range 2^${logTable}: prove ${proveMs} ms, verify ${verifyMs} ms, proof ${proofBytes} bytes (median of ${runs})`);
console.log(JSON.stringify({ lookups: 2 ** logLookups, tableSize: 2 ** logTable, proveMs, verifyMs, proofBytes }));
