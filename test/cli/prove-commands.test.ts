/** CLI: compile → commit → prove → verify → inspect (with the security figure), --security 128 refused, exit codes, and the demo end to end. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, committedTiny } from './helpers.js';

test('CLI: compile → commit → prove → verify (valid, wrong ID, wrong input, corrupt) → inspect', () => {
  const { f, id, g, commitOut } = committedTiny('zkinfer-prove-');
  const p = cli(['prove', f('m.zkc'), '--input', f('in.json'), '-o', f('r.zkr'), '--quiet']);
  assert.equal(p.code, 0, p.err);
  assert.match(p.out, /receipt .* → /);
  const v = cli(['verify', f('r.zkr'), '--model-id', id, '--input', f('in.json')]);
  assert.equal(v.code, 0, v.out + v.err);
  assert.match(v.out, /^VALID/);
  const wrongId = cli(['verify', f('r.zkr'), '--model-id', 'ab'.repeat(32)]);
  assert.equal(wrongId.code, 1);
  assert.match(wrongId.out, /INVALID.*ModelIdMismatch/);
  fs.writeFileSync(f('other.json'), JSON.stringify({ input: g.inputs[0].input.map((x: number) => -x) }));
  const wrongIn = cli(['verify', f('r.zkr'), '--model-id', id, '--input', f('other.json')]);
  assert.equal(wrongIn.code, 1);
  assert.match(wrongIn.out, /InputMismatch/);
  const bytes = fs.readFileSync(f('r.zkr'));
  bytes[bytes.length - 100] ^= 4;
  fs.writeFileSync(f('bad.zkr'), bytes);
  const bad = cli(['verify', f('bad.zkr'), '--model-id', id]);
  assert.equal(bad.code, 1);
  assert.match(bad.out, /INVALID/);
  assert.doesNotMatch(bad.out + bad.err, /at .*\.js:\d+/, 'no stack trace');
  const j = JSON.parse(cli(['inspect', f('r.zkr'), '--json']).out);
  assert.equal(j.zk, true, 'zkinfer commit makes zero-knowledge commitments by default');
  assert.equal(j.modelId, id);
  // the composed security figure, with every term, in the receipt's view and the model's
  assert.ok(j.securityBits >= 100 && j.security.bits === j.securityBits && j.security.terms.length > 5, JSON.stringify(j.security));
  assert.match(commitOut, /security \(zero-knowledge receipts\): 10\d\.\d+ composed bits \(target 100 ✓/);
  assert.match(p.out, /security \(zero-knowledge receipts\): 10\d\.\d+ composed bits/);
  assert.match(cli(['inspect', f('m.zkm')]).out, /security: 10\d\.\d+ composed bits/);
  const zj = JSON.parse(cli(['inspect', f('m.zkc'), '--json']).out);
  assert.equal(zj.securityBits, j.securityBits, 'the .zkc states its receipts’ bound');
  const mj = JSON.parse(cli(['inspect', f('m.zkm'), '--json']).out);
  assert.ok(mj.security.terms.some((t: { name: string }) => /parameter range proof/.test(t.name)));
  // --security 128 is refused on compile, commit and prove, saying why
  for (const args of [['compile', f('m.onnx'), '--calibrate', f('cal.json'), '-o', f('m128.zkm')], ['commit', f('m.zkm'), '-o', f('m128.zkc')], ['prove', f('m.zkc'), '--input', f('in.json')]]) {
    const r = cli([...args, '--security', '128']);
    assert.equal(r.code, 1, `${args[0]} --security 128`);
    assert.match(r.err, /128-bit profile is not available .* quintic extension/);
  }
  assert.ok(!fs.existsSync(f('m128.zkm')) && !fs.existsSync(f('m128.zkc')));
  assert.equal(cli(['prove', f('m.zkm'), '--input', f('in.json')]).code, 1, 'a .zkm is not prover data');
  // --no-zk: clear receipts under another model ID
  const clear = cli(['commit', f('m.zkm'), '--no-zk', '-o', f('clear.zkc')]);
  assert.equal(clear.code, 0, clear.err);
  assert.match(clear.out, /clear receipts \(--no-zk\)/);
  const clearId = /model ID ([0-9a-f]{64})/.exec(clear.out)![1];
  assert.notEqual(clearId, id);
  assert.equal(cli(['prove', f('clear.zkc'), '--input', f('in.json'), '-o', f('c.zkr'), '--quiet']).code, 0);
  const cj = JSON.parse(cli(['inspect', f('c.zkr'), '--json']).out);
  assert.equal(cj.zk, false);
  assert.equal(cj.securityBits, mj.securityBits, 'a clear receipt carries the description’s clear bound');
  const cv = cli(['verify', f('c.zkr'), '--model-id', clearId, '--input', f('in.json')]);
  assert.match(cv.out, /VALID .*clear: not zero knowledge/);
  assert.match(cli(['verify', f('r.zkr'), '--model-id', id, '--input', f('in.json')]).out, /VALID .*zero knowledge/);
  for (const bad of [['--no-zk', '--zk'], ['--no-zk', '--zk-openings', '4']]) assert.equal(cli(['commit', f('m.zkm'), ...bad, '-o', f('x.zkc')]).code, 1, bad.join(' '));
});

test('CLI: demo runs the whole pipeline on the trained model and exits 0', () => {
  const d = cli(['demo', '--out', fs.mkdtempSync(path.join(os.tmpdir(), 'zkinfer-demo-'))]);
  assert.equal(d.code, 0, d.out + d.err);
  assert.match(d.out, /5\. verify {3}VALID/);
  assert.match(d.out, /6\. tamper .* rejected/);
  assert.match(d.out, /7\. replay .* rejected/);
});
