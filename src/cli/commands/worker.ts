/**
 * `zkinfer worker --redis URL model.zkm`: a proving worker for a prover node started with
 * `zkinfer serve --redis URL` (on this or another machine): takes the model's jobs from BullMQ,
 * proves them in its own threads, hands back the receipts. SIGTERM finishes the jobs in hand.
 */
import type { Command } from '../command.js';
import { guard, parseArgs, untilSignal } from '../args.js';
import { readFileOrFail } from '../files.js';
import { runRemoteWorker } from '../../service/redis.js';
import { defaultWorkers } from '../../service/server.js';

const HELP = `Usage: zkinfer worker --redis <redis://host:6379> <model.zkm | model.zkc> [--concurrency N] [--name NAME]

Proves jobs for 'zkinfer serve --redis' nodes serving the same model (same model ID).
--concurrency  proving threads (default: cores − 1 = ${defaultWorkers()})`;

export const workerCommand: Command = {
  name: 'worker',
  summary: 'prove queued jobs from Redis for a `serve --redis` node',
  run: (args) =>
    guard('worker', async () => {
      if (args.includes('--help') || args.includes('-h')) {
        console.log(HELP);
        return 0;
      }
      const a = parseArgs(args, ['--redis', '--concurrency', '--name'], []);
      const src = a.pos[0];
      const redis = a.opts.get('--redis')?.[0];
      if (!src || !redis) {
        console.error(HELP);
        return 2;
      }
      const c = a.opts.get('--concurrency')?.[0];
      const concurrency = c === undefined ? defaultWorkers() : Number(c);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new Error(`--concurrency must be an integer from 1 to 256, got '${c}'`);
      const log = (m: string) => console.error(`[zkinfer worker] ${m}`);
      log(`loading ${src}…`);
      const w = await runRemoteWorker({ redisUrl: redis, modelBytes: readFileOrFail(src, 'model'), concurrency, name: a.opts.get('--name')?.[0], log });
      log(`${w.name}: proving model ${w.modelId} with ${concurrency} thread(s)`);
      console.log(JSON.stringify({ event: 'ready', worker: w.name, modelId: w.modelId }));
      await untilSignal(log, 'finishing the jobs in hand', () => w.close());
      return 0;
    }),
};
