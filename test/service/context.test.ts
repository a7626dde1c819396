/**
 * Receipts bound to a context on the prover node: `POST /v1/infer` takes `context` (text) or
 * `contextHex` (bytes), the job's receipt is proved with it (it verifies with that context and
 * no other), `GET /v1/jobs/:id` shows it (hex, and text when it is UTF-8), and a job keeps it
 * across a restart — also one accepted before the restart and proved after it. Bad contexts get
 * a precise 400 before anything is stored; the default body limit leaves room for the largest
 * context; a schema-3 data directory (no contexts) is migrated: its jobs have the empty context
 * and their idempotency keys still find them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { commitModel } from '../../src/prover/commit.js';
import { buildApp } from '../../src/service/app.js';
import { ANONYMOUS_SCOPE, storedIdempotencyKey } from '../../src/service/idempotency.js';
import { JobService, type Backend } from '../../src/service/jobs.js';
import { defaultMaxBodyBytes, startServer, type RunningServer } from '../../src/service/server.js';
import { IdempotencyMismatch, JobStore, type JobRequest } from '../../src/service/store.js';
import { verifyReceipt } from '../../src/verifier/verify.js';
import { getJson, postInfer, tempDir, testModel, waitDone } from './helpers.js';

const enc = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('a node proves each job for its context (local pool)', () => {
  const m = testModel('mlp-tiny');
  let srv: RunningServer;
  before(async () => {
    srv = await startServer({ modelBytes: m.bytes, dataDir: tempDir('ctx'), port: 0, workers: 1 });
  });
  after(() => srv.close(5000));

  test('a text context: the receipt is bound to it, and the job shows it', async () => {
    const context = 'market/job-42/operator-7 ✓';
    const input = m.inputs[0];
    const r = await postInfer(srv.url, { input, context }, '?wait=true');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'done', String(r.body.error));
    const shown = { bytes: enc(context).length, hex: hex(enc(context)), text: context };
    assert.deepEqual(r.body.context, shown);
    assert.deepEqual((await getJson(`${srv.url}/v1/jobs/${String(r.body.jobId)}?receipt=false`)).body.context, shown);

    const receipt = new Uint8Array(Buffer.from(String(r.body.receipt), 'base64'));
    const v = verifyReceipt(receipt, srv.modelId, input, { context });
    assert.ok(v.ok, v.ok ? '' : v.error.message);
    assert.deepEqual(v.context, enc(context));
    for (const other of ['market/job-43/operator-7 ✓', '']) {
      const w = verifyReceipt(receipt, srv.modelId, input, { context: other });
      assert.equal(w.ok ? 'ok' : w.error.kind, 'ContextMismatch', `verified for ${JSON.stringify(other)}`);
    }
  });

  test('raw bytes (contextHex): the view has the hex and no text when they are not UTF-8', async () => {
    const bytes = Uint8Array.of(0x00, 0xff, 0x10, 0xfe);
    const r = await postInfer(srv.url, { input: m.inputs[1], contextHex: '0x00FF10fe' }, '?wait=true');
    assert.equal(r.body.status, 'done', JSON.stringify(r.body));
    assert.deepEqual(r.body.context, { bytes: 4, hex: '00ff10fe' });
    const v = verifyReceipt(new Uint8Array(Buffer.from(String(r.body.receipt), 'base64')), srv.modelId, m.inputs[1], { context: bytes });
    assert.ok(v.ok, v.ok ? '' : v.error.message);
  });

  test('no context: the empty one, which the receipt carries', async () => {
    const r = await postInfer(srv.url, { input: m.inputs[2] }, '?wait=true');
    assert.equal(r.body.status, 'done');
    assert.deepEqual(r.body.context, { bytes: 0, hex: '', text: '' });
    const receipt = new Uint8Array(Buffer.from(String(r.body.receipt), 'base64'));
    assert.ok(verifyReceipt(receipt, srv.modelId, m.inputs[2], { context: '' }).ok);
    assert.equal(verifyReceipt(receipt, srv.modelId, m.inputs[2], { context: 'x' }).ok, false);
  });

  test('GET /v1/model says how long a context may be', async () => {
    assert.equal(((await getJson(`${srv.url}/v1/model`)).body.protocol as { maxContextBytes: number }).maxContextBytes, 1024);
  });
});

test('restart: a job accepted with a context is proved with it after the restart, and keeps it', { timeout: 120_000 }, async () => {
  const m = testModel('mlp-tiny');
  const dir = tempDir('ctx-restart');
  const modelId = commitModel(m.model).modelId;
  const context = enc('accepted before the restart');
  const id = 'c0000000-0000-0000-0000-000000000001';
  // as if a node had accepted it and died before proving it
  const s = new JobStore(dir, modelId);
  s.insert(id, m.inputs[3], undefined, context);
  s.close();

  let srv = await startServer({ modelBytes: m.bytes, dataDir: dir, port: 0, workers: 1 });
  try {
    assert.equal(srv.service.resumed, 1);
    const done = await waitDone(srv.url, id);
    assert.equal(done.status, 'done', String(done.error));
    const receipt = new Uint8Array(await (await fetch(`${srv.url}/v1/jobs/${id}/receipt`)).arrayBuffer());
    const v = verifyReceipt(receipt, modelId, m.inputs[3], { context });
    assert.ok(v.ok, v.ok ? '' : v.error.message);
  } finally {
    await srv.close(5000);
  }
  srv = await startServer({ modelBytes: m.bytes, dataDir: dir, port: 0, workers: 1 });
  try {
    const view = (await getJson(`${srv.url}/v1/jobs/${id}?receipt=false`)).body;
    assert.deepEqual(view.context, { bytes: context.length, hex: hex(context), text: 'accepted before the restart' });
  } finally {
    await srv.close(5000);
  }
});

const MODEL_ID = 'ab'.repeat(32);

/** Accepts jobs and never proves them; records what it was asked to prove. */
class HoldingBackend implements Backend {
  readonly kind = 'local' as const;
  readonly threads = 1;
  readonly reqs: JobRequest[] = [];
  async start() {}
  async enqueue(_id: string, req: JobRequest) {
    this.reqs.push(req);
  }
  async stop() {}
}

async function holdingNode(maxBodyBytes = 1 << 20) {
  const m = testModel('mlp-tiny');
  const backend = new HoldingBackend();
  const store = new JobStore(':memory:', MODEL_ID);
  const svc = new JobService(store, backend, { modelId: MODEL_ID, maxQueue: 64 });
  await svc.start();
  const app = buildApp(svc, { model: m.model, info: {}, maxBodyBytes, maxWaitMs: 100 });
  const post = async (body: unknown) => {
    const res = await app.request('/v1/infer', { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: res.status, text: await res.text() };
  };
  return { m, backend, svc, post };
}

test('bad contexts: a precise 400, nothing stored or queued', async () => {
  const { m, backend, svc, post } = await holdingNode();
  const input = m.inputs[0];
  const json = JSON.stringify(input);
  const cases: [string, unknown, RegExp][] = [
    ['both given', { input, context: 'a', contextHex: '61' }, /give either 'context' \(text\) or 'contextHex' \(hex bytes\), not both/],
    ['context is a number', { input, context: 42 }, /'context' must be a string \(UTF-8 text; use 'contextHex' for raw bytes\), got number 42/],
    ['context is null', { input, context: null }, /'context' must be a string .*got null/],
    ['context is an array', { input, context: [1, 2] }, /'context' must be a string .*got an array of 2/],
    ['contextHex is a number', { input, contextHex: 7 }, /'contextHex' must be a string of hex digits, got number 7/],
    ['contextHex is bytes as an array', { input, contextHex: [0, 1] }, /'contextHex' must be a string of hex digits, got an array of 2/],
    ['odd hex', { input, contextHex: 'abc' }, /'contextHex' must be an even number of hex digits \(optionally after '0x'\), got "abc"/],
    ['not hex', { input, contextHex: 'zz' }, /even number of hex digits .*got "zz"/],
    ['a long bad hex is quoted in part', { input, contextHex: 'g'.repeat(5000) }, /got "g{40}…"$/],
    ['hex too long', { input, contextHex: 'ab'.repeat(1025) }, /'contextHex' is 1025 bytes; a context is at most 1024 bytes/],
    ['text too long', { input, context: 'a'.repeat(1025) }, /'context' is 1025 bytes as UTF-8; a context is at most 1024 bytes/],
    ['text too long in bytes, not characters', { input, context: '€'.repeat(342) }, /'context' is 1026 bytes as UTF-8; a context is at most 1024 bytes/],
    ['a lone surrogate', `{"input": ${json}, "context": "a\\ud800b"}`, /'context' must be well-formed text: it has a lone surrogate \(an unpaired \\uD800–\\uDFFF\) at index 1/],
    ['a misspelt field', { input, ctx: 'a' }, /unknown field 'ctx' in the request body \(expected 'input', and optionally 'context' or 'contextHex', 'private'\)/],
  ];
  for (const [what, body, msg] of cases) {
    const r = await post(body);
    assert.equal(r.status, 400, `${what}: ${r.text}`);
    assert.match((JSON.parse(r.text) as { error: string }).error, msg, what);
  }
  assert.equal(backend.reqs.length, 0, 'nothing was queued');
  assert.equal(svc.store.counts().queued, 0, 'nothing was stored');
  assert.equal(svc.metrics.rejectedInvalid, cases.length);

  // the limits are inclusive, and the forms normalise to bytes
  const ok: [unknown, Uint8Array][] = [
    [{ input, context: 'a'.repeat(1024) }, enc('a'.repeat(1024))],
    [{ input, contextHex: 'AB'.repeat(1024) }, new Uint8Array(1024).fill(0xab)],
    [{ input, contextHex: '0x0001' }, Uint8Array.of(0, 1)],
    [{ input, contextHex: '' }, new Uint8Array(0)],
    [{ input }, new Uint8Array(0)],
  ];
  for (const [body, want] of ok) {
    const r = await post(body);
    assert.equal(r.status, 202, r.text);
    assert.deepEqual(backend.reqs.at(-1)!.context, want);
    assert.deepEqual(svc.get((JSON.parse(r.text) as { jobId: string }).jobId)!.context, want, 'stored with the job');
  }
  await svc.stop(0);
});

test('the default body limit leaves room for the largest context', async () => {
  const m = testModel('mlp-tiny');
  const limit = defaultMaxBodyBytes(m.model);
  const { backend, svc, post } = await holdingNode(limit);
  // a body as large as the input allowance alone (64 KiB + 32 bytes per value), padded with
  // JSON whitespace, plus a 1024-byte context written in its longest form (\u0041 per byte)
  const withoutContext = 65_536 + 32 * 16;
  const head = `{"input": ${JSON.stringify(m.inputs[0])}`;
  const padded = head + ' '.repeat(withoutContext - head.length - 1);
  const body = `${padded}, "context": "${'\\u0041'.repeat(1024)}"}`;
  assert.ok(body.length > withoutContext + 6000);
  const r = await post(body);
  assert.equal(r.status, 202, r.text);
  assert.deepEqual(backend.reqs.at(-1)!.context, enc('A'.repeat(1024)));
  // and the limit is a limit
  const over = await post(head + ' '.repeat(limit - head.length) + '}');
  assert.equal(over.status, 413, over.text);
  await svc.stop(0);
});

test('a schema-3 data directory is migrated: its jobs have the empty context, their keys still find them', () => {
  const dir = tempDir('ctx-v3');
  const db = new Database(path.join(dir, 'jobs.sqlite'));
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, idem_hash TEXT UNIQUE, request_hash TEXT,
      status TEXT NOT NULL CHECK (status IN ('queued', 'proving', 'done', 'failed')), input TEXT NOT NULL, output TEXT,
      receipt_file TEXT, receipt_bytes INTEGER, error TEXT, attempts INTEGER NOT NULL DEFAULT 0, worker TEXT,
      created_ms INTEGER NOT NULL, started_ms INTEGER, finished_ms INTEGER, timings TEXT);
    CREATE INDEX jobs_by_status ON jobs (status, seq);
    CREATE INDEX jobs_by_finish ON jobs (finished_ms) WHERE status IN ('done', 'failed');`);
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?), (?, ?)').run('model_id', MODEL_ID, 'schema', '3');
  // schema 3's request hash: the input alone (label v1)
  const v1 = (input: Record<string, number[]>) => createHash('sha256').update(`zkinfer/idempotency/request/v1\0${JSON.stringify(Object.keys(input).sort().map((k) => [k, input[k]]))}`).digest('hex');
  const ins = db.prepare('INSERT INTO jobs (id, idem_hash, request_hash, status, input, created_ms, finished_ms, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const [a, b, c] = ['a', 'b', 'c'].map((x) => `${x}0000000-0000-0000-0000-000000000000`);
  ins.run(a, storedIdempotencyKey(ANONYMOUS_SCOPE, 'key-a'), v1({ input: [1, 2] }), 'queued', '{"input":[1,2]}', 1, null, null);
  ins.run(b, null, null, 'failed', '{"input":[3]}', 2, 3, 'bad input');
  db.close();

  const s = new JobStore(dir, MODEL_ID);
  for (const id of [a, b]) assert.deepEqual(s.get(id)!.context, new Uint8Array(0));
  assert.deepEqual(s.request(a), { input: { input: [1, 2] }, context: new Uint8Array(0) });
  const key = { scope: ANONYMOUS_SCOPE, key: 'key-a' };
  assert.equal(s.byIdempotencyKey(key, { input: [1, 2] })!.id, a, 'a retry across the upgrade (no context) finds its job');
  assert.throws(() => s.byIdempotencyKey(key, { input: [1, 2] }, enc('x')), IdempotencyMismatch, 'the same key with a context is another request');
  s.insert(c, { input: [4] }, undefined, enc('new'));
  s.close();

  const raw = new Database(path.join(dir, 'jobs.sqlite'), { readonly: true });
  assert.equal((raw.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string }).value, '5');
  assert.ok((raw.prepare('PRAGMA table_info(jobs)').all() as { name: string }[]).some((col) => col.name === 'context'));
  raw.close();
  const again = new JobStore(dir, MODEL_ID);
  assert.deepEqual(again.get(c)!.context, enc('new'), 'a context survives the reopen');
  assert.deepEqual(again.requeueUnfinished(), [a, c]);
  again.close();
});
