/**
 * Starting and stopping a prover node: model → proving backend (local thread pool, or BullMQ on
 * Redis with a verifying thread) → durable job store → HTTP API. `close(graceMs)` drains: new
 * submissions get 503, proofs in flight get `graceMs` to finish, the rest are re-queued on disk,
 * then connections close. The CLI maps SIGTERM/SIGINT to it.
 */
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { sizeOf } from '../model/tensor.js';
import { buildApp } from './app.js';
import { JobService, LocalBackend, type Backend } from './jobs.js';
import { commitServed, committedParamCount, modelInfo, parseServedModel, ZK_REDIS_REFUSAL } from './model.js';
import { ProverPool } from './pool.js';
import { DEFAULT_PROVER_NICE, lowerOtherThreads } from './priority.js';
import { checkRedis, RedisBackend } from './redis.js';
import { JobStore } from './store.js';
import { CONTEXT_BODY_BYTES } from './validate.js';

export interface ServeOptions {
  /** `.zkm` or `.zkc` bytes */
  modelBytes: Uint8Array;
  dataDir: string;
  port?: number;
  host?: string;
  /** proving threads (local backend); default: cores − 1, at least 1 */
  workers?: number;
  /** most queued jobs before 429; default 256 */
  maxQueue?: number;
  /** request body limit; default `defaultMaxBodyBytes`: 64 KiB + 32 bytes per input value + room for the largest context */
  maxBodyBytes?: number;
  /** longest `?wait=true`; default 60 s */
  maxWaitMs?: number;
  /** BullMQ/Redis URL: prove in `zkinfer worker` processes instead of local threads */
  redis?: string;
  /**
   * nice levels below the HTTP thread for the proving threads and V8's helper threads (Linux;
   * `priority.ts`); default 10, 0 leaves priorities alone
   */
  proverNice?: number;
  /** finished jobs and their receipts are deleted this many hours after they finish; default 24, 0 keeps them */
  retainHours?: number;
  /**
   * For a zero-knowledge `.zkc`: persists the file's bytes with its updated record of opened
   * columns, after every receipt and before it is handed out (`ProverPool.start`); required for
   * such a model. The CLI writes them back to the file it serves.
   */
  saveModel?: (zkc: Uint8Array) => void;
  log?: (msg: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  modelId: string;
  service: JobService;
  close(graceMs?: number): Promise<void>;
}

export { DEFAULT_PROVER_NICE };
export const DEFAULT_RETAIN_HOURS = 24;

/**
 * The default request body limit for a model: 64 KiB, 32 bytes per input value (a number as
 * JSON writes it, with its comma), and the most a context can take (`CONTEXT_BODY_BYTES`: 1024
 * bytes, each as a `\u00XX` escape), so that every valid request fits.
 */
export function defaultMaxBodyBytes(model: { inputs: { dims: number[] }[] }): number {
  return 65_536 + 32 * model.inputs.reduce((s, i) => s + sizeOf(i.dims), 0) + CONTEXT_BODY_BYTES;
}

export function defaultWorkers(): number {
  return Math.max(1, os.availableParallelism() - 1);
}

export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const log = o.log ?? (() => {});
  const served = parseServedModel(o.modelBytes);
  const nice = o.proverNice ?? DEFAULT_PROVER_NICE;
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new Error(`proverNice must be an integer from 0 to 19, got ${nice}`);
  const retainHours = o.retainHours ?? DEFAULT_RETAIN_HOURS;
  if (!(retainHours >= 0)) throw new Error(`retainHours must be 0 or more, got ${retainHours}`);
  let backend: Backend;
  let modelId: string;
  let paramCount: number;
  if (o.redis) {
    if (served.zk) throw new Error(ZK_REDIS_REFUSAL);
    await checkRedis(o.redis);
    const t0 = performance.now();
    const cm = commitServed(o.modelBytes);
    modelId = cm.modelId;
    paramCount = committedParamCount(cm);
    log(`committed ${served.model.name} in ${(performance.now() - t0).toFixed(0)} ms; proving through Redis queue ${modelId.slice(0, 12)}…`);
    backend = new RedisBackend(o.redis, modelId, await ProverPool.start(undefined, 1, { nice }), log);
  } else {
    const pool = await ProverPool.start(o.modelBytes, o.workers ?? defaultWorkers(), { nice, saveModel: o.saveModel });
    modelId = pool.modelId;
    paramCount = pool.paramCount;
    log(`${pool.size} proving thread(s) committed ${served.model.name} in ${pool.commitMs.toFixed(0)} ms`);
    if (pool.zkLedger) log(`zero knowledge: the parameter commitment serves ${pool.zkLedger.receiptsLeft} more receipt(s) before its opening budget is spent`);
    backend = new LocalBackend(pool);
  }
  // the threads started so far besides this one: V8's helpers and the pool's (which lower themselves too)
  if (lowerOtherThreads(nice) > 0) log(`proving and helper threads run ${nice} nice levels below the HTTP thread`);
  let store: JobStore;
  try {
    store = new JobStore(o.dataDir, modelId);
  } catch (e) {
    await backend.stop(0);
    throw e;
  }
  const service = new JobService(store, backend, { modelId, maxQueue: o.maxQueue ?? 256, retainMs: retainHours * 3_600_000 });
  await service.start();
  const app = buildApp(service, {
    model: served.model,
    info: modelInfo(served.model, modelId, paramCount, served.zkOpenings),
    maxBodyBytes: o.maxBodyBytes ?? defaultMaxBodyBytes(served.model),
    maxWaitMs: o.maxWaitMs ?? 60_000,
    zk: served.zk,
    log,
  });
  let server: ReturnType<typeof serve>;
  try {
    server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, port: o.port ?? 8080, hostname: o.host ?? '127.0.0.1' }, () => resolve(s));
      s.once('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code === 'EADDRINUSE' ? `port ${o.port} on ${o.host ?? '127.0.0.1'} is already in use` : `cannot listen on ${o.host ?? '127.0.0.1'}:${o.port}: ${e.message}`)));
    });
  } catch (e) {
    await service.stop(0);
    store.close();
    throw e;
  }
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    port,
    modelId,
    service,
    close(graceMs = 30_000) {
      closing ??= (async () => {
        await service.stop(graceMs);
        await new Promise<void>((r) => {
          server.close(() => r());
          (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        });
        store.close();
      })();
      return closing;
    },
  };
}
