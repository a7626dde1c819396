/**
 * The security profile option of the model commands (`--security 100 | 128`) and the lines that
 * report a model's composed security figure (`circuit/security.ts`; a zero-knowledge model's,
 * `verifier/zk-security.ts`) in compile, commit, prove and inspect.
 */
import { receiptDepthOf } from '../prover/zk-tree.js';
import { buildCircuit, type Circuit } from '../circuit/circuit.js';
import { describeModel } from '../circuit/description.js';
import { assertProfileAvailable, largestTerms, receiptSecurity, type ReceiptSecurity } from '../circuit/security.js';
import { ModelError } from '../model/errors.js';
import { zkCommitmentCode, type CommittedModel } from '../prover/commit.js';
import { zkReceiptSecurity } from '../verifier/zk-security.js';
import { DEFAULT_SECURITY_PROFILE, profileConfig, SECURITY_PROFILES } from '../pcs/params.js';
import type { QuantizedModel } from '../quantize/layers.js';
import type { Parsed } from './args.js';

export const SECURITY_HELP = `  --security   composed security target of every receipt: ${SECURITY_PROFILES.join(' or ')} bits (default ${DEFAULT_SECURITY_PROFILE}; 128 needs the quintic extension, not in this build)`;

/** The `--security` option: a profile's target bits; refuses one this build cannot serve, with the reason. */
export function securityOption(a: Parsed, model?: QuantizedModel): number {
  const raw = a.opts.get('--security')?.[0];
  const bits = raw === undefined ? DEFAULT_SECURITY_PROFILE : Number(raw);
  if (!(SECURITY_PROFILES as readonly number[]).includes(bits)) throw new ModelError('BadInput', `--security must be one of ${SECURITY_PROFILES.join(', ')}, got '${raw}'`);
  assertProfileAvailable(bits, model ? circuitOf(model) : undefined);
  return bits;
}

function circuitOf(model: QuantizedModel): Circuit | undefined {
  try {
    return buildCircuit(describeModel(model).description);
  } catch {
    return undefined; // a model the prover refuses: the profile error goes without its figures
  }
}

/** The composed figure of a model's receipts under a profile, or why there is none. */
export function modelSecurity(model: QuantizedModel, bits: number = DEFAULT_SECURITY_PROFILE): { security: ReceiptSecurity } | { error: string } {
  try {
    return { security: receiptSecurity(buildCircuit(describeModel(model).description), profileConfig(bits)) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/**
 * The composed figure of a committed model's receipts: the zero-knowledge back end's for a zk
 * commitment (`verifier/zk-security.ts`, from its parameter code, for receipts at renewal depth
 * `depth`: by default the depth `zkinfer prove` proves at, `prover/zk-tree.ts`), else the clear one.
 */
export function committedSecurity(cm: CommittedModel, depth?: number): ReceiptSecurity {
  if (!cm.zk) return receiptSecurity(cm.circuit, cm.pcs.config);
  // a zk receipt at renewal depth D also rests on its D links: by default, the depth `zkinfer prove` proves at
  return zkReceiptSecurity(cm.circuit, cm.zk.params, undefined, depth ?? receiptDepthOf(cm.zk.params.randomness, cm.zk.params.queries));
}

/**
 * The composed figure of a zero-knowledge model's receipts when committed for `openings` openings
 * (the code `commit --zk` chooses, `zkCommitmentCode`), at the renewal depth `zkinfer prove`
 * proves at by default, or why there is none.
 */
export function zkModelSecurity(model: QuantizedModel, openings: number): { security: ReceiptSecurity } | { error: string } {
  try {
    const c = buildCircuit(describeModel(model).description);
    const code = zkCommitmentCode(c, openings);
    return { security: zkReceiptSecurity(c, code, undefined, receiptDepthOf(code.randomness, code.queries)) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** One summary line: the figure, the target, the field cap and the largest terms. */
export function securityLine(s: ReceiptSecurity): string {
  const top = largestTerms(s, 2).map((t) => `${t.name} 2^${t.log2.toFixed(1)}`).join(', ');
  const what = 'code' in s ? 'security (zero-knowledge receipts)' : 'security';
  return `${what}: ${s.bits} composed bits (target ${s.target}${s.bits >= s.target ? ' ✓' : ' ✗'}; field terms cap it at ${s.fieldCapBits}; largest: ${top})`;
}
