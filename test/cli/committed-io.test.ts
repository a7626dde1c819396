/** `zkinfer prove --private-input/--commit-output` and `zkinfer verify --opening` (`circuit/zk-io.ts`). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { cli, committedTiny } from './helpers.js';

test('prove keeps the input and output out of the receipt, writes a 0600 opening, and verify checks it', () => {
  const { f, id } = committedTiny('zkinfer-io-');
  const p = cli(['prove', f('m.zkc'), '--input', f('in.json'), '-o', f('r.zkr'), '--private-input', 'all', '--commit-output', 'logits', '--quiet']);
  assert.equal(p.code, 0, p.err);
  assert.match(p.out, /committed, not in the receipt: input, logits; opening .* → .*r\.opening\.json/);
  assert.equal(fs.statSync(f('r.opening.json')).mode & 0o777, 0o600, 'the opening is secret');
  const plain = cli(['verify', f('r.zkr'), '--model-id', id]);
  assert.equal(plain.code, 0, plain.out);
  assert.match(plain.out, /private inputs \(committed, not in the receipt\): input/);
  assert.doesNotMatch(plain.out, /logits \[/, 'a committed output is not shown without its opening');
  const opened = cli(['verify', f('r.zkr'), '--model-id', id, '--opening', f('r.opening.json'), '--input', f('in.json')]);
  assert.equal(opened.code, 0, opened.out + opened.err);
  assert.match(opened.out, /logits \[1×10\]/);
  const noOpening = cli(['verify', f('r.zkr'), '--model-id', id, '--input', f('in.json')]);
  assert.equal(noOpening.code, 1);
  assert.match(noOpening.out, /OpeningRequired/);
  const o = JSON.parse(fs.readFileSync(f('r.opening.json'), 'utf8'));
  o.values.logits[0] += 1;
  fs.writeFileSync(f('forged.json'), JSON.stringify(o));
  const forged = cli(['verify', f('r.zkr'), '--model-id', id, '--opening', f('forged.json')]);
  assert.equal(forged.code, 1);
  assert.match(forged.out, /OpeningMismatch/);
  const bad = cli(['prove', f('m.zkc'), '--input', f('in.json'), '-o', f('x.zkr'), '--private-input', 'nope', '--quiet']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /'nope' is not a model input/);
});
