/**
 * `zkinfer demo`: the whole pipeline on a real, trained model, produced by the project's own code
 * (no download, no random weights): train a 64→32→10 MLP on synthetic 8×8 digits (src/demo),
 * export it to ONNX, compile (int8 quantization, accuracy against the float model), commit
 * (model ID; zero knowledge unless `--no-zk`), prove one inference (receipt), verify it, and show
 * that a receipt whose output was changed, or checked against another input, is rejected.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '../command.js';
import { guard } from '../args.js';
import { kib, writeFileOrFail } from '../files.js';
import { asciiDigit } from '../../demo/digits.js';
import { trainDigitsModel } from '../../demo/train.js';
import { compileOnnx } from '../../quantize/compile.js';
import { runQuantized } from '../../quantize/infer.js';
import { commitModel } from '../../prover/commit.js';
import { receiptSecurity } from '../../circuit/security.js';
import { prove } from '../../prover/prove.js';
import { decodeReceipt, encodeReceipt } from '../../verifier/receipt.js';
import { verifyReceipt } from '../../verifier/verify.js';
import { kernels } from '../../field/active.js';

const HELP = `Usage: zkinfer demo [--sample N] [--out DIR] [--no-zk]

Trains a small digit classifier in-process, compiles it to int8, commits to it, proves one
inference and verifies the receipt. Writes model.onnx, the receipt and the input to DIR
(created if needed; default: a fresh temporary directory). The receipt is zero knowledge
(it reveals nothing about the weights beyond the output); --no-zk makes a clear one.`;

function ms(t0: number): string {
  return `${(performance.now() - t0).toFixed(0)} ms`;
}

export const demoCommand: Command = {
  name: 'demo',
  run: (args) =>
    guard('demo', () => {
      if (args.includes('--help') || args.includes('-h')) {
        console.log(HELP);
        return 0;
      }
      const si = args.indexOf('--sample');
      const sample = si >= 0 ? Number(args[si + 1]) : 0;
      const oi = args.indexOf('--out');
      const dir = oi >= 0 ? args[oi + 1] : mkdtempSync(join(tmpdir(), 'zkinfer-demo-'));
      if (oi >= 0) {
        if (!dir || dir.startsWith('--')) throw new Error('--out: expected a directory');
        mkdirSync(dir, { recursive: true });
      }
      const zk = !args.includes('--no-zk');
      console.log(`zkinfer demo — verifiable inference of a trained model (kernels: ${kernels().name})\n`);

      let t0 = performance.now();
      const tm = trainDigitsModel();
      if (!Number.isInteger(sample) || sample < 0 || sample >= tm.samples.length) throw new Error(`--sample: expected 0 … ${tm.samples.length - 1}`);
      console.log(`1. train    64→32→10 MLP on synthetic 8×8 digits: test accuracy ${(tm.testAccuracy * 100).toFixed(1)}%   ${ms(t0)}`);
      writeFileOrFail(join(dir, 'model.onnx'), tm.onnx, 'model');

      t0 = performance.now();
      const { model } = compileOnnx(tm.onnx, tm.calibration);
      let agree = 0;
      for (const s of tm.samples) {
        const q = runQuantized(model, { image: s.input }, { strict: false }).outputs[0].values;
        let best = 0;
        for (let i = 1; i < q.length; i++) if (q[i] > q[best]) best = i;
        if (best === s.label) agree++;
      }
      console.log(`2. compile  int8 weights and activations, power-of-two scales: ${agree}/${tm.samples.length} held-out samples classified correctly   ${ms(t0)}`);

      t0 = performance.now();
      const cm = commitModel(model, zk ? { zk: {} } : {});
      console.log(`3. commit   model ID ${cm.modelId} (${zk ? 'zero knowledge: the weights stay hidden' : 'clear receipts, --no-zk'})   ${ms(t0)}`);

      const s = tm.samples[sample];
      const input = { image: s.input };
      writeFileOrFail(join(dir, 'input.json'), JSON.stringify(input), 'input');
      console.log(`\n   input (label ${s.label}):\n${asciiDigit(s.input).replace(/^/gm, '     ')}\n`);
      t0 = performance.now();
      const res = prove(cm, input);
      const logits = Array.from(res.outputs[0].values);
      const pred = logits.indexOf(Math.max(...logits));
      writeFileOrFail(join(dir, 'out.zkr'), res.receipt, 'receipt');
      console.log(`4. prove    predicted digit ${pred}; receipt ${kib(res.receipt.length)}   ${ms(t0)}`);

      t0 = performance.now();
      const v = verifyReceipt(res.receipt, cm.modelId, input);
      console.log(`5. verify   ${v.ok ? 'VALID' : `INVALID: ${v.error.message}`}   ${ms(t0)}`);

      const rc = decodeReceipt(res.receipt);
      const k = (pred + 1) % 10;
      rc.outputs[0].values[k] = Math.min(127, rc.outputs[0].values[pred] + 10);
      const forged = verifyReceipt(encodeReceipt(rc), cm.modelId, input);
      console.log(`6. tamper   receipt claiming digit ${k} instead → ${forged.ok ? 'ACCEPTED (bug!)' : `rejected (${forged.error.kind})`}`);
      const otherInput = { image: tm.samples[(sample + 1) % tm.samples.length].input };
      const replay = verifyReceipt(res.receipt, cm.modelId, otherInput);
      console.log(`7. replay   same receipt for another input → ${replay.ok ? 'ACCEPTED (bug!)' : `rejected (${replay.error.kind})`}`);

      console.log(`\nFiles in ${dir}: model.onnx, input.json, out.zkr`);
      console.log(`Check it yourself: zkinfer verify ${join(dir, 'out.zkr')} --model-id ${cm.modelId} --input ${join(dir, 'input.json')}`);
      const bits = receiptSecurity(cm.circuit, cm.pcs.config).bits;
      console.log(
        zk
          ? `The receipt is zero knowledge: it shows the output came from the committed weights and reveals nothing else about them (see the README; zkinfer inspect out.zkr shows its parameters).`
          : `Receipts are sound (${bits} composed security bits, target 100: zkinfer inspect out.zkr lists every term) but not zero knowledge (--no-zk): see the README.`,
      );
      const good = v.ok && !forged.ok && !replay.ok;
      return good ? 0 : 1;
    }),
};
