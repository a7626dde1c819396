/**
 * HTTP round trip: `market serve` in-process on a free port, and the CLI's agents (operator,
 * auditor, challenger, requester checks) talking to it over real HTTP — one job per policy, a
 * cheat caught by a challenger's bisection over HTTP, an operator restarted between lock and
 * submit, and the HTTP error statuses. The market runs on a virtual clock (`now`): deadlines pass
 * when a test moves it, never with the wall clock, so a busy machine cannot change an outcome.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyFor, tinyModel } from './helpers.js';
import { startMarketServer } from '../../src/market/server.js';
import { MarketClient } from '../../src/market/client.js';
import { auditorStep, challengerStep, checkJob, ModelCache, operatorStep, type JobInfo } from '../../src/market/roles.js';
import { executeTrace, type ExecutedTrace } from '../../src/market/trace.js';
import { traceBody } from '../../src/market/agents.js';

const WINDOW = 400;

/** A virtual clock for the market: `advance` moves it; nothing depends on the wall clock. */
function clock() {
  const c = { t: 1_000_000, now: () => c.t, advance: (ms: number) => void (c.t += ms) };
  return c;
}

test('market over HTTP: register, stake, post, lock, submit, audit, challenge, settle, verify', async () => {
  const time = clock();
  const srv = await startMarketServer({ dataDir: ':memory:', port: 0, faucet: true, now: time.now, config: { deadlines: { window: WINDOW, audit: WINDOW, move: 60_000 } } });
  try {
    const fund = async (account: string) => {
      const r = await fetch(`${srv.url}/v1/faucet`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ account, amount: 1_000_000 }) });
      assert.equal(r.status, 200);
    };
    const [op, req, aud, ch] = await Promise.all(['op', 'req', 'aud', 'ch'].map((n) => MarketClient.connect(srv.url, keyFor(`http/${n}`))));
    for (const c of [op, req, aud, ch]) await fund(c.account);
    const tiny = tinyModel();
    const { modelId } = await op.send('model.register', { visibility: 'public', price: 10, zkm: Buffer.from(tiny.zkm).toString('base64') });
    await op.send('stake.deposit', { amount: 100_000 });
    const specs = [
      { policy: 'sampled', auditPpm: 1_000_000, cheatGain: 10 },
      { policy: 'optimistic' },
      { policy: 'proof' },
    ].map((p, i) => ({ model: modelId, input: tiny.inputs[i], reward: 100, stake: 1000, bond: 200, ...p }));
    const ids: number[] = (await req.send('job.post', { jobs: specs })).jobs.map((j: { id: number }) => j.id);
    const log = () => {};
    const traces = new Map<number, ExecutedTrace>();
    const sent = await operatorStep({ client: op, model: tiny.model, modelId, committed: tiny.committed, maxJobs: 10, log }, traces);
    assert.equal(sent, 6);
    const models = new ModelCache(aud);
    assert.equal(await auditorStep({ client: aud, models, log }, new Map(), new Set()), 1);
    assert.equal(await challengerStep({ client: ch, models: new ModelCache(ch), log }, new Map(), new Set(), 1), 0, 'nothing to challenge');
    time.advance(WINDOW + 1); // the audit and challenge windows close (applied by the next request)
    for (const id of ids) {
      const j = await req.get<JobInfo>(`/v1/jobs/${id}`);
      assert.equal(j.state, 'finalized', `job ${id} (${j.policy}): ${j.state} ${j.outcome}`);
      const checks = await checkJob(req, models, j);
      assert.ok(checks.length >= 1);
      for (const k of checks) assert.ok(k.ok, `job ${id} ${k.check}: ${k.detail}`);
      if (j.policy === 'proof') assert.ok(checks.some((k) => k.check === 'receipt'));
      if (j.policy === 'sampled') assert.ok(checks.some((k) => k.check === 'audit draw'));
    }
    const acct = await op.get<{ free: number; stake: number }>(`/v1/accounts/${op.account}`);
    assert.equal(acct.stake, 100_000);
    assert.equal(acct.free, 1_000_000 - 100_000 + 3 * 100);

    // a cheat over HTTP: the challenger's bisection finds it, both sides playing through the agents
    const cheatJob = (await req.send('job.post', { jobs: [{ model: modelId, policy: 'optimistic', input: tiny.inputs[3], reward: 100, stake: 1000, bond: 200 }] })).jobs[0].id;
    await op.send('job.lock', { job: cheatJob });
    const bad = executeTrace(tiny.model, tiny.inputs[3], { tamper: { step: 2, edit: (q) => void (q[1] -= 3) } });
    traces.set(cheatJob, bad);
    await op.send('job.submit', traceBody(cheatJob, bad));
    const chTraces = new Map<number, ExecutedTrace>();
    assert.equal(await challengerStep({ client: ch, models: new ModelCache(ch), log }, chTraces, new Set(), 1), 1);
    for (let i = 0; i < 20; i++) {
      const s = (await operatorStep({ client: op, model: tiny.model, modelId, committed: tiny.committed, maxJobs: 0, log }, traces)) + (await challengerStep({ client: ch, models: new ModelCache(ch), log }, chTraces, new Set([cheatJob]), 1));
      if (s === 0) break;
    }
    const cj = await req.get<JobInfo>(`/v1/jobs/${cheatJob}`);
    assert.equal(cj.state, 'slashed', String(cj.outcome));
    assert.match(String(cj.outcome), /step 2/);

    const market = await req.get<{ ledger: { ok: boolean } }>('/v1/market');
    assert.ok(market.ledger.ok);
  } finally {
    await srv.close();
  }
});

test('market over HTTP: an operator restarted between lock and submit resumes its own locks and is not slashed', async () => {
  const time = clock();
  const srv = await startMarketServer({ dataDir: ':memory:', port: 0, faucet: true, now: time.now });
  try {
    const [op, req] = await Promise.all(['op', 'req'].map((n) => MarketClient.connect(srv.url, keyFor(`http/restart/${n}`))));
    for (const c of [op, req]) assert.equal((await fetch(`${srv.url}/v1/faucet`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ account: c.account, amount: 1_000_000 }) })).status, 200);
    const tiny = tinyModel();
    const { modelId } = await op.send('model.register', { visibility: 'public', price: 10, zkm: Buffer.from(tiny.zkm).toString('base64') });
    await op.send('stake.deposit', { amount: 10_000 });
    const specs = [{ policy: 'sampled', auditPpm: 1_000, cheatGain: 1 }, { policy: 'optimistic' }, { policy: 'proof' }].map((p, i) => ({ model: modelId, input: tiny.inputs[i], reward: 100, stake: 1000, ...p }));
    const ids: number[] = (await req.send('job.post', { jobs: specs })).jobs.map((j: { id: number }) => j.id);
    // the operator locks, then crashes before submitting: its in-memory traces are gone
    await op.send('job.lock', { jobs: ids });
    const logs: string[] = [];
    const restarted = { client: op, model: tiny.model, modelId, committed: tiny.committed, maxJobs: 0, log: (m: string) => void logs.push(m) };
    assert.equal(await operatorStep(restarted, new Map()), 3, 'one submission per job it holds locked');
    for (const id of ids) assert.match(logs.join('\n'), new RegExp(`job ${id} .*resumed its lock`));
    time.advance(srv.coordinator.config.deadlines.exec + srv.coordinator.config.deadlines.window + srv.coordinator.config.deadlines.audit + 1);
    for (const id of ids) {
      const j = await req.get<JobInfo>(`/v1/jobs/${id}`);
      assert.equal(j.state, 'finalized', `job ${id} (${j.policy}): ${j.state} ${j.outcome}`);
    }
    const acct = await op.get<{ free: number; stake: number }>(`/v1/accounts/${op.account}`);
    assert.equal(acct.stake, 10_000, 'no stake lost');
    assert.equal(await operatorStep(restarted, new Map()), 0, 'nothing left to resume');
  } finally {
    await srv.close();
  }
});

test('market over HTTP: error statuses', async () => {
  const srv = await startMarketServer({ dataDir: ':memory:', port: 0 });
  try {
    const c = await MarketClient.connect(srv.url, keyFor('http/err'));
    const post = (body: string) => fetch(`${srv.url}/v1/requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal((await post('{nope')).status, 400);
    const good = c.signer.sign('stake.deposit', { amount: 1 });
    assert.equal((await post(JSON.stringify({ ...good, sig: '00'.repeat(64) }))).status, 401);
    const r = await post(JSON.stringify(good));
    assert.equal(r.status, 402, 'no funds: InsufficientFunds');
    assert.equal((await post(JSON.stringify(good))).status, 409, 'replayed nonce');
    assert.equal((await fetch(`${srv.url}/v1/jobs/77`)).status, 404);
    assert.equal((await fetch(`${srv.url}/v1/jobs?state=bogus`)).status, 400);
    assert.equal((await fetch(`${srv.url}/v1/faucet`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 403);
    // a cross-origin "simple request" (text/plain, form-encoded, no type) reaches no handler
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined]) {
      const res = await fetch(`${srv.url}/v1/requests`, { method: 'POST', headers: type ? { 'content-type': type } : {}, body: type ? JSON.stringify(c.signer.sign('stake.deposit', { amount: 1 })) : new Uint8Array([123, 125]) });
      assert.equal(res.status, 415, `content type ${type}`);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /expected Content-Type: application\/json/);
    }
    assert.equal(srv.coordinator.account(c.account).nonce, 1, 'no request of another content type reached the coordinator (its last nonce is still the first request above)');
    const wrong = await fetch(`${srv.url}/v1/requests`);
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'POST');
    const del = await fetch(`${srv.url}/v1/jobs/1`, { method: 'DELETE' });
    assert.equal(del.status, 405);
    assert.equal(del.headers.get('allow'), 'GET, HEAD');
    assert.equal((await fetch(`${srv.url}/v1/nothing`)).status, 404);
    const body = (await (await fetch(`${srv.url}/v1/accounts/xyz`)).json()) as { error: { kind: string } };
    assert.equal(body.error.kind, 'BadRequest');
  } finally {
    await srv.close();
  }
});
