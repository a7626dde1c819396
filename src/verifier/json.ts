/**
 * The JSON view of a receipt (`zkinfer inspect out.zkr`): protocol version, zero-knowledge flag,
 * model ID, the context (`contextJson`: byte count, hex, and the UTF-8 text when the bytes decode
 * as UTF-8), every parameter (field, extension, hash, PCS rate, queries, security), the public
 * inputs and outputs (integers and dequantized values), and the sizes of each part.
 */
import { decodeDescription } from '../circuit/description.js';
import { P } from '../field/babybear.js';
import { chooseLayout, tensorSecurityBits } from '../pcs/params.js';
import { toHex } from '../util/bytes.js';
import type { Receipt } from './receipt.js';

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

export function receiptJson(rc: Receipt): Record<string, unknown> {
  let exps = new Map<string, number>();
  let layers: number | undefined;
  try {
    const d = decodeDescription(rc.description);
    exps = new Map([...d.model.inputs, ...d.model.outputs].map((t) => [t.name, t.exp]));
    layers = d.model.layers.length;
  } catch {
    // the JSON view is best effort; `verify` reports malformed descriptions
  }
  const tensor = (t: { name: string; values: Int32Array }) => {
    const e = exps.get(t.name);
    return { name: t.name, q: Array.from(t.values), ...(e !== undefined ? { scale: `2^-${e}`, values: Array.from(t.values, (v) => v * 2 ** -e) } : {}) };
  };
  const cfg = rc.pcs;
  const example = chooseLayout(20, cfg);
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
      targetSecurityBits: cfg.securityBits,
      mergedProximityTest: cfg.merged,
      maxLogCodeword: cfg.maxLogCodeword,
      queriesAt2e20: example.numQueries,
      securityBitsAt2e20: Number(tensorSecurityBits(example.logCols, example.logRows, example.logBlowup, example.numQueries).toFixed(2)),
    },
    layers,
    inputs: rc.inputs.map(tensor),
    outputs: rc.outputs.map(tensor),
    sizes: {
      description: rc.description.length,
      parameterRangeProof: rc.paramRange.length,
      proof: rc.proof.length,
    },
  };
}
