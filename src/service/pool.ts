/**
 * A pool of proving threads (`worker_threads`), so proofs never block the HTTP event loop.
 * Every thread commits the model once at start; `start()` resolves when all are ready and agree
 * on the model ID. Tasks (prove an input for a context; verify a receipt for an input and a
 * context) are handed to idle threads in FIFO order. A thread that dies mid-task (out of
 * memory, a crash in native code) is replaced and its task rejected with `WorkerCrashed` so that
 * the caller can re-queue it; `close()` terminates the threads.
 *
 * A zero-knowledge model's parameter commitment serves a limited number of receipts, and every
 * thread holds its own copy of it: the pool keeps the one ledger of its opening budget
 * (`prover/zk-budget.ts`). A proof is admitted only while the budget allows it, and its receipt is
 * released only after the columns it revealed were recorded through `saveModel` (the `.zkc`
 * bytes with the new record: the CLI writes them back to the file), so neither several threads
 * nor a restart can spend the budget twice. A pool of a zero-knowledge model needs `saveModel`.
 */
import type { PrivateInputs } from './idempotency.js';
import { Worker } from 'node:worker_threads';
import type { JobOutput } from './store.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol.js';
import { ZkOpeningLedger } from '../prover/zk-budget.js';
import { zkcWithRevealed } from '../prover/commit.js';

export interface Proved {
  output: JobOutput[];
  receipt: Uint8Array;
  timings: Record<string, number>;
}

export interface ProveOptions {
  /** the public context the receipt is bound to (validated, ≤ 1024 bytes); default empty */
  context?: Uint8Array;
  /** inputs the receipt commits instead of carrying, under the requester's seed (zero-knowledge models) */
  private?: PrivateInputs;
  onProgress?: (stage: string, fraction: number) => void;
  /** called when a thread takes the task (a thread is handed its next task before the previous result is processed) */
  onStart?: () => void;
}

export class TaskError extends Error {
  constructor(
    message: string,
    /** true: the request was bad (the job fails); false: the prover failed */
    readonly userError: boolean,
    readonly crashed = false,
  ) {
    super(message);
  }
}

interface Task {
  id: number;
  msg: ToWorker;
  resolve: (v: FromWorker) => void;
  reject: (e: Error) => void;
  onProgress?: (stage: string, fraction: number) => void;
  /** called when the task is handed to a thread */
  onStart?: () => void;
}

interface Slot {
  w: Worker;
  task?: Task;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const WORKER_URL = new URL('./prove-worker.js', import.meta.url);

export class ProverPool {
  private readonly slots: Slot[] = [];
  private readonly all = new Set<Worker>();
  private readonly waiting: Task[] = [];
  private nextTask = 1;
  private closed = false;
  modelId = '';
  paramCount = 0;
  commitMs = 0;
  /** the opening budget of a zero-knowledge model (undefined for a clear one) */
  zkLedger: ZkOpeningLedger | undefined;

  private constructor(
    private readonly modelBytes: Uint8Array | undefined,
    private readonly nice: number,
  ) {}

  /**
   * Starts `size` threads that commit `modelBytes` (or verify-only threads without a model);
   * with `nice`, each runs that many nice levels below the process (Linux; `priority.ts`).
   * `saveModel` persists a zero-knowledge model's `.zkc` with its updated opening record (it is
   * called, synchronously, after every receipt and before the receipt is handed out; if it
   * throws, the receipt is withheld); required for a zero-knowledge model.
   */
  static async start(modelBytes: Uint8Array | undefined, size: number, o: { nice?: number; saveModel?: (zkc: Uint8Array) => void } = {}): Promise<ProverPool> {
    const pool = new ProverPool(modelBytes, o.nice ?? 0);
    let ready: Extract<FromWorker, { type: 'ready' }>[];
    try {
      ready = await Promise.all(Array.from({ length: size }, () => pool.spawn()));
    } catch (e) {
      await pool.close(); // the threads that did start must not keep the process alive
      throw e;
    }
    const ids = new Set(ready.map((r) => r.modelId));
    if (ids.size > 1) {
      await pool.close();
      throw new Error(`proving threads disagree on the model ID (${[...ids].join(', ')})`);
    }
    if (ready.length > 0) Object.assign(pool, { modelId: ready[0].modelId, paramCount: ready[0].paramCount, commitMs: ready[0].commitMs });
    const zk = ready[0]?.zk;
    if (zk) {
      const save = o.saveModel;
      if (!save) {
        await pool.close();
        throw new Error('a zero-knowledge model needs a record of its opening budget: pass saveModel (zkinfer serve writes it back to the .zkc file)');
      }
      let zkc = modelBytes!;
      pool.zkLedger = new ZkOpeningLedger(zk, (revealed) => {
        const next = zkcWithRevealed(zkc, revealed);
        save(next);
        zkc = next;
      });
    }
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }
  get busy(): number {
    return this.slots.filter((s) => s.task).length;
  }
  get idle(): number {
    return this.slots.length - this.busy;
  }

  private spawn(): Promise<Extract<FromWorker, { type: 'ready' }>> {
    return new Promise((resolve, reject) => {
      const w = new Worker(WORKER_URL, { workerData: { modelBytes: this.modelBytes, nice: this.nice } satisfies WorkerInit });
      this.all.add(w);
      const slot: Slot = { w };
      let started = false;
      w.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          started = true;
          this.slots.push(slot);
          resolve(m);
          this.pump();
        } else if (m.type === 'init-error') {
          started = true;
          void w.terminate();
          reject(new Error(`cannot load the model: ${m.message}`));
        } else if (m.type === 'progress') slot.task?.onProgress?.(m.stage, m.fraction);
        else if (slot.task && m.task === slot.task.id) {
          const t = slot.task;
          slot.task = undefined;
          t.resolve(m);
          this.pump();
        }
      });
      w.on('error', (e) => {
        if (!started) reject(new Error(`proving thread failed to start: ${e.message}`));
      });
      w.on('exit', (code) => {
        this.all.delete(w);
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots.splice(i, 1);
        const t = slot.task;
        slot.task = undefined;
        if (!started) return reject(new Error(`proving thread exited (code ${code}) before it was ready`));
        t?.reject(new TaskError(`proving thread exited (code ${code}) during the task`, false, true));
        if (!this.closed) this.spawn().catch(() => {}); // replace it; tasks wait for a slot meanwhile
      });
    });
  }

  private pump(): void {
    for (const s of this.slots) {
      if (this.waiting.length === 0) return;
      if (s.task) continue;
      const t = this.waiting.shift()!;
      s.task = t;
      s.w.postMessage(t.msg);
      t.onStart?.();
    }
  }

  private run(msg: DistributiveOmit<ToWorker, 'task'>, onProgress?: (stage: string, fraction: number) => void, onStart?: () => void): Promise<FromWorker> {
    if (this.closed) return Promise.reject(new TaskError('the prover pool is shut down', false));
    return new Promise((resolve, reject) => {
      const id = this.nextTask++;
      this.waiting.push({ id, msg: { ...msg, task: id } as ToWorker, resolve, reject, onProgress, onStart });
      this.pump();
    });
  }

  /**
   * Proves one input. Tasks wait in FIFO order for a free thread. For a zero-knowledge model the
   * proof is admitted by the opening budget first (a `TaskError` when it is spent).
   */
  async prove(input: Record<string, number[]>, o: ProveOptions = {}): Promise<Proved> {
    const ledger = this.zkLedger;
    if (ledger) {
      try {
        ledger.reserve();
      } catch (e) {
        throw new TaskError((e as Error).message, false);
      }
    }
    let m: FromWorker;
    try {
      m = await this.run({ type: 'prove', input, context: o.context ?? new Uint8Array(0), private: o.private }, o.onProgress, o.onStart);
    } catch (e) {
      ledger?.release(); // the thread died: its receipt never left it
      throw e;
    }
    if (m.type !== 'proved') {
      ledger?.release();
      if (m.type === 'error') throw new TaskError(m.message, m.userError);
      throw new TaskError(`unexpected reply '${m.type}' from a proving thread`, false);
    }
    if (ledger) {
      if (!m.revealed) throw new TaskError('a proving thread of a zero-knowledge model did not report its revealed columns', false);
      try {
        ledger.settle(m.revealed);
      } catch (e) {
        throw new TaskError(`the receipt is withheld: its opened columns could not be recorded (${(e as Error).message})`, false);
      }
    }
    return { output: m.output, receipt: m.receipt, timings: m.timings };
  }

  /**
   * Verifies a receipt against a model ID, an input and the context it must be bound to (the
   * output it proves when it does; another context is `ContextMismatch`).
   */
  async verify(receipt: Uint8Array, modelId: string, input: Record<string, number[]>, context: Uint8Array): Promise<{ ok: boolean; error?: string; output?: JobOutput[] }> {
    const m = await this.run({ type: 'verify', receipt, modelId, input, context });
    if (m.type === 'verified') return m;
    if (m.type === 'error') return { ok: false, error: m.message };
    throw new TaskError(`unexpected reply '${m.type}' from a verifying thread`, false);
  }

  /** Terminates every thread; tasks in flight or waiting are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.waiting.splice(0)) t.reject(new TaskError('the prover pool is shut down', false, true));
    await Promise.all([...this.all].map((w) => w.terminate()));
  }
}
