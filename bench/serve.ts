/**
 * bench:serve — the prover node under load on loopback, against proving the same jobs back to
 * back without the service.
 *
 *   npm run bench:serve -- [--model mlp:512,1024,512,10] [--requests 200] [--concurrency 16]
 *                          [--workers N] [--max-queue 256] [--server child|inproc]
 *                          [--client http|fetch] [--poll-ms 25] [--poll-max-ms 250]
 *                          [--warmup 8] [--verify 8] [--control-s 10] [--timeout-s 600]
 *                          [--data-dir DIR] [--prover-nice 10]
 *                          [--server-node-args "--cpu-prof --cpu-prof-dir=/tmp/prof"]
 *
 * 1. Builds the model in code, calibrated on the inputs the jobs use (min(requests, 32) distinct
 *    inputs, uniform in [−1, 1], cycled), and encodes it as `.zkm`. `--model` takes a generated
 *    model name (`src/model/generated.ts`: mlp-tiny, cnn-tiny, mlp-4m, …) or `mlp:W0,W1,…,Wn`,
 *    an MLP with those widths (Gemm + Relu, He-uniform weights, seeded). The default,
 *    mlp:512,1024,512,10 (1.05M parameters, ~100 ms per proof on one core, ~0.7 MB receipts), sits
 *    between the generated sizes: mlp-tiny and cnn-tiny prove in ~15 ms, so per-request HTTP and
 *    SQLite work is a large share of the CPU, and mlp-4m takes ~300 ms, so 2 × 200 proofs of it
 *    take 2.5 minutes on 2 cores. The default run takes about a minute there.
 * 2. Baseline: the same jobs proven back to back in this process through a `ProverPool` with the
 *    same number of threads (W in flight; no HTTP, no SQLite) → `baselineProofsPerS`. Both the
 *    baseline and the service first get `--warmup` untimed jobs (compiled code, warm threads).
 * 3. Service: a fresh `zkinfer serve` on 127.0.0.1 (port 0, same W and `--max-queue`; its job
 *    store in an empty temporary directory, or a fresh one under `--data-dir DIR` to measure
 *    another disk, or `--data-dir :memory:` for SQLite in memory, to see what durability costs).
 *    C concurrent clients each loop: `POST /v1/infer {input}` with an Idempotency-Key (429 → wait
 *    Retry-After, capped at 5 s, retry; every 429 counted) → poll `GET /v1/jobs/:id?receipt=false`
 *    (every poll timed; the interval starts at --poll-ms and grows ×1.5 to --poll-max-ms: the
 *    client library's schedule, capped lower so that the last jobs' completion is noticed within
 *    250 ms) until done → `GET /v1/jobs/:id/receipt` (non-empty and as long as the job says;
    the body is counted as it arrives and kept only for the receipts sampled for verification,
    so that the load generator does not copy 140 MB per run on the cores it shares with the
    server).
 *    End-to-end latency is POST → receipt downloaded; `proofsPerS` = ok / wall time of the
 *    service run (first POST to last receipt; server start-up and model commitment are excluded,
 *    as from the baseline). Errors: any other non-2xx, network errors, failed jobs, bad receipts.
 * 4. Outside the timed region, `--verify N` receipts spread over the run are verified with
 *    `verifyReceipt` against the model ID and their inputs, and their proven outputs compared with
 *    the JSON outputs the server reported.
 * 5. Control (`--control-s`, 0 to skip): the same clients and polling against a bare `node:http`
 *    server that spins W worker threads, i.e. what this machine gives any Node server whose
 *    cores are busy proving → `controlGetP99Ms`, the floor to read `getP99Ms` against.
 *
 * Where the server runs (`--server`): by default a child process (`node dist/src/cli/main.js serve`),
 * so the load generator's work (HTTP parsing, JSON, timers) runs on its own event loop and the
 * server's event loop, whose responsiveness is measured, serves only HTTP, as in production. On a
 * 2-core machine the client process, the server's event loop and the proving threads still share
 * the CPUs, which production would not (clients are elsewhere); the JSON therefore reports CPU
 * seconds by thread (Linux /proc): `serverMainThreadCpuS`, `serverProverCpuS` (the W busiest
 * other threads), `serverHelperCpuS` (the rest: V8's GC and compiler threads, which work for the
 * provers; compare `baselineHelperCpuS`), `clientCpuS`, and `otherCpuS`/`baselineOtherCpuS` for
 * whatever else ran on the machine meanwhile; a run with other CPU seconds well above zero was
 * disturbed. `--server inproc` runs `startServer` in this process instead (client timings then
 * include the server's event-loop stalls twice over; for comparison only).
 *
 * `--prover-nice N` is passed to the server (proving and V8 helper threads N nice levels below
 * its HTTP thread, on Linux; 0 turns it off) and reported as `proverNice`.
 *
 * The client (`--client`): node:http with a keep-alive agent by default; it costs the load
 * generator about 0.25 ms of CPU per request against about 0.6 ms for `fetch` (undici), CPU that
 * on a small machine is taken from the server under test. `--client fetch` uses global fetch.
 *
 * Output: progress and diagnostics on stderr, then exactly one JSON line on stdout:
 *   {"requests","concurrency","ok","rejected429","errors","p50Ms","p99Ms","proofsPerS",
 *    "baselineProofsPerS","throughputRatio","getP50Ms","getP99Ms",…,"meetsTargets"}
 * with, besides: `getSteadyP99Ms` (GETs sent after every client's first POST was answered, i.e.
 * without the start-up burst of C simultaneous submissions), `proverUtilization` (share of the
 * wall time the proving threads spent inside prove(); the rest is dispatch between proofs, start
 * and drain), `proveMsMean` against `baselineProveMsMean` (the same proofs, slower when the
 * threads share cores), `clientLoopDelay*` (the load generator's own event-loop delay, part of
 * every latency it measures). `meetsTargets`: no errors, throughput ≥ 90% of the baseline, GET
 * p99 ≤ 20 ms. Exit status 1 when a request failed or a sampled receipt did not verify; a run that
 * passes --timeout-s stops with an error and no JSON line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../src/demo/digits.js';
import { countParameters, generatedModel, GENERATED_MODELS } from '../src/model/generated.js';
import { GraphWriter } from '../src/model/onnx-writer.js';
import { compileOnnx } from '../src/quantize/compile.js';
import { encodeZkm } from '../src/quantize/zkm.js';
import { ProverPool } from '../src/service/pool.js';
import { DEFAULT_PROVER_NICE, defaultWorkers, startServer, type RunningServer } from '../src/service/server.js';
import { verifyReceipt } from '../src/verifier/verify.js';
import { arg } from './util.js';

const log = (m: string) => process.stderr.write(`[bench:serve] ${m}\n`);

function intArg(name: string, fallback: number, min: number): number {
  const v = arg(name, String(fallback));
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got '${v}'`);
  return n;
}
function choice<T extends string>(name: string, fallback: T, options: readonly T[]): T {
  const v = arg(name, fallback);
  if (!(options as readonly string[]).includes(v)) throw new Error(`${name}: expected one of ${options.join(', ')}, got '${v}'`);
  return v as T;
}

const MODEL = arg('--model', 'mlp:512,1024,512,10');
const REQUESTS = intArg('--requests', 200, 1);
const CONCURRENCY = intArg('--concurrency', 16, 1);
const WORKERS = intArg('--workers', defaultWorkers(), 1);
const MAX_QUEUE = intArg('--max-queue', 256, 1);
const SERVER = choice('--server', 'child', ['child', 'inproc'] as const);
const CLIENT = choice('--client', 'http', ['http', 'fetch'] as const);
const POLL_MS = intArg('--poll-ms', 25, 1);
const POLL_MAX_MS = intArg('--poll-max-ms', 250, 1);
const VERIFY = intArg('--verify', 8, 0);
const TIMEOUT_S = intArg('--timeout-s', 600, 1);
const SERVER_NODE_ARGS = arg('--server-node-args', '').split(' ').filter(Boolean);
const CONTROL_S = intArg('--control-s', 10, 0);
/** the server's --data-dir: default a fresh temporary directory; ':memory:' keeps jobs in memory */
const DATA_DIR = arg('--data-dir', '');
const WARMUP = intArg('--warmup', 8, 0);
/** the server's --prover-nice (priority of proving threads below the HTTP thread; Linux) */
const PROVER_NICE = intArg('--prover-nice', DEFAULT_PROVER_NICE, 0);
const DISTINCT = Math.min(REQUESTS, 32);

const deadline = Date.now() + TIMEOUT_S * 1000;
class BenchTimeout extends Error {}
function remainingMs(): number {
  const r = deadline - Date.now();
  if (r <= 0) throw new BenchTimeout(`the benchmark ran past --timeout-s ${TIMEOUT_S}`);
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile. */
function pct(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;

// --- CPU accounting (Linux /proc; NaN elsewhere) ---

/** utime + stime in seconds from a /proc stat line (USER_HZ = 100 on Linux). */
function statCpuS(file: string): number {
  try {
    const stat = fs.readFileSync(file, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}
/** CPU seconds per thread id of a process. */
function threadCpuS(pid: number): Map<number, number> {
  const m = new Map<number, number>();
  try {
    for (const t of fs.readdirSync(`/proc/${pid}/task`)) m.set(Number(t), statCpuS(`/proc/${pid}/task/${t}/stat`));
  } catch {
    /* not Linux, or gone */
  }
  return m;
}
/** Busy CPU seconds of the whole machine (all cores; everything but idle and iowait). */
function machineBusyS(): number {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f;
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return NaN;
  }
}
function selfCpuS(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

// --- the model and the jobs ---

function mlpSpec(spec: string, inputCount: number): { onnx: Uint8Array; inputs: Record<string, number[]>[] } {
  const widths = spec.split(',').map(Number);
  if (widths.length < 2 || widths.some((w) => !Number.isInteger(w) || w < 1 || w > 8192)) throw new Error(`--model mlp:W0,W1,…: widths must be 2 or more integers from 1 to 8192, got '${spec}'`);
  const rnd = mulberry32(0x5e12e);
  const uniform = (n: number, a: number) => Float32Array.from({ length: n }, () => (2 * rnd() - 1) * a);
  const w = new GraphWriter();
  let x = w.input('input', [1, widths[0]]);
  for (let l = 1; l < widths.length; l++) {
    const last = l === widths.length - 1;
    const [o, i] = [widths[l], widths[l - 1]];
    x = w.gemm(x, { dims: [o, i], data: uniform(o * i, Math.sqrt(6 / i)) }, { dims: [o], data: uniform(o, 0.05) }, last ? 'logits' : undefined);
    if (!last) x = w.relu(x);
  }
  w.output('logits', [1, widths[widths.length - 1]]);
  const onnx = w.build({ name: `mlp-${widths.join('-')}`, producer: 'zkinfer-bench' });
  return { onnx, inputs: Array.from({ length: inputCount }, () => ({ input: Array.from(uniform(widths[0], 1)) })) };
}

function buildModel(): { bytes: Uint8Array; inputs: Record<string, number[]>[]; params: number } {
  const t0 = performance.now();
  let g: { onnx: Uint8Array; inputs: Record<string, number[]>[] };
  if (MODEL.startsWith('mlp:')) g = mlpSpec(MODEL.slice(4), DISTINCT);
  else if ((GENERATED_MODELS as readonly string[]).includes(MODEL)) g = generatedModel(MODEL, { inputCount: DISTINCT });
  else throw new Error(`--model: expected mlp:W0,W1,… or one of ${GENERATED_MODELS.join(', ')}, got '${MODEL}'`);
  const bytes = encodeZkm(compileOnnx(g.onnx, g.inputs).model);
  const params = countParameters(g.onnx);
  log(`${MODEL}: ${params} parameters, compiled on ${DISTINCT} inputs in ${(performance.now() - t0).toFixed(0)} ms (${bytes.length} bytes .zkm)`);
  return { bytes, inputs: g.inputs, params };
}

// --- baseline: the same jobs through a ProverPool, W in flight ---

/**
 * A process's CPU seconds between two `threadCpuS` snapshots, split into its main thread
 * (tid = pid), its W busiest other threads (the proving threads), and the rest (V8's GC and
 * compiler helper threads, libuv's pool, threads that ended are not counted).
 */
function cpuSplit(before: Map<number, number>, after: Map<number, number>, pid: number): { mainS: number; proverS: number; helperS: number } {
  const d = [...after].map(([tid, s]) => ({ tid, s: s - (before.get(tid) ?? 0) }));
  const others = d.filter((t) => t.tid !== pid).sort((a, b) => b.s - a.s);
  return {
    mainS: d.find((t) => t.tid === pid)?.s ?? NaN,
    proverS: others.slice(0, WORKERS).reduce((a, t) => a + t.s, 0),
    helperS: others.slice(WORKERS).reduce((a, t) => a + t.s, 0),
  };
}

async function baseline(
  bytes: Uint8Array,
  inputs: Record<string, number[]>[],
): Promise<{ proofsPerS: number; proveMsMean: number; utilization: number; modelId: string; cpuS: number; otherCpuS: number; mainS: number; proverS: number; helperS: number }> {
  const pool = await ProverPool.start(bytes, WORKERS);
  try {
    log(`baseline: ${pool.size} thread(s) committed the model in ${pool.commitMs.toFixed(0)} ms; proving ${WARMUP} untimed and ${REQUESTS} timed jobs`);
    await Promise.all(Array.from({ length: WARMUP }, (_, i) => pool.prove(inputs[i % inputs.length])));
    let next = 0;
    let proveMs = 0;
    const [cpu0, m0, thr0] = [selfCpuS(), machineBusyS(), threadCpuS(process.pid)];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        while (next < REQUESTS) {
          const i = next++;
          remainingMs();
          const r = await pool.prove(inputs[i % inputs.length]);
          if (r.receipt.length === 0) throw new Error(`baseline job ${i}: empty receipt`);
          proveMs += r.timings.totalMs ?? NaN;
        }
      }),
    );
    const s = (performance.now() - t0) / 1000;
    const cpuS = selfCpuS() - cpu0;
    const otherCpuS = machineBusyS() - m0 - cpuS;
    const split = cpuSplit(thr0, threadCpuS(process.pid), process.pid);
    log(`baseline: ${REQUESTS} proofs in ${s.toFixed(2)} s (${(REQUESTS / s).toFixed(2)}/s, mean prove ${(proveMs / REQUESTS).toFixed(1)} ms; CPU s: main thread ${split.mainS.toFixed(2)}, proving thread(s) ${split.proverS.toFixed(2)}, helper threads ${split.helperS.toFixed(2)}, rest of the machine ${otherCpuS.toFixed(2)})`);
    return { proofsPerS: REQUESTS / s, proveMsMean: proveMs / REQUESTS, utilization: proveMs / (s * 1000 * WORKERS), modelId: pool.modelId, cpuS, otherCpuS, ...split };
  } finally {
    await pool.close();
  }
}

// --- the server under test ---

interface Server {
  url: string;
  modelId: string;
  /** the server's process id when it runs as a child (for CPU accounting) */
  pid?: number;
  stop(): Promise<void>;
}

/** Spawns `node args…` and waits for its `{"event":"listening","url":…}` line on stdout. */
async function spawnListening(args: string[], what: string): Promise<Server> {
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
  let exited: number | null = null;
  const exit = new Promise<void>((r) => child.once('exit', (code, sig) => ((exited = code ?? (sig ? 128 : 1)), r())));
  const ready = await new Promise<{ url: string; modelId: string }>((resolve, reject) => {
    const limit = Math.min(120_000, remainingMs());
    const timer = setTimeout(() => reject(limit < 120_000 ? new BenchTimeout(`${what} was not listening at --timeout-s ${TIMEOUT_S}`) : new Error(`${what} did not report listening within 120 s`)), limit);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const j = JSON.parse(line) as { event?: string; url?: string; modelId?: string };
        if (j.event === 'listening' && j.url) {
          clearTimeout(timer);
          resolve({ url: j.url, modelId: j.modelId ?? '' });
        }
      } catch {
        /* not ours */
      }
    });
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (status ${exited}) before listening`));
    });
  }).catch((e: Error) => {
    child.kill('SIGKILL');
    throw e;
  });
  return {
    ...ready,
    pid: child.pid,
    async stop() {
      if (exited !== null) throw new Error(`${what} exited early (status ${exited})`);
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(t);
    },
  };
}

function startChild(zkmPath: string, dataDir: string): Promise<Server> {
  const main = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  const args = [...SERVER_NODE_ARGS, main, 'serve', zkmPath, '--port', '0', '--data-dir', dataDir, '--workers', String(WORKERS), '--max-queue', String(MAX_QUEUE), '--grace', '5', '--prover-nice', String(PROVER_NICE)];
  return spawnListening(args, 'the server');
}

async function startInproc(bytes: Uint8Array, dataDir: string): Promise<Server> {
  const srv: RunningServer = await startServer({ modelBytes: bytes, dataDir, port: 0, workers: WORKERS, maxQueue: MAX_QUEUE, proverNice: PROVER_NICE, log: (m) => log(`[server] ${m}`) });
  return { url: srv.url, modelId: srv.modelId, stop: () => srv.close(5_000) };
}

// --- the load generator ---

interface Stats {
  ok: number;
  rejected429: number;
  errors: number;
  e2eMs: number[];
  getMs: number[];
  /** GETs sent after every client's first submission was answered (past the start-up burst) */
  getSteadyMs: number[];
  /** size of the last job view received (for the control) */
  viewBytes: number;
  /** when the first min(C, requests) submissions had all been answered */
  firstWaveAt?: number;
  postMs: number[];
  receiptMs: number[];
  /** server-side: job queued → started, and the prover's own total */
  queuedMs: number[];
  proverMs: number[];
  /** sampled for verification after the run */
  samples: Map<number, { receipt: Uint8Array; output: { name: string; values: number[] }[] }>;
}

class RequestFailed extends Error {}

interface Reply {
  status: number;
  retryAfter: string | null;
  /** empty when a 200's body was only counted (`keep = false`) */
  body: Uint8Array;
  bytes: number;
  ms: number;
}

// Idle sockets are dropped after 4 s, before the server's keep-alive timeout (Node's default, 5 s)
// closes them: otherwise a request can be written into a socket the server is closing at that
// moment ('socket hang up', a client-side race well known with Node's agent and LIFO reuse).
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY, timeout: 4_000 });

/** Requests re-sent because a kept-alive socket was reset as they were written into it. */
let connRetries = 0;

function httpRequest(url: string, method: string, headers: Record<string, string>, body: string | undefined, keep: boolean, retry = true): Promise<Omit<Reply, 'ms'>> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent, signal: AbortSignal.timeout(remainingMs()) }, (res) => {
      // a body that is only counted is not copied together (less garbage in the load generator)
      const chunks: Buffer[] = [];
      const store = keep || res.statusCode !== 200;
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (store) chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: (res.headers['retry-after'] as string | undefined) ?? null, body: Buffer.concat(chunks), bytes }));
      res.on('error', reject);
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      // the retry Node's documentation prescribes for `reusedSocket`; safe here because every
      // request is idempotent (GETs, and POSTs carry an Idempotency-Key)
      if (retry && req.reusedSocket && e.code === 'ECONNRESET') {
        connRetries++;
        httpRequest(url, method, headers, body, keep, false).then(resolve, reject);
      } else reject(e);
    });
    req.end(body);
  });
}

async function fetchRequest(url: string, method: string, headers: Record<string, string>, body: string | undefined): Promise<Omit<Reply, 'ms'>> {
  const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(remainingMs()) });
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: bytes, bytes: bytes.length };
}

async function request(url: string, method = 'GET', headers: Record<string, string> = {}, body?: string, keep = true): Promise<Reply> {
  const t0 = performance.now();
  try {
    const r = await (CLIENT === 'http' ? httpRequest(url, method, headers, body, keep) : fetchRequest(url, method, headers, body));
    return { ...r, ms: performance.now() - t0 };
  } catch (e) {
    if (e instanceof BenchTimeout) throw e;
    if ((e as Error).name === 'TimeoutError' || (e as Error).name === 'AbortError') throw new BenchTimeout(`${method} ${url} was still open at --timeout-s ${TIMEOUT_S}`);
    const cause = (e as { cause?: Error }).cause;
    throw new RequestFailed(`${method} ${url}: ${(e as Error).message}${cause ? ` (${cause.message})` : ''}`);
  }
}

const decoder = new TextDecoder();
const text = (r: Reply) => decoder.decode(r.body).slice(0, 200);
function jsonOf(r: Reply, what: string): Record<string, unknown> {
  try {
    return JSON.parse(decoder.decode(r.body)) as Record<string, unknown>;
  } catch {
    throw new RequestFailed(`${what}: the body is not JSON: ${text(r)}`);
  }
}

/** One request: submit, poll until done, download the receipt. */
async function oneJob(base: string, key: string, input: Record<string, number[]>, st: Stats, sample?: number): Promise<void> {
  const t0 = performance.now();
  const body = JSON.stringify({ input });
  const headers = { 'content-type': 'application/json', 'idempotency-key': `bench-${process.pid}-${key}` };
  let jobId: string | undefined;
  while (jobId === undefined) {
    const p = await request(`${base}/v1/infer`, 'POST', headers, body);
    if (p.status === 429) {
      st.rejected429++;
      const ra = Number(p.retryAfter);
      await sleep(Math.min(5, Number.isFinite(ra) && ra > 0 ? ra : 1) * 1000 * (0.9 + 0.2 * Math.random()));
      remainingMs();
      continue;
    }
    if (p.status !== 202 && p.status !== 200) throw new RequestFailed(`POST /v1/infer → ${p.status}: ${text(p)}`);
    st.postMs.push(p.ms);
    if (st.postMs.length === Math.min(CONCURRENCY, REQUESTS)) st.firstWaveAt = performance.now();
    const j = jsonOf(p, 'POST /v1/infer');
    if (typeof j.jobId !== 'string') throw new RequestFailed('POST /v1/infer: no jobId in the answer');
    jobId = j.jobId;
  }
  let job: Record<string, unknown>;
  for (let delay = POLL_MS; ; delay = Math.min(POLL_MAX_MS, Math.ceil(delay * 1.5))) {
    const sent = performance.now();
    const g = await request(`${base}/v1/jobs/${jobId}?receipt=false`);
    st.getMs.push(g.ms);
    if (st.firstWaveAt !== undefined && sent > st.firstWaveAt) st.getSteadyMs.push(g.ms);
    if (g.status !== 200) throw new RequestFailed(`GET /v1/jobs/${jobId} → ${g.status}: ${text(g)}`);
    job = jsonOf(g, `GET /v1/jobs/${jobId}`);
    st.viewBytes = g.body.length;
    if (job.status === 'done') break;
    if (job.status === 'failed') throw new RequestFailed(`job ${jobId} failed: ${String(job.error)}`);
    await sleep(Math.min(delay, remainingMs()));
  }
  const r = await request(`${base}/v1/jobs/${jobId}/receipt`, 'GET', {}, undefined, sample !== undefined);
  if (r.status !== 200) throw new RequestFailed(`GET /v1/jobs/${jobId}/receipt → ${r.status}: ${text(r)}`);
  if (r.bytes === 0) throw new RequestFailed(`job ${jobId}: empty receipt`);
  if (r.bytes !== job.receiptBytes) throw new RequestFailed(`job ${jobId}: the receipt is ${r.bytes} bytes, the job says ${String(job.receiptBytes)}`);
  st.receiptMs.push(r.ms);
  st.e2eMs.push(performance.now() - t0);
  st.ok++;
  const tm = job.timings as { queuedMs?: number; prover?: { totalMs?: number } } | undefined;
  if (typeof tm?.queuedMs === 'number') st.queuedMs.push(tm.queuedMs);
  if (typeof tm?.prover?.totalMs === 'number') st.proverMs.push(tm.prover.totalMs);
  if (sample !== undefined) st.samples.set(sample, { receipt: r.body, output: job.output as { name: string; values: number[] }[] });
}

const newStats = (): Stats => ({ ok: 0, rejected429: 0, errors: 0, viewBytes: 0, e2eMs: [], getMs: [], getSteadyMs: [], postMs: [], receiptMs: [], queuedMs: [], proverMs: [], samples: new Map() });

/**
 * Untimed warm-up: `--warmup` jobs through the same path, min(C, warmup) at a time, so that the
 * timed run measures a server whose code is compiled (a fresh process runs its first requests in
 * V8's interpreter: the first 16 POSTs then take tens of ms each), as the baseline's proving
 * threads get the same number of untimed proofs.
 */
async function warmUp(base: string, inputs: Record<string, number[]>[]): Promise<void> {
  const st = newStats();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, WARMUP) }, async () => {
      while (next < WARMUP) {
        const i = next++;
        await oneJob(base, `warm-${i}`, inputs[i % inputs.length], st).catch((e: Error) => {
          throw new Error(`warm-up job ${i} failed: ${e.message}`);
        });
      }
    }),
  );
}

async function load(base: string, inputs: Record<string, number[]>[]): Promise<{ st: Stats; wallS: number }> {
  const st = newStats();
  const nv = Math.min(VERIFY, REQUESTS);
  const sampled = new Set(Array.from({ length: nv }, (_, k) => Math.round((k * (REQUESTS - 1)) / Math.max(1, nv - 1))));
  let next = 0;
  let lastReport = performance.now();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        const i = next++;
        try {
          await oneJob(base, String(i), inputs[i % inputs.length], st, sampled.has(i) ? i : undefined);
        } catch (e) {
          if (!(e instanceof RequestFailed)) throw e;
          st.errors++;
          if (st.errors <= 5) log(`error: ${e.message}`);
        }
        if (performance.now() - lastReport > 5_000) {
          lastReport = performance.now();
          log(`service: ${st.ok + st.errors}/${REQUESTS} finished (${st.errors} errors, ${st.rejected429} × 429) after ${((lastReport - t0) / 1000).toFixed(1)} s`);
        }
      }
    }),
  );
  return { st, wallS: (performance.now() - t0) / 1000 };
}

/**
 * The control: what this machine gives any Node HTTP server under the same polling. A bare
 * `node:http` server in a child process answers every GET with a fixed JSON body the size of a job
 * view, while W worker threads spin, holding the cores that the proving threads hold during the
 * service run; C clients poll it for `--control-s` seconds with the service run's cadence (the
 * schedule restarts after as many polls as the service run's jobs took on average).
 */
async function control(viewBytes: number, pollsPerJob: number): Promise<number[]> {
  const script = `
    const { Worker } = require('node:worker_threads');
    for (let i = 0; i < ${WORKERS}; i++) new Worker('for (;;) {}', { eval: true });
    const body = JSON.stringify({ pad: 'x'.repeat(${Math.max(0, viewBytes - 10)}) });
    const s = require('node:http').createServer((q, r) => { r.setHeader('content-type', 'application/json'); r.end(body); });
    s.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ event: 'listening', url: 'http://127.0.0.1:' + s.address().port })));
    process.on('SIGTERM', () => process.exit(0));`;
  const srv = await spawnListening(['-e', script], 'the control server');
  const lat: number[] = [];
  try {
    for (let k = 0; k < 200; k++) await request(`${srv.url}/v1/jobs/x?receipt=false`); // warm-up
    const end = performance.now() + CONTROL_S * 1000;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < end) {
          for (let k = 0, delay = POLL_MS; k < pollsPerJob && performance.now() < end; k++, delay = Math.min(POLL_MAX_MS, Math.ceil(delay * 1.5))) {
            const g = await request(`${srv.url}/v1/jobs/x?receipt=false`);
            if (g.status !== 200) throw new Error(`the control server answered ${g.status}`);
            lat.push(g.ms);
            await sleep(Math.min(delay, remainingMs()));
          }
        }
      }),
    );
  } finally {
    await srv.stop();
  }
  return lat;
}

/** Verifies the sampled receipts and compares their proven outputs with the JSON outputs. */
function verifySamples(st: Stats, modelId: string, inputs: Record<string, number[]>[]): { verified: number; failed: number } {
  let verified = 0;
  let failed = 0;
  for (const [i, s] of st.samples) {
    const v = verifyReceipt(s.receipt, modelId, inputs[i % inputs.length]);
    const same =
      v.ok &&
      v.outputs.every((o) => {
        const c = s.output.find((x) => x.name === o.name);
        return c !== undefined && c.values.length === o.values.length && c.values.every((x, k) => x === o.values[k]);
      });
    if (same) verified++;
    else {
      failed++;
      log(`request ${i}: ${v.ok ? 'the JSON output differs from the proven output' : `the receipt does not verify: ${v.error.kind}: ${v.error.message}`}`);
    }
  }
  if (st.samples.size > 0) log(`verified ${verified}/${st.samples.size} sampled receipts against model ${modelId.slice(0, 12)}…`);
  return { verified, failed };
}

async function main(): Promise<void> {
  log(`model ${MODEL}, ${REQUESTS} requests at concurrency ${CONCURRENCY}, ${WORKERS} proving thread(s), ${os.availableParallelism()} core(s), server ${SERVER}, client ${CLIENT}`);
  const { bytes, inputs, params } = buildModel();
  const base = await baseline(bytes, inputs);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zkinfer-bench-serve-'));
  const cleanup = [tmp];
  let server: Server | undefined;
  try {
    const zkm = path.join(tmp, 'model.zkm');
    fs.writeFileSync(zkm, bytes);
    const dataDir = DATA_DIR === ':memory:' ? DATA_DIR : DATA_DIR ? fs.mkdtempSync(path.join(DATA_DIR, 'zkinfer-bench-serve-')) : path.join(tmp, 'data');
    if (dataDir !== DATA_DIR && DATA_DIR) cleanup.push(dataDir);
    const t0 = performance.now();
    server = SERVER === 'child' ? await startChild(zkm, dataDir) : await startInproc(bytes, dataDir);
    log(`service: listening on ${server.url} after ${(performance.now() - t0).toFixed(0)} ms; ${WARMUP} untimed jobs, then ${REQUESTS} timed`);
    if (server.modelId !== base.modelId) throw new Error(`the server's model ID ${server.modelId} differs from the baseline's ${base.modelId}`);
    await warmUp(server.url, inputs);

    const pid = server.pid;
    const [thr0, self0, m0] = [pid ? threadCpuS(pid) : new Map<number, number>(), selfCpuS(), machineBusyS()];
    // the load generator's own event-loop delay: time its timings may include that is not the server's
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    const { st, wallS } = await load(server.url, inputs);
    loopDelay.disable();
    const [thr1, self1, m1] = [pid ? threadCpuS(pid) : new Map<number, number>(), selfCpuS(), machineBusyS()];
    log(`service: ${st.ok} ok, ${st.errors} errors, ${st.rejected429} × 429 in ${wallS.toFixed(2)} s`);
    await server.stop();
    server = undefined;

    const { mainS, proverS, helperS } = pid ? cpuSplit(thr0, thr1, pid) : { mainS: NaN, proverS: NaN, helperS: NaN };
    const clientS = self1 - self0;
    const serverS = pid ? mainS + proverS + helperS : NaN;
    const otherS = m1 - m0 - clientS - (pid ? serverS : 0);
    if (pid) log(`CPU s during the service run (${wallS.toFixed(1)} s × ${os.availableParallelism()} cores): server main thread ${mainS.toFixed(2)}, proving thread(s) ${proverS.toFixed(2)}, server helper threads ${helperS.toFixed(2)}, client ${clientS.toFixed(2)}, rest of the machine ${otherS.toFixed(2)}`);

    const { verified, failed } = verifySamples(st, base.modelId, inputs);
    let ctl: number[] = [];
    if (CONTROL_S > 0) {
      ctl = await control(st.viewBytes, Math.max(1, Math.round(st.getMs.length / Math.max(1, st.ok))));
      log(`control (bare node:http server, ${WORKERS} spinning thread(s)): ${ctl.length} GETs, p50 ${pct(ctl, 0.5).toFixed(2)} ms, p99 ${pct(ctl, 0.99).toFixed(2)} ms`);
    }
    const proofsPerS = st.ok / wallS;
    const getP99 = pct(st.getMs, 0.99);
    const row = {
      requests: REQUESTS,
      concurrency: CONCURRENCY,
      ok: st.ok,
      rejected429: st.rejected429,
      errors: st.errors,
      p50Ms: r1(pct(st.e2eMs, 0.5)),
      p99Ms: r1(pct(st.e2eMs, 0.99)),
      proofsPerS: r2(proofsPerS),
      baselineProofsPerS: r2(base.proofsPerS),
      throughputRatio: Math.round((proofsPerS / base.proofsPerS) * 1000) / 1000,
      getCount: st.getMs.length,
      getP50Ms: r2(pct(st.getMs, 0.5)),
      getP99Ms: r2(getP99),
      getMaxMs: r2(Math.max(...st.getMs)),
      getSteadyP99Ms: r2(pct(st.getSteadyMs, 0.99)),
      controlGetCount: ctl.length,
      controlGetP50Ms: r2(pct(ctl, 0.5)),
      controlGetP99Ms: r2(pct(ctl, 0.99)),
      postP50Ms: r2(pct(st.postMs, 0.5)),
      postP99Ms: r2(pct(st.postMs, 0.99)),
      receiptP50Ms: r2(pct(st.receiptMs, 0.5)),
      receiptP99Ms: r2(pct(st.receiptMs, 0.99)),
      proveMsMean: r1(mean(st.proverMs)),
      baselineProveMsMean: r1(base.proveMsMean),
      // share of the wall time the proving threads spent inside prove(): the rest is dispatch
      // (the event loop's bookkeeping between two proofs of a thread) and start-up/drain
      proverUtilization: r2(st.proverMs.reduce((a, b) => a + b, 0) / (wallS * 1000 * WORKERS)),
      baselineProverUtilization: r2(base.utilization),
      queuedMsP50: r1(pct(st.queuedMs, 0.5)),
      clientLoopDelayP99Ms: r1(loopDelay.percentile(99) / 1e6),
      clientLoopDelayMaxMs: r1(loopDelay.max / 1e6),
      wallS: r2(wallS),
      serverMainThreadCpuS: r2(mainS),
      serverProverCpuS: r2(proverS),
      serverHelperCpuS: r2(helperS),
      clientCpuS: r2(clientS),
      otherCpuS: r2(otherS),
      baselineProverCpuS: r2(base.proverS),
      baselineHelperCpuS: r2(base.helperS),
      baselineOtherCpuS: r2(base.otherCpuS),
      connRetries,
      verified,
      model: MODEL,
      params,
      workers: WORKERS,
      proverNice: PROVER_NICE,
      cores: os.availableParallelism(),
      server: SERVER,
      client: CLIENT,
      dataDir: DATA_DIR === ':memory:' ? DATA_DIR : 'disk',
      pollMs: [POLL_MS, POLL_MAX_MS],
      meetsTargets: st.errors === 0 && failed === 0 && st.ok === REQUESTS && proofsPerS >= 0.9 * base.proofsPerS && getP99 <= 20,
    };
    console.log(JSON.stringify(row));
    if (st.errors > 0 || failed > 0 || st.ok !== REQUESTS) process.exitCode = 1;
  } finally {
    if (server) await server.stop().catch((e: Error) => log(`stopping the server: ${e.message}`));
    for (const d of cleanup) fs.rmSync(d, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0), // keep-alive sockets would otherwise hold the loop open a while
  (e) => {
    log(`FAILED: ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  },
);
