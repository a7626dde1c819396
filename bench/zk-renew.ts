/**
 * bench:zk-renew — re-commitment (src/pcs/zk-renew.ts) of a zero-knowledge model's parameter side:
 * the child's commitment, the equality proof, its verification and its size, with the share of
 * the pad commitment (its opened column entries, salts and Merkle nodes) in the proof.
 *
 *   npm run bench:zk-renew -- [mlp-4m] [--runs 3] [--zk-openings 16]
 *
 * The model is committed as `commitModel(model, { zk })` does (as in bench:prove --zk); each run
 * renews the root once (so runs + 1 ≤ openings), verify is the median of --runs verifications of
 * the last proof after one untimed run. Prints a table and one JSON line:
 *   {"model","length","params","blocks","bits","commitChildMs","proveMs","renewMs","verifyMs","proofBytes","padBytes","peakRssMb"}
 */
import { generatedModel, GENERATED_MODELS } from '../src/model/generated.js';
import { compileOnnx } from '../src/quantize/compile.js';
import { commitModel } from '../src/prover/commit.js';
import { commitZkLigero } from '../src/pcs/zk-ligero.js';
import { codeShape } from '../src/pcs/zk-ligero-params.js';
import { proveZkRenewal, renewalBlocks, verifyZkRenewal, zkRenewalSecurity } from '../src/pcs/zk-renew.js';
import { arg, median, nowMs } from './util.js';

const name = process.argv.slice(2).find((a) => !a.startsWith('--') && !/^\d+$/.test(a)) ?? 'mlp-4m';
if (!(GENERATED_MODELS as readonly string[]).includes(name)) {
  console.error(`bench zk-renew: expected a generated model (${GENERATED_MODELS.join(', ')}), got ${name}`);
  process.exit(2);
}
const runs = Number(arg('--runs', '3'));
const openings = Number(arg('--zk-openings', '16'));
if (!(runs >= 1 && runs + 1 <= openings)) {
  console.error(`bench zk-renew: expected 1 ≤ --runs ≤ openings − 1 (each run spends one opening of the root), got ${runs} with ${openings}`);
  process.exit(2);
}

const g = generatedModel(name, { inputCount: 1 });
const comp = compileOnnx(g.onnx, g.inputs);
const t0 = nowMs();
const cm = commitModel(comp.model, { zk: { openings } });
const commitModelMs = nowMs() - t0;
const zk = cm.zk!;
const parent = zk.data;
const n = parent.commitment.length;
const params = parent.commitment.params;
const s = codeShape(params);

/** The pad tree's bytes in a proof: its opened entries (one row), salts and Merkle nodes (the third tree). */
function padBytes(proof: Uint8Array): number {
  const v = new DataView(proof.buffer, proof.byteOffset);
  let at = 1 + 32 + 16 * renewalBlocks(n).length + 1 + 4 + 32 + 16 * (s.L + s.linDegree + s.quadDegree);
  const q = v.getUint32(at, true);
  at += 4;
  const rows = [Math.ceil(n / s.C), Math.ceil(n / s.C), 1, 20];
  at += rows.reduce((a, r) => a + 4 * q * r, 0) + 4 * 32 * q;
  let merkle = 0;
  for (let i = 0; i < 4; i++) {
    const m = v.getUint32(at, true);
    if (i === 2) merkle = 4 + 32 * m;
    at += 4 + 32 * m;
  }
  return 4 * q + 32 * q + merkle;
}

const commitTimes: number[] = [];
const proveTimes: number[] = [];
let last: { child: ReturnType<typeof commitZkLigero>; proof: Uint8Array } | undefined;
for (let i = 0; i <= runs; i++) {
  const a = nowMs();
  const child = commitZkLigero(parent.values, params);
  const b = nowMs();
  const proof = proveZkRenewal(parent, child.data);
  const c = nowMs();
  if (i > 0) {
    commitTimes.push(b - a);
    proveTimes.push(c - b);
  }
  last = { child, proof };
}
const { child, proof } = last!;
const first = verifyZkRenewal(parent.commitment, child.commitment, proof);
if (!first.ok) throw new Error(`bench zk-renew: the renewal does not verify: ${first.error.message}`);
const vt: number[] = [];
for (let i = 0; i < runs; i++) {
  const a = nowMs();
  const res = verifyZkRenewal(parent.commitment, child.commitment, proof);
  vt.push(nowMs() - a);
  if (!res.ok) throw new Error('bench zk-renew: verification failed');
}

const out = {
  model: name,
  length: n,
  params: `C=2^${params.logCols} k=${params.randomness} N=2^${params.logCodeword} t=${params.queries}`,
  blocks: renewalBlocks(n).length,
  bits: +zkRenewalSecurity(params, n).bits.toFixed(2),
  commitModelMs: Math.round(commitModelMs),
  commitChildMs: Math.round(median(commitTimes)),
  proveMs: Math.round(median(proveTimes)),
  renewMs: Math.round(median(commitTimes) + median(proveTimes)),
  verifyMs: +median(vt).toFixed(1),
  proofBytes: proof.length,
  padBytes: padBytes(proof),
  parentRevealed: parent.revealed.size,
  peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
};
console.log(`zk-renew ${name}: ${n} entries (${out.blocks} blocks), ${out.params}, ${out.bits} bits`);
console.log('| child commit | proof | renew total | verify | proof bytes | of which the pad commitment |');
console.log('|---|---|---|---|---|---|');
console.log(`| ${out.commitChildMs} ms | ${out.proveMs} ms | ${out.renewMs} ms | ${out.verifyMs} ms | ${out.proofBytes} | ${out.padBytes} |`);
console.log(JSON.stringify(out));
