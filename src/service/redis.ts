/**
 * Proving beyond one machine: jobs travel through BullMQ on a Redis server.
 *
 * - `RedisBackend` (in `zkinfer serve --redis URL`) adds each accepted job to the queue
 *   `zkinfer-<model ID>` with the job's own ID, follows BullMQ's queue events, and stores results
 *   in the service's job store. It trusts no worker: every receipt is verified (in a
 *   verifying thread) against the served model ID, the job's input and the job's context before
 *   it is stored (a receipt for another input or context fails the job), and the stored output
 *   is the one the receipt proves. At start-up and every 30 s it reconciles
 *   unfinished jobs with Redis (re-adds jobs Redis lost, collects results whose events it missed).
 *   It counts the live workers of its queue for `/v1/health` (BullMQ's `getWorkers()`: the
 *   named blocking connection of each worker, gone from Redis' client list when the worker's
 *   process dies).
 * - `runRemoteWorker` (`zkinfer worker --redis URL model.zkm`) commits the model, takes jobs
 *   only from its own model ID's queue (a worker with other weights never sees them), proves them
 *   in its own thread pool, each bound to the job's context (`contextHex` in the job's data;
 *   absent, from a node older than contexts: the empty one), and leaves each receipt under
 *   `zkinfer:receipt:<model ID>:<job ID>` (one day's expiry) rather than in BullMQ's event stream.
 *
 * Stalls: a worker holds a lock on each job it proves, `lockMs` long (default 5 s), renewed every
 * `lockMs / 2` by its event loop. Every worker looks for jobs whose lock lapsed every
 * `stallCheckMs` (default 2.5 s, one look per interval across all workers) and puts them back
 * in the queue, so the job of a worker that died (kill -9, power loss) is proved elsewhere about
 * lockMs + 2 × stallCheckMs later. A healthy worker keeps its locks however long a proof takes:
 * proving runs in the pool's threads (niced below the event loop, Linux), never on the event
 * loop that renews them. A job that stalls more than twice fails, as a local job whose proving
 * thread died three times does.
 * Bad-input failures are final (`UnrecoverableError`); other failures are retried up to 3 times.
 */
import os from 'node:os';
import { Job, Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { contextBytes } from '../circuit/session.js';
import { fromHex, toHex } from '../util/bytes.js';
import type { Backend, JobHooks } from './jobs.js';
import { ProverPool, TaskError, type ProveOptions, type Proved } from './pool.js';
import { DEFAULT_PROVER_NICE, lowerOtherThreads } from './priority.js';
import type { JobOutput, JobRequest } from './store.js';
import { parseServedModel, ZK_REDIS_REFUSAL } from './model.js';

export const queueName = (modelId: string) => `zkinfer-${modelId}`;
const receiptKey = (modelId: string, jobId: string) => `zkinfer:receipt:${modelId}:${jobId}`;
const ATTEMPTS = 3;
const RECONCILE_MS = 30_000;
export const DEFAULT_LOCK_MS = 5_000;
export const DEFAULT_STALL_CHECK_MS = 2_500;
/** times a job may lose its worker (lapsed lock) and go back to the queue; the next time it fails */
const MAX_STALLS = 2;
/** `/v1/health` counts workers at most this often, and waits this long for Redis to answer */
const WORKERS_CACHE_MS = 1_000;
const WORKERS_TIMEOUT_MS = 2_000;

interface JobData {
  input: Record<string, number[]>;
  /** the context the receipt must be bound to, in hex; absent (a job from an older node): empty */
  contextHex?: string;
}

/** A job's context from its BullMQ data; bad data (not from a node) is refused, never guessed. */
function jobContext(d: JobData): Uint8Array {
  if (d.contextHex === undefined) return new Uint8Array(0);
  if (typeof d.contextHex !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(d.contextHex)) throw new UnrecoverableError('bad job data: contextHex is not lowercase hex');
  try {
    return contextBytes(fromHex(d.contextHex));
  } catch (e) {
    throw new UnrecoverableError(`bad job data: ${(e as Error).message}`);
  }
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
  private workerCount?: { at: number; n: Promise<number | undefined> };

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
    this.events.on('stalled', ({ jobId }) => {
      if (this.hooks.request(jobId)) this.hooks.requeued(jobId); // its worker died: another one takes it
    });
    this.events.on('completed', ({ jobId }) => void this.collect(jobId));
    this.events.on('failed', ({ jobId }) => void this.collect(jobId));
    await this.events.waitUntilReady();
    await this.queue.waitUntilReady();
    await this.reconcile(unfinished);
    this.timer = setInterval(() => void this.reconcile(), RECONCILE_MS);
  }

  async enqueue(id: string, req: JobRequest): Promise<void> {
    // private inputs need a zero-knowledge model, which Redis workers do not prove (ZK_REDIS_REFUSAL)
    if (req.private) throw new Error('private inputs are proved by local threads only, not through Redis workers');
    await this.queue.add('prove', { input: req.input, contextHex: toHex(req.context) }, { jobId: id, attempts: ATTEMPTS, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: { age: 86_400 }, removeOnFail: { age: 86_400 } });
  }

  /** Worker processes connected to this model's queue; undefined when Redis does not answer in time. */
  workers(): Promise<number | undefined> {
    const now = Date.now();
    if (this.workerCount && now - this.workerCount.at < WORKERS_CACHE_MS) return this.workerCount.n;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), WORKERS_TIMEOUT_MS)));
    const n = Promise.race([this.queue.getWorkersCount(), late])
      .catch(() => undefined)
      .finally(() => clearTimeout(timer));
    this.workerCount = { at: now, n };
    return n;
  }

  /** Re-adds jobs Redis does not know and collects finished ones whose events were missed. */
  private async reconcile(ids?: string[]): Promise<void> {
    try {
      for (const id of ids ?? this.hooks.unfinished()) {
        const job = await Job.fromId<JobData, JobResult>(this.queue, id);
        if (!job) {
          const req = this.hooks.request(id);
          if (req) await this.enqueue(id, req);
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
      const req = this.hooks.request(id);
      if (!req) return; // not ours or already finished
      const job = await Job.fromId<JobData, JobResult>(this.queue, id);
      if (!job) return;
      const st = await job.getState();
      if (st === 'failed') return this.hooks.failed(id, job.failedReason || 'the remote worker failed'); // final: retries are 'delayed'/'waiting'
      if (st !== 'completed') return;
      const key = receiptKey(this.modelId, id);
      const receipt = await this.conn.getBuffer(key);
      if (!receipt) return this.hooks.failed(id, `worker ${job.returnvalue?.worker ?? '?'} reported completion but left no receipt`);
      const bytes = new Uint8Array(receipt.buffer, receipt.byteOffset, receipt.byteLength);
      // the job's own input and context: a receipt made for anything else fails the job
      const v = await this.verifier.verify(bytes, this.modelId, req.input, req.context);
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
  /** the BullMQ worker (its events: `locksRenewed`, `stalled`, …) */
  readonly queueWorker: Worker<JobData, JobResult>;
  close(): Promise<void>;
}

/** What a worker proves with: a `ProverPool`, or a stand-in (tests). */
export interface Prover {
  readonly modelId: string;
  prove(input: Record<string, number[]>, o?: ProveOptions): Promise<Proved>;
  close(): Promise<void>;
}

export interface RemoteWorkerOptions {
  redisUrl: string;
  /** `.zkm` or `.zkc` bytes, proved in `concurrency` threads; or `prover` */
  modelBytes?: Uint8Array;
  prover?: Prover;
  /** jobs proved at once (and proving threads) */
  concurrency: number;
  /** shown in job views and Redis' client list; default `host:pid`; printable ASCII, no spaces */
  name?: string;
  /** lock on a job, renewed every lockMs / 2; default 5 s */
  lockMs?: number;
  /** how often lapsed locks are looked for; default 2.5 s */
  stallCheckMs?: number;
  /** nice levels below the event loop for the proving threads and V8's helpers (Linux); default 10 */
  proverNice?: number;
  log?: (msg: string) => void;
}

function intIn(what: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${what} must be an integer from ${min} to ${max}, got ${v}`);
  return v;
}

/** Runs a proving worker process that serves one model's queue. */
export async function runRemoteWorker(o: RemoteWorkerOptions): Promise<RemoteWorker> {
  const log = o.log ?? (() => {});
  const name = o.name ?? `${os.hostname()}:${process.pid}`;
  // Redis client names (CLIENT SETNAME) take no spaces or control characters
  if (!/^[\x21-\x7e]{1,128}$/.test(name)) throw new Error(`the worker name must be 1 to 128 printable ASCII characters without spaces, got '${name.slice(0, 140)}'`);
  const lockMs = intIn('lockMs', o.lockMs ?? DEFAULT_LOCK_MS, 200, 3_600_000);
  const stallCheckMs = intIn('stallCheckMs', o.stallCheckMs ?? DEFAULT_STALL_CHECK_MS, 50, 3_600_000);
  const nice = intIn('proverNice', o.proverNice ?? DEFAULT_PROVER_NICE, 0, 19);
  intIn('concurrency', o.concurrency, 1, 256);
  if (!o.prover && !o.modelBytes) throw new Error('runRemoteWorker needs modelBytes or a prover');
  if (o.modelBytes && parseServedModel(o.modelBytes).zk) throw new Error(ZK_REDIS_REFUSAL);
  await checkRedis(o.redisUrl);
  let pool = o.prover;
  if (!pool) {
    pool = await ProverPool.start(o.modelBytes, o.concurrency, { nice });
    lowerOtherThreads(nice); // V8's helpers; the pool's threads lowered themselves
  }
  const prover = pool;
  const modelId = prover.modelId;
  const conn = connect(o.redisUrl);
  const workerConn = connect(o.redisUrl);
  const worker = new Worker<JobData, JobResult>(
    queueName(modelId),
    async (job) => {
      const t0 = performance.now();
      log(`job ${job.id}: proving`);
      try {
        // on a proving thread: this event loop stays free to renew the job's lock
        const r = await prover.prove(job.data.input, { context: jobContext(job.data), onProgress: (stage, fraction) => void job.updateProgress({ stage, fraction }).catch(() => {}) });
        await conn.set(receiptKey(modelId, job.id!), Buffer.from(r.receipt.buffer, r.receipt.byteOffset, r.receipt.byteLength), 'EX', 86_400);
        log(`job ${job.id}: proved in ${(performance.now() - t0).toFixed(0)} ms (${r.receipt.length} bytes)`);
        return { output: r.output, timings: r.timings, worker: name };
      } catch (e) {
        if (e instanceof TaskError && e.userError) throw new UnrecoverableError(`bad input: ${e.message}`);
        throw e;
      }
    },
    { connection: workerConn, concurrency: o.concurrency, name, lockDuration: lockMs, stalledInterval: stallCheckMs, maxStalledCount: MAX_STALLS },
  );
  worker.on('error', (e) => log(`worker error: ${e.message}`));
  await worker.waitUntilReady();
  return {
    modelId,
    name,
    queueWorker: worker,
    async close() {
      await worker.close();
      await prover.close();
      conn.disconnect();
      workerConn.disconnect();
    },
  };
}
