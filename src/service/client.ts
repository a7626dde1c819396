/**
 * The client side of a prover node: submit an input, wait for the receipt, and verify it
 * locally against a pinned model ID and the input that was sent. The output returned is the one
 * the receipt proves, never the server's say-so; any disagreement, a receipt that does not
 * verify, or a receipt for another model or input gives `verified: false` with the reason.
 * Uses only `fetch` and the verifier, so it also runs in a browser.
 */
import { verifyReceipt, type VerifiedOutput } from '../verifier/verify.js';

export interface InferOptions {
  /** base URL of the prover node, e.g. http://127.0.0.1:8080 */
  url: string;
  /** the model ID the caller trusts (64 hex digits) */
  modelId: string;
  /** `{"<input name>": nested or flat array}` or EZKL's `{"input_data": [[…]]}` */
  input: Record<string, unknown>;
  /** give up after this long (default 10 minutes) */
  timeoutMs?: number;
  onStatus?: (status: string, fraction: number) => void;
}

export type InferResult =
  | { verified: true; jobId: string; modelId: string; outputs: VerifiedOutput[]; receipt: Uint8Array; serverTimings?: unknown }
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

  const info = await json(await call(`${base}/v1/model`, {}, 'GET /v1/model'), 'GET /v1/model');
  if (info.modelId !== pinned) return { verified: false, reason: `the server serves model ${String(info.modelId)}, not the pinned model ${pinned}` };
  const names = Array.isArray(info.inputs) ? info.inputs.map((i) => String((i as { name?: unknown }).name)) : [];

  // submit (an idempotency key makes the retries after 429 or a dropped connection safe)
  const key = globalThis.crypto.randomUUID();
  let jobId: string | undefined;
  while (!jobId) {
    const res = await call(`${base}/v1/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify({ input: o.input }) }, 'POST /v1/infer');
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
    job = await json(await call(`${base}/v1/jobs/${jobId}?receipt=false`, {}, 'GET /v1/jobs/:id'), `GET /v1/jobs/${jobId}`);
    const p = job.progress as { fraction?: number } | undefined;
    o.onStatus?.(String(job.status), typeof p?.fraction === 'number' ? p.fraction : 0);
    if (job.status === 'done') break;
    if (job.status === 'failed') return { verified: false, jobId, reason: `the server could not prove this input: ${String(job.error)}` };
    if (Date.now() + delay > deadline) throw new ClientError(`job ${jobId} is still ${String(job.status)} at the timeout`);
    await sleep(delay);
  }

  // fetch and verify the receipt
  const res = await call(`${base}/v1/jobs/${jobId}/receipt`, {}, 'GET receipt');
  if (!res.ok) return { verified: false, jobId, reason: `the server reported the job done but its receipt is unavailable (${res.status})` };
  const len = Number(res.headers.get('content-length'));
  if (len > MAX_RECEIPT_BYTES) return { verified: false, jobId, reason: `the receipt is ${len} bytes, more than this client accepts (${MAX_RECEIPT_BYTES})` };
  const receipt = new Uint8Array(await res.arrayBuffer());
  if (receipt.length > MAX_RECEIPT_BYTES) return { verified: false, jobId, reason: `the receipt is ${receipt.length} bytes, more than this client accepts` };
  const v = verifyReceipt(receipt, pinned, flatInputs(o.input, names));
  if (!v.ok) return { verified: false, jobId, reason: `the receipt does not verify: ${v.error.kind}: ${v.error.message}`, receipt };
  const claimed = Array.isArray(job.output) ? (job.output as { name: string; values: number[] }[]) : [];
  for (const out of v.outputs) {
    const c = claimed.find((x) => x.name === out.name);
    if (c && (!Array.isArray(c.values) || c.values.length !== out.values.length || c.values.some((x, i) => x !== out.values[i]))) {
      return { verified: false, jobId, reason: `the server's JSON output '${out.name}' differs from the output its receipt proves`, receipt };
    }
  }
  return { verified: true, jobId, modelId: v.modelId, outputs: v.outputs, receipt, serverTimings: job.timings };
}

export { ClientError };
