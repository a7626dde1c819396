/**
 * The audit draw is secret until the submission it decides is final (coordinator.ts, "Secret
 * draws"). The attack these tests replay: an operator locks sampled jobs and probes the draw with
 * a batch `[S, S]` — which used to fail on its second item with "job J is audit" or "is
 * finalized", rolling S back — re-rolling its (wrong) trace until a probe says "not audited".
 *
 * Every comparison runs the same signed requests against two markets that differ only in their
 * seed secret: whatever a response says before a submission is final must be the same in both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TestMarket, tinyModel } from './helpers.js';
import { traceBody, type Signer } from '../../src/market/agents.js';
import { executeTrace, type ExecutedTrace } from '../../src/market/trace.js';
import { auditDraw, jobSeed } from '../../src/market/policy.js';

const SECRETS = [1, 2, 3, 4].map((b) => new Uint8Array(32).fill(b));
const { model, inputs } = tinyModel();

/** A cheater's wrong trace number k for input i (every k gives another submission hash). */
function wrong(i: number, k: number): ExecutedTrace {
  return executeTrace(model, inputs[i % inputs.length], { tamper: { step: 1 + (k % 3), edit: (q) => void (q[k % q.length] += 1 + Math.floor(k / 3)) } });
}

interface Pair {
  ms: TestMarket[];
  jobs: number[];
  /** the same signed request, sent to both markets */
  both(who: string, action: string, body: Record<string, unknown>): ReturnType<TestMarket['attempt']>[];
}

/** Markets (same ID and keys, different seed secrets) with `n` sampled jobs at p = ppm/10^6 posted. */
function pair(n: number, ppm: number, extra: Record<string, unknown>[] = [], markets = 2): Pair {
  const ms = SECRETS.slice(0, markets).map((seedSecret) => new TestMarket({ seedSecret }));
  const signers = new Map<string, Signer>();
  const both = (who: string, action: string, body: Record<string, unknown>) => {
    const s = signers.get(who) ?? ms.map((m) => m.agent(who, 100_000_000))[0];
    signers.set(who, s);
    ms.slice(1).forEach((m) => m.agent(who, 100_000_000));
    const req = s.sign(action, body); // one signature, one nonce: byte-identical requests
    return ms.map((m) => m.coord.handle(req) as ReturnType<TestMarket['attempt']>);
  };
  const id = both('owner', 'model.register', { visibility: 'public', price: 1, zkm: Buffer.from(tinyModel().zkm).toString('base64') }).map((r) => (r.ok ? r.value.modelId : assert.fail(String(r.ok))))[0];
  for (const op of ['cheat', 'op2']) both(op, 'stake.deposit', { amount: 10_000_000 });
  const specs = [
    ...Array.from({ length: n }, (_, i) => ({ model: id, policy: 'sampled', input: inputs[i % inputs.length], reward: 100, stake: 1000, cheatGain: 10, auditPpm: ppm })),
    ...extra.map((e, i) => ({ model: id, input: inputs[i % inputs.length], reward: 100, stake: 1000, ...e })),
  ];
  const posted = both('requester', 'job.post', { jobs: specs });
  // the seed commitments differ (each is H(seed), a hiding commitment to a 256-bit secret); nothing else may
  for (const p of posted.slice(1)) assert.deepEqual(normalize(p, new Set()), normalize(posted[0], new Set()), 'posting is seed-independent');
  const jobs = (posted[0] as { ok: true; value: { jobs: { id: number }[] } }).value.jobs.map((j) => j.id);
  return { ms, jobs, both };
}

test('regression: probing the draw with [S, S] batches reveals nothing, and a lock cannot be re-rolled', () => {
  const N = 20;
  const { ms, jobs, both } = pair(N, 900_000);
  let probes = 0;
  for (const [i, job] of jobs.entries()) {
    const [lock0, lock1] = both('cheat', 'job.lock', { job });
    assert.ok(lock0.ok && lock1.ok);
    // the attacker's loop: probe with [S_k, S_k]; submit S_k alone once a probe said "finalized"
    let chosen = -1;
    for (let k = 0; k < 6 && chosen < 0; k++) {
      const body = traceBody(job, wrong(i, k));
      const [a, b] = both('cheat', 'job.submit', { results: [body, body] });
      probes++;
      assert.equal(a.ok, false, 'a batch submitting one job twice is refused');
      assert.deepEqual(a, b, `probe ${k} of job ${job}: the refusal depends on the secret seed`);
      if (a.ok) continue;
      assert.doesNotMatch(a.error.message, /audit|finalized/, 'the refusal names a state a draw decided');
      if (k === 0) assert.match(a.error.message, /is submitted, expected locked/);
      else assert.match(a.error.message, /bound to its first submission/, 'a re-rolled submission for the same lock is refused');
      if (/finalized/.test(a.error.message)) chosen = k;
    }
    // the probe told it nothing; a re-rolled trace is refused, only the first one goes through
    const [a, b] = both('cheat', 'job.submit', traceBody(job, wrong(i, 1)));
    assert.deepEqual(a, b);
    assert.equal(a.ok, false);
    const final = both('cheat', 'job.submit', traceBody(job, wrong(i, 0)));
    final.forEach((r, m) => {
      assert.ok(r.ok, r.ok ? '' : r.error.message);
      const row = ms[m].coord.job(job)!;
      // the draw is the one of the first submission, made after it was final
      assert.equal(row.audited, auditDraw(jobSeed(SECRETS[m], job), job, row.subHash!, 900_000));
      assert.equal(r.value.audited, row.audited);
      assert.equal(r.value.state, row.audited ? 'audit' : 'finalized');
    });
  }
  assert.equal(probes, N * 6);
  for (const m of ms) {
    const audited = jobs.filter((j) => m.coord.job(j)!.audited).length;
    // p = 0.9 over 20 wrong results: the draws fall as they fall (17–20 audited for these seeds), never 0
    assert.ok(audited >= 14, `only ${audited} of ${N} cheats were drawn for audit at p = 0.9`);
    m.assertBalanced();
  }
});

test('a draw that fails after the commit stays due and is made by the next tick', () => {
  const errors: string[] = [];
  const m = new TestMarket({ seedSecret: SECRETS[0], onError: (e) => void errors.push(e) });
  const id = m.registerTiny(m.agent('owner'));
  const op = m.agent('op');
  m.call(op, 'stake.deposit', { amount: 10_000 });
  const job = m.call(m.agent('req'), 'job.post', { jobs: [{ model: id, policy: 'sampled', input: inputs[0], reward: 100, stake: 1000, cheatGain: 10, auditPpm: 500_000 }] }).jobs[0].id;
  m.call(op, 'job.lock', { job });
  const coord = m.coord as unknown as { draw: (...a: unknown[]) => unknown };
  const real = coord.draw;
  coord.draw = () => {
    throw new Error('simulated crash in the draw');
  };
  const r = m.call(op, 'job.submit', traceBody(job, executeTrace(model, inputs[0])));
  // while the draw keeps failing, the market still answers other requests (the job stays due)
  assert.equal(m.call(op, 'stake.deposit', { amount: 1 }).stake, 10_000 - 1000 + 1);
  assert.equal(errors.length, 2, errors.join('\n'));
  assert.match(errors[0], new RegExp(`job ${job}: its audit draw failed`));
  assert.match(errors[1], new RegExp(`job ${job}: its deadline outcome failed`));
  coord.draw = real;
  assert.equal(r.state, 'submitted');
  assert.match(r.draw, /pending/);
  assert.equal(r.audited, undefined, 'no draw in the response');
  assert.equal(m.coord.job(job)!.state, 'submitted', 'the submission is committed');
  assert.equal(m.coord.job(job)!.seed, null, 'the seed is still secret');
  m.coord.tick();
  const j = m.coord.job(job)!;
  assert.ok(j.state === 'audit' || j.state === 'finalized');
  assert.equal(j.audited, auditDraw(jobSeed(SECRETS[0], job), job, j.subHash!, 500_000));
  m.assertBalanced();
});

type Item = { job: number; variant: 'honest' | 'alt' | 'bad' | 'foreign' };
type Act = { k: 'lock'; who: 'cheat' | 'op2'; jobs: number[] } | { k: 'submit'; who: 'cheat' | 'op2'; items: Item[]; twice?: boolean } | { k: 'advance'; ms: number };

const JOBS = 6;
const act: fc.Arbitrary<Act> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ k: fc.constant('lock' as const), who: fc.constantFrom('cheat' as const, 'op2' as const), jobs: fc.array(fc.nat(JOBS), { minLength: 1, maxLength: 3 }) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('submit' as const),
      who: fc.constantFrom('cheat' as const, 'op2' as const),
      items: fc.array(fc.record({ job: fc.nat(JOBS), variant: fc.constantFrom('honest' as const, 'alt' as const, 'bad' as const, 'foreign' as const) }), { minLength: 1, maxLength: 4 }),
      // the probe of the attack: the same batch of items twice in one request
      twice: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('advance' as const), ms: fc.constantFrom(1, 600_001) }) },
);

/** What a draw decides, in a response: public once the submission it decides is final. */
const DRAW_FIELDS = ['state', 'audited', 'seed', 'deadline', 'audit', 'draw'];

/** A response with what may legitimately differ once a submission is final taken out. */
function normalize(r: ReturnType<TestMarket['attempt']>, final: Set<number>): unknown {
  if (!r.ok) return { ok: false, kind: r.error.kind, message: r.error.message.replace(/job (\d+) is (\w+)/g, (s, id: string) => (final.has(Number(id)) ? `job ${id} is <drawn>` : s)) };
  const strip = (v: Record<string, unknown>) => Object.fromEntries(Object.entries(v).filter(([k]) => !(DRAW_FIELDS.includes(k) && final.has(Number(v.job)))));
  const v = r.value as Record<string, unknown>;
  if (Array.isArray(v.results)) return { ok: true, results: (v.results as Record<string, unknown>[]).map(strip) };
  if (Array.isArray(v.locked)) return { ok: true, locked: v.locked };
  if (Array.isArray(v.jobs)) return { ok: true, jobs: (v.jobs as Record<string, unknown>[]).map(({ seedCommit: _, ...rest }) => rest) };
  return { ok: true, value: strip(v) };
}

test('property: whatever the hidden seed, every response is the same until the submission is final', () => {
  fc.assert(
    fc.property(fc.array(act, { minLength: 5, maxLength: 25 }), (acts) => {
      const { ms, jobs, both } = pair(JOBS, 500_000, [{ policy: 'optimistic' }], SECRETS.length);
      const final = new Set<number>();
      for (const a of acts) {
        let res: ReturnType<TestMarket['attempt']>[];
        if (a.k === 'advance') {
          ms.forEach((m) => m.advance(a.ms));
          continue;
        } else if (a.k === 'lock') {
          res = both(a.who, 'job.lock', { jobs: a.jobs.map((j) => jobs[j]) });
        } else {
          const results = a.items.map(({ job: j, variant }) => {
            const body = traceBody(jobs[j], variant === 'alt' ? wrong(j, 0) : executeTrace(model, inputs[j % inputs.length]));
            if (variant === 'bad') body.trace = { ...(body.trace as object), root: '00'.repeat(32) };
            if (variant === 'foreign') body.job = 10_000 + j;
            return body;
          });
          if (a.twice) results.push(...results);
          res = both(a.who, 'job.submit', results.length === 1 ? results[0] : { results });
        }
        // an accepted submission is final: its own response may carry its draw
        for (const r of res) {
          if (!r.ok || a.k !== 'submit') continue;
          const v = r.value as Record<string, unknown>;
          for (const it of (Array.isArray(v.results) ? v.results : [v]) as { job: number }[]) if (ms[0].coord.job(it.job)!.policy === 'sampled') final.add(it.job);
        }
        for (const r of res.slice(1)) assert.deepEqual(normalize(r, final), normalize(res[0], final), `${JSON.stringify(a)}: responses differ`);
        // every job whose submission is not final is in the same state in both markets
        for (const j of jobs) {
          if (final.has(j)) continue;
          const [x, ...ys] = ms.map((m) => m.coord.job(j)!);
          for (const y of ys) assert.deepEqual([y.state, y.operator, y.attempt, y.subHash, y.seed], [x.state, x.operator, x.attempt, x.subHash, x.seed], `job ${j}`);
          assert.equal(x.seed, null, `job ${j}: seed revealed before the submission is final`);
        }
      }
      for (const m of ms) m.assertBalanced();
    }),
    { numRuns: 40 },
  );
});
