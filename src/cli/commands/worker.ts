/**
 * `zkinfer worker --redis URL model.zkm`: a proving worker for a prover node started with
 * `zkinfer serve --redis URL` (on this or another machine): takes the model's jobs from BullMQ,
 * proves them in its own threads (each for its job's context), hands back the receipts. It holds a lock on each job it proves
 * (`--lock-ms`, renewed every half of it); when a worker dies, the others find its jobs within
 * `--lock-ms` + 2 × `--stall-check-ms` and prove them. SIGTERM finishes the jobs in hand.
 */
import type { Command } from '../command.js';
import { guard, intOption, parseArgs, untilSignal } from '../args.js';
import { readFileOrFail } from '../files.js';
import { DEFAULT_LOCK_MS, DEFAULT_STALL_CHECK_MS, runRemoteWorker } from '../../service/redis.js';
import { DEFAULT_PROVER_NICE, defaultWorkers } from '../../service/server.js';

const HELP = `Usage: zkinfer worker --redis <redis://host:6379> <model.zkm | model.zkc> [--concurrency N] [--name NAME]
                      [--lock-ms ${DEFAULT_LOCK_MS}] [--stall-check-ms ${DEFAULT_STALL_CHECK_MS}] [--prover-nice ${DEFAULT_PROVER_NICE}]

Proves jobs for 'zkinfer serve --redis' nodes serving the same model (same model ID), each
receipt bound to its job's context; the node verifies every receipt against the job's input and
context, so upgrade workers with the node (an older worker's receipts carry no context).
--concurrency     proving threads (default: cores − 1 = ${defaultWorkers()})
--name            this worker's name in job views and Redis' client list (default host:pid;
                  printable ASCII without spaces)
--lock-ms         how long this worker's lock on a job lasts unless renewed (every half of it;
                  default ${DEFAULT_LOCK_MS})
--stall-check-ms  how often this worker looks for jobs whose worker died (lapsed lock) and puts
                  them back in the queue (default ${DEFAULT_STALL_CHECK_MS})
--prover-nice     Linux: run proving threads this many nice levels below the thread that renews
                  the locks (default ${DEFAULT_PROVER_NICE}; 0: off)`;

export const workerCommand: Command = {
  name: 'worker',
  run: (args) =>
    guard('worker', async () => {
      if (args.includes('--help') || args.includes('-h')) {
        console.log(HELP);
        return 0;
      }
      const a = parseArgs(args, ['--redis', '--concurrency', '--name', '--lock-ms', '--stall-check-ms', '--prover-nice'], []);
      const src = a.pos[0];
      const redis = a.opts.get('--redis')?.[0];
      if (!src || !redis || a.pos.length > 1) {
        console.error(HELP);
        return 2;
      }
      const int = (flag: string, min: number, max: number) => intOption(a, flag, min, max);
      const concurrency = int('--concurrency', 1, 256) ?? defaultWorkers();
      const lockMs = int('--lock-ms', 200, 3_600_000);
      const stallCheckMs = int('--stall-check-ms', 50, 3_600_000);
      const proverNice = int('--prover-nice', 0, 19);
      const log = (m: string) => console.error(`[zkinfer worker] ${m}`);
      log(`loading ${src}…`);
      const w = await runRemoteWorker({ redisUrl: redis, modelBytes: readFileOrFail(src, 'model'), concurrency, name: a.opts.get('--name')?.[0], lockMs, stallCheckMs, proverNice, log });
      log(`${w.name}: proving model ${w.modelId} with ${concurrency} thread(s)`);
      console.log(JSON.stringify({ event: 'ready', worker: w.name, modelId: w.modelId }));
      await untilSignal(log, 'finishing the jobs in hand', () => w.close());
      return 0;
    }),
};
