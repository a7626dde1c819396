/**
 * The service commands fail with one clear line and exit 1 (or 2 for usage), never hang or crash;
 * `client infer`'s context flags fail as `prove`'s do, and its `--header` errors never print a
 * header value.
 */
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

test('client infer: --context / --context-hex errors are those of prove; --header errors quote no value', { timeout: 120_000 }, async () => {
  const dir = tempDir('cli-errors-ctx');
  const inp = path.join(dir, 'input.json');
  fs.writeFileSync(inp, JSON.stringify({ input: testModel('mlp-tiny').inputs[0].input }));
  const client = ['client', 'infer', '--url', 'http://127.0.0.1:1', '--model-id', 'ab'.repeat(32), '--input', inp];
  const contextCases: [string[], RegExp][] = [
    [['--context', 'a', '--context-hex', '61'], /give either --context or --context-hex, not both/],
    [['--context-hex', 'abc'], /--context-hex: expected an even number of hex digits, got 'abc'/],
    [['--context-hex', '0xzz'], /--context-hex: expected an even number of hex digits, got '0xzz'/],
    [['--context', 'x'.repeat(1025)], /context: expected at most 1024 bytes, got 1025/],
    [['--context-hex', 'ab'.repeat(1025)], /context: expected at most 1024 bytes, got 1025/],
    [['--context', 'a', '--context', 'b'], /give the context once/],
  ];
  for (const [flags, msg] of contextCases) {
    const [c, p] = await Promise.all([
      run(process.execPath, [CLI, ...client, ...flags]).then(() => assert.fail('client succeeded'), (e: { code: number; stderr: string }) => e),
      run(process.execPath, [CLI, 'prove', path.join(dir, 'model.zkc'), '--input', inp, ...flags]).then(() => assert.fail('prove succeeded'), (e: { code: number; stderr: string }) => e),
    ]);
    assert.equal(c.code, 1, c.stderr);
    assert.match(c.stderr, msg);
    assert.equal(c.stderr.replace(/^zkinfer client: /, ''), p.stderr.replace(/^zkinfer prove: /, ''), 'the same message as zkinfer prove');
  }
  const secret = 'sekret-31337';
  const headerCases: [string[], RegExp][] = [
    [['--header', `Bearer ${secret}`], /--header 1: expected 'Name: value' \(no ':' found\)/],
    [['--header', 'X-A: 1', '--header', `Authorization Bearer ${secret}: x`], /--header 2: the part before ':' is not a valid HTTP header name/],
    [['--header', `Authorization: ${secret}`, '--header', `authorization: ${secret}`], /--header: 'authorization' is given more than once/],
    [['--header', `Authorization: Bearer ${secret}\u0007`], /the value of 'Authorization' must be printable ASCII \(no line breaks or other control characters\)/],
    [['--header', 'Content-Type: text/plain'], /'Content-Type' is set by the client/],
  ];
  for (const [flags, msg] of headerCases) {
    await assert.rejects(run(process.execPath, [CLI, ...client, ...flags]), (e: { code: number; stdout: string; stderr: string }) => {
      assert.equal(e.code, 1, e.stderr);
      assert.match(e.stderr, msg);
      assert.ok(!`${e.stdout}${e.stderr}`.includes(secret), `a header value was printed: ${e.stderr}`);
      return true;
    });
  }
});
