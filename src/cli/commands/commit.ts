/**
 * `zkinfer commit model.zkm [-o model.zkc] [--security 100]`: commits to the model's parameters
 * once, proves they are int8, prints the model ID and the composed security figure of its
 * receipts, and writes the prover data (.zkc) that `prove` reads. A model whose receipts would
 * fall short of the profile's target is refused, naming the largest terms (`circuit/security.ts`).
 */
import type { Command } from '../command.js';
import { guard, parseArgs } from '../args.js';
import { readFileOrFail, writeFileOrFail, kib } from '../files.js';
import { progressReporter } from '../progress.js';
import { decodeZkm } from '../../quantize/zkm.js';
import { commitModel, encodeCommitted } from '../../prover/commit.js';
import { receiptSecurity } from '../../circuit/security.js';
import { SECURITY_HELP, securityLine, securityOption } from '../security.js';

const HELP = `Usage: zkinfer commit <model.zkm> [-o model.zkc] [--security 100] [--quiet]

Commits to the model's parameters (tensor PCS over int8 limbs), proves every committed entry is
int8, and prints the model ID = H(architecture, quantization, parameter commitment, PCS
parameters) and the composed security figure of its receipts (refusing a model below the
target). Customers pin this ID; every receipt is checked against it. Writes the prover data to
<model>.zkc.
${SECURITY_HELP}`;

export const commitCommand: Command = {
  name: 'commit',
  summary: 'commit to a .zkm model once: print its model ID, write prover data (.zkc)',
  run: (args) =>
    guard('commit', () => {
      if (args.includes('--help') || args.includes('-h')) {
        console.log(HELP);
        return 0;
      }
      const a = parseArgs(args, ['-o', '--security'], ['--quiet']);
      const src = a.pos[0];
      if (!src) {
        console.error(HELP);
        return 2;
      }
      const out = a.opts.get('-o')?.[0] ?? src.replace(/\.zkm$/, '') + '.zkc';
      const model = decodeZkm(readFileOrFail(src, 'model'));
      const security = securityOption(a, model);
      const pr = progressReporter(a.flags.has('--quiet'));
      const cm = commitModel(model, { onProgress: pr.update, security });
      pr.end();
      const bytes = encodeCommitted(cm);
      writeFileOrFail(out, bytes, 'prover data');
      const nParams = cm.description.params.reduce((s, p) => s + p.dims.reduce((x, y) => x * y, 1), 0);
      console.log(`model ID ${cm.modelId}`);
      console.log(`  ${cm.circuit.layers.length} layers, ${nParams} parameters → 2^${cm.circuit.params.numVars} committed int8 limbs`);
      console.log(`  ${securityLine(receiptSecurity(cm.circuit, cm.pcs.config))}`);
      console.log(`  commit ${cm.timings.commitMs.toFixed(0)} ms, parameter range proof ${cm.timings.rangeProofMs.toFixed(0)} ms (${kib(cm.paramRange.length)})`);
      console.log(`  prover data → ${out}`);
      return 0;
    }),
};
