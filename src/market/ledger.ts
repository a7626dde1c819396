/**
 * The market's money: a double-entry ledger in SQLite (better-sqlite3).
 *
 * Every movement is a *transfer*: a set of legs (account, amount ≠ 0) whose amounts sum to zero,
 * written in one SQLite transaction together with its entries and the new balances (the caller's
 * transaction when there is one — the coordinator's request — else its own). Every check runs
 * before the first write, so a refused transfer writes nothing. Hence the
 * invariant Σ_accounts balance = 0 at every commit: money only moves, the `mint` account (the one
 * account allowed below zero) records what was issued, and nothing is created or lost — a crash
 * either keeps a whole transfer or none of it (SQLite's atomic commit; WAL for file stores).
 *
 * Every transfer has an idempotency key. Applying a key again is a no-op that returns the first
 * result; applying it with different legs is refused (IdempotencyConflict) — a key names one
 * movement. Refusals describe accounts in words (`describeAccount`) and never quote a ledger
 * key, a transfer key or another transfer's legs: they reach whoever sent the request. Accounts other than `mint` may never go negative (InsufficientFunds, nothing applied).
 * Amounts are safe integers ≤ 2^50 (no floats); the sum check runs in BigInt.
 *
 * Account names used by the coordinator (`accountName` below): `free:<pk>` spendable balance,
 * `stake:<pk>` free stake, `locked:<job>` the operator stake locked for a job, `escrow:<job>` the
 * requester's payment, `bond:<job>` a challenger's bond, `bounty:<job>` part of an expired lock's
 * slash kept for whoever finishes the job, and the market accounts `slashed`, `fees`, `mint`.
 *
 * `checkBalanced()` audits the whole store: the balances sum to zero, every transfer's entries sum
 * to zero, and every balance equals the sum of its account's entries.
 */
import type Database from 'better-sqlite3';
import { MarketError, MAX_AMOUNT } from './types.js';

export interface Leg {
  account: string;
  amount: number;
}

export interface TransferResult {
  key: string;
  /** false when the key had already been applied (nothing changed this time) */
  applied: boolean;
  seq: number;
}

export interface BalanceReport {
  ok: boolean;
  total: number;
  transfers: number;
  problems: string[];
}

export const MINT = 'mint';

export const accountName = {
  free: (pk: string) => `free:${pk}`,
  stake: (pk: string) => `stake:${pk}`,
  locked: (job: number) => `locked:${job}`,
  escrow: (job: number) => `escrow:${job}`,
  bond: (job: number) => `bond:${job}`,
  bounty: (job: number) => `bounty:${job}`,
  slashed: 'slashed',
  fees: 'fees',
  mint: MINT,
} as const;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ledger_accounts (id TEXT PRIMARY KEY, balance INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ledger_transfers (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, legs TEXT NOT NULL, memo TEXT, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS ledger_entries (transfer INTEGER NOT NULL, account TEXT NOT NULL, amount INTEGER NOT NULL);
`;

export class Ledger {
  private readonly findKey: Database.Statement<[string], { seq: number; legs: string }>;
  private readonly insTransfer: Database.Statement<[string, string, string | null, number]>;
  private readonly getBal: Database.Statement<[string], { balance: number }>;
  private readonly apply: (key: string, legs: Leg[], memo: string | null, at: number) => TransferResult;
  /** multi-row statements by row count: entries insert, balance upsert, balance read */
  private readonly byCount = new Map<number, { entries: Database.Statement; upsert: Database.Statement; read: Database.Statement }>();

  constructor(readonly db: Database.Database) {
    db.exec(SCHEMA);
    this.findKey = db.prepare('SELECT seq, legs FROM ledger_transfers WHERE key = ?');
    this.insTransfer = db.prepare('INSERT INTO ledger_transfers (key, legs, memo, at) VALUES (?, ?, ?, ?)');
    this.getBal = db.prepare('SELECT balance FROM ledger_accounts WHERE id = ?');
    const apply = (key: string, legs: Leg[], memo: string | null, at: number): TransferResult => {
      const canon = legs.map((l) => `${l.account}=${l.amount}`).join(';');
      const prev = this.findKey.get(key);
      if (prev) {
        // the message names neither the key nor any leg: other parties' movements stay private
        if (prev.legs !== canon) throw new MarketError('IdempotencyConflict', 'this transfer conflicts with an earlier one of the same identity; nothing was applied');
        return { key, applied: false, seq: prev.seq };
      }
      // every check before the first write: a refused transfer writes nothing
      const debits = legs.filter((l) => l.amount < 0 && l.account !== MINT).map((l) => l.account);
      const has = this.balancesOf(debits);
      for (const l of legs) {
        if (l.amount >= 0 || l.account === MINT) continue;
        const h = has.get(l.account) ?? 0;
        if (h + l.amount < 0) throw new MarketError('InsufficientFunds', `insufficient funds: ${describeAccount(l.account)} is ${h}, ${-l.amount} needed`, { needed: -l.amount, available: h });
      }
      const seq = Number(this.insTransfer.run(key, canon, memo, at).lastInsertRowid);
      if (legs.length === 0) return { key, applied: true, seq };
      const st = this.statements(legs.length);
      st.entries.run(legs.flatMap((l) => [seq, l.account, l.amount]));
      for (const { id, balance } of st.upsert.all(legs.flatMap((l) => [l.account, l.amount])) as { id: string; balance: number }[]) {
        // only reachable after ~2^3 credits of 2^50 to one account; the caller's transaction rolls it back
        if (!Number.isSafeInteger(balance)) throw new MarketError('BadRequest', `${describeAccount(id)} would leave the safe integer range`);
      }
      return { key, applied: true, seq };
    };
    // Inside a caller's transaction (the coordinator's request) the writes join it — the caller
    // rolls everything back on any error; on its own a transfer is its own transaction.
    const own = db.transaction(apply);
    this.apply = (key, legs, memo, at) => (db.inTransaction ? apply(key, legs, memo, at) : own(key, legs, memo, at));
  }

  /**
   * Applies a balanced transfer atomically (see the header). Zero legs are dropped; legs on the
   * same account are merged. Throws MarketError (nothing applied) on an unbalanced or malformed
   * transfer, a conflicting key, or an account other than `mint` going negative.
   */
  transfer(key: string, legs: Leg[], opts: { memo?: string; at?: number } = {}): TransferResult {
    if (typeof key !== 'string' || key.length === 0) throw new MarketError('BadRequest', 'transfer key must be a non-empty string');
    const merged = new Map<string, number>();
    let sum = 0n;
    for (const l of legs) {
      if (typeof l.account !== 'string' || l.account.length === 0) throw new MarketError('BadRequest', `transfer '${key}': leg without an account`);
      if (!Number.isSafeInteger(l.amount) || Math.abs(l.amount) > MAX_AMOUNT) throw new MarketError('BadRequest', `expected an integer amount with |amount| ≤ 2^50 for ${describeAccount(l.account)}, got ${l.amount}`);
      sum += BigInt(l.amount);
      merged.set(l.account, (merged.get(l.account) ?? 0) + l.amount);
    }
    if (sum !== 0n) throw new MarketError('Unbalanced', `a transfer is unbalanced: its legs sum to ${sum}, expected 0; nothing was applied`);
    const clean = [...merged].filter(([, a]) => a !== 0).map(([account, amount]) => ({ account, amount }));
    // Debits first, so a failing debit is found before any credit row is written.
    clean.sort((a, b) => a.amount - b.amount || (a.account < b.account ? -1 : 1));
    return this.apply(key, clean, opts.memo ?? null, opts.at ?? 0);
  }

  /** Moves `amount` from one account to another (a two-leg transfer); amount 0 records nothing. */
  move(key: string, from: string, to: string, amount: number, opts: { memo?: string; at?: number } = {}): TransferResult | null {
    if (amount === 0) return null;
    return this.transfer(key, [{ account: from, amount: -amount }, { account: to, amount }], opts);
  }

  private statements(n: number) {
    let st = this.byCount.get(n);
    if (!st) {
      const rows = (k: number) => Array.from({ length: n }, () => `(${Array(k).fill('?').join(', ')})`).join(', ');
      st = {
        entries: this.db.prepare(`INSERT INTO ledger_entries (transfer, account, amount) VALUES ${rows(3)}`),
        upsert: this.db.prepare(`INSERT INTO ledger_accounts (id, balance) VALUES ${rows(2)} ON CONFLICT (id) DO UPDATE SET balance = balance + excluded.balance RETURNING id, balance`),
        read: this.db.prepare(`SELECT id, balance FROM ledger_accounts WHERE id IN (${Array(n).fill('?').join(', ')})`),
      };
      this.byCount.set(n, st);
    }
    return st;
  }

  balance(account: string): number {
    return this.getBal.get(account)?.balance ?? 0;
  }

  /** Balances of several accounts in one query (absent accounts: 0, i.e. missing from the map). */
  balancesOf(accounts: readonly string[]): Map<string, number> {
    if (accounts.length === 0) return new Map();
    const rows = this.statements(accounts.length).read.all(...accounts) as { id: string; balance: number }[];
    return new Map(rows.map((r) => [r.id, r.balance]));
  }

  /** Balances of every account whose name starts with `prefix` (all when empty). */
  balances(prefix = ''): Map<string, number> {
    const rows = this.db.prepare('SELECT id, balance FROM ledger_accounts WHERE id >= ? AND id < ? ORDER BY id').all(prefix, prefix + '\uffff') as { id: string; balance: number }[];
    return new Map(rows.map((r) => [r.id, r.balance]));
  }

  /** Whether transfer `key` has been applied. */
  applied(key: string): boolean {
    return this.findKey.get(key) !== undefined;
  }

  /** Audits the store (see the header). Reads only. */
  checkBalanced(): BalanceReport {
    const problems: string[] = [];
    const total = BigInt((this.db.prepare('SELECT COALESCE(SUM(balance), 0) AS s FROM ledger_accounts').get() as { s: number }).s);
    if (total !== 0n) problems.push(`balances sum to ${total}, expected 0`);
    const badT = this.db.prepare('SELECT transfer, SUM(amount) AS s FROM ledger_entries GROUP BY transfer HAVING s != 0 LIMIT 5').all() as { transfer: number; s: number }[];
    for (const r of badT) problems.push(`transfer #${r.transfer}: entries sum to ${r.s}`);
    const badA = this.db
      .prepare(
        `SELECT a.id AS id, a.balance AS balance, COALESCE(e.s, 0) AS s FROM ledger_accounts a
         LEFT JOIN (SELECT account, SUM(amount) AS s FROM ledger_entries GROUP BY account) e ON e.account = a.id
         WHERE a.balance != COALESCE(e.s, 0) LIMIT 5`,
      )
      .all() as { id: string; balance: number; s: number }[];
    for (const r of badA) problems.push(`account ${short(r.id)}: balance ${r.balance} ≠ sum of entries ${r.s}`);
    const negative = this.db.prepare("SELECT id, balance FROM ledger_accounts WHERE balance < 0 AND id != 'mint' LIMIT 5").all() as { id: string; balance: number }[];
    for (const r of negative) problems.push(`account ${short(r.id)} is negative (${r.balance})`);
    const transfers = (this.db.prepare('SELECT COUNT(*) AS n FROM ledger_transfers').get() as { n: number }).n;
    return { ok: problems.length === 0, total: Number(total), transfers, problems };
  }
}

/**
 * An account as the people it concerns call it, for refusal messages: never the ledger's own key
 * or a transfer's identity (those are internal).
 */
export function describeAccount(account: string): string {
  const [kind, id = ''] = account.split(':', 2);
  const who = id.length > 16 ? `${id.slice(0, 16)}…` : id;
  switch (kind) {
    case 'free': return `the balance of account ${who}`;
    case 'stake': return `the free stake of account ${who}`;
    case 'locked': return `the stake locked for job ${who}`;
    case 'escrow': return `the escrow of job ${who}`;
    case 'bond': return `the challenger bond of job ${who}`;
    case 'bounty': return `the bounty of job ${who}`;
    case 'slashed': return "the market's slashed funds";
    case 'fees': return "the market's fees";
    case MINT: return 'the issued money';
    default: return 'an account';
  }
}

function short(account: string): string {
  const i = account.indexOf(':');
  return i >= 0 && account.length > i + 17 ? `${account.slice(0, i + 17)}…` : account;
}
