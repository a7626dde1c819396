/**
 * The job service: accepts validated requests (an input and the context its receipt is bound
 * to), records them durably, hands them to a proving backend, and publishes every state change
 * to subscribers (server-sent events, `?wait=true`).
 *
 * Backends: `LocalBackend` proves in this process's worker-thread pool; `RedisBackend`
 * (`redis.ts`) sends jobs through BullMQ to `zkinfer worker` processes on any machine. Either
 * way the results land in this service's job store (SQLite rows, receipt files), and nothing
 * acknowledged is lost: a job is on disk before its 202; at start-up every unfinished job is handed to the backend
 * again; on shutdown, proofs in flight get a grace period and are re-queued if they do not finish.
 */
import { randomUUID } from 'node:crypto';
import { Metrics } from './metrics.js';
import { ProverPool, TaskError, type Proved } from './pool.js';
import { RequestError } from './validate.js';
import { IdempotencyMismatch, type IdempotencyKey, type JobRequest, type JobRow, type JobStatus, type JobStore } from './store.js';

export type JobEvent =
  | { type: 'status'; status: JobStatus; stage?: string; fraction?: number }
  | { type: 'done'; job: JobRow }
  | { type: 'failed'; job: JobRow };

/** What a backend reports back to the service. */
export interface JobHooks {
  /** what a queued or proving job must prove (undefined once it is finished) */
  request(id: string): JobRequest | undefined;
  /** ids of jobs queued or being proved, oldest first */
  unfinished(): string[];
  proving(id: string, worker: string): boolean;
  progress(id: string, stage: string, fraction: number): void;
  /** resolves once the result is stored (or refused: the job was already finished) */
  done(id: string, r: Proved, worker?: string): Promise<void>;
  failed(id: string, message: string): void;
  requeued(id: string): void;
}

export interface Backend {
  readonly kind: 'local' | 'redis';
  /** local proving threads (0 for Redis) */
  readonly threads: number;
  /**
   * Live provers: the local pool's threads, or the worker processes connected to this model's
   * queue (Redis); undefined when they cannot be counted now. Absent: `threads`.
   */
  workers?(): Promise<number | undefined>;
  /** a zero-knowledge model's receipts left before its opening budget is spent (`prover/zk-budget.ts`); absent or undefined for a clear one */
  zkReceiptsLeft?(): number | undefined;
  start(hooks: JobHooks, unfinished: string[]): Promise<void>;
  /** hands a job to the provers: its receipt must prove `req.input` for `req.context` */
  enqueue(id: string, req: JobRequest): Promise<void>;
  /** Stops taking jobs; waits up to `graceMs` for proofs in flight, then re-queues the rest. */
  stop(graceMs: number): Promise<void>;
}

export interface JobServiceOptions {
  modelId: string;
  /** most jobs waiting for a prover; beyond it submissions get 429 */
  maxQueue: number;
  /** finished jobs (and their receipts) are deleted this long after they finish; 0 or absent: kept */
  retainMs?: number;
}

/** How often expired jobs are looked for, at most (and at least every tenth of the retention). */
const PRUNE_EVERY_MS = 60_000;
/** jobs deleted per transaction */
const PRUNE_BATCH = 500;

export class JobService implements JobHooks {
  readonly metrics = new Metrics();
  private readonly subs = new Map<string, Set<(e: JobEvent) => void>>();
  private readonly live = new Map<string, { stage: string; fraction: number }>();
  private queued = 0;
  private nProving = 0;
  draining = false;
  /** unfinished jobs found in the store at start-up (re-queued) */
  resumed = 0;
  private pruneTimer?: NodeJS.Timeout;
  private pruning?: Promise<number>;

  constructor(
    readonly store: JobStore,
    readonly backend: Backend,
    readonly opts: JobServiceOptions,
  ) {}

  async start(): Promise<void> {
    const unfinished = this.store.requeueUnfinished();
    this.queued = unfinished.length;
    this.resumed = unfinished.length;
    await this.backend.start(this, unfinished);
    const keep = this.opts.retainMs ?? 0;
    if (keep > 0) {
      void this.prune(); // in the background: a long backlog does not delay start-up
      this.pruneTimer = setInterval(() => void this.prune(), Math.max(1000, Math.min(PRUNE_EVERY_MS, keep / 10)));
      this.pruneTimer.unref();
    }
  }

  /**
   * Deletes the jobs that finished more than `retainMs` ago, in batches that give the event loop
   * back in between; returns how many. One pass at a time.
   */
  prune(): Promise<number> {
    const keep = this.opts.retainMs ?? 0;
    if (keep <= 0) return Promise.resolve(0);
    this.pruning ??= (async () => {
      const cutoff = this.store.now() - keep;
      let total = 0;
      try {
        for (;;) {
          const n = await this.store.prune(cutoff, PRUNE_BATCH);
          total += n;
          if (n < PRUNE_BATCH) break;
          await new Promise((r) => setImmediate(r));
        }
      } catch {
        // the store was closed meanwhile (shutdown) or the disk failed: the next pass retries
      } finally {
        this.pruning = undefined;
        this.metrics.pruned += total;
      }
      return total;
    })();
    return this.pruning;
  }

  get queueDepth(): number {
    return this.queued;
  }
  get inProgress(): number {
    return this.nProving;
  }

  /** Seconds a client should wait before retrying a refused submission (an estimate). */
  retryAfterSeconds(): number {
    const avg = this.metrics.proveSeconds.count > 0 ? this.metrics.proveSeconds.sum / this.metrics.proveSeconds.count : 1;
    const par = Math.max(1, this.backend.threads);
    return Math.min(3600, Math.max(1, Math.ceil(((this.queued + 1) / par) * avg)));
  }

  /**
   * Accepts a job (durably) or refuses it with 429/503. With an idempotency key
   * (`idempotency.ts`): a key already used in its scope for the same input and context returns
   * that job (`created: false`); used for another, 422 without a word about the first.
   */
  async submit(req: JobRequest, idem?: IdempotencyKey): Promise<{ job: JobRow; created: boolean }> {
    const { input, context } = req;
    const priv = req.private;
    if (this.draining) throw new RequestError(503, 'the server is shutting down; retry against another node or later', { 'Retry-After': '5' });
    const prev = idem && this.keyed(() => this.store.byIdempotencyKey(idem, input, context, priv));
    if (prev) return { job: prev, created: false };
    if (this.queued >= this.opts.maxQueue) {
      this.metrics.rejectedFull++;
      const s = this.retryAfterSeconds();
      throw new RequestError(429, `the queue is full (${this.queued} jobs waiting, limit ${this.opts.maxQueue}); retry in about ${s} s`, { 'Retry-After': String(s) });
    }
    const res = this.keyed(() => this.store.insert(randomUUID(), input, idem, context, priv));
    if (!res.created) return res;
    this.queued++;
    this.metrics.accepted++;
    try {
      await this.backend.enqueue(res.job.id, req);
    } catch (e) {
      this.queued--;
      this.store.fail(res.job.id, `the job queue is unavailable: ${(e as Error).message}`);
      throw new RequestError(503, `the job queue is unavailable: ${(e as Error).message}`, { 'Retry-After': '5' });
    }
    return res;
  }

  /** Runs a store call that may find the idempotency key used for another request: then 422. */
  private keyed<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (!(e instanceof IdempotencyMismatch)) throw e;
      this.metrics.rejectedInvalid++;
      throw new RequestError(422, 'this Idempotency-Key was already used for a different request; send a new key with each new request');
    }
  }

  get(id: string): JobRow | undefined {
    return this.store.get(id);
  }

  liveProgress(id: string): { stage: string; fraction: number } | undefined {
    return this.live.get(id);
  }

  subscribe(id: string, fn: (e: JobEvent) => void): () => void {
    let s = this.subs.get(id);
    if (!s) this.subs.set(id, (s = new Set()));
    s.add(fn);
    return () => {
      s.delete(fn);
      if (s.size === 0) this.subs.delete(id);
    };
  }

  /** Resolves with the job once it is done or failed, or after `timeoutMs` with its state then. */
  waitFor(id: string, timeoutMs: number): Promise<JobRow | undefined> {
    const now = this.get(id);
    if (!now || now.status === 'done' || now.status === 'failed') return Promise.resolve(now);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(this.get(id));
      }, timeoutMs);
      const off = this.subscribe(id, (e) => {
        if (e.type === 'done' || e.type === 'failed') {
          clearTimeout(timer);
          off();
          resolve(e.job);
        }
      });
    });
  }

  private emit(id: string, e: JobEvent): void {
    for (const fn of this.subs.get(id) ?? []) fn(e);
  }

  // --- hooks called by the backend ---

  request(id: string): JobRequest | undefined {
    return this.store.request(id);
  }

  unfinished(): string[] {
    return this.store.unfinishedIds();
  }

  proving(id: string, worker: string): boolean {
    if (!this.store.markProving(id, worker)) return false;
    const was = this.live.has(id);
    this.live.set(id, { stage: 'starting', fraction: 0 });
    if (!was) {
      this.queued = Math.max(0, this.queued - 1);
      this.nProving++;
    }
    this.emit(id, { type: 'status', status: 'proving', stage: 'starting', fraction: 0 });
    return true;
  }

  progress(id: string, stage: string, fraction: number): void {
    if (!this.live.has(id)) return;
    this.live.set(id, { stage, fraction });
    this.emit(id, { type: 'status', status: 'proving', stage, fraction });
  }

  private settle(id: string): void {
    if (this.live.delete(id)) this.nProving = Math.max(0, this.nProving - 1);
    else this.queued = Math.max(0, this.queued - 1);
  }

  async done(id: string, r: Proved, worker?: string): Promise<void> {
    let stored: boolean;
    try {
      stored = await this.store.finish(id, r.output, r.receipt, r.timings, worker);
    } catch (e) {
      return this.failed(id, `the node could not store the receipt: ${(e as Error).message}`);
    }
    if (!stored) return;
    this.settle(id);
    const job = this.store.get(id)!;
    this.metrics.jobDone(r.timings.totalMs ?? 0, (job.finishedMs ?? this.store.now()) - job.createdMs);
    this.emit(id, { type: 'done', job });
  }

  failed(id: string, message: string): void {
    if (!this.store.fail(id, message)) return;
    this.settle(id);
    this.metrics.failed++;
    this.emit(id, { type: 'failed', job: this.store.get(id)! });
  }

  requeued(id: string): void {
    this.store.requeue(id);
    if (this.live.delete(id)) {
      this.nProving = Math.max(0, this.nProving - 1);
      this.queued++;
    }
    this.metrics.requeued++;
    this.emit(id, { type: 'status', status: 'queued' });
  }

  async stop(graceMs: number): Promise<void> {
    this.draining = true;
    clearInterval(this.pruneTimer);
    await this.pruning;
    await this.backend.stop(graceMs);
  }
}

/** How many times a job is retried after its proving thread died, before it fails. */
const MAX_CRASHES = 3;

/** Proves jobs in this process's worker-thread pool, oldest first. */
export class LocalBackend implements Backend {
  readonly kind = 'local' as const;
  private hooks!: JobHooks;
  private readonly queue: string[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private readonly inflightIds = new Set<string>();
  private readonly crashes = new Map<string, number>();
  private stopping = false;

  constructor(readonly pool: ProverPool) {}

  zkReceiptsLeft(): number | undefined {
    return this.pool.zkLedger?.receiptsLeft;
  }

  get threads(): number {
    return this.pool.size;
  }

  async workers(): Promise<number> {
    return this.pool.size;
  }

  async start(hooks: JobHooks, unfinished: string[]): Promise<void> {
    this.hooks = hooks;
    this.queue.push(...unfinished);
    this.pump();
  }

  async enqueue(id: string): Promise<void> {
    this.queue.push(id);
    this.pump();
  }

  private pump(): void {
    // one task more than threads: the pool hands a thread its next job the moment it posts a
    // result, before this thread stores that result (measured: prover busy 0.93 → 0.97)
    while (!this.stopping && this.queue.length > 0 && this.inflightIds.size < Math.max(1, this.pool.size) + 1) {
      const id = this.queue.shift()!;
      const req = this.hooks.request(id);
      if (!req) continue;
      this.inflightIds.add(id);
      const p = this.run(id, req).finally(() => {
        this.inflight.delete(p);
        this.inflightIds.delete(id);
        this.pump();
      });
      this.inflight.add(p);
    }
  }

  private async run(id: string, req: JobRequest): Promise<void> {
    try {
      const r = await this.pool.prove(req.input, {
        context: req.context,
        private: req.private,
        onProgress: (stage, f) => this.hooks.progress(id, stage, f),
        onStart: () => void this.hooks.proving(id, `local:${process.pid}`),
      });
      await this.hooks.done(id, r, `local:${process.pid}`);
    } catch (e) {
      const te = e instanceof TaskError ? e : new TaskError((e as Error).message, false);
      if (te.crashed && !this.stopping) {
        const n = (this.crashes.get(id) ?? 0) + 1;
        this.crashes.set(id, n);
        if (n < MAX_CRASHES) {
          this.hooks.requeued(id);
          this.queue.unshift(id);
          return;
        }
        this.hooks.failed(id, `the proving thread died ${n} times on this job: ${te.message}`);
      } else if (te.crashed) this.hooks.requeued(id);
      else this.hooks.failed(id, te.userError ? te.message : `prover error: ${te.message}`);
    }
  }

  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const ids = [...this.inflightIds];
    const all = Promise.all([...this.inflight]);
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([all.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs)))]);
    clearTimeout(timer);
    await this.pool.close(); // rejects what is still running: run() re-queues it (stopping)
    if (late) await all;
    for (const id of ids) if (this.inflightIds.has(id)) this.hooks.requeued(id);
  }
}

