/** One job per policy through the whole lifecycle, with balances checked at the end. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestMarket, tinyModel } from './helpers.js';
import { executeTrace } from '../../src/market/trace.js';
import { traceBody, receiptBody } from '../../src/market/agents.js';
import { prove } from '../../src/prover/prove.js';
import { accountName as A } from '../../src/market/ledger.js';
import { checkDraw, receiptContext, submissionHash } from '../../src/market/policy.js';
import type { TraceClaim } from '../../src/market/trace.js';

/** A market with the tiny model registered, a requester, and an operator with 10,000 staked. */
function parties() {
  const m = new TestMarket();
  const id = m.registerTiny(m.agent('owner'));
  const req = m.agent('requester');
  const op = m.agent('operator');
  m.call(op, 'stake.deposit', { amount: 10_000 });
  return { m, req, op, id };
}

test('sampled job: post, lock, submit, draw, finalize; seed reveal checks out', () => {
  const { m, req, op, id } = parties();
  const { model, inputs } = tinyModel();
  const { jobs } = m.call(req, 'job.post', { jobs: [{ model: id, policy: 'sampled', input: inputs[0], reward: 100, stake: 1000, cheatGain: 50, auditPpm: 1_000_000 }] });
  const job = jobs[0].id;
  m.call(op, 'job.lock', { job });
  const t = executeTrace(model, inputs[0]);
  const r = m.call(op, 'job.submit', traceBody(job, t));
  const j = m.coord.job(job)!;
  assert.ok(checkDraw(j.seed!, m.coord.seedCommitOf(job), job, j.subHash!, j.auditPpm, j.audited!));
  assert.equal(m.coord.seedCommitOf(job), jobs[0].seedCommit, 'the commitment returned at posting');
  assert.equal(j.subHash, submissionHash(job, op.account, traceBody(job, t).trace as TraceClaim));
  if (r.state === 'audit') {
    const aud = m.agent('auditor');
    assert.equal(m.call(aud, 'audit.report', traceBody(job, executeTrace(model, inputs[0]))).state, 'audit');
    m.refused(m.agent('auditor2'), 'audit.report', traceBody(job, executeTrace(model, inputs[0])), 'BadState', /already agreed/);
    m.advance(m.coord.config.deadlines.audit);
    assert.equal(m.coord.ledger.balance(A.free(aud.account)), 1_000_000 + 1, 'the agreeing auditor earns the fee');
  }
  assert.equal(m.coord.job(job)!.state, 'finalized');
  assert.equal(m.coord.ledger.balance(A.free(op.account)), 1_000_000 - 10_000 + 100);
  assert.equal(m.coord.ledger.balance(A.stake(op.account)), 10_000);
  m.assertBalanced();
});

test('proof job: an honest receipt settles; a receipt for another input is slashed', () => {
  const { m, req, op, id } = parties();
  const tiny = tinyModel();
  assert.equal(tiny.committed().modelId, id);
  const { jobs } = m.call(req, 'job.post', { jobs: [0, 1].map((i) => ({ model: id, policy: 'proof', input: tiny.inputs[i], reward: 100, stake: 1000 })) });
  const [a, b] = jobs.map((x: { id: number }) => x.id);
  m.call(op, 'job.lock', { job: a });
  m.call(op, 'job.lock', { job: b });
  const pa = m.receipt(a, op);
  assert.equal(m.call(op, 'job.submit', receiptBody(a, pa, pa.receipt)).state, 'finalized');
  // job b's input is inputs[1]; a valid receipt of inputs[0], even one bound to job b, must fail
  const wrong = m.receipt(b, op, tiny.inputs[0]);
  const r = m.call(op, 'job.submit', receiptBody(b, wrong, wrong.receipt));
  assert.equal(r.state, 'slashed');
  assert.match(r.error, /InputMismatch/);
  m.assertBalanced();
});

test('proof job: a receipt is bound to its market, job and operator — nobody is paid for another one', () => {
  const { m, req, op, id } = parties();
  const tiny = tinyModel();
  const thief = m.agent('thief');
  m.call(thief, 'stake.deposit', { amount: 10_000 });
  // two jobs on the same input: operator A serves one and its receipt becomes public
  const { jobs } = m.call(req, 'job.post', { jobs: [0, 0].map((i) => ({ model: id, policy: 'proof', input: tiny.inputs[i], reward: 100, stake: 1000 })) });
  const a: number = jobs[0].id;
  let b: number = jobs[1].id;
  m.call(op, 'job.lock', { job: a });
  const pa = m.receipt(a, op);
  assert.equal(m.call(op, 'job.submit', receiptBody(a, pa, pa.receipt)).state, 'finalized');
  // operator B replays A's receipt (or an unbound one, or one bound to another market) on job b
  m.call(thief, 'job.lock', { job: b });
  const unbound = prove(tiny.committed(), tiny.inputs[0]);
  const otherMarket = prove(tiny.committed(), tiny.inputs[0], { context: receiptContext('another-market', b, thief.account) });
  for (const [what, rc] of [['the receipt of job a', pa.receipt], ['a receipt with no context', unbound.receipt], ['a receipt for another market', otherMarket.receipt]] as const) {
    const before = m.coord.job(b)!;
    assert.equal(before.state, 'locked', what);
    const r = m.attempt(thief, 'job.submit', receiptBody(b, pa, rc));
    assert.ok(r.ok);
    assert.equal(r.value.state, 'slashed', `${what} was accepted`);
    assert.match(r.value.error, /ContextMismatch/);
    // the slash reopens nothing (proof jobs end slashed); post a fresh job on the same input for the next case
    const next = m.call(req, 'job.post', { jobs: [{ model: id, policy: 'proof', input: tiny.inputs[0], reward: 100, stake: 1000 }] }).jobs[0].id;
    m.call(thief, 'job.lock', { job: next });
    b = next;
  }
  // its own receipt for the job settles it
  const own = m.receipt(b, thief);
  assert.equal(m.call(thief, 'job.submit', receiptBody(b, own, own.receipt)).state, 'finalized');
  m.assertBalanced();
});

test('optimistic job: final after the challenge window', () => {
  const { m, req, op, id } = parties();
  const { model, inputs } = tinyModel();
  const job = m.call(req, 'job.post', { jobs: [{ model: id, policy: 'optimistic', input: inputs[2], reward: 100, stake: 1000 }] }).jobs[0].id;
  m.call(op, 'job.lock', { job });
  m.call(op, 'job.submit', traceBody(job, executeTrace(model, inputs[2])));
  assert.equal(m.coord.job(job)!.state, 'submitted');
  m.advance(m.coord.config.deadlines.window + 1);
  assert.equal(m.coord.job(job)!.state, 'finalized');
  m.assertBalanced();
});
