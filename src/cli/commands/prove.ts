/**
 * `zkinfer prove model.zkc --input input.json [--context text | --context-hex hex] -o out.zkr`:
 * integer inference plus a receipt bound to the context; prints the output, the timings of each
 * stage and the receipt size. `--private-input` / `--commit-output` (zero-knowledge models) keep
 * those tensors out of the receipt under an io commitment and write its opening (secret, 0600)
 * beside the receipt. A zero-knowledge `.zkc` is the ledger of its commitment tree
 * (`prover/zk-tree.ts`): the receipt opens the commitment the ledger admits (renewing first when
 * the current one is spent, up to `--zk-max-depth`), and the file records it before the receipt.
 */
import type { Command } from '../command.js';
import { contextOption, describeContext, guard, intOption, parseArgs, type Parsed } from '../args.js';
import { readFileOrFail, writeFileOrFail, kib } from '../files.js';
import { parseInputJson } from '../inputs.js';
import { progressReporter } from '../progress.js';
import { decodeCommitted, readCommitted, zkcWithTree, type CommittedModel } from '../../prover/commit.js';
import { prove, type ProveOptions, type ProveResult } from '../../prover/prove.js';
import { openingJson } from '../../verifier/opening.js';
import { DEFAULT_ZK_MAX_DEPTH, ZkTreeLedger } from '../../prover/zk-tree.js';
import { decodeReceipt } from '../../verifier/receipt.js';
import { holdZkc } from '../zkc-file.js';
import { contextJson, securityJson, weightsCommitmentJson, weightsCommitmentLine } from '../../verifier/json.js';
import { committedSecurity, SECURITY_HELP, securityLine, securityOption } from '../security.js';

const HELP = `Usage: zkinfer prove <model.zkc> --input <input.json> [--context <text> | --context-hex <hex>]
                     [-o out.zkr] [--private-input <names|all>] [--commit-output <names|all>]
                     [--opening <file>] [--zk-max-depth ${DEFAULT_ZK_MAX_DEPTH}] [--security 100] [--json] [--quiet]

Runs bit-exact integer inference and proves it: the receipt (out.zkr) lets anyone check
output = model(input) against the model ID with 'zkinfer verify'. <model.zkc> comes from
'zkinfer commit' (under the same --security profile). Inputs: EZKL input.json
({"input_data": [...]}) or {"name": [...]}.
--context binds the receipt to public bytes of your choice (UTF-8 text, or raw bytes with
--context-hex; at most 1024 bytes), e.g. a job ID: 'zkinfer verify --context' checks them.
--private-input and --commit-output (comma-separated names, or 'all'; zero-knowledge models)
leave those inputs/outputs out of the receipt: it binds them by a hiding commitment instead, and
its opening (the values and a fresh secret seed) goes to --opening (default <out>.opening.json,
mode 0600). Keep it for yourself: 'zkinfer verify --opening' checks it; the receipt alone
reveals nothing of those values.
A zero-knowledge .zkc records which columns of its weights commitment each receipt opened; when
the commitment it proves against is spent, prove renews it (a fresh hiding commitment with a proof
that it holds the same weights, recorded in the .zkc) and the receipt carries that renewal path.
--zk-max-depth D (default ${DEFAULT_ZK_MAX_DEPTH}) bounds the path: with b = --zk-openings (≥ 3) a model ID serves
b·(b − 1)^D receipts, each at depth D (with b ≤ 2 the root serves its b receipts itself).
${SECURITY_HELP}`;

export const proveCommand: Command = {
  name: 'prove',
  run: (args) =>
    guard('prove', () => {
      if (args.includes('--help') || args.includes('-h')) {
        console.log(HELP);
        return 0;
      }
      const a = parseArgs(args, ['--input', '-o', '--context', '--context-hex', '--security', '--private-input', '--commit-output', '--opening', '--zk-max-depth'], ['--json', '--quiet']);
      const maxDepth = a.opts.has('--zk-max-depth') ? intOption(a, '--zk-max-depth', 0, 8) : undefined;
      const context = contextOption(a);
      const src = a.pos[0];
      const inp = a.opts.get('--input')?.[0];
      if (!src || !inp) {
        console.error(HELP);
        return 2;
      }
      const out = a.opts.get('-o')?.[0] ?? 'out.zkr';
      const committed = committedOption(a);
      const openingFile = a.opts.get('--opening')?.[0] ?? `${out.replace(/\.zkr$/, '')}.opening.json`;
      const security = securityOption(a);
      const pr = progressReporter(a.flags.has('--quiet'));
      let t0 = performance.now();
      const bytes = readFileOrFail(src, 'prover data');
      // a zero-knowledge .zkc records its spent opening budget: held while proving, written back before the receipt
      const held = readCommitted(bytes).zk ? holdZkc(src) : undefined;
      try {
        const cm = decodeCommitted(bytes, { onProgress: pr.update, security });
        pr.end();
        if (committed && !cm.zk) throw new Error(`--private-input/--commit-output need a zero-knowledge model: ${src} was committed with --no-zk (a clear receipt carries every value)`);
        const loadMs = performance.now() - t0;
        const notes: string[] = [];
        const data = parseInputJson(new TextDecoder().decode(readFileOrFail(inp, 'input')), cm.model.inputs, inp, cm.model.pinned, notes);
        for (const n of notes) console.error(`note: ${n}`);
        let file = bytes;
        const ledger = cm.zk && held ? new ZkTreeLedger(cm, readCommitted(bytes).zk!, (root, children, served) => held.save((file = zkcWithTree(file, root, children, served))), { maxDepth }) : undefined;
        t0 = performance.now();
        const opts: ProveOptions = { onProgress: pr.update, context, committed };
        const res = ledger ? ledger.prove(data, opts) : prove(cm, data, opts);
        pr.end();
        // the opening first: a receipt whose opening was lost could never be checked by its requester
        if (res.opening) writeFileOrFail(openingFile, new TextEncoder().encode(openingJson(cm.modelId, res.opening)), 'opening', 0o600);
        writeFileOrFail(out, res.receipt, 'receipt');
        return report(a, cm, res, out, context, loadMs, ledger?.receiptsLeft, res.opening ? openingFile : undefined, decodeReceipt(res.receipt).renewals?.length ?? 0);
      } finally {
        held?.release();
      }
    }),
};

/** `--private-input` / `--commit-output`: names (comma-separated) or 'all'; undefined when neither is given. */
function committedOption(a: Parsed): ProveOptions['committed'] {
  const list = (flag: string): string[] | true | undefined => {
    const v = a.opts.get(flag)?.[0];
    if (v === undefined) return undefined;
    if (v === 'all') return true;
    const names = v.split(',').map((x) => x.trim());
    if (names.some((n) => n === '')) throw new Error(`${flag}: expected comma-separated tensor names or 'all', got '${v}'`);
    return names;
  };
  const inputs = list('--private-input');
  const outputs = list('--commit-output');
  return inputs === undefined && outputs === undefined ? undefined : { inputs, outputs };
}

function report(a: Parsed, cm: CommittedModel, res: ProveResult, out: string, context: Uint8Array | undefined, loadMs: number, zkLeft: number | undefined, openingFile: string | undefined, depth: number): number {
  const t = res.timings;
  const sec = committedSecurity(cm, depth);
  if (a.flags.has('--json')) {
    const weights = cm.zk ? { weightsCommitment: weightsCommitmentJson(decodeReceipt(res.receipt)) } : {};
    console.log(JSON.stringify({ modelId: cm.modelId, context: contextJson(context ?? new Uint8Array(0)), outputs: Object.fromEntries(res.outputs.map((o) => [o.name, Array.from(o.values)])), receipt: out, receiptBytes: res.receipt.length, zk: cm.zk !== undefined, ...weights, ...(openingFile && { opening: openingFile, committed: [...res.opening!.values.keys()] }), ...(zkLeft !== undefined && { zkReceiptsLeft: zkLeft }), securityBits: sec.bits, security: securityJson(sec), timings: { loadMs, ...t } }));
    return 0;
  }
  for (const o of res.outputs) console.log(`${o.name} [${o.dims.join('×')}]: ${Array.from(o.values).map((v) => +v.toPrecision(6)).join(' ')}`);
  console.log(`model ID ${cm.modelId}`);
  if (context?.length) console.log(`context ${describeContext(context)}`);
  console.log(`proved in ${t.totalMs.toFixed(0)} ms (inference ${t.inferMs.toFixed(0)}, witness ${t.witnessMs.toFixed(0)}, commit ${t.commitMs.toFixed(0)}, lookups ${t.lookupMs.toFixed(0)}, layers ${t.layersMs.toFixed(0)}, openings ${t.openMs.toFixed(0)}); prover data loaded in ${loadMs.toFixed(0)} ms`);
  console.log(`receipt ${kib(res.receipt.length)} → ${out}; ${securityLine(sec)}`);
  if (cm.zk) console.log(weightsCommitmentLine(decodeReceipt(res.receipt)));
  if (zkLeft !== undefined) console.log(`zero knowledge: this model ID serves ${zkLeft} more receipt(s) (its commitment tree is recorded in the .zkc)`);
  if (openingFile) console.log(`committed, not in the receipt: ${[...res.opening!.values.keys()].join(', ')}; opening (secret: the values and their seed) → ${openingFile}`);
  return 0;
}
