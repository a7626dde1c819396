/**
 * Beyond one machine: `zkinfer serve --redis` with two `zkinfer worker` processes on a real Redis
 * server. Every job is proved by one of the workers (both take part), every receipt verifies,
 * and a worker that returns a receipt that does not prove the job's input (here: a valid receipt
 * replayed from another input) gets the job failed, never stored as done.
 * Redis: $ZKINFER_TEST_REDIS (CI starts Debian's redis-server), else a redis-server this test
 * starts on a free port; skipped with a message when neither exists.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { commitModel } from '../../src/prover/commit.js';
import { prove } from '../../src/prover/prove.js';
import { queueName } from '../../src/service/redis.js';
import { startServer, type RunningServer } from '../../src/service/server.js';
import { verifyReceipt } from '../../src/verifier/verify.js';
import { CLI, getJson, postInfer, tempDir, testModel, waitDone } from './helpers.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function findRedis(): Promise<{ url: string; stop: () => void } | string> {
  if (process.env.ZKINFER_TEST_REDIS) return { url: process.env.ZKINFER_TEST_REDIS, stop: () => {} };
  if (spawnSync('redis-server', ['--version']).status !== 0) return 'no Redis: set ZKINFER_TEST_REDIS or install redis-server (bash .ci/run does)';
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((r) => {
      const c = net.connect(port, '127.0.0.1', () => (c.end(), r(true))).on('error', () => r(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, stop: () => child.kill() };
}

function startWorker(zkm: string, redis: string, name: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, 'worker', '--redis', redis, zkm, '--concurrency', '1', '--name', name], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${name} did not start: ${err}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('"ready"')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`worker ${name} exited (${code}): ${err}`)));
  });
}

const redis = await findRedis();

describe('prover node with Redis workers', { skip: typeof redis === 'string' ? redis : false }, () => {
  const m = testModel('cnn-tiny', 16);
  let url: string;
  let srv: RunningServer;
  let zkm: string;
  before(async () => {
    url = (redis as { url: string }).url;
    const dir = tempDir('redis');
    zkm = path.join(dir, 'model.zkm');
    fs.writeFileSync(zkm, m.bytes);
    srv = await startServer({ modelBytes: m.bytes, dataDir: path.join(dir, 'data'), port: 0, redis: url });
    const c = new Redis(url, { maxRetriesPerRequest: null });
    const q = new Queue(queueName(srv.modelId), { connection: c });
    await q.obliterate({ force: true }); // leftovers of earlier runs
    await q.close();
    c.disconnect();
  });
  after(async () => {
    await srv?.close(1000);
    (redis as { stop: () => void }).stop?.();
  });

  test('two worker processes prove the jobs; every receipt verifies', { timeout: 180_000 }, async () => {
    const workers = await Promise.all([startWorker(zkm, url, 'worker-A'), startWorker(zkm, url, 'worker-B')]);
    try {
      const health = await getJson(`${srv.url}/v1/health`);
      assert.equal(health.body.backend, 'redis');
      const ids: string[] = [];
      for (const input of m.inputs) {
        const r = await postInfer(srv.url, { input });
        assert.equal(r.status, 202, JSON.stringify(r.body));
        ids.push(String(r.body.jobId));
      }
      const by = new Map<string, number>();
      for (const [k, id] of ids.entries()) {
        const done = await waitDone(srv.url, id, 120_000);
        assert.equal(done.status, 'done', String(done.error));
        by.set(String(done.worker), (by.get(String(done.worker)) ?? 0) + 1);
        const bin = new Uint8Array(await (await fetch(`${srv.url}/v1/jobs/${id}/receipt`)).arrayBuffer());
        const v = verifyReceipt(bin, srv.modelId, m.inputs[k]);
        assert.ok(v.ok, v.ok ? '' : v.error.message);
      }
      assert.deepEqual([...by.keys()].sort(), ['worker-A', 'worker-B'], `jobs per worker: ${JSON.stringify([...by])}`);
    } finally {
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(0) : w.once('exit', r)))));
    }
  });

  test('a worker that returns a receipt for another input gets the job failed, not done', { timeout: 60_000 }, async () => {
    const cm = commitModel(m.model);
    const replayed = prove(cm, m.inputs[0]).receipt;
    const conn = new Redis(url, { maxRetriesPerRequest: null });
    const evilConn = new Redis(url, { maxRetriesPerRequest: null });
    const evil = new Worker(
      queueName(srv.modelId),
      async (job) => {
        await conn.set(`zkinfer:receipt:${srv.modelId}:${job.id}`, Buffer.from(replayed));
        return { output: [], timings: {}, worker: 'evil' };
      },
      { connection: evilConn },
    );
    try {
      const r = await postInfer(srv.url, { input: m.inputs[5] });
      const done = await waitDone(srv.url, String(r.body.jobId), 30_000);
      assert.equal(done.status, 'failed');
      assert.match(String(done.error), /receipt does not verify: InputMismatch/);
      assert.equal((await fetch(`${srv.url}/v1/jobs/${String(r.body.jobId)}/receipt`)).status, 404);
    } finally {
      await evil.close();
      conn.disconnect();
      evilConn.disconnect();
    }
  });
});
