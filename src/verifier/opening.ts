/**
 * The opening file of a receipt with committed tensors (`circuit/zk-io.ts`): what the prover hands
 * the requester — and no one else — so the requester can check that the receipt's io commitment
 * holds its input (and the outputs it was given), with `verifyReceipt(…, { opening })` or
 * `zkinfer verify --opening`. It reveals everything the receipt hides about those tensors.
 *
 *   { "format": "zkinfer opening", "version": 1, "modelId": "<hex>", "seed": "<64 hex digits>",
 *     "values": { "<tensor>": [integers, row-major], … } }
 *
 * The values are the quantized integers the receipt binds (what `prove` computed from the float
 * input), so checking an opening needs no float input.
 */
import type { ZkIoOpening } from '../circuit/zk-io.js';
import { fromHex, toHex } from '../util/bytes.js';

export const OPENING_FORMAT = 'zkinfer opening';

/** The opening as its JSON text. */
export function openingJson(modelId: string, o: ZkIoOpening): string {
  return JSON.stringify({ format: OPENING_FORMAT, version: 1, modelId, seed: toHex(o.seed), values: Object.fromEntries([...o.values].map(([k, v]) => [k, Array.from(v)])) });
}

/** Parses an opening file; throws an Error that says what is wrong (`what` names the file). */
export function parseOpening(text: string, what = 'opening'): { modelId: string; opening: ZkIoOpening } {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new Error(`${what}: not JSON (${(e as Error).message})`);
  }
  const o = j as { format?: unknown; version?: unknown; modelId?: unknown; seed?: unknown; values?: unknown };
  if (!o || typeof o !== 'object' || o.format !== OPENING_FORMAT) throw new Error(`${what}: not a zkinfer opening (expected "format": "${OPENING_FORMAT}")`);
  if (o.version !== 1) throw new Error(`${what}: opening version ${String(o.version)} is not supported (this verifier reads version 1)`);
  if (typeof o.modelId !== 'string' || !/^[0-9a-f]{64}$/.test(o.modelId)) throw new Error(`${what}: expected "modelId" as 64 hex digits`);
  if (typeof o.seed !== 'string' || !/^[0-9a-f]{64}$/.test(o.seed)) throw new Error(`${what}: expected "seed" as 64 hex digits`);
  if (!o.values || typeof o.values !== 'object' || Array.isArray(o.values)) throw new Error(`${what}: expected "values" as an object {tensor: [integers]}`);
  const values = new Map<string, Int32Array>();
  for (const [k, v] of Object.entries(o.values as Record<string, unknown>)) {
    if (!Array.isArray(v)) throw new Error(`${what}: values of '${k}': expected a list of integers`);
    const bad = v.findIndex((x) => !Number.isSafeInteger(x) || Math.abs(x as number) > 2 ** 31 - 1);
    if (bad >= 0) throw new Error(`${what}: values of '${k}': entry ${bad} (${JSON.stringify(v[bad])}) is not a 32-bit integer`);
    values.set(k, Int32Array.from(v as number[]));
  }
  return { modelId: o.modelId, opening: { seed: fromHex(o.seed), values } };
}
