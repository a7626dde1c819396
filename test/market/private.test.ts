/**
 * Private models (weights not public): audits and disputes are settled by a FULL receipt from the
 * operator (no per-layer slice proofs exist yet). A receipt that verifies for the job's input and
 * the submitted output settles for the operator; a wrong one, or none before the deadline, slashes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestMarket, tinyModel } from './helpers.js';
import { executeTrace } from '../../src/market/trace.js';
import { traceBody } from '../../src/market/agents.js';
import { prove } from '../../src/prover/prove.js';
import { accountName as A } from '../../src/market/ledger.js';

function setup(policy: 'sampled' | 'optimistic', input = 0) {
  const m = new TestMarket();
  const tiny = tinyModel();
  const cm = tiny.committed();
  const op = m.agent('operator');
  const reg = m.call(op, 'model.register', { visibility: 'private', modelId: cm.modelId, steps: tiny.model.layers.length + 2, price: 5 });
  assert.equal(reg.modelId, cm.modelId);
  const req = m.agent('requester');
  m.call(op, 'stake.deposit', { amount: 10_000 });
  const spec = { model: cm.modelId, policy, input: tiny.inputs[input], reward: 100, stake: 1000, bond: 300, ...(policy === 'sampled' ? { auditPpm: 1_000_000, cheatGain: 10 } : {}) };
  const job = m.call(req, 'job.post', { jobs: [spec] }).jobs[0].id as number;
  m.call(op, 'job.lock', { job });
  m.call(op, 'job.submit', traceBody(job, executeTrace(tiny.model, tiny.inputs[input])));
  return { m, op, req, job, tiny, cm };
}

const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');

test('private sampled audit: the operator’s receipt settles it; nobody can report a re-execution', () => {
  const { m, op, job, tiny, cm } = setup('sampled');
  assert.equal(m.coord.job(job)!.state, 'audit');
  m.refused(m.agent('auditor'), 'audit.report', traceBody(job, executeTrace(tiny.model, tiny.inputs[0])), 'BadState', /private model/);
  m.refused(m.agent('stranger'), 'audit.receipt', { job, receipt: b64(m.receipt(job, m.agent('stranger')).receipt) }, 'Forbidden');
  // a receipt without the job's context (or made for another job) does not settle it
  const unbound = m.attempt(op, 'audit.receipt', { job, receipt: b64(prove(cm, tiny.inputs[0]).receipt) });
  assert.ok(unbound.ok && unbound.value.state === 'slashed' && /ContextMismatch/.test(unbound.value.error));
  const again = setup('sampled');
  assert.equal(again.m.call(again.op, 'audit.receipt', { job: again.job, receipt: b64(again.m.receipt(again.job, again.op).receipt) }).state, 'finalized');
  assert.ok(again.m.coord.store.receipt(again.job), 'the settling receipt is kept for the requester');
  m.assertBalanced();
  again.m.assertBalanced();
});

test('private sampled audit: a receipt for another input slashes; no receipt before the deadline slashes', () => {
  const a = setup('sampled');
  const r = a.m.call(a.op, 'audit.receipt', { job: a.job, receipt: b64(a.m.receipt(a.job, a.op, a.tiny.inputs[1]).receipt) });
  assert.equal(r.state, 'slashed');
  assert.equal(a.m.coord.ledger.balance(A.free(a.req.account)), 1_000_000 + 500, 'requester refunded and paid half the stake');
  a.m.assertBalanced();
  const b = setup('sampled');
  b.m.advance(b.m.coord.config.deadlines.audit);
  assert.equal(b.m.coord.job(b.job)!.state, 'slashed');
  assert.match(b.m.coord.job(b.job)!.outcome!, /no audit receipt/);
  b.m.assertBalanced();
});

test('private optimistic challenge: a full receipt wins the bond; a missing one loses the stake', () => {
  const a = setup('optimistic');
  const ch = a.m.agent('challenger');
  const r = a.m.call(ch, 'job.challenge', { job: a.job });
  assert.equal(r.mode, 'receipt');
  a.m.refused(ch, 'dispute.open', { job: a.job, prefix: [], tensors: {} }, 'BadState');
  assert.equal(a.m.call(a.op, 'dispute.receipt', { job: a.job, receipt: b64(a.m.receipt(a.job, a.op).receipt) }).state, 'finalized');
  assert.equal(a.m.coord.ledger.balance(A.free(ch.account)), 1_000_000 - 300);
  a.m.assertBalanced();
  const b = setup('optimistic');
  const ch2 = b.m.agent('challenger');
  b.m.call(ch2, 'job.challenge', { job: b.job });
  b.m.advance(b.m.coord.config.deadlines.move);
  assert.equal(b.m.coord.job(b.job)!.state, 'slashed');
  assert.equal(b.m.coord.ledger.balance(A.free(ch2.account)), 1_000_000 + 500, 'bond back plus half the stake');
  b.m.assertBalanced();
});

test('registering: a public model must match its claimed ID; a private one needs an ID and its step count', () => {
  const m = new TestMarket();
  const o = m.agent('owner');
  const { zkm } = tinyModel();
  m.refused(o, 'model.register', { visibility: 'public', price: 1, zkm: Buffer.from(zkm).toString('base64'), modelId: 'ab'.repeat(32) }, 'BadModel', /commit to model ID/);
  m.refused(o, 'model.register', { visibility: 'public', price: 1, zkm: Buffer.from(zkm.subarray(0, 100)).toString('base64') }, 'BadModel');
  m.refused(o, 'model.register', { visibility: 'private', price: 1, modelId: 'xy' }, 'BadRequest');
  m.refused(o, 'model.register', { visibility: 'private', price: 1, modelId: 'ab'.repeat(32) }, 'BadRequest', /'steps'/);
  const id = m.registerTiny(o);
  m.refused(o, 'model.register', { visibility: 'public', price: 1, zkm: Buffer.from(zkm).toString('base64') }, 'BadState', /already registered/);
  assert.equal(m.coord.modelRow(id).steps, tinyModel().model.layers.length + 2);
});
