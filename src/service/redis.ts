/**
 * Proving beyond one machine: jobs travel through BullMQ on a Redis server.
 *
 * - `RedisBackend` (in `zkinfer serve --redis URL`) adds each accepted job to the queue
 *   `zkinfer-<model ID>` with the job's own ID, follows BullMQ's queue events, and stores results
 *   in the service's job store. It trusts no worker: every receipt is verified (in a
 *   verifying thread) against the served model ID and the job's input before it is stored, and
 *   the stored output is the one the receipt proves. At start-up and every 30 s it reconciles
 *   unfinished jobs with Redis (re-adds jobs Redis lost, collects results whose events it missed).
 * - `runRemoteWorker` (`zkinfer worker --redis URL model.zkm`) commits the model, takes jobs
 *   only from its own model ID's queue (a worker with other weights never sees them), proves them
 *   in its own thread pool, and leaves each receipt under `zkinfer:receipt:<model ID>:<job ID>`
 *   (one day's expiry) rather than in BullMQ's event stream.
 * Bad-input failures are final (`UnrecoverableError`); other failures are retried up to 3 times.
 */
import os from 'node:os';
import { Job, Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Backend, JobHooks } from './jobs.js';
import { ProverPool, TaskError } from './pool.js';
import type { JobOutput } from './store.js';

export const queueName = (modelId: string) => `zkinfer-${modelId}`;
const receiptKey = (modelId: string, jobId: string) => `zkinfer:receipt:${modelId}:${jobId}`;
const ATTEMPTS = 3;
const RECONCILE_MS = 30_000;

interface JobData {
  input: Record<string, number[]>;
}
interface JobResult {
  output: JobOutput[];
  timings: Record<string, number>;
  worker: string;
}

/** Fails fast, with the reason, when Redis cannot be reached (BullMQ itself would retry forever). */
export async function checkRedis(url: string): Promise<void> {
  let c: Redis | undefined;
  let cause: Error | undefined;
  try {
    c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: 5000 });
    c.on('error', (e: Error) => (cause ??= e));
    await c.connect();
    await c.ping();
  } catch (e) {
    throw new Error(`cannot reach Redis at ${url}: ${(cause ?? (e as Error)).message}`);
  } finally {
    c?.disconnect();
  }
}

function connect(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
}

export class RedisBackend implements Backend {
  readonly kind = 'redis' as const;
  readonly threads = 0;
  private hooks!: JobHooks;
  private readonly conn: Redis;
  private readonly conns: Redis[];
  private readonly queue: Queue<JobData, JobResult>;
  private readonly events: QueueEvents;
  private timer?: NodeJS.Timeout;
  private readonly handling = new Set<string>();

  constructor(
    url: string,
    private readonly modelId: string,
    private readonly verifier: ProverPool,
    private readonly log: (msg: string) => void = () => {},
  ) {
    // BullMQ leaves connections it was given open: they are closed in stop()
    this.conns = [connect(url), connect(url), connect(url)];
    this.conn = this.conns[0];
    this.queue = new Queue<JobData, JobResult>(queueName(modelId), { connection: this.conns[1] });
    this.events = new QueueEvents(queueName(modelId), { connection: this.conns[2] });
  }

  async start(hooks: JobHooks, unfinished: string[]): Promise<void> {
    this.hooks = hooks;
    this.events.on('active', ({ jobId }) => void this.hooks.proving(jobId, 'remote'));
    this.events.on('progress', ({ jobId, data }) => {
      const d = data as { stage?: unknown; fraction?: unknown };
      if (typeof d?.stage === 'string' && typeof d.fraction === 'number') this.hooks.progress(jobId, d.stage, d.fraction);
    });
    this.events.on('completed', ({ jobId }) => void this.collect(jobId));
    this.events.on('failed', ({ jobId }) => void this.collect(jobId));
    await this.events.waitUntilReady();
    await this.queue.waitUntilReady();
    await this.reconcile(unfinished);
    this.timer = setInterval(() => void this.reconcile(), RECONCILE_MS);
  }

  async enqueue(id: string, input: Record<string, number[]>): Promise<void> {
    await this.queue.add('prove', { input }, { jobId: id, attempts: ATTEMPTS, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: { age: 86_400 }, removeOnFail: { age: 86_400 } });
  }

  /** Re-adds jobs Redis does not know and collects finished ones whose events were missed. */
  private async reconcile(ids?: string[]): Promise<void> {
    try {
      for (const id of ids ?? this.hooks.unfinished()) {
        const job = await Job.fromId<JobData, JobResult>(this.queue, id);
        if (!job) {
          const input = this.hooks.input(id);
          if (input) await this.enqueue(id, input);
        } else {
          const st = await job.getState();
          if (st === 'completed' || st === 'failed') await this.collect(id);
        }
      }
    } catch (e) {
      this.log(`reconciling with Redis failed (will retry): ${(e as Error).message}`);
    }
  }

  /** Takes a finished BullMQ job's result (or failure) into the store, verifying its receipt. */
  private async collect(id: string): Promise<void> {
    if (this.handling.has(id)) return;
    this.handling.add(id);
    try {
      const input = this.hooks.input(id);
      if (!input) return; // not ours or already finished
      const job = await Job.fromId<JobData, JobResult>(this.queue, id);
      if (!job) return;
      const st = await job.getState();
      if (st === 'failed') return this.hooks.failed(id, job.failedReason || 'the remote worker failed'); // final: retries are 'delayed'/'waiting'
      if (st !== 'completed') return;
      const key = receiptKey(this.modelId, id);
      const receipt = await this.conn.getBuffer(key);
      if (!receipt) return this.hooks.failed(id, `worker ${job.returnvalue?.worker ?? '?'} reported completion but left no receipt`);
      const bytes = new Uint8Array(receipt.buffer, receipt.byteOffset, receipt.byteLength);
      const v = await this.verifier.verify(bytes, this.modelId, input);
      if (!v.ok || !v.output) {
        this.log(`job ${id}: the receipt from worker ${job.returnvalue?.worker ?? '?'} does not verify (${v.error}); failing the job`);
        this.hooks.failed(id, `the remote worker's receipt does not verify: ${v.error}`);
      } else {
        await this.hooks.done(id, { output: v.output, receipt: bytes, timings: job.returnvalue?.timings ?? {} }, job.returnvalue?.worker);
      }
      await this.conn.del(key);
    } catch (e) {
      this.log(`collecting job ${id} failed (will retry): ${(e as Error).message}`);
    } finally {
      this.handling.delete(id);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    // remote proofs go on without us; their results are collected at the next start
    await Promise.allSettled([this.events.close(), this.queue.close()]);
    for (const c of this.conns) c.disconnect();
    await this.verifier.close();
  }
}

export interface RemoteWorker {
  modelId: string;
  name: string;
  close(): Promise<void>;
}

/** Runs a proving worker process that serves one model's queue. */
export async function runRemoteWorker(o: { redisUrl: string; modelBytes: Uint8Array; concurrency: number; name?: string; log?: (msg: string) => void }): Promise<RemoteWorker> {
  const log = o.log ?? (() => {});
  const name = o.name ?? `${os.hostname()}:${process.pid}`;
  await checkRedis(o.redisUrl);
  const pool = await ProverPool.start(o.modelBytes, o.concurrency);
  const modelId = pool.modelId;
  const conn = connect(o.redisUrl);
  const workerConn = connect(o.redisUrl);
  const worker = new Worker<JobData, JobResult>(
    queueName(modelId),
    async (job) => {
      const t0 = performance.now();
      try {
        const r = await pool.prove(job.data.input, { onProgress: (stage, fraction) => void job.updateProgress({ stage, fraction }).catch(() => {}) });
        await conn.set(receiptKey(modelId, job.id!), Buffer.from(r.receipt.buffer, r.receipt.byteOffset, r.receipt.byteLength), 'EX', 86_400);
        log(`job ${job.id}: proved in ${(performance.now() - t0).toFixed(0)} ms (${r.receipt.length} bytes)`);
        return { output: r.output, timings: r.timings, worker: name };
      } catch (e) {
        if (e instanceof TaskError && e.userError) throw new UnrecoverableError(`bad input: ${e.message}`);
        throw e;
      }
    },
    { connection: workerConn, concurrency: o.concurrency, lockDuration: 120_000 },
  );
  worker.on('error', (e) => log(`worker error: ${e.message}`));
  await worker.waitUntilReady();
  return {
    modelId,
    name,
    async close() {
      await worker.close();
      await pool.close();
      conn.disconnect();
      workerConn.disconnect();
    },
  };
}
