/**
 * `zkinfer run model.zkm --input input.json [--json] [--saturate]`: bit-exact integer inference;
 * prints the dequantized outputs. Values outside the calibrated range are an error unless --saturate.
 */
import fs from 'node:fs';
import type { Command } from '../command.js';
import { guard, parseArgs } from '../args.js';
import { ModelError } from '../../model/errors.js';
import { parseInputJson } from '../inputs.js';
import { decodeZkm } from '../../quantize/zkm.js';
import { runQuantized } from '../../quantize/infer.js';

const HELP = 'Usage: zkinfer run <model.zkm> --input <input.json> [--json] [--saturate]';

export const runCommand: Command = {
  name: 'run',
  run: (args) =>
    guard('run', () => {
      if (args.includes('--help') || args.includes('-h')) {
        console.log(HELP);
        return 0;
      }
      const a = parseArgs(args, ['--input'], ['--json', '--saturate']);
      const src = a.pos[0];
      const inp = a.opts.get('--input')?.[0];
      if (!src || !inp) {
        console.error(HELP);
        return 2;
      }
      const read = (p: string, what: string) => {
        try {
          return fs.readFileSync(p);
        } catch (e) {
          throw new ModelError('BadInput', `cannot read ${what} '${p}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
      };
      const model = decodeZkm(new Uint8Array(read(src, 'model')));
      const notes: string[] = [];
      const data = parseInputJson(read(inp, 'input').toString('utf8'), model.inputs, inp, model.pinned, notes);
      for (const n of notes) console.error(`note: ${n}`);
      let r: ReturnType<typeof runQuantized>;
      try {
        r = runQuantized(model, data, { strict: !a.flags.has('--saturate') });
      } catch (e) {
        // the library's advice names no flag; this command's own way out is --saturate
        if (e instanceof ModelError && e.kind === 'OutOfRange') throw new ModelError('OutOfRange', `${e.message} (or run with --saturate to clamp)`, e.layer);
        throw e;
      }
      if (a.flags.has('--json')) {
        const o: Record<string, { dims: number[]; values: number[]; q: number[]; scale: string }> = {};
        for (const x of r.outputs) o[x.name] = { dims: x.dims, values: Array.from(x.values), q: Array.from(x.q), scale: `2^-${x.exp}` };
        console.log(JSON.stringify(o));
      } else {
        for (const x of r.outputs) console.log(`${x.name} [${x.dims.join('×')}] (scale 2^-${x.exp}): ${Array.from(x.values).map((v) => +v.toPrecision(6)).join(' ')}`);
      }
      if (r.saturated.size) console.error(`warning: values clamped in ${[...r.saturated.keys()].join(', ')}`);
      return 0;
    }),
};
