/**
 * The client verifies, it does not trust: against a real prover node it returns the proven
 * output; against servers that lie (garbage receipt, a receipt replayed from another input, an
 * output that differs from the receipt's, another model) it says "not verified" with the
 * reason — as a library function and as `zkinfer client infer` (exit 1).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { runQuantized } from '../../src/quantize/infer.js';
import { inferVerified } from '../../src/service/client.js';
import { startServer, type RunningServer } from '../../src/service/server.js';
import { CLI, postInfer, tempDir, testModel } from './helpers.js';

const run = promisify(execFile);

/** A fake prover node that answers with whatever `receipt`/`output` it is given. */
async function evilServer(modelId: string, info: unknown, receipt: () => Uint8Array, output: () => unknown) {
  const app = new Hono();
  const id = '11111111-2222-3333-4444-555555555555';
  app.get('/v1/model', (c) => c.json(info as Record<string, unknown>));
  app.post('/v1/infer', (c) => c.json({ jobId: id, status: 'queued' }, 202));
  app.get('/v1/jobs/:id', (c) => c.json({ jobId: id, modelId, status: 'done', output: output() }));
  app.get('/v1/jobs/:id/receipt', (c) => c.body(receipt() as Uint8Array<ArrayBuffer>));
  const s = await new Promise<ReturnType<typeof serve>>((r) => {
    const x = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => r(x));
  });
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => s.close(() => r())) };
}

describe('client', () => {
  const m = testModel('mlp-tiny');
  let srv: RunningServer;
  let info: Record<string, unknown>;
  let honest: { receipt: Uint8Array; output: unknown };
  before(async () => {
    srv = await startServer({ modelBytes: m.bytes, dataDir: tempDir('client'), port: 0, workers: 1 });
    info = (await (await fetch(`${srv.url}/v1/model`)).json()) as Record<string, unknown>;
    const r = await postInfer(srv.url, { input: m.inputs[0] }, '?wait=true');
    honest = { receipt: new Uint8Array(Buffer.from(String(r.body.receipt), 'base64')), output: r.body.output };
  });
  after(() => srv.close(5000));

  test('an honest node: verified, with the proven output', async () => {
    const r = await inferVerified({ url: srv.url, modelId: srv.modelId, input: { input: m.inputs[1].input } });
    assert.ok(r.verified, r.verified ? '' : r.reason);
    assert.deepEqual(Array.from(r.outputs[0].values), Array.from(runQuantized(m.model, m.inputs[1]).outputs[0].values));
  });

  test('pinning another model ID: not verified', async () => {
    const r = await inferVerified({ url: srv.url, modelId: 'cd'.repeat(32), input: { input: m.inputs[1].input } });
    assert.equal(r.verified, false);
    assert.match(r.verified ? '' : r.reason, /serves model [0-9a-f]{64}, not the pinned model cdcd/);
  });

  const lies: [string, (h: { receipt: Uint8Array; output: unknown }) => { receipt: Uint8Array; output: unknown }, RegExp][] = [
    ['garbage receipt bytes', (h) => ({ receipt: new Uint8Array(5000).fill(7), output: h.output }), /does not verify: MalformedReceipt/],
    ['an empty receipt', (h) => ({ receipt: new Uint8Array(0), output: h.output }), /does not verify/],
    ['a truncated receipt', (h) => ({ receipt: h.receipt.subarray(0, h.receipt.length - 100), output: h.output }), /does not verify/],
    ['a receipt replayed from another input', (h) => h, /does not verify: InputMismatch/],
    [
      'a JSON output that differs from the receipt',
      (h) => ({ receipt: h.receipt, output: (h.output as { name: string; values: number[] }[]).map((o) => ({ ...o, values: o.values.map((v, i) => (i === 0 ? v + 1 : v)) })) }),
      /JSON output 'logits' differs/,
    ],
  ];
  for (const [what, lie, reason] of lies) {
    test(`a lying node (${what}): not verified`, async () => {
      const l = lie(honest);
      const evil = await evilServer(srv.modelId, info, () => l.receipt, () => l.output);
      try {
        // the honest receipt is for inputs[0]; asking for inputs[0] only passes when nothing else is wrong
        const input = what.includes('replayed') ? m.inputs[2].input : m.inputs[0].input;
        const r = await inferVerified({ url: evil.url, modelId: srv.modelId, input: { input } });
        assert.equal(r.verified, false);
        assert.match(r.verified ? '' : r.reason, reason);
      } finally {
        await evil.close();
      }
    });
  }

  test('the evil server answers the honest receipt for the same input: verified (the lies above are what fail)', async () => {
    const evil = await evilServer(srv.modelId, info, () => honest.receipt, () => honest.output);
    try {
      const r = await inferVerified({ url: evil.url, modelId: srv.modelId, input: { input: m.inputs[0].input } });
      assert.ok(r.verified);
    } finally {
      await evil.close();
    }
  });

  test('zkinfer client infer: VERIFIED and exit 0; NOT VERIFIED and exit 1', async () => {
    const dir = tempDir('client-cli');
    const inp = path.join(dir, 'input.json');
    fs.writeFileSync(inp, JSON.stringify({ input: m.inputs[0].input }));
    const ok = await run(process.execPath, [CLI, 'client', 'infer', '--url', srv.url, '--model-id', srv.modelId, '--input', inp, '-o', path.join(dir, 'r.zkr'), '--quiet']);
    assert.match(ok.stdout, /^logits \[1×10\]: /m);
    assert.match(ok.stdout, /VERIFIED: the receipt proves this output/);
    assert.ok(fs.statSync(path.join(dir, 'r.zkr')).size > 1000);

    const evil = await evilServer(srv.modelId, info, () => new Uint8Array(100), () => honest.output);
    try {
      await assert.rejects(run(process.execPath, [CLI, 'client', 'infer', '--url', evil.url, '--model-id', srv.modelId, '--input', inp, '--json']), (e: { code: number; stdout: string }) => {
        assert.equal(e.code, 1);
        const j = JSON.parse(e.stdout) as { verified: boolean; reason: string };
        assert.equal(j.verified, false);
        assert.match(j.reason, /does not verify/);
        return true;
      });
    } finally {
      await evil.close();
    }
    // an unreachable server is an error with a message, not a crash
    await assert.rejects(run(process.execPath, [CLI, 'client', 'infer', '--url', 'http://127.0.0.1:1', '--model-id', srv.modelId, '--input', inp]), (e: { code: number; stderr: string }) => e.code === 1 && /cannot reach/.test(e.stderr));
  });
});
