/**
 * Receipt files in the job store: the file is written off the event loop, then the job row names
 * it; nothing a duplicate result, a crash or a damaged data directory does can make the node
 * serve a receipt other than the one recorded, or crash it. Also: a schema-1 store (receipts as
 * BLOBs) is migrated, retention deletes only finished jobs past their time, and the proving
 * threads run below the HTTP thread's priority (Linux).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { buildApp } from '../../src/service/app.js';
import { JobService, type Backend } from '../../src/service/jobs.js';
import { ANONYMOUS_SCOPE } from '../../src/service/idempotency.js';
import { JobStore, StoreError } from '../../src/service/store.js';
import { CLI, tempDir, testModel } from './helpers.js';

const MODEL_ID = 'ab'.repeat(32);
const OUT = [{ name: 'y', dims: [1], values: [3] }];
const jobId = (c: string) => `${c}0000000-0000-0000-0000-000000000000`;
const receiptFiles = (dir: string) => fs.readdirSync(path.join(dir, 'receipts')).sort();

test('a receipt is recorded and served, and never replaced by a duplicate result', async () => {
  const dir = tempDir('rcpt');
  const s = new JobStore(dir, MODEL_ID);
  const id = jobId('a');
  s.insert(id, { x: [1] });
  assert.ok(await s.finish(id, OUT, new Uint8Array([1, 2, 3, 4]), { totalMs: 1 }));
  assert.equal(s.get(id)!.receiptBytes, 4);
  assert.deepEqual(Array.from((await s.receipt(id))!), [1, 2, 3, 4]);
  const files = receiptFiles(dir);
  assert.equal(files.length, 1);
  assert.equal(await s.finish(id, OUT, new Uint8Array([9, 9]), {}), false, 'a later result for a finished job is refused');
  assert.deepEqual(receiptFiles(dir), files, 'and writes nothing');
  assert.deepEqual(Array.from((await s.receipt(id))!), [1, 2, 3, 4]);

  // two results racing for one job: both files are written, one row update wins, the loser's file goes
  const id2 = jobId('b');
  s.insert(id2, { x: [2] });
  const won = await Promise.all([s.finish(id2, OUT, new Uint8Array([5]), {}), s.finish(id2, OUT, new Uint8Array([6, 6]), {})]);
  assert.deepEqual(won.filter(Boolean).length, 1);
  const kept = (await s.receipt(id2))!;
  assert.deepEqual(Array.from(kept), won[0] ? [5] : [6, 6]);
  assert.equal(receiptFiles(dir).length, 2, 'one file per finished job, nothing else');
  // a job that failed while its receipt was being written stays failed
  const id3 = jobId('c');
  s.insert(id3, { x: [3] });
  const pending = s.finish(id3, OUT, new Uint8Array([7]), {});
  assert.ok(s.fail(id3, 'cancelled'));
  assert.equal(await pending, false);
  assert.equal(s.get(id3)!.status, 'failed');
  assert.equal(await s.receipt(id3), undefined);
  assert.equal(receiptFiles(dir).length, 2);
  s.close();
});

test('a receipt that cannot be written leaves the job unfinished, and the service fails it with the reason', async () => {
  const dir = tempDir('rcpt-nowrite');
  const s = new JobStore(dir, MODEL_ID);
  const id = jobId('d');
  s.insert(id, { x: [1] });
  fs.rmSync(path.join(dir, 'receipts'), { recursive: true }); // as a full or broken disk would
  await assert.rejects(s.finish(id, OUT, new Uint8Array([1]), {}), /ENOENT/);
  assert.equal(s.get(id)!.status, 'queued');
  const svc = new JobService(s, new NoBackend(), { modelId: MODEL_ID, maxQueue: 8 });
  await svc.done(id, { output: OUT, receipt: new Uint8Array([1]), timings: {} });
  const job = s.get(id)!;
  assert.equal(job.status, 'failed');
  assert.match(job.error!, /the node could not store the receipt: .*ENOENT/);
  s.close();
});

test('a restart deletes half-written and unreferenced receipt files, and keeps the recorded ones', async () => {
  const dir = tempDir('rcpt-sweep');
  const s1 = new JobStore(dir, MODEL_ID);
  const [a, b] = [jobId('e'), jobId('f')];
  s1.insert(a, { x: [1] });
  s1.insert(b, { x: [2] });
  assert.ok(await s1.finish(a, OUT, new Uint8Array([4, 2]), {}));
  const kept = receiptFiles(dir);
  // the process died after writing b's receipt, before recording it … or while writing it
  fs.writeFileSync(path.join(dir, 'receipts', `${b}.0badc0de.zkr`), 'x');
  fs.writeFileSync(path.join(dir, 'receipts', `${b}.00000001.zkr.tmp`), 'half');
  fs.writeFileSync(path.join(dir, 'receipts', 'notes.txt'), 'not ours');
  s1.close();
  const s2 = new JobStore(dir, MODEL_ID);
  assert.deepEqual(receiptFiles(dir), [...kept, 'notes.txt'].sort());
  assert.deepEqual(Array.from((await s2.receipt(a))!), [4, 2]);
  assert.deepEqual(s2.requeueUnfinished(), [b]);
  s2.close();
});

class NoBackend implements Backend {
  readonly kind = 'local' as const;
  readonly threads = 1;
  async start() {}
  async enqueue() {}
  async stop() {}
}

test('a damaged data directory gives a clear 500, never a wrong or empty receipt', async () => {
  const m = testModel('mlp-tiny');
  const dir = tempDir('rcpt-damaged');
  const store = new JobStore(dir, MODEL_ID);
  const svc = new JobService(store, new NoBackend(), { modelId: MODEL_ID, maxQueue: 8 });
  await svc.start();
  const logs: string[] = [];
  const app = buildApp(svc, { model: m.model, info: {}, maxBodyBytes: 1 << 20, maxWaitMs: 100, log: (l) => logs.push(l) });
  const id = jobId('1');
  store.insert(id, { x: [1] });
  assert.ok(await store.finish(id, OUT, new Uint8Array(100).fill(7), {}));
  assert.equal((await app.request(`/v1/jobs/${id}/receipt`)).status, 200);
  const file = path.join(dir, 'receipts', receiptFiles(dir)[0]);

  fs.truncateSync(file, 60);
  await assert.rejects(store.receipt(id), (e: Error) => e instanceof StoreError && /has 60 bytes, the job store recorded 100: the data directory is damaged/.test(e.message));
  for (const url of [`/v1/jobs/${id}/receipt`, `/v1/jobs/${id}`]) {
    const res = await app.request(url);
    assert.equal(res.status, 500, url);
    assert.match(((await res.json()) as { error: string }).error, /data directory is damaged/);
  }
  fs.rmSync(file);
  const gone = await app.request(`/v1/jobs/${id}/receipt`);
  assert.equal(gone.status, 500);
  assert.match(((await gone.json()) as { error: string }).error, /cannot read the receipt of job .* \(ENOENT\)/);
  // the status without the receipt is still served, and so is everything else
  const view = await app.request(`/v1/jobs/${id}?receipt=false`);
  assert.equal(view.status, 200);
  assert.equal(((await view.json()) as { status: string }).status, 'done');
  assert.equal((await app.request('/v1/health')).status, 200);
  assert.ok(logs.some((l) => l.includes('data directory is damaged')), 'the damage is logged');
  store.close();
});

test('a schema-1 store (receipts as BLOBs) is migrated to receipt files on open', async () => {
  const dir = tempDir('rcpt-v1');
  const db = new Database(path.join(dir, 'jobs.sqlite'));
  db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, idem_key TEXT UNIQUE,
      status TEXT NOT NULL CHECK (status IN ('queued', 'proving', 'done', 'failed')), input TEXT NOT NULL, output TEXT,
      receipt BLOB, error TEXT, attempts INTEGER NOT NULL DEFAULT 0, worker TEXT, created_ms INTEGER NOT NULL,
      started_ms INTEGER, finished_ms INTEGER, timings TEXT);
    CREATE INDEX jobs_by_status ON jobs (status, seq);`);
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?), (?, ?)').run('model_id', MODEL_ID, 'schema', '1');
  const ins = db.prepare('INSERT INTO jobs (id, status, input, output, receipt, created_ms, finished_ms) VALUES (?, ?, ?, ?, ?, ?, ?)');
  ins.run(jobId('2'), 'done', '{"x":[1]}', JSON.stringify(OUT), Buffer.from([3, 1, 4, 1, 5]), 1, 2);
  ins.run(jobId('3'), 'queued', '{"x":[2]}', null, null, 3, null);
  db.close();

  const s = new JobStore(dir, MODEL_ID);
  assert.deepEqual(Array.from((await s.receipt(jobId('2')))!), [3, 1, 4, 1, 5]);
  assert.equal(s.get(jobId('2'))!.receiptBytes, 5);
  assert.deepEqual(s.requeueUnfinished(), [jobId('3')]);
  assert.equal(receiptFiles(dir).length, 1);
  s.close();
  const raw = new Database(path.join(dir, 'jobs.sqlite'), { readonly: true });
  assert.equal((raw.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string }).value, '5', 'migrated through schemas 2, 3 and 4 to the current one');
  assert.ok(!(raw.prepare('PRAGMA table_info(jobs)').all() as { name: string }[]).some((c) => c.name === 'receipt'), 'the BLOB column is gone');
  raw.close();
  // a store from a newer build is refused, not misread
  const db2 = new Database(path.join(dir, 'jobs.sqlite'));
  db2.prepare("UPDATE meta SET value = '9' WHERE key = 'schema'").run();
  db2.close();
  assert.throws(() => new JobStore(dir, MODEL_ID), /has schema version 9, this build uses 5/);
});

test('retention: jobs finished before the cutoff are deleted with their receipts; nothing else is', async () => {
  const dir = tempDir('rcpt-prune');
  let time = 1_000_000; // a virtual clock: "before the cutoff" never depends on how busy the machine is
  const s = new JobStore(dir, MODEL_ID, { now: () => time });
  const [old1, old2, recent, queued, proving] = ['5', '6', '7', '8', '9'].map(jobId);
  const key = (id: string) => ({ scope: ANONYMOUS_SCOPE, key: `key-${id}` });
  for (const id of [old1, old2, recent, queued, proving]) s.insert(id, { x: [1] }, key(id));
  assert.ok(await s.finish(old1, OUT, new Uint8Array([1]), {}));
  assert.ok(s.fail(old2, 'bad input'));
  s.markProving(proving, 'w');
  const cutoff = time + 1; // old1 and old2 finished before it
  time += 5;
  assert.ok(await s.finish(recent, OUT, new Uint8Array([2]), {}));
  assert.equal(receiptFiles(dir).length, 2);
  assert.equal(await s.prune(cutoff, 1), 1, 'at most `limit` per call');
  assert.equal(await s.prune(cutoff), 1);
  assert.equal(await s.prune(cutoff), 0);
  for (const id of [old1, old2]) assert.equal(s.get(id), undefined);
  assert.equal(s.byIdempotencyKey(key(old1), { x: [1] }), undefined, 'its idempotency key goes with it');
  assert.equal(s.byIdempotencyKey(key(old1), { x: [2] }), undefined, '(for any request)');
  assert.equal(s.get(recent)!.status, 'done');
  assert.deepEqual(Array.from((await s.receipt(recent))!), [2]);
  assert.deepEqual(receiptFiles(dir).length, 1, "the pruned job's receipt file is deleted");
  // unfinished jobs are never pruned, however old
  assert.equal(await s.prune(time + 3_600_000), 1);
  assert.deepEqual(s.unfinishedIds(), [queued, proving]);
  assert.deepEqual(receiptFiles(dir), []);
  s.close();
});

test('retention in the service: expired jobs disappear, a clear 404 says why, metrics count them', async () => {
  const m = testModel('mlp-tiny');
  let time = 1_000_000;
  const store = new JobStore(':memory:', MODEL_ID, { now: () => time });
  const svc = new JobService(store, new NoBackend(), { modelId: MODEL_ID, maxQueue: 8, retainMs: 3_600 });
  await svc.start();
  try {
    const app = buildApp(svc, { model: m.model, info: {}, maxBodyBytes: 1 << 20, maxWaitMs: 100 });
    const id = jobId('0');
    store.insert(id, { x: [1] });
    await svc.done(id, { output: OUT, receipt: new Uint8Array([1]), timings: {} });
    assert.equal((await app.request(`/v1/jobs/${id}`)).status, 200);
    time += 3_600;
    assert.equal(await svc.prune(), 0, 'not yet expired (it finished exactly retainMs ago)');
    time += 1;
    await svc.prune(); // (the service's own timer may have pruned it already)
    assert.equal(store.get(id), undefined);
    const gone = await app.request(`/v1/jobs/${id}`);
    assert.equal(gone.status, 404);
    assert.match(((await gone.json()) as { error: string }).error, /unknown job .* \(this node deletes jobs 0\.001 h after they finish\)/);
    assert.match(await (await app.request('/metrics')).text(), /zkinfer_jobs_pruned_total 1/);
  } finally {
    await svc.stop(0);
  }
});

/** Nice values of the threads of process `pid`, keyed by thread ID (Linux /proc). */
function threadNice(pid: number): Map<number, number> {
  const res = new Map<number, number>();
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      res.set(Number(t), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])); // field 19: nice
    } catch {
      /* the thread exited */
    }
  }
  return res;
}

test('serve --prover-nice: proving threads run below the HTTP thread (Linux)', { skip: process.platform !== 'linux' && 'thread priorities are per thread only on Linux', timeout: 60_000 }, async () => {
  const dir = tempDir('nice');
  const zkm = path.join(dir, 'model.zkm');
  fs.writeFileSync(zkm, testModel('mlp-tiny').bytes);
  const niceOf = async (extra: string[]): Promise<Map<number, number> & { pid: number }> => {
    const child = spawn(process.execPath, [CLI, 'serve', zkm, '--port', '0', '--data-dir', tempDir('nice-data'), '--workers', '2', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('"listening"')) resolve();
        });
        child.once('exit', (c) => reject(new Error(`server exited (${c})`)));
      });
      return Object.assign(threadNice(child.pid!), { pid: child.pid! });
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  };
  const low = await niceOf(['--prover-nice', '7']);
  assert.equal(low.get(low.pid), 0, 'the HTTP (main) thread keeps its priority');
  const lowered = [...low.entries()].filter(([t, n]) => t !== low.pid && n === 7).length;
  assert.ok(lowered >= 3, `2 proving threads and V8's helpers at nice 7, got ${JSON.stringify([...low])}`);
  const off = await niceOf(['--prover-nice', '0']);
  assert.ok([...off.values()].every((n) => n === 0), `--prover-nice 0 changes nothing, got ${JSON.stringify([...off])}`);
});
