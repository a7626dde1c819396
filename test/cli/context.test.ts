/** CLI: `prove --context/--context-hex`, `verify --context/--context-hex` (fails with the reason), `inspect` shows it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generatedModel } from '../../src/model/generated.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.resolve(here, '../../src/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zkinfer-context-'));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('CLI: a receipt proved with --context verifies only with that context; inspect shows it', () => {
  const g = generatedModel('mlp-tiny');
  const f = (n: string) => path.join(tmp, n);
  fs.writeFileSync(f('m.onnx'), g.onnx);
  fs.writeFileSync(f('in.json'), JSON.stringify(g.inputs[0]));
  fs.writeFileSync(f('cal.json'), JSON.stringify({ input_data: [g.inputs[0].input] }));
  assert.equal(cli(['compile', f('m.onnx'), '--calibrate', f('cal.json'), '-o', f('m.zkm')]).code, 0);
  const c = cli(['commit', f('m.zkm'), '-o', f('m.zkc'), '--quiet']);
  assert.equal(c.code, 0, c.err);
  const id = /model ID ([0-9a-f]{64})/.exec(c.out)![1];

  const p = cli(['prove', f('m.zkc'), '--input', f('in.json'), '--context', 'job 7 / operator A', '-o', f('a.zkr'), '--quiet']);
  assert.equal(p.code, 0, p.err);
  assert.match(p.out, /context "job 7 \/ operator A"/);
  const ok = cli(['verify', f('a.zkr'), '--model-id', id, '--input', f('in.json'), '--context', 'job 7 / operator A']);
  assert.equal(ok.code, 0, ok.out + ok.err);
  assert.match(ok.out, /^VALID .*the given context/);
  const hexOk = cli(['verify', f('a.zkr'), '--model-id', id, '--context-hex', Buffer.from('job 7 / operator A').toString('hex')]);
  assert.equal(hexOk.code, 0, hexOk.out + hexOk.err);
  const wrong = cli(['verify', f('a.zkr'), '--model-id', id, '--context', 'job 8 / operator B']);
  assert.equal(wrong.code, 1);
  assert.match(wrong.out, /INVALID.*"job 7 \/ operator A".*"job 8 \/ operator B".*\[ContextMismatch\]/);
  const json = JSON.parse(cli(['verify', f('a.zkr'), '--model-id', id, '--context', 'x', '--json']).out);
  assert.equal(json.valid, false);
  assert.equal(json.error.kind, 'ContextMismatch');
  const j = JSON.parse(cli(['inspect', f('a.zkr'), '--json']).out);
  assert.deepEqual(j.context, { bytes: 18, hex: Buffer.from('job 7 / operator A').toString('hex'), text: 'job 7 / operator A' });

  // raw bytes
  const ph = cli(['prove', f('m.zkc'), '--input', f('in.json'), '--context-hex', '00ff10', '-o', f('b.zkr'), '--quiet']);
  assert.equal(ph.code, 0, ph.err);
  assert.equal(cli(['verify', f('b.zkr'), '--model-id', id, '--context-hex', '00ff10']).code, 0);
  assert.equal(cli(['verify', f('b.zkr'), '--model-id', id, '--context-hex', '00ff11']).code, 1);
  assert.deepEqual(JSON.parse(cli(['inspect', f('b.zkr'), '--json']).out).context, { bytes: 3, hex: '00ff10' });

  // bad flags: a clear one-line error, no stack trace
  for (const args of [['--context-hex', 'abc'], ['--context-hex', 'zz'], ['--context', 'a', '--context-hex', '00'], ['--context', 'x'.repeat(1025)]]) {
    const r = cli(['verify', f('a.zkr'), '--model-id', id, ...args]);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.out}${r.err}`);
    assert.match(r.err, /^zkinfer verify: .*(context|hex)/);
    assert.doesNotMatch(r.err, /at .*\.js:\d+/, 'no stack trace');
  }
});
