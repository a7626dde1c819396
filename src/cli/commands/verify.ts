/**
 * `zkinfer verify out.zkr --model-id ID [--input input.json] [--context text | --context-hex hex]
 * [--opening out.opening.json]`: exit 0 and the verified output when the receipt is valid for that
 * model (and that input, context and opening of its committed tensors, when given); exit 1 with the
 * reason if not.
 */
import type { Command } from '../command.js';
import { contextOption, describeContext, guard, parseArgs } from '../args.js';
import { contextJson, weightsCommitmentJson, weightsCommitmentLine } from '../../verifier/json.js';
import { readFileOrFail } from '../files.js';
import { parseInputJson } from '../inputs.js';
import { decodeReceipt } from '../../verifier/receipt.js';
import { decodeDescription } from '../../circuit/description.js';
import { verifyReceipt } from '../../verifier/verify.js';
import { parseOpening } from '../../verifier/opening.js';

const HELP = `Usage: zkinfer verify <out.zkr> --model-id <ID> [--input input.json]
                      [--context <text> | --context-hex <hex>] [--opening <file>] [--json]

Checks that the receipt proves output = model(input) for the model with this ID (and, with
--input, for exactly this input; with --context, that it was made for exactly this context).
A receipt made with --private-input/--commit-output binds those tensors by a commitment:
--opening (the file 'zkinfer prove' wrote for the requester) checks that it holds exactly those
values, and shows the committed outputs; --input is then compared with the opened input.
Exit code 0 when valid, 1 (with the reason) when not.`;

export const verifyCommand: Command = {
  name: 'verify',
  run: (args) =>
    guard('verify', () => {
      if (args.includes('--help') || args.includes('-h')) {
        console.log(HELP);
        return 0;
      }
      const a = parseArgs(args, ['--model-id', '--input', '--context', '--context-hex', '--opening'], ['--json']);
      const context = contextOption(a);
      const src = a.pos[0];
      const id = a.opts.get('--model-id')?.[0];
      if (!src || !id) {
        console.error(HELP);
        return 2;
      }
      const bytes = readFileOrFail(src, 'receipt');
      let input: Record<string, number[]> | undefined;
      const inp = a.opts.get('--input')?.[0];
      if (inp) {
        let names: { name: string }[] = [];
        try {
          names = decodeDescription(decodeReceipt(bytes).description).model.inputs;
        } catch {
          // a malformed receipt is reported by verifyReceipt below
        }
        input = parseInputJson(new TextDecoder().decode(readFileOrFail(inp, 'input')), names, inp);
      }
      const openingFile = a.opts.get('--opening')?.[0];
      const parsed = openingFile ? parseOpening(new TextDecoder().decode(readFileOrFail(openingFile, 'opening')), openingFile) : undefined;
      if (parsed && parsed.modelId !== id.toLowerCase()) throw new Error(`${openingFile} is the opening of a receipt for model ${parsed.modelId}, not ${id.toLowerCase()}`);
      const opening = parsed?.opening;
      const t0 = performance.now();
      const res = verifyReceipt(bytes, id, input, { context, opening });
      const ms = performance.now() - t0;
      if (a.flags.has('--json')) {
        console.log(JSON.stringify(res.ok ? { valid: true, modelId: res.modelId, context: contextJson(res.context), ms, outputs: Object.fromEntries(res.outputs.map((o) => [o.name, Array.from(o.values)])), visibility: res.visibility, ...(res.receipt.zk ? { weightsCommitment: weightsCommitmentJson(res.receipt) } : {}) } : { valid: false, ms, error: res.error }));
        return res.ok ? 0 : 1;
      }
      if (!res.ok) {
        console.log(`INVALID receipt: ${res.error.message} [${res.error.kind}]`);
        return 1;
      }
      const given = [input ? 'the given input' : '', context ? 'the given context' : '', opening ? 'the given opening' : ''].filter(Boolean).join(' and ');
      console.log(`VALID receipt for model ${res.modelId}${given ? ` and ${given}` : ''} (verified in ${ms.toFixed(1)} ms; ${res.receipt.zk ? "zero knowledge: the parameters and activations stay hidden" : "clear: not zero knowledge"})`);
      if (res.context.length) console.log(`context ${describeContext(res.context)}`);
      if (res.receipt.zk) console.log(weightsCommitmentLine(res.receipt));
      const priv = Object.entries(res.visibility.inputs).filter(([, v]) => v === 'private').map(([k]) => k);
      const com = Object.entries(res.visibility.outputs).filter(([, v]) => v === 'committed').map(([k]) => k);
      if (priv.length) console.log(`private inputs (committed, not in the receipt): ${priv.join(', ')}${opening ? ' — opened' : ''}`);
      if (com.length) console.log(`committed outputs: ${com.join(', ')}${opening ? ' — opened, shown below' : ' (pass --opening to see and check them)'}`);
      for (const o of res.outputs) console.log(`${o.name} [${o.dims.join('×')}]: ${Array.from(o.values).map((v) => +v.toPrecision(6)).join(' ')}`);
      return 0;
    }),
};
