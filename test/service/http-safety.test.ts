/**
 * What a web page can make a visitor's browser send to a node on their machine: "simple"
 * cross-origin requests (`text/plain`, form encodings, no preflight). On a real loopback server:
 * such a POST carrying a valid JSON body enqueues nothing (415, counted as refused); only
 * `application/json` (optionally `; charset=utf-8`) is accepted. Every known route answers a
 * wrong method, CORS preflights included, with 405 and `Allow`, never with CORS approval.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isJsonContentType } from '../../src/service/app.js';
import { startServer, type RunningServer } from '../../src/service/server.js';
import { getJson, tempDir, testModel, waitDone } from './helpers.js';

const counter = (text: string, name: string) => Number(new RegExp(`^${name.replace(/[{}"]/g, (c) => `\\${c}`)} (\\d+)$`, 'm').exec(text)![1]);

describe('cross-origin and method safety', () => {
  const m = testModel('mlp-tiny');
  let srv: RunningServer;
  let base: string;
  const body = () => JSON.stringify({ input: m.inputs[0] });
  const accepted = async () => counter(await (await fetch(`${base}/metrics`)).text(), 'zkinfer_jobs_accepted_total');
  before(async () => {
    srv = await startServer({ modelBytes: m.bytes, dataDir: tempDir('http-safety'), port: 0, workers: 1 });
    base = srv.url;
  });
  after(() => srv.close(5000));

  test('a simple request (text/plain, form encodings, none) with a valid JSON body: 415, nothing enqueued', async () => {
    const before = await accepted();
    const jobsBefore = srv.service.store.counts();
    const refused = ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/jsonx', 'application/json; x=1', 'text/json'];
    for (const ct of refused) {
      const r = await getJson(`${base}/v1/infer?wait=true`, { method: 'POST', headers: { 'content-type': ct }, body: body() });
      assert.equal(r.status, 415, ct);
      assert.equal(r.headers.get('accept-post'), 'application/json');
      assert.match(String(r.body.error), /Content-Type must be application\/json \(optionally with '; charset=utf-8'\), got '/);
      assert.equal(r.body.jobId, undefined);
    }
    // no Content-Type at all (a body of bytes)
    const none = await getJson(`${base}/v1/infer`, { method: 'POST', body: new TextEncoder().encode(body()) });
    assert.equal(none.status, 415);
    assert.match(String(none.body.error), /got none/);
    // as a browser's form post or no-cors fetch would send them
    const form = await fetch(`${base}/v1/infer`, { method: 'POST', body: new URLSearchParams({ [body()]: '' }) });
    assert.equal(form.status, 415);
    const plain = await fetch(`${base}/v1/infer`, { method: 'POST', body: body() }); // fetch's default: text/plain;charset=UTF-8
    assert.equal(plain.status, 415);

    assert.equal(await accepted(), before, 'no job was accepted');
    assert.deepEqual(srv.service.store.counts(), jobsBefore, 'no job was stored');
    assert.equal(srv.service.queueDepth, 0);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.ok(counter(metrics, 'zkinfer_jobs_rejected_total{reason="invalid"}') >= refused.length + 3);
  });

  test('application/json, in any case, optionally with charset=utf-8: accepted', async () => {
    for (const ct of ['application/json', 'Application/JSON; charset=UTF-8', 'application/json;charset="utf-8"', 'application/json; charset=utf-8;']) {
      const r = await getJson(`${base}/v1/infer`, { method: 'POST', headers: { 'content-type': ct }, body: body() });
      assert.equal(r.status, 202, `${ct}: ${JSON.stringify(r.body)}`);
      assert.equal((await waitDone(base, String(r.body.jobId))).status, 'done');
    }
    assert.equal(isJsonContentType(undefined), false);
    assert.equal(isJsonContentType(' application/json '), true);
  });

  test('a wrong method on a known route: 405 with Allow; preflights get no CORS approval', async () => {
    const id = '00000000-0000-0000-0000-000000000000';
    const cases: [string, string, string][] = [
      ['GET', '/v1/infer', 'POST'],
      ['PUT', '/v1/infer', 'POST'],
      ['OPTIONS', '/v1/infer', 'POST'],
      ['POST', '/v1/health', 'GET, HEAD'],
      ['DELETE', '/v1/model', 'GET, HEAD'],
      ['POST', '/metrics', 'GET, HEAD'],
      ['DELETE', `/v1/jobs/${id}`, 'GET, HEAD'],
      ['POST', `/v1/jobs/${id}`, 'GET, HEAD'],
      ['PATCH', `/v1/jobs/${id}/receipt`, 'GET, HEAD'],
      ['POST', `/v1/jobs/${id}/events`, 'GET, HEAD'],
    ];
    for (const [method, p, allow] of cases) {
      const res = await fetch(`${base}${p}`, { method, headers: { origin: 'https://evil.example', 'content-type': 'text/plain', 'access-control-request-method': 'POST' }, body: method === 'GET' ? undefined : 'x' });
      assert.equal(res.status, 405, `${method} ${p}`);
      assert.equal(res.headers.get('allow'), allow, `${method} ${p}`);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
      const j = (await res.json()) as { error: string };
      assert.match(j.error, new RegExp(`does not answer ${method} \\(it answers ${allow}\\)`));
    }
    // quoted input never reads as HTML
    const reflected = await fetch(`${base}/v1/jobs/${encodeURIComponent('<script>alert(1)</script>')}`);
    assert.equal(reflected.status, 404);
    assert.equal(reflected.headers.get('content-type'), 'application/json');
    assert.equal(reflected.headers.get('x-content-type-options'), 'nosniff');
    // HEAD works where GET does; unknown routes stay 404
    assert.equal((await fetch(`${base}/v1/health`, { method: 'HEAD' })).status, 200);
    assert.equal((await fetch(`${base}/v2/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 404);
    assert.equal((await getJson(`${base}/v1/health`)).body.queued, 0);
  });
});
