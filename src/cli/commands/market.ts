/**
 * `zkinfer market <serve | operator | request | auditor | challenger | status | fund>`: the
 * proof-of-inference market (src/market/). `serve` runs the coordinator over HTTP; the agents
 * are clients that sign every request with their key file (created on first use).
 */
import path from 'node:path';
import type { Command } from '../command.js';
import { guard, parseArgs, untilSignal, type Parsed } from '../args.js';
import { readFileOrFail } from '../files.js';
import { parseInputJson } from '../inputs.js';
import { commitModel, decodeCommitted, readCommitted, zkcWithTree, type CommittedModel } from '../../prover/commit.js';
import { ZkTreeLedger } from '../../prover/zk-tree.js';
import type { ProveOptions } from '../../prover/prove.js';
import { encodeZkm } from '../../quantize/zkm.js';
import { parseServedModel } from '../../service/model.js';
import { holdZkc } from '../zkc-file.js';
import { MarketClient, loadKey, networkReason } from '../../market/client.js';
import { auditorStep, challengerStep, checkJob, ModelCache, operatorStep, type JobInfo } from '../../market/roles.js';
import { startMarketServer } from '../../market/server.js';
import type { ExecutedTrace } from '../../market/trace.js';
import { MarketError, PPM, POLICIES, TERMINAL_STATES, type Deadlines } from '../../market/types.js';

const HELP = `Usage: zkinfer market <command> [options]

  serve       [--data-dir ./zkinfer-market] [--port 8090] [--host 127.0.0.1] [--faucet]
              [--deadlines post=3600,exec=600,audit=600,window=600,move=300] (seconds)
              the coordinator: HTTP API over one SQLite store (see src/market/server.ts)
  operator    --model model.zkm|model.zkc [--stake N] [--price N] [--private] [--max-jobs 16]
              registers the model (if new), keeps N staked, then locks, proves or executes,
              submits, and answers audits and disputes; a zero-knowledge .zkc (zkinfer commit)
              is registered --private and its receipts are zero knowledge
  request     --model-id ID --input input.json [--policy sampled|proof|optimistic]
              [--reward R] [--stake S] [--p 0.05] [--gain C] [--bond B] [--no-wait] [--json]
              posts a job, waits for it to settle, and checks the result itself
  auditor     re-executes audited jobs on public models and reports; plays its disputes
  challenger  [--watch 1] re-executes optimistic jobs and challenges wrong ones
  status      [--job ID] [--account PK] balances and jobs
  fund        --amount N [--account PK]   mint from a --faucet market (development)

Agent options: --url http://127.0.0.1:8090, --key FILE (default ./market-key.json, created when
missing), --once (do the pending work and exit), --poll MS (default 1000).`;

const AGENT_VALUED = ['--url', '--key', '--poll', '--account'];
const AGENT_FLAGS = ['--once'];

function intOpt(a: Parsed, flag: string, def: number | undefined, min = 0, max = 2 ** 50): number | undefined {
  const v = a.opts.get(flag)?.[0];
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new Error(`${flag} must be an integer from ${min} to ${max}, got '${v}'`);
  return n;
}

function parseDeadlines(s: string | undefined): Partial<Deadlines> | undefined {
  if (s === undefined) return undefined;
  const out: Partial<Deadlines> = {};
  for (const part of s.split(',')) {
    const [k, v] = part.split('=');
    const n = Number(v);
    if (!['post', 'exec', 'audit', 'window', 'move'].includes(k) || !(n > 0)) throw new Error(`--deadlines: expected name=seconds with names post, exec, audit, window, move; got '${part}'`);
    out[k as keyof Deadlines] = Math.round(n * 1000);
  }
  return out;
}

async function connect(a: Parsed, log: (m: string) => void): Promise<MarketClient> {
  const file = a.opts.get('--key')?.[0] ?? 'market-key.json';
  const { key, created } = loadKey(file, true);
  if (created) log(`created key file ${file} (account ${key.account})`);
  return MarketClient.connect(a.opts.get('--url')?.[0] ?? 'http://127.0.0.1:8090', key);
}

/** Runs `step` until SIGINT/SIGTERM (or once); a failing step is logged and retried after the poll interval. */
async function loop(a: Parsed, log: (m: string) => void, step: () => Promise<number>): Promise<number> {
  const poll = intOpt(a, '--poll', 1000, 10, 3_600_000)!;
  if (a.flags.has('--once')) {
    await step();
    return 0;
  }
  let stop = false;
  const stopped = untilSignal(log, 'stopping', async () => void (stop = true));
  while (!stop) {
    let n = 0;
    try {
      n = await step();
    } catch (e) {
      log(`error: ${(e as Error).message}`);
    }
    if (n === 0) await Promise.race([new Promise((r) => setTimeout(r, poll)), stopped]);
  }
  return 0;
}

async function serve(a: Parsed): Promise<number> {
  const log = (m: string) => console.error(`[zkinfer market] ${m}`);
  const dataDir = a.opts.get('--data-dir')?.[0] ?? 'zkinfer-market';
  const srv = await startMarketServer({
    dataDir,
    port: intOpt(a, '--port', 8090, 0, 65535),
    host: a.opts.get('--host')?.[0],
    faucet: a.flags.has('--faucet'),
    config: { deadlines: parseDeadlines(a.opts.get('--deadlines')?.[0]) },
  });
  log(`market ${srv.coordinator.marketId}, store ${path.join(dataDir, 'market.sqlite')}${a.flags.has('--faucet') ? ', faucet ON' : ''}`);
  log(`listening on ${srv.url}`);
  console.log(JSON.stringify({ event: 'listening', url: srv.url, marketId: srv.coordinator.marketId }));
  await untilSignal(log, 'closing', () => srv.close());
  return 0;
}

async function operator(a: Parsed): Promise<number> {
  const log = (m: string) => console.error(`[operator] ${m}`);
  const file = a.opts.get('--model')?.[0];
  if (!file) throw new Error('operator needs --model model.zkm (or model.zkc from zkinfer commit)');
  const bytes = readFileOrFail(file, 'model');
  const served = parseServedModel(bytes);
  const model = served.model;
  const priv = a.flags.has('--private');
  if (served.zk && !priv) throw new Error(`${file} is a zero-knowledge model (zkinfer commit without --no-zk): register it --private (its weights stay with you), or serve a clear model publicly`);
  const c = await connect(a, log);
  log(`committing ${model.name}…`);
  let cm: CommittedModel | undefined = served.kind === 'zkc' ? decodeCommitted(bytes) : commitModel(model);
  const modelId = cm.modelId;
  // a zero-knowledge .zkc records its spent opening budget: held while operating, written back before each receipt
  const held = served.zk ? holdZkc(file) : undefined;
  let zkc = bytes;
  const ledger = held && new ZkTreeLedger(cm, readCommitted(bytes).zk!, (root, children, n) => held.save((zkc = zkcWithTree(zkc, root, children, n))));
  if (ledger) log(`zero knowledge: this model ID serves ${ledger.receiptsLeft} more receipt(s) (renewal tree of maximum depth ${ledger.maxDepth})`);
  try {
    try {
      await c.get(`/v1/models/${modelId}`);
    } catch (e) {
      if (!(e instanceof MarketError) || e.kind !== 'UnknownModel') throw e;
      const price = intOpt(a, '--price', 1);
      const body = priv ? { visibility: 'private', modelId, steps: model.layers.length + 2, price } : { visibility: 'public', price, zkm: Buffer.from(served.kind === 'zkm' ? bytes : encodeZkm(model)).toString('base64') };
      await c.send('model.register', body);
      log(`registered ${priv ? 'private' : 'public'} model ${modelId} at price ${price}`);
    }
    const want = intOpt(a, '--stake', 0)!;
    const have = (await c.get<{ stake: number }>(`/v1/accounts/${c.account}`)).stake;
    if (want > have) {
      await c.send('stake.deposit', { amount: want - have });
      log(`staked ${want - have} (free stake now ${want})`);
    }
    log(`serving model ${modelId} as ${c.account}`);
    const traces = new Map<number, ExecutedTrace>();
    const opts = { client: c, model, modelId, committed: () => (cm ??= commitModel(model)), prove: ledger && ((_m: CommittedModel, input: Record<string, ArrayLike<number>>, o: ProveOptions) => ledger.prove(input, o)), maxJobs: intOpt(a, '--max-jobs', 16, 0, 1000)!, log };
    return await loop(a, log, () => operatorStep(opts, traces));
  } finally {
    held?.release();
  }
}

async function request(a: Parsed): Promise<number> {
  const log = (m: string) => console.error(`[request] ${m}`);
  const modelId = a.opts.get('--model-id')?.[0];
  const inp = a.opts.get('--input')?.[0];
  if (!modelId || !inp) throw new Error('request needs --model-id ID and --input input.json');
  const policy = a.opts.get('--policy')?.[0] ?? 'sampled';
  if (!(POLICIES as readonly string[]).includes(policy)) throw new Error(`--policy must be one of ${POLICIES.join(', ')}, got '${policy}'`);
  const c = await connect(a, log);
  const models = new ModelCache(c);
  const model = await models.get(modelId);
  const text = new TextDecoder().decode(readFileOrFail(inp, 'input'));
  const input = model ? parseInputJson(text, model.inputs, inp) : (JSON.parse(text) as Record<string, number[]>);
  const p = Number(a.opts.get('--p')?.[0] ?? '0.05');
  if (!(p > 0 && p <= 1)) throw new Error(`--p must be a probability in (0, 1], got '${a.opts.get('--p')?.[0]}'`);
  const spec: Record<string, unknown> = { model: modelId, policy, input, reward: intOpt(a, '--reward', undefined), stake: intOpt(a, '--stake', 1000, 1), cheatGain: intOpt(a, '--gain', undefined), bond: intOpt(a, '--bond', undefined, 1) };
  if (policy === 'sampled') spec.auditPpm = Math.round(p * PPM);
  const posted = (await c.send('job.post', { jobs: [spec] })).jobs[0] as { id: number; fee: number; seedCommit: string };
  log(`posted job ${posted.id} (${policy}; fee ${posted.fee}; audit seed commitment ${posted.seedCommit.slice(0, 16)}…)`);
  if (a.flags.has('--no-wait')) {
    console.log(JSON.stringify({ job: posted.id }));
    return 0;
  }
  const timeout = Date.now() + 1000 * (intOpt(a, '--timeout', 3600, 1)!);
  let j: JobInfo;
  let last = '';
  for (;;) {
    j = await c.get<JobInfo>(`/v1/jobs/${posted.id}`);
    if (j.state !== last) log(`job ${j.id}: ${(last = j.state)}`);
    if (TERMINAL_STATES.has(j.state)) break;
    if (Date.now() > timeout) throw new Error(`job ${j.id} is still ${j.state} after --timeout`);
    await new Promise((r) => setTimeout(r, intOpt(a, '--poll', 500, 10)!));
  }
  const checks = await checkJob(c, models, j);
  const outputs = j.submission?.outputs.map((o) => {
    const q = Array.from(new Int32Array(new Uint8Array(Buffer.from(o.q, 'base64')).buffer));
    const info = model?.outputs.find((x) => x.name === o.name);
    return { name: o.name, q, values: info ? q.map((v) => v * 2 ** -info.exp) : undefined };
  });
  const ok = j.state === 'finalized' && checks.every((k) => k.ok);
  if (a.flags.has('--json')) console.log(JSON.stringify({ job: j.id, state: j.state, outcome: j.outcome, outputs, checks, ok }));
  else {
    console.log(`job ${j.id}: ${j.state} — ${j.outcome}`);
    for (const o of outputs ?? []) console.log(`${o.name}: ${(o.values ?? o.q).map((v) => +v.toPrecision(6)).join(' ')}`);
    for (const k of checks) console.log(`  ${k.ok ? 'ok  ' : 'FAIL'} ${k.check}: ${k.detail ?? ''}`);
  }
  return ok ? 0 : 1;
}

async function watcher(a: Parsed, role: 'auditor' | 'challenger'): Promise<number> {
  const log = (m: string) => console.error(`[${role}] ${m}`);
  const c = await connect(a, log);
  const opts = { client: c, models: new ModelCache(c), log };
  const traces = new Map<number, ExecutedTrace>();
  const checked = new Set<number>();
  const watch = Number(a.opts.get('--watch')?.[0] ?? '1');
  if (!(watch >= 0 && watch <= 1)) throw new Error(`--watch must be a probability in [0, 1], got '${a.opts.get('--watch')?.[0]}'`);
  log(`${role} ${c.account}`);
  return loop(a, log, () => (role === 'auditor' ? auditorStep(opts, traces, checked) : challengerStep(opts, traces, checked, watch)));
}

async function status(a: Parsed): Promise<number> {
  const url = a.opts.get('--url')?.[0] ?? 'http://127.0.0.1:8090';
  const job = intOpt(a, '--job', undefined, 1);
  let account = a.opts.get('--account')?.[0];
  if (!account && a.opts.get('--key')) account = loadKey(a.opts.get('--key')![0], false).key.account;
  const get = async <T>(p: string): Promise<T> => {
    const r = await fetch(`${url}${p}`).catch((e: Error) => {
      throw new Error(`cannot reach the market at ${url}: ${networkReason(e)}`);
    });
    const j = (await r.json()) as T & { error?: { message: string } };
    if (!r.ok) throw new Error(j.error?.message ?? `HTTP ${r.status}`);
    return j;
  };
  if (job !== undefined) {
    console.log(JSON.stringify(await get(`/v1/jobs/${job}`), null, 2));
    return 0;
  }
  const m = await get<{ marketId: string; jobs: Record<string, number>; ledger: { ok: boolean; problems: string[] } }>('/v1/market');
  console.log(`market ${m.marketId}: jobs ${Object.entries(m.jobs).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}; ledger ${m.ledger.ok ? 'balanced' : `NOT balanced: ${m.ledger.problems.join('; ')}`}`);
  if (account) {
    const acct = await get<{ free: number; stake: number; nonce: number }>(`/v1/accounts/${account}`);
    console.log(`account ${account}: free ${acct.free}, stake ${acct.stake}, nonce ${acct.nonce}`);
    for (const role of ['requester', 'operator'] as const) {
      const { jobs } = await get<{ jobs: JobInfo[] }>(`/v1/jobs?${role}=${account}&limit=50`);
      for (const j of jobs) console.log(`  ${role} job ${j.id} ${j.policy} ${j.state}${j.outcome ? ` — ${j.outcome}` : ''}`);
    }
  }
  return 0;
}

async function fund(a: Parsed): Promise<number> {
  const url = (a.opts.get('--url')?.[0] ?? 'http://127.0.0.1:8090').replace(/\/+$/, '');
  const account = a.opts.get('--account')?.[0] ?? loadKey(a.opts.get('--key')?.[0] ?? 'market-key.json', true).key.account;
  const amount = intOpt(a, '--amount', undefined, 1, 1e12);
  if (amount === undefined) throw new Error('fund needs --amount N');
  const r = await fetch(`${url}/v1/faucet`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ account, amount }) }).catch((e: Error) => {
    throw new Error(`cannot reach the market at ${url}: ${networkReason(e)}`);
  });
  const j = (await r.json()) as { free?: number; error?: { message: string } };
  if (!r.ok) throw new Error(j.error?.message ?? `HTTP ${r.status}`);
  console.log(`account ${account}: free ${j.free}`);
  return 0;
}

export const marketCommand: Command = {
  name: 'market',
  run: (args) =>
    guard('market', async () => {
      const [sub, ...rest] = args;
      if (sub === undefined || sub === '--help' || sub === '-h' || rest.includes('--help') || rest.includes('-h')) {
        console.log(HELP);
        return sub === undefined ? 2 : 0;
      }
      switch (sub) {
        case 'serve':
          return serve(parseArgs(rest, ['--data-dir', '--port', '--host', '--deadlines'], ['--faucet']));
        case 'operator':
          return operator(parseArgs(rest, [...AGENT_VALUED, '--model', '--stake', '--price', '--max-jobs'], [...AGENT_FLAGS, '--private']));
        case 'request':
          return request(parseArgs(rest, [...AGENT_VALUED, '--model-id', '--input', '--policy', '--reward', '--stake', '--p', '--gain', '--bond', '--timeout'], ['--no-wait', '--json']));
        case 'auditor':
          return watcher(parseArgs(rest, AGENT_VALUED, AGENT_FLAGS), 'auditor');
        case 'challenger':
          return watcher(parseArgs(rest, [...AGENT_VALUED, '--watch'], AGENT_FLAGS), 'challenger');
        case 'status':
          return status(parseArgs(rest, [...AGENT_VALUED, '--job'], []));
        case 'fund':
          return fund(parseArgs(rest, [...AGENT_VALUED, '--amount'], []));
        default:
          console.error(`zkinfer market: unknown command '${sub}'\n\n${HELP}`);
          return 2;
      }
    }),
};
