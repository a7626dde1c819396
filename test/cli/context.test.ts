/** CLI: `prove --context/--context-hex`, `verify --context/--context-hex` (fails with the reason), `inspect` shows it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, committedTiny } from './helpers.js';

test('CLI: a receipt proved with --context verifies only with that context; inspect shows it', () => {
  const { f, id, g } = committedTiny('zkinfer-context-');

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
