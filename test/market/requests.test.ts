/**
 * Request checks: signatures (bad, wrong key, tampered body, another market), replay protection
 * (a reused or lower nonce; a refused request still consumes its nonce), the honesty condition of
 * sampled jobs, stake requirements, expired locks, no second settlement, and atomicity of a
 * request that fails half-way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyFor, TestMarket, tinyModel } from './helpers.js';
import { receiptBody, Signer, traceBody } from '../../src/market/agents.js';
import { signRequest } from '../../src/market/sign.js';
import { accountName as A } from '../../src/market/ledger.js';
import { executeTrace } from '../../src/market/trace.js';
import { checkHonesty } from '../../src/market/policy.js';

function market() {
  const m = new TestMarket();
  const id = m.registerTiny(m.agent('owner'));
  return { m, id, req: m.agent('requester'), op: m.agent('operator') };
}

test('signatures: a valid request passes; a flipped bit, a wrong key, a tampered body or another market is refused', () => {
  const { m, op } = market();
  const good = op.sign('stake.deposit', { amount: 5 });
  const flip = { ...good, sig: (good.sig[0] === '0' ? '1' : '0') + good.sig.slice(1) };
  const wrongKey = { ...signRequest(m.coord.marketId, keyFor('mallory'), 'stake.deposit', good.nonce, { amount: 5 }), account: op.account };
  const tampered = { ...good, body: { amount: 6 } };
  const otherAction = { ...good, action: 'stake.withdraw' };
  const otherMarket = signRequest('another-market', op.key, 'stake.deposit', good.nonce, { amount: 5 });
  for (const [what, r] of [['flipped signature bit', flip], ['wrong key', wrongKey], ['tampered body', tampered], ['other action', otherAction], ['other market', otherMarket]] as const) {
    const res = m.coord.handle(r);
    assert.equal(res.ok, false, `${what} accepted`);
    if (!res.ok) assert.equal(res.error.kind, 'BadSignature', `${what}: ${res.error.kind}`);
  }
  assert.equal(m.coord.ledger.balance(A.stake(op.account)), 0);
  assert.ok(m.coord.handle(good).ok);
  assert.equal(m.coord.ledger.balance(A.stake(op.account)), 5);
});

test('malformed requests are refused with the field named, never a crash', () => {
  const { m, op } = market();
  for (const bad of [null, 42, 'x', {}, { ...op.sign('stake.deposit', { amount: 1 }), account: 'zz' }, { ...op.sign('stake.deposit', { amount: 1 }), nonce: -1 }, { ...op.sign('stake.deposit', { amount: 1 }), body: [] }]) {
    const r = m.coord.handle(bad);
    assert.equal(r.ok, false);
    if (!r.ok) assert.ok(['BadRequest', 'BadSignature'].includes(r.error.kind), r.error.kind);
  }
  m.refused(op, 'no.such.action', {}, 'BadRequest', /unknown action/);
  m.refused(op, 'stake.deposit', { amount: 1.5 }, 'BadRequest', /'amount': expected an integer/);
  m.refused(op, 'stake.deposit', { amount: -3 }, 'BadRequest');
  m.refused(op, 'job.lock', { job: 999 }, 'UnknownJob');
  m.refused(op, 'job.post', { jobs: [{ model: 'ab'.repeat(32), policy: 'proof', input: {}, stake: 1 }] }, 'UnknownModel');
});

test('replay: the same request twice, or a lower nonce, is refused; a refused request consumes its nonce', () => {
  const { m, op } = market();
  const r1 = op.sign('stake.deposit', { amount: 5 });
  assert.ok(m.coord.handle(r1).ok);
  const again = m.coord.handle(r1);
  assert.equal(again.ok, false);
  if (!again.ok) assert.equal(again.error.kind, 'Replay');
  const fresh = new Signer(op.key, m.coord.marketId); // restarts at nonce 1
  const low = m.coord.handle(fresh.sign('stake.deposit', { amount: 5 }));
  assert.equal(low.ok, false);
  if (!low.ok) assert.match(low.error.message, /not above this account's last nonce/);
  assert.equal(m.coord.ledger.balance(A.stake(op.account)), 5);
  // a refused withdrawal (too much) is not replayable after the stake arrives
  const big = op.sign('stake.withdraw', { amount: 50 });
  const r = m.coord.handle(big);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.kind, 'InsufficientFunds');
  m.call(op, 'stake.deposit', { amount: 100 });
  const replay = m.coord.handle(big);
  assert.equal(replay.ok, false);
  if (!replay.ok) assert.equal(replay.error.kind, 'Replay');
  assert.equal(m.coord.ledger.balance(A.stake(op.account)), 105);
});

test('refusals that reach the ledger name no internal account or transfer key', () => {
  const { m, id, req, op } = market();
  const { model, inputs } = tinyModel();
  const poor = m.agent('poor', 50);
  const internal = /(free|stake|locked|escrow|bond|bounty):|job\/\d+|acct\/|mint\//;
  const errors = [
    m.refused(poor, 'job.post', { jobs: [{ model: id, policy: 'proof', input: inputs[0], reward: 100, stake: 10 }] }, 'InsufficientFunds', /insufficient funds: the balance of account [0-9a-f]{16}… is 50, 101 needed/),
    m.refused(op, 'stake.withdraw', { amount: 5 }, 'InsufficientFunds', /the free stake of account/),
    m.refused(poor, 'stake.deposit', { amount: 51 }, 'InsufficientFunds'),
  ];
  m.call(op, 'stake.deposit', { amount: 1000 });
  const job = m.call(req, 'job.post', { jobs: [{ model: id, policy: 'optimistic', input: inputs[0], reward: 100, stake: 400, bond: 60 }] }).jobs[0].id;
  m.call(op, 'job.lock', { job });
  m.call(op, 'job.submit', traceBody(job, executeTrace(model, inputs[0], { tamper: { step: 1, edit: (q) => void (q[0] += 1) } })));
  errors.push(m.refused(poor, 'job.challenge', traceBody(job, executeTrace(model, inputs[0])), 'InsufficientFunds', /is 50, 60 needed/));
  for (const e of errors) assert.doesNotMatch(JSON.stringify(e), internal, `internal names in ${JSON.stringify(e)}`);
  m.assertBalanced();
});

test('honesty condition: sampled jobs with p·(R+S) ≤ C are refused with the numbers; p·(R+S) > C passes', () => {
  const { m, id, req } = market();
  const input = tinyModel().inputs[0];
  // p = 0.05, R = 100, S = 900: p·(R+S) = 50 — refused at C = 50 (equality), accepted at C = 49
  const e = m.refused(req, 'job.post', { jobs: [{ model: id, policy: 'sampled', input, reward: 100, stake: 900, cheatGain: 50, auditPpm: 50_000 }] }, 'HonestyCondition');
  assert.match(e.message, /p = 0\.05, R = 100, S = 900, C = 50/);
  assert.match(e.message, /raise p above 0\.05/);
  assert.match(e.message, /stake S to at least 901/);
  assert.equal(m.coord.ledger.balance(A.free(req.account)), 1_000_000, 'a refused post moves no money');
  m.call(req, 'job.post', { jobs: [{ model: id, policy: 'sampled', input, reward: 100, stake: 900, cheatGain: 49, auditPpm: 50_000 }] });
  // the default C is the reward: p = 0.01, R = 100, S = 100 → 2 ≤ 100
  m.refused(req, 'job.post', { jobs: [{ model: id, policy: 'sampled', input, reward: 100, stake: 100, auditPpm: 10_000 }] }, 'HonestyCondition');
  assert.doesNotThrow(() => checkHonesty(1, 2 ** 49, 2 ** 49, 1));
  assert.throws(() => checkHonesty(1_000_000, 1, 1, 2));
});

test('posting needs funds and a valid input; locking needs free stake', () => {
  const { m, id, req, op } = market();
  const input = tinyModel().inputs[0];
  const poor = m.agent('poor', 50);
  m.refused(poor, 'job.post', { jobs: [{ model: id, policy: 'proof', input, reward: 100, stake: 10 }] }, 'InsufficientFunds');
  m.refused(req, 'job.post', { jobs: [{ model: id, policy: 'proof', input: { input: [1, 2, 3] }, reward: 100, stake: 10 }] }, 'BadRequest', /expected 16 values/);
  m.refused(req, 'job.post', { jobs: [{ model: id, policy: 'proof', input, reward: 5, stake: 10 }] }, 'BadRequest', /price/);
  const job = m.call(req, 'job.post', { jobs: [{ model: id, policy: 'proof', input, reward: 100, stake: 500 }] }).jobs[0].id;
  m.call(op, 'stake.deposit', { amount: 499 });
  m.refused(op, 'job.lock', { job }, 'InsufficientStake', /needs 500 of free stake, account has 499/);
  m.call(op, 'stake.deposit', { amount: 1 });
  m.call(op, 'job.lock', { job });
  m.refused(m.agent('other'), 'job.lock', { job }, 'BadState', /locked/);
  assert.equal(m.coord.ledger.balance(A.locked(job)), 500);
  m.assertBalanced();
});

test('expired lock: the operator is slashed, the job reopens, and whoever finishes it collects the bounty', () => {
  const { m, id, req, op } = market();
  const { model, inputs } = tinyModel();
  const op2 = m.agent('operator2');
  m.call(op, 'stake.deposit', { amount: 1000 });
  m.call(op2, 'stake.deposit', { amount: 1000 });
  const job = m.call(req, 'job.post', { jobs: [{ model: id, policy: 'optimistic', input: inputs[0], reward: 100, stake: 400 }] }).jobs[0].id;
  m.call(op, 'job.lock', { job });
  m.advance(m.coord.config.deadlines.exec);
  const j = m.coord.job(job)!;
  assert.equal(j.state, 'posted');
  assert.equal(j.attempt, 1);
  assert.equal(m.coord.ledger.balance(A.stake(op.account)), 600);
  assert.equal(m.coord.ledger.balance(A.bounty(job)), 200);
  assert.equal(m.coord.ledger.balance(A.slashed), 200);
  // the late operator cannot submit any more
  m.refused(op, 'job.submit', traceBody(job, executeTrace(model, inputs[0])), 'BadState');
  const before = m.coord.ledger.balance(A.free(op2.account));
  m.call(op2, 'job.lock', { job });
  m.call(op2, 'job.submit', traceBody(job, executeTrace(model, inputs[0])));
  m.advance(m.coord.config.deadlines.window);
  assert.equal(m.coord.job(job)!.state, 'finalized');
  assert.equal(m.coord.ledger.balance(A.free(op2.account)), before + 100 + 200);
  assert.equal(m.coord.ledger.balance(A.stake(op2.account)), 1000);
  m.assertBalanced();
});

test('an unlocked job expires and refunds the requester', () => {
  const { m, id, req } = market();
  m.call(req, 'job.post', { jobs: [{ model: id, policy: 'proof', input: tinyModel().inputs[0], reward: 100, stake: 10 }] });
  assert.equal(m.coord.ledger.balance(A.free(req.account)), 1_000_000 - 101);
  m.advance(m.coord.config.deadlines.post);
  assert.equal(m.coord.ledger.balance(A.free(req.account)), 1_000_000);
  m.assertBalanced();
});

test('no job is settled twice: every later settlement, request or deadline is refused and moves nothing', () => {
  const { m, id, req, op } = market();
  const { model, inputs } = tinyModel();
  m.call(op, 'stake.deposit', { amount: 1000 });
  const job = m.call(req, 'job.post', { jobs: [{ model: id, policy: 'optimistic', input: inputs[0], reward: 100, stake: 400 }] }).jobs[0].id;
  m.call(op, 'job.lock', { job });
  const t = executeTrace(model, inputs[0]);
  m.call(op, 'job.submit', traceBody(job, t));
  m.advance(m.coord.config.deadlines.window);
  const ch = m.agent('ch');
  const transfers = m.coord.ledger.checkBalanced().transfers;
  const settlement = (m.coord as unknown as { settlement: { finalize: Function; slash: Function } }).settlement;
  const row = m.coord.job(job)!;
  assert.throws(() => settlement.finalize(row, m.time, 'again'), /already finalized/);
  assert.throws(() => settlement.slash(row, m.time, 'again', null), /already finalized/);
  // even with a stale row (as if the state check were skipped), the ledger's settle key refuses
  assert.throws(() => settlement.slash({ ...row, state: 'submitted' }, m.time, 'stale', null), /conflicts with an earlier one|already settled/);
  m.refused(op, 'job.submit', traceBody(job, t), 'BadState');
  m.refused(ch, 'job.challenge', traceBody(job, t), 'BadState');
  m.advance(10 * m.coord.config.deadlines.post);
  assert.equal(m.coord.ledger.checkBalanced().transfers, transfers);
  assert.equal(m.coord.job(job)!.state, 'finalized');
  m.assertBalanced();
});

/** Makes every finalization fail after its ledger transfer (the 'finalized' event throws); returns the undo. */
function crashAfterSettlementTransfer(m: TestMarket): () => void {
  const store = m.coord.store;
  const orig = store.event.bind(store);
  store.event = (j, at, kind, d) => {
    if (kind === 'finalized') throw new Error('simulated crash after the settlement transfer');
    orig(j, at, kind, d);
  };
  return () => void (store.event = orig);
}

test('a request that fails half-way (after its transfer) leaves nothing behind', () => {
  const { m, id, req, op } = market();
  const tiny = tinyModel();
  m.call(op, 'stake.deposit', { amount: 1000 });
  const job = m.call(req, 'job.post', { jobs: [{ model: id, policy: 'proof', input: tiny.inputs[0], reward: 100, stake: 400 }] }).jobs[0].id;
  m.call(op, 'job.lock', { job });
  const restore = crashAfterSettlementTransfer(m);
  const before = m.coord.ledger.checkBalanced().transfers;
  const p = m.receipt(job, op);
  const r = m.attempt(op, 'job.submit', receiptBody(job, p, p.receipt));
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.kind, 'Internal');
  assert.equal(m.coord.ledger.checkBalanced().transfers, before);
  assert.equal(m.coord.job(job)!.state, 'locked');
  assert.equal(m.coord.ledger.balance(A.escrow(job)), 101);
  restore();
  assert.equal(m.call(op, 'job.submit', receiptBody(job, p, p.receipt)).state, 'finalized');
  m.assertBalanced();
});

test('a sampled draw that fails half-way (after its transfer) leaves the committed submission, and the next tick draws it', () => {
  const { m, id, req, op } = market();
  const { model, inputs } = tinyModel();
  m.call(op, 'stake.deposit', { amount: 1000 });
  const job = m.call(req, 'job.post', { jobs: [{ model: id, policy: 'sampled', input: inputs[0], reward: 100, stake: 400, cheatGain: 1, auditPpm: 10_000 }] }).jobs[0].id;
  m.call(op, 'job.lock', { job });
  const restore = crashAfterSettlementTransfer(m);
  const before = m.coord.ledger.checkBalanced().transfers;
  const r = m.call(op, 'job.submit', traceBody(job, executeTrace(model, inputs[0])));
  assert.equal(r.state, 'submitted', 'the submission committed before its draw');
  assert.match(r.draw, /pending/);
  assert.equal(m.coord.ledger.checkBalanced().transfers, before, "the draw's settlement transfer was rolled back with it");
  assert.equal(m.coord.job(job)!.state, 'submitted');
  assert.equal(m.coord.ledger.balance(A.escrow(job)), 101);
  restore();
  m.coord.tick();
  assert.equal(m.coord.job(job)!.state, 'finalized');
  m.assertBalanced();
});

test('a sampled submission whose last leaf does not bind its output is refused (BadProof), not slashed', () => {
  const { m, id, req, op } = market();
  const { model, inputs } = tinyModel();
  m.call(op, 'stake.deposit', { amount: 1000 });
  const job = m.call(req, 'job.post', { jobs: [{ model: id, policy: 'sampled', input: inputs[0], reward: 100, stake: 400, cheatGain: 1, auditPpm: 10_000 }] }).jobs[0].id;
  m.call(op, 'job.lock', { job });
  const body = traceBody(job, executeTrace(model, inputs[0])) as { outputs: { name: string; q: string }[] };
  const q = new Int32Array(new Uint8Array(Buffer.from(body.outputs[0].q, 'base64')).buffer);
  q[3] += 1;
  const forged = { ...body, outputs: [{ name: body.outputs[0].name, q: Buffer.from(q.buffer).toString('base64') }] };
  m.refused(op, 'job.submit', forged, 'BadProof', /does not commit to the submitted outputs/);
  assert.equal(m.coord.job(job)!.state, 'locked');
});

test('batches: locks and submissions of several jobs in one request are all or nothing, each item settled on its own', () => {
  const { m, id, req, op } = market();
  const { model, inputs } = tinyModel();
  m.call(op, 'stake.deposit', { amount: 1000 });
  const ids = m.call(req, 'job.post', { jobs: [0, 1, 2].map((i) => ({ model: id, policy: 'optimistic', input: inputs[i], reward: 100, stake: 400 })) }).jobs.map((x: { id: number }) => x.id);
  // 3 × 400 > 1000: the third lock fails, so none is taken
  const e = m.refused(op, 'job.lock', { jobs: ids }, 'InsufficientStake');
  assert.match(e.message, /^jobs\[2\]: /);
  assert.deepEqual(ids.map((j: number) => m.coord.job(j)!.state), ['posted', 'posted', 'posted']);
  assert.equal(m.coord.ledger.balance(A.stake(op.account)), 1000);
  m.call(op, 'job.lock', { jobs: ids.slice(0, 2) });
  const results = ids.slice(0, 2).map((j: number, k: number) => traceBody(j, executeTrace(model, inputs[k])));
  // the second item names a job this operator did not lock: the whole batch is refused
  m.refused(op, 'job.submit', { results: [results[0], { ...results[1], job: ids[2] }] }, 'BadState', /^results\[1\]: job \d+ is posted/);
  assert.equal(m.coord.job(ids[0])!.state, 'locked');
  const r = m.call(op, 'job.submit', { results });
  assert.deepEqual(r.results.map((x: { state: string }) => x.state), ['submitted', 'submitted']);
  m.refused(op, 'job.submit', { results: [] }, 'BadRequest');
  m.assertBalanced();
});
