/**
 * `zkinfer compile model.onnx --calibrate input.json [--calibrate more.json] -o model.zkm [--margin m] [--input-shape n=…] [--const-input n=…] [--security 100] [--strict] [--wide]`
 * Imports, calibrates, quantizes and writes the .zkm; prints the accuracy of the integer model
 * against the float reference on the calibration inputs (warnings where it is outside tolerance or
 * saturates; with --strict those fail the command), each layer's headroom, and the composed
 * security figure its receipts will have (`circuit/security.ts`; `commit` refuses a model below
 * the target). A profile this build cannot serve (128) is refused with the reason.
 */
import fs from 'node:fs';
import type { Command } from '../command.js';
import { fmtExp, guard, parseArgs } from '../args.js';
import { importOnnx } from '../../model/graph.js';
import { ModelError } from '../../model/errors.js';
import { deterministicInput, inputShapesJson, parseConstFlag, parseInputJson } from '../inputs.js';
import { compileOnnx } from '../../quantize/compile.js';
import { parseShapeFlag, resolveInputShapes } from '../../model/input-shapes.js';
import { encodeZkm } from '../../quantize/zkm.js';
import { P } from '../../quantize/layers.js';
import { modelSecurity, SECURITY_HELP, securityLine, securityOption } from '../security.js';

const HELP = `Usage: zkinfer compile <model.onnx> --calibrate <input.json> [--calibrate ...] -o <model.zkm> [--margin 1.25]
                       [--input-shape name=1,3,48,320 ...] [--const-input name=v1,v2,... ...]
                       [--security 100] [--strict] [--wide]
  --calibrate    sample input(s): EZKL input.json or {"inputName": [...]}; omitted: one deterministic random input
  --input-shape  the shape of an input with symbolic dimensions (batch, sequence, …); also read from
                 EZKL's input_shapes in the calibration file. Without it, a single symbolic dimension
                 is taken from the calibration data's length; otherwise it is set to 1 and said so
  --const-input  pins an input to a constant at compile time (e.g. --const-input sr=16000 for a
                 model whose sample-rate input selects a branch): the value is folded into the model,
                 which then no longer has that input ('prove' refuses a file giving another value).
                 Values are comma-separated, row-major, in the input's declared type and shape
  --margin       headroom factor for activation scales (default 1.25)
  --wide         keep squares and the sums of them that only tables read at 16 bits instead of int8
                 (an STFT magnitude √(re² + im²), a LayerNorm variance): finer √ inputs for larger
                 tables and range checks (2^15 entries each); off by default, since on the measured
                 models it changed no output within tolerance and grew receipts up to 2.6×
  --strict       exit 1 (and write no .zkm) when the integer model does not hold on its calibration
                 data: an output outside tolerance (rel. L2 over 5% where the reference is not near
                 zero, or the argmax differs) or a layer that saturates (that input would not prove);
                 without it these are warnings on stderr
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
  run: (args) =>
    guard('compile', () => {
      if (args.includes('--help') || args.includes('-h')) {
        console.log(HELP);
        return 0;
      }
      const a = parseArgs(args, ['--calibrate', '-o', '--output', '--margin', '--security', '--input-shape', '--const-input'], ['--strict', '--wide']);
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
      const all = g.inputs.filter((i) => !g.consts.has(i.name));
      const pinnedInputs: Record<string, number[]> = {};
      for (const flag of a.opts.get('--const-input') ?? []) {
        const [name, values] = parseConstFlag(flag);
        pinnedInputs[name] = values;
      }
      const inputs = all.filter((i) => !(i.name in pinnedInputs));
      const cal = a.opts.get('--calibrate') ?? [];
      const texts = cal.map((f) => [f, readFile(f, 'calibration file').toString('utf8')] as const);
      // shapes: --input-shape flags, then EZKL's input_shapes in the calibration files
      const inputShapes: Record<string, number[]> = {};
      for (const [f, t] of texts) Object.assign(inputShapes, inputShapesJson(t, inputs, f));
      for (const flag of a.opts.get('--input-shape') ?? []) {
        const [name, dims] = parseShapeFlag(flag);
        inputShapes[name] = dims;
      }
      const pins = all.flatMap((i, index) => (i.name in pinnedInputs ? [{ name: i.name, index, values: pinnedInputs[i.name] }] : []));
      const notes: string[] = [];
      const unpinned = Object.fromEntries(Object.entries(inputShapes).filter(([k]) => !(k in pinnedInputs)));
      const samples = texts.length
        ? texts.map(([f, t]) => parseInputJson(t, inputs, f, pins, notes))
        : [deterministicInput(inputs.map((i) => ({ ...i, dims: resolveInputShapes(g, unpinned, [], new Set(Object.keys(pinnedInputs))).shapes[i.name] ?? i.dims })))];
      const { model, report, shapeNotes, warnings } = compileOnnx(bytes, samples, { margin, source: src, inputShapes, pinnedInputs, wide: a.flags.has('--wide') });
      for (const n of [...shapeNotes, ...new Set(notes)]) console.log(`note: ${n}`);
      for (const p of model.pinned ?? []) console.log(`note: input '${p.name}' pinned to ${p.values.join(',')} (folded into the model; it is no longer an input)`);
      for (const w of warnings) console.error(`warning: ${w}`);
      if (warnings.length && a.flags.has('--strict')) {
        console.error(`zkinfer compile: --strict: the integer model does not hold on its calibration data (${warnings.length} warning(s) above); ${out} not written`);
        return 1;
      }
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
