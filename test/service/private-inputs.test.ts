/**
 * Private inputs through a prover node (`"private"` in `POST /v1/infer`, `service/validate.ts`):
 * a zero-knowledge node commits the named inputs under the requester's seed, so its receipt
 * carries no input values and the requester — who holds the seed and the input, never anything
 * the node hands back — checks it with the opening; the client library does all of it
 * (`inferVerified({ privateInputs })`). Refused for a clear model, a malformed seed or an
 * unknown input; the seed is part of the request an idempotency key is bound to; a job of a
 * store made before private inputs existed (schema 4) is migrated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { commitModel, encodeCommitted } from '../../src/prover/commit.js';
import { startServer } from '../../src/service/server.js';
import { inferVerified } from '../../src/service/client.js';
import { JobStore } from '../../src/service/store.js';
import { quantizeInput } from '../../src/quantize/infer.js';
import { verifyReceipt } from '../../src/verifier/verify.js';
import { decodeReceipt } from '../../src/verifier/receipt.js';
import { fromHex } from '../../src/util/bytes.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseOpening } from '../../src/verifier/opening.js';
import { CLI, postInfer, tempDir, testModel, waitDone } from './helpers.js';

const run = promisify(execFile);

const { model, inputs } = testModel('mlp-tiny');
const zkc = encodeCommitted(commitModel(model, { zk: { openings: 8 } }));
const name = model.inputs[0].name;
const SEED = 'ab'.repeat(32);

test('a zero-knowledge node keeps a requested input out of the receipt; the requester opens it with its own seed', async () => {
  const srv = await startServer({ modelBytes: zkc, saveModel: () => {}, dataDir: tempDir('private-node'), port: 0, workers: 1 });
  try {
    const r = await postInfer(srv.url, { input: inputs[0], private: { inputs: [name], seedHex: SEED } }, '?wait=true');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const receipt = new Uint8Array(Buffer.from(r.body.receipt as string, 'base64'));
    const rc = decodeReceipt(receipt);
    assert.equal(rc.inputs.length, 0, 'the input is not in the receipt');
    assert.deepEqual(rc.committed?.inputs, [name]);
    assert.ok(verifyReceipt(receipt, srv.modelId).ok, 'anyone verifies it without the input');
    const opening = { seed: fromHex(SEED), values: new Map([[name, quantizeInput(model, name, inputs[0][name], true)]]) };
    const mine = verifyReceipt(receipt, srv.modelId, inputs[0], { opening });
    assert.ok(mine.ok, mine.ok ? '' : `${mine.error.kind}: ${mine.error.message}`);
    const other = verifyReceipt(receipt, srv.modelId, inputs[1], { opening: { ...opening, values: new Map([[name, quantizeInput(model, name, inputs[1][name], true)]]) } });
    assert.equal(other.ok, false, 'the opening of another input does not rebuild the commitment');

    const c = await inferVerified({ url: srv.url, modelId: srv.modelId, input: inputs[1], privateInputs: true });
    assert.ok(c.verified, c.verified ? '' : c.reason);
    assert.equal(decodeReceipt(c.receipt).inputs.length, 0);
    assert.equal(c.opening?.seed.length, 32, 'the client returns the seed that opens the receipt');
    const pub = await inferVerified({ url: srv.url, modelId: srv.modelId, input: inputs[2] });
    assert.ok(pub.verified, pub.verified ? '' : pub.reason);
    assert.equal(decodeReceipt(pub.receipt).inputs.length, 1, 'without privateInputs the input is public');

    // the CLI: --private-input writes the receipt and, mode 0600, the opening that ties it to the input
    const dir = tempDir('private-cli');
    const inp = path.join(dir, 'input.json');
    fs.writeFileSync(inp, JSON.stringify(inputs[3]));
    const out = path.join(dir, 'r.zkr');
    const res = await run(process.execPath, [CLI, 'client', 'infer', '--url', srv.url, '--model-id', srv.modelId, '--input', inp, '--private-input', 'all', '-o', out]);
    assert.match(res.stdout, new RegExp(`VERIFIED: .* \\(kept out of the receipt: ${name}\\)`));
    const file = path.join(dir, 'r.opening.json');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const written = parseOpening(fs.readFileSync(file, 'utf8')).opening;
    const cli = new Uint8Array(fs.readFileSync(out));
    assert.equal(decodeReceipt(cli).inputs.length, 0);
    assert.ok(verifyReceipt(cli, srv.modelId, inputs[3], { opening: written }).ok, 'the written opening checks the written receipt');
  } finally {
    await srv.close(0);
  }
});

test('private inputs are refused by a clear node and when malformed, and bind an idempotency key', async () => {
  const clear = await startServer({ modelBytes: encodeCommitted(commitModel(model)), dataDir: tempDir('private-clear'), port: 0, workers: 1 });
  try {
    const r = await postInfer(clear.url, { input: inputs[0], private: { inputs: true, seedHex: SEED } });
    assert.equal(r.status, 400);
    assert.match(String(r.body.error), /'private' needs a zero-knowledge model/);
  } finally {
    await clear.close(0);
  }
  const srv = await startServer({ modelBytes: zkc, saveModel: () => {}, dataDir: tempDir('private-bad'), port: 0, workers: 1 });
  try {
    for (const [priv, msg] of [
      [{ inputs: [name], seedHex: 'ab' }, /seedHex' must be 64 hex digits .*got 2 characters/],
      [{ inputs: [name], seedHex: 'z'.repeat(64) }, /got 64 characters$/],
      [{ inputs: [name] }, /seedHex' must be 64 hex digits/],
      [{ inputs: ['nope'], seedHex: SEED }, /unknown input 'nope'/],
      [{ inputs: [], seedHex: SEED }, /true or a non-empty list/],
      [{ inputs: true, seedHex: SEED, outputs: true }, /unknown field 'outputs' in 'private'/],
      ['x', /'private' must be an object/],
    ] as const) {
      const r = await postInfer(srv.url, { input: inputs[0], private: priv });
      assert.equal(r.status, 400, JSON.stringify(priv));
      assert.match(String(r.body.error), msg);
    }
    const key = { 'idempotency-key': 'k-1' };
    const a = await postInfer(srv.url, { input: inputs[0], private: { inputs: true, seedHex: SEED } }, '', key);
    const again = await postInfer(srv.url, { input: inputs[0], private: { inputs: true, seedHex: SEED } }, '', key);
    assert.equal(again.body.jobId, a.body.jobId, 'the same request: the same job');
    const other = await postInfer(srv.url, { input: inputs[0], private: { inputs: true, seedHex: 'cd'.repeat(32) } }, '', key);
    assert.equal(other.status, 422, 'another seed is another request');
    const pub = await postInfer(srv.url, { input: inputs[0] }, '', key);
    assert.equal(pub.status, 422, 'the public form of the same input is another request');
    const done = await waitDone(srv.url, a.body.jobId as string);
    assert.equal(done.status, 'done');
    const receipt = new Uint8Array(await (await fetch(`${srv.url}/v1/jobs/${String(a.body.jobId)}/receipt`)).arrayBuffer());
    assert.deepEqual(decodeReceipt(receipt).committed?.inputs, [name], 'the stored job proved its input private');
  } finally {
    await srv.close(0);
  }
});

test('a schema-4 job store is migrated: its jobs keep their requests, new jobs store their private inputs', () => {
  const dir = tempDir('private-migrate');
  const modelId = 'ab'.repeat(32);
  new JobStore(dir, modelId).close();
  // make it a schema-4 store: no private column
  const db = new Database(path.join(dir, 'jobs.sqlite'));
  db.exec("ALTER TABLE jobs DROP COLUMN private; UPDATE meta SET value = '4' WHERE key = 'schema';");
  db.prepare("INSERT INTO jobs (id, status, input, created_ms) VALUES ('old', 'queued', ?, 1)").run(JSON.stringify({ x: [1] }));
  db.close();
  const s = new JobStore(dir, modelId);
  try {
    assert.deepEqual(s.request('old'), { input: { x: [1] }, context: new Uint8Array(0) });
    const { job } = s.insert('new', { x: [2] }, undefined, new Uint8Array(0), { inputs: ['x'], seed: fromHex(SEED) });
    const req = s.request(job.id)!;
    assert.deepEqual(req.private?.inputs, ['x']);
    assert.deepEqual(Array.from(req.private!.seed), Array.from(fromHex(SEED)));
  } finally {
    s.close();
  }
  assert.ok(fs.existsSync(path.join(dir, 'jobs.sqlite')));
});
