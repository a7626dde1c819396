/** `zkinfer inspect model.zkm [--json]`: layers, shapes, scales, no-wrap bounds, parameter count. */
import fs from 'node:fs';
import type { Command } from '../command.js';
import { guard, parseArgs } from '../args.js';
import { ModelError } from '../../model/errors.js';
import { decodeZkm } from '../../quantize/zkm.js';
import { P, type Layer } from '../../quantize/layers.js';

export function paramCount(l: Layer): number {
  switch (l.kind) {
    case 'gemm': case 'conv': return l.w.length + (l.bias?.length ?? 0);
    case 'norm': return l.gamma.length + l.beta.length;
    case 'prelu': return l.slope.length;
    default: return 0;
  }
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'show a .zkm model: layers, shapes, scales, bounds, parameter count',
  run: (args) =>
    guard('inspect', () => {
      const a = parseArgs(args, [], ['--json']);
      const src = a.pos[0];
      if (!src) {
        console.error('Usage: zkinfer inspect <model.zkm> [--json]');
        return 2;
      }
      let bytes: Buffer;
      try {
        bytes = fs.readFileSync(src);
      } catch (e) {
        throw new ModelError('BadInput', `cannot read model '${src}': ${(e as NodeJS.ErrnoException).code}`);
      }
      const m = decodeZkm(new Uint8Array(bytes));
      const info = new Map(m.tensors.map((t) => [t.name, t]));
      const consts = Object.values(m.consts).reduce((s, c) => s + c.data.length, 0);
      const params = m.layers.reduce((s, l) => s + paramCount(l), 0) + consts;
      const rows = m.layers.map((l) => ({ name: l.name, op: l.op, kind: l.kind, dims: info.get(l.output)!.dims, exp: info.get(l.output)!.exp, params: paramCount(l), bound: l.bound }));
      if (a.flags.has('--json')) {
        console.log(JSON.stringify({ name: m.name, version: m.version, opset: m.opset, inputs: m.inputs, outputs: m.outputs, params, layers: rows }));
        return 0;
      }
      console.log(`${src}: zkm v${m.version}, graph '${m.name}', opset ${m.opset}, source ${m.meta.source || '-'}, margin ${m.meta.margin}`);
      for (const i of m.inputs) console.log(`  input  ${i.name} [${i.dims.join('×')}] int8, scale 2^-${i.exp}`);
      for (const o of m.outputs) console.log(`  output ${o.name} [${o.dims.join('×')}] scale 2^-${o.exp}`);
      console.log(`  ${m.layers.length} layers, ${params} parameters (int8 weights, wide biases and constants)\n`);
      console.log(`  ${'layer'.padEnd(34)} ${'op'.padEnd(18)} ${'kind'.padEnd(8)} ${'shape'.padEnd(16)} ${'scale'.padEnd(7)} ${'params'.padStart(8)}  bound/p`);
      for (const r of rows) {
        console.log(`  ${r.name.slice(0, 34).padEnd(34)} ${r.op.padEnd(18)} ${r.kind.padEnd(8)} ${r.dims.join('×').padEnd(16)} ${`2^-${r.exp}`.padEnd(7)} ${String(r.params).padStart(8)}  ${(r.bound / P).toExponential(1)}`);
      }
      return 0;
    }),
};
