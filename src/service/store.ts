/**
 * The prover node's durable job store: one SQLite database (`jobs.sqlite` under `--data-dir`,
 * WAL journal, `synchronous=FULL`), so that a job is on disk before its `202` leaves the server
 * and a finished receipt is on disk before anyone is told it is done.
 *
 * Receipts are files under `receipts/` beside the database (`receipt-files.ts`), written off the
 * event loop; the job row names the file and its length. With `dir = ':memory:'` (tests,
 * benchmarks) the database and the receipts live in memory.
 *
 * A data directory belongs to one model ID (recorded in `meta`); opening it for another model
 * is refused, so receipts for different models never mix, and so is opening it from a second
 * process (an exclusive lock), so two servers never prove the same job. Job states are
 * `queued → proving → done | failed`; `requeueUnfinished()` (run at start-up) moves jobs that
 * were `proving` when the process died back to `queued`, in their original order. A client may
 * send an idempotency key (`idempotency.ts`): the row keeps H(scope ‖ key) and H(input ‖
 * context), never the key; a second submission with the same key in the same scope returns the
 * first job if its input and context are the same, and is refused (`IdempotencyMismatch`)
 * otherwise. Every job has a context (the public bytes its receipt is bound to, ≤ 1024; empty
 * by default), stored as a BLOB beside its input and handed to the prover with it.
 * `prune()` deletes jobs that finished before a cutoff, with their receipts and keys (the
 * service's retention period, `--retain-hours`).
 *
 * Schema versions: 1 kept receipts as BLOBs; 2 moved them to files; 3 stores idempotency keys
 * hashed and scoped, with the hash of the request; 4 adds each job's context (jobs of older
 * stores get the empty one, which is what they were proved with) and rehashes the requests
 * with it; 5 adds each job's private inputs and the requester's seed of their commitment
 * (zero-knowledge models; the seed is as sensitive as the input beside it, and goes with the row
 * when it is pruned). Opening an older data directory migrates it in place, one version at a time, each
 * step in one transaction.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { fromHex, toHex } from '../util/bytes.js';
import { ANONYMOUS_SCOPE, requestHash, storedIdempotencyKey, type PrivateInputs } from './idempotency.js';
import { RECEIPT_FILE, receiptFileFor, writeReceiptFile, writeFileDurableSync } from './receipt-files.js';

export type JobStatus = 'queued' | 'proving' | 'done' | 'failed';

export interface JobOutput {
  name: string;
  dims: number[];
  values: number[];
}

export interface JobRow {
  seq: number;
  id: string;
  status: JobStatus;
  output?: JobOutput[];
  error?: string;
  attempts: number;
  worker?: string;
  createdMs: number;
  startedMs?: number;
  finishedMs?: number;
  /** the public context the job's receipt is bound to (empty: none) */
  context: Uint8Array;
  /** the prover's own stage timings (ms), when done */
  timings?: Record<string, number>;
  receiptBytes?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  idem_hash TEXT UNIQUE,
  request_hash TEXT,
  status TEXT NOT NULL CHECK (status IN ('queued', 'proving', 'done', 'failed')),
  input TEXT NOT NULL,
  context BLOB NOT NULL DEFAULT X'',
  private TEXT,
  output TEXT,
  receipt_file TEXT,
  receipt_bytes INTEGER,
  error TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  worker TEXT,
  created_ms INTEGER NOT NULL,
  started_ms INTEGER,
  finished_ms INTEGER,
  timings TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, seq);
CREATE INDEX IF NOT EXISTS jobs_by_finish ON jobs (finished_ms) WHERE status IN ('done', 'failed');
`;
const SCHEMA_VERSION = '5';

interface RawRow {
  seq: number;
  id: string;
  status: JobStatus;
  context: Uint8Array;
  output: string | null;
  error: string | null;
  attempts: number;
  worker: string | null;
  created_ms: number;
  started_ms: number | null;
  finished_ms: number | null;
  timings: string | null;
  receipt_bytes: number | null;
}

// without `input`: status polls never need it (`request()` reads it for the prover)
const COLUMNS = 'seq, id, status, context, output, error, attempts, worker, created_ms, started_ms, finished_ms, timings, receipt_bytes';

function fromRaw(r: RawRow): JobRow {
  return {
    seq: r.seq,
    id: r.id,
    status: r.status,
    context: new Uint8Array(r.context),
    output: r.output ? (JSON.parse(r.output) as JobOutput[]) : undefined,
    error: r.error ?? undefined,
    attempts: r.attempts,
    worker: r.worker ?? undefined,
    createdMs: r.created_ms,
    startedMs: r.started_ms ?? undefined,
    finishedMs: r.finished_ms ?? undefined,
    timings: r.timings ? (JSON.parse(r.timings) as Record<string, number>) : undefined,
    receiptBytes: r.receipt_bytes ?? undefined,
  };
}

export class StoreError extends Error {}

/** What a job proves: the input (flat arrays per input name), the context its receipt is bound to, and the inputs its receipt keeps private. */
export interface JobRequest {
  input: Record<string, number[]>;
  context: Uint8Array;
  /** zero-knowledge models: inputs the receipt commits instead of carrying, with the requester's seed */
  private?: PrivateInputs;
}

const EMPTY = new Uint8Array(0);

/** Bytes as better-sqlite3 binds a BLOB (a Buffer view, no copy). */
const blob = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** An idempotency key as the client sent it, with its scope (`idempotencyScope`). */
export interface IdempotencyKey {
  scope: string;
  key: string;
}

/** The key was used in its scope for a request with another input or context. */
export class IdempotencyMismatch extends Error {
  constructor() {
    super('this Idempotency-Key was already used for a different request');
  }
}

export class JobStore {
  private readonly db: Database.Database;
  private readonly st: Record<string, Database.Statement>;
  /** where receipt files live; undefined for an in-memory store */
  readonly receiptDir: string | undefined;
  /** an in-memory store's receipts */
  private readonly memReceipts = new Map<string, Uint8Array>();

  /** Opens (creating if needed) `dir/jobs.sqlite` for `modelId`; `dir = ':memory:'` for tests. */
  /** the clock (ms) of every timestamp the store writes; tests pass a virtual one */
  readonly now: () => number;

  constructor(dir: string, modelId: string, opts: { now?: () => number } = {}) {
    this.now = opts.now ?? Date.now;
    let file = ':memory:';
    if (dir !== ':memory:') {
      this.receiptDir = path.join(dir, 'receipts');
      try {
        fs.mkdirSync(this.receiptDir, { recursive: true });
      } catch (e) {
        throw new StoreError(`cannot create data directory '${dir}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      file = path.join(dir, 'jobs.sqlite');
    }
    try {
      this.db = new Database(file, { timeout: 100 });
    } catch (e) {
      throw new StoreError(`cannot open job store '${file}': ${(e as Error).message}`);
    }
    try {
      // one process per data directory: the exclusive lock is the operating system's, so it is
      // released when the process dies, even by kill -9
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.exec('BEGIN IMMEDIATE; COMMIT;');
      this.db.exec(SCHEMA);
    } catch (e) {
      this.db.close();
      if ((e as { code?: string }).code === 'SQLITE_BUSY') throw new StoreError(`data directory '${dir}' is in use by another zkinfer process`);
      throw new StoreError(`cannot open job store '${file}': ${(e as Error).message}`);
    }
    const meta = this.db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[];
    const m = new Map(meta.map((r) => [r.key, r.value]));
    if (m.size === 0) {
      this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?), (?, ?)').run('model_id', modelId, 'schema', SCHEMA_VERSION);
    } else {
      if (m.get('model_id') !== modelId) throw new StoreError(`data directory '${dir}' holds jobs for model ${m.get('model_id')}, not ${modelId}: use another --data-dir for this model`);
      let v = m.get('schema');
      if (v === '1' && this.receiptDir) v = this.migrateFromV1(this.receiptDir);
      if (v === '2') v = this.migrateFromV2();
      if (v === '3') v = this.migrateFromV3();
      if (v === '4') v = this.migrateFromV4();
      if (v !== SCHEMA_VERSION) throw new StoreError(`job store '${file}' has schema version ${m.get('schema')}, this build uses ${SCHEMA_VERSION}`);
    }
    if (this.receiptDir) this.sweepReceipts(this.receiptDir);
    this.st = {
      insert: this.db.prepare("INSERT INTO jobs (id, idem_hash, request_hash, status, input, context, private, created_ms) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?)"),
      byIdem: this.db.prepare(`SELECT ${COLUMNS}, request_hash FROM jobs WHERE idem_hash = ?`),
      get: this.db.prepare(`SELECT ${COLUMNS} FROM jobs WHERE id = ?`),
      receipt: this.db.prepare("SELECT receipt_file, receipt_bytes FROM jobs WHERE id = ? AND status = 'done'"),
      request: this.db.prepare("SELECT input, context, private FROM jobs WHERE id = ? AND status IN ('queued', 'proving')"),
      unfinished1: this.db.prepare("SELECT 1 FROM jobs WHERE id = ? AND status IN ('queued', 'proving')"),
      start: this.db.prepare("UPDATE jobs SET status = 'proving', attempts = attempts + 1, started_ms = ?, worker = ? WHERE id = ? AND status IN ('queued', 'proving')"),
      finish: this.db.prepare("UPDATE jobs SET status = 'done', output = ?, receipt_file = ?, receipt_bytes = ?, timings = ?, worker = coalesce(?, worker), finished_ms = ?, error = NULL WHERE id = ? AND status IN ('queued', 'proving')"),
      fail: this.db.prepare("UPDATE jobs SET status = 'failed', error = ?, finished_ms = ? WHERE id = ? AND status IN ('queued', 'proving')"),
      requeue: this.db.prepare("UPDATE jobs SET status = 'queued' WHERE id = ? AND status = 'proving'"),
      requeueAll: this.db.prepare("UPDATE jobs SET status = 'queued' WHERE status = 'proving'"),
      unfinished: this.db.prepare("SELECT id FROM jobs WHERE status IN ('queued', 'proving') ORDER BY seq"),
      counts: this.db.prepare('SELECT status, count(*) AS n FROM jobs GROUP BY status'),
      expired: this.db.prepare("SELECT id, receipt_file FROM jobs WHERE status IN ('done', 'failed') AND finished_ms < ? ORDER BY finished_ms LIMIT ?"),
      delete: this.db.prepare("DELETE FROM jobs WHERE id = ? AND status IN ('done', 'failed')"),
    };
  }

  /**
   * Records a new queued job (durably) for `input` and `context` (already validated; default
   * empty) and returns it. With an idempotency key already used in its scope: the existing job
   * (`created: false`) if it has the same input and context, else throws `IdempotencyMismatch`.
   */
  insert(id: string, input: Record<string, number[]>, idem?: IdempotencyKey, context: Uint8Array = EMPTY, priv?: PrivateInputs): { job: JobRow; created: boolean } {
    const hashes = idem && { key: storedIdempotencyKey(idem.scope, idem.key), request: requestHash(input, context, priv) };
    return this.db.transaction(() => {
      if (hashes) {
        const prev = this.idempotent(hashes.key, hashes.request);
        if (prev) return { job: prev, created: false };
      }
      const p = priv ? JSON.stringify({ inputs: priv.inputs, seed: toHex(priv.seed) }) : null;
      this.st.insert.run(id, hashes?.key ?? null, hashes?.request ?? null, JSON.stringify(input), blob(context), p, this.now());
      return { job: this.get(id)!, created: true };
    })();
  }

  /**
   * The job an idempotency key names in its scope, if any, when `input` and `context` are the
   * request it was used for; throws `IdempotencyMismatch` when it was used for another.
   */
  byIdempotencyKey(idem: IdempotencyKey, input: Record<string, number[]>, context: Uint8Array = EMPTY, priv?: PrivateInputs): JobRow | undefined {
    return this.idempotent(storedIdempotencyKey(idem.scope, idem.key), requestHash(input, context, priv));
  }

  private idempotent(keyHash: string, request: string): JobRow | undefined {
    const r = this.st.byIdem.get(keyHash) as (RawRow & { request_hash: string | null }) | undefined;
    if (!r) return undefined;
    if (r.request_hash !== request) throw new IdempotencyMismatch();
    return fromRaw(r);
  }

  get(id: string): JobRow | undefined {
    const r = this.st.get.get(id) as RawRow | undefined;
    return r ? fromRaw(r) : undefined;
  }

  /** What a job that is still queued or being proved must prove: its input, context and private inputs. */
  request(id: string): JobRequest | undefined {
    const r = this.st.request.get(id) as { input: string; context: Uint8Array; private: string | null } | undefined;
    if (!r) return undefined;
    const req: JobRequest = { input: JSON.parse(r.input) as Record<string, number[]>, context: new Uint8Array(r.context) };
    if (r.private) {
      const p = JSON.parse(r.private) as { inputs: string[]; seed: string };
      req.private = { inputs: p.inputs, seed: fromHex(p.seed) };
    }
    return req;
  }

  /**
   * A done job's receipt. The file is read off the event loop; a missing or short file (a damaged
   * data directory) is a `StoreError`, never a wrong receipt.
   */
  async receipt(id: string): Promise<Uint8Array | undefined> {
    const r = this.st.receipt.get(id) as { receipt_file: string | null; receipt_bytes: number | null } | undefined;
    if (!r || r.receipt_bytes === null) return undefined;
    if (!this.receiptDir) return this.memReceipts.get(id);
    if (!r.receipt_file || !RECEIPT_FILE.test(r.receipt_file)) throw new StoreError(`job ${id} names no valid receipt file ('${String(r.receipt_file)}'): the job store is damaged`);
    let buf: Buffer;
    try {
      buf = await fs.promises.readFile(path.join(this.receiptDir, r.receipt_file));
    } catch (e) {
      throw new StoreError(`cannot read the receipt of job ${id} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): the data directory is damaged`);
    }
    if (buf.length !== r.receipt_bytes) throw new StoreError(`the receipt file of job ${id} has ${buf.length} bytes, the job store recorded ${r.receipt_bytes}: the data directory is damaged`);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /**
   * Marks a job as being proved; false if it is already finished. Not flushed to disk on its own
   * (the next durable write carries it): after a crash every unfinished job is queued again
   * anyway, so this saves the event loop an fsync per job.
   */
  markProving(id: string, worker: string): boolean {
    this.db.pragma('synchronous = NORMAL');
    try {
      return this.st.start.run(this.now(), worker, id).changes === 1;
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  /**
   * Records a job as done with its output and receipt: the receipt goes to a new file (written
   * and fsynced off the event loop; kept in memory for an in-memory store), then the row. False
   * if the job was already finished, even meanwhile: nothing is overwritten, and the new file is
   * deleted. A failed write throws and leaves the job unfinished.
   */
  async finish(id: string, output: JobOutput[], receipt: Uint8Array, timings: Record<string, number>, worker?: string): Promise<boolean> {
    if (this.st.unfinished1.get(id) === undefined) return false;
    let file: string | undefined;
    if (this.receiptDir) {
      file = receiptFileFor(this.receiptDir, id);
      await writeReceiptFile(file, receipt);
    }
    // an unneeded file that cannot be deleted now is swept at the next start
    const discard = async () => void (file && (await fs.promises.rm(file, { force: true }).catch(() => {})));
    let done: boolean;
    try {
      done = this.st.finish.run(JSON.stringify(output), file ? path.basename(file) : null, receipt.length, JSON.stringify(timings), worker ?? null, this.now(), id).changes === 1;
    } catch (e) {
      await discard();
      throw e;
    }
    if (!done) await discard();
    else if (!this.receiptDir) this.memReceipts.set(id, receipt.slice());
    return done;
  }

  fail(id: string, error: string): boolean {
    return this.st.fail.run(error, this.now(), id).changes === 1;
  }

  /** Puts one job that was being proved back in the queue (worker crash, shutdown). */
  requeue(id: string): void {
    this.st.requeue.run(id);
  }

  /** At start-up: every job that was being proved goes back to the queue; returns the queued ids in order. */
  requeueUnfinished(): string[] {
    this.st.requeueAll.run();
    return this.unfinishedIds();
  }

  unfinishedIds(): string[] {
    return (this.st.unfinished.all() as { id: string }[]).map((r) => r.id);
  }

  counts(): Record<JobStatus, number> {
    const res: Record<JobStatus, number> = { queued: 0, proving: 0, done: 0, failed: 0 };
    for (const r of this.st.counts.all() as { status: JobStatus; n: number }[]) res[r.status] = r.n;
    return res;
  }

  /**
   * Deletes up to `limit` jobs that finished (done or failed) before `cutoffMs`: their rows, in
   * one transaction, then their receipt files (a file left by a crash in between is swept at the
   * next start). Unfinished jobs are never touched. Returns how many jobs were deleted.
   */
  async prune(cutoffMs: number, limit = 500): Promise<number> {
    const rows = this.st.expired.all(cutoffMs, limit) as { id: string; receipt_file: string | null }[];
    if (rows.length === 0) return 0;
    this.db.transaction(() => {
      for (const r of rows) this.st.delete.run(r.id);
    })();
    for (const r of rows) {
      this.memReceipts.delete(r.id);
      if (this.receiptDir && r.receipt_file && RECEIPT_FILE.test(r.receipt_file)) await fs.promises.rm(path.join(this.receiptDir, r.receipt_file), { force: true }).catch(() => {});
    }
    return rows.length;
  }

  close(): void {
    if (this.db.open) this.db.close();
    this.memReceipts.clear();
  }

  /** Deletes receipt files no job row names: half-written ones, and those of a crash between file and row. */
  private sweepReceipts(dir: string): void {
    const named = new Set((this.db.prepare('SELECT receipt_file FROM jobs WHERE receipt_file IS NOT NULL').all() as { receipt_file: string }[]).map((r) => r.receipt_file));
    for (const f of fs.readdirSync(dir)) {
      if ((f.endsWith('.zkr.tmp') || RECEIPT_FILE.test(f)) && !named.has(f)) fs.rmSync(path.join(dir, f), { force: true });
    }
  }

  /** Schema 1 kept receipts as BLOBs: move them to files, in one transaction. */
  private migrateFromV1(dir: string): '2' {
    this.db.transaction(() => {
      this.db.exec('ALTER TABLE jobs ADD COLUMN receipt_file TEXT; ALTER TABLE jobs ADD COLUMN receipt_bytes INTEGER;');
      const set = this.db.prepare('UPDATE jobs SET receipt_file = ?, receipt_bytes = ? WHERE id = ?');
      for (const r of this.db.prepare('SELECT id, receipt FROM jobs WHERE receipt IS NOT NULL').all() as { id: string; receipt: Buffer }[]) {
        const file = receiptFileFor(dir, r.id);
        writeFileDurableSync(file, r.receipt);
        set.run(path.basename(file), r.receipt.length, r.id);
      }
      this.db.exec("ALTER TABLE jobs DROP COLUMN receipt; UPDATE meta SET value = '2' WHERE key = 'schema';");
    })();
    return '2';
  }

  /**
   * Schema 2 kept idempotency keys as sent, global to the node. Each becomes H(anonymous scope ‖
   * key) with the hash of its job's input: the scope that honours a key only for the identical
   * request, so a retry across the upgrade still finds its job and nobody else's is revealed.
   * Then VACUUM and a truncating checkpoint, so no copy of a raw key stays in the database file,
   * its free pages or the WAL.
   */
  private migrateFromV2(): '3' {
    this.db.transaction(() => {
      this.db.exec('ALTER TABLE jobs RENAME COLUMN idem_key TO idem_hash; ALTER TABLE jobs ADD COLUMN request_hash TEXT;');
      const keyed = this.db.prepare('SELECT id, idem_hash AS raw FROM jobs WHERE idem_hash IS NOT NULL').all() as { id: string; raw: string }[];
      const inputOf = this.db.prepare('SELECT input FROM jobs WHERE id = ?');
      const set = this.db.prepare('UPDATE jobs SET idem_hash = ?, request_hash = ? WHERE id = ?');
      for (const r of keyed) {
        const { input } = inputOf.get(r.id) as { input: string };
        set.run(storedIdempotencyKey(ANONYMOUS_SCOPE, r.raw), requestHash(JSON.parse(input) as Record<string, number[]>), r.id);
      }
      this.db.exec("UPDATE meta SET value = '3' WHERE key = 'schema';");
    })();
    this.db.exec('VACUUM');
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    return '3';
  }

  /**
   * Schema 3 had no contexts: every job was proved with the empty one, which is what it gets.
   * Its request hashes covered the input alone (label v1); each is recomputed from the job's
   * input and the empty context (label v2), so a retry across the upgrade with the same key and
   * input, and no context, still finds its job.
   */
  /** Schema 5: a column for each job's private inputs and seed (older jobs have none). */
  private migrateFromV4(): '5' {
    this.db.transaction(() => {
      this.db.exec('ALTER TABLE jobs ADD COLUMN private TEXT;');
      this.db.exec("UPDATE meta SET value = '5' WHERE key = 'schema';");
    })();
    return '5';
  }

  private migrateFromV3(): '4' {
    this.db.transaction(() => {
      this.db.exec("ALTER TABLE jobs ADD COLUMN context BLOB NOT NULL DEFAULT X'';");
      const keyed = this.db.prepare('SELECT id, input FROM jobs WHERE request_hash IS NOT NULL').all() as { id: string; input: string }[];
      const set = this.db.prepare('UPDATE jobs SET request_hash = ? WHERE id = ?');
      for (const r of keyed) set.run(requestHash(JSON.parse(r.input) as Record<string, number[]>, EMPTY), r.id);
      this.db.exec("UPDATE meta SET value = '4' WHERE key = 'schema';");
    })();
    return '4';
  }
}
