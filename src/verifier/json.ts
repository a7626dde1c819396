/**
 * The JSON view of a receipt (`zkinfer inspect out.zkr`): protocol version, zero-knowledge flag,
 * model ID, the context (`contextJson`: byte count, hex, and the UTF-8 text when the bytes decode
 * as UTF-8), every parameter (field, extension, hash, PCS rate, queries of both openings), the
 * composed security figure `securityBits` with every term of it (`security.terms`: name, log2 ε,
 * formula, citation — `circuit/security.ts`, or `./zk-security.ts` for a zero-knowledge receipt),
 * the public inputs and outputs (integers and dequantized values), and the sizes of each part.
 */
import { readZkCommitment } from '../pcs/zk-ligero.js';
import { zkLigeroSecurity } from '../pcs/zk-ligero-params.js';
import { ByteReader } from '../util/bytes.js';
import { buildCircuit, type Circuit } from '../circuit/circuit.js';
import { decodeDescription } from '../circuit/description.js';
import { receiptSecurity, type ReceiptSecurity } from '../circuit/security.js';
import { zkReceiptSecurity } from './zk-security.js';
import { P } from '../field/babybear.js';
import { chooseLayout, DEFAULT_SECURITY_PROFILE, tensorSecurityBits, type TensorPcsConfig } from '../pcs/params.js';
import { toHex } from '../util/bytes.js';
import type { Receipt } from './receipt.js';

/**
 * The commitment a zero-knowledge receipt's proof opens: the model ID's root, or (version 5) the
 * end of its renewal path, with each child's root (`./zk-path.ts`).
 */
export function weightsCommitmentJson(rc: Receipt): { root: string; depth: number; path: string[]; opened: string } {
  const root = toHex(rc.paramCommitment.subarray(0, 32));
  const path = (rc.renewals ?? []).map((l) => toHex(l.child.subarray(0, 32)));
  return { root, depth: path.length, path, opened: path.at(-1) ?? root };
}

/** A weights-commitment line for people: "root (model ID) → child … (depth D)". */
export function weightsCommitmentLine(rc: Receipt): string {
  const w = weightsCommitmentJson(rc);
  const short = (h: string) => `${h.slice(0, 16)}…`;
  return `weights commitment: ${short(w.root)} (model ID)${w.path.map((c) => ` → ${short(c)}`).join('')} (depth ${w.depth})`;
}

/** A context for people: `{ bytes, hex, text? }`, `text` only when the bytes are valid UTF-8 (BOM kept). */
export function contextJson(context: Uint8Array): { bytes: number; hex: string; text?: string } {
  let text: string | undefined;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(context);
  } catch {
    // not UTF-8: hex only
  }
  return { bytes: context.length, hex: toHex(context), ...(text !== undefined ? { text } : {}) };
}

/**
 * What a receipt hides and reveals: every tensor's visibility, and for a zero-knowledge receipt
 * the parameter commitment's code, its opening budget and the per-proof bits of its Ligero proof
 * (docs/zero-knowledge.md). In a zero-knowledge receipt the composed `security` figure is the zk
 * back end's (`./zk-security.ts`: padded lookups, layers, range chunks and batches, and the one
 * Ligero proof's terms); `ligeroSecurityBits` is that proof's own bound for any system (M ≤ 2^32).
 */
function zkJson(rc: Receipt): Record<string, unknown> {
  const visibility = {
    inputs: Object.fromEntries([...rc.inputs.map((t) => [t.name, 'public']), ...(rc.committed?.inputs ?? []).map((n) => [n, 'private (committed: the requester holds the opening)'])]),
    outputs: Object.fromEntries([...rc.outputs.map((t) => [t.name, 'public']), ...(rc.committed?.outputs ?? []).map((n) => [n, 'committed (the requester holds the opening)'])]),
    parameters: rc.zk ? 'private (hidden)' : 'private (committed, not hidden: openings reveal linear information)',
    activations: rc.zk ? 'hidden' : 'committed, not hidden',
  };
  if (!rc.zk) return { mode: 'clear', visibility };
  try {
    const pc = readZkCommitment(new ByteReader(rc.paramCommitment));
    const p = pc.params;
    return {
      mode: 'zero knowledge',
      visibility,
      public: ['model description (layers, shapes, scales, tables)', rc.committed ? 'the public inputs and outputs (the committed ones: only their commitment)' : 'inputs and outputs', 'every size (vector lengths, rounds, queries)'],
      ...(rc.committed ? { ioCommitment: { bytes: rc.committed.commitment.length, hex: toHex(rc.committed.commitment) } } : {}),
      parameterCommitment: { logCols: p.logCols, randomness: p.randomness, logCodeword: p.logCodeword, queries: p.queries, entries: pc.length },
      weightsCommitment: weightsCommitmentJson(rc),
      weightsHiddenFor: `up to ${Math.floor(p.randomness / p.queries)} openings per parameter commitment (receipts, or renewals: a renewed commitment opens its children; docs/zero-knowledge.md §4)`,
      ligeroSecurityBits: Math.floor(zkLigeroSecurity(p).bits * 10) / 10,
    };
  } catch (e) {
    return { mode: 'zero knowledge', visibility, error: (e as Error).message };
  }
}

/**
 * The `security` object of the JSON views (receipts here, models in `zkinfer inspect`); `target`
 * is the bar it is judged against (a receipt's: what verifiers require).
 */
export function securityJson(s: ReceiptSecurity, target = s.target): Record<string, unknown> {
  return {
    bits: s.bits,
    target,
    meetsTarget: s.bits >= target,
    fieldCapBits: s.fieldCapBits,
    field: s.field,
    hashQueryBudget: s.hashQueryBudget,
    meaning: s.meaning,
    terms: s.terms.map((t) => ({ name: t.name, log2: t.log2, formula: t.formula, citation: t.citation })),
  };
}

/** The layouts of a circuit's two openings under `cfg`, as JSON. */
export function openingsJson(c: Circuit, cfg: Readonly<TensorPcsConfig>): Record<string, unknown> {
  const one = (n: number) => {
    const L = chooseLayout(n, cfg);
    return { entries: `2^${n}`, rows: `2^${L.logRows}`, columns: `2^${L.logCols}`, queries: L.numQueries, bits: Math.floor(tensorSecurityBits(L.logCols, L.logRows, L.logBlowup, L.numQueries) * 100) / 100 };
  };
  return { witness: one(c.witness.numVars), parameters: one(c.params.numVars) };
}

export function receiptJson(rc: Receipt): Record<string, unknown> {
  let exps = new Map<string, number>();
  let layers: number | undefined;
  let circuit: Circuit | undefined;
  let security: ReceiptSecurity | undefined;
  let securityError: string | undefined;
  try {
    const d = decodeDescription(rc.description);
    exps = new Map([...d.model.inputs, ...d.model.outputs].map((t) => [t.name, t.exp]));
    layers = d.model.layers.length;
    circuit = buildCircuit(d);
    // a zero-knowledge receipt's bound comes from its own back end and parameter code
    const vis = { inputs: rc.committed?.inputs ?? [], outputs: rc.committed?.outputs ?? [] };
    security = rc.zk ? zkReceiptSecurity(circuit, readZkCommitment(new ByteReader(rc.paramCommitment)).params, vis, rc.renewals?.length ?? 0) : receiptSecurity(circuit, rc.pcs);
  } catch (e) {
    // the JSON view is best effort; `verify` reports malformed descriptions
    securityError = (e as Error).message;
  }
  const tensor = (t: { name: string; values: Int32Array }) => {
    const e = exps.get(t.name);
    return { name: t.name, q: Array.from(t.values), ...(e !== undefined ? { scale: `2^-${e}`, values: Array.from(t.values, (v) => v * 2 ** -e) } : {}) };
  };
  const cfg = rc.pcs;
  let openings: Record<string, unknown> | undefined;
  try {
    if (circuit) openings = openingsJson(circuit, cfg);
  } catch {
    // an unreachable per-opening target: `security` is absent and `verify` refuses the receipt
  }
  return {
    format: 'zkinfer receipt',
    version: rc.version,
    zk: rc.zk,
    modelId: rc.modelId,
    context: contextJson(rc.context),
    parameters: {
      field: `BabyBear p = ${P}`,
      extension: 'K = F[u]/(u^4 - 11)',
      hash: 'SHA-256',
      pcs: 'tensor (Ligero/Brakedown), Reed-Solomon',
      rate: `1/${2 ** cfg.logBlowup}`,
      targetSecurityBits: DEFAULT_SECURITY_PROFILE,
      pcsOpeningTargetBits: cfg.securityBits,
      mergedProximityTest: cfg.merged,
      maxLogCodeword: cfg.maxLogCodeword,
      openings,
    },
    securityBits: security?.bits,
    zeroKnowledge: zkJson(rc),
    security: security ? securityJson(security, DEFAULT_SECURITY_PROFILE) : { error: securityError ?? 'unknown' },
    layers,
    inputs: rc.inputs.map(tensor),
    outputs: rc.outputs.map(tensor),
    sizes: {
      description: rc.description.length,
      parameterRangeProof: rc.paramRange.length,
      ...(rc.renewals ? { renewalPath: rc.renewals.reduce((s, l) => s + l.child.length + l.proof.length, 0) } : {}),
      proof: rc.proof.length,
    },
  };
}
