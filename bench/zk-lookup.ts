/**
 * Zero-knowledge LogUp benchmark: 2^L range lookups into [0, 2^B) (2^{max(L, B) + 1} GKR leaves),
 * the padded prover (`proveZkLookups`) against the clear one (`proveLookups`) on the same witness,
 * excluding commitments and openings.
 *
 *   node dist/bench/zk-lookup.js --log-lookups 19 --log-table 16 [--runs 3]
 *
 * "zk prove" includes sampling the pads (`fillZkLookupPads`); "zk verify" is the verifier emitting
 * its constraints (checking them is the ZK Ligero proof's job: here they are checked once with the
 * clear checker, untimed, as a sanity check). Prints a table, then one JSON line. Medians of --runs.
 */
import { checkConstraints } from '../src/pcs/constraints.js';
import {
  computeMultiplicities,
  drawLookupChallenges,
  fillZkLookupPads,
  lookupShape,
  proveLookups,
  proveZkLookups,
  rangeTable,
  statementOf,
  verifyLookups,
  verifyZkLookups,
  writeLookupProof,
  writeZkLookupProof,
  zkLookupAt,
  zkLookupLayout,
  type LookupStatement,
  type LookupWitness,
} from '../src/piop/lookup/index.js';
import { linkToSegment } from '../src/piop/zk-final.js';
import { Transcript } from '../src/transcript/transcript.js';
import { ByteWriter } from '../src/util/bytes.js';
import { arg, median, nowMs } from './util.js';

const logLookups = Number(arg('--log-lookups', '19'));
const logTable = Number(arg('--log-table', '16'));
const runs = Number(arg('--runs', '3'));

const table = rangeTable(logTable);
const values = new Uint32Array(2 ** logLookups);
let seed = 12345;
for (let i = 0; i < values.length; i++) {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  values[i] = seed % 2 ** logTable;
}
const wit: LookupWitness = { table, lookups: [[values]], multiplicities: computeMultiplicities(table, [[values]]) };
const sts: LookupStatement[] = [statementOf(wit)];
const root = new Uint8Array(32); // stands in for the PCS root of (values, m, pads)

function transcript(): Transcript {
  const tr = new Transcript('bench/zk-lookup');
  tr.absorbBytes('witness-root', root);
  return tr;
}

function bytesOf(write: (w: ByteWriter) => void): number {
  const w = new ByteWriter();
  write(w);
  return w.finish().length;
}

// w = values ‖ m ‖ pads (the segments aligned: the larger first)
const [nv, nm] = [values.length, wit.multiplicities.length];
const [offV, offM] = nv >= nm ? [0, nv] : [nm, 0];
const layout = zkLookupLayout(sts);
const at = zkLookupAt(layout, nv + nm);

const t = { clearProve: [] as number[], clearVerify: [] as number[], zkProve: [] as number[], zkVerify: [] as number[] };
let sizes = { clear: 0, zk: 0 };
for (let run = 0; run < runs; run++) {
  let t0 = nowMs();
  const trP = transcript();
  const clear = proveLookups(trP, drawLookupChallenges(trP, sts), [wit]).proof;
  t.clearProve.push(nowMs() - t0);
  t0 = nowMs();
  const trV = transcript();
  if (!verifyLookups(trV, drawLookupChallenges(trV, sts), sts, clear).ok) throw new Error('clear verification failed');
  t.clearVerify.push(nowMs() - t0);

  const w = new Uint32Array(nv + nm + layout.size);
  w.set(values, offV);
  w.set(wit.multiplicities, offM);
  t0 = nowMs();
  fillZkLookupPads(w, at);
  const trZ = transcript();
  const zk = proveZkLookups(trZ, drawLookupChallenges(trZ, sts), [wit], w, at).proof;
  t.zkProve.push(nowMs() - t0);
  t0 = nowMs();
  const trW = transcript();
  const v = verifyZkLookups(trW, drawLookupChallenges(trW, sts), sts, zk, at);
  t.zkVerify.push(nowMs() - t0);
  if (!v.ok) throw new Error(`zk verification failed: ${v.error.message}`);
  if (run === 0) {
    const c = v.claims[0];
    v.system.tensor.push(linkToSegment(c.columns[0][0].value, offV, c.columns[0][0].point), linkToSegment(c.multiplicities.value, offM, c.multiplicities.point));
    const bad = checkConstraints(w, v.system);
    if (bad) throw new Error(`zk constraints fail: ${bad}`);
  }
  sizes = { clear: bytesOf((b) => writeLookupProof(b, clear)), zk: bytesOf((b) => writeZkLookupProof(b, zk)) };
}

const ms = (xs: number[]) => Math.round(median(xs) * 10) / 10;
const leaves = 2 ** lookupShape(sts[0]).leafVars;
const row = { lookups: 2 ** logLookups, tableSize: 2 ** logTable, leaves, clearProveMs: ms(t.clearProve), zkProveMs: ms(t.zkProve), clearVerifyMs: ms(t.clearVerify), zkVerifyMs: ms(t.zkVerify), clearBytes: sizes.clear, zkBytes: sizes.zk, pads: layout.size };
console.log(`2^${logLookups} lookups into range 2^${logTable} (${leaves} leaves), median of ${runs}:`);
console.log(`  prove   clear ${row.clearProveMs} ms   zk ${row.zkProveMs} ms   (×${(row.zkProveMs / row.clearProveMs).toFixed(2)})`);
console.log(`  verify  clear ${row.clearVerifyMs} ms   zk ${row.zkVerifyMs} ms (constraint emission)`);
console.log(`  proof   clear ${row.clearBytes} B   zk ${row.zkBytes} B   pads in w: ${row.pads} entries`);
console.log(JSON.stringify(row));
