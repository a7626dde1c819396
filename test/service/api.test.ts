/**
 * API contract of the prover node on a real loopback server (mlp-tiny, one proving thread):
 * model description, job lifecycle, receipts (binary and base64) that verify for the input sent,
 * `?wait=true`, server-sent events, idempotency, health, metrics — and hostile requests, each
 * answered with the right 4xx and a message that says what is wrong, never a crash.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runQuantized } from '../../src/quantize/infer.js';
import { verifyReceipt } from '../../src/verifier/verify.js';
import { startServer, type RunningServer } from '../../src/service/server.js';
import { getJson, postInfer, tempDir, testModel, waitDone } from './helpers.js';

describe('prover node API', () => {
  const m = testModel('mlp-tiny');
  let srv: RunningServer;
  let base: string;
  before(async () => {
    srv = await startServer({ modelBytes: m.bytes, dataDir: tempDir('api'), port: 0, workers: 1, maxBodyBytes: 8192 });
    base = srv.url;
  });
  after(() => srv.close(5000));

  test('GET /v1/model describes the model and its ID', async () => {
    const { status, body } = await getJson(`${base}/v1/model`);
    assert.equal(status, 200);
    assert.match(String(body.modelId), /^[0-9a-f]{64}$/);
    assert.equal(body.modelId, srv.modelId);
    const inputs = body.inputs as { name: string; shape: number[]; type: string; quantization: { scale: number } }[];
    assert.deepEqual(inputs.map((i) => [i.name, i.shape, i.type]), [['input', [1, 16], 'float32']]);
    assert.equal(inputs[0].quantization.scale, 2 ** -m.model.inputs[0].exp);
    assert.deepEqual((body.outputs as { name: string }[]).map((o) => o.name), m.model.outputs.map((o) => o.name));
    assert.ok((body.parameterCount as number) > 0);
    assert.equal((body.protocol as { receiptVersion: number }).receiptVersion, 3); // 3: context, canonical decoding, parameter range proof v3
    const bits = (body.protocol as { securityBits: number }).securityBits;
    assert.ok(bits >= 100 && bits < 103, `the composed figure of this model's receipts, not one opening's target: ${bits}`);
  });

  test('POST /v1/infer → 202 {jobId}; the job finishes with a receipt that verifies for the input', async () => {
    const input = m.inputs[0];
    const r = await postInfer(base, { input });
    assert.equal(r.status, 202);
    const id = String(r.body.jobId);
    assert.equal(r.headers.get('location'), `/v1/jobs/${id}`);
    const done = await waitDone(base, id);
    assert.equal(done.status, 'done', String(done.error));
    const expected = runQuantized(m.model, input).outputs[0];
    const out = done.output as { name: string; shape: number[]; values: number[] }[];
    assert.deepEqual(out[0].values, Array.from(expected.values));
    assert.deepEqual(out[0].shape, expected.dims);
    const t = done.timings as { totalMs: number; provingMs: number; prover: { totalMs: number } };
    assert.ok(t.totalMs >= t.provingMs && t.prover.totalMs > 0);

    const bin = new Uint8Array(await (await fetch(`${base}/v1/jobs/${id}/receipt`)).arrayBuffer());
    assert.equal(bin.length, done.receiptBytes);
    const full = await getJson(`${base}/v1/jobs/${id}`);
    assert.deepEqual(Buffer.from(String(full.body.receipt), 'base64'), Buffer.from(bin));
    const v = verifyReceipt(bin, srv.modelId, input);
    assert.ok(v.ok, v.ok ? '' : v.error.message);
    assert.deepEqual(Array.from(v.outputs[0].values), out[0].values);
    // and it is bound to that input: another input is rejected
    assert.equal(verifyReceipt(bin, srv.modelId, m.inputs[1]).ok, false);
  });

  test('nested input arrays in the input shape and EZKL input_data are accepted', async () => {
    const flat = m.inputs[1].input;
    for (const input of [{ input: [flat] }, { input_data: [flat] }]) {
      const r = await postInfer(base, { input }, '?wait=true');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.status, 'done');
      const v = verifyReceipt(Buffer.from(String(r.body.receipt), 'base64'), srv.modelId, { input: flat });
      assert.ok(v.ok);
    }
  });

  test('?wait=true&timeoutMs=0 answers 202 at once; ?wait=true answers 200 with the receipt', async () => {
    const r0 = await postInfer(base, { input: m.inputs[2] }, '?wait=true&timeoutMs=0');
    assert.ok(r0.status === 202 || r0.status === 200);
    const r = await postInfer(base, { input: m.inputs[2] }, '?wait=true');
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'done');
    assert.ok(String(r.body.receipt).length > 1000);
  });

  test('GET /v1/jobs/:id/events streams status events and ends with done', async () => {
    const r = await postInfer(base, { input: m.inputs[3] });
    const res = await fetch(`${base}/v1/jobs/${String(r.body.jobId)}/events`);
    assert.equal(res.headers.get('content-type')?.split(';')[0], 'text/event-stream');
    const text = await res.text(); // the stream ends after the terminal event
    const events = [...text.matchAll(/^event: (\w+)$/gm)].map((x) => x[1]);
    assert.equal(events.at(-1), 'done', text);
    assert.ok(events.slice(0, -1).every((e) => e === 'status'));
    const last = JSON.parse(text.trim().split('\n').at(-1)!.replace(/^data: /, '')) as { status: string; output: unknown };
    assert.equal(last.status, 'done');
    assert.ok(last.output);
  });

  test('an Idempotency-Key makes a retried submission return the first job', async () => {
    const h = { 'idempotency-key': 'retry-me-1' };
    const a = await postInfer(base, { input: m.inputs[0] }, '', h);
    const b = await postInfer(base, { input: m.inputs[0] }, '', h);
    assert.equal(a.status, 202);
    assert.equal(b.status, 200);
    assert.equal(b.body.created, false);
    assert.equal(a.body.jobId, b.body.jobId);
  });

  test('health and metrics', async () => {
    const h = await getJson(`${base}/v1/health`);
    assert.equal(h.status, 200);
    assert.equal(h.body.status, 'ok');
    assert.equal(h.body.workers, 1);
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const name of ['zkinfer_queue_depth', 'zkinfer_proofs_per_second', 'zkinfer_prove_seconds{quantile="0.99"}', 'zkinfer_job_latency_seconds_count', 'zkinfer_jobs_finished_total{status="done"}']) {
      assert.ok(text.includes(name), `metrics lack ${name}`);
    }
    const done = Number(/zkinfer_jobs_finished_total\{status="done"\} (\d+)/.exec(text)![1]);
    assert.ok(done >= 5);
  });

  describe('hostile requests get a precise 4xx', () => {
    const cases: [string, string | object, number, RegExp][] = [
      ['body is not JSON', '{"input": ', 400, /not valid JSON/],
      ['NaN is not JSON', '{"input": {"input": [NaN]}}', 400, /not valid JSON/],
      ['body is an array', '[1, 2]', 400, /must be a JSON object/],
      ['missing input field', { x: 1 }, 400, /unknown field 'x'/],
      ['input is a string', { input: 'hello' }, 400, /'input' must be an object/],
      ['unknown input name', { input: { image: [] } }, 400, /unknown input 'image'.*input/],
      ['missing input', { input: {} }, 400, /missing input 'input' \(shape \[1, 16\]\)/],
      ['wrong length', { input: { input: [1, 2, 3] } }, 400, /expected 16 values \(shape \[1, 16\]\), got 3/],
      ['wrong nested shape', { input: { input: [[1, 2], [3, 4]] } }, 400, /input\.input: expected an array of 1 \(dimension 0/],
      ['string value', { input: { input: [...Array(15).fill(0), 'NaN'] } }, 400, /input\.input\[15\]: expected a number, got the string "NaN"/],
      ['null value', { input: { input: [null, ...Array(15).fill(0)] } }, 400, /input\.input\[0\]: expected a number, got null/],
      ['boolean value', { input: { input: [true, ...Array(15).fill(0)] } }, 400, /expected a number, got boolean/],
      ['infinite value', `{"input": {"input": [1e999${',0'.repeat(15)}]}}`, 422, /value at index 0 is Infinity/],
      ['value outside the calibrated range', { input: { input: [1e6, ...Array(15).fill(0)] } }, 422, /input 'input'.*outside|range/],
    ];
    for (const [what, body, status, msg] of cases) {
      test(what, async () => {
        const r = await postInfer(base, body);
        assert.equal(r.status, status, JSON.stringify(r.body));
        assert.match(String(r.body.error), msg);
      });
    }

    test('oversized body → 413 (with and without Content-Length)', async () => {
      const big = JSON.stringify({ input: { input: Array(5000).fill(0.5) } });
      const r = await postInfer(base, big);
      assert.equal(r.status, 413);
      assert.match(String(r.body.error), /larger than this server's limit of 8192 bytes/);
      const chunked = new ReadableStream({
        start(c) {
          for (let i = 0; i < 20; i++) c.enqueue(new TextEncoder().encode(big.slice(i * 1000, (i + 1) * 1000)));
          c.close();
        },
      });
      const res = await fetch(`${base}/v1/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chunked, duplex: 'half' } as RequestInit);
      assert.equal(res.status, 413);
    });

    test('bad query parameters and headers', async () => {
      assert.equal((await postInfer(base, { input: m.inputs[0] }, '?wait=maybe')).status, 400);
      assert.equal((await postInfer(base, { input: m.inputs[0] }, '?wait=true&timeoutMs=-5')).status, 400);
      assert.equal((await postInfer(base, { input: m.inputs[0] }, '', { 'idempotency-key': 'x'.repeat(300) })).status, 400);
    });

    test('unknown job, malformed job id, missing receipt, unknown route → 404', async () => {
      for (const p of ['/v1/jobs/00000000-0000-0000-0000-000000000000', '/v1/jobs/../../etc/passwd', `/v1/jobs/${'a'.repeat(5000)}`, '/v1/jobs/00000000-0000-0000-0000-000000000000/receipt', '/v1/jobs/x/events', '/v2/model']) {
        const r = await getJson(`${base}${p}`);
        assert.equal(r.status, 404, p);
        assert.equal(typeof r.body.error, 'string');
      }
    });

    test('the server is still healthy after all of that', async () => {
      assert.equal((await getJson(`${base}/v1/health`)).status, 200);
      const r = await postInfer(base, { input: m.inputs[0] }, '?wait=true');
      assert.equal(r.body.status, 'done');
    });
  });
});
