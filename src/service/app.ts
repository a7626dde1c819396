/**
 * The prover node's HTTP API (Hono). Routes:
 *   GET  /v1/model             model ID, inputs/outputs (names, shapes, types, scales), parameter
 *                              count, quantization, protocol version
 *   POST /v1/infer             {"input": …, "context"?: text | "contextHex"?: hex,
 *                              "private"?: {"inputs": [names] | true, "seedHex": hex}} → 202
 *                              {jobId}: the receipt is bound to the context (`validate.ts`);
 *                              `?wait=true[&timeoutMs=N]` blocks until the receipt is ready
 *                              (200) or the wait ends (202); an `Idempotency-Key` header makes
 *                              retries safe (scoped to the `Authorization` header, bound to the
 *                              input and context: `idempotency.ts`)
 *   GET  /v1/jobs/:id          status, progress, context ({bytes, hex, text?}), output,
 *                              timings, receipt (base64; omit with `?receipt=false`)
 *   GET  /v1/jobs/:id/receipt  the receipt bytes (application/octet-stream)
 *   GET  /v1/jobs/:id/events   server-sent events: `status` … then `done` or `failed`
 *   GET  /v1/health            liveness, queue and live provers (threads, or Redis workers); a zero-knowledge model's receipts left
 *   GET  /metrics              Prometheus text format
 * Errors are JSON `{"error": message}` with a precise 4xx status; nothing a client sends can make
 * a handler throw past `onError` (500, logged; the answer names only store damage, nothing else).
 *
 * Cross-origin safety: a web page may send a browser's "simple" requests (form encodings or
 * `text/plain`, no preflight) to a node on the visitor's machine. So every POST must say
 * `Content-Type: application/json` (optionally `; charset=utf-8`), which a browser only sends
 * cross-origin after a CORS preflight this node never approves; anything else is 415 before
 * the body is read. A known route asked with another method answers 405 with `Allow`. No
 * answer carries CORS headers, and every answer says `X-Content-Type-Options: nosniff`.
 *
 * Why Hono: it has no dependencies, it is built on the web-standard Request/Response (the same
 * app object could run in other runtimes), and it ships what we need (body limits, SSE).
 * Validation here is about tensor shapes and ranges, which a JSON-schema layer (Fastify's main
 * extra) would not express; so the lighter framework wins.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import type { QuantizedModel } from '../quantize/layers.js';
import { contextJson } from '../verifier/json.js';
import type { JobEvent, JobService } from './jobs.js';
import { idempotencyScope } from './idempotency.js';
import { StoreError, type JobRow } from './store.js';
import { RequestError, validateInferBody, type InferRequest } from './validate.js';

export interface AppOptions {
  model: QuantizedModel;
  info: Record<string, unknown>;
  /** request body limit in bytes */
  maxBodyBytes: number;
  /** longest `?wait=true` (ms) */
  maxWaitMs: number;
  /** the model is committed for zero-knowledge receipts (requests may keep inputs private) */
  zk?: boolean;
  log?: (msg: string) => void;
}

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function iso(ms?: number): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

/** The JSON view of a job; with `receipt` (a done job's bytes), the receipt in base64 too. */
export function jobView(svc: JobService, job: JobRow, receipt?: Uint8Array): Record<string, unknown> {
  const live = svc.liveProgress(job.id);
  const v: Record<string, unknown> = {
    jobId: job.id,
    modelId: svc.opts.modelId,
    status: job.status,
    // what the receipt is bound to: hex always, the text too when the bytes are UTF-8
    context: contextJson(job.context),
    progress: job.status === 'done' ? { stage: 'done', fraction: 1 } : job.status === 'proving' ? (live ?? { stage: 'starting', fraction: 0 }) : { stage: job.status, fraction: 0 },
    attempts: job.attempts,
    createdAt: iso(job.createdMs),
    startedAt: iso(job.startedMs),
    finishedAt: iso(job.finishedMs),
  };
  if (job.error) v.error = job.error;
  if (job.output) v.output = job.output.map((o) => ({ name: o.name, shape: o.dims, values: o.values }));
  if (job.finishedMs !== undefined) {
    v.timings = {
      queuedMs: (job.startedMs ?? job.finishedMs) - job.createdMs,
      provingMs: job.startedMs !== undefined ? job.finishedMs - job.startedMs : undefined,
      totalMs: job.finishedMs - job.createdMs,
      prover: job.timings,
    };
  }
  if (job.worker) v.worker = job.worker;
  if (job.status === 'done') {
    v.receiptBytes = job.receiptBytes;
    v.receiptUrl = `/v1/jobs/${job.id}/receipt`;
    if (receipt) v.receipt = Buffer.from(receipt.buffer, receipt.byteOffset, receipt.byteLength).toString('base64');
  }
  return v;
}

function errorJson(c: Context, e: RequestError) {
  for (const [k, v] of Object.entries(e.headers)) c.header(k, v);
  return c.json({ error: e.message }, e.status);
}

/** `application/json`, with no parameter but an optional `charset=utf-8`. */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const [type, ...params] = header.split(';').map((p) => p.trim().toLowerCase());
  return type === 'application/json' && params.every((p) => p === '' || /^charset\s*=\s*(utf-8|"utf-8")$/.test(p));
}

/** Every route, with the methods it answers (HEAD is answered for GET, by Hono). */
const ROUTES: Record<string, string[]> = {
  '/v1/health': ['GET', 'HEAD'],
  '/v1/model': ['GET', 'HEAD'],
  '/metrics': ['GET', 'HEAD'],
  '/v1/infer': ['POST'],
  '/v1/jobs/:id': ['GET', 'HEAD'],
  '/v1/jobs/:id/receipt': ['GET', 'HEAD'],
  '/v1/jobs/:id/events': ['GET', 'HEAD'],
};

export function buildApp(svc: JobService, opts: AppOptions): Hono {
  const app = new Hono();
  const log = opts.log ?? (() => {});

  app.use('*', async (c, next) => {
    await next();
    // error messages quote what the client sent: no browser may take them for HTML
    c.header('X-Content-Type-Options', 'nosniff');
    svc.metrics.countHttp(c.req.routePath === '/*' ? 'unmatched' : c.req.routePath, c.res.status);
  });

  app.onError((e, c) => {
    if (e instanceof RequestError) return errorJson(c, e);
    log(`internal error on ${c.req.method} ${c.req.path}: ${e.stack ?? e.message}`);
    // a store error names the damage (written for clients); anything else might carry internals
    return c.json({ error: e instanceof StoreError ? `internal error: ${e.message}` : "internal error (the node's log has the details)" }, 500);
  });
  app.notFound((c) => c.json({ error: `no route ${c.req.method} ${c.req.path} (see GET /v1/model, POST /v1/infer, GET /v1/jobs/:id)` }, 404));

  const workers = async (): Promise<number | null> => (svc.backend.workers ? ((await svc.backend.workers()) ?? null) : svc.backend.threads);

  app.get('/v1/health', async (c) =>
    c.json(
      {
        status: svc.draining ? 'draining' : 'ok',
        modelId: svc.opts.modelId,
        backend: svc.backend.kind,
        workers: await workers(),
        queued: svc.queueDepth,
        proving: svc.inProgress,
        ...(svc.backend.zkReceiptsLeft?.() !== undefined && { zkReceiptsLeft: svc.backend.zkReceiptsLeft!() }),
        uptimeS: Math.round((Date.now() - svc.metrics.started) / 1000),
      },
      svc.draining ? 503 : 200,
    ),
  );

  app.get('/v1/model', (c) => c.json(opts.info));

  app.get('/metrics', async (c) => {
    const w = await workers();
    c.header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8');
    return c.body(svc.metrics.render({ queued: svc.queueDepth, proving: svc.inProgress, workers: w ?? NaN, modelId: svc.opts.modelId }));
  });

  app.post(
    '/v1/infer',
    async (c, next) => {
      const ct = c.req.header('content-type');
      if (isJsonContentType(ct)) return next();
      svc.metrics.rejectedInvalid++;
      c.header('Accept-Post', 'application/json');
      const got = ct === undefined ? 'none' : `'${ct.slice(0, 100)}'`;
      return c.json({ error: `Content-Type must be application/json (optionally with '; charset=utf-8'), got ${got}` }, 415);
    },
    bodyLimit({
      maxSize: opts.maxBodyBytes,
      onError: (c) => {
        svc.metrics.rejectedInvalid++;
        return c.json({ error: `request body is larger than this server's limit of ${opts.maxBodyBytes} bytes` }, 413);
      },
    }),
    async (c) => {
      const wait = c.req.query('wait');
      if (wait !== undefined && wait !== 'true' && wait !== 'false') throw new RequestError(400, `query parameter 'wait' must be true or false, got '${wait}'`);
      const tq = c.req.query('timeoutMs');
      const timeoutMs = tq === undefined ? opts.maxWaitMs : Number(tq);
      if (!Number.isInteger(timeoutMs) || timeoutMs < 0) throw new RequestError(400, `query parameter 'timeoutMs' must be a non-negative integer, got '${tq}'`);
      const idem = c.req.header('idempotency-key');
      if (idem !== undefined && (idem.length === 0 || idem.length > 200)) throw new RequestError(400, 'Idempotency-Key must be 1 to 200 characters');
      let req: InferRequest;
      try {
        req = validateInferBody(await c.req.text(), opts.model, { zk: opts.zk });
      } catch (e) {
        if (e instanceof RequestError) svc.metrics.rejectedInvalid++;
        throw e;
      }
      const { job, created } = await svc.submit(req, idem === undefined ? undefined : { scope: idempotencyScope(c.req.header('authorization')), key: idem });
      c.header('Location', `/v1/jobs/${job.id}`);
      if (wait === 'true') {
        const j = (await svc.waitFor(job.id, Math.min(timeoutMs, opts.maxWaitMs))) ?? job;
        if (j.status === 'done' || j.status === 'failed') return c.json(jobView(svc, j, await receiptOf(j)), 200);
        return c.json({ jobId: j.id, status: j.status, created }, 202);
      }
      return c.json({ jobId: job.id, status: job.status, created }, created ? 202 : 200);
    },
  );

  const findJob = (id: string): JobRow => {
    const job = JOB_ID.test(id) ? svc.get(id) : undefined;
    if (!job) {
      const keep = svc.opts.retainMs ?? 0;
      throw new RequestError(404, `unknown job '${id.slice(0, 64)}'${keep > 0 ? ` (this node deletes jobs ${+(keep / 3_600_000).toFixed(3)} h after they finish)` : ''}`);
    }
    return job;
  };

  /** A done job's receipt bytes (read off the event loop); undefined for other jobs. */
  const receiptOf = async (job: JobRow): Promise<Uint8Array | undefined> => {
    if (job.status !== 'done') return undefined;
    const bytes = await svc.store.receipt(job.id);
    if (!bytes) throw new Error(`job ${job.id} is done but the store has no receipt for it`);
    return bytes;
  };

  app.get('/v1/jobs/:id', async (c) => {
    const r = c.req.query('receipt');
    if (r !== undefined && r !== 'true' && r !== 'false') throw new RequestError(400, `query parameter 'receipt' must be true or false, got '${r}'`);
    const job = findJob(c.req.param('id'));
    return c.json(jobView(svc, job, r === 'false' ? undefined : await receiptOf(job)));
  });

  app.get('/v1/jobs/:id/receipt', async (c) => {
    const job = findJob(c.req.param('id'));
    if (job.status !== 'done') throw new RequestError(404, `job ${job.id} has no receipt (status: ${job.status}${job.error ? `: ${job.error}` : ''})`);
    const bytes = (await receiptOf(job))!;
    c.header('Content-Type', 'application/octet-stream');
    c.header('Content-Disposition', `attachment; filename="${job.id}.zkr"`);
    return c.body(bytes as Uint8Array<ArrayBuffer>);
  });

  app.get('/v1/jobs/:id/events', (c) => {
    const job = findJob(c.req.param('id'));
    return streamSSE(c, async (stream) => {
      const send = (e: JobEvent) => {
        if (e.type === 'status') return stream.writeSSE({ event: 'status', data: JSON.stringify({ status: e.status, stage: e.stage, fraction: e.fraction }) });
        return stream.writeSSE({ event: e.type, data: JSON.stringify(jobView(svc, e.job)) });
      };
      let finish!: () => void;
      const ended = new Promise<void>((r) => (finish = r));
      const queue: JobEvent[] = [];
      let wake: (() => void) | undefined;
      const off = svc.subscribe(job.id, (e) => {
        queue.push(e);
        wake?.();
      });
      stream.onAbort(() => finish());
      const ping = setInterval(() => void stream.write(': keep-alive\n\n').catch(() => finish()), 15_000);
      try {
        const now = svc.get(job.id)!;
        if (now.status === 'done' || now.status === 'failed') {
          await send({ type: now.status, job: now });
          return;
        }
        const live = svc.liveProgress(job.id);
        await send({ type: 'status', status: now.status, stage: live?.stage, fraction: live?.fraction });
        for (;;) {
          while (queue.length > 0) {
            const e = queue.shift()!;
            await send(e);
            if (e.type !== 'status') return;
          }
          const more = new Promise<void>((r) => (wake = r));
          await Promise.race([more, ended]);
          wake = undefined;
          if (stream.aborted || (queue.length === 0 && svc.draining)) return;
        }
      } finally {
        clearInterval(ping);
        off();
      }
    });
  });

  for (const [path, allow] of Object.entries(ROUTES)) {
    app.all(path, (c) => {
      c.header('Allow', allow.join(', '));
      return c.json({ error: `${path} does not answer ${c.req.method.slice(0, 20)} (it answers ${allow.join(', ')})` }, 405);
    });
  }

  return app;
}
