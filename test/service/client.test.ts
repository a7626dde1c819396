/**
 * The client verifies, it does not trust: against a real prover node it returns the proven
 * output; against servers that lie (garbage receipt, a receipt replayed from another input, an
 * output that differs from the receipt's, another model, a receipt made for another context or
 * for none) it says "not verified" with the reason — as a library function and as `zkinfer
 * client infer` (exit 1). The context it asks for is sent and required; its extra headers reach
 * the node on every request (the node scopes idempotency keys by the `Authorization` one).
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
import { verifyReceipt } from '../../src/verifier/verify.js';
import { commitModel } from '../../src/prover/commit.js';
import { prove } from '../../src/prover/prove.js';
import { CLI, getJson, postInfer, tempDir, testModel } from './helpers.js';

const run = promisify(execFile);

interface Seen {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** A fake prover node that answers with whatever `receipt`/`output` it is given; `seen` records the requests. */
async function evilServer(modelId: string, info: unknown, receipt: () => Uint8Array, output: () => unknown, seen: Seen[] = []) {
  const app = new Hono();
  const id = '11111111-2222-3333-4444-555555555555';
  app.use('*', async (c, next) => {
    seen.push({ method: c.req.method, path: c.req.path, headers: c.req.header(), body: c.req.method === 'POST' ? await c.req.text() : undefined });
    await next();
  });
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
  /** an honest receipt for inputs[0], made for the context 'job A' */
  let bound: { receipt: Uint8Array; output: unknown };
  before(async () => {
    srv = await startServer({ modelBytes: m.bytes, dataDir: tempDir('client'), port: 0, workers: 1 });
    info = (await (await fetch(`${srv.url}/v1/model`)).json()) as Record<string, unknown>;
    const r = await postInfer(srv.url, { input: m.inputs[0] }, '?wait=true');
    honest = { receipt: new Uint8Array(Buffer.from(String(r.body.receipt), 'base64')), output: r.body.output };
    const b = await postInfer(srv.url, { input: m.inputs[0], context: 'job A' }, '?wait=true');
    bound = { receipt: new Uint8Array(Buffer.from(String(b.body.receipt), 'base64')), output: b.body.output };
  });
  after(() => srv.close(5000));

  test('an honest node: verified, with the proven output', async () => {
    const r = await inferVerified({ url: srv.url, modelId: srv.modelId, input: { input: m.inputs[1].input } });
    assert.ok(r.verified, r.verified ? '' : r.reason);
    assert.deepEqual(Array.from(r.outputs[0].values), Array.from(runQuantized(m.model, m.inputs[1]).outputs[0].values));
  });

  test('an honest node with a context (text or bytes): verified, the receipt bound to it', async () => {
    for (const context of ['client job 1', Uint8Array.of(0, 0xff, 7)]) {
      const r = await inferVerified({ url: srv.url, modelId: srv.modelId, input: { input: m.inputs[1].input }, context });
      assert.ok(r.verified, r.verified ? '' : r.reason);
      const want = typeof context === 'string' ? new TextEncoder().encode(context) : context;
      assert.deepEqual(r.context, want);
      assert.ok(verifyReceipt(r.receipt, srv.modelId, m.inputs[1], { context: want }).ok);
      assert.deepEqual(((await getJson(`${srv.url}/v1/jobs/${r.jobId}?receipt=false`)).body.context as { hex: string }).hex, Buffer.from(want).toString('hex'), 'the node proved the job for it');
    }
  });

  const contextLies: [string, () => Uint8Array, string | undefined, RegExp][] = [
    ['a receipt made for another context', () => bound.receipt, 'job B', /does not verify: ContextMismatch: the receipt was made for "job A", not the expected "job B"/],
    ['a receipt made for no context', () => honest.receipt, 'job B', /does not verify: ContextMismatch: the receipt was made for the empty context, not the expected "job B"/],
    ['a receipt bound to a context the client did not ask for', () => bound.receipt, undefined, /does not verify: ContextMismatch: the receipt was made for "job A", not the expected the empty context/],
  ];
  for (const [what, receipt, context, reason] of contextLies) {
    test(`a node that answers ${what}: not verified`, async () => {
      const seen: Seen[] = [];
      const evil = await evilServer(srv.modelId, info, receipt, () => honest.output, seen);
      try {
        const r = await inferVerified({ url: evil.url, modelId: srv.modelId, input: { input: m.inputs[0].input }, context });
        assert.equal(r.verified, false);
        assert.match(r.verified ? '' : r.reason, reason);
        const post = seen.find((x) => x.method === 'POST')!;
        assert.deepEqual(JSON.parse(post.body!), { input: { input: m.inputs[0].input }, ...(context ? { contextHex: Buffer.from(context).toString('hex') } : {}) }, 'the context was sent');
      } finally {
        await evil.close();
      }
    });
  }

  test('a node that answers with a valid receipt committing the output instead of proving it: not verified', async () => {
    const zcm = commitModel(m.model, { zk: { openings: 2, seed: new Uint8Array(32).fill(8) } });
    const committed = prove(zcm, m.inputs[0], { committed: { outputs: true } }).receipt;
    assert.ok(verifyReceipt(committed, zcm.modelId, m.inputs[0]).ok, 'the receipt itself is valid');
    const evil = await evilServer(zcm.modelId, { ...info, modelId: zcm.modelId }, () => committed, () => honest.output);
    try {
      const r = await inferVerified({ url: evil.url, modelId: zcm.modelId, input: { input: m.inputs[0].input } });
      assert.equal(r.verified, false);
      assert.match(r.verified ? '' : r.reason, /commits .* instead of carrying them/);
    } finally {
      await evil.close();
    }
  });

  test('headers go with every request; an Idempotency-Key among them replaces the random one', async () => {
    const seen: Seen[] = [];
    const evil = await evilServer(srv.modelId, info, () => bound.receipt, () => bound.output, seen);
    try {
      const r = await inferVerified({ url: evil.url, modelId: srv.modelId, input: { input: m.inputs[0].input }, context: 'job A', headers: { Authorization: 'Bearer alice-secret', 'X-Tenant': ' t1 ' } });
      assert.ok(r.verified, r.verified ? '' : r.reason);
      assert.deepEqual([...new Set(seen.map((x) => `${x.method} ${x.path.replace(/[0-9a-f-]{36}/, ':id')}`))], ['GET /v1/model', 'POST /v1/infer', 'GET /v1/jobs/:id', 'GET /v1/jobs/:id/receipt']);
      for (const x of seen) assert.deepEqual([x.headers.authorization, x.headers['x-tenant']], ['Bearer alice-secret', 't1'], `${x.method} ${x.path}`);
      const post = seen.find((x) => x.method === 'POST')!;
      assert.equal(post.headers['content-type'], 'application/json');
      assert.match(post.headers['idempotency-key'], /^[0-9a-f-]{36}$/, 'a random key without one given');
      seen.length = 0;
      await inferVerified({ url: evil.url, modelId: srv.modelId, input: { input: m.inputs[0].input }, context: 'job A', headers: { 'Idempotency-Key': 'mine-1' } });
      assert.equal(seen.find((x) => x.method === 'POST')!.headers['idempotency-key'], 'mine-1');
    } finally {
      await evil.close();
    }
  });

  test('bad options are errors that never quote a header value', async () => {
    const call = (o: Partial<Parameters<typeof inferVerified>[0]>) => inferVerified({ url: 'http://127.0.0.1:1', modelId: srv.modelId, input: { input: m.inputs[0].input }, ...o });
    const cases: [Partial<Parameters<typeof inferVerified>[0]>, RegExp][] = [
      [{ context: 'x'.repeat(1025) }, /context: expected at most 1024 bytes, got 1025/],
      [{ context: 5 as unknown as string }, /context: expected a Uint8Array or a string, got number/],
      [{ headers: { 'Bad Name': 'sekret-1' } }, /headers: the name of header 1 is not a valid HTTP header name/],
      [{ headers: { a: '1', 'Bearer sekret-1': '' } }, /headers: the name of header 2 is not a valid HTTP header name/],
      [{ headers: { Authorization: 'Bearer sekret-1\r\nX-Evil: 1' } }, /headers: the value of 'Authorization' must be printable ASCII \(no line breaks or other control characters\)/],
      [{ headers: { Authorization: 'sekret-1 €' } }, /the value of 'Authorization' must be printable ASCII/],
      [{ headers: { authorization: 'a', Authorization: 'sekret-1' } }, /headers: 'Authorization' is given more than once/],
      [{ headers: { 'content-type': 'text/plain' } }, /headers: 'Content-Type' is set by the client/],
      [{ headers: { Authorization: 7 as unknown as string } }, /headers: the value of 'Authorization' must be a string, got number/],
    ];
    for (const [o, msg] of cases) {
      await assert.rejects(call(o), (e: Error) => {
        assert.match(e.message, msg);
        assert.ok(!e.message.includes('sekret'), `the message quotes a value: ${e.message}`);
        return true;
      });
    }
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

  test('zkinfer client infer --context / --context-hex / --header: sent, required, and the header reaches the node', async () => {
    const dir = tempDir('client-cli-ctx');
    const inp = path.join(dir, 'input.json');
    fs.writeFileSync(inp, JSON.stringify({ input: m.inputs[2].input }));
    const base = [CLI, 'client', 'infer', '--url', srv.url, '--model-id', srv.modelId, '--input', inp];
    const auth = (who: string) => ['--header', `Authorization: Bearer ${who}-secret`];
    const ok = await run(process.execPath, [...base, '--context', 'cli job', ...auth('alice'), '--header', 'Idempotency-Key: cli-key-1', '--json']);
    const j = JSON.parse(ok.stdout) as { verified: boolean; jobId: string; context: unknown };
    assert.equal(j.verified, true);
    assert.deepEqual(j.context, { bytes: 7, hex: Buffer.from('cli job').toString('hex'), text: 'cli job' });
    assert.ok(!`${ok.stdout}${ok.stderr}`.includes('alice-secret'), 'a header value was printed');
    // the node saw the CLI's Authorization: the key is honoured in alice's scope, and only there
    const again = (who?: string, context = 'cli job') =>
      postInfer(srv.url, { input: m.inputs[2], context }, '', { 'idempotency-key': 'cli-key-1', ...(who ? { authorization: `Bearer ${who}-secret` } : {}) });
    const alice = await again('alice');
    assert.deepEqual([alice.status, alice.body.jobId, alice.body.created], [200, j.jobId, false]);
    for (const other of [await again('bob'), await again()]) {
      assert.equal(other.status, 202, 'another scope: a new job');
      assert.notEqual(other.body.jobId, j.jobId);
    }
    assert.equal((await again('alice', 'another job')).status, 422, 'the context is part of the request');

    const hex = await run(process.execPath, [...base, '--context-hex', '00ff']);
    assert.match(hex.stdout, /^context 0x00ff \(2 bytes\)$/m);
    assert.match(hex.stdout, /VERIFIED: .* bound to your context/);

    // a node whose receipt is not bound to the context asked for: exit 1 with the reason
    const evil = await evilServer(srv.modelId, info, () => honest.receipt, () => honest.output);
    try {
      fs.writeFileSync(inp, JSON.stringify({ input: m.inputs[0].input }));
      await assert.rejects(run(process.execPath, [CLI, 'client', 'infer', '--url', evil.url, '--model-id', srv.modelId, '--input', inp, '--context', 'mine']), (e: { code: number; stdout: string }) => {
        assert.equal(e.code, 1);
        assert.match(e.stdout, /NOT VERIFIED \(job [0-9a-f-]{36}\): the receipt does not verify: ContextMismatch: the receipt was made for the empty context, not the expected "mine"/);
        return true;
      });
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
