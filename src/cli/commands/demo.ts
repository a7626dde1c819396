/**
 * `zkinfer demo`: until the end-to-end prover lands, a short tour of the proof-system core —
 * commit to a vector with the tensor PCS, open it at a random point, verify the opening,
 * show that a false claim is rejected, then batch-open several claims with one sumcheck.
 */
import { P } from '../../field/babybear.js';
import { ext, extAdd, extToString } from '../../field/extension.js';
import { kernels } from '../../field/active.js';
import { evaluateBase } from '../../poly/multilinear.js';
import { TensorPcs } from '../../pcs/tensor.js';
import { serializeOpening } from '../../pcs/codec.js';
import { proveBatchOpening, verifyBatchOpening, writeBatchOpeningProof } from '../../pcs/batch.js';
import { Transcript } from '../../transcript/transcript.js';
import { ByteWriter, toHex } from '../../util/bytes.js';
import type { Command } from '../command.js';

function parseLogSize(args: string[]): number {
  const i = args.indexOf('--log-size');
  if (i < 0) return 20;
  const n = Number(args[i + 1]);
  if (!Number.isInteger(n) || n < 1 || n > 26) throw new Error(`demo: expected --log-size between 1 and 26, got ${args[i + 1]}`);
  return n;
}

function ms(t0: number): string {
  return `${(performance.now() - t0).toFixed(1)} ms`;
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'commit to a vector, open it at a random point, verify (core demo) [--log-size N]',
  async run(args: string[]): Promise<number> {
    if (args.includes('--help') || args.includes('-h')) {
      console.log('Usage: zkinfer demo [--log-size N]\n\nCommits to 2^N field elements (default N = 20) with the transparent tensor PCS,\nopens the multilinear extension at a random point, verifies, and batch-opens several claims.');
      return 0;
    }
    const n = parseLogSize(args);
    const pcs = new TensorPcs();
    const layout = pcs.layout(n);
    console.log(`zkinfer demo — proof-system core (the end-to-end model prover is not built yet)`);
    console.log(`field BabyBear (p = ${P}), challenges in K = F[u]/(u^4 − 11), kernels: ${kernels().name}`);
    console.log(`tensor PCS: 2^${layout.logRows} rows × 2^${layout.logCols} columns, rate 1/${2 ** layout.logBlowup}, ${layout.numQueries} queries, ${pcs.securityBits(layout).toFixed(1)} bits\n`);

    const values = new Uint32Array(2 ** n);
    let x = 2024;
    for (let i = 0; i < values.length; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      values[i] = x % P;
    }
    let t0 = performance.now();
    const { commitment, data } = pcs.commit(values);
    console.log(`1. commit   2^${n} elements → root ${toHex(commitment.root).slice(0, 16)}…   ${ms(t0)}`);

    const point = new Transcript('zkinfer/demo').challengeExts('demo/point', n);
    t0 = performance.now();
    const { value, proof } = pcs.open(data, point, new Transcript('zkinfer/demo'));
    const bytes = serializeOpening(pcs, proof);
    console.log(`2. open     f~(z) = ${extToString(value)}   ${ms(t0)}, proof ${(bytes.length / 1024).toFixed(1)} KiB`);

    t0 = performance.now();
    const res = pcs.verify(commitment, point, value, proof, new Transcript('zkinfer/demo'));
    console.log(`3. verify   ${res.ok ? 'valid' : `INVALID: ${res.error.message}`}   ${ms(t0)}`);

    const forged = pcs.verify(commitment, point, extAdd(value, ext(1)), proof, new Transcript('zkinfer/demo'));
    console.log(`4. a false claim f~(z) + 1 → ${forged.ok ? 'ACCEPTED (bug!)' : `rejected (${forged.error.kind})`}`);

    const claims = [0, 1, 2, 3].map((seg) => {
      const k = n - 2;
      const p = new Transcript('zkinfer/demo').challengeExts(`demo/segment-${seg}`, k);
      return { point: p, segment: seg, value: evaluateBase(values.subarray(seg * 2 ** k, (seg + 1) * 2 ** k), p) };
    });
    t0 = performance.now();
    const batch = proveBatchOpening(pcs, commitment, data, claims, new Transcript('zkinfer/demo-batch'));
    const w = new ByteWriter();
    writeBatchOpeningProof(pcs, w, batch);
    const proveTime = ms(t0);
    t0 = performance.now();
    const batchOk = verifyBatchOpening(pcs, commitment, claims, batch, new Transcript('zkinfer/demo-batch'));
    console.log(`5. batch    4 segment claims in one sumcheck + one opening: prove ${proveTime}, verify ${ms(t0)}, ${(w.finish().length / 1024).toFixed(1)} KiB → ${batchOk.ok ? 'valid' : `INVALID: ${batchOk.error.message}`}`);

    const good = res.ok && !forged.ok && batchOk.ok;
    console.log(good ? '\nAll checks behaved as expected.' : '\nSomething went wrong: see above.');
    return good ? 0 : 1;
  },
};
