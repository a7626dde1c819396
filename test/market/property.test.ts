/**
 * Property test over random sequences of actions, timeouts and crashes (a crash drops the
 * coordinator and reopens its SQLite file). Cast: two honest operators, a cheating operator (a
 * wrong tensor in one random layer, or a receipt for another input), a flaky operator (locks and
 * vanishes), an honest auditor/challenger and a lying challenger. Honest parties answer every
 * audit and dispute move before time moves on; dishonest ones move only when the sequence says so.
 *
 * After every step: the ledger balances (and settled jobs hold nothing), each job has at most one
 * settlement and has one exactly when it is terminal, no honest operator is ever slashed, and the
 * honest challenger never loses a dispute.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { TestMarket, tinyModel } from './helpers.js';
import { disputeMove, receiptBody, traceBody, type Signer } from '../../src/market/agents.js';
import { executeTrace, type ExecutedTrace } from '../../src/market/trace.js';
import type { Party } from '../../src/market/dispute.js';
import type { Policy } from '../../src/market/types.js';

type Act =
  | { k: 'post'; policy: Policy; input: number; reward: number; stake: number; p: number }
  | { k: 'take'; who: 'h1' | 'h2' | 'cheat' | 'flaky'; pick: number; step: number }
  | { k: 'challenge'; who: 'honest' | 'liar'; pick: number; step: number }
  | { k: 'dishonestMove'; pick: number }
  | { k: 'advance'; ms: number }
  | { k: 'crash' };

const { model, inputs } = tinyModel();
const INPUTS = 4;
const D = { post: 50_000, exec: 20_000, audit: 20_000, window: 30_000, move: 10_000 };

const act: fc.Arbitrary<Act> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('post' as const), policy: fc.constantFrom<Policy>('proof', 'sampled', 'optimistic'), input: fc.nat(INPUTS - 1), reward: fc.integer({ min: 10, max: 500 }), stake: fc.integer({ min: 100, max: 2000 }), p: fc.integer({ min: 200_000, max: 1_000_000 }) }) },
  { weight: 6, arbitrary: fc.record({ k: fc.constant('take' as const), who: fc.constantFrom('h1' as const, 'h2' as const, 'cheat' as const, 'flaky' as const), pick: fc.nat(), step: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('challenge' as const), who: fc.constantFrom('honest' as const, 'liar' as const), pick: fc.nat(), step: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('dishonestMove' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('advance' as const), ms: fc.constantFrom(1_000, D.move + 1, D.exec + 1, D.window + 1, D.post + 1) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'crash' as const }) },
);

interface Sides {
  op?: { who: Signer; t: ExecutedTrace };
  ch?: { who: Signer; t: ExecutedTrace };
}

function run(acts: Act[]): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkinfer-market-'));
  try {
    const m = new TestMarket({ file: path.join(dir, 'market.sqlite'), config: { deadlines: D } });
    const id = m.registerTiny(m.agent('owner'));
    const req = m.agent('requester', 10_000_000);
    const ops = { h1: m.agent('h1'), h2: m.agent('h2'), cheat: m.agent('cheat'), flaky: m.agent('flaky') };
    const honestOps = new Set([ops.h1.account, ops.h2.account]);
    const honestCh = m.agent('auditor');
    const liar = m.agent('liar');
    for (const o of Object.values(ops)) m.call(o, 'stake.deposit', { amount: 500_000 });
    const sides = new Map<number, Sides>();
    const inputOf = new Map<number, number>();
    const jobsIn = (state: string) => m.coord.store.jobs({ state: state as never, limit: 10_000 });
    const tamper = (i: number, step: number) => executeTrace(model, inputs[i], { tamper: { step, edit: (q) => void (q[0] += 1) } });

    const respond = () => {
      for (let round = 0; round < 50; round++) {
        let moved = false;
        for (const j of jobsIn('audit')) {
          if (j.policy === 'sampled' && !j.auditor) {
            const t = executeTrace(model, inputs[inputOf.get(j.id)!]);
            sides.set(j.id, { ...sides.get(j.id), ch: { who: honestCh, t } });
            m.call(honestCh, 'audit.report', traceBody(j.id, t));
            moved = true;
          }
        }
        for (const j of jobsIn('challenge')) {
          const s = sides.get(j.id)!;
          for (const [p, side] of [['operator', s.op], ['challenger', s.ch]] as [Party, Sides['op']][]) {
            if (!side || !(honestOps.has(side.who.account) || side.who === honestCh)) continue;
            const mv = disputeMove(j.id, j.dispute!, p, model, side.t);
            if (mv) {
              m.call(side.who, mv.action, mv.body);
              moved = true;
              break;
            }
          }
        }
        if (!moved) return;
      }
      throw new Error('honest agents kept moving');
    };

    const check = () => {
      const b = m.coord.checkBalanced();
      assert.ok(b.ok, b.problems.join('; '));
      for (const e of m.coord.store.eventsOfKind('slash')) assert.ok(!honestOps.has(String(e.detail?.operator)), `honest operator slashed on job ${e.job}: ${String(e.detail?.reason)}`);
      const settled = m.coord.db.prepare("SELECT key FROM ledger_transfers WHERE key LIKE 'job/%/settle'").all() as { key: string }[];
      const settledJobs = new Set(settled.map((r) => Number(r.key.split('/')[1])));
      assert.equal(settledJobs.size, settled.length);
      for (const j of m.coord.store.jobs({ limit: 10_000 })) {
        const terminal = j.state === 'finalized' || j.state === 'slashed' || j.state === 'expired';
        assert.equal(settledJobs.has(j.id), terminal, `job ${j.id} is ${j.state}, settlement transfer ${settledJobs.has(j.id) ? 'present' : 'absent'}`);
        const ends = m.coord.store.events(j.id).filter((e) => e.kind === 'finalized' || e.kind === 'expired' || (e.kind === 'slash' && !String(e.detail?.reason).startsWith('lock expired')));
        assert.equal(ends.length, terminal ? 1 : 0, `job ${j.id}: ${ends.length} settlements`);
        if (j.challenger === honestCh.account && terminal) assert.equal(j.state, 'slashed', `honest challenger lost job ${j.id}: ${j.outcome}`);
      }
    };

    for (const a of acts) {
      switch (a.k) {
        case 'post': {
          const r = m.attempt(req, 'job.post', { jobs: [{ model: id, policy: a.policy, input: inputs[a.input], reward: a.reward, stake: a.stake, cheatGain: 1, auditPpm: a.p, bond: 50 }] });
          if (r.ok) inputOf.set(r.value.jobs[0].id, a.input);
          break;
        }
        case 'take': {
          const open = jobsIn('posted');
          if (open.length === 0) break;
          const j = open[a.pick % open.length];
          const who = ops[a.who];
          m.call(who, 'job.lock', { job: j.id });
          if (a.who === 'flaky') break;
          const i = inputOf.get(j.id)!;
          if (j.policy === 'proof') {
            // the cheater proves another input (bound to this job, so only the input gives it away)
            const r = m.receipt(j.id, who, inputs[a.who === 'cheat' ? (i + 1) % INPUTS : i]);
            m.call(who, 'job.submit', receiptBody(j.id, { outputs: executeTrace(model, inputs[i]).outputs }, r.receipt));
          } else {
            const t = a.who === 'cheat' ? tamper(i, a.step) : executeTrace(model, inputs[i]);
            sides.set(j.id, { op: { who, t } });
            m.call(who, 'job.submit', traceBody(j.id, t));
          }
          break;
        }
        case 'challenge': {
          const open = jobsIn('submitted');
          if (open.length === 0) break;
          const j = open[a.pick % open.length];
          const s = sides.get(j.id)!;
          const i = inputOf.get(j.id)!;
          const t = a.who === 'honest' ? executeTrace(model, inputs[i]) : tamper(i, a.step);
          const who = a.who === 'honest' ? honestCh : liar;
          const last = s.op!.t.commitment.leaves.at(-1)!;
          if (Buffer.compare(Buffer.from(last), Buffer.from(t.commitment.leaves.at(-1)!)) === 0) break; // nothing to dispute
          sides.set(j.id, { ...s, ch: { who, t } });
          m.call(who, 'job.challenge', traceBody(j.id, t));
          break;
        }
        case 'dishonestMove': {
          const open = jobsIn('challenge');
          if (open.length === 0) break;
          const j = open[a.pick % open.length];
          const s = sides.get(j.id)!;
          for (const [p, side] of [['operator', s.op], ['challenger', s.ch]] as [Party, Sides['op']][]) {
            if (!side || honestOps.has(side.who.account) || side.who === honestCh) continue;
            const mv = disputeMove(j.id, j.dispute!, p, model, side.t);
            if (mv) {
              m.call(side.who, mv.action, mv.body);
              break;
            }
          }
          break;
        }
        case 'advance':
          m.advance(a.ms);
          break;
        case 'crash':
          m.reopen();
          break;
      }
      respond();
      check();
    }
    for (let i = 0; i < 3; i++) m.advance(10 * D.post); // a lock expires, the reopened job then expires
    check();
    assert.equal(m.coord.store.jobs({ limit: 10_000 }).filter((j) => !['finalized', 'slashed', 'expired'].includes(j.state)).length, 0, 'every job ends');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('property: random actions, timeouts and crashes — balanced, settled once, honest never slashed', () => {
  fc.assert(fc.property(fc.array(act, { minLength: 10, maxLength: 60 }), run), { numRuns: 60 });
});
