/**
 * The client side of a prover node: submit an input (and a context), wait for the receipt, and
 * verify it locally against a pinned model ID, the input that was sent and the context that was
 * asked for. The output returned is the one the receipt proves, never the server's say-so; any
 * disagreement, a receipt that does not verify, or a receipt for another model, input or
 * context gives `verified: false` with the reason.
 *
 * The context (`context`: bytes, or a string as UTF-8; at most 1024 bytes) is sent as
 * `contextHex` and then required of the receipt byte for byte; without one, the receipt must
 * carry the empty context (a receipt bound to someone else's context is refused, not ignored).
 * `headers` go with every request (e.g. `Authorization` for the gateway in front of the node,
 * which also scopes idempotency keys); an `Idempotency-Key` among them replaces the client's
 * random one, `Content-Type` is the client's own. Header values never appear in an error
 * message. Uses only `fetch` and the verifier, so it also runs in a browser.
 *
 * Private inputs (`privateInputs`, a zero-knowledge model): the client draws a fresh secret seed,
 * asks the node to commit those inputs under it (`"private"`, `validate.ts`), and checks the
 * receipt with the opening it holds itself — the seed and its own input — so the receipt it
 * returns can be handed to anyone without revealing those inputs. The seed is returned with the
 * result (`opening`): it is what opens the receipt's commitment, keep it as secret as the input.
 */
import { contextBytes } from '../circuit/session.js';
import { decodeDescription } from '../circuit/description.js';
import type { ZkIoOpening } from '../circuit/zk-io.js';
import { quantizeInputValues } from '../quantize/input.js';
import { toHex } from '../util/bytes.js';
import { decodeReceipt } from '../verifier/receipt.js';
import { verifyReceipt, type VerifiedOutput } from '../verifier/verify.js';

export interface InferOptions {
  /** base URL of the prover node, e.g. http://127.0.0.1:8080 */
  url: string;
  /** the model ID the caller trusts (64 hex digits) */
  modelId: string;
  /** `{"<input name>": nested or flat array}` or EZKL's `{"input_data": [[…]]}` */
  input: Record<string, unknown>;
  /**
   * the public context the receipt must be bound to (bytes, or a string as UTF-8; ≤ 1024
   * bytes): sent with the request and required of the receipt. Absent: the empty context.
   */
  context?: Uint8Array | string;
  /**
   * extra HTTP headers for every request (e.g. `{ Authorization: 'Bearer …' }`): `checkHeaders`.
   * An `Idempotency-Key` replaces the client's random one; `Content-Type` is refused.
   */
  headers?: Record<string, string>;
  /** give up after this long (default 10 minutes) */
  timeoutMs?: number;
  onStatus?: (status: string, fraction: number) => void;
  /**
   * inputs the receipt must keep private (a zero-knowledge model): `true` for every input, or
   * their names. The receipt then carries a commitment to them, checked here with the opening.
   */
  privateInputs?: true | string[];
}

export type InferResult =
  | { verified: true; jobId: string; modelId: string; outputs: VerifiedOutput[]; context: Uint8Array; receipt: Uint8Array; serverTimings?: unknown; opening?: ZkIoOpening }
  | { verified: false; jobId?: string; reason: string; receipt?: Uint8Array };

/** The largest receipt the client accepts from a server. */
const MAX_RECEIPT_BYTES = 64 << 20;

class ClientError extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function call(url: string, init: RequestInit, what: string): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    throw new ClientError(`${what}: cannot reach ${url}: ${(e as Error).message}${(e as { cause?: Error }).cause ? ` (${(e as { cause: Error }).cause.message})` : ''}`);
  }
}

async function json(res: Response, what: string): Promise<Record<string, unknown>> {
  const text = await res.text();
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    throw new ClientError(`${what}: the server answered ${res.status} with a body that is not JSON: ${text.slice(0, 120)}`);
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new ClientError(`${what}: the server answered ${res.status} with unexpected JSON`);
  const o = j as Record<string, unknown>;
  if (!res.ok && res.status !== 429) throw new ClientError(`${what}: the server answered ${res.status}: ${typeof o.error === 'string' ? o.error : text.slice(0, 200)}`);
  return o;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Checks the caller's extra headers: names are HTTP tokens given once (case-insensitively),
 * values are printable ASCII (spaces and tabs allowed; no line breaks or other control
 * characters), `Content-Type` is the client's. Returns them with lower-case names and trimmed
 * values. Messages name a valid header name, never a value (it may be a credential), and an
 * invalid name only by its position (it may be a value given without its name).
 */
export function checkHeaders(h: Record<string, string> | undefined): Record<string, string> {
  if (h === undefined) return {};
  if (typeof h !== 'object' || h === null || Array.isArray(h)) throw new ClientError(`headers: expected an object {name: value}, got ${Array.isArray(h) ? 'an array' : h === null ? 'null' : typeof h}`);
  const seen = new Set<string>();
  const out: Record<string, string> = {};
  for (const [k, [name, value]] of Object.entries(h).entries()) {
    if (!TOKEN.test(name)) throw new ClientError(`headers: the name of header ${k + 1} is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_\`|~ only)`);
    const lower = name.toLowerCase();
    if (seen.has(lower)) throw new ClientError(`headers: '${name}' is given more than once`);
    seen.add(lower);
    if (lower === 'content-type') throw new ClientError(`headers: 'Content-Type' is set by the client (application/json)`);
    if (typeof value !== 'string') throw new ClientError(`headers: the value of '${name}' must be a string, got ${value === null ? 'null' : typeof value}`);
    if (!/^[\t\x20-\x7e]*$/.test(value)) throw new ClientError(`headers: the value of '${name}' must be printable ASCII (no line breaks or other control characters)`);
    out[lower] = value.trim();
  }
  return out;
}

function flatten(v: unknown, out: number[]): void {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else out.push(typeof v === 'number' ? v : NaN);
}

/** Flat arrays per input name, in the model's input order, from either input form. */
export function flatInputs(input: Record<string, unknown>, names: string[]): Record<string, number[]> {
  const res: Record<string, number[]> = {};
  const data = input.input_data;
  names.forEach((n, k) => {
    const a: number[] = [];
    flatten(Array.isArray(data) ? data[k] : input[n], a);
    res[n] = a;
  });
  return res;
}

/** Submits `input`, waits for the receipt, verifies it. Throws only on transport/server errors. */
export async function inferVerified(o: InferOptions): Promise<InferResult> {
  const base = o.url.replace(/\/+$/, '');
  const deadline = Date.now() + (o.timeoutMs ?? 600_000);
  const pinned = o.modelId.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(pinned)) throw new ClientError(`the pinned model ID must be 64 hex digits, got '${o.modelId}'`);
  let context: Uint8Array;
  try {
    context = contextBytes(o.context);
  } catch (e) {
    throw new ClientError((e as Error).message);
  }
  const extra = checkHeaders(o.headers);
  const get: RequestInit = { headers: extra };

  const info = await json(await call(`${base}/v1/model`, get, 'GET /v1/model'), 'GET /v1/model');
  if (info.modelId !== pinned) return { verified: false, reason: `the server serves model ${String(info.modelId)}, not the pinned model ${pinned}` };
  const names = Array.isArray(info.inputs) ? info.inputs.map((i) => String((i as { name?: unknown }).name)) : [];
  let priv: { inputs: string[]; seed: Uint8Array } | undefined;
  if (o.privateInputs !== undefined) {
    const want = o.privateInputs === true ? names : o.privateInputs;
    const unknown = Array.isArray(want) ? want.filter((n) => !names.includes(n)) : [];
    if (!Array.isArray(want) || want.length === 0 || unknown.length > 0) throw new ClientError(`privateInputs: expected true or names of the model's inputs (${names.join(', ')})${unknown.length ? `, got ${unknown.map((n) => `'${n}'`).join(', ')}` : ''}`);
    priv = { inputs: names.filter((n) => want.includes(n)), seed: globalThis.crypto.getRandomValues(new Uint8Array(32)) };
  }

  // submit (an idempotency key makes the retries after 429 or a dropped connection safe)
  const headers = { 'idempotency-key': globalThis.crypto.randomUUID(), ...extra, 'content-type': 'application/json' };
  const request = JSON.stringify({
    input: o.input,
    ...(context.length > 0 ? { contextHex: toHex(context) } : {}),
    ...(priv ? { private: { inputs: priv.inputs, seedHex: toHex(priv.seed) } } : {}),
  });
  let jobId: string | undefined;
  while (!jobId) {
    const res = await call(`${base}/v1/infer`, { method: 'POST', headers, body: request }, 'POST /v1/infer');
    const body = await json(res, 'POST /v1/infer');
    if (res.status === 429) {
      const wait = Math.max(1, Number(res.headers.get('retry-after')) || 1) * 1000;
      if (Date.now() + wait > deadline) throw new ClientError(`the server's queue stayed full until the timeout: ${String(body.error)}`);
      o.onStatus?.('queue full, retrying', 0);
      await sleep(wait);
      continue;
    }
    if (typeof body.jobId !== 'string') throw new ClientError('POST /v1/infer: the answer has no jobId');
    jobId = body.jobId;
  }

  // wait
  let job: Record<string, unknown>;
  for (let delay = 25; ; delay = Math.min(1000, delay * 1.5)) {
    job = await json(await call(`${base}/v1/jobs/${jobId}?receipt=false`, get, 'GET /v1/jobs/:id'), `GET /v1/jobs/${jobId}`);
    const p = job.progress as { fraction?: number } | undefined;
    o.onStatus?.(String(job.status), typeof p?.fraction === 'number' ? p.fraction : 0);
    if (job.status === 'done') break;
    if (job.status === 'failed') return { verified: false, jobId, reason: `the server could not prove this input: ${String(job.error)}` };
    if (Date.now() + delay > deadline) throw new ClientError(`job ${jobId} is still ${String(job.status)} at the timeout`);
    await sleep(delay);
  }

  // fetch and verify the receipt
  const res = await call(`${base}/v1/jobs/${jobId}/receipt`, get, 'GET receipt');
  if (!res.ok) return { verified: false, jobId, reason: `the server reported the job done but its receipt is unavailable (${res.status})` };
  const len = Number(res.headers.get('content-length'));
  if (len > MAX_RECEIPT_BYTES) return { verified: false, jobId, reason: `the receipt is ${len} bytes, more than this client accepts (${MAX_RECEIPT_BYTES})` };
  const receipt = new Uint8Array(await res.arrayBuffer());
  if (receipt.length > MAX_RECEIPT_BYTES) return { verified: false, jobId, reason: `the receipt is ${receipt.length} bytes, more than this client accepts` };
  // the context asked for (or the empty one) is required: a receipt made for another is refused
  const flat = flatInputs(o.input, names);
  let opening: ZkIoOpening | undefined;
  if (priv) {
    const built = openingOf(receipt, priv, flat);
    if (typeof built === 'string') return { verified: false, jobId, reason: built, receipt };
    opening = built;
  }
  const v = verifyReceipt(receipt, pinned, flat, { context, opening });
  if (!v.ok) return { verified: false, jobId, reason: `the receipt does not verify: ${v.error.kind}: ${v.error.message}`, receipt };
  // exactly what was asked: the private inputs committed (checked through the opening), nothing else
  const committed = v.receipt.committed;
  const asked = priv?.inputs ?? [];
  if (committed ? committed.outputs.length > 0 || committed.inputs.join('\0') !== asked.join('\0') : asked.length > 0) {
    const got = committed ? [...committed.inputs, ...committed.outputs].join(', ') || 'nothing' : 'nothing';
    return { verified: false, jobId, reason: `the receipt commits ${got} instead of carrying them; this client asked for ${asked.length ? `the private inputs ${asked.join(', ')} and public outputs` : 'public inputs and outputs'}`, receipt };
  }
  const claimed = Array.isArray(job.output) ? (job.output as { name: string; values: number[] }[]) : [];
  for (const out of v.outputs) {
    const c = claimed.find((x) => x.name === out.name);
    if (c && (!Array.isArray(c.values) || c.values.length !== out.values.length || c.values.some((x, i) => x !== out.values[i]))) {
      return { verified: false, jobId, reason: `the server's JSON output '${out.name}' differs from the output its receipt proves`, receipt };
    }
  }
  return { verified: true, jobId, modelId: v.modelId, outputs: v.outputs, context: v.context, receipt, serverTimings: job.timings, ...(opening ? { opening } : {}) };
}

/**
 * The opening of a receipt's commitment to the private inputs, from the client's own seed and
 * input: the integers the prover quantized them to, by the rule of the receipt's description
 * (which the model ID pins: `verifyReceipt` checks it). A message when the receipt cannot be read
 * or the input does not quantize.
 */
function openingOf(receipt: Uint8Array, priv: { inputs: string[]; seed: Uint8Array }, flat: Record<string, number[]>): ZkIoOpening | string {
  let inputs;
  try {
    inputs = decodeDescription(decodeReceipt(receipt).description).model.inputs;
  } catch (e) {
    return `the receipt cannot be read: ${(e as Error).message}`;
  }
  const values = new Map<string, Int32Array>();
  for (const name of priv.inputs) {
    const info = inputs.find((i) => i.name === name);
    if (!info) return `the receipt's model has no input '${name}'`;
    const q = quantizeInputValues(info, flat[name], 'strict');
    if (!q.ok) return `input '${name}': ${q.problem.message}`;
    values.set(name, Int32Array.from(q.q));
  }
  return { seed: priv.seed, values };
}

export { ClientError };
