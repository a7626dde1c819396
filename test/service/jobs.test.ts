/**
 * The job store and the job service without proving: admission control (bounded queue → 429
 * with Retry-After, draining → 503), durability across reopen (unfinished jobs come back in
 * order, a job that was being proved is queued again), and no job finished twice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../src/service/app.js';
import { JobService, type Backend, type JobHooks } from '../../src/service/jobs.js';
import { JobStore, StoreError } from '../../src/service/store.js';
import { tempDir, testModel } from './helpers.js';

const MODEL_ID = 'ab'.repeat(32);

/** A backend that accepts jobs and never proves them (so the queue fills deterministically). */
class HoldingBackend implements Backend {
  readonly kind = 'local' as const;
  readonly threads = 1;
  hooks?: JobHooks;
  readonly ids: string[] = [];
  async start(h: JobHooks, unfinished: string[]) {
    this.hooks = h;
    this.ids.push(...unfinished);
  }
  async enqueue(id: string) {
    this.ids.push(id);
  }
  async stop() {}
}

test('a full queue answers 429 with Retry-After; a draining server answers 503', async () => {
  const m = testModel('mlp-tiny');
  const backend = new HoldingBackend();
  const svc = new JobService(new JobStore(':memory:', MODEL_ID), backend, { modelId: MODEL_ID, maxQueue: 2 });
  await svc.start();
  const app = buildApp(svc, { model: m.model, info: {}, maxBodyBytes: 1 << 20, maxWaitMs: 100 });
  const post = () => app.request('/v1/infer', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: m.inputs[0] }) });
  assert.equal((await post()).status, 202);
  assert.equal((await post()).status, 202);
  const full = await post();
  assert.equal(full.status, 429);
  assert.ok(Number(full.headers.get('retry-after')) >= 1);
  assert.match(((await full.json()) as { error: string }).error, /queue is full \(2 jobs waiting, limit 2\)/);
  assert.equal(backend.ids.length, 2);
  // a job leaving the queue makes room
  backend.hooks!.proving(backend.ids[0], 'w');
  assert.equal((await post()).status, 202);
  await svc.stop(0);
  const draining = await post();
  assert.equal(draining.status, 503);
  assert.equal((await app.request('/v1/health')).status, 503);
});

test('the store keeps acknowledged jobs across a reopen and re-queues the one being proved', async () => {
  const dir = tempDir('store');
  const s1 = new JobStore(dir, MODEL_ID);
  const ids = ['a', 'b', 'c', 'd'].map((x) => `${x}0000000-0000-0000-0000-000000000000`);
  for (const id of ids) s1.insert(id, { input: [1, 2] });
  assert.ok(s1.markProving(ids[0], 'w1'));
  assert.ok(s1.markProving(ids[1], 'w1'));
  assert.ok(await s1.finish(ids[1], [{ name: 'y', dims: [1], values: [3] }], new Uint8Array([1, 2, 3]), { totalMs: 1 }));
  s1.close(); // as if the process died: ids[0] was being proved
  const s2 = new JobStore(dir, MODEL_ID);
  assert.deepEqual(s2.requeueUnfinished(), [ids[0], ids[2], ids[3]]);
  assert.equal(s2.get(ids[0])!.status, 'queued');
  assert.equal(s2.get(ids[0])!.attempts, 1);
  assert.deepEqual(s2.get(ids[1])!.output, [{ name: 'y', dims: [1], values: [3] }]);
  assert.deepEqual(Array.from((await s2.receipt(ids[1]))!), [1, 2, 3]);
  assert.deepEqual(s2.counts(), { queued: 3, proving: 0, done: 1, failed: 0 });
  s2.close();
});

test('a job is finished at most once: a second result or a late failure changes nothing', async () => {
  const s = new JobStore(':memory:', MODEL_ID);
  const id = 'e0000000-0000-0000-0000-000000000000';
  s.insert(id, { input: [1] });
  assert.ok(await s.finish(id, [{ name: 'y', dims: [1], values: [1] }], new Uint8Array([9]), {}));
  assert.equal(await s.finish(id, [{ name: 'y', dims: [1], values: [2] }], new Uint8Array([8]), {}), false);
  assert.equal(s.fail(id, 'late'), false);
  assert.equal(s.markProving(id, 'w'), false);
  assert.deepEqual(s.get(id)!.output![0].values, [1]);
  assert.deepEqual(Array.from((await s.receipt(id))!), [9]);
  assert.equal(s.request(id), undefined, 'a finished job is not handed to a prover again');
});

test('a data directory belongs to one model and one process', () => {
  const dir = tempDir('store2');
  const held = new JobStore(dir, MODEL_ID);
  assert.throws(() => new JobStore(dir, MODEL_ID), (e: Error) => e instanceof StoreError && /is in use by another zkinfer process/.test(e.message));
  held.close();
  new JobStore(dir, MODEL_ID).close();
  assert.throws(() => new JobStore(dir, 'cd'.repeat(32)), (e: Error) => e instanceof StoreError && /holds jobs for model abab.*use another --data-dir/.test(e.message));
});
