/**
 * `zkinfer serve model.zkm`: the prover node — an HTTP service that answers every inference
 * with its receipt (see `src/service/`). SIGTERM/SIGINT drain it gracefully.
 */
import type { Command } from '../command.js';
import { guard, intOption, parseArgs, untilSignal } from '../args.js';
import { readFileOrFail } from '../files.js';
import { defaultWorkers, startServer } from '../../service/server.js';
import { parseServedModel } from '../../service/model.js';
import { holdZkc } from '../zkc-file.js';

const HELP = `Usage: zkinfer serve <model.zkm | model.zkc> [--port 8080] [--host 127.0.0.1]
                     [--data-dir ./zkinfer-data] [--workers N] [--max-queue 256]
                     [--max-body BYTES] [--redis redis://host:6379] [--grace SECONDS]
                     [--prover-nice 10] [--retain-hours 24]

Serves the model over HTTP; every answer comes with a receipt that proves it:
  GET  /v1/model            model ID, inputs, outputs, parameter count, protocol
  POST /v1/infer            {"input": {...}} → 202 {jobId}  (?wait=true blocks until done;
                            Content-Type: application/json; Idempotency-Key, scoped by Authorization;
                            "context": "text" or "contextHex": "hex" binds the receipt to ≤ 1024 bytes)
  GET  /v1/jobs/:id         status, progress, context, output, receipt (base64), timings
  GET  /v1/jobs/:id/receipt the receipt (.zkr bytes)
  GET  /v1/jobs/:id/events  server-sent events
  GET  /v1/health, /metrics
Jobs are kept in SQLite, receipts as files, under --data-dir; a restart resumes unfinished jobs.
A zero-knowledge model (a .zkc from 'zkinfer commit --zk') is locked while served, and the
columns every receipt opens are written back to it before the receipt is handed out: its
commitment serves a limited number of receipts (--zk-openings at commit), after which jobs fail
with a clear error. Zero-knowledge models are proved by local threads only (not with --redis).
--workers   proving threads (default: cores − 1 = ${defaultWorkers()})
--redis     send jobs through BullMQ to 'zkinfer worker' processes instead of local threads
--max-body  request body limit in bytes (default: 64 KiB + 32 per input value + 6 KiB for a context)
--grace     on SIGTERM, how long proofs in flight may finish before they are re-queued (default 30)
--prover-nice  Linux: run proving threads this many nice levels below the HTTP thread, so that
            requests are answered promptly while every core proves (default 10; 0: off)
--retain-hours  finished jobs and their receipts are deleted this many hours after they finish
            (default 24; 0 keeps everything)`;

export const serveCommand: Command = {
  name: 'serve',
  run: (args) =>
    guard('serve', async () => {
      if (args.includes('--help') || args.includes('-h')) {
        console.log(HELP);
        return 0;
      }
      const a = parseArgs(args, ['--port', '--host', '--data-dir', '--workers', '--max-queue', '--max-body', '--redis', '--grace', '--prover-nice', '--retain-hours'], []);
      const src = a.pos[0];
      if (!src || a.pos.length > 1) {
        console.error(HELP);
        return 2;
      }
      const int = (flag: string, min: number, max: number) => intOption(a, flag, min, max);
      const log = (m: string) => console.error(`[zkinfer serve] ${m}`);
      const graceS = int('--grace', 0, 3600) ?? 30;
      log(`loading ${src}…`);
      const modelBytes = readFileOrFail(src, 'model');
      // a zero-knowledge .zkc records its spent opening budget: this node holds it and writes it back
      const held = parseServedModel(modelBytes).zk ? holdZkc(src) : undefined;
      const srv = await startServer({
        modelBytes,
        saveModel: held?.save,
        dataDir: a.opts.get('--data-dir')?.[0] ?? 'zkinfer-data',
        port: int('--port', 0, 65535) ?? 8080,
        host: a.opts.get('--host')?.[0],
        workers: int('--workers', 1, 256),
        maxQueue: int('--max-queue', 1, 1_000_000),
        maxBodyBytes: int('--max-body', 1024, 1 << 30),
        redis: a.opts.get('--redis')?.[0],
        proverNice: int('--prover-nice', 0, 19),
        retainHours: int('--retain-hours', 0, 1_000_000),
        log,
      });
      log(`model ${srv.modelId}`);
      log(`listening on ${srv.url} (${srv.service.resumed} unfinished job(s) resumed)`);
      console.log(JSON.stringify({ event: 'listening', url: srv.url, modelId: srv.modelId }));
      await untilSignal(log, `draining (up to ${graceS} s for proofs in flight)`, () => srv.close(graceS * 1000));
      held?.release();
      return 0;
    }),
};
