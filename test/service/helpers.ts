/** Shared set-up for the service tests: small generated models as .zkm bytes, temp dirs, JSON calls. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generatedModel, type GeneratedName } from '../../src/model/generated.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import type { QuantizedModel } from '../../src/quantize/layers.js';
import { encodeZkm } from '../../src/quantize/zkm.js';

const cache = new Map<string, { bytes: Uint8Array; model: QuantizedModel; inputs: Record<string, number[]>[] }>();

export function testModel(name: GeneratedName, inputCount = 4): { bytes: Uint8Array; model: QuantizedModel; inputs: Record<string, number[]>[] } {
  const k = `${name}/${inputCount}`;
  let m = cache.get(k);
  if (!m) {
    const g = generatedModel(name, { inputCount });
    const { model } = compileOnnx(g.onnx, g.inputs);
    m = { bytes: encodeZkm(model), model, inputs: g.inputs };
    cache.set(k, m);
  }
  return m;
}

export function tempDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `zkinfer-${tag}-`));
}

/** The built CLI (tests run from dist/test/…, the CLI is dist/src/cli/main.js). */
export const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;

export async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} with a non-JSON body: ${text.slice(0, 200)}`);
  }
  return { status: res.status, body, headers: res.headers };
}

export function postInfer(base: string, body: unknown, query = '', headers: Record<string, string> = {}) {
  return getJson(`${base}/v1/infer${query}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** Polls a job until it is done or failed (bounded). */
export async function waitDone(base: string, id: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await getJson(`${base}/v1/jobs/${id}?receipt=false`);
    if (body.status === 'done' || body.status === 'failed') return body;
    if (Date.now() > end) throw new Error(`job ${id} still ${String(body.status)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
