/**
 * A proving thread of the prover pool. It commits the served model once (so every proof reuses
 * the parameter commitment), then answers `prove` (an input, for a context) and `verify` (a
 * receipt, against a model ID, an input and the context it must carry) requests one at a time.
 * Errors caused by the request (an input outside the calibrated range, …) are reported as user
 * errors; anything else as an internal error. A verify-only thread (no model) serves remote
 * results.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ModelError } from '../model/errors.js';
import { prove } from '../prover/prove.js';
import type { CommittedModel } from '../prover/commit.js';
import { verifyReceipt } from '../verifier/verify.js';
import { revealedColumns } from '../pcs/zk-ligero.js';
import { commitServed, committedParamCount } from './model.js';
import { lowerThisThread } from './priority.js';
import { proveFraction, type FromWorker, type ToWorker, type WorkerInit } from './worker-protocol.js';

const port = parentPort!;
const init = workerData as WorkerInit;
const send = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

lowerThisThread(init.nice ?? 0);
let cm: CommittedModel | undefined;
try {
  if (init.modelBytes) {
    const t0 = performance.now();
    cm = commitServed(init.modelBytes);
    const zk = cm.zk && { k: cm.zk.params.randomness, t: cm.zk.params.queries, revealed: revealedColumns(cm.zk.data) };
    send({ type: 'ready', modelId: cm.modelId, paramCount: committedParamCount(cm), commitMs: performance.now() - t0, zk });
  } else send({ type: 'ready', modelId: '', paramCount: 0, commitMs: 0 });
} catch (e) {
  send({ type: 'init-error', message: (e as Error).message });
}

port.on('message', (m: ToWorker) => {
  try {
    if (m.type === 'prove') {
      if (!cm) throw new Error('this worker has no model (verify-only)');
      let last = -1;
      const res = prove(cm, m.input, {
        context: m.context,
        // private inputs: committed under the requester's seed, which opens them with its input
        committed: m.private && { inputs: m.private.inputs, seed: m.private.seed },
        onProgress: (stage, done, total) => {
          const f = proveFraction(stage, done, total);
          if (f - last >= 0.05 || f === 1) {
            last = f;
            send({ type: 'progress', task: m.task, stage: stage.startsWith('layer ') ? 'layers' : stage, fraction: f });
          }
        },
      });
      const output = res.outputs.map((o) => ({ name: o.name, dims: o.dims, values: Array.from(o.values) }));
      const receipt = res.receipt;
      const revealed = cm.zk && revealedColumns(cm.zk.data);
      send({ type: 'proved', task: m.task, output, receipt, timings: { ...res.timings }, revealed }, [receipt.buffer as ArrayBuffer]);
    } else {
      const v = verifyReceipt(m.receipt, m.modelId, m.input, { context: m.context });
      if (v.ok) send({ type: 'verified', task: m.task, ok: true, output: v.outputs.map((o) => ({ name: o.name, dims: o.dims, values: Array.from(o.values) })) });
      else send({ type: 'verified', task: m.task, ok: false, error: `${v.error.kind}: ${v.error.message}` });
    }
  } catch (e) {
    send({ type: 'error', task: m.task, message: (e as Error).message ?? String(e), userError: e instanceof ModelError });
  }
});
