/**
 * The CLI reports a zero-knowledge model's own composed bound (`src/verifier/zk-security.ts`):
 * `commit --zk`, `prove` and `inspect model.zkc` print it instead of the clear one, and
 * `inspect <receipt> --json` lists its zk terms.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { cli, committedTiny } from './helpers.js';
import { decodeCommitted } from '../../src/prover/commit.js';
import { receiptSecurity } from '../../src/circuit/security.js';
import { zkReceiptSecurity } from '../../src/verifier/zk-security.js';

test('commit --zk, prove and inspect report the zero-knowledge receipt’s composed bound and its terms', () => {
  const { f } = committedTiny('zkinfer-zksec-');
  const c = cli(['commit', f('m.zkm'), '--zk', '--zk-openings', '2', '-o', f('z.zkc'), '--quiet']);
  assert.equal(c.code, 0, c.err);
  const zcm = decodeCommitted(fs.readFileSync(f('z.zkc')));
  const sec = zkReceiptSecurity(zcm.circuit, zcm.zk!.params);
  assert.notEqual(sec.bits, receiptSecurity(zcm.circuit, zcm.pcs.config).bits, 'the two figures differ for this model, so the line says which it is');
  assert.match(c.out, new RegExp(`security \\(zero-knowledge receipts\\): ${sec.bits} composed bits \\(target 100 ✓`));

  const z = cli(['inspect', f('z.zkc'), '--json']);
  assert.equal(z.code, 0, z.err);
  assert.equal((JSON.parse(z.out) as { securityBits: number }).securityBits, sec.bits, 'inspect of the zero-knowledge .zkc');

  const p = cli(['prove', f('z.zkc'), '--input', f('in.json'), '-o', f('z.zkr'), '--json']);
  assert.equal(p.code, 0, p.err);
  assert.equal((JSON.parse(p.out) as { securityBits: number }).securityBits, sec.bits);

  const i = cli(['inspect', f('z.zkr'), '--json']);
  assert.equal(i.code, 0, i.err);
  const j = JSON.parse(i.out) as { zk: boolean; securityBits: number; security: { terms: { name: string }[] } };
  assert.equal(j.zk, true);
  assert.equal(j.securityBits, sec.bits);
  const names = j.security.terms.map((t) => t.name);
  assert.deepEqual(names, sec.terms.map((t) => t.name));
  assert.ok(names.includes('zk-ligero column queries') && names.some((n) => /padded GKR/.test(n)) && !names.some((n) => /tensor PCS/.test(n)));
});
