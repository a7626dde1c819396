/**
 * Beyond one machine: `zkinfer serve --redis` with two `zkinfer worker` processes on a real Redis
 * server. Every job is proved by one of the workers (both take part) for the job's context, every
 * receipt verifies for its input and context, and a worker that returns a receipt that does not
 * prove the job's input for the job's context (a valid receipt replayed from another input, one
 * made for another context or for none) gets the job failed, never stored as done. A worker killed with
 * kill -9 mid-proof loses its job to the other worker once its lock lapses (short `--lock-ms`
 * and `--stall-check-ms` here), and `/v1/health` counts the live workers (2, then 1). A healthy
 * worker whose proof outlasts many lock periods keeps its job.
 * Redis: $ZKINFER_TEST_REDIS (CI starts Debian's redis-server), else a redis-server this test
 * starts on a free port; skipped with a message when neither exists.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { commitModel } from '../../src/prover/commit.js';
import { prove } from '../../src/prover/prove.js';
import { queueName, runRemoteWorker } from '../../src/service/redis.js';
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

function startWorker(zkm: string, redis: string, name: string, extra: string[] = []): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, 'worker', '--redis', redis, zkm, '--concurrency', '1', '--name', name, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
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

/** Resolves with the first line of `child`'s stderr that matches `re` (bounded by the test's timeout). */
function lineOf(child: ChildProcess, re: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve) => {
    let buf = '';
    const on = (d: Buffer) => {
      buf += d.toString();
      const m = re.exec(buf);
      if (m) {
        child.stderr!.off('data', on);
        resolve(m);
      }
    };
    child.stderr!.on('data', on);
  });
}

/** Polls `f` until it returns true; fails after `timeoutMs` (a generous bound, not a measurement). */
async function eventually(what: string, f: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const exited = (c: ChildProcess) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(0) : c.once('exit', r)));

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

  test('two worker processes prove the jobs, each for its context; every receipt verifies', { timeout: 180_000 }, async () => {
    const workers = await Promise.all([startWorker(zkm, url, 'worker-A'), startWorker(zkm, url, 'worker-B')]);
    try {
      const health = await getJson(`${srv.url}/v1/health`);
      assert.equal(health.body.backend, 'redis');
      const ids: string[] = [];
      // every other job with a context (text, or raw bytes), the rest with none
      const contextOf = (k: number) => (k % 4 === 0 ? `job ${k}` : k % 4 === 2 ? Uint8Array.of(0xff, k) : undefined);
      for (const [k, input] of m.inputs.entries()) {
        const c = contextOf(k);
        const r = await postInfer(srv.url, { input, ...(typeof c === 'string' ? { context: c } : c ? { contextHex: Buffer.from(c).toString('hex') } : {}) });
        assert.equal(r.status, 202, JSON.stringify(r.body));
        ids.push(String(r.body.jobId));
      }
      const by = new Map<string, number>();
      for (const [k, id] of ids.entries()) {
        const done = await waitDone(srv.url, id, 120_000);
        assert.equal(done.status, 'done', String(done.error));
        by.set(String(done.worker), (by.get(String(done.worker)) ?? 0) + 1);
        const bin = new Uint8Array(await (await fetch(`${srv.url}/v1/jobs/${id}/receipt`)).arrayBuffer());
        const v = verifyReceipt(bin, srv.modelId, m.inputs[k], { context: contextOf(k) ?? '' });
        assert.ok(v.ok, v.ok ? '' : v.error.message);
      }
      assert.deepEqual([...by.keys()].sort(), ['worker-A', 'worker-B'], `jobs per worker: ${JSON.stringify([...by])}`);
    } finally {
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(0) : w.once('exit', r)))));
    }
  });

  test('a worker that returns a receipt for another input or another context gets the job failed, not done', { timeout: 60_000 }, async () => {
    const cm = commitModel(m.model);
    const input = m.inputs[5];
    // per job context (what the evil worker sees in the job's data): the receipt it returns
    const lies: [string, Uint8Array, RegExp][] = [
      ['for another input', prove(cm, m.inputs[0], { context: 'for another input' }).receipt, /receipt does not verify: InputMismatch/],
      ['for another context', prove(cm, input, { context: 'someone else’s job' }).receipt, /receipt does not verify: ContextMismatch: the receipt was made for "someone else’s job", not the expected "for another context"/],
      ['for no context', prove(cm, input).receipt, /receipt does not verify: ContextMismatch: the receipt was made for the empty context, not the expected "for no context"/],
    ];
    const byContext = new Map(lies.map(([c, receipt]) => [Buffer.from(c).toString('hex'), receipt]));
    const conn = new Redis(url, { maxRetriesPerRequest: null });
    const evilConn = new Redis(url, { maxRetriesPerRequest: null });
    const evil = new Worker<{ contextHex: string }>(
      queueName(srv.modelId),
      async (job) => {
        await conn.set(`zkinfer:receipt:${srv.modelId}:${job.id}`, Buffer.from(byContext.get(job.data.contextHex)!));
        return { output: [], timings: {}, worker: 'evil' };
      },
      { connection: evilConn },
    );
    try {
      for (const [context, , error] of lies) {
        const r = await postInfer(srv.url, { input, context });
        const done = await waitDone(srv.url, String(r.body.jobId), 30_000);
        assert.equal(done.status, 'failed', context);
        assert.match(String(done.error), error);
        assert.equal((await fetch(`${srv.url}/v1/jobs/${String(r.body.jobId)}/receipt`)).status, 404);
      }
    } finally {
      await evil.close();
      conn.disconnect();
      evilConn.disconnect();
    }
  });

  test('kill -9 a worker mid-proof: the other worker takes its job over; health counts 2, then 1', { timeout: 180_000 }, async () => {
    // short intervals so that the takeover is quick; the waits below are generous upper bounds, the
    // one for the takeover 10 × (lock + 2 × stall check): far below the 120 s lock workers had
    const [lockMs, stallCheckMs] = [2000, 500];
    const flags = ['--lock-ms', String(lockMs), '--stall-check-ms', String(stallCheckMs)];
    const takeoverBoundMs = 10 * (lockMs + 2 * stallCheckMs);
    const c = new Redis(url, { maxRetriesPerRequest: null });
    const queue = new Queue(queueName(srv.modelId), { connection: c });
    const ec = new Redis(url, { maxRetriesPerRequest: null });
    const events = new QueueEvents(queueName(srv.modelId), { connection: ec });
    const firstStall = new Promise<string>((resolve) => events.once('stalled', ({ jobId }) => resolve(jobId)));
    await events.waitUntilReady();
    // hold the jobs until both workers are up, so that the victim is busy with a backlog behind it
    await queue.pause();
    // one stall check per interval across all workers: the key that says so may still hold the
    // 30 s interval of the bare BullMQ worker in the test before
    await c.del(`bull:${queueName(srv.modelId)}:stalled-check`);
    const ids: string[] = [];
    for (const input of m.inputs) ids.push(String((await postInfer(srv.url, { input })).body.jobId));
    const [victim, survivor] = await Promise.all([startWorker(zkm, url, 'victim', flags), startWorker(zkm, url, 'survivor', flags)]);
    try {
      await eventually('health counts 2 workers', async () => (await getJson(`${srv.url}/v1/health`)).body.workers === 2);
      const proving = lineOf(victim, /job ([0-9a-f-]{36}): proving/);
      await queue.resume();
      const [, held] = await proving;
      victim.kill('SIGKILL'); // it holds a job: this one, or (had it just finished it) the next of the backlog
      const killedAt = Date.now();
      await exited(victim);
      await eventually('health counts 1 worker', async () => (await getJson(`${srv.url}/v1/health`)).body.workers === 1);

      let timer: NodeJS.Timeout | undefined;
      const jobId = await Promise.race([firstStall, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no stalled job ${takeoverBoundMs} ms after kill -9`)), takeoverBoundMs)))]);
      clearTimeout(timer);
      console.log(`# job ${jobId} (the victim logged ${held}) back in the queue ${Date.now() - killedAt} ms after kill -9 (lock ${lockMs} ms, stall check ${stallCheckMs} ms)`);
      for (const [k, id] of ids.entries()) {
        const done = await waitDone(srv.url, id, 120_000);
        assert.equal(done.status, 'done', String(done.error));
        const bin = new Uint8Array(await (await fetch(`${srv.url}/v1/jobs/${id}/receipt`)).arrayBuffer());
        assert.ok(verifyReceipt(bin, srv.modelId, m.inputs[k]).ok);
      }
      const taken = (await getJson(`${srv.url}/v1/jobs/${jobId}?receipt=false`)).body;
      assert.equal(taken.worker, 'survivor', 'the stalled job was proved by the other worker');
      assert.ok(Number(taken.attempts) >= 2, `attempts: ${String(taken.attempts)}`);
      const metrics = await (await fetch(`${srv.url}/metrics`)).text();
      assert.ok(Number(/^zkinfer_jobs_requeued_total (\d+)$/m.exec(metrics)![1]) >= 1, 'the node saw the job go back to the queue');
      assert.match(metrics, /^zkinfer_workers 1$/m);
    } finally {
      await queue.resume().catch(() => {});
      for (const w of [victim, survivor]) if (w.exitCode === null && w.signalCode === null) w.kill('SIGTERM');
      await Promise.all([victim, survivor].map(exited));
      await events.close();
      await queue.close();
      c.disconnect();
      ec.disconnect();
    }
  });

  test('a healthy worker keeps its lock through a proof many lock periods long', { timeout: 60_000 }, async () => {
    // proofs of this model take milliseconds, so the prover here holds its result until the
    // worker has renewed its lock 6 times (3 lock periods) while another worker looks for stalls
    const input = m.inputs[3];
    const res = prove(commitModel(m.model), input);
    const proved = { output: res.outputs.map((o) => ({ name: o.name, dims: o.dims, values: Array.from(o.values) })), receipt: res.receipt, timings: { ...res.timings } };
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const takenBy: string[] = [];
    const prover = (name: string) => ({
      modelId: srv.modelId,
      async prove() {
        takenBy.push(name);
        await held;
        return proved;
      },
      async close() {},
    });
    const opts = { redisUrl: url, concurrency: 1, lockMs: 1000, stallCheckMs: 200 };
    const workers = [await runRemoteWorker({ ...opts, prover: prover('held-A'), name: 'held-A' }), await runRemoteWorker({ ...opts, prover: prover('held-B'), name: 'held-B' })];
    const ec = new Redis(url, { maxRetriesPerRequest: null });
    const events = new QueueEvents(queueName(srv.modelId), { connection: ec });
    const stalls: string[] = [];
    events.on('stalled', ({ jobId }) => stalls.push(jobId));
    await events.waitUntilReady();
    let renewals = 0;
    const renewed = new Promise<void>((resolve) => {
      for (const w of workers) w.queueWorker.on('locksRenewed', ({ count }) => (renewals += count) >= 6 && resolve());
    });
    try {
      const r = await postInfer(srv.url, { input });
      assert.equal(r.status, 202);
      await renewed;
      release();
      const done = await waitDone(srv.url, String(r.body.jobId), 30_000);
      assert.equal(done.status, 'done', String(done.error));
      assert.deepEqual(stalls, [], 'no stall was detected');
      assert.equal(takenBy.length, 1, `proved once, by ${takenBy.join(', ')}`);
      assert.equal(done.worker, takenBy[0]);
      assert.equal(done.attempts, 1);
    } finally {
      release();
      await Promise.all(workers.map((w) => w.close()));
      await events.close();
      ec.disconnect();
    }
  });
});
