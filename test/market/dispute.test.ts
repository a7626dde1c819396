/**
 * Disputes: an operator that cheats in exactly one step is found at that step and loses; a
 * challenger that lies loses its bond; every tampered move (a Merkle path, an opened tensor, a
 * prefix digest, a move out of turn) is refused; late movers lose.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestMarket, tinyModel } from './helpers.js';
import { commitDigests, executeTrace, outputDigest, type ExecutedTrace } from '../../src/market/trace.js';
import { disputeMove, traceBody, type Signer } from '../../src/market/agents.js';
import { accountName as A } from '../../src/market/ledger.js';
import type { Party } from '../../src/market/dispute.js';

const STAKE = 1000;
const BOND = 300;
const REWARD = 100;

function setup(policy: 'optimistic' | 'sampled' = 'optimistic', input = 0) {
  const m = new TestMarket();
  const id = m.registerTiny(m.agent('owner'));
  const req = m.agent('requester');
  const op = m.agent('operator');
  const ch = m.agent('challenger');
  m.call(op, 'stake.deposit', { amount: 10 * STAKE });
  const spec = { model: id, policy, input: tinyModel().inputs[input], reward: REWARD, stake: STAKE, bond: BOND, ...(policy === 'sampled' ? { auditPpm: 1_000_000, cheatGain: 10 } : {}) };
  const job = m.call(req, 'job.post', { jobs: [spec] }).jobs[0].id as number;
  m.call(op, 'job.lock', { job });
  return { m, req, op, ch, job };
}

/** A trace whose step `step` (1..n) is off by one in one value, later layers computed from it. */
function cheat(input: Record<string, number[]>, step: number): ExecutedTrace {
  return executeTrace(tinyModel().model, input, { tamper: { step, edit: (q) => void (q[q.length >> 1] += 1) } });
}

/** Both parties play their traces to the end; returns the resolving call's result. */
function playOut(m: TestMarket, job: number, sides: Record<Party, { who: Signer; t: ExecutedTrace }>): any {
  const { model } = tinyModel();
  for (let guard = 0; guard < 64; guard++) {
    const j = m.coord.job(job)!;
    if (j.state !== 'challenge') return null;
    let moved: any = null;
    for (const p of ['operator', 'challenger'] as Party[]) {
      const mv = disputeMove(job, j.dispute!, p, model, sides[p].t);
      if (mv) {
        moved = m.call(sides[p].who, mv.action, mv.body);
        break;
      }
    }
    assert.ok(moved, 'nobody could move');
    if (moved.state !== 'challenge') return moved;
  }
  throw new Error('dispute did not end');
}

const { model, inputs } = tinyModel();
const n = model.layers.length;

for (let step = 1; step <= n; step++) {
  test(`operator cheats in layer ${step} only: the bisection finds step ${step} and the operator is slashed`, () => {
    const { m, op, ch, job } = setup();
    const bad = cheat(inputs[0], step);
    m.call(op, 'job.submit', traceBody(job, bad));
    const good = executeTrace(model, inputs[0]);
    const chBefore = m.coord.ledger.balance(A.free(ch.account));
    m.call(ch, 'job.challenge', traceBody(job, good));
    const end = playOut(m, job, { operator: { who: op, t: bad }, challenger: { who: ch, t: good } });
    assert.equal(end.state, 'slashed');
    assert.equal(end.step, step, `bisection settled step ${end.step}, the fault is in step ${step}`);
    assert.equal(end.winner, 'challenger');
    // challenger: bond back plus half the slashed stake
    assert.equal(m.coord.ledger.balance(A.free(ch.account)), chBefore + STAKE / 2);
    assert.match(m.coord.job(job)!.outcome!, new RegExp(`layer '${model.layers[step - 1].name}'`));
    m.assertBalanced();
  });
}

test('operator commits the honest trace but a wrong output: the dispute settles at the output step', () => {
  const { m, op, ch, job } = setup();
  const good = executeTrace(model, inputs[0]);
  const wrongOut = good.outputs.map((o) => ({ name: o.name, q: o.q.map((v, i) => (i === 0 ? v + 1 : v)) }));
  const digests = [...good.commitment.digests.slice(0, -1), outputDigest(wrongOut)];
  const bad: ExecutedTrace = { outputs: wrongOut, tensors: good.tensors, commitment: commitDigests(digests) };
  m.call(op, 'job.submit', traceBody(job, bad));
  m.call(ch, 'job.challenge', traceBody(job, good));
  const end = playOut(m, job, { operator: { who: op, t: bad }, challenger: { who: ch, t: good } });
  assert.equal(end.step, n + 1);
  assert.equal(end.state, 'slashed');
  m.assertBalanced();
});

test('operator computes on another input: the dispute settles at step 0 from the job input alone', () => {
  const { m, op, ch, job } = setup();
  const bad = executeTrace(model, inputs[1]);
  const good = executeTrace(model, inputs[0]);
  m.call(op, 'job.submit', traceBody(job, bad));
  const first = m.call(ch, 'job.challenge', traceBody(job, good));
  const end = first.state === 'challenge' ? playOut(m, job, { operator: { who: op, t: bad }, challenger: { who: ch, t: good } }) : first;
  assert.equal(end.state, 'slashed');
  assert.equal(end.step, 0);
  m.assertBalanced();
});

for (let step = 1; step <= n; step++) {
  test(`challenger lies in layer ${step}: the operator wins and takes the bond`, () => {
    const { m, op, ch, job } = setup();
    const good = executeTrace(model, inputs[0]);
    m.call(op, 'job.submit', traceBody(job, good));
    const opBefore = m.coord.ledger.balance(A.free(op.account));
    const chBefore = m.coord.ledger.balance(A.free(ch.account));
    const lie = cheat(inputs[0], step);
    m.call(ch, 'job.challenge', traceBody(job, lie));
    const end = playOut(m, job, { operator: { who: op, t: good }, challenger: { who: ch, t: lie } });
    assert.equal(end.state, 'finalized');
    assert.equal(end.winner, 'operator');
    assert.equal(end.step, step);
    assert.equal(m.coord.ledger.balance(A.free(ch.account)), chBefore - BOND);
    assert.equal(m.coord.ledger.balance(A.free(op.account)), opBefore + REWARD + BOND);
    m.assertBalanced();
  });
}

test('sampled audit: a colluding auditor agrees with a cheater, an honest one still disputes within the window and wins', () => {
  const { m, op, ch: aud, job } = setup('sampled');
  const bad = cheat(inputs[0], 2);
  assert.equal(m.call(op, 'job.submit', traceBody(job, bad)).state, 'audit'); // p = 1
  assert.equal(m.call(m.agent('colluder'), 'audit.report', traceBody(job, bad)).state, 'audit');
  const good = executeTrace(model, inputs[0]);
  m.call(aud, 'audit.report', traceBody(job, good));
  const end = playOut(m, job, { operator: { who: op, t: bad }, challenger: { who: aud, t: good } });
  assert.equal(end.state, 'slashed');
  assert.equal(end.step, 2);
  m.assertBalanced();
});

test('tampered dispute moves are refused and change nothing', () => {
  const { m, op, ch, job } = setup();
  const bad = cheat(inputs[0], 1);
  const good = executeTrace(model, inputs[0]);
  m.call(op, 'job.submit', traceBody(job, bad));
  m.call(ch, 'job.challenge', traceBody(job, good));
  const d0 = m.coord.job(job)!.dispute!;
  assert.equal(d0.mode, 'bisect');
  const mv = disputeMove(job, d0, 'operator', model, bad)!;
  // out of turn
  m.refused(ch, mv.action, disputeMove(job, { ...d0, turn: 'challenger' }, 'challenger', model, good)!.body, 'Forbidden');
  // wrong index
  m.refused(op, mv.action, { ...mv.body, index: (mv.body.index as number) + 1 }, 'BadRequest');
  // one byte of the Merkle path
  const proof = mv.body.proof as string;
  m.refused(op, mv.action, { ...mv.body, proof: (proof[0] === '0' ? '1' : '0') + proof.slice(1) }, 'BadProof');
  // one byte of the leaf
  const leaf = mv.body.leaf as string;
  m.refused(op, mv.action, { ...mv.body, leaf: (leaf[0] === '0' ? '1' : '0') + leaf.slice(1) }, 'BadProof');
  // a stranger
  m.refused(m.agent('stranger'), mv.action, mv.body, 'Forbidden');
  assert.deepEqual(m.coord.job(job)!.dispute, d0);
  // play the bisection down to the opening, then tamper with the opening
  for (let g = 0; g < 16; g++) {
    const j = m.coord.job(job)!;
    if (j.dispute!.mode !== 'bisect') break;
    for (const [p, who, t] of [['operator', op, bad], ['challenger', ch, good]] as const) {
      const x = disputeMove(job, j.dispute!, p, model, t);
      if (x) {
        m.call(who, x.action, x.body);
        break;
      }
    }
  }
  const d = m.coord.job(job)!.dispute!;
  assert.equal(d.mode, 'open');
  assert.equal(d.hi, 1);
  const open = disputeMove(job, d, 'challenger', model, good)!;
  assert.equal(open.action, 'dispute.open');
  // step 1 reads only the model input (recomputed by the coordinator): tamper with the prefix
  const prefix = [...(open.body.prefix as string[])];
  prefix[0] = (prefix[0][0] === '0' ? '1' : '0') + prefix[0].slice(1);
  m.refused(ch, 'dispute.open', { ...open.body, prefix }, 'BadProof', /t_0/);
  m.refused(ch, 'dispute.open', { ...open.body, prefix: [] }, 'BadProof');
  assert.equal(m.coord.job(job)!.state, 'challenge');
  assert.equal(m.call(ch, 'dispute.open', open.body).state, 'slashed');
  m.assertBalanced();
});

test('an opened tensor that does not hash to its prefix digest is refused', () => {
  const { m, op, ch, job } = setup();
  const bad = cheat(inputs[0], 3);
  const good = executeTrace(model, inputs[0]);
  m.call(op, 'job.submit', traceBody(job, bad));
  m.call(ch, 'job.challenge', traceBody(job, good));
  for (let g = 0; g < 16 && m.coord.job(job)!.dispute!.mode === 'bisect'; g++) {
    const j = m.coord.job(job)!;
    const p: Party = j.dispute!.turn as Party;
    const x = disputeMove(job, j.dispute!, p, model, p === 'operator' ? bad : good)!;
    m.call(p === 'operator' ? op : ch, x.action, x.body);
  }
  const d = m.coord.job(job)!.dispute!;
  assert.equal(d.hi, 3);
  const open = disputeMove(job, d, 'operator', model, bad)!;
  const tensors = { ...(open.body.tensors as Record<string, string>) };
  const name = Object.keys(tensors)[0];
  const q = new Int32Array(new Uint8Array(Buffer.from(tensors[name], 'base64')).buffer);
  q[0] += 1;
  tensors[name] = Buffer.from(q.buffer).toString('base64');
  m.refused(op, 'dispute.open', { ...open.body, tensors }, 'BadProof', new RegExp(`'${name}' does not hash`));
  // the honest opening, even sent by the cheater, settles against it
  assert.equal(m.call(op, 'dispute.open', open.body).state, 'slashed');
  m.assertBalanced();
});

test('late movers lose: a silent challenger forfeits its bond, a silent operator is slashed', () => {
  for (const silent of ['operator', 'challenger'] as const) {
    const { m, op, ch, job } = setup();
    const bad = cheat(inputs[0], 2);
    const good = executeTrace(model, inputs[0]);
    m.call(op, 'job.submit', traceBody(job, bad));
    m.call(ch, 'job.challenge', traceBody(job, good));
    if (silent === 'challenger') {
      const d = m.coord.job(job)!.dispute!;
      const x = disputeMove(job, d, 'operator', model, bad)!;
      m.call(op, x.action, x.body);
    }
    m.advance(m.coord.config.deadlines.move - 1);
    assert.equal(m.coord.job(job)!.state, 'challenge');
    m.advance(2);
    assert.equal(m.coord.job(job)!.state, silent === 'operator' ? 'slashed' : 'finalized');
    m.assertBalanced();
  }
});

test('a challenge that agrees with the submission is refused', () => {
  const { m, op, ch, job } = setup();
  const good = executeTrace(model, inputs[0]);
  m.call(op, 'job.submit', traceBody(job, good));
  m.refused(ch, 'job.challenge', traceBody(job, good), 'BadRequest', /nothing to dispute/);
  m.refused(op, 'job.challenge', traceBody(job, cheat(inputs[0], 1)), 'Forbidden');
  assert.equal(m.coord.job(job)!.state, 'submitted');
});
