/**
 * `zkinfer prove` with a zero-knowledge `.zkc`: the columns each receipt opens are written back to
 * the file before the receipt, so a commitment with `--zk-openings 1` proves once and then refuses
 * with a clear error; the file is locked while a process proves with it (a lock whose process is
 * gone is taken over).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { cli, committedTiny } from './helpers.js';
import { readCommitted } from '../../src/prover/commit.js';

test('zkinfer prove records the spent budget in the .zkc, refuses once it is spent, and respects the lock', () => {
  const { f } = committedTiny('zkinfer-zkbudget-');
  const c = cli(['commit', f('m.zkm'), '--zk', '--zk-openings', '1', '-o', f('z.zkc'), '--quiet']);
  assert.equal(c.code, 0, c.err);
  const id = /model ID ([0-9a-f]{64})/.exec(c.out)![1];
  assert.equal(readCommitted(fs.readFileSync(f('z.zkc'))).zk!.revealed.length, 0);

  // held by a live process (this one): refused
  fs.writeFileSync(f('z.zkc.lock'), String(process.pid));
  const locked = cli(['prove', f('z.zkc'), '--input', f('in.json'), '-o', f('a.zkr'), '--quiet']);
  assert.equal(locked.code, 1);
  assert.match(locked.err, /in use by another zkinfer process \(PID \d+/);
  // held by a process that has exited: taken over
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  fs.writeFileSync(f('z.zkc.lock'), gone);

  const p = cli(['prove', f('z.zkc'), '--input', f('in.json'), '-o', f('a.zkr'), '--json']);
  assert.equal(p.code, 0, p.err);
  const j = JSON.parse(p.out) as { zk: boolean; zkReceiptsLeft: number };
  assert.equal(j.zk, true);
  assert.equal(j.zkReceiptsLeft, 0);
  assert.ok(readCommitted(fs.readFileSync(f('z.zkc'))).zk!.revealed.length > 0, 'the opened columns are recorded in the file');
  assert.equal(fs.existsSync(f('z.zkc.lock')), false, 'the lock is released');
  assert.equal(cli(['verify', f('a.zkr'), '--model-id', id, '--input', f('in.json')]).code, 0);
  assert.match(cli(['inspect', f('z.zkc')]).out, /zero knowledge: 0 of 1 openings left on this parameter commitment \(\d+ of its k = \d+ hidden columns revealed/);
  assert.equal(JSON.parse(cli(['inspect', f('z.zkc'), '--json']).out).zeroKnowledge.receiptsLeft, 0);

  const again = cli(['prove', f('z.zkc'), '--input', f('in.json'), '-o', f('b.zkr'), '--quiet']);
  assert.equal(again.code, 1);
  assert.match(again.err, /opening budget .* is spent/);
  assert.equal(fs.existsSync(f('b.zkr')), false, 'no receipt is written');
});

test('zkinfer prove renews a spent commitment: the receipt carries its path, verify and inspect show it, the .zkc records the tree', () => {
  const { f } = committedTiny('zkinfer-zkrenew-');
  const c = cli(['commit', f('m.zkm'), '--zk', '--zk-openings', '3', '-o', f('z.zkc'), '--quiet']);
  assert.equal(c.code, 0, c.err);
  const id = /model ID ([0-9a-f]{64})/.exec(c.out)![1];
  const p = cli(['prove', f('z.zkc'), '--input', f('in.json'), '-o', f('a.zkr')]);
  assert.equal(p.code, 0, p.err);
  assert.match(p.out, /weights commitment: [0-9a-f]{16}… \(model ID\) → [0-9a-f]{16}… → [0-9a-f]{16}… \(depth 2\)/);
  assert.match(p.out, /this model ID serves 11 more receipt\(s\)/, 'b·(b − 1)^2 = 12, one served');
  const v = cli(['verify', f('a.zkr'), '--model-id', id, '--input', f('in.json')]);
  assert.equal(v.code, 0, v.out + v.err);
  assert.match(v.out, /weights commitment: .* \(depth 2\)/);
  const j = JSON.parse(cli(['inspect', f('a.zkr'), '--json']).out);
  assert.equal(j.version, 5);
  assert.equal(j.zeroKnowledge.weightsCommitment.depth, 2);
  const zkc = readCommitted(fs.readFileSync(f('z.zkc'))).zk!;
  assert.equal(zkc.children.length, 2);
  assert.equal(zkc.served, 1);
  assert.match(cli(['inspect', f('z.zkc')]).out, /renewal tree: 3 commitment\(s\), 1 receipt\(s\) served, 11 more receipt\(s\) at maximum depth 2/);
  // --zk-max-depth 0 keeps receipts at the root (version 3), which still has two openings
  const flat = cli(['prove', f('z.zkc'), '--input', f('in.json'), '-o', f('b.zkr'), '--zk-max-depth', '0', '--json']);
  assert.equal(flat.code, 0, flat.err);
  assert.equal(JSON.parse(flat.out).weightsCommitment.depth, 0);
});
