/** `zkinfer market …` in-process against a server: argument errors, and operator/request/auditor/status over HTTP. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { marketCommand } from '../../src/cli/commands/market.js';
import { startMarketServer } from '../../src/market/server.js';
import { tinyModel } from './helpers.js';
import { commitModel, encodeCommitted, readCommitted } from '../../src/prover/commit.js';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    return { code: await marketCommand.run(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

test('market CLI: bad arguments fail with one line and a non-zero code', async () => {
  assert.equal((await run(['bogus'])).code, 2);
  assert.match((await run(['operator', '--url', 'http://127.0.0.1:1'])).err, /operator needs --model/);
  assert.match((await run(['serve', '--port', '70000'])).err, /--port must be an integer from 0 to 65535/);
  assert.match((await run(['status', '--url', 'http://127.0.0.1:1'])).err, /cannot reach the market/);
  assert.match((await run(['serve', '--deadlines', 'nap=3'])).err, /--deadlines: expected name=seconds/);
});

test('market CLI: operator registers and stakes, request posts, operator and auditor settle, request checks', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkinfer-market-cli-'));
  // a virtual clock: the audit window closes when the test says so, however slow the CLI processes are
  let time = 1_000_000;
  const srv = await startMarketServer({ dataDir: ':memory:', port: 0, faucet: true, now: () => time, config: { deadlines: { audit: 300 } } });
  try {
    const tiny = tinyModel();
    const zkm = path.join(dir, 'tiny.zkm');
    const input = path.join(dir, 'input.json');
    fs.writeFileSync(zkm, tiny.zkm);
    fs.writeFileSync(input, JSON.stringify(tiny.inputs[0]));
    const u = ['--url', srv.url];
    const key = (n: string) => ['--key', path.join(dir, `${n}.json`)];
    for (const n of ['op', 'req', 'aud']) assert.equal((await run(['fund', ...u, ...key(n), '--amount', '100000'])).code, 0);
    const op = await run(['operator', ...u, ...key('op'), '--model', zkm, '--stake', '5000', '--once']);
    assert.equal(op.code, 0, op.err);
    const modelId = /registered public model ([0-9a-f]{64})/.exec(op.err)![1];
    const posted = await run(['request', ...u, ...key('req'), '--model-id', modelId, '--input', input, '--policy', 'sampled', '--p', '1', '--gain', '1', '--no-wait']);
    assert.equal(posted.code, 0, posted.err);
    const job = JSON.parse(posted.out).job as number;
    assert.equal((await run(['operator', ...u, ...key('op'), '--model', zkm, '--once'])).code, 0);
    assert.equal((await run(['auditor', ...u, ...key('aud'), '--once'])).code, 0);
    assert.equal(srv.coordinator.job(job)!.state, 'audit', 'an agreeing audit waits for the end of the audit window');
    time += 301;
    srv.coordinator.tick();
    assert.equal(srv.coordinator.job(job)!.state, 'finalized');
    const again = await run(['request', ...u, ...key('req'), '--model-id', modelId, '--input', input, '--policy', 'optimistic', '--no-wait']);
    assert.equal(again.code, 0);
    const st = await run(['status', ...u, ...key('op')]);
    assert.match(st.out, /ledger balanced/);
    assert.match(st.out, /operator job \d+ sampled finalized — audit agreed/);
  } finally {
    await srv.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('market CLI: a zero-knowledge .zkc is served --private with zero-knowledge receipts that spend its recorded budget', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkinfer-market-zk-'));
  const srv = await startMarketServer({ dataDir: ':memory:', port: 0, faucet: true });
  try {
    const tiny = tinyModel();
    const zkc = path.join(dir, 'tiny.zkc');
    const input = path.join(dir, 'input.json');
    fs.writeFileSync(zkc, encodeCommitted(commitModel(tiny.model, { zk: { openings: 2 } })));
    fs.writeFileSync(input, JSON.stringify(tiny.inputs[0]));
    const u = ['--url', srv.url];
    const key = (n: string) => ['--key', path.join(dir, `${n}.json`)];
    for (const n of ['op', 'req']) assert.equal((await run(['fund', ...u, ...key(n), '--amount', '100000'])).code, 0);
    const pub = await run(['operator', ...u, ...key('op'), '--model', zkc, '--once']);
    assert.equal(pub.code, 1);
    assert.match(pub.err, /zero-knowledge model .* register it --private/);
    const op = await run(['operator', ...u, ...key('op'), '--model', zkc, '--private', '--stake', '5000', '--once']);
    assert.equal(op.code, 0, op.err);
    const modelId = /registered private model ([0-9a-f]{64})/.exec(op.err)![1];
    assert.match(op.err, /serves 2 more receipt/);
    const posted = await run(['request', ...u, ...key('req'), '--model-id', modelId, '--input', input, '--policy', 'proof', '--no-wait']);
    assert.equal(posted.code, 0, posted.err);
    const job = JSON.parse(posted.out).job as number;
    const served = await run(['operator', ...u, ...key('op'), '--model', zkc, '--private', '--once']);
    assert.equal(served.code, 0, served.err);
    assert.equal(srv.coordinator.job(job)!.state, 'finalized', 'the coordinator verified the zero-knowledge receipt');
    assert.ok(readCommitted(fs.readFileSync(zkc)).zk!.revealed.length > 0, 'the receipt’s opened columns are recorded in the .zkc');
    assert.equal(fs.existsSync(`${zkc}.lock`), false, 'the lock is released after the run');
  } finally {
    await srv.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
