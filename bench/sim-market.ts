/**
 * sim:market — the market under load, in one process and virtual time, running the REAL
 * coordinator (src/market/coordinator.ts: signed requests, nonces, SQLite store and ledger, the
 * commit-reveal audit draw, bisection disputes, deadlines) with agents that sign every request.
 *
 *   npm run sim:market -- --operators 50 --cheaters 0.1 --jobs 10000 --policy sampled --p 0.05
 *     [--model mlp-tiny] [--batch 1000] [--watch 1] [--reward 100] [--stake 1000] [--gain 50]
 *     [--store memory|file] [--seed 1]
 *
 * Cast: one requester posting jobs in signed batches of --batch (default 1000); --operators
 * operators, a fraction --cheaters of them cheating on every job. Each posted job goes to a random
 * operator; an operator locks the jobs it drew from a batch with one signed `job.lock` and submits
 * their results with one signed `job.submit` (each item is checked, drawn and settled on its own;
 * with --batch 1 every lock and every submission is its own signed request); 4 honest auditors (sampled) or watchers
 * (optimistic, each job re-executed and checked with probability --watch). Every job is real work:
 * the operator runs the model (the integer interpreter, `runQuantized`) and commits to its trace;
 * a cheater adds 1 to one value of a random layer's output and computes the rest from it. Audits
 * and challenges re-execute the model for real, and disputes bisect and re-execute one layer.
 *
 * "Proving excluded" means: for --policy proof, every job's receipt is proved for real by its
 * operator (bound to the market, the job and the operator: policy.ts "Receipt context"), and the
 * time spent proving is taken out of the timed loop; every submission's receipt is then verified
 * by the coordinator for real, each time (`verifyReceipt` against the model ID, the job's input
 * and its context). A cheater replays the receipt of an earlier job (another job, maybe another
 * operator, the same or another input), or submits its own receipt with a wrong output; both are
 * rejected and slashed. Sampled and optimistic
 * jobs involve no proof at all (public model: audits are re-executions).
 *
 * Store: --store memory (default) is SQLite in memory, --store file a WAL file in a temporary
 * directory (durable, as `market serve` runs it): the same coordinator and SQL either way; the
 * file store pays for page writes and checkpoints (BENCHMARKS.md has both).
 *
 * Expected catch rate: p (sampled: a cheat is caught iff its submission is drawn for audit),
 * --watch (optimistic), 1 (proof). Progress goes to stderr; stdout is one JSON line:
 * {"jobs","cheatsAttempted","cheatsCaught","expectedCatchRate","observedCatchRate","honestSlashed",
 *  "ledgerBalanced","jobsPerS"} — jobs settled (finalized + slashed), jobsPerS over the timed loop.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { generatedModel } from '../src/model/generated.js';
import { mulberry32 } from '../src/demo/digits.js';
import { compileOnnx } from '../src/quantize/compile.js';
import { encodeZkm } from '../src/quantize/zkm.js';
import { commitModel } from '../src/prover/commit.js';
import { prove } from '../src/prover/prove.js';
import { Coordinator } from '../src/market/coordinator.js';
import { disputeMove, receiptBody, Signer, traceBody, type Move } from '../src/market/agents.js';
import { generateKeyPair } from '../src/market/sign.js';
import { executeTrace, type ExecutedTrace } from '../src/market/trace.js';
import { PPM, POLICIES, type Policy } from '../src/market/types.js';
import { receiptContext } from '../src/market/policy.js';
import type { Party } from '../src/market/dispute.js';
import { arg, nowMs } from './util.js';

function num(name: string, fallback: string, ok: (v: number) => boolean, what: string): number {
  const v = Number(arg(name, fallback));
  if (!ok(v)) {
    console.error(`sim:market: ${name}: expected ${what}, got ${arg(name, fallback)}`);
    process.exit(2);
  }
  return v;
}

const OPERATORS = num('--operators', '50', (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1');
const CHEATERS = num('--cheaters', '0.1', (v) => v >= 0 && v <= 1, 'a fraction in [0, 1]');
const JOBS = num('--jobs', '10000', (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1');
const P = num('--p', '0.05', (v) => v > 0 && v <= 1, 'a probability in (0, 1]');
const WATCH = num('--watch', '1', (v) => v >= 0 && v <= 1, 'a probability in [0, 1]');
const BATCH = num('--batch', '1000', (v) => Number.isInteger(v) && v >= 1 && v <= 1000, 'an integer in [1, 1000]');
const REWARD = num('--reward', '100', (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1');
const STAKE = num('--stake', '1000', (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1');
const GAIN = num('--gain', '50', (v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0');
const SEED = num('--seed', '1', (v) => Number.isInteger(v), 'an integer');
const POLICY = arg('--policy', 'sampled') as Policy;
const STORE = arg('--store', 'memory');
const MODEL = arg('--model', 'mlp-tiny');
if (!POLICIES.includes(POLICY)) {
  console.error(`sim:market: --policy: expected one of ${POLICIES.join(', ')}, got ${POLICY}`);
  process.exit(2);
}
if (STORE !== 'file' && STORE !== 'memory') {
  console.error(`sim:market: --store: expected file or memory, got ${STORE}`);
  process.exit(2);
}

const log = (s: string) => process.stderr.write(`${s}\n`);
const rnd = mulberry32(SEED);
const keyOf = (name: string) => generateKeyPair(createHash('sha256').update(`sim-market/${SEED}/${name}`).digest());

// --- setup (not timed) ---------------------------------------------------------------------
const g = generatedModel(MODEL, { inputCount: 16 });
const { model } = compileOnnx(g.onnx, g.inputs);
const inputs = g.inputs;
let time = 1_000_000;
const dir = STORE === 'file' ? fs.mkdtempSync(path.join(os.tmpdir(), 'zkinfer-sim-')) : null;
const coord = Coordinator.open({ file: dir ? path.join(dir, 'market.sqlite') : ':memory:', now: () => time, config: { maxBatch: 1000, keepReceipts: false } });
const signer = (name: string, funds: number) => {
  const s = new Signer(keyOf(name), coord.marketId);
  if (funds > 0) coord.mint(s.account, funds, `sim/${name}`);
  return s;
};
let coordMs = 0; // time inside the coordinator (handle, tick): its throughput without the agents' work
const send = (who: Signer, action: string, body: Record<string, unknown>): any => {
  const req = who.sign(action, body);
  const t = nowMs();
  const r = coord.handle(req);
  coordMs += nowMs() - t;
  if (!r.ok) throw new Error(`${action} refused: ${r.error.kind}: ${r.error.message}`);
  return r.value;
};

const owner = signer('owner', 0);
const modelId = send(owner, 'model.register', { visibility: 'public', price: 1, zkm: Buffer.from(encodeZkm(model)).toString('base64') }).modelId as string;
const requester = signer('requester', JOBS * (REWARD * 2 + 10));
const nCheat = Math.round(OPERATORS * CHEATERS);
const ops = Array.from({ length: OPERATORS }, (_, i) => ({ s: signer(`op${i}`, 0), cheat: false }));
for (const i of [...ops.keys()].sort(() => rnd() - 0.5).slice(0, nCheat)) ops[i].cheat = true;
for (const o of ops) {
  coord.mint(o.s.account, 1000 * STAKE, `sim/stake/${o.s.account}`);
  send(o.s, 'stake.deposit', { amount: 1000 * STAKE });
}
const honestOps = new Set(ops.filter((o) => !o.cheat).map((o) => o.s.account));
const auditors = Array.from({ length: 4 }, (_, i) => signer(`auditor${i}`, JOBS * REWARD * 2 + 1000));

const cm = POLICY === 'proof' ? commitModel(model) : undefined;
/** the last honest receipt made (what a cheater replays), and the time spent proving (not timed) */
let published: Uint8Array | undefined;
let proveMs = 0;

// --- timed loop ------------------------------------------------------------------------------
let cheatsAttempted = 0;
let disputes = 0;
const cheaterJobs: number[] = [];

/** Plays a dispute to its end; both sides answer with their own traces (the cheater's is false but self-consistent). */
function playDispute(job: number, sides: Record<Party, { who: Signer; t: ExecutedTrace }>): void {
  disputes++;
  for (let guard = 0; guard < 128; guard++) {
    const j = coord.job(job)!;
    if (j.state !== 'challenge') return;
    let mv: Move | null = null;
    let who: Signer | null = null;
    for (const p of ['operator', 'challenger'] as Party[]) {
      mv = disputeMove(job, j.dispute!, p, model, sides[p].t);
      if (mv) {
        who = sides[p].who;
        break;
      }
    }
    if (!mv || !who) throw new Error(`job ${job}: no dispute move`);
    send(who, mv.action, mv.body);
  }
  throw new Error(`job ${job}: dispute did not end`);
}

const specBase = { model: modelId, policy: POLICY, reward: REWARD, stake: STAKE, cheatGain: GAIN, bond: REWARD, ...(POLICY === 'sampled' ? { auditPpm: Math.round(P * PPM) } : {}) };
const t0 = nowMs();
let posted = 0;
while (posted < JOBS) {
  const n = Math.min(BATCH, JOBS - posted);
  const idx = Array.from({ length: n }, (_, k) => (posted + k) % inputs.length);
  let ids: number[];
  try {
    ids = send(requester, 'job.post', { jobs: idx.map((i) => ({ ...specBase, input: inputs[i] })) }).jobs.map((x: { id: number }) => x.id);
  } catch (e) {
    console.error(`sim:market: ${(e as Error).message}`);
    process.exit(1);
  }
  // each operator locks the jobs it drew from this batch in one signed request, computes them, and
  // submits all its results in one signed request (every item is checked and settled on its own)
  const byOp = new Map<(typeof ops)[number], { job: number; i: number }[]>();
  for (let k = 0; k < n; k++) {
    const op = ops[Math.floor(rnd() * ops.length)];
    byOp.set(op, [...(byOp.get(op) ?? []), { job: ids[k], i: idx[k] }]);
  }
  for (const [op, mine] of byOp) {
    time += 10 * mine.length;
    send(op.s, 'job.lock', { jobs: mine.map((x) => x.job) });
    if (op.cheat) {
      cheatsAttempted += mine.length;
      cheaterJobs.push(...mine.map((x) => x.job));
    }
    if (POLICY === 'proof') {
      const results = mine.map(({ job, i }, k) => {
        if (op.cheat && k % 2 === 0 && published) return receiptBody(job, executeTrace(model, inputs[i]), published);
        const t = nowMs();
        const r = prove(cm!, inputs[i], { context: receiptContext(coord.marketId, job, op.s.account) });
        proveMs += nowMs() - t;
        if (!op.cheat) published = r.receipt;
        const outputs = op.cheat ? r.outputs.map((o) => ({ name: o.name, q: o.q.map((v, j) => (j === 0 ? v + 1 : v)) })) : r.outputs;
        return receiptBody(job, { outputs }, r.receipt);
      });
      send(op.s, 'job.submit', { results });
      continue;
    }
    const traces = mine.map(({ i }) => {
      const step = 1 + Math.floor(rnd() * model.layers.length);
      return op.cheat ? executeTrace(model, inputs[i], { tamper: { step, edit: (q) => void (q[0] += 1) } }) : executeTrace(model, inputs[i]);
    });
    const res = send(op.s, 'job.submit', { results: mine.map(({ job }, k) => traceBody(job, traces[k])) }).results as { state: string }[];
    mine.forEach(({ job, i }, k) => {
      const t = traces[k];
      if (POLICY === 'sampled' && res[k].state === 'audit') {
        const aud = auditors[Math.floor(rnd() * auditors.length)];
        const check = executeTrace(model, inputs[i]);
        const r = send(aud, 'audit.report', traceBody(job, check));
        if (r.state === 'challenge') playDispute(job, { operator: { who: op.s, t }, challenger: { who: aud, t: check } });
      }
      if (POLICY === 'optimistic' && rnd() < WATCH) {
        const w = auditors[Math.floor(rnd() * auditors.length)];
        const check = executeTrace(model, inputs[i]);
        if (Buffer.compare(Buffer.from(check.commitment.leaves.at(-1)!), Buffer.from(t.commitment.leaves.at(-1)!)) !== 0) {
          send(w, 'job.challenge', traceBody(job, check));
          playDispute(job, { operator: { who: op.s, t }, challenger: { who: w, t: check } });
        }
      }
    });
  }
  posted += n;
  if (POLICY !== 'proof') {
    // the challenge window (optimistic) or the audit window (sampled, audited jobs) of this batch closes
    time += Math.max(coord.config.deadlines.window, coord.config.deadlines.audit) + 1;
    const t = nowMs();
    coord.tick();
    coordMs += nowMs() - t;
  }
  if (posted % 1000 < BATCH) log(`sim:market: ${posted}/${JOBS} jobs, ${((posted / (nowMs() - t0)) * 1000).toFixed(0)} jobs/s`);
}
const wallS = (nowMs() - t0 - proveMs) / 1000;
if (POLICY === 'proof') log(`sim:market: ${(proveMs / 1000).toFixed(1)} s of proving taken out of the timed loop`);

// --- results -----------------------------------------------------------------------------------
const counts = coord.store.countByState();
const settled = (counts.finalized ?? 0) + (counts.slashed ?? 0);
const cheatsCaught = cheaterJobs.filter((j) => coord.job(j)!.state === 'slashed').length;
const honestSlashed = coord.store.eventsOfKind('slash').filter((e) => honestOps.has(String(e.detail?.operator))).length;
const expectedCatchRate = POLICY === 'sampled' ? P : POLICY === 'optimistic' ? WATCH : 1;
const observedCatchRate = cheatsAttempted > 0 ? cheatsCaught / cheatsAttempted : 0;
const balanced = coord.checkBalanced();
const audited = (coord.db.prepare('SELECT COUNT(*) AS n FROM jobs WHERE audited = 1').get() as { n: number }).n;
const cheatAudited = cheaterJobs.filter((j) => coord.job(j)!.audited === true).length;
const sigma = cheatsAttempted > 0 ? Math.sqrt((expectedCatchRate * (1 - expectedCatchRate)) / cheatsAttempted) : 0;
const within = Math.abs(observedCatchRate - expectedCatchRate) <= 3 * sigma + 1e-12;
log(`sim:market: ${POLICY}, ${OPERATORS} operators (${nCheat} cheating), ${JOBS} jobs: states ${JSON.stringify(counts)}, ${disputes} disputes`);
if (POLICY === 'sampled') log(`sim:market: audit draws: ${audited} of ${JOBS} jobs (${((audited / JOBS) * 100).toFixed(2)}%), ${cheatAudited} of ${cheatsAttempted} cheats`);
log(`sim:market: ${settled} settled in ${wallS.toFixed(2)} s (${Math.round(settled / wallS)} jobs/s); inside the coordinator ${(coordMs / 1000).toFixed(2)} s (${Math.round(settled / (coordMs / 1000))} jobs/s of coordinator time; the rest is the agents' signing and inference)`);
log(`sim:market: catch rate ${observedCatchRate.toFixed(4)} vs expected ${expectedCatchRate} (σ = ${sigma.toFixed(4)}: ${within ? 'within' : 'OUTSIDE'} 3σ); ledger ${balanced.ok ? 'balanced' : `NOT balanced: ${balanced.problems.join('; ')}`}; store ${STORE}`);
coord.close();
if (dir) fs.rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    jobs: settled,
    cheatsAttempted,
    cheatsCaught,
    expectedCatchRate,
    observedCatchRate: Number(observedCatchRate.toFixed(6)),
    honestSlashed,
    ledgerBalanced: balanced.ok,
    jobsPerS: Math.round(settled / wallS),
  }),
);
