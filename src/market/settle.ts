/**
 * Settlement: the money movements that end a job (or an attempt at it), one balanced ledger
 * transfer each, with an idempotency key that makes a second settlement impossible:
 *
 *   finalize   escrow (R + fee) → R to the operator, fee to the agreeing auditor (else `fees`);
 *              locked stake S → back to the operator's stake; bounty → operator; a lost bond → operator.
 *   slash      locked stake S → share (slashShareBps) to whoever exposed the fault — the challenger or
 *              auditor whose claim was right, else the requester — and the rest to `slashed`;
 *              escrow and bounty → back to the requester; the bond → back to a right challenger,
 *              else to `slashed` (a challenger that was wrong too).
 *   expireLock locked stake S → bountyBps of it to `bounty:<job>` (paid to whoever finishes the job),
 *              the rest to `slashed`; the job reopens (`posted`, attempt + 1).
 *   expirePost escrow and bounty → back to the requester.
 *
 * Keys: `job/<id>/settle` for the three terminal settlements (one per job, ever: the ledger refuses
 * a second with other legs and ignores a repeat), `job/<id>/<attempt>/expire` for an expired lock.
 * After a terminal settlement every per-job account (escrow, locked, bond, bounty) is zero;
 * `jobAccountsEmpty` checks it. Callers run these inside the request's transaction.
 */
import { accountName as A, type Leg, type Ledger } from './ledger.js';
import type { JobPatch, JobRow, Store } from './store.js';
import { BPS, MarketError, TERMINAL_STATES, type MarketConfig } from './types.js';

export type Outcome = 'finalized' | 'slashed' | 'expired';

/** Legs moving all of `from` (balance from `b`) to `to`. */
function drain(b: Map<string, number>, from: string, to: string): Leg[] {
  const v = b.get(from) ?? 0;
  return v === 0 ? [] : [{ account: from, amount: -v }, { account: to, amount: v }];
}

export class Settlement {
  constructor(
    private readonly ledger: Ledger,
    private readonly store: Store,
    private readonly config: MarketConfig,
  ) {}

  private guard(job: JobRow, what: string): void {
    if (TERMINAL_STATES.has(job.state)) throw new MarketError('BadState', `job ${job.id} is already ${job.state}; cannot ${what} it`);
  }

  /**
   * Pays the operator. `auditor`: an auditor whose report agreed (it earns the fee). `patch`: other
   * job fields to write with the final state (one row update).
   */
  finalize(job: JobRow, now: number, reason: string, auditor: string | null = null, patch: JobPatch = {}): void {
    this.guard(job, 'finalize');
    const op = job.operator;
    if (!op) throw new MarketError('BadState', `job ${job.id} has no operator to pay`);
    const b = this.jobBalances(job.id);
    const escrow = b.get(A.escrow(job.id)) ?? 0;
    const fee = Math.min(job.fee, escrow);
    const legs: Leg[] = [
      { account: A.escrow(job.id), amount: -escrow },
      { account: A.free(op), amount: escrow - fee },
      { account: auditor ? A.free(auditor) : A.fees, amount: fee },
      ...drain(b, A.locked(job.id), A.stake(op)),
      ...drain(b, A.bounty(job.id), A.free(op)),
      ...drain(b, A.bond(job.id), A.free(op)),
    ];
    this.end(job, now, 'finalized', legs, { reason, operator: op, auditor }, patch);
  }

  /**
   * Slashes the operator's locked stake for a proven fault (or a missed deadline that presumes
   * one). `exposer`: the challenger/auditor whose claim was right (earns the share, gets its bond
   * back); null: the requester takes the share and any bond goes to `slashed`.
   */
  slash(job: JobRow, now: number, reason: string, exposer: string | null): void {
    this.guard(job, 'slash');
    const b = this.jobBalances(job.id);
    const locked = b.get(A.locked(job.id)) ?? 0;
    const share = Math.floor((locked * this.config.slashShareBps) / BPS);
    const legs: Leg[] = [
      { account: A.locked(job.id), amount: -locked },
      { account: A.free(exposer ?? job.requester), amount: share },
      { account: A.slashed, amount: locked - share },
      ...drain(b, A.escrow(job.id), A.free(job.requester)),
      ...drain(b, A.bounty(job.id), A.free(job.requester)),
      ...drain(b, A.bond(job.id), exposer && job.challenger === exposer ? A.free(exposer) : A.slashed),
    ];
    this.end(job, now, 'slashed', legs, { reason, operator: job.operator, exposer, slashed: locked });
  }

  /** The lock's deadline passed without a submission: slash into a bounty and reopen the job. */
  expireLock(job: JobRow, now: number): void {
    if (job.state !== 'locked') throw new MarketError('BadState', `job ${job.id} is ${job.state}, not locked`);
    const locked = this.ledger.balance(A.locked(job.id));
    const bounty = Math.floor((locked * this.config.bountyBps) / BPS);
    this.ledger.transfer(
      `job/${job.id}/${job.attempt}/expire`,
      [
        { account: A.locked(job.id), amount: -locked },
        { account: A.bounty(job.id), amount: bounty },
        { account: A.slashed, amount: locked - bounty },
      ],
      { at: now, memo: 'lock expired' },
    );
    this.store.patchJob(job.id, { state: 'posted', operator: null, attempt: job.attempt + 1, deadline: now + this.config.deadlines.post });
    this.store.event(job.id, now, 'slash', { reason: 'lock expired without a submission', operator: job.operator, slashed: locked, bounty });
    this.store.event(job.id, now, 'reopened', { attempt: job.attempt + 1 });
  }

  /** Nobody locked the job in time: refund the requester. */
  expirePost(job: JobRow, now: number): void {
    if (job.state !== 'posted') throw new MarketError('BadState', `job ${job.id} is ${job.state}, not posted`);
    const b = this.jobBalances(job.id);
    const legs = [...drain(b, A.escrow(job.id), A.free(job.requester)), ...drain(b, A.bounty(job.id), A.free(job.requester))];
    this.end(job, now, 'expired', legs, { reason: 'nobody locked the job before its deadline' });
  }

  /** The balances of a job's own accounts (escrow, locked, bounty, bond), one query. */
  private jobBalances(id: number): Map<string, number> {
    return this.ledger.balancesOf([A.escrow(id), A.locked(id), A.bounty(id), A.bond(id)]);
  }

  /** Whether every per-job account of a job is zero (true after any terminal settlement). */
  jobAccountsEmpty(id: number): boolean {
    return [...this.jobBalances(id).values()].every((v) => v === 0);
  }

  private end(job: JobRow, now: number, outcome: Outcome, legs: Leg[], detail: Record<string, unknown>, patch: JobPatch = {}): void {
    const r = this.ledger.transfer(`job/${job.id}/settle`, legs, { at: now, memo: outcome });
    if (!r.applied) throw new MarketError('BadState', `job ${job.id} was already settled (transfer #${r.seq})`);
    this.store.patchJob(job.id, { ...patch, state: outcome, outcome: String(detail.reason), settled: now, deadline: now });
    this.store.event(job.id, now, outcome === 'slashed' ? 'slash' : outcome, detail);
  }
}
