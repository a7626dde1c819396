/**
 * `zkinfer compile model.onnx --calibrate input.json [--calibrate more.json] -o model.zkm [--margin m] [--security 100]`
 * Imports, calibrates, quantizes and writes the .zkm; prints the accuracy of the integer model
 * against the float reference on the calibration inputs, each layer's headroom, and the composed
 * security figure its receipts will have (`circuit/security.ts`; `commit` refuses a model below
 * the target). A profile this build cannot serve (128) is refused with the reason.
 */
import fs from 'node:fs';
import type { Command } from '../command.js';
import { fmtExp, guard, parseArgs } from '../args.js';
import { importOnnx } from '../../model/graph.js';
import { prepare } from '../../model/prepare.js';
import { ModelError } from '../../model/errors.js';
import { deterministicInput, parseInputJson } from '../inputs.js';
import { compileOnnx } from '../../quantize/compile.js';
import { encodeZkm } from '../../quantize/zkm.js';
import { P } from '../../quantize/layers.js';
import { modelSecurity, SECURITY_HELP, securityLine, securityOption } from '../security.js';

const HELP = `Usage: zkinfer compile <model.onnx> --calibrate <input.json> [--calibrate ...] -o <model.zkm> [--margin 1.25] [--security 100]
  --calibrate  sample input(s): EZKL input.json or {"inputName": [...]}; omitted: one deterministic random input
  --margin     headroom factor for activation scales (default 1.25)
${SECURITY_HELP}`;

function readFile(path: string, what: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (e) {
    throw new ModelError('BadInput', `cannot read ${what} '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export const compileCommand: Command = {
  name: 'compile',
  summary: 'quantize an ONNX model with calibration inputs into a .zkm file',
  run: (args) =>
    guard('compile', () => {
      if (args.includes('--help') || args.includes('-h')) {
        console.log(HELP);
        return 0;
      }
      const a = parseArgs(args, ['--calibrate', '-o', '--output', '--margin', '--security'], []);
      const src = a.pos[0];
      const out = a.opts.get('-o')?.[0] ?? a.opts.get('--output')?.[0];
      if (!src || !out) {
        console.error(HELP);
        return 2;
      }
      const margin = Number(a.opts.get('--margin')?.[0] ?? 1.25);
      if (!(margin >= 1)) throw new ModelError('BadInput', `--margin must be a number ≥ 1, got ${a.opts.get('--margin')?.[0]}`);
      const bytes = new Uint8Array(readFile(src, 'model'));
      const g = importOnnx(bytes);
      const inputs = prepare(g).graph.inputs;
      const cal = a.opts.get('--calibrate') ?? [];
      const samples = cal.length ? cal.map((f) => parseInputJson(readFile(f, 'calibration file').toString('utf8'), inputs, f)) : [deterministicInput(inputs)];
      const { model, report } = compileOnnx(bytes, samples, { margin, source: src });
      const bits = securityOption(a, model);
      fs.writeFileSync(out, encodeZkm(model));
      console.log(`compiled ${src} → ${out}: ${model.layers.length} layers, ${samples.length} calibration sample(s), margin ${margin}`);
      console.log('\naccuracy on the calibration input (integer vs float reference):');
      for (const r of report) {
        console.log(`  ${r.output}: rel. L2 ${fmtExp(r.relL2)}, max abs ${fmtExp(r.maxAbs)} (output step ${fmtExp(r.step)}), argmax ${r.argmaxAgree === null ? '-' : r.argmaxAgree ? 'agrees' : 'DIFFERS'}`);
      }
      console.log('\nheadroom per layer (127 / max |q| on calibration; bound = worst-case relation size / p):');
      for (const l of model.layers) {
        const c = model.calibration[l.output];
        const t = model.tensors.find((x) => x.name === l.output)!;
        const head = c && c.maxQ > 0 ? `${(t.hi / c.maxQ).toFixed(2)}×` : '-';
        console.log(`  ${l.name.padEnd(32)} ${l.op.padEnd(18)} 2^-${String(t.exp).padEnd(3)} headroom ${head.padStart(8)}  bound ${(l.bound / P).toExponential(1)}·p`);
      }
      const sec = modelSecurity(model, bits);
      console.log(`\n${'security' in sec ? securityLine(sec.security) + (sec.security.bits < sec.security.target ? '\n  zkinfer commit will refuse this model (see the terms: zkinfer inspect --json)' : '') : `security: not available (${sec.error})`}`);
      return 0;
    }),
};
