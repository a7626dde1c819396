/**
 * The market's agents over HTTP (client.ts): each `…Step` does the work that is pending right now
 * and returns how many requests it sent, so the CLI loops it with a poll interval and tests call
 * it once. All protocol decisions are the honest ones of agents.ts; every check is the
 * coordinator's.
 *
 *   operator   answers its disputes (bisection moves, openings, or a full receipt for a private
 *              model) and its private audits (a receipt), submits the jobs it holds locked (after
 *              a restart between lock and submit: an unserved lock is slashed when it expires),
 *              then locks posted jobs for its model and submits: a receipt (policy proof, proved in-process with `prove`) or the output
 *              and trace commitment. A job that needs a receipt is taken only if strict inference
 *              succeeds on its input (an out-of-range input cannot be proven: locking it would
 *              only lose the stake).
 *   auditor    re-executes the jobs drawn for audit on public models and reports (an agreement
 *              only when nobody agreed yet; a disagreement always — it becomes its dispute, which
 *              it plays as the challenger).
 *   challenger re-executes submitted optimistic jobs on public models and challenges the ones
 *              whose last trace leaf differs from its own; plays its disputes.
 *   requester  posts, waits for the end, and checks what it can itself: the receipt (downloaded
 *              and verified against the model ID, its input and the job's receipt context), the audit draw against the seed
 *              commitment, and — public model — the output by re-execution.
 */
import { prove, type ProveOptions, type ProveResult } from '../prover/prove.js';
import type { CommittedModel } from '../prover/commit.js';
import { runQuantized } from '../quantize/infer.js';
import type { QuantizedModel } from '../quantize/layers.js';
import { decodeZkm } from '../quantize/zkm.js';
import { verifyReceipt } from '../verifier/verify.js';
import { disagrees, disputeMove, receiptBody, traceBody } from './agents.js';
import type { MarketClient } from './client.js';
import type { DisputeState, Party } from './dispute.js';
import { checkDraw, receiptContext } from './policy.js';
import { executeTrace, outputsEqual, outputsFromWire, type ExecutedTrace } from './trace.js';
import type { Submission } from './store.js';
import { PPM, TERMINAL_STATES, type JobState, type Policy } from './types.js';

/** The job fields the agents read (GET /v1/jobs?full=true). */
export interface JobInfo {
  id: number;
  model: string;
  policy: Policy;
  state: JobState;
  operator: string | null;
  challenger: string | null;
  stake: number;
  auditP: number;
  input: Record<string, number[]>;
  submission: Submission | null;
  dispute: DisputeState | null;
  seed: string | null;
  seedCommit: string;
  subHash: string | null;
  audited: boolean | null;
  auditor: string | null;
  outcome: string | null;
  receipt: string | null;
}

type Log = (msg: string) => void;

async function jobs(c: MarketClient, query: string): Promise<JobInfo[]> {
  return (await c.get<{ jobs: JobInfo[] }>(`/v1/jobs?full=true&limit=200&${query}`)).jobs;
}

/** Public models by ID, downloaded once. */
export class ModelCache {
  private readonly m = new Map<string, QuantizedModel | null>();
  constructor(private readonly c: MarketClient) {}
  /** The model, or null when it is private. */
  async get(id: string): Promise<QuantizedModel | null> {
    if (!this.m.has(id)) {
      const row = await this.c.get<{ visibility: string }>(`/v1/models/${id}`);
      this.m.set(id, row.visibility === 'public' ? decodeZkm(await this.c.bytes(`/v1/models/${id}/zkm`)) : null);
    }
    return this.m.get(id)!;
  }
}

/** Plays `party`'s next dispute move on job j with trace t, if it is its turn. Returns 1 when it moved. */
async function play(c: MarketClient, j: JobInfo, party: Party, model: QuantizedModel, t: ExecutedTrace, log: Log): Promise<number> {
  const mv = disputeMove(j.id, j.dispute!, party, model, t);
  if (!mv) return 0;
  const r = await c.send(mv.action, mv.body);
  log(`job ${j.id}: ${mv.action}${mv.action === 'dispute.reveal' ? ` leaf ${String(mv.body.index)}` : ''} → ${r.state}${r.winner ? ` (winner: ${r.winner})` : ''}`);
  return 1;
}

export interface OperatorOptions {
  client: MarketClient;
  model: QuantizedModel;
  modelId: string;
  /** the committed model, for receipts (computed on first need) */
  committed: () => CommittedModel;
  /** proves with the committed model (default `prove`; the CLI admits zero-knowledge proofs by the model's opening budget) */
  prove?: (cm: CommittedModel, input: Record<string, ArrayLike<number>>, opts: ProveOptions) => ProveResult;
  /** most new jobs to take per step */
  maxJobs: number;
  log: Log;
}

export async function operatorStep(o: OperatorOptions, traces: Map<number, ExecutedTrace>): Promise<number> {
  const { client: c, model, log } = o;
  const me = c.account;
  const traceOf = (j: JobInfo) => traces.get(j.id) ?? executeTrace(model, j.input);
  const proveJob = (j: JobInfo) => (o.prove ?? prove)(o.committed(), j.input, { context: receiptContext(c.signer.marketId, j.id, me) });
  const receiptFor = (j: JobInfo) => proveJob(j).receipt;
  let sent = 0;
  for (const j of await jobs(c, `state=challenge&operator=${me}`)) {
    if (j.dispute!.mode === 'receipt') {
      const r = await c.send('dispute.receipt', { job: j.id, receipt: Buffer.from(receiptFor(j)).toString('base64') });
      log(`job ${j.id}: dispute settled by a full receipt → ${r.state}`);
      sent++;
    } else sent += await play(c, j, 'operator', model, traceOf(j), log);
  }
  for (const j of await jobs(c, `state=audit&operator=${me}&model=${o.modelId}`)) {
    const row = await c.get<{ visibility: string }>(`/v1/models/${j.model}`);
    if (row.visibility !== 'private') continue; // public models are audited by re-execution
    const r = await c.send('audit.receipt', { job: j.id, receipt: Buffer.from(receiptFor(j)).toString('base64') });
    log(`job ${j.id}: audit receipt → ${r.state}`);
    sent++;
  }
  // Own locked jobs first: after a crash between lock and submit they are still ours to serve, and
  // an unserved lock costs the stake when it expires.
  const submit = async (j: JobInfo, how: string) => {
    let r: { state: string };
    if (j.policy === 'proof') {
      const p = proveJob(j);
      r = await c.send('job.submit', receiptBody(j.id, p, p.receipt));
    } else {
      const t = traces.get(j.id) ?? executeTrace(model, j.input);
      traces.set(j.id, t);
      r = await c.send('job.submit', traceBody(j.id, t));
    }
    log(`job ${j.id} (${j.policy}): ${how} → ${r.state}`);
  };
  for (const j of await jobs(c, `state=locked&operator=${me}&model=${o.modelId}`)) {
    try {
      await submit(j, 'resumed its lock, submitted');
    } catch (e) {
      log(`job ${j.id}: could not resume its lock (${(e as Error).message})`);
    }
    sent++;
  }
  const free = (await c.get<{ stake: number }>(`/v1/accounts/${me}`)).stake;
  let budget = free;
  for (const j of (await jobs(c, `state=posted&model=${o.modelId}`)).slice(0, o.maxJobs)) {
    if (j.stake > budget) {
      log(`job ${j.id}: needs ${j.stake} of free stake, ${budget} left — skipped`);
      continue;
    }
    const needsReceipt = j.policy === 'proof' || (await c.get<{ visibility: string }>(`/v1/models/${j.model}`)).visibility === 'private';
    if (needsReceipt) {
      try {
        runQuantized(model, j.input, { strict: true });
      } catch (e) {
        log(`job ${j.id}: not taken — its input cannot be proven (${(e as Error).message})`);
        continue;
      }
    }
    try {
      await c.send('job.lock', { job: j.id });
    } catch (e) {
      log(`job ${j.id}: lock refused (${(e as Error).message})`);
      continue;
    }
    budget -= j.stake;
    sent++;
    await submit(j, 'submitted');
    sent++;
  }
  for (const id of traces.keys()) if (traces.size > 10_000) traces.delete(id);
  return sent;
}

export interface WatcherOptions {
  client: MarketClient;
  models: ModelCache;
  log: Log;
}

/** Disputes in which this account is the challenger. */
async function challengerDisputes(o: WatcherOptions, traces: Map<number, ExecutedTrace>): Promise<number> {
  let sent = 0;
  for (const j of await jobs(o.client, 'state=challenge')) {
    if (j.challenger !== o.client.account || j.dispute!.mode === 'receipt') continue;
    const model = await o.models.get(j.model);
    if (!model) continue;
    const t = traces.get(j.id) ?? executeTrace(model, j.input);
    sent += await play(o.client, j, 'challenger', model, t, o.log);
  }
  return sent;
}

/**
 * Checks every job drawn for audit once: a disagreement is reported (it opens a dispute) even when
 * another auditor has agreed; an agreement is reported only by the first (it earns the fee).
 */
export async function auditorStep(o: WatcherOptions, traces: Map<number, ExecutedTrace>, checked: Set<number>): Promise<number> {
  let sent = await challengerDisputes(o, traces);
  for (const j of await jobs(o.client, 'state=audit')) {
    if (j.operator === o.client.account || checked.has(j.id)) continue;
    const model = await o.models.get(j.model);
    if (!model) continue; // private: the operator's receipt is the audit
    checked.add(j.id);
    const t = executeTrace(model, j.input);
    const agree = !disagrees(j.submission!.trace!.last[1], t);
    if (agree && j.auditor) continue;
    traces.set(j.id, t);
    const r = await o.client.send('audit.report', traceBody(j.id, t));
    o.log(`job ${j.id}: audit ${agree ? `agreed (final at ${r.finalizesAt})` : `disagreed → ${r.state}`}`);
    sent++;
  }
  return sent;
}

export async function challengerStep(o: WatcherOptions, traces: Map<number, ExecutedTrace>, checked: Set<number>, watch: number): Promise<number> {
  let sent = await challengerDisputes(o, traces);
  for (const j of await jobs(o.client, 'state=submitted&policy=optimistic')) {
    if (checked.has(j.id) || j.operator === o.client.account) continue;
    checked.add(j.id);
    if (Math.random() >= watch) continue;
    const model = await o.models.get(j.model);
    if (!model) continue;
    const t = executeTrace(model, j.input);
    if (!disagrees(j.submission!.trace!.last[1], t)) continue;
    traces.set(j.id, t);
    const r = await o.client.send('job.challenge', traceBody(j.id, t));
    o.log(`job ${j.id}: challenged → ${r.state}`);
    sent++;
  }
  return sent;
}

export interface Check {
  check: string;
  ok: boolean;
  detail?: string;
}

/** What a requester can check on a settled job by itself (see the header). */
export async function checkJob(c: MarketClient, models: ModelCache, j: JobInfo): Promise<Check[]> {
  const out: Check[] = [];
  if (!TERMINAL_STATES.has(j.state)) return [{ check: 'settled', ok: false, detail: `job is ${j.state}` }];
  if (j.state !== 'finalized' || !j.submission) return out;
  const outputs = outputsFromWire(j.submission.outputs, 1 << 24);
  if (j.receipt) {
    const v = verifyReceipt(await c.bytes(j.receipt), j.model, j.input, { context: receiptContext(c.signer.marketId, j.id, j.operator!) });
    out.push(v.ok ? { check: 'receipt', ok: outputsEqual(outputs, v.outputs), detail: outputsEqual(outputs, v.outputs) ? 'verifies for this model ID and input, and proves this output' : 'verifies, but for another output' } : { check: 'receipt', ok: false, detail: `${v.error.kind}: ${v.error.message}` });
  }
  if (j.policy === 'sampled' && j.seed && j.subHash && j.audited !== null) {
    const ok = checkDraw(j.seed, j.seedCommit, j.id, j.subHash, Math.round(j.auditP * PPM), j.audited);
    out.push({ check: 'audit draw', ok, detail: `${j.audited ? 'audited' : 'not audited'}; seed ${ok ? 'matches its commitment and reproduces the draw' : 'does NOT reproduce the draw'}` });
  }
  const model = await models.get(j.model);
  if (model) {
    const ok = outputsEqual(outputs, executeTrace(model, j.input).outputs);
    out.push({ check: 're-execution', ok, detail: ok ? 'the public model gives this output on this input' : 'the public model gives ANOTHER output' });
  }
  return out;
}
