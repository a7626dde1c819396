/**
 * `zkinfer client infer --url URL --model-id ID --input input.json`: asks a prover node for an
 * inference and verifies its receipt locally against the pinned model ID and the input sent.
 * Exit 0 only when the receipt verifies; 1 with the reason otherwise.
 */
import type { Command } from '../command.js';
import { guard, parseArgs } from '../args.js';
import { readFileOrFail, writeFileOrFail } from '../files.js';
import { inferVerified } from '../../service/client.js';

const HELP = `Usage: zkinfer client infer --url <http://host:8080> --model-id <64 hex> --input <input.json>
                          [-o receipt.zkr] [--timeout SECONDS] [--json] [--quiet]

Submits the input, waits for the proof, verifies the receipt locally against the pinned model
ID and the input, and prints the proven output with a verdict (exit 1 when not verified).
Inputs: {"name": [...]} (nested or flat) or EZKL's {"input_data": [[...]]}.`;

export const clientCommand: Command = {
  name: 'client',
  summary: 'ask a prover node for a verified inference (client infer)',
  run: (args) =>
    guard('client', async () => {
      if (args.includes('--help') || args.includes('-h') || args[0] !== 'infer') {
        console.log(HELP);
        return args.includes('--help') || args.includes('-h') ? 0 : 2;
      }
      const a = parseArgs(args.slice(1), ['--url', '--model-id', '--input', '-o', '--timeout'], ['--json', '--quiet']);
      const url = a.opts.get('--url')?.[0];
      const modelId = a.opts.get('--model-id')?.[0];
      const inp = a.opts.get('--input')?.[0];
      if (!url || !modelId || !inp || a.pos.length > 0) {
        console.error(HELP);
        return 2;
      }
      let input: unknown;
      try {
        input = JSON.parse(new TextDecoder().decode(readFileOrFail(inp, 'input')));
      } catch (e) {
        throw new Error(`input file '${inp}' is not valid JSON: ${(e as Error).message}`);
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error(`input file '${inp}' must hold a JSON object`);
      const t = a.opts.get('--timeout')?.[0];
      const timeoutMs = t === undefined ? undefined : Number(t) * 1000;
      if (timeoutMs !== undefined && !(timeoutMs > 0)) throw new Error(`--timeout must be a positive number of seconds, got '${t}'`);
      const quiet = a.flags.has('--quiet') || a.flags.has('--json');
      let last = '';
      const r = await inferVerified({
        url,
        modelId,
        input: input as Record<string, unknown>,
        timeoutMs,
        onStatus: (s, f) => {
          const line = `${s} ${(f * 100).toFixed(0)}%`;
          if (!quiet && line !== last) process.stderr.write(`  ${line}\n`);
          last = line;
        },
      });
      const out = a.opts.get('-o')?.[0];
      if (out && r.receipt) writeFileOrFail(out, r.receipt, 'receipt');
      if (a.flags.has('--json')) {
        console.log(JSON.stringify(r.verified ? { verified: true, jobId: r.jobId, modelId: r.modelId, outputs: Object.fromEntries(r.outputs.map((o) => [o.name, Array.from(o.values)])) } : { verified: false, jobId: r.jobId, reason: r.reason }));
        return r.verified ? 0 : 1;
      }
      if (!r.verified) {
        console.log(`NOT VERIFIED${r.jobId ? ` (job ${r.jobId})` : ''}: ${r.reason}`);
        return 1;
      }
      for (const o of r.outputs) console.log(`${o.name} [${o.dims.join('×')}]: ${Array.from(o.values).map((v) => +v.toPrecision(6)).join(' ')}`);
      console.log(`VERIFIED: the receipt proves this output for model ${r.modelId} on your input (job ${r.jobId}${out ? `, receipt → ${out}` : ''})`);
      return 0;
    }),
};
