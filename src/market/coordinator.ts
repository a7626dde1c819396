/**
 * The market coordinator: pure rules over the store (store.ts) and the ledger (ledger.ts), with an
 * injected clock, so the HTTP service, the tests and the simulation run the same code (the
 * simulation in virtual time).
 *
 * `handle(request)` checks the signature (sign.ts), then in ONE SQLite transaction: the nonce must
 * exceed the account's last one (replay protection; a request that passes the signature check
 * consumes its nonce even when the action is refused, so a refused request can never be replayed
 * later), and the action runs in a savepoint — refused, it changes nothing but the nonce. Every
 * money movement of an action is a balanced ledger transfer inside that transaction. Returns
 * `{ ok: true, value }` or `{ ok: false, error: { kind, message } }`; it never throws on a bad
 * request. Before each request (and on `tick()`), every open job whose deadline has passed gets its
 * default outcome (DEADLINES below), each in its own transaction.
 *
 * Job lifecycle (DESIGN §5): posted → locked → submitted → (audit | challenge) → finalized |
 * slashed | expired. Policies: `proof` (the submission's receipt must verify for the model ID and
 * the job's input and prove the submitted output; a signed submission that fails is a slashable
 * fault; a receipt must be bound to this market, job and operator — policy.ts "Receipt context"), `sampled` (output + trace claim first, then the commit-reveal draw of policy.ts; audits
 * are an auditor's re-execution for public models — a disagreement becomes a bisection dispute —
 * or the operator's full receipt for private ones; jobs violating p·(R+S) > C are refused) and
 * `optimistic` (final after the challenge window unless a bonded challenger disputes: bisection
 * for public models, a full receipt for private ones — dispute.ts says why).
 *
 * DEADLINES — the default loser of every waiting state:
 *   posted     nobody locked it          → expired, the requester is refunded
 *   locked     no submission             → the operator is slashed, part of the slash becomes a
 *                                          bounty, the job reopens (`posted`)
 *   submitted  optimistic: the challenge  → finalized
 *              window is over
 *              sampled: at once          → the audit draw (see "Secret draws" below)
 *   audit      public: the audit window  → finalized; the first agreeing auditor earns the fee (an
 *                                          agreeing report does not end the window: any other
 *                                          auditor may still dispute, so one colluding auditor
 *                                          cannot wave a cheat through); with no report at all the
 *                                          operator is not at fault and the draw is wasted —
 *                                          auditor liveness is the market's problem
 *              private: no receipt       → the operator is slashed
 *   challenge  the mover is late         → it loses (operator: slashed; challenger: bond to the
 *                                          operator); the opening and the receipt are the operator's
 *                                          burden (dispute.ts)
 *
 * Secret draws. No response may depend on an audit draw before the submission it decides is final,
 * or an operator could probe the draw and re-roll its submission (a batch `[S, S]` used to fail
 * on its second item with "job J is audit" or "is finalized", and roll S back). So a sampled
 * submission only records the submission (state `submitted`, due at once) inside the request's
 * transaction; the draw runs after that transaction has committed, each job in a transaction of
 * its own (`drawSubmitted`; after a crash, the next `tick`), and its outcome is then added to the
 * response. A refused request therefore cannot have seen a draw: every check and every error
 * comes before any draw. Defence in depth: each lock of a sampled job is bound to its first
 * submission hash, recorded even when the request carrying it is refused (like the nonce, outside
 * the action's savepoint), so a lock has one submission and nothing can be re-rolled. The other
 * batched actions hold no secret: `job.post` and `job.lock` read and write public state only, and
 * a `proof` submission's verdict is the public verifier's (a refused batch undoes its slash, but
 * the operator learns nothing it could not compute itself, and the lock still has to be served).
 *
 * Trust and limits. The coordinator is trusted to keep each audit seed secret until its draw and
 * to apply deadlines (DESIGN §5 moves settlement to contracts beyond one machine). Auditors are
 * not assigned: an audit is as good as the liveness of one honest auditor during its window, as
 * an optimistic job is of one honest challenger. Registering a public model recommits it
 * (`commitModel`, seconds for large models) inside the request. Batches (`job.post`, `job.lock`,
 * `job.submit` with lists) are all or nothing; each item is checked and settled on its own (a
 * sampled item's draw after the commit, as above).
 */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { commitModel } from '../prover/commit.js';
import type { QuantizedModel } from '../quantize/layers.js';
import { decodeZkm } from '../quantize/zkm.js';
import { fromHex, toHex } from '../util/bytes.js';
import { fail, type Result } from '../util/result.js';
import { verifyReceipt } from '../verifier/verify.js';
import { base64, hex64, inputOf, int, str, type Body } from './body.js';
import { decide, disputedStep, reveal, startBisection, startReceiptDispute, type DisputeOutcome, type Party } from './dispute.js';
import { accountName as A, Ledger, MINT } from './ledger.js';
import { auditDraw, checkHonesty, jobSeed, receiptContext, seedCommitment, submissionHash } from './policy.js';
import { Settlement } from './settle.js';
import { checkSignature, type SignedRequest } from './sign.js';
import { openDatabase, Store, type JobRow, type ModelRow } from './store.js';
import { checkBinding, inputLeaf, outputsEqual, outputsFromWire, quantizedInputs, settleStep, type OutputTensor } from './trace.js';
import { BPS, DEFAULT_CONFIG, MarketError, POLICIES, PPM, type MarketConfig, type Policy } from './types.js';

export interface CoordinatorOptions {
  /** SQLite file (WAL), or ':memory:' (default) */
  file?: string;
  /** the clock, ms (default Date.now); the simulation and tests pass a virtual one */
  now?: () => number;
  config?: Partial<Omit<MarketConfig, 'deadlines'>> & { deadlines?: Partial<MarketConfig['deadlines']> };
  /** market ID for a new store (default: random); an existing store keeps its own */
  marketId?: string;
  /** secret for the audit seeds of a new store (default: random 32 bytes) */
  seedSecret?: Uint8Array;
  /** where internal failures that do not answer a request go (default: console.error) */
  onError?: (message: string) => void;
}

const MAX_RECEIPT_BYTES = 64 << 20;
const MAX_ZKM_BYTES = 256 << 20;

export const ACTIONS = [
  'model.register', 'stake.deposit', 'stake.withdraw', 'job.post', 'job.lock', 'job.submit',
  'audit.report', 'audit.receipt', 'job.challenge', 'dispute.reveal', 'dispute.open', 'dispute.receipt',
] as const;
export type Action = (typeof ACTIONS)[number];

interface Pending {
  /** sampled submissions whose lock is bound to them, even if the request is refused */
  bindings: { job: number; attempt: number; subHash: string }[];
  /** sampled submissions to draw once the request has committed, with their response objects */
  draws: { id: number; out: Record<string, unknown> }[];
}

export class Coordinator {
  readonly store: Store;
  readonly ledger: Ledger;
  readonly config: MarketConfig;
  readonly marketId: string;
  readonly now: () => number;
  private readonly settlement: Settlement;
  private readonly onError: (message: string) => void;
  private readonly seedSecret: Uint8Array;
  private readonly models = new Map<string, QuantizedModel>();
  private readonly modelRows = new Map<string, ModelRow>();
  private readonly txRequest: (r: SignedRequest, now: number) => Result<unknown>;
  private readonly txAction: (r: SignedRequest, now: number) => unknown;
  private readonly txDraws: (draws: Pending['draws'], now: number) => void;
  /** What the request being handled defers past its action's savepoint (see "Secret draws"). */
  private pending: Pending = { bindings: [], draws: [] };

  constructor(readonly db: Database.Database, opts: Omit<CoordinatorOptions, 'file'> = {}) {
    this.store = new Store(db);
    this.ledger = new Ledger(db);
    this.now = opts.now ?? Date.now;
    this.onError = opts.onError ?? ((m) => console.error(`zkinfer market: ${m}`));
    const c = opts.config ?? {};
    this.config = { ...DEFAULT_CONFIG, ...c, deadlines: { ...DEFAULT_CONFIG.deadlines, ...c.deadlines } };
    this.settlement = new Settlement(this.ledger, this.store, this.config);
    db.transaction(() => {
      if (this.store.meta('market_id') === undefined) {
        this.store.setMeta('market_id', opts.marketId ?? toHex(randomBytes(16)));
        this.store.setMeta('seed_secret', toHex(opts.seedSecret ?? randomBytes(32)));
      }
    })();
    this.marketId = this.store.meta('market_id')!;
    this.seedSecret = fromHex(this.store.meta('seed_secret')!);
    this.txAction = db.transaction((r: SignedRequest, now: number) => this.dispatch(r, now));
    const drawOne = db.transaction((id: number, now: number) => this.draw(this.store.job(id)!, now));
    this.txDraws = db.transaction((draws: Pending['draws'], now: number) => {
      for (const d of draws) {
        try {
          Object.assign(d.out, drawOne(d.id, now)); // a savepoint: a failed draw is undone alone
        } catch (e) {
          d.out.draw = 'pending (retried on the next tick)';
          this.onError(`job ${d.id}: its audit draw failed and is retried on the next tick: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    });
    this.txRequest = db.transaction((r: SignedRequest, now: number): Result<unknown> => {
      const last = this.store.nonce(r.account);
      if (r.nonce <= last) throw new MarketError('Replay', `nonce ${r.nonce} is not above this account's last nonce ${last}: a replayed or out-of-order request`, { lastNonce: last });
      this.store.setNonce(r.account, r.nonce, now);
      try {
        return { ok: true, value: this.txAction(r, now) };
      } catch (e) {
        if (e instanceof MarketError) {
          this.pending.draws.length = 0; // rolled back with the savepoint: nothing to draw
          // outside the savepoint: a lock keeps its first submission even when the request is
          // refused (an accepted one is recorded in the job row, which never returns to this lock)
          for (const b of this.pending.bindings) this.store.bindSubmission(b.job, b.attempt, b.subHash);
          return { ok: false, error: e.toError() };
        }
        throw e;
      }
    });
  }

  static open(opts: CoordinatorOptions = {}): Coordinator {
    return new Coordinator(openDatabase(opts.file ?? ':memory:'), opts);
  }

  close(): void {
    this.db.close();
  }

  /** Handles one signed request (see the header). Never throws. */
  handle(req: unknown): Result<unknown> {
    this.pending = { bindings: [], draws: [] };
    try {
      const now = this.now();
      this.tick(now);
      const r = checkSignature(this.marketId, req);
      if (!(ACTIONS as readonly string[]).includes(r.action)) throw new MarketError('BadRequest', `unknown action '${r.action}' (actions: ${ACTIONS.join(', ')})`);
      const res = this.txRequest(r, now);
      // committed: the sampled submissions of this request are final, their draws may now happen
      if (res.ok) this.drawSubmitted(this.pending.draws, now);
      return res;
    } catch (e) {
      if (e instanceof MarketError) return { ok: false, error: e.toError() };
      return fail('Internal', `internal error: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.pending = { bindings: [], draws: [] };
    }
  }

  /**
   * Draws the audits of committed sampled submissions — in one transaction after the request's,
   * each job in a savepoint of its own — and completes their responses. A draw that fails is
   * rolled back alone, stays due and is retried by the next `tick`.
   */
  private drawSubmitted(draws: Pending['draws'], now: number): void {
    if (draws.length === 0) return;
    this.txDraws(draws, now);
  }



  /** Applies the default outcome of every open job whose deadline is ≤ now. Returns how many. */
  tick(now = this.now()): number {
    if (!this.store.mayBeDue(now)) return 0;
    let n = 0;
    for (;;) {
      const due = this.store.due(now, 256);
      let done = 0;
      for (const j of due) {
        // one job's failure (a bug, a full disk) must not stop the market: it stays due and is retried
        try {
          this.db.transaction(() => this.expire(this.store.job(j.id)!, now))();
          done++;
        } catch (e) {
          this.onError(`job ${j.id}: its deadline outcome failed and is retried on the next tick: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      n += done;
      if (due.length < 256 || done === 0) break;
    }
    this.store.refreshDue();
    return n;
  }

  /** Issues new money to an account's free balance (the faucet; not a signed action). */
  mint(account: string, amount: number, key: string): void {
    if (!/^[0-9a-f]{64}$/.test(account)) throw new MarketError('BadRequest', `expected an account (64 hex characters), got ${account}`);
    this.ledger.move(`mint/${key}`, MINT, A.free(account), amount, { at: this.now(), memo: 'mint' });
  }

  // -------------------------------------------------------------------------------------------
  // Queries (unsigned, read-only).

  account(pk: string): { account: string; nonce: number; free: number; stake: number } {
    return { account: pk, nonce: this.store.nonce(pk), free: this.ledger.balance(A.free(pk)), stake: this.ledger.balance(A.stake(pk)) };
  }

  job(id: number): JobRow | undefined {
    return this.store.job(id);
  }

  /** A registered model's row (rows never change once registered, so they are cached). */
  modelRow(id: string): ModelRow {
    let m = this.modelRows.get(id);
    if (!m) {
      m = this.store.model(id);
      if (!m) throw new MarketError('UnknownModel', `no model with ID ${id} is registered`);
      this.modelRows.set(id, m);
    }
    return m;
  }

  /** The quantized model of a public model (decoded once, cached). */
  publicModel(id: string): QuantizedModel {
    let q = this.models.get(id);
    if (!q) {
      const m = this.modelRow(id);
      if (m.visibility !== 'public' || !m.zkm) throw new MarketError('NotSupported', `model ${id.slice(0, 16)}… is private: its weights are not available for re-execution`);
      q = decodeZkm(m.zkm);
      this.models.set(id, q);
    }
    return q;
  }

  /**
   * H(s) for job `id`'s audit seed s (policy.ts): a function of the market's secret and the job ID,
   * so it is fixed from the moment the job exists (returned by `job.post`, shown with the job).
   */
  seedCommitOf(id: number): string {
    return seedCommitment(jobSeed(this.seedSecret, id));
  }

  /** Ledger audit plus: every terminal job's per-job accounts are empty. */
  checkBalanced(): { ok: boolean; problems: string[] } {
    const r = this.ledger.checkBalanced();
    const problems = [...r.problems];
    const rows = this.db.prepare("SELECT id FROM jobs WHERE state IN ('finalized', 'slashed', 'expired')").all() as { id: number }[];
    const left = this.db
      .prepare("SELECT id, balance FROM ledger_accounts WHERE balance != 0 AND (id LIKE 'escrow:%' OR id LIKE 'locked:%' OR id LIKE 'bond:%' OR id LIKE 'bounty:%')")
      .all() as { id: string; balance: number }[];
    const terminal = new Set(rows.map((r) => r.id));
    for (const a of left) if (terminal.has(Number(a.id.split(':')[1]))) problems.push(`settled job account ${a.id} still holds ${a.balance}`);
    return { ok: problems.length === 0, problems };
  }

  // -------------------------------------------------------------------------------------------
  // Actions.

  private dispatch(r: SignedRequest, now: number): unknown {
    const b = r.body;
    const me = r.account;
    switch (r.action as Action) {
      case 'model.register': return this.registerModel(me, b, now);
      case 'stake.deposit': return this.moveStake(me, b, r.nonce, now, true);
      case 'stake.withdraw': return this.moveStake(me, b, r.nonce, now, false);
      case 'job.post': return this.post(me, b, now);
      case 'job.lock': return this.lock(me, b, now);
      case 'job.submit': return this.submit(me, b, now);
      case 'audit.report': return this.auditReport(me, b, now);
      case 'audit.receipt': return this.auditReceipt(me, b, now);
      case 'job.challenge': return this.challenge(me, b, now);
      case 'dispute.reveal': return this.disputeReveal(me, b, now);
      case 'dispute.open': return this.disputeOpen(me, b, now);
      case 'dispute.receipt': return this.disputeReceipt(me, b, now);
    }
  }

  private registerModel(me: string, b: Body, now: number): unknown {
    const visibility = str(b, 'visibility', ['public', 'private'] as const);
    const price = int(b, 'price');
    let id: string;
    let steps: number;
    let zkm: Uint8Array | null = null;
    if (visibility === 'public') {
      zkm = base64(b, 'zkm', MAX_ZKM_BYTES);
      let model: QuantizedModel;
      try {
        model = decodeZkm(zkm);
        id = commitModel(model).modelId;
      } catch (e) {
        throw new MarketError('BadModel', `cannot register this model: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (b.modelId !== undefined && b.modelId !== id) throw new MarketError('BadModel', `the uploaded weights commit to model ID ${id}, not the claimed ${String(b.modelId)}`);
      steps = model.layers.length + 2;
      this.models.set(id, model);
    } else {
      id = hex64(b, 'modelId');
      steps = int(b, 'steps', { min: 3, max: 2 ** 20 });
    }
    const prev = this.store.model(id);
    if (prev) throw new MarketError('BadState', `model ${id.slice(0, 16)}… is already registered (owner ${prev.owner.slice(0, 16)}…)`);
    this.store.insertModel({ id, owner: me, price, visibility, steps, zkm, created: now });
    this.store.event(null, now, 'model', { id, owner: me, visibility, price });
    return { modelId: id, steps, visibility, price };
  }

  private moveStake(me: string, b: Body, nonce: number, now: number, deposit: boolean): unknown {
    const amount = int(b, 'amount', { min: 1 });
    const [from, to] = deposit ? [A.free(me), A.stake(me)] : [A.stake(me), A.free(me)];
    this.ledger.move(`acct/${me}/${nonce}/${deposit ? 'stake' : 'unstake'}`, from, to, amount, { at: now });
    return this.account(me);
  }

  /**
   * Applies `one` to every item of a batch (all or nothing: the request's savepoint rolls back
   * every item when one is refused, and the error names the item).
   */
  private batch(key: string, items: unknown, one: (item: Body) => unknown): unknown[] {
    if (!Array.isArray(items) || items.length === 0 || items.length > this.config.maxBatch) {
      throw new MarketError('BadRequest', `'${key}': expected a list of 1 to ${this.config.maxBatch} items`);
    }
    return items.map((item, i) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new MarketError('BadRequest', `${key}[${i}]: expected an object`);
      try {
        return one(item as Body);
      } catch (e) {
        if (e instanceof MarketError && items.length > 1) throw new MarketError(e.kind, `${key}[${i}]: ${e.message}`, e.detail);
        throw e;
      }
    });
  }

  /** `{jobs: [spec, …]}`: posts every job (a requester posts a data set in one signed request). */
  private post(me: string, b: Body, now: number): unknown {
    return { jobs: this.batch('jobs', b.jobs, (spec) => this.postOne(me, spec, now)) };
  }

  private postOne(me: string, spec: Body, now: number): unknown {
    const model = this.modelRow(hex64(spec, 'model'));
    const policy = str<Policy>(spec, 'policy', POLICIES);
    const input = inputOf(spec.input, this.config.maxInputValues);
    if (model.visibility === 'public') quantizedInputs(this.publicModel(model.id), input);
    const reward = int(spec, 'reward', { def: model.price });
    if (reward < model.price) throw new MarketError('BadRequest', `'reward': expected at least the model's price ${model.price}, got ${reward}`);
    const stake = int(spec, 'stake', { min: 1 });
    const cheatGain = int(spec, 'cheatGain', { def: reward });
    const auditPpm = policy === 'sampled' ? int(spec, 'auditPpm', { min: 1, max: PPM }) : 0;
    const bond = int(spec, 'bond', { min: 1, def: Math.max(1, reward) });
    if (policy === 'sampled') checkHonesty(auditPpm, reward, stake, cheatGain);
    const fee = Math.ceil((reward * this.config.feeBps) / BPS);
    const row = { model: model.id, requester: me, policy, input: JSON.stringify(input), reward, fee, stake, cheatGain, auditPpm, bond, deadline: now + this.config.deadlines.post, created: now };
    const id = this.store.insertJob(row);
    const seedCommit = this.seedCommitOf(id);
    this.ledger.move(`job/${id}/escrow`, A.free(me), A.escrow(id), reward + fee, { at: now, memo: 'escrow' });
    return { id, seedCommit, fee, deadline: row.deadline };
  }

  private jobFor(b: Body, ...states: JobRow['state'][]): JobRow {
    const id = int(b, 'job', { min: 1 });
    const j = this.store.job(id);
    if (!j) throw new MarketError('UnknownJob', `no job ${id}`);
    if (!states.includes(j.state)) throw new MarketError('BadState', `job ${id} is ${j.state}, expected ${states.join(' or ')}`);
    return j;
  }

  /** `{job}`, or `{jobs: [id, …]}` to lock several (each needs its own free stake). */
  private lock(me: string, b: Body, now: number): unknown {
    if (b.jobs === undefined) return this.lockOne(me, b, now);
    return { locked: this.batch('jobs', Array.isArray(b.jobs) ? b.jobs.map((job) => ({ job })) : b.jobs, (item) => this.lockOne(me, item, now)) };
  }

  private lockOne(me: string, b: Body, now: number): unknown {
    const j = this.jobFor(b, 'posted');
    const free = this.ledger.balance(A.stake(me));
    if (free < j.stake) throw new MarketError('InsufficientStake', `locking job ${j.id} needs ${j.stake} of free stake, account has ${free} (stake more with stake.deposit)`, { needed: j.stake, available: free });
    this.ledger.move(`job/${j.id}/${j.attempt}/lock`, A.stake(me), A.locked(j.id), j.stake, { at: now, memo: 'lock' });
    const deadline = now + this.config.deadlines.exec;
    this.store.patchJob(j.id, { state: 'locked', operator: me, deadline });
    return { job: j.id, deadline, input: JSON.parse(j.input) as unknown, policy: j.policy, model: j.model };
  }

  /** `{job, outputs, trace | receipt}`, or `{results: [{job, outputs, trace | receipt}, …]}`. */
  private submit(me: string, b: Body, now: number): unknown {
    if (b.results === undefined) return this.submitOne(me, b, now);
    return { results: this.batch('results', b.results, (item) => this.submitOne(me, item, now)) };
  }

  private submitOne(me: string, b: Body, now: number): unknown {
    const j = this.jobFor(b, 'locked');
    if (j.operator !== me) throw new MarketError('Forbidden', `job ${j.id} is locked by another operator`);
    const outputs = outputsFromWire(b.outputs, this.config.maxInputValues);
    const wire = b.outputs as { name: string; q: string }[];
    if (j.policy === 'proof') {
      const receipt = base64(b, 'receipt', MAX_RECEIPT_BYTES);
      const bad = this.receiptFault(j, receipt, outputs);
      this.store.patchJob(j.id, { submission: { outputs: wire } });
      if (bad) {
        this.settlement.slash(j, now, `submitted receipt rejected: ${bad}`, null);
        return { job: j.id, state: 'slashed', verified: false, error: bad };
      }
      this.settlement.finalize(j, now, 'receipt verified');
      return { job: j.id, state: 'finalized', verified: true };
    }
    const trace = checkBinding(b.trace, this.modelRow(j.model).steps, outputs);
    const subHash = submissionHash(j.id, me, trace);
    const submission = { outputs: wire, trace };
    if (j.policy === 'optimistic') {
      const deadline = now + this.config.deadlines.window;
      this.store.patchJob(j.id, { submission, subHash, state: 'submitted', deadline });
      return { job: j.id, state: 'submitted', subHash, deadline };
    }
    // sampled: record the submission only; the draw comes after the commit (header, "Secret draws")
    const bound = this.store.boundSubmission(j.id, j.attempt);
    if (bound !== undefined && bound !== subHash) {
      throw new MarketError('BadState', `job ${j.id}: this lock is bound to its first submission ${bound.slice(0, 16)}… (made in a refused request); only that output and trace can be submitted`);
    }
    this.pending.bindings.push({ job: j.id, attempt: j.attempt, subHash });
    this.store.patchJob(j.id, { submission, subHash, state: 'submitted', deadline: now });
    const out: Record<string, unknown> = { job: j.id, state: 'submitted', subHash };
    this.pending.draws.push({ id: j.id, out });
    return out;
  }

  /** The audit draw of a committed sampled submission (policy.ts): finalized, or audit with a deadline. */
  private draw(j: JobRow, now: number): Record<string, unknown> {
    if (j.state !== 'submitted' || j.policy !== 'sampled') return { state: j.state }; // drawn already
    const seed = toHex(jobSeed(this.seedSecret, j.id));
    const audited = auditDraw(fromHex(seed), j.id, j.subHash!, j.auditPpm);
    if (!audited) {
      this.settlement.finalize(j, now, 'not drawn for audit', null, { audited, seed });
      return { state: 'finalized', audited, seed };
    }
    const deadline = now + this.config.deadlines.audit;
    this.store.patchJob(j.id, { audited, seed, state: 'audit', deadline });
    return { state: 'audit', audited, seed, deadline, audit: this.modelRow(j.model).visibility === 'public' ? 'auditor re-execution' : 'receipt from the operator' };
  }

  /** Why a receipt does not settle a job for its operator (null: it does — and it is kept). */
  private receiptFault(j: JobRow, receipt: Uint8Array, outputs: readonly OutputTensor[]): string | null {
    const v = verifyReceipt(receipt, j.model, JSON.parse(j.input) as Record<string, number[]>, { context: receiptContext(this.marketId, j.id, j.operator!) });
    if (!v.ok) return `${v.error.kind}: ${v.error.message}`;
    if (v.receipt.committed) return 'the receipt commits tensors instead of carrying them: the market settles only receipts with public inputs and outputs';
    if (!outputsEqual(outputs, v.outputs)) return 'the receipt verifies, but proves a different output than the one submitted';
    if (this.config.keepReceipts) this.store.putReceipt(j.id, receipt);
    return null;
  }

  private auditReport(me: string, b: Body, now: number): unknown {
    const j = this.jobFor(b, 'audit');
    const model = this.modelRow(j.model);
    if (model.visibility !== 'public') throw new MarketError('BadState', `job ${j.id} is on a private model: its audit is the operator's receipt, not a report`);
    if (me === j.operator) throw new MarketError('Forbidden', 'an operator cannot audit its own job');
    const claim = checkBinding(b.trace, model.steps, outputsFromWire(b.outputs, this.config.maxInputValues));
    const mine = j.submission!.trace!;
    if (claim.last[1] === mine.last[1]) {
      // An agreeing report does not end the audit: until the deadline any other auditor may still
      // dispute, so one colluding "auditor" cannot wave a cheat through. The first one earns the fee.
      if (j.auditor) throw new MarketError('BadState', `job ${j.id}: an auditor has already agreed; only a disagreement can still be reported (until ${j.deadline})`);
      this.store.patchJob(j.id, { auditor: me });
      return { job: j.id, state: 'audit', agreed: true, finalizesAt: j.deadline };
    }
    return this.openDispute(j, me, startBisection(mine, claim), claim, now, 'audit-mismatch');
  }

  private auditReceipt(me: string, b: Body, now: number): unknown {
    const j = this.jobFor(b, 'audit');
    if (me !== j.operator) throw new MarketError('Forbidden', `only job ${j.id}'s operator delivers its audit receipt`);
    if (this.modelRow(j.model).visibility !== 'private') throw new MarketError('BadState', `job ${j.id} is on a public model: it is audited by re-execution`);
    return this.settleByReceipt(j, b, now, null, 'audit');
  }

  private challenge(me: string, b: Body, now: number): unknown {
    const j = this.jobFor(b, 'submitted');
    if (j.policy !== 'optimistic') throw new MarketError('BadState', `job ${j.id} is a ${j.policy} job: only optimistic jobs can be challenged`);
    if (me === j.operator) throw new MarketError('Forbidden', 'an operator cannot challenge its own job');
    const model = this.modelRow(j.model);
    if (model.visibility === 'private') return this.openDispute(j, me, startReceiptDispute(model.steps), null, now, 'challenge');
    const claim = checkBinding(b.trace, model.steps, outputsFromWire(b.outputs, this.config.maxInputValues));
    return this.openDispute(j, me, startBisection(j.submission!.trace!, claim), claim, now, 'challenge');
  }

  private openDispute(j: JobRow, me: string, dispute: ReturnType<typeof startBisection>, claim: JobRow['challenge'], now: number, kind: string): unknown {
    this.ledger.move(`job/${j.id}/bond`, A.free(me), A.bond(j.id), j.bond, { at: now, memo: 'challenge bond' });
    const deadline = now + this.config.deadlines.move;
    this.store.patchJob(j.id, { state: 'challenge', challenger: me, challenge: claim, dispute, deadline });
    this.store.event(j.id, now, kind, { challenger: me, mode: dispute.mode, lo: dispute.lo, hi: dispute.hi });
    return this.afterMove(this.store.job(j.id)!, now);
  }

  private party(j: JobRow, me: string): Party {
    if (me === j.operator) return 'operator';
    if (me === j.challenger) return 'challenger';
    throw new MarketError('Forbidden', `only job ${j.id}'s operator and challenger take part in its dispute`);
  }

  private disputeReveal(me: string, b: Body, now: number): unknown {
    const j = this.jobFor(b, 'challenge');
    const dispute = reveal(j.dispute!, this.party(j, me), b.index, { leaf: b.leaf, proof: b.proof });
    this.store.patchJob(j.id, { dispute, deadline: now + this.config.deadlines.move });
    return this.afterMove({ ...j, dispute }, now);
  }

  /** Settles at once when the bisection reached the input step (needs nothing but the job); else reports the next move. */
  private afterMove(j: JobRow, now: number): unknown {
    const d = j.dispute!;
    if (d.mode === 'open' && d.hi === 0) {
      const correct = inputLeaf(this.publicModel(j.model), JSON.parse(j.input) as Record<string, number[]>);
      return this.resolve(j, decide(d, correct), now);
    }
    return { job: j.id, state: 'challenge', mode: d.mode, turn: d.turn, mid: d.mid, lo: d.lo, hi: d.hi };
  }

  private disputeOpen(me: string, b: Body, now: number): unknown {
    const j = this.jobFor(b, 'challenge');
    this.party(j, me);
    const d = j.dispute!;
    const k = disputedStep(d);
    const correct = settleStep(this.publicModel(j.model), JSON.parse(j.input) as Record<string, number[]>, k, fromHex(d.loLeaf!), { prefix: b.prefix, tensors: b.tensors });
    return this.resolve(j, decide(d, correct), now);
  }

  private disputeReceipt(me: string, b: Body, now: number): unknown {
    const j = this.jobFor(b, 'challenge');
    if (j.dispute!.mode !== 'receipt') throw new MarketError('BadState', `job ${j.id}'s dispute is settled by bisection, not by a receipt`);
    if (me !== j.operator) throw new MarketError('Forbidden', `only job ${j.id}'s operator delivers the receipt`);
    return this.settleByReceipt(j, b, now, j.challenger, 'dispute');
  }

  private settleByReceipt(j: JobRow, b: Body, now: number, exposer: string | null, what: string): unknown {
    const receipt = base64(b, 'receipt', MAX_RECEIPT_BYTES);
    const outputs = outputsFromWire(j.submission!.outputs, this.config.maxInputValues);
    const bad = this.receiptFault(j, receipt, outputs);
    if (bad) {
      this.settlement.slash(j, now, `${what}: receipt rejected: ${bad}`, exposer);
      return { job: j.id, state: 'slashed', verified: false, error: bad };
    }
    this.settlement.finalize(j, now, `${what}: receipt verified`);
    return { job: j.id, state: 'finalized', verified: true };
  }

  private resolve(j: JobRow, o: DisputeOutcome, now: number): unknown {
    const where = this.stepName(j.model, o.step);
    if (o.operatorRight) {
      this.settlement.finalize(j, now, `dispute: the operator's ${where} is right, the challenger's is not`, j.auditor);
      return { job: j.id, state: 'finalized', step: o.step, winner: 'operator' };
    }
    const why = `dispute: the operator's ${where} is wrong${o.challengerRight ? '' : ' (and so is the challenger’s)'}`;
    this.settlement.slash(j, now, why, o.challengerRight ? j.challenger : null);
    return { job: j.id, state: 'slashed', step: o.step, winner: o.challengerRight ? 'challenger' : 'none' };
  }

  private stepName(modelId: string, k: number): string {
    const m = this.models.get(modelId);
    if (k === 0) return 'step 0 (the quantized input)';
    if (m && k === m.layers.length + 1) return `step ${k} (the output)`;
    return m ? `step ${k} (layer '${m.layers[k - 1].name}')` : `step ${k}`;
  }

  private expire(j: JobRow, now: number): void {
    switch (j.state) {
      case 'posted': return this.settlement.expirePost(j, now);
      case 'locked': return this.settlement.expireLock(j, now);
      case 'submitted':
        if (j.policy === 'sampled') return void this.draw(j, now);
        return this.settlement.finalize(j, now, 'challenge window closed');
      case 'audit':
        if (this.modelRow(j.model).visibility === 'public') return this.settlement.finalize(j, now, j.auditor ? 'audit agreed' : 'no audit report before the deadline', j.auditor);
        return this.settlement.slash(j, now, 'no audit receipt before the deadline', null);
      case 'challenge': {
        const d = j.dispute!;
        if (d.turn === 'challenger') return this.settlement.finalize(j, now, 'dispute: the challenger missed its move', j.auditor);
        return this.settlement.slash(j, now, `dispute: the operator missed its move (${d.mode === 'receipt' ? 'the receipt' : d.mode === 'open' ? 'the opening of the disputed step' : `leaf ${d.mid}`})`, j.challenger);
      }
      default:
        throw new MarketError('BadState', `job ${j.id} is ${j.state}: nothing expires`);
    }
  }
}
