/**
 * `zkinfer market serve`: the coordinator over HTTP (Hono on @hono/node-server — the same stack
 * as the prover service), one SQLite file under --data-dir. Routes:
 *
 *   GET  /v1/market              market ID, configuration, clock, jobs by state, ledger check
 *   POST /v1/requests            a signed request {action, account, nonce, body, sig} → {value}
 *   GET  /v1/accounts/:account   free balance, free stake, last nonce
 *   GET  /v1/models              registered models;  GET /v1/models/:id  one of them
 *   GET  /v1/models/:id/zkm      a public model's weights (auditors and challengers re-execute)
 *   GET  /v1/jobs?state=&policy=&model=&operator=&requester=&after=&limit=   jobs (no inputs)
 *   GET  /v1/jobs/:id            a job in full: input, submission, draw, dispute, events
 *   GET  /v1/jobs/:id/receipt    the receipt that settled a job (proof policy, private audits)
 *   POST /v1/faucet              {account, amount} — only with --faucet (a development market)
 *
 * Every POST needs `Content-Type: application/json` (415 otherwise: a cross-origin "simple
 * request" from a web page cannot reach a handler), and a known route with another method is
 * answered 405 with `Allow`. Errors are JSON {error: {kind, message}} with a 4xx status from the error kind; a request is
 * applied exactly as `Coordinator.handle` applies it (signature, nonce, one transaction). Deadlines
 * are applied before every request and once a second. The server is the database's only writer
 * (SQLite holds it locked), and handlers are synchronous, so requests are applied one at a time.
 */
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { serve } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { Coordinator, type CoordinatorOptions } from './coordinator.js';
import type { JobRow } from './store.js';
import { JOB_STATES, MarketError, POLICIES, PPM, type JobState, type Policy } from './types.js';

const STATUS: Record<string, ContentfulStatusCode> = {
  BadRequest: 400, BadProof: 400, BadModel: 400, BadSignature: 401, InsufficientFunds: 402, InsufficientStake: 402,
  Forbidden: 403, UnknownAccount: 404, UnknownModel: 404, UnknownJob: 404, Replay: 409, BadState: 409, IdempotencyConflict: 409,
  HonestyCondition: 422, NotSupported: 422, Unbalanced: 500, Internal: 500,
};

/** The JSON view of a job (`full`: with its input, submission, dispute and events). */
export function jobView(coord: Coordinator, j: JobRow, full: boolean): Record<string, unknown> {
  const v: Record<string, unknown> = {
    id: j.id, model: j.model, policy: j.policy, state: j.state, requester: j.requester, operator: j.operator,
    reward: j.reward, fee: j.fee, stake: j.stake, bond: j.bond, cheatGain: j.cheatGain, auditP: j.auditPpm / PPM,
    deadline: j.deadline, attempt: j.attempt, created: j.created, settled: j.settled, outcome: j.outcome,
  };
  if (!full) return v;
  return {
    ...v,
    input: JSON.parse(j.input) as unknown,
    seedCommit: coord.seedCommitOf(j.id), seed: j.seed, subHash: j.subHash, audited: j.audited, auditor: j.auditor,
    submission: j.submission, challenger: j.challenger, challenge: j.challenge, dispute: j.dispute,
    receipt: coord.store.hasReceipt(j.id) ? `/v1/jobs/${j.id}/receipt` : null,
    events: coord.store.events(j.id),
  };
}

function fail(c: Context, e: unknown) {
  const err = e instanceof MarketError ? e.toError() : { kind: 'Internal', message: e instanceof Error ? e.message : String(e) };
  return c.json({ error: err }, STATUS[err.kind] ?? 400);
}

export interface MarketAppOptions {
  faucet: boolean;
  maxBodyBytes: number;
}

/** The routes and their methods (for 405 answers). */
const ROUTES: [RegExp, string][] = [
  [/^\/v1\/market$/, 'GET'], [/^\/v1\/requests$/, 'POST'], [/^\/v1\/accounts\/[^/]+$/, 'GET'], [/^\/v1\/models$/, 'GET'],
  [/^\/v1\/models\/[^/]+$/, 'GET'], [/^\/v1\/models\/[^/]+\/zkm$/, 'GET'], [/^\/v1\/jobs$/, 'GET'], [/^\/v1\/jobs\/[^/]+$/, 'GET'],
  [/^\/v1\/jobs\/[^/]+\/receipt$/, 'GET'], [/^\/v1\/faucet$/, 'POST'],
];

export function buildMarketApp(coord: Coordinator, opts: MarketAppOptions): Hono {
  const app = new Hono();
  app.onError((e, c) => fail(c, e));
  app.notFound((c) => {
    const route = ROUTES.find(([re]) => re.test(c.req.path));
    if (route) {
      c.header('Allow', route[1] === 'GET' ? 'GET, HEAD' : route[1]);
      return c.json({ error: { kind: 'BadRequest', message: `${c.req.method} is not allowed on ${c.req.path}: use ${route[1]}` } }, 405);
    }
    return c.json({ error: { kind: 'BadRequest', message: `no route ${c.req.method} ${c.req.path} (see GET /v1/market, POST /v1/requests, GET /v1/jobs)` } }, 404);
  });
  app.use('*', async (c, next) => {
    if (c.req.method === 'POST' && !/^application\/json\s*(;|$)/i.test(c.req.header('content-type') ?? '')) {
      return c.json({ error: { kind: 'BadRequest', message: `expected Content-Type: application/json, got ${JSON.stringify(c.req.header('content-type') ?? '(none)').slice(0, 80)}` } }, 415);
    }
    await next();
  });
  const limit = bodyLimit({ maxSize: opts.maxBodyBytes, onError: (c) => c.json({ error: { kind: 'BadRequest', message: `request body is larger than this server's limit of ${opts.maxBodyBytes} bytes` } }, 413) });

  app.get('/v1/market', (c) => {
    coord.tick();
    return c.json({ marketId: coord.marketId, now: coord.now(), config: coord.config, jobs: coord.store.countByState(), ledger: coord.checkBalanced(), faucet: opts.faucet });
  });

  app.post('/v1/requests', limit, async (c) => {
    let req: unknown;
    try {
      req = await c.req.json();
    } catch {
      throw new MarketError('BadRequest', 'request body is not valid JSON');
    }
    const r = coord.handle(req);
    if (!r.ok) return c.json({ error: r.error }, STATUS[r.error.kind] ?? 400);
    return c.json({ value: r.value });
  });

  app.get('/v1/accounts/:account', (c) => {
    const pk = c.req.param('account');
    if (!/^[0-9a-f]{64}$/.test(pk)) throw new MarketError('BadRequest', `expected an account (64 lowercase hex characters), got '${pk.slice(0, 80)}'`);
    coord.tick();
    return c.json(coord.account(pk));
  });

  app.get('/v1/models', (c) => c.json({ models: coord.store.models().map(({ zkm: _, ...m }) => m) }));
  app.get('/v1/models/:id', (c) => {
    const { zkm: _, ...m } = coord.modelRow(c.req.param('id'));
    return c.json(m);
  });
  app.get('/v1/models/:id/zkm', (c) => {
    const m = coord.modelRow(c.req.param('id'));
    if (!m.zkm) throw new MarketError('NotSupported', `model ${m.id.slice(0, 16)}… is private: its weights are not published`);
    c.header('Content-Type', 'application/octet-stream');
    return c.body(new Uint8Array(m.zkm).buffer as ArrayBuffer);
  });

  app.get('/v1/jobs', (c) => {
    coord.tick();
    const q = c.req.query();
    const state = q.state as JobState | undefined;
    const policy = q.policy as Policy | undefined;
    if (state !== undefined && !JOB_STATES.includes(state)) throw new MarketError('BadRequest', `state: expected one of ${JOB_STATES.join(', ')}, got '${state}'`);
    if (policy !== undefined && !POLICIES.includes(policy)) throw new MarketError('BadRequest', `policy: expected one of ${POLICIES.join(', ')}, got '${policy}'`);
    const num = (k: string) => {
      if (q[k] === undefined) return undefined;
      const n = Number(q[k]);
      if (!Number.isSafeInteger(n) || n < 0) throw new MarketError('BadRequest', `${k}: expected a non-negative integer, got '${q[k]}'`);
      return n;
    };
    const jobs = coord.store.jobs({ state, policy, model: q.model, operator: q.operator, requester: q.requester, after: num('after'), limit: num('limit') });
    return c.json({ jobs: jobs.map((j) => jobView(coord, j, q.full === 'true')) });
  });

  const jobOf = (c: Context) => {
    const id = Number(c.req.param('id'));
    const j = Number.isSafeInteger(id) ? coord.job(id) : undefined;
    if (!j) throw new MarketError('UnknownJob', `no job ${c.req.param('id')}`);
    return j;
  };
  app.get('/v1/jobs/:id', (c) => {
    coord.tick();
    return c.json(jobView(coord, jobOf(c), true));
  });
  app.get('/v1/jobs/:id/receipt', (c) => {
    const j = jobOf(c);
    const r = coord.store.receipt(j.id);
    if (!r) throw new MarketError('UnknownJob', `job ${j.id} has no stored receipt (only proof-policy jobs and receipt-settled audits and disputes have one)`);
    c.header('Content-Type', 'application/octet-stream');
    return c.body(r.slice().buffer as ArrayBuffer);
  });

  app.post('/v1/faucet', async (c) => {
    if (!opts.faucet) throw new MarketError('Forbidden', 'this market has no faucet (start it with --faucet for development)');
    const b = (await c.req.json().catch(() => null)) as { account?: unknown; amount?: unknown } | null;
    if (!b || typeof b.account !== 'string' || typeof b.amount !== 'number' || !Number.isSafeInteger(b.amount) || b.amount < 1 || b.amount > 1e12) {
      throw new MarketError('BadRequest', 'expected {account, amount} with an amount from 1 to 10^12');
    }
    coord.mint(b.account, b.amount, `faucet/${b.account}/${coord.now()}/${Math.random()}`);
    return c.json(coord.account(b.account));
  });
  return app;
}

export interface MarketServerOptions {
  /** directory of the SQLite store (market.sqlite); ':memory:' for a throw-away market */
  dataDir: string;
  port?: number;
  host?: string;
  faucet?: boolean;
  maxBodyBytes?: number;
  config?: CoordinatorOptions['config'];
  now?: () => number;
}

export interface MarketServer {
  url: string;
  port: number;
  coordinator: Coordinator;
  close(): Promise<void>;
}

export async function startMarketServer(o: MarketServerOptions): Promise<MarketServer> {
  const coord = Coordinator.open({ file: o.dataDir === ':memory:' ? ':memory:' : path.join(o.dataDir, 'market.sqlite'), config: o.config, now: o.now });
  const app = buildMarketApp(coord, { faucet: o.faucet ?? false, maxBodyBytes: o.maxBodyBytes ?? 64 << 20 });
  const host = o.host ?? '127.0.0.1';
  let server: ReturnType<typeof serve>;
  try {
    server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, port: o.port ?? 8090, hostname: host }, () => resolve(s));
      s.once('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code === 'EADDRINUSE' ? `port ${o.port} on ${host} is already in use` : `cannot listen on ${host}:${o.port}: ${e.message}`)));
    });
  } catch (e) {
    coord.close();
    throw e;
  }
  const timer = setInterval(() => coord.tick(), 1000);
  timer.unref();
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    coordinator: coord,
    close() {
      closing ??= new Promise<void>((r) => {
        clearInterval(timer);
        server.close(() => {
          coord.close();
          r();
        });
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      return closing;
    },
  };
}
