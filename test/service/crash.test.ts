/**
 * Crash safety: `kill -9` the server while it is proving, start it again on the same data
 * directory, and every acknowledged job completes exactly once, with a receipt that verifies.
 * Then a graceful SIGTERM with jobs still queued: they survive the restart too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { verifyReceipt } from '../../src/verifier/verify.js';
import { JobStore } from '../../src/service/store.js';
import { CLI, getJson, postInfer, tempDir, testModel, waitDone } from './helpers.js';

function startCli(zkm: string, dataDir: string): Promise<{ child: ChildProcess; url: string; modelId: string; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI, 'serve', zkm, '--port', '0', '--data-dir', dataDir, '--workers', '1', '--grace', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (line) {
        clearTimeout(timer);
        const j = JSON.parse(line) as { url: string; modelId: string };
        resolve({ child, url: j.url, modelId: j.modelId, stderr: () => err });
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${err}`)));
  });
}

const exited = (c: ChildProcess) => new Promise<number | null>((r) => (c.exitCode !== null || c.signalCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code))));

test('kill -9 mid-proof: after a restart every acknowledged job completes once', { timeout: 180_000 }, async () => {
  const m = testModel('cnn-tiny', 12);
  const dir = tempDir('crash');
  const zkm = path.join(dir, 'model.zkm');
  fs.writeFileSync(zkm, m.bytes);
  const data = path.join(dir, 'data');

  const s1 = await startCli(zkm, data);
  const ids: string[] = [];
  for (const input of m.inputs) {
    const r = await postInfer(s1.url, { input });
    assert.equal(r.status, 202);
    ids.push(String(r.body.jobId));
  }
  // wait until a job is being proved (and at least one is still queued), then kill -9
  let sawProving = false;
  for (let i = 0; i < 2000 && !sawProving; i++) {
    const states = await Promise.all(ids.map(async (id) => (await getJson(`${s1.url}/v1/jobs/${id}?receipt=false`)).body.status));
    sawProving = states.includes('proving') && states.includes('queued');
  }
  assert.ok(sawProving, 'never saw a job being proved');
  s1.child.kill('SIGKILL');
  await exited(s1.child);

  const s2 = await startCli(zkm, data);
  let more: string[] = [];
  try {
    assert.equal(s2.modelId, s1.modelId);
    assert.match(s2.stderr(), /\(\d+ unfinished job\(s\) resumed\)/);
    for (const [k, id] of ids.entries()) {
      const done = await waitDone(s2.url, id, 120_000);
      assert.equal(done.status, 'done', String(done.error));
      const bin = new Uint8Array(await (await fetch(`${s2.url}/v1/jobs/${id}/receipt`)).arrayBuffer());
      const v = verifyReceipt(bin, s2.modelId, m.inputs[k]);
      assert.ok(v.ok, v.ok ? '' : v.error.message);
    }
    // nothing duplicated: exactly the acknowledged jobs exist, each done once
    const metrics = await (await fetch(`${s2.url}/metrics`)).text();
    const doneAfterRestart = Number(/zkinfer_jobs_finished_total\{status="done"\} (\d+)/.exec(metrics)![1]);
    const resumed = Number(/\((\d+) unfinished job\(s\) resumed\)/.exec(s2.stderr())![1]);
    assert.equal(doneAfterRestart, resumed);
    assert.ok(resumed >= 1 && resumed <= ids.length);

    // graceful: SIGTERM with work queued; everything acknowledged is there after a restart
    more = [];
    for (const input of m.inputs.slice(0, 6)) more.push(String((await postInfer(s2.url, { input })).body.jobId));
    s2.child.kill('SIGTERM');
    assert.equal(await exited(s2.child), 0);
    assert.match(s2.stderr(), /SIGTERM: draining/);
  } finally {
    if (s2.child.exitCode === null) s2.child.kill('SIGKILL');
  }
  const s3 = await startCli(zkm, data);
  try {
    for (const id of ids) assert.equal((await getJson(`${s3.url}/v1/jobs/${id}?receipt=false`)).body.status, 'done');
    for (const id of more) assert.equal((await waitDone(s3.url, id, 120_000)).status, 'done');
  } finally {
    s3.child.kill('SIGTERM');
    await exited(s3.child);
  }
  // the store holds exactly the acknowledged jobs, each done once
  const store = new JobStore(data, s1.modelId);
  assert.deepEqual(store.counts(), { queued: 0, proving: 0, done: ids.length + more.length, failed: 0 });
  for (const id of [...ids, ...more]) assert.ok(store.get(id)!.attempts >= 1);
  store.close();
});
