/**
 * Request validation for `POST /v1/infer`: the body must be `{"input": …}` where `input` is
 * `{"<input name>": array}` for every model input (nested to the input's shape, or flat in
 * row-major order) or EZKL's `{"input_data": [[…], …]}`. Every value must be a JSON number in the
 * input's calibrated range. Errors are precise: which input, which index, what was expected.
 * Structural problems are 400; well-formed values the model cannot take (out of range) are 422.
 *
 * The body may also carry the receipt's context, the public bytes the proof is bound to
 * (`contextBytes`, at most 1024): `"context"`, a string (its UTF-8 bytes), or `"contextHex"`, a
 * string of hex digits (optionally `0x`-prefixed) for raw bytes — not both. A context of the
 * wrong type, too long, with a lone surrogate (JSON's `\ud800`), or bad hex is a 400 that says
 * which. Absent (or empty), the context is empty. `CONTEXT_BODY_BYTES` is the most a context can
 * add to a body (every byte written as a JSON `\u00XX` escape), for the body limit.
 *
 * A zero-knowledge model's receipt may keep inputs private (`circuit/zk-io.ts`):
 * `"private": {"inputs": ["x"] | true, "seedHex": "<64 hex digits>"}`. The receipt then carries a
 * hiding commitment to those inputs instead of their values, made from the requester's own
 * secret seed: the requester holds the opening (the seed and its input) and checks it
 * (`verifyReceipt(…, { opening })`, `zkinfer verify --opening`); the node never has to hand a
 * secret back, and whoever else gets the receipt learns nothing of those inputs. The node itself
 * sees the input, as for every job. Outputs stay public over HTTP. Refused (400) for a clear
 * model, and for a seed that is not 32 bytes of hex.
 */
import { ModelError } from '../model/errors.js';
import { sizeOf } from '../model/tensor.js';
import type { QuantizedModel } from '../quantize/layers.js';
import { quantizeInput } from '../quantize/infer.js';
import { contextBytes, MAX_CONTEXT_BYTES } from '../circuit/session.js';
import { fromHex } from '../util/bytes.js';
import type { JobRequest } from './store.js';
import type { PrivateInputs } from './idempotency.js';

/** The most bytes a context adds to a request body: `"contextHex": ` or `"context": ` and each byte as `\u00XX`. */
export const CONTEXT_BODY_BYTES = 6 * MAX_CONTEXT_BYTES + 32;

/** A validated request: one flat array per model input, and the context (empty when none was given). */
export type InferRequest = JobRequest;

export class RequestError extends Error {
  constructor(
    readonly status: 400 | 404 | 413 | 415 | 422 | 429 | 503,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const bad = (msg: string) => new RequestError(400, msg);

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 20 ? v.slice(0, 20) + '…' : v)}`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

/** Flattens `v` (flat, or nested exactly to `dims`) into `out`, with errors that name the position. */
function flattenTo(v: unknown, dims: number[], where: string, out: number[]): void {
  const n = sizeOf(dims);
  if (!Array.isArray(v)) throw bad(`${where}: expected an array of shape [${dims.join(', ')}], got ${describe(v)}`);
  const nested = dims.length > 1 && v.length > 0 && Array.isArray(v[0]);
  if (!nested) {
    if (v.length !== n) throw bad(`${where}: expected ${n} values (shape [${dims.join(', ')}]), got ${v.length}`);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x !== 'number') throw bad(`${where}[${i}]: expected a number, got ${describe(x)}`);
      out.push(x);
    }
    return;
  }
  const walk = (a: unknown, d: number, path: string) => {
    if (d === dims.length) {
      if (typeof a !== 'number') throw bad(`${path}: expected a number, got ${describe(a)}`);
      out.push(a);
      return;
    }
    if (!Array.isArray(a) || a.length !== dims[d]) {
      throw bad(`${path}: expected an array of ${dims[d]} (dimension ${d} of shape [${dims.join(', ')}]), got ${describe(a)}`);
    }
    for (let i = 0; i < a.length; i++) walk(a[i], d + 1, `${path}[${i}]`);
  };
  walk(v, 0, where);
}

/** The body's `context` or `contextHex` (at most one) as bytes; empty when neither is there. */
function contextOf(body: Record<string, unknown>): Uint8Array {
  const hasText = body.context !== undefined;
  const hasHex = body.contextHex !== undefined;
  if (hasText && hasHex) throw bad(`give either 'context' (text) or 'contextHex' (hex bytes), not both`);
  if (hasText) {
    if (typeof body.context !== 'string') throw bad(`'context' must be a string (UTF-8 text; use 'contextHex' for raw bytes), got ${describe(body.context)}`);
    return contextField(body.context, 'context');
  }
  if (hasHex) {
    const h = body.contextHex;
    if (typeof h !== 'string') throw bad(`'contextHex' must be a string of hex digits, got ${describe(h)}`);
    const digits = h.startsWith('0x') ? h.slice(2) : h;
    if (digits.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(digits)) throw bad(`'contextHex' must be an even number of hex digits (optionally after '0x'), got ${JSON.stringify(h.length > 40 ? h.slice(0, 40) + '…' : h)}`);
    if (digits.length > 2 * MAX_CONTEXT_BYTES) throw bad(`'contextHex' is ${digits.length / 2} bytes; a context is at most ${MAX_CONTEXT_BYTES} bytes`);
    return contextField(fromHex(digits), 'contextHex');
  }
  return new Uint8Array(0);
}

function contextField(v: string | Uint8Array, field: string): Uint8Array {
  try {
    return contextBytes(v);
  } catch (e) {
    const m = /lone surrogate at index (\d+)/.exec((e as Error).message);
    if (m) throw bad(`'${field}' must be well-formed text: it has a lone surrogate (an unpaired \\uD800–\\uDFFF) at index ${m[1]}`);
    const n = typeof v === 'string' ? new TextEncoder().encode(v).length : v.length;
    if (n > MAX_CONTEXT_BYTES) throw bad(`'${field}' is ${n} bytes${typeof v === 'string' ? ' as UTF-8' : ''}; a context is at most ${MAX_CONTEXT_BYTES} bytes`);
    throw bad(`'${field}': ${(e as Error).message}`);
  }
}

/**
 * Parses and checks a request body against the model's inputs; returns one flat array per input
 * and the context.
 */
export function validateInferBody(text: string, model: QuantizedModel, opts: { zk?: boolean } = {}): InferRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw bad(`request body is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad(`request body must be a JSON object {"input": …}, got ${describe(body)}`);
  const extra = Object.keys(body).filter((k) => k !== 'input' && k !== 'context' && k !== 'contextHex' && k !== 'private');
  if (extra.length > 0) throw bad(`unknown field${extra.length > 1 ? 's' : ''} ${extra.map((k) => `'${k.slice(0, 40)}'`).join(', ')} in the request body (expected 'input', and optionally 'context' or 'contextHex', 'private')`);
  const priv = privateOf((body as Record<string, unknown>).private, model, opts.zk === true);
  const context = contextOf(body as Record<string, unknown>);
  const input = (body as { input?: unknown }).input;
  if (input === undefined) throw bad(`missing field 'input' (expected {"input": {${model.inputs.map((i) => `"${i.name}": [...]`).join(', ')}}})`);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw bad(`'input' must be an object mapping input names to arrays, got ${describe(input)}`);
  const o = input as Record<string, unknown>;
  const res: Record<string, number[]> = {};
  if ('input_data' in o) {
    const d = o.input_data;
    if (Object.keys(o).length > 1) throw bad(`'input' has input_data and other keys; use one form`);
    if (!Array.isArray(d) || d.length !== model.inputs.length) throw bad(`input.input_data must be a list of ${model.inputs.length} array(s), one per model input (${model.inputs.map((i) => i.name).join(', ')})`);
    model.inputs.forEach((inp, k) => {
      const a: number[] = [];
      flattenTo(d[k], inp.dims, `input.input_data[${k}]`, a);
      res[inp.name] = a;
    });
  } else {
    const names = new Set(model.inputs.map((i) => i.name));
    const unknown = Object.keys(o).filter((k) => !names.has(k));
    if (unknown.length > 0) throw bad(`unknown input ${unknown.map((k) => `'${k}'`).join(', ')} (the model's inputs: ${[...names].join(', ')})`);
    for (const inp of model.inputs) {
      if (!(inp.name in o)) throw bad(`missing input '${inp.name}' (shape [${inp.dims.join(', ')}])`);
      const a: number[] = [];
      flattenTo(o[inp.name], inp.dims, `input.${inp.name}`, a);
      res[inp.name] = a;
    }
  }
  for (const inp of model.inputs) {
    try {
      quantizeInput(model, inp.name, res[inp.name], true);
    } catch (e) {
      if (e instanceof ModelError) throw new RequestError(422, e.message);
      throw e;
    }
  }
  return priv ? { input: res, context, private: priv } : { input: res, context };
}

/** The body's `private` field (see the header), or undefined when absent. */
function privateOf(v: unknown, model: QuantizedModel, zk: boolean): PrivateInputs | undefined {
  if (v === undefined) return undefined;
  if (!zk) throw bad(`'private' needs a zero-knowledge model: this node serves a clear one, whose receipts carry every input (serve a .zkc from 'zkinfer commit --zk')`);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`'private' must be an object {"inputs": [names] or true, "seedHex": "<64 hex digits>"}, got ${describe(v)}`);
  const o = v as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => k !== 'inputs' && k !== 'seedHex');
  if (extra.length > 0) throw bad(`unknown field${extra.length > 1 ? 's' : ''} ${extra.map((k) => `'${k.slice(0, 40)}'`).join(', ')} in 'private' (expected 'inputs' and 'seedHex'; outputs stay public over HTTP)`);
  const all = model.inputs.map((i) => i.name);
  let inputs: string[];
  if (o.inputs === true) inputs = all;
  else if (Array.isArray(o.inputs) && o.inputs.length > 0 && o.inputs.every((n) => typeof n === 'string')) {
    const unknown = o.inputs.filter((n) => !all.includes(n));
    if (unknown.length > 0) throw bad(`'private.inputs': unknown input ${unknown.map((n) => `'${String(n).slice(0, 40)}'`).join(', ')} (the model's inputs: ${all.join(', ')})`);
    inputs = all.filter((n) => (o.inputs as string[]).includes(n));
  } else throw bad(`'private.inputs' must be true or a non-empty list of input names, got ${describe(o.inputs)}`);
  const h = o.seedHex;
  if (typeof h !== 'string' || !/^[0-9a-fA-F]{64}$/.test(h)) throw bad(`'private.seedHex' must be 64 hex digits (a fresh 32-byte secret of the requester's; it and the input open the receipt's commitment), got ${typeof h === 'string' ? `${h.length} characters` : describe(h)}`); // never echo (part of) a secret
  return { inputs, seed: fromHex(h.toLowerCase()) };
}
