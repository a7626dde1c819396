/**
 * `zkinfer client infer --url URL --model-id ID --input input.json [--context text | --context-hex
 * hex] [--header 'Name: value']…`: asks a prover node for an inference bound to the context and
 * verifies its receipt locally against the pinned model ID, the input sent and that context (the
 * empty one without the flags). `--header` adds a header to every request (e.g. the gateway's
 * `Authorization`); header values are never printed. `--private-input` keeps inputs out of the
 * receipt (a zero-knowledge node) and writes the opening that ties it to them. Exit 0 only when
 * the receipt verifies; 1 with the reason otherwise.
 */
import type { Command } from '../command.js';
import { contextOption, describeContext, guard, parseArgs } from '../args.js';
import { readFileOrFail, writeFileOrFail } from '../files.js';
import { inferVerified } from '../../service/client.js';
import { contextJson } from '../../verifier/json.js';
import { openingJson } from '../../verifier/opening.js';

const HELP = `Usage: zkinfer client infer --url <http://host:8080> --model-id <64 hex> --input <input.json>
                          [--context <text> | --context-hex <hex>] [--header 'Name: value']...
                          [--private-input <names|all>] [--opening FILE]
                          [-o receipt.zkr] [--timeout SECONDS] [--json] [--quiet]

Submits the input, waits for the proof, verifies the receipt locally against the pinned model
ID and the input, and prints the proven output with a verdict (exit 1 when not verified).
Inputs: {"name": [...]} (nested or flat) or EZKL's {"input_data": [[...]]}.
--context binds the receipt to public bytes of your choice (UTF-8 text, or raw bytes with
--context-hex; at most 1024 bytes), e.g. a job ID; the receipt must carry exactly them
(without the flags: the empty context).
--header adds an HTTP header to every request, e.g. --header 'Authorization: Bearer <token>'
for the gateway in front of the node (repeatable; values are never printed). An
'Idempotency-Key' header replaces the client's random key.
--private-input (comma-separated names, or 'all'; a zero-knowledge node) keeps those inputs out of the receipt: the node commits it
under a fresh secret seed this client draws and sends, and the receipt is checked here with the
opening (the seed and your input), written to --opening (default <receipt>.opening.json, or
receipt.opening.json; mode 0600). Anyone can verify the receipt without the input; the opening
is what proves it was your input: keep it secret.`;

/**
 * `--header 'Name: value'` flags as a header object. Errors name the flag by position and a
 * header by its name, never by its value (it may be a credential).
 */
export function headerOptions(flags: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  (flags ?? []).forEach((h, k) => {
    const at = h.indexOf(':');
    const which = `--header ${k + 1}`;
    if (at < 0) throw new Error(`${which}: expected 'Name: value' (no ':' found)`);
    const name = h.slice(0, at).trim();
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw new Error(`${which}: the part before ':' is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_\`|~ only)`);
    if (seen.has(name.toLowerCase())) throw new Error(`--header: '${name}' is given more than once`);
    seen.add(name.toLowerCase());
    out[name] = h.slice(at + 1).trim();
  });
  return out;
}

export const clientCommand: Command = {
  name: 'client',
  run: (args) =>
    guard('client', async () => {
      if (args.includes('--help') || args.includes('-h') || args[0] !== 'infer') {
        console.log(HELP);
        return args.includes('--help') || args.includes('-h') ? 0 : 2;
      }
      const a = parseArgs(args.slice(1), ['--url', '--model-id', '--input', '-o', '--timeout', '--context', '--context-hex', '--header', '--private-input', '--opening'], ['--json', '--quiet']);
      const url = a.opts.get('--url')?.[0];
      const modelId = a.opts.get('--model-id')?.[0];
      const inp = a.opts.get('--input')?.[0];
      if (!url || !modelId || !inp || a.pos.length > 0) {
        console.error(HELP);
        return 2;
      }
      const context = contextOption(a);
      const headers = headerOptions(a.opts.get('--header'));
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
      const priv = a.opts.get('--private-input')?.flatMap((v) => v.split(',').map((n) => n.trim()).filter(Boolean));
      const privateInputs = priv === undefined ? undefined : priv.includes('all') ? (true as const) : priv;
      if (priv === undefined && a.opts.has('--opening')) throw new Error('--opening is written only with --private-input');
      let last = '';
      const r = await inferVerified({
        url,
        modelId,
        input: input as Record<string, unknown>,
        context,
        headers,
        timeoutMs,
        privateInputs,
        onStatus: (s, f) => {
          const line = `${s} ${(f * 100).toFixed(0)}%`;
          if (!quiet && line !== last) process.stderr.write(`  ${line}\n`);
          last = line;
        },
      });
      const out = a.opts.get('-o')?.[0];
      // the opening first: a receipt whose opening was lost could never be tied to your input
      if (r.verified && r.opening) {
        const file = a.opts.get('--opening')?.[0] ?? `${(out ?? 'receipt').replace(/\.zkr$/, '')}.opening.json`;
        writeFileOrFail(file, new TextEncoder().encode(openingJson(r.modelId, r.opening)), 'opening', 0o600);
        if (!quiet) process.stderr.write(`  opening (secret) → ${file}\n`);
      }
      if (out && r.receipt) writeFileOrFail(out, r.receipt, 'receipt');
      if (a.flags.has('--json')) {
        console.log(
          JSON.stringify(
            r.verified
              ? { verified: true, jobId: r.jobId, modelId: r.modelId, context: contextJson(r.context), outputs: Object.fromEntries(r.outputs.map((o) => [o.name, Array.from(o.values)])) }
              : { verified: false, jobId: r.jobId, reason: r.reason },
          ),
        );
        return r.verified ? 0 : 1;
      }
      if (!r.verified) {
        console.log(`NOT VERIFIED${r.jobId ? ` (job ${r.jobId})` : ''}: ${r.reason}`);
        return 1;
      }
      for (const o of r.outputs) console.log(`${o.name} [${o.dims.join('×')}]: ${Array.from(o.values).map((v) => +v.toPrecision(6)).join(' ')}`);
      if (r.context.length > 0) console.log(`context ${describeContext(r.context)}`);
      const hidden = r.opening ? ` (kept out of the receipt: ${[...r.opening.values.keys()].join(', ')})` : '';
      console.log(`VERIFIED: the receipt proves this output for model ${r.modelId} on your input${hidden}${r.context.length > 0 ? ', bound to your context' : ''} (job ${r.jobId}${out ? `, receipt → ${out}` : ''})`);
      return 0;
    }),
};
