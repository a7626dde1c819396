/**
 * Shared types of the proof-of-inference market: the error every refused request carries (a
 * stable `kind` for machines, a message for people, never a stack trace), the per-job policy and
 * money parameters, the job states, and the coordinator's configuration (deadlines in virtual
 * milliseconds, fee and slash shares in basis points). Amounts are integers (smallest unit of the
 * market's currency) and must be safe integers; probabilities are integers in parts per million,
 * so every money and honesty computation is exact integer arithmetic.
 */
import type { VerifyError } from '../util/result.js';

export type MarketErrorKind =
  | 'BadRequest'
  | 'BadSignature'
  | 'Replay'
  | 'UnknownAccount'
  | 'UnknownModel'
  | 'UnknownJob'
  | 'BadState'
  | 'Forbidden'
  | 'InsufficientFunds'
  | 'InsufficientStake'
  | 'HonestyCondition'
  | 'BadModel'
  | 'BadProof'
  | 'IdempotencyConflict'
  | 'Unbalanced'
  | 'NotSupported';

/** A refused request or operation: nothing was changed (the enclosing transaction rolled back). */
export class MarketError extends Error {
  readonly kind: MarketErrorKind;
  readonly detail: Record<string, unknown>;
  constructor(kind: MarketErrorKind, message: string, detail: Record<string, unknown> = {}) {
    super(message);
    this.name = 'MarketError';
    this.kind = kind;
    this.detail = detail;
  }
  toError(): VerifyError {
    return { kind: this.kind, message: this.message, ...this.detail };
  }
}

export type Policy = 'proof' | 'sampled' | 'optimistic';
export const POLICIES: readonly Policy[] = ['proof', 'sampled', 'optimistic'];

export type Visibility = 'public' | 'private';

export type JobState = 'posted' | 'locked' | 'submitted' | 'audit' | 'challenge' | 'finalized' | 'slashed' | 'expired';
export const JOB_STATES: readonly JobState[] = ['posted', 'locked', 'submitted', 'audit', 'challenge', 'finalized', 'slashed', 'expired'];
export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['finalized', 'slashed', 'expired']);

/** One million: probabilities are integers in parts per million. */
export const PPM = 1_000_000;
/** Basis points: shares are integers in 1/10,000. */
export const BPS = 10_000;
/** Largest amount accepted anywhere (2^50): sums of a few stay exact in doubles and in SQLite. */
export const MAX_AMOUNT = 2 ** 50;

export interface Deadlines {
  /** posted → must be locked within (ms); a job reopened after an expired lock gets a fresh one */
  post: number;
  /** locked → must be submitted within */
  exec: number;
  /** audit: an auditor's report (public model) or the operator's receipt (private) within */
  audit: number;
  /** optimistic: the challenge window after submission */
  window: number;
  /** every dispute move (a bisection reveal, the opening, a receipt) within */
  move: number;
}

export interface MarketConfig {
  deadlines: Deadlines;
  /** market fee on top of the reward, paid by the requester (to the auditor when audited) */
  feeBps: number;
  /** of a slashed stake: the share that goes to whoever exposed the fault (or the requester) */
  slashShareBps: number;
  /** of a stake slashed for an expired lock: the share kept as a bounty for whoever finishes */
  bountyBps: number;
  /** most inputs' values per job, total (request-size guard) */
  maxInputValues: number;
  /** most items one batch request (`job.post`, `job.lock`, `job.submit`) may carry */
  maxBatch: number;
  /** keep the receipts that settle jobs, for requesters to fetch (the simulation turns it off) */
  keepReceipts: boolean;
}

export const DEFAULT_CONFIG: MarketConfig = {
  deadlines: { post: 3_600_000, exec: 600_000, audit: 600_000, window: 600_000, move: 300_000 },
  feeBps: 100,
  slashShareBps: 5_000,
  bountyBps: 5_000,
  maxInputValues: 1 << 20,
  maxBatch: 1_000,
  keepReceipts: true,
};

export interface JobParams {
  model: string;
  policy: Policy;
  input: Record<string, number[]>;
  /** R: paid to the operator on finalization (≥ the model's price) */
  reward: number;
  /** S: operator stake locked for the job, slashed on a proven fault or an expired lock */
  stake: number;
  /** C: what an operator gains by cheating (the work it saves); sampled jobs need p·(R+S) > C */
  cheatGain: number;
  /** p in parts per million: audit probability (sampled) */
  auditPpm: number;
  /** B: bond a challenger (optimistic) or a disagreeing auditor (sampled) posts */
  bond: number;
}

export function isSafeAmount(v: unknown, min = 0): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= MAX_AMOUNT;
}
