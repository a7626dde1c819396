/**
 * `zkinfer commit model.zkm [-o model.zkc] [--security 100] [--no-zk]`: commits to the model's
 * parameters once, proves they are int8, prints the model ID and the composed security figure of
 * its receipts, and writes the prover data (.zkc) that `prove` and `serve` read. Zero knowledge is
 * the default (a hiding commitment, every receipt zero knowledge); `--no-zk` commits for today's
 * faster clear receipts. A model whose receipts would fall short of the profile's target is
 * refused, naming the largest terms (`circuit/security.ts`).
 */
import type { Command } from '../command.js';
import { guard, intOption, parseArgs } from '../args.js';
import type { ZkLigeroParams } from '../../pcs/zk-ligero-params.js';
import { readFileOrFail, writeFileOrFail, kib } from '../files.js';
import { progressReporter } from '../progress.js';
import { decodeZkm } from '../../quantize/zkm.js';
import { commitModel, encodeCommitted } from '../../prover/commit.js';
import { committedSecurity, SECURITY_HELP, securityLine, securityOption } from '../security.js';

const HELP = `Usage: zkinfer commit <model.zkm> [-o model.zkc] [--security 100] [--zk-openings 16 | --no-zk] [--quiet]

Commits to the model's parameters, proves every committed entry is int8, and prints the model
ID = H(architecture, quantization, parameter commitment, PCS parameters) and the composed
security figure of its receipts (refusing a model below the target). Customers pin this ID;
every receipt is checked against it. Writes the prover data to <model>.zkc.

By default the commitment is for zero-knowledge receipts: the parameters under a hiding
commitment (its secret seed is stored in the .zkc, as secret as the weights), a range proof that
reveals nothing, and every receipt zero knowledge (docs/zero-knowledge.md).
  --zk-openings N    receipts the hiding commitment serves before its opened columns could reveal the
                     weights (default 16; larger N costs proof size and time: docs/zero-knowledge.md
                     §4). 'zkinfer prove' and 'serve' record every receipt's openings in the .zkc and
                     refuse once they are spent; keep one copy of the file.
  --no-zk            commit for clear receipts instead (sound, faster, smaller, but the openings
                     reveal linear information about the weights); a different model ID
  --zk               accepted for compatibility (the default)
${SECURITY_HELP}`;

function zkCodeLine(p: ZkLigeroParams): string {
  return `rows of 2^${p.logCols}, ${p.randomness} random symbols each, codeword 2^${p.logCodeword}, ${p.queries} queries`;
}

export const commitCommand: Command = {
  name: 'commit',
  run: (args) =>
    guard('commit', () => {
      if (args.includes('--help') || args.includes('-h')) {
        console.log(HELP);
        return 0;
      }
      const a = parseArgs(args, ['-o', '--security', '--zk-openings'], ['--quiet', '--zk', '--no-zk']);
      const src = a.pos[0];
      if (!src) {
        console.error(HELP);
        return 2;
      }
      const out = a.opts.get('-o')?.[0] ?? src.replace(/\.zkm$/, '') + '.zkc';
      const zk = !a.flags.has('--no-zk');
      if (!zk && a.flags.has('--zk')) throw new Error('--zk and --no-zk contradict each other');
      const openings = a.opts.has('--zk-openings') ? intOption(a, '--zk-openings', 1, 1024) : undefined;
      if (openings !== undefined && !zk) throw new Error('--zk-openings applies to zero-knowledge commitments, not with --no-zk');
      const model = decodeZkm(readFileOrFail(src, 'model'));
      const security = securityOption(a, model);
      const pr = progressReporter(a.flags.has('--quiet'));
      const cm = commitModel(model, { onProgress: pr.update, security, zk: zk ? { openings } : undefined });
      pr.end();
      const bytes = encodeCommitted(cm);
      writeFileOrFail(out, bytes, 'prover data');
      const nParams = cm.description.params.reduce((s, p) => s + p.dims.reduce((x, y) => x * y, 1), 0);
      console.log(`model ID ${cm.modelId}`);
      console.log(`  ${cm.circuit.layers.length} layers, ${nParams} parameters → 2^${cm.circuit.params.numVars} committed int8 limbs`);
      console.log(`  ${securityLine(committedSecurity(cm))}`);
      if (cm.zk) console.log(`  zero knowledge: parameters hidden for up to ${cm.zk.openings} receipts per commitment (${zkCodeLine(cm.zk.params)})`);
      else console.log('  clear receipts (--no-zk): sound, but not zero knowledge');
      console.log(`  commit ${cm.timings.commitMs.toFixed(0)} ms, parameter range proof ${cm.timings.rangeProofMs.toFixed(0)} ms (${kib(cm.paramRange.length)})`);
      console.log(`  prover data → ${out}`);
      return 0;
    }),
};
