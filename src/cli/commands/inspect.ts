/**
 * `zkinfer inspect model.zkm [--json]`: layers, shapes, scales, no-wrap bounds, parameter count and
 * the composed security figure of the model's receipts (`circuit/security.ts`, or for a
 * zero-knowledge .zkc `verifier/zk-security.ts`, with every term under --json); a receipt (.zkr)
 * prints its JSON view, which carries its own figure.
 */
import fs from 'node:fs';
import type { Command } from '../command.js';
import { guard, parseArgs } from '../args.js';
import { ModelError } from '../../model/errors.js';
import { decodeZkm } from '../../quantize/zkm.js';
import { decodeReceipt } from '../../verifier/receipt.js';
import { receiptJson, securityJson } from '../../verifier/json.js';
import { modelSecurity, securityLine, zkModelSecurity } from '../security.js';
import { ZkTree } from '../../prover/zk-tree.js';
import { readCommitted, zkCommitmentCode, type StoredZk } from '../../prover/commit.js';
import { buildCircuit } from '../../circuit/circuit.js';
import { describeModel } from '../../circuit/description.js';

import { P, type Layer, type QuantizedModel } from '../../quantize/layers.js';

export function paramCount(l: Layer): number {
  switch (l.kind) {
    case 'gemm': case 'conv': return l.w.length + (l.bias?.length ?? 0);
    case 'norm': return l.gamma.length + l.beta.length;
    case 'prelu': return l.slope.length;
    case 'embed': return l.table.length;
    default: return 0;
  }
}

/**
 * A zero-knowledge .zkc's opening budget, from its records: the root's revealed columns, and the
 * tree of renewals with what `zkinfer prove` can still serve under the default maximum depth
 * (`prover/zk-tree.ts`).
 */
function zkBudgetOf(m: QuantizedModel, zk: StoredZk) {
  const code = zkCommitmentCode(buildCircuit(describeModel(m).description), zk.openings);
  const tree = new ZkTree({ k: code.randomness, t: code.queries, rootRevealed: zk.revealed }, zk);
  return {
    openings: zk.openings,
    receiptsLeft: tree.receiptsLeft,
    maxDepth: tree.maxDepth,
    receiptsServed: tree.receiptsServed,
    receiptsServedExact: tree.servedExact,
    rootReceiptsLeft: Math.max(0, Math.floor((code.randomness - zk.revealed.length) / code.queries)),
    revealedColumns: zk.revealed.length,
    k: code.randomness,
    t: code.queries,
    tree: tree.describe(),
  };
}

export const inspectCommand: Command = {
  name: 'inspect',
  run: (args) =>
    guard('inspect', () => {
      const a = parseArgs(args, [], ['--json']);
      const src = a.pos[0];
      if (!src) {
        console.error('Usage: zkinfer inspect <model.zkm | model.zkc | out.zkr> [--json]');
        return 2;
      }
      let bytes: Buffer;
      try {
        bytes = fs.readFileSync(src);
      } catch (e) {
        throw new ModelError('BadInput', `cannot read model '${src}': ${(e as NodeJS.ErrnoException).code}`);
      }
      const u8 = new Uint8Array(bytes);
      if (u8[0] === 0x5a && u8[1] === 0x4b && u8[2] === 0x52) {
        // a receipt (.zkr): its JSON view
        console.log(JSON.stringify(receiptJson(decodeReceipt(u8)), null, a.flags.has('--json') ? 0 : 2));
        return 0;
      }
      const stored = u8[2] === 0x43 ? readCommitted(u8) : undefined;
      const m = stored ? stored.model : decodeZkm(u8);
      // a zero-knowledge .zkc: its receipts' figure is the zk back end's, for its opening budget
      const zkOpenings = stored?.zk?.openings;
      const info = new Map(m.tensors.map((t) => [t.name, t]));
      const consts = Object.values(m.consts).reduce((s, c) => s + c.data.length, 0);
      const params = m.layers.reduce((s, l) => s + paramCount(l), 0) + consts;
      const rows = m.layers.map((l) => ({ name: l.name, op: l.op, kind: l.kind, dims: info.get(l.output)!.dims, exp: info.get(l.output)!.exp, params: paramCount(l), bound: l.bound }));
      const sec = zkOpenings !== undefined ? zkModelSecurity(m, zkOpenings) : modelSecurity(m);
      const budget = stored?.zk && zkBudgetOf(m, stored.zk);
      if (a.flags.has('--json')) {
        const security = 'security' in sec ? { securityBits: sec.security.bits, security: securityJson(sec.security) } : { security: { error: sec.error } };
        console.log(JSON.stringify({ name: m.name, version: m.version, opset: m.opset, inputs: m.inputs, outputs: m.outputs, params, layers: rows, ...security, ...(stored && { zeroKnowledge: budget ?? false }) }));
        return 0;
      }
      console.log(`${src}: zkm v${m.version}, graph '${m.name}', opset ${m.opset}, source ${m.meta.source || '-'}, margin ${m.meta.margin}`);
      for (const i of m.inputs) console.log(`  input  ${i.name} [${i.dims.join('×')}] int8, scale 2^-${i.exp}`);
      for (const o of m.outputs) console.log(`  output ${o.name} [${o.dims.join('×')}] scale 2^-${o.exp}`);
      console.log(`  ${m.layers.length} layers, ${params} parameters (int8 weights, wide biases and constants)`);
      console.log(`  ${'security' in sec ? securityLine(sec.security) : `security: not available (${sec.error})`}`);
      if (budget) {
        console.log(`  zero knowledge: ${budget.rootReceiptsLeft} of ${budget.openings} openings left on this parameter commitment (${budget.revealedColumns} of its k = ${budget.k} hidden columns revealed, t = ${budget.t} per opening)`);
        console.log(`  renewal tree: ${budget.tree.length} commitment(s), ${budget.receiptsServed}${budget.receiptsServedExact ? '' : '+'} receipt(s) served, ${budget.receiptsLeft} more receipt(s) at maximum depth ${budget.maxDepth}`);
        for (const n of budget.tree) {
          if (n.node === 0 && budget.tree.length === 1) break;
          const name = n.root === null ? 'root (model ID)' : `${n.root.slice(0, 16)}…`;
          console.log(`    ${'  '.repeat(n.depth)}${n.node === 0 ? '' : `#${n.node} ← #${n.parent}: `}${name}: ${n.openingsLeft} opening(s) left (${n.revealed} columns revealed), ${n.servesReceipts ? 'serves receipts' : 'renews'}`);
        }
      }
      else if (stored) console.log('  clear receipts (committed with --no-zk): not zero knowledge');
      console.log('');
      console.log(`  ${'layer'.padEnd(34)} ${'op'.padEnd(18)} ${'kind'.padEnd(8)} ${'shape'.padEnd(16)} ${'scale'.padEnd(7)} ${'params'.padStart(8)}  bound/p`);
      for (const r of rows) {
        console.log(`  ${r.name.slice(0, 34).padEnd(34)} ${r.op.padEnd(18)} ${r.kind.padEnd(8)} ${r.dims.join('×').padEnd(16)} ${`2^-${r.exp}`.padEnd(7)} ${String(r.params).padStart(8)}  ${(r.bound / P).toExponential(1)}`);
      }
      return 0;
    }),
};
