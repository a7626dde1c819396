/**
 * Renewal in zero-knowledge receipts (docs/zero-knowledge.md §4, §7; `src/prover/zk-tree.ts`,
 * `src/verifier/zk-path.ts`): a model ID with b openings serves more than b receipts, each carrying
 * the renewal path to the commitment it opens, and every receipt at depth 1 and 2 verifies under
 * the same model ID. One attack per test otherwise (STYLE §8): a link whose child commits another
 * vector, links reordered, dropped or duplicated, a link from another model's tree, a changed child
 * root, flipped proof bytes, a Ligero proof over the root with a path that claims a child and the
 * other way round, truncated path bytes — each rejected with a reason, never an exception. The
 * link cache cannot be poisoned; the composed bound charges D·ε_link. The ledger: the `.zkc` records
 * the tree, a reload continues where it stopped without a column of any commitment revealed beyond
 * its k, the maximum depth refuses with the receipts served, and reservations never over-spend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatedModel } from '../../src/model/generated.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { commitModel, decodeCommitted, encodeCommitted, readCommitted, zkcWithRevealed, zkcWithTree, type CommittedModel } from '../../src/prover/commit.js';
import { prove } from '../../src/prover/prove.js';
import { ZkTreeLedger } from '../../src/prover/zk-tree.js';
import { ZkBudgetSpent } from '../../src/prover/zk-budget.js';
import { verifyReceipt } from '../../src/verifier/verify.js';
import { decodeReceipt, encodeReceipt, type ReceiptRenewal } from '../../src/verifier/receipt.js';
import { receiptJson } from '../../src/verifier/json.js';
import { clearRenewalCache, renewalCacheStats, verifyRenewalPath } from '../../src/verifier/zk-path.js';
import { zkReceiptSecurity, verifyZkSecurity } from '../../src/verifier/zk-security.js';
import { commitZkLigero, readZkCommitment, zkCommitmentBytes } from '../../src/pcs/zk-ligero.js';
import { proveZkRenewal } from '../../src/pcs/zk-renew.js';
import { seededRandom } from '../../src/pcs/zk-ligero-masks.js';
import { ByteReader, DecodeError } from '../../src/util/bytes.js';

const g = generatedModel('mlp-tiny');
const { model } = compileOnnx(g.onnx, g.inputs);
const input = g.inputs[0];
const OPENINGS = 3; // b = 3: a tree of depth D serves 3·2^D receipts

function seed(x: number): Uint8Array {
  return new Uint8Array(32).fill(x);
}

/** A ledger over in-memory `.zkc` bytes, and those bytes as they are after each write. */
function ledgerOver(bytes: Uint8Array, maxDepth: number, rngSeed: number) {
  const file = { bytes };
  const cm = decodeCommitted(file.bytes);
  const ledger = new ZkTreeLedger(cm, readCommitted(file.bytes).zk!, (r, c, s) => (file.bytes = zkcWithTree(file.bytes, r, c, s)), { maxDepth, rng: seededRandom(seed(rngSeed)) });
  return { cm, ledger, file };
}

function check(receipt: Uint8Array, cm: CommittedModel) {
  return verifyReceipt(receipt, cm.modelId, input);
}

function reason(res: ReturnType<typeof check>): string {
  return res.ok ? 'accepted' : `${res.error.kind}: ${res.error.message}`;
}

const zkc = encodeCommitted(commitModel(model, { zk: { openings: OPENINGS, seed: seed(1) } }));
const main = ledgerOver(zkc, 2, 50);
const first = [0, 1, 2, 3].map(() => main.ledger.prove(input));
const R2 = first[0].receipt; // depth 2: root → c1 → g1
const rc2 = decodeReceipt(R2);
const [c1, g1] = rc2.renewals!;

/** Re-encodes the depth-2 receipt with another path (the rest of its bytes unchanged). */
function withPath(path: ReceiptRenewal[]): Uint8Array {
  return encodeReceipt({ ...rc2, version: path.length > 0 ? 5 : 3, renewals: path });
}

test('a model ID with b = 3 openings serves more than b receipts: each opens a renewal at depth 2 and verifies', () => {
  assert.equal(main.ledger.b, OPENINGS);
  for (const r of first) {
    assert.equal(r.depth, 2);
    const rc = decodeReceipt(r.receipt);
    assert.equal(rc.version, 5);
    assert.equal(rc.renewals!.length, 2);
    const v = check(r.receipt, main.cm);
    assert.ok(v.ok, reason(v));
  }
  assert.equal(main.ledger.receiptsServed, 4);
  assert.equal(main.ledger.receiptsLeft, 3 * 2 * 2 - 4, 'b·(b − 1)^D in all');
  // receipts 1–2 share their path (one grandchild serves b − 1 = 2 receipts), receipt 3 opens the next grandchild
  assert.deepEqual(decodeReceipt(first[1].receipt).renewals, rc2.renewals);
  assert.notDeepEqual(decodeReceipt(first[2].receipt).renewals![1].child, g1.child);
  const json = receiptJson(rc2) as { zeroKnowledge: { weightsCommitment: { depth: number; path: string[] } } };
  assert.equal(json.zeroKnowledge.weightsCommitment.depth, 2);
  assert.equal(json.zeroKnowledge.weightsCommitment.path.length, 2);
});

test('receipts at depth 0 keep their version-3 bytes; depth 1 verifies', () => {
  const flat = ledgerOver(encodeCommitted(commitModel(model, { zk: { openings: OPENINGS, seed: seed(2) } })), 0, 51);
  const r0 = flat.ledger.prove(input);
  assert.equal(r0.depth, 0);
  assert.equal(decodeReceipt(r0.receipt).version, 3);
  assert.equal(decodeReceipt(r0.receipt).renewals, undefined);
  assert.ok(check(r0.receipt, flat.cm).ok);
  assert.equal(readCommitted(flat.file.bytes).zk!.children.length, 0, 'no renewal: the .zkc stays version 4');
  const one = ledgerOver(flat.file.bytes, 1, 52);
  const r1 = one.ledger.prove(input);
  assert.equal(r1.depth, 1);
  const v = check(r1.receipt, one.cm);
  assert.ok(v.ok, reason(v));
  assert.equal(one.ledger.receiptsLeft, 2 * 2 - 1 + 0, 'the root had 2 openings left: two children of 2 receipts, one spent');
});

test('a renewed receipt with a private input and a committed output (version 5 with the io section) verifies with its opening', () => {
  const res = ledgerOver(zkc, 1, 57).ledger.prove(input, { committed: { inputs: true, outputs: true } });
  const rc = decodeReceipt(res.receipt);
  assert.equal(rc.version, 5);
  assert.equal(rc.renewals!.length, 1);
  assert.ok(rc.committed && rc.committed.inputs.length === 1);
  assert.deepEqual(encodeReceipt(rc), res.receipt, 'one encoding');
  const o = verifyReceipt(res.receipt, main.cm.modelId, input, { opening: res.opening });
  assert.ok(o.ok, reason(o));
  assert.deepEqual(Array.from(o.outputs[0].q), Array.from(res.outputs[0].q));
  // the io section's flag must be 0 or 1, and its absence must match the bytes
  const noIo = encodeReceipt({ ...rc, committed: null });
  assert.equal(verifyReceipt(noIo, main.cm.modelId, input).ok, false);
});

test('a link whose child commits another vector is rejected at that link', () => {
  const cm = main.cm;
  const liarValues = cm.zk!.data.values.slice();
  liarValues[5] = (liarValues[5] + 1) % 2013265921;
  const liar = commitZkLigero(liarValues, cm.zk!.params, seededRandom(seed(60)));
  const rootData = decodeCommitted(zkc).zk!.data;
  const proof = proveZkRenewal(rootData, liar.data, seededRandom(seed(61)), { unchecked: true });
  const link = { child: zkCommitmentBytes(liar.commitment), proof };
  // the receipt a cheating prover sends: its body against the liar's vector
  const forged = prove(cm, input, { renewal: { links: [link], data: liar.data }, tamper: () => {} }).receipt;
  const v = check(forged, cm);
  assert.equal(v.ok, false);
  assert.match(reason(v), /renewal link 1 of 1/);
});

test('links reordered, dropped or duplicated are rejected', () => {
  const cases: [string, ReceiptRenewal[], RegExp][] = [
    ['reordered', [g1, c1], /renewal link 1 of 2/],
    ['first dropped', [g1], /renewal link 1 of 1/],
    ['last dropped', [c1], /zero-knowledge proof/],
    ['duplicated', [c1, c1, g1], /renewal link 2 of 3: .*SameCommitment|renewal link 2 of 3/],
    ['all dropped', [], /./],
  ];
  for (const [what, path, why] of cases) {
    const v = check(withPath(path), main.cm);
    assert.equal(v.ok, false, what);
    assert.match(reason(v), why, what);
  }
  const dup = check(withPath([c1, c1, g1]), main.cm);
  assert.equal(dup.ok ? '' : dup.error.kind, 'SameCommitment');
});

test("a link from another model's tree, a changed child root and flipped proof bytes are rejected", () => {
  const other = ledgerOver(encodeCommitted(commitModel(model, { zk: { openings: OPENINGS, seed: seed(3) } })), 1, 53);
  const foreign = decodeReceipt(other.ledger.prove(input).receipt).renewals![0];
  const v1 = check(withPath([foreign, g1]), main.cm);
  assert.match(reason(v1), /renewal link 1 of 2/);
  const root = c1.child.slice();
  root[0] ^= 1;
  const v2 = check(withPath([{ child: root, proof: c1.proof }, g1]), main.cm);
  assert.match(reason(v2), /renewal link 1 of 2/);
  for (const at of [1, 40, g1.proof.length >> 1, g1.proof.length - 1]) {
    const p = g1.proof.slice();
    p[at] ^= 1;
    const v = check(withPath([c1, { child: g1.child, proof: p }]), main.cm);
    assert.equal(v.ok, false, `proof byte ${at}`);
    assert.match(reason(v), /renewal link 2 of 2/, `proof byte ${at}`);
  }
});

test('a Ligero proof over the root with a path that claims a child, and over a child with no path, are rejected', () => {
  const cm = main.cm;
  const rootData = decodeCommitted(zkc).zk!.data;
  const overRoot = prove(cm, input, { renewal: { links: [c1], data: rootData }, tamper: () => {} }).receipt;
  const a = check(overRoot, cm);
  assert.equal(a.ok, false);
  assert.match(reason(a), /zero-knowledge proof/);
  // a child of the same root (a ledger over a copy of the same .zkc)
  const ticket = ledgerOver(zkc, 1, 56).ledger.reserve();
  const overChild = prove(cm, input, { renewal: { links: [], data: ticket.renewal!.data }, tamper: () => {} }).receipt;
  const b = check(overChild, cm);
  assert.equal(b.ok, false);
  assert.match(reason(b), /zero-knowledge proof/);
  assert.throws(() => prove(cm, input, { renewal: { links: [c1], data: rootData } }), /does not commit the path's last child/, 'an honest prover refuses');
});

test('truncated or malformed path bytes fail to decode with a reason', () => {
  const at = R2.length - rc2.proof.length - rc2.witnessCommitment.length - 8;
  const depthAt = locateDepth();
  for (const cut of [depthAt + 1, depthAt + 30, depthAt + 4 + 60 + (c1.proof.length >> 1), at - 10]) {
    assert.throws(() => decodeReceipt(R2.subarray(0, cut)), DecodeError, `cut at ${cut}`);
    const v = verifyReceipt(R2.subarray(0, cut), main.cm.modelId, input);
    assert.equal(v.ok ? '' : v.error.kind, 'MalformedReceipt', `cut at ${cut}`);
    assert.match(v.ok ? '' : v.error.message, /truncated/, `cut at ${cut}`);
  }
  // the depth byte sits right after the range proof blob
  for (const d of [0, 17]) {
    const b = R2.slice();
    b[depthAt] = d;
    assert.throws(() => decodeReceipt(b), /renewal path depth: expected 1 to 16/, `depth ${d}`);
    assert.equal(verifyReceipt(b, main.cm.modelId, input).ok, false);
  }
  // a version-5 receipt must be zero knowledge, and its committed-tensors flag 0 or 1
  const clear = R2.slice();
  clear[8] = 0;
  assert.throws(() => decodeReceipt(clear), /version-5 receipt .* must be a zero-knowledge receipt/);
});

/** The offset of the depth byte: after the header, context, description, commitment and range proof blobs. */
function locateDepth(): number {
  const dv = new DataView(R2.buffer, R2.byteOffset, R2.byteLength);
  let at = 4 + 4 + 1 + 32 + 5;
  for (let i = 0; i < 4; i++) at += 4 + dv.getUint32(at, true);
  assert.equal(R2[at], 2);
  return at;
}

test('the link cache: a link verified once is accepted from the cache, and makes no other pair pass', () => {
  clearRenewalCache();
  assert.ok(check(R2, main.cm).ok);
  assert.equal(renewalCacheStats().checked, 2);
  assert.ok(check(first[1].receipt, main.cm).ok);
  assert.deepEqual([renewalCacheStats().checked, renewalCacheStats().cached], [2, 2], 'the second receipt of the same path pays no link');
  const root = readZkCommitment(new ByteReader(rc2.paramCommitment));
  const cc1 = readZkCommitment(new ByteReader(c1.child));
  assert.ok(verifyRenewalPath(root, [c1, g1]).ok);
  // the cached (root, c1, proof) and (c1, g1, proof) must not vouch for other pairs
  assert.equal(verifyRenewalPath(cc1, [g1]).ok, true, 'c1 → g1 is a real link');
  assert.equal(verifyRenewalPath(root, [g1]).ok, false, 'g1 under the root: another parent');
  assert.equal(verifyRenewalPath(cc1, [c1]).ok, false, 'c1 under itself');
  assert.equal(verifyRenewalPath(root, [{ child: c1.child, proof: g1.proof }]).ok, false, "another link's proof");
  const otherRoot = readZkCommitment(new ByteReader(decodeCommitted(encodeCommitted(commitModel(model, { zk: { openings: OPENINGS, seed: seed(4) } }))).paramCommitmentBytes));
  assert.equal(verifyRenewalPath(otherRoot, [c1]).ok, false, "another model's root");
});

test('the composed bound charges D·ε_link, and the verifier enforces it', () => {
  const c = main.cm.circuit;
  const params = main.cm.zk!.params;
  const [s0, s1, s2] = [0, 1, 2].map((d) => zkReceiptSecurity(c, params, undefined, d));
  assert.ok(s1.bits < s0.bits && s2.bits < s1.bits, `${s0.bits} > ${s1.bits} > ${s2.bits}`);
  const term = s2.terms.find((t) => t.name.startsWith('renewal path'))!;
  assert.match(term.formula, /D = 2/);
  assert.equal(s0.terms.some((t) => t.name.startsWith('renewal path')), false);
  assert.ok(verifyZkSecurity(c, params, s0.bits).ok);
  const refused = verifyZkSecurity(c, params, s0.bits, undefined, 2);
  assert.equal(refused.ok ? '' : refused.error.kind, 'InsufficientSecurity');
});

test('the .zkc records the tree; a reload continues where it stopped, never past any commitment’s k; the maximum depth refuses with the receipts served', () => {
  const rec = readCommitted(main.file.bytes).zk!;
  assert.equal(rec.served, 4);
  assert.equal(rec.children.length, 3, 'c1, its two grandchildren');
  assert.deepEqual(rec.children.map((c) => c.parent), [0, 1, 1]);
  const again = ledgerOver(main.file.bytes, 2, 54);
  assert.equal(again.ledger.receiptsLeft, main.ledger.receiptsLeft);
  let n = 0;
  for (;;) {
    try {
      const r = again.ledger.prove(input);
      assert.ok(check(r.receipt, again.cm).ok);
      n++;
    } catch (e) {
      assert.ok(e instanceof ZkBudgetSpent, String(e));
      assert.match((e as Error).message, /has served 12 receipt\(s\) from 10 commitment\(s\) \(the root and 9 renewal\(s\), maximum depth 2/);
      break;
    }
  }
  assert.equal(n, 8, '12 − 4');
  const end = readCommitted(again.file.bytes).zk!;
  const { k, t } = again.ledger;
  assert.ok(end.revealed.length <= k);
  for (const c of end.children) assert.ok(c.revealed.length <= k && c.revealed.length >= 1, `${c.revealed.length} ≤ ${k}`);
  // every commitment's openings: the root 3 children; each child 2 grandchildren; each grandchild 2 receipts — at most t new columns each
  assert.ok(end.revealed.length <= 3 * t);
  assert.equal(end.served, 12);
  // an older record is never restored over a newer one
  assert.throws(() => zkcWithTree(again.file.bytes, end.revealed, rec.children, 4), /forgets/);
  // the root-only ledger of `zkinfer serve` writes its record back without losing the tree
  const kept = readCommitted(zkcWithRevealed(again.file.bytes, [...end.revealed, 0, 1])).zk!;
  assert.equal(kept.children.length, 9);
  assert.equal(kept.served, 12);
});

test('concurrent reservations never over-spend a commitment', () => {
  const l = ledgerOver(encodeCommitted(commitModel(model, { zk: { openings: OPENINGS, seed: seed(5) } })), 1, 55).ledger;
  const tickets = [];
  for (let i = 0; i < 6; i++) tickets.push(l.reserve());
  assert.equal(l.receiptsLeft, 0);
  assert.throws(() => l.reserve(), ZkBudgetSpent);
  const perNode = new Map<number, number>();
  for (const tk of tickets) perNode.set(tk.node, (perNode.get(tk.node) ?? 0) + 1);
  assert.equal(perNode.size, 3, 'three children');
  for (const [node, count] of perNode) assert.ok(count <= 2, `node ${node}: ${count} proofs in flight for b − 1 = 2 openings`);
  l.release(tickets.pop()!);
  assert.equal(l.receiptsLeft, 1);
  tickets.push(l.reserve());
  assert.throws(() => l.reserve(), ZkBudgetSpent);
});
