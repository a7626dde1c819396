/** The service commands fail with one clear line and exit 1 (or 2 for usage), never hang or crash. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { CLI, tempDir, testModel } from './helpers.js';

const run = promisify(execFile);

async function fails(args: string[], code: number, msg: RegExp): Promise<void> {
  await assert.rejects(run(process.execPath, [CLI, ...args], { timeout: 60_000 }), (e: { code: number; stderr: string; killed: boolean }) => {
    assert.equal(e.killed, false, 'the command hung');
    assert.equal(e.code, code, e.stderr);
    assert.match(e.stderr, msg);
    return true;
  });
}

test('serve / worker / client: clear errors', { timeout: 120_000 }, async () => {
  const dir = tempDir('cli-errors');
  const zkm = path.join(dir, 'model.zkm');
  fs.writeFileSync(zkm, testModel('mlp-tiny').bytes);
  const bad = path.join(dir, 'bad.zkm');
  fs.writeFileSync(bad, fs.readFileSync(zkm).subarray(0, 200));
  const busy = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => busy.once('listening', r));
  const port = String((busy.address() as net.AddressInfo).port);
  try {
    await fails(['serve', zkm, '--port', port, '--data-dir', path.join(dir, 'd1'), '--workers', '1'], 1, /port \d+ on 127\.0\.0\.1 is already in use/);
  } finally {
    busy.close();
  }
  await fails(['serve', bad, '--port', '0', '--data-dir', path.join(dir, 'd2')], 1, /not a valid \.zkm model file/);
  await fails(['serve', path.join(dir, 'missing.zkm')], 1, /cannot read model .*ENOENT/);
  await fails(['serve', zkm, '--workers', '0'], 1, /--workers must be an integer from 1 to 256/);
  await fails(['serve', zkm, '--prover-nice', '20'], 1, /--prover-nice must be an integer from 0 to 19, got '20'/);
  await fails(['serve', zkm, '--retain-hours', '1.5'], 1, /--retain-hours must be an integer from 0 to 1000000, got '1.5'/);
  await fails(['serve', zkm, '--port', '0', '--redis', 'redis://127.0.0.1:1'], 1, /cannot reach Redis at redis:\/\/127\.0\.0\.1:1: connect ECONNREFUSED/);
  await fails(['worker', zkm, '--redis', 'redis://127.0.0.1:1'], 1, /cannot reach Redis/);
  await fails(['worker', zkm], 2, /Usage: zkinfer worker/);
  await fails(['worker', zkm, '--redis', 'redis://127.0.0.1:1', '--lock-ms', '50'], 1, /--lock-ms must be an integer from 200 to 3600000, got '50'/);
  await fails(['worker', zkm, '--redis', 'redis://127.0.0.1:1', '--stall-check-ms', 'soon'], 1, /--stall-check-ms must be an integer from 50 to 3600000, got 'soon'/);
  await fails(['worker', zkm, '--redis', 'redis://127.0.0.1:1', '--name', 'two words'], 1, /worker name must be 1 to 128 printable ASCII characters without spaces, got 'two words'/);
  await fails(['client', 'infer', '--url', 'http://127.0.0.1:1'], 2, /Usage: zkinfer client infer/);
  await fails(['client', 'infer', '--url', 'http://127.0.0.1:1', '--model-id', 'xyz', '--input', zkm], 1, /is not valid JSON/);
});
