/**
 * Idempotency keys are scoped and bound to the request: the same key with another body (another
 * input, or another context) is refused (422) without revealing the first job; the same key with
 * the same request (flat, nested or `input_data`; the context as text or hex) is the same job;
 * the same key under another `Authorization` is another key, so a client never gets someone
 * else's job. Keys and headers never reach the disk in the clear, and a schema-2 data directory
 * (raw, global keys) is migrated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { buildApp } from '../../src/service/app.js';
import { ANONYMOUS_SCOPE, idempotencyScope } from '../../src/service/idempotency.js';
import { JobService, type Backend } from '../../src/service/jobs.js';
import { IdempotencyMismatch, JobStore } from '../../src/service/store.js';
import { tempDir, testModel } from './helpers.js';

const MODEL_ID = 'ab'.repeat(32);
const jobId = (c: string) => `${c}0000000-0000-0000-0000-000000000000`;

/** Accepts jobs and never proves them: what is queued is exactly what was accepted. */
class HoldingBackend implements Backend {
  readonly kind = 'local' as const;
  readonly threads = 1;
  readonly ids: string[] = [];
  async start() {}
  async enqueue(id: string) {
    this.ids.push(id);
  }
  async stop() {}
}

async function node() {
  const m = testModel('mlp-tiny');
  const backend = new HoldingBackend();
  const store = new JobStore(':memory:', MODEL_ID);
  const svc = new JobService(store, backend, { modelId: MODEL_ID, maxQueue: 64 });
  await svc.start();
  const app = buildApp(svc, { model: m.model, info: {}, maxBodyBytes: 1 << 20, maxWaitMs: 100 });
  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const res = await app.request('/v1/infer', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
  return { m, backend, store, svc, app, post };
}

/** Every file of a data directory, concatenated: where a secret must not appear. */
function dataBytes(dir: string): string {
  const files = fs.readdirSync(dir).filter((f) => f.startsWith('jobs.sqlite'));
  return Buffer.concat(files.map((f) => fs.readFileSync(path.join(dir, f)))).toString('latin1');
}

test('the same key with a different body: 422, and nothing about the first job', async () => {
  const { m, backend, svc, post } = await node();
  const key = { 'idempotency-key': 'guessable-1' };
  const first = await post({ input: m.inputs[0] }, key);
  assert.equal(first.status, 202);
  const firstId = String((JSON.parse(first.text) as { jobId: string }).jobId);

  const other = await post({ input: m.inputs[1] }, key);
  assert.equal(other.status, 422, other.text);
  assert.deepEqual(Object.keys(JSON.parse(other.text) as object), ['error'], 'only the error, no job');
  assert.match(other.text, /Idempotency-Key was already used for a different request/);
  assert.ok(!other.text.includes(firstId) && !other.text.includes(firstId.slice(0, 8)), 'the first job ID is not revealed');
  assert.ok(!other.text.includes(String(m.inputs[0].input[0])), 'the first input is not revealed');
  assert.equal(other.headers.get('location'), null);
  assert.deepEqual(backend.ids, [firstId], 'nothing was enqueued');
  assert.equal(svc.metrics.rejectedInvalid, 1);
  assert.equal((await post({ input: m.inputs[2] }, key)).status, 422);
  assert.equal((await post({ input: m.inputs[2] }, { ...key, 'x-anything': '1' })).status, 422);
  await svc.stop(0);
});

test('the same key with the same request (flat, nested or input_data): the same job', async () => {
  const { m, backend, svc, post } = await node();
  const key = { 'idempotency-key': 'retry-me' };
  const flat = m.inputs[0].input;
  const a = await post({ input: { input: flat } }, key);
  assert.equal(a.status, 202);
  const id = (JSON.parse(a.text) as { jobId: string }).jobId;
  for (const body of [{ input: { input: flat } }, { input: { input: [flat] } }, { input: { input_data: [flat] } }]) {
    const b = await post(body, key);
    assert.equal(b.status, 200, b.text);
    assert.deepEqual(JSON.parse(b.text), { jobId: id, status: 'queued', created: false });
    assert.equal(b.headers.get('location'), `/v1/jobs/${id}`);
  }
  // numbers compare by value: 0.5 and 5e-1 are the same request
  const written = `{"input": {"input": [${flat.map((v) => v.toExponential()).join(', ')}]}}`;
  assert.ok(written.includes('e-1'));
  const r = await post(written, key);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(backend.ids, [id]);
  await svc.stop(0);
});

test('the context is part of the request: the same key with another context is 422; context and contextHex of the same bytes are one request', async () => {
  const { m, backend, svc, post } = await node();
  const key = { 'idempotency-key': 'ctx-key' };
  const flat = m.inputs[0].input;
  const first = await post({ input: { input: flat }, context: 'job-1' }, key);
  assert.equal(first.status, 202, first.text);
  const id = (JSON.parse(first.text) as { jobId: string }).jobId;
  for (const other of [{ context: 'job-2' }, {}, { context: '' }, { contextHex: '6a6f622d31ff' }]) {
    const r = await post({ input: { input: flat }, ...other }, key);
    assert.equal(r.status, 422, `${JSON.stringify(other)}: ${r.text}`);
    assert.ok(!r.text.includes(id) && !r.text.includes('job-1'), 'nothing about the first request');
  }
  for (const same of [{ input: { input: flat }, contextHex: '6a6f622d31' }, { input: { input: [flat] }, context: 'job-1' }, { input: { input_data: [flat] }, contextHex: '0x6A6F622D31' }]) {
    const r = await post(same, key);
    assert.equal(r.status, 200, r.text);
    assert.equal((JSON.parse(r.text) as { jobId: string }).jobId, id);
  }
  // no context and the empty context are the same request
  const none = await post({ input: { input: flat } }, { 'idempotency-key': 'no-ctx' });
  assert.equal(none.status, 202);
  const empty = await post({ input: { input: flat }, context: '' }, { 'idempotency-key': 'no-ctx' });
  assert.equal(empty.status, 200, empty.text);
  assert.equal((JSON.parse(empty.text) as { jobId: string }).jobId, (JSON.parse(none.text) as { jobId: string }).jobId);
  assert.equal(backend.ids.length, 2);
  assert.equal(svc.metrics.rejectedInvalid, 4);
  await svc.stop(0);
});

test('keys are scoped by Authorization: another client with the same key and body gets its own job', async () => {
  const { m, backend, svc, post } = await node();
  const body = { input: m.inputs[0] };
  const as = (auth?: string) => ({ 'idempotency-key': 'shared-key', ...(auth ? { authorization: auth } : {}) });
  const idOf = (r: { text: string }) => (JSON.parse(r.text) as { jobId: string }).jobId;

  const alice = await post(body, as('Bearer alice-token'));
  assert.equal(alice.status, 202);
  const bob = await post(body, as('Bearer bob-token'));
  assert.equal(bob.status, 202, 'a new job, not alice’s');
  assert.notEqual(idOf(bob), idOf(alice));
  const anon = await post(body, as());
  assert.equal(anon.status, 202);
  assert.ok(![idOf(alice), idOf(bob)].includes(idOf(anon)), 'the anonymous scope sees neither');
  // retries stay within their scope
  assert.equal(idOf(await post(body, as('Bearer bob-token'))), idOf(bob));
  assert.equal(idOf(await post(body, as('Bearer alice-token'))), idOf(alice));
  assert.equal(idOf(await post(body, as())), idOf(anon));
  // a mismatch in one scope says nothing of the others
  const wrong = await post({ input: m.inputs[1] }, as('Bearer bob-token'));
  assert.equal(wrong.status, 422);
  for (const id of [idOf(alice), idOf(bob), idOf(anon)]) assert.ok(!wrong.text.includes(id));
  // a fresh scope with a key another scope used for another body is simply a new job
  assert.equal((await post({ input: m.inputs[1] }, as('Bearer carol-token'))).status, 202);
  assert.equal(backend.ids.length, 4);
  await svc.stop(0);
});

test('the store: mismatch is refused inside the insert transaction too, and scopes are separate', () => {
  const s = new JobStore(':memory:', MODEL_ID);
  const k = { scope: ANONYMOUS_SCOPE, key: 'k' };
  const a = s.insert(jobId('a'), { input: [1] }, k);
  assert.equal(a.created, true);
  assert.throws(() => s.insert(jobId('b'), { input: [2] }, k), (e: Error) => e instanceof IdempotencyMismatch && !e.message.includes(jobId('a')));
  assert.equal(s.get(jobId('b')), undefined, 'no second job');
  const again = s.insert(jobId('c'), { input: [1] }, k);
  assert.deepEqual([again.created, again.job.id], [false, jobId('a')]);
  assert.deepEqual(s.request(jobId('a')), { input: { input: [1] }, context: new Uint8Array(0) });
  const other = s.insert(jobId('d'), { input: [1] }, { scope: idempotencyScope('Bearer x'), key: 'k' });
  assert.deepEqual([other.created, other.job.id], [true, jobId('d')]);
  // key order of the input does not matter; its values do
  const two = { scope: ANONYMOUS_SCOPE, key: 'two-inputs' };
  s.insert(jobId('e'), { a: [1], b: [2] }, two);
  assert.equal(s.byIdempotencyKey(two, { b: [2], a: [1] })!.id, jobId('e'));
  assert.throws(() => s.byIdempotencyKey(two, { a: [2], b: [1] }), IdempotencyMismatch);
  s.close();
});

test('neither the key nor the Authorization header is stored in the clear', () => {
  const dir = tempDir('idem-disk');
  const s = new JobStore(dir, MODEL_ID);
  s.insert(jobId('a'), { input: [1] }, { scope: idempotencyScope('Bearer sk-live-0123456789abcdef'), key: 'client-key-31337' });
  s.close();
  const bytes = dataBytes(dir);
  assert.ok(bytes.includes(jobId('a')), '(the job is there)');
  for (const secret of ['sk-live-0123456789abcdef', 'client-key-31337']) assert.ok(!bytes.includes(secret), `${secret} is on disk`);
});

test('a schema-2 store (raw, global keys) is migrated: keys hashed into the anonymous scope, bound to their input', async () => {
  const dir = tempDir('idem-v2');
  const db = new Database(path.join(dir, 'jobs.sqlite'));
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, idem_key TEXT UNIQUE,
      status TEXT NOT NULL CHECK (status IN ('queued', 'proving', 'done', 'failed')), input TEXT NOT NULL, output TEXT,
      receipt_file TEXT, receipt_bytes INTEGER, error TEXT, attempts INTEGER NOT NULL DEFAULT 0, worker TEXT,
      created_ms INTEGER NOT NULL, started_ms INTEGER, finished_ms INTEGER, timings TEXT);
    CREATE INDEX jobs_by_status ON jobs (status, seq);
    CREATE INDEX jobs_by_finish ON jobs (finished_ms) WHERE status IN ('done', 'failed');`);
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?), (?, ?)').run('model_id', MODEL_ID, 'schema', '2');
  const ins = db.prepare('INSERT INTO jobs (id, idem_key, status, input, output, created_ms, finished_ms) VALUES (?, ?, ?, ?, ?, ?, ?)');
  ins.run(jobId('1'), 'old-secret-key-1', 'failed', '{"input":[1,2]}', null, 1, 2);
  ins.run(jobId('2'), null, 'queued', '{"input":[3]}', null, 3, null);
  ins.run(jobId('3'), 'old-secret-key-2', 'queued', '{"input":[4]}', null, 4, null);
  db.close();
  assert.ok(dataBytes(dir).includes('old-secret-key-1'), '(the old store holds the raw key)');

  const s = new JobStore(dir, MODEL_ID);
  const anon = (key: string) => ({ scope: ANONYMOUS_SCOPE, key });
  assert.equal(s.byIdempotencyKey(anon('old-secret-key-1'), { input: [1, 2] })!.id, jobId('1'), 'a retry across the upgrade finds its job');
  assert.throws(() => s.byIdempotencyKey(anon('old-secret-key-1'), { input: [9, 9] }), IdempotencyMismatch);
  assert.equal(s.byIdempotencyKey({ scope: idempotencyScope('Bearer someone'), key: 'old-secret-key-2' }, { input: [4] }), undefined, 'not visible in another scope');
  assert.equal(s.insert(jobId('4'), { input: [4] }, anon('old-secret-key-2')).job.id, jobId('3'));
  assert.deepEqual(s.requeueUnfinished(), [jobId('2'), jobId('3')]);
  s.close();

  const raw = new Database(path.join(dir, 'jobs.sqlite'), { readonly: true });
  assert.equal((raw.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string }).value, '5', 'migrated through schemas 3 and 4 to the current one');
  const cols = (raw.prepare('PRAGMA table_info(jobs)').all() as { name: string }[]).map((c) => c.name);
  assert.ok(cols.includes('idem_hash') && cols.includes('request_hash') && !cols.includes('idem_key'), cols.join());
  const hashes = raw.prepare('SELECT idem_hash FROM jobs WHERE idem_hash IS NOT NULL').all() as { idem_hash: string }[];
  assert.equal(hashes.length, 2);
  assert.ok(hashes.every((h) => /^[0-9a-f]{64}$/.test(h.idem_hash)));
  raw.close();
  const bytes = dataBytes(dir);
  for (const secret of ['old-secret-key-1', 'old-secret-key-2']) assert.ok(!bytes.includes(secret), `${secret} is still in the data directory`);
});
