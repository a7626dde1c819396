/**
 * The opening budget of a zero-knowledge model's parameter commitment across proofs, threads and
 * restarts (`src/prover/zk-budget.ts`): the ledger admits a proof only while every proof in
 * flight still fits, the `.zkc` record only grows, a pool of several threads spends one budget
 * (and withholds nothing it could not record), a restarted pool resumes the spent budget, and a
 * zero-knowledge model is refused where no single ledger can exist (Redis workers) or none is
 * given. The CLI side (lock file, write-back) is in `test/cli/zk-budget.test.ts`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commitModel, decodeCommitted, encodeCommitted, readCommitted, zkcWithRevealed } from '../../src/prover/commit.js';
import { zkReceiptSecurity } from '../../src/verifier/zk-security.js';
import { ZkBudgetSpent, ZkOpeningLedger } from '../../src/prover/zk-budget.js';
import { ProverPool, TaskError, type Proved } from '../../src/service/pool.js';
import { startServer } from '../../src/service/server.js';
import { runRemoteWorker } from '../../src/service/redis.js';
import { verifyReceipt } from '../../src/verifier/verify.js';
import { decodeReceipt } from '../../src/verifier/receipt.js';
import { readZkCommitment } from '../../src/pcs/zk-ligero.js';
import { ByteReader } from '../../src/util/bytes.js';
import { getJson, tempDir, testModel } from './helpers.js';

test('the ledger admits proofs while each in flight could reveal t new positions, and records what they did reveal', () => {
  const saved: Uint32Array[] = [];
  const l = new ZkOpeningLedger({ k: 30, t: 10, revealed: [1, 2] }, (r) => saved.push(r));
  assert.equal(l.receiptsLeft, 2, 'floor((30 − 2)/10)');
  l.reserve();
  l.reserve();
  assert.equal(l.receiptsLeft, 0);
  assert.throws(() => l.reserve(), ZkBudgetSpent);
  l.release(); // a proof that failed: nothing revealed
  assert.equal(l.receiptsLeft, 1);
  l.settle([2, 3, 4, 5]);
  assert.deepEqual(Array.from(saved.at(-1)!), [1, 2, 3, 4, 5]);
  assert.equal(l.receiptsLeft, 2, 'floor((30 − 5)/10): positions revealed again cost nothing');
  const failing = new ZkOpeningLedger({ k: 20, t: 10, revealed: [] }, () => {
    throw new Error('disk full');
  });
  failing.reserve();
  assert.throws(() => failing.settle([7]), /disk full/);
  assert.equal(failing.revealedCount, 1, 'a proof whose record failed still counts as revealed');
  assert.throws(() => new ZkOpeningLedger({ k: 5, t: 10, revealed: [] }, () => {}), RangeError);
});

const { model, inputs } = testModel('mlp-tiny');
const zkc = encodeCommitted(commitModel(model, { zk: { openings: 2 } }));

test('a .zkc record of revealed columns is replaced, never shrunk', () => {
  const first = readCommitted(zkc).zk!;
  assert.equal(first.revealed.length, 0);
  const next = zkcWithRevealed(zkc, [9, 3, 5]);
  assert.deepEqual(Array.from(readCommitted(next).zk!.revealed), [3, 5, 9]);
  assert.deepEqual(readCommitted(next).modelId, readCommitted(zkc).modelId);
  assert.throws(() => zkcWithRevealed(next, [3, 9]), /forgets revealed column 5/);
  assert.throws(() => zkcWithRevealed(encodeCommitted(commitModel(model)), [1]), /not a zero-knowledge/);
});

test('a pool of two threads spends one opening budget, records it before each receipt, and a restart resumes it', async () => {
  let saved: Uint8Array | undefined;
  const pool = await ProverPool.start(zkc, 2, { saveModel: (b) => (saved = b) });
  try {
    assert.equal(pool.zkLedger?.receiptsLeft, 2);
    const results = await Promise.allSettled(inputs.slice(0, 3).map((i) => pool.prove(i)));
    const ok = results.filter((r) => r.status === 'fulfilled') as PromiseFulfilledResult<Proved>[];
    const bad = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    assert.equal(ok.length, 2, 'openings = 2: two receipts');
    assert.equal(bad.length, 1);
    assert.ok(bad[0].reason instanceof TaskError);
    assert.match(bad[0].reason.message, /opening budget .* is spent/);
    await assert.rejects(pool.prove(inputs[3]), /opening budget .* is spent/);
    // every column the released receipts opened is in the saved record
    const record = new Set(readCommitted(saved!).zk!.revealed);
    for (const r of ok) {
      const v = verifyReceipt(r.value.receipt, pool.modelId, inputs[results.indexOf(r)]);
      assert.ok(v.ok, v.ok ? '' : v.error.message);
      assert.ok(decodeReceipt(r.value.receipt).zk);
    }
    assert.ok(record.size > readZkCommitment(new ByteReader(decodeReceipt(ok[0].value.receipt).paramCommitment)).params.queries, 'two receipts revealed more than t columns');
  } finally {
    await pool.close();
  }
  const again = await ProverPool.start(saved!, 1, { saveModel: () => {} });
  try {
    assert.equal(again.zkLedger?.receiptsLeft, 0, 'a pool started from the saved .zkc resumes the spent budget');
    await assert.rejects(again.prove(inputs[0]), /opening budget .* is spent/);
  } finally {
    await again.close();
  }
});

test('a receipt whose opened columns cannot be recorded is withheld', async () => {
  const pool = await ProverPool.start(zkc, 1, {
    saveModel: () => {
      throw new Error('read-only file system');
    },
  });
  try {
    await assert.rejects(pool.prove(inputs[0]), /receipt is withheld.*read-only file system/);
    assert.equal(pool.zkLedger?.receiptsLeft, 1, 'its columns count as revealed all the same');
  } finally {
    await pool.close();
  }
});

test('a zero-knowledge model is refused without a budget record, and with Redis workers', async () => {
  await assert.rejects(ProverPool.start(zkc, 1), /needs a record of its opening budget/);
  await assert.rejects(startServer({ modelBytes: zkc, dataDir: tempDir('zkbudget'), port: 0, redis: 'redis://127.0.0.1:1' }), /cannot be proved through Redis workers/);
  await assert.rejects(runRemoteWorker({ redisUrl: 'redis://127.0.0.1:1', modelBytes: zkc, concurrency: 1 }), /cannot be proved through Redis workers/);
});

test('a node serving a zero-knowledge .zkc says so, answers with zero-knowledge receipts and reports the budget left', async () => {
  let saved: Uint8Array | undefined;
  const srv = await startServer({ modelBytes: zkc, saveModel: (b) => (saved = b), dataDir: tempDir('zkbudget-node'), port: 0, workers: 1 });
  try {
    const info = await getJson(`${srv.url}/v1/model`);
    const protocol = info.body.protocol as { zeroKnowledge: boolean; securityBits: number };
    assert.equal(protocol.zeroKnowledge, true);
    const cm = decodeCommitted(zkc);
    assert.equal(protocol.securityBits, zkReceiptSecurity(cm.circuit, cm.zk!.params).bits, 'the zero-knowledge receipts’ composed bound');
    assert.equal((await getJson(`${srv.url}/v1/health`)).body.zkReceiptsLeft, 2);
    const r = await getJson(`${srv.url}/v1/infer?wait=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: inputs[0] }) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const receipt = new Uint8Array(Buffer.from(r.body.receipt as string, 'base64'));
    assert.equal(decodeReceipt(receipt).zk, true);
    assert.ok(verifyReceipt(receipt, srv.modelId, inputs[0]).ok);
    assert.equal((await getJson(`${srv.url}/v1/health`)).body.zkReceiptsLeft, 1);
    assert.ok(readCommitted(saved!).zk!.revealed.length > 0);
  } finally {
    await srv.close(0);
  }
});
