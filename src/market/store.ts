/**
 * The coordinator's durable state, in the same SQLite database as the ledger (so one transaction
 * covers a state change and its money movement — no crash separates them): accounts and their
 * nonces, registered models, jobs, and an append-only event log of what a job row does not keep
 * (settlements with their reasons, slashes, reopenings, disputes, registrations), and the first
 * submission hash of every lock of a sampled job (`submission_bindings`: written even when the
 * request carrying it is refused, so a lock has one submission — coordinator.ts). A file store uses WAL with
 * synchronous=NORMAL (a committed transaction survives a process crash; an OS crash may lose the
 * last few, never half of one), a 64 MiB page cache, and a checkpoint every 10,000 WAL pages
 * (~40 MiB) rather than SQLite's 1,000: checkpoints (page write-back + fsync) were the largest cost
 * of the file store under load, and rarer ones coalesce the hot pages (the market accounts, the
 * tail of the jobs table). ':memory:' keeps everything in memory.
 *
 * This module only maps rows to objects; every rule lives in `coordinator.ts`.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { DisputeState } from './dispute.js';
import type { TraceClaim } from './trace.js';
import { TERMINAL_STATES, type JobState, type Policy, type Visibility } from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS accounts (id TEXT PRIMARY KEY, nonce INTEGER NOT NULL, created INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS models (
  id TEXT PRIMARY KEY, owner TEXT NOT NULL, price INTEGER NOT NULL,
  visibility TEXT NOT NULL CHECK (visibility IN ('public', 'private')),
  steps INTEGER NOT NULL, zkm BLOB, created INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  model TEXT NOT NULL, requester TEXT NOT NULL,
  policy TEXT NOT NULL CHECK (policy IN ('proof', 'sampled', 'optimistic')),
  input TEXT NOT NULL,
  reward INTEGER NOT NULL, fee INTEGER NOT NULL, stake INTEGER NOT NULL, cheat_gain INTEGER NOT NULL,
  audit_ppm INTEGER NOT NULL, bond INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('posted', 'locked', 'submitted', 'audit', 'challenge', 'finalized', 'slashed', 'expired')),
  deadline INTEGER NOT NULL, attempt INTEGER NOT NULL DEFAULT 0,
  operator TEXT, seed TEXT,
  submission TEXT, sub_hash TEXT, audited INTEGER,
  auditor TEXT, challenger TEXT, challenge TEXT, dispute TEXT,
  outcome TEXT, created INTEGER NOT NULL, settled INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (state, deadline);
CREATE TABLE IF NOT EXISTS receipts (job INTEGER PRIMARY KEY, bytes BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS submission_bindings (job INTEGER NOT NULL, attempt INTEGER NOT NULL, sub_hash TEXT NOT NULL, PRIMARY KEY (job, attempt)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (job INTEGER NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL, kind TEXT NOT NULL, detail TEXT, PRIMARY KEY (job, seq)) WITHOUT ROWID;
`;

export interface ModelRow {
  id: string;
  owner: string;
  price: number;
  visibility: Visibility;
  steps: number;
  zkm: Uint8Array | null;
  created: number;
}

/** What an operator submitted (sampled / optimistic: outputs and trace claim; proof: outputs). */
export interface Submission {
  outputs: { name: string; q: string }[];
  trace?: TraceClaim;
}

export interface JobRow {
  id: number;
  model: string;
  requester: string;
  policy: Policy;
  input: string;
  reward: number;
  fee: number;
  stake: number;
  cheatGain: number;
  auditPpm: number;
  bond: number;
  state: JobState;
  deadline: number;
  attempt: number;
  operator: string | null;
  seed: string | null;
  submission: Submission | null;
  subHash: string | null;
  audited: boolean | null;
  /** the first auditor whose report agreed (public-model audits) */
  auditor: string | null;
  challenger: string | null;
  challenge: TraceClaim | null;
  dispute: DisputeState | null;
  outcome: string | null;
  created: number;
  settled: number | null;
}

interface RawJob {
  id: number; model: string; requester: string; policy: Policy; input: string; reward: number; fee: number; stake: number;
  cheat_gain: number; audit_ppm: number; bond: number; state: JobState; deadline: number; attempt: number; operator: string | null;
  seed: string | null; submission: string | null; sub_hash: string | null; audited: number | null;
  auditor: string | null; challenger: string | null; challenge: string | null; dispute: string | null; outcome: string | null; created: number; settled: number | null;
}

function toJob(r: RawJob): JobRow {
  return {
    id: r.id, model: r.model, requester: r.requester, policy: r.policy, input: r.input, reward: r.reward, fee: r.fee, stake: r.stake,
    cheatGain: r.cheat_gain, auditPpm: r.audit_ppm, bond: r.bond, state: r.state, deadline: r.deadline, attempt: r.attempt,
    operator: r.operator, seed: r.seed,
    submission: r.submission === null ? null : (JSON.parse(r.submission) as Submission),
    subHash: r.sub_hash, audited: r.audited === null ? null : r.audited === 1, auditor: r.auditor, challenger: r.challenger,
    challenge: r.challenge === null ? null : (JSON.parse(r.challenge) as TraceClaim),
    dispute: r.dispute === null ? null : (JSON.parse(r.dispute) as DisputeState),
    outcome: r.outcome, created: r.created, settled: r.settled,
  };
}

/** Columns a state change may set (camelCase → column). */
const PATCHABLE = {
  state: 'state', deadline: 'deadline', attempt: 'attempt', operator: 'operator', seed: 'seed', submission: 'submission',
  subHash: 'sub_hash', audited: 'audited', auditor: 'auditor', challenger: 'challenger', challenge: 'challenge', dispute: 'dispute', outcome: 'outcome', settled: 'settled',
} as const;
export type JobPatch = Partial<Pick<JobRow, keyof typeof PATCHABLE>>;

export const OPEN_STATES = ['posted', 'locked', 'submitted', 'audit', 'challenge'] as const;

export function openDatabase(file: string): Database.Database {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file);
  if (file !== ':memory:') {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('cache_size = -65536');
    db.pragma('wal_autocheckpoint = 10000');
  }
  db.pragma('foreign_keys = OFF');
  db.exec(SCHEMA);
  return db;
}

export class Store {
  private readonly st;
  private readonly patchCache = new Map<string, Database.Statement>();
  /** last event sequence number (events are ordered by it across jobs; gaps after a rollback are harmless) */
  private eventSeq: number | undefined;
  private dueBound: number | undefined;

  constructor(readonly db: Database.Database) {
    this.st = {
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare<[string, string]>('INSERT INTO meta (key, value) VALUES (?, ?)'),
      getNonce: db.prepare<[string], { nonce: number }>('SELECT nonce FROM accounts WHERE id = ?'),
      newAccount: db.prepare<[string, number, number]>('INSERT INTO accounts (id, nonce, created) VALUES (?, ?, ?)'),
      setNonce: db.prepare<[number, string]>('UPDATE accounts SET nonce = ? WHERE id = ?'),
      getModel: db.prepare<[string], ModelRow>('SELECT * FROM models WHERE id = ?'),
      listModels: db.prepare<[], ModelRow>('SELECT id, owner, price, visibility, steps, NULL AS zkm, created FROM models ORDER BY created, id'),
      insModel: db.prepare('INSERT INTO models (id, owner, price, visibility, steps, zkm, created) VALUES (@id, @owner, @price, @visibility, @steps, @zkm, @created)'),
      getJob: db.prepare<[number], RawJob>('SELECT * FROM jobs WHERE id = ?'),
      insJob: db.prepare(
        `INSERT INTO jobs (model, requester, policy, input, reward, fee, stake, cheat_gain, audit_ppm, bond, state, deadline, created)
         VALUES (@model, @requester, @policy, @input, @reward, @fee, @stake, @cheatGain, @auditPpm, @bond, 'posted', @deadline, @created)`,
      ),
      due: db.prepare<[number, number], RawJob>(`SELECT * FROM jobs WHERE state IN ('posted', 'locked', 'submitted', 'audit', 'challenge') AND deadline <= ? ORDER BY deadline, id LIMIT ?`),
      event: db.prepare<[number, number, number, string, string | null]>('INSERT INTO events (job, seq, at, kind, detail) VALUES (?, ?, ?, ?, ?)'),
      getBinding: db.prepare<[number, number], { sub_hash: string }>('SELECT sub_hash FROM submission_bindings WHERE job = ? AND attempt = ?'),
      bind: db.prepare<[number, number, string]>('INSERT OR IGNORE INTO submission_bindings (job, attempt, sub_hash) VALUES (?, ?, ?)'),
      minDeadline: db.prepare<[], { d: number | null }>(`SELECT MIN(deadline) AS d FROM jobs WHERE state IN ('posted', 'locked', 'submitted', 'audit', 'challenge')`),
    };
  }

  meta(key: string): string | undefined {
    return this.st.getMeta.get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.st.setMeta.run(key, value);
  }

  /** The account's last nonce (0 for an account never seen). */
  nonce(account: string): number {
    return this.st.getNonce.get(account)?.nonce ?? 0;
  }

  setNonce(account: string, nonce: number, now: number): void {
    if (this.st.setNonce.run(nonce, account).changes === 0) this.st.newAccount.run(account, nonce, now);
  }

  model(id: string): ModelRow | undefined {
    return this.st.getModel.get(id);
  }

  models(): ModelRow[] {
    return this.st.listModels.all();
  }

  insertModel(m: ModelRow): void {
    this.st.insModel.run({ ...m, zkm: m.zkm ? Buffer.from(m.zkm) : null });
  }

  job(id: number): JobRow | undefined {
    const r = this.st.getJob.get(id);
    return r && toJob(r);
  }

  insertJob(j: Pick<JobRow, 'model' | 'requester' | 'policy' | 'input' | 'reward' | 'fee' | 'stake' | 'cheatGain' | 'auditPpm' | 'bond' | 'deadline' | 'created'>): number {
    const id = Number(this.st.insJob.run(j).lastInsertRowid);
    this.lowerDue(j.deadline);
    return id;
  }

  patchJob(id: number, patch: JobPatch): void {
    if (patch.state === undefined || !TERMINAL_STATES.has(patch.state)) this.lowerDue(patch.deadline);
    const keys = Object.keys(patch).sort() as (keyof JobPatch)[];
    const sig = keys.join(',');
    let st = this.patchCache.get(sig);
    if (!st) {
      st = this.db.prepare(`UPDATE jobs SET ${keys.map((k) => `${PATCHABLE[k]} = @${k}`).join(', ')} WHERE id = @id`);
      this.patchCache.set(sig, st);
    }
    const vals: Record<string, unknown> = { id };
    for (const k of keys) {
      const v = patch[k];
      vals[k] = v === null || v === undefined ? null : typeof v === 'object' ? JSON.stringify(v) : typeof v === 'boolean' ? (v ? 1 : 0) : v;
    }
    st.run(vals);
  }

  /** The submission hash a lock (job, attempt) is bound to, if one was ever submitted. */
  boundSubmission(job: number, attempt: number): string | undefined {
    return this.st.getBinding.get(job, attempt)?.sub_hash;
  }

  /** Binds a lock to its first submission hash (a later, different one is refused; the same is a no-op). */
  bindSubmission(job: number, attempt: number, subHash: string): void {
    this.st.bind.run(job, attempt, subHash);
  }

  /** Keeps the receipt that settled a job (the requester can fetch it and verify it itself). */
  putReceipt(job: number, bytes: Uint8Array): void {
    this.db.prepare('INSERT OR REPLACE INTO receipts (job, bytes) VALUES (?, ?)').run(job, Buffer.from(bytes));
  }

  hasReceipt(job: number): boolean {
    return this.db.prepare('SELECT 1 FROM receipts WHERE job = ?').get(job) !== undefined;
  }

  receipt(job: number): Uint8Array | undefined {
    const r = this.db.prepare('SELECT bytes FROM receipts WHERE job = ?').get(job) as { bytes: Buffer } | undefined;
    return r && new Uint8Array(r.bytes);
  }

  /** Open jobs whose deadline is ≤ now, oldest first. */
  due(now: number, limit: number): JobRow[] {
    return this.st.due.all(now, limit).map(toJob);
  }

  /** Jobs by filter, newest first (for agents and `status`). */
  jobs(f: { state?: JobState; policy?: Policy; model?: string; operator?: string; requester?: string; limit?: number; after?: number } = {}): JobRow[] {
    const where: string[] = [];
    const vals: Record<string, unknown> = { limit: Math.min(Math.max(1, f.limit ?? 100), 10_000), after: f.after ?? 0 };
    for (const [k, col] of [['state', 'state'], ['policy', 'policy'], ['model', 'model'], ['operator', 'operator'], ['requester', 'requester']] as const) {
      if (f[k] !== undefined) {
        where.push(`${col} = @${k}`);
        vals[k] = f[k];
      }
    }
    where.push('id > @after');
    const rows = this.db.prepare(`SELECT * FROM jobs WHERE ${where.join(' AND ')} ORDER BY id LIMIT @limit`).all(vals) as RawJob[];
    return rows.map(toJob);
  }

  countByState(): Record<string, number> {
    const rows = this.db.prepare('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all() as { state: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  /** Appends an event (job 0: market-level events such as a model registration). */
  event(job: number | null, at: number, kind: string, detail?: Record<string, unknown>): void {
    this.eventSeq ??= (this.db.prepare('SELECT COALESCE(MAX(seq), 0) AS s FROM events').get() as { s: number }).s;
    this.st.event.run(job ?? 0, ++this.eventSeq, at, kind, detail ? JSON.stringify(detail) : null);
  }

  /**
   * Whether some open job's deadline may be ≤ now. A lower bound on the earliest deadline is kept
   * in memory (read from the database on open and after each `refreshDue`, lowered by every write
   * of a deadline), so a request costs no query when nothing is due. The coordinator is the only
   * writer of its database; a rolled-back write only leaves the bound too low (one extra query).
   */
  mayBeDue(now: number): boolean {
    this.dueBound ??= this.st.minDeadline.get()?.d ?? Infinity;
    return now >= this.dueBound;
  }

  refreshDue(): void {
    this.dueBound = this.st.minDeadline.get()?.d ?? Infinity;
  }

  private lowerDue(deadline: unknown): void {
    if (typeof deadline === 'number' && this.dueBound !== undefined && deadline < this.dueBound) this.dueBound = deadline;
  }

  events(job: number): { seq: number; at: number; kind: string; detail: Record<string, unknown> | null }[] {
    const rows = this.db.prepare('SELECT seq, at, kind, detail FROM events WHERE job = ? ORDER BY seq').all(job) as { seq: number; at: number; kind: string; detail: string | null }[];
    return rows.map((r) => ({ ...r, detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null }));
  }

  /** Events of a kind, across jobs (tests and the simulation count slashes with it). */
  eventsOfKind(kind: string): { job: number; at: number; detail: Record<string, unknown> | null }[] {
    const rows = this.db.prepare('SELECT job, at, detail FROM events WHERE kind = ? ORDER BY seq').all(kind) as { job: number; at: number; detail: string | null }[];
    return rows.map((r) => ({ ...r, detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null }));
  }
}
