/**
 * bench:zk-renewal-receipts — what renewal costs a zero-knowledge receipt (docs/zero-knowledge.md
 * §4, §7): receipt bytes and verification time at depth D = 0, 1, 2 (the first verification of a
 * path, and again with its links cached, `verifier/zk-path.ts`), the time to renew (one
 * `ZkTreeLedger.reserve` that grows the tree by one child), and the composed bits at each depth.
 *
 *   npm run bench:zk-renewal-receipts -- [mlp-4m] [--zk-openings 16]
 *
 * One commitment, one ledger over in-memory `.zkc` bytes: a receipt at the root (maximum depth 0),
 * then one at depth 1 (maximum depth 1: the root renews once), then one at depth 2 (maximum depth 2:
 * the depth-1 child renews once). Before the timed runs the per-model work (the security dry run,
 * the range proof's system) and the JIT are warmed by three untimed verifications at depth 0; "first"
 * is one verification with the link cache cleared, "cached" the median of three more. At depth 2 the
 * renewal time includes rebuilding the depth-1 child's prover data from its seed (a fresh ledger
 * over the file, as a restarted prover has). Prints a
 * table and one JSON line per depth.
 */
import { generatedModel, GENERATED_MODELS } from '../src/model/generated.js';
import { compileOnnx } from '../src/quantize/compile.js';
import { commitModel, encodeCommitted, readCommitted, zkcWithTree } from '../src/prover/commit.js';
import { prove } from '../src/prover/prove.js';
import { ZkTreeLedger } from '../src/prover/zk-tree.js';
import { revealedColumns } from '../src/pcs/zk-ligero.js';
import { verifyReceipt } from '../src/verifier/verify.js';
import { clearRenewalCache, renewalCacheStats } from '../src/verifier/zk-path.js';
import { zkReceiptSecurity } from '../src/verifier/zk-security.js';
import { arg, median, nowMs } from './util.js';

const name = process.argv.slice(2).find((a) => !a.startsWith('--') && !/^\d+$/.test(a)) ?? 'mlp-4m';
if (!(GENERATED_MODELS as readonly string[]).includes(name)) {
  console.error(`bench zk-renewal-receipts: expected a generated model (${GENERATED_MODELS.join(', ')}), got ${name}`);
  process.exit(2);
}
const openings = Number(arg('--zk-openings', '16'));
const g = generatedModel(name, { inputCount: 1 });
const { model } = compileOnnx(g.onnx, g.inputs);
const input = g.inputs[0];
let t0 = nowMs();
const cm = commitModel(model, { zk: { openings } });
console.error(`committed ${name} (zk, ${openings} openings) in ${(nowMs() - t0).toFixed(0)} ms`);
let file = encodeCommitted(cm);

function verifyMs(receipt: Uint8Array): number {
  const t = nowMs();
  const v = verifyReceipt(receipt, cm.modelId, input);
  if (!v.ok) throw new Error(`bench: the receipt does not verify: ${v.error.kind}: ${v.error.message}`);
  return nowMs() - t;
}

const rows: Record<string, number | string>[] = [];
for (const depth of [0, 1, 2]) {
  const ledger = new ZkTreeLedger(cm, readCommitted(file).zk!, (r, c, s) => (file = zkcWithTree(file, r, c, s)), { maxDepth: depth });
  const before = ledger.renewals;
  t0 = nowMs();
  const ticket = ledger.reserve();
  const reserveMs = nowMs() - t0;
  if (ticket.depth !== depth || ledger.renewals !== before + (depth > 0 ? 1 : 0)) throw new Error(`bench: expected one proof at depth ${depth} after ${depth > 0 ? 'one renewal' : 'none'}`);
  t0 = nowMs();
  const res = prove(cm, input, { renewal: ticket.renewal });
  const proveMs = nowMs() - t0;
  ledger.settle(ticket, revealedColumns(ticket.renewal ? ticket.renewal.data : cm.zk!.data));
  // warms the per-model caches (security dry run, range system) and the JIT
  if (depth === 0) for (let i = 0; i < 3; i++) verifyMs(res.receipt);
  clearRenewalCache();
  const first = verifyMs(res.receipt);
  const cached = median([0, 1, 2].map(() => verifyMs(res.receipt)));
  const links = renewalCacheStats();
  if (links.checked !== depth || links.cached !== 3 * depth) throw new Error(`bench: expected ${depth} links checked and ${3 * depth} served from the cache, got ${links.checked} and ${links.cached}`);
  const bits = zkReceiptSecurity(cm.circuit, cm.zk!.params, undefined, depth).bits;
  rows.push({ model: name, depth, receiptBytes: res.receipt.length, renewMs: depth > 0 ? Math.round(reserveMs) : 0, proveMs: Math.round(proveMs), verifyFirstMs: Math.round(first), verifyCachedMs: Math.round(cached), bits, zkcBytes: file.length });
}
console.log('| D | receipt bytes | renew ms | prove ms | verify ms (first) | verify ms (links cached) | composed bits | .zkc bytes |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.depth} | ${r.receiptBytes} | ${r.renewMs} | ${r.proveMs} | ${r.verifyFirstMs} | ${r.verifyCachedMs} | ${r.bits} | ${r.zkcBytes} |`);
for (const r of rows) console.log(JSON.stringify(r));
