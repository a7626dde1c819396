/** The double-entry ledger and the audit draw, on their own. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import Database from 'better-sqlite3';
import { Ledger, MINT } from '../../src/market/ledger.js';
import { auditDraw, checkDraw, jobSeed, seedCommitment } from '../../src/market/policy.js';
import { toHex } from '../../src/util/bytes.js';

function ledger(): Ledger {
  return new Ledger(new Database(':memory:'));
}

test('a transfer must balance, use integers, and keep non-mint accounts ≥ 0; a refused transfer applies nothing', () => {
  const l = ledger();
  l.move('m1', MINT, 'free:a', 100);
  assert.throws(() => l.transfer('t1', [{ account: 'free:a', amount: -10 }, { account: 'free:b', amount: 9 }]), /unbalanced: its legs sum to -1/);
  assert.throws(() => l.transfer('t2', [{ account: 'free:a', amount: -0.5 }, { account: 'free:b', amount: 0.5 }]), /integer/);
  assert.throws(() => l.transfer('t3', [{ account: 'free:a', amount: -101 }, { account: 'free:b', amount: 101 }]), /insufficient funds: the balance of account a is 100, 101 needed/);
  assert.equal(l.balance('free:a'), 100);
  assert.equal(l.balance('free:b'), 0);
  assert.equal(l.applied('t3'), false);
  assert.ok(l.checkBalanced().ok);
});

test('idempotency: the same key again is a no-op returning the first result; other legs under it are refused', () => {
  const l = ledger();
  const a = l.move('k', MINT, 'free:a', 100)!;
  const b = l.move('k', MINT, 'free:a', 100)!;
  assert.equal(a.applied, true);
  assert.equal(b.applied, false);
  assert.equal(b.seq, a.seq);
  assert.equal(l.balance('free:a'), 100);
  assert.throws(() => l.move('k', MINT, 'free:a', 101), /conflicts with an earlier one of the same identity/);
  assert.equal(l.balance('free:a'), 100);
});

test('checkBalanced catches a corrupted balance, an unbalanced entry and a negative account', () => {
  for (const corrupt of [
    "UPDATE ledger_accounts SET balance = balance + 1 WHERE id = 'free:a'",
    "INSERT INTO ledger_entries (transfer, account, amount) VALUES (1, 'free:a', 5)",
    "UPDATE ledger_accounts SET balance = -1 WHERE id = 'free:a'",
  ]) {
    const l = ledger();
    l.move('m', MINT, 'free:a', 10);
    assert.ok(l.checkBalanced().ok);
    l.db.exec(corrupt);
    assert.equal(l.checkBalanced().ok, false, corrupt);
  }
});

test('property: random transfers keep Σ balances = 0 and balances = Σ entries', () => {
  const accounts = ['free:a', 'free:b', 'stake:a', 'escrow:1', 'slashed'];
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom(MINT, ...accounts), fc.constantFrom(...accounts), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 5 })), { maxLength: 60 }), (ops) => {
      const l = ledger();
      ops.forEach(([from, to, amount, key], i) => {
        try {
          l.move(`k${key === 0 ? i : key}`, from, to, amount);
        } catch {
          // refused (insufficient funds, conflicting key): nothing applied
        }
      });
      const r = l.checkBalanced();
      assert.ok(r.ok, r.problems.join('; '));
      for (const a of accounts) assert.ok(l.balance(a) >= 0);
    }),
    { numRuns: 40 },
  );
});

test('audit draw: frequency ≈ p, checkable after the reveal, and a tampered seed or draw is caught', () => {
  const master = new Uint8Array(32).fill(3);
  const ppm = 50_000;
  let hits = 0;
  const N = 20_000;
  for (let j = 1; j <= N; j++) if (auditDraw(jobSeed(master, j), j, toHex(new Uint8Array(32).fill(j & 255)), ppm)) hits++;
  const sigma = Math.sqrt(N * 0.05 * 0.95);
  assert.ok(Math.abs(hits - N * 0.05) < 4 * sigma, `${hits} audits of ${N} at p = 0.05`);
  const seed = jobSeed(master, 7);
  const commit = seedCommitment(seed);
  const sub = 'ab'.repeat(32);
  const drawn = auditDraw(seed, 7, sub, ppm);
  assert.ok(checkDraw(toHex(seed), commit, 7, sub, ppm, drawn));
  assert.equal(checkDraw(toHex(seed), commit, 7, sub, ppm, !drawn), false);
  const other = jobSeed(master, 8);
  assert.equal(checkDraw(toHex(other), commit, 7, sub, ppm, auditDraw(other, 7, sub, ppm)), false);
  assert.equal(auditDraw(seed, 7, sub, 1_000_000), true);
  assert.equal(auditDraw(seed, 7, sub, 0), false);
});
