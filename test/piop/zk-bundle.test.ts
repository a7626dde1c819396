/**
 * The padded sumcheck's verifier side must run in a browser: its modules bundle for the browser
 * platform with no `node:` import, and a padded proof verifies (and a tampered one fails the
 * constraints) inside a context without Node's globals. The pads there come from Web Crypto
 * (`globalThis.crypto`), the default word source of `fillZkPads`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { webcrypto } from 'node:crypto';

const here = dirname(fileURLToPath(import.meta.url));
const srcRoot = join(here, '..', '..', 'src');

test('zk sumcheck, final check, GKR layer and constraints bundle for the browser and verify there', async () => {
  const mods = ['piop/zk-affine.js', 'piop/zk-final.js', 'piop/zk-sumcheck.js', 'piop/lookup/zk-gkr-layer.js', 'piop/lookup/zk-gkr.js', 'pcs/constraints.js', 'transcript/index.js'];
  const entry = mods.map((m) => `export * from ${JSON.stringify(join(srcRoot, m))};`).join('\n');
  const common = { stdin: { contents: entry, resolveDir: srcRoot, sourcefile: 'entry.js' }, bundle: true, platform: 'browser' as const, write: false, logLevel: 'silent' as const };
  const esm = await build({ ...common, format: 'esm' });
  const code = esm.outputFiles![0].text;
  assert.ok(!/from\s+["']node:/.test(code) && !/require\(["']node:/.test(code), 'no node: imports in the bundle');
  const iife = await build({ ...common, format: 'iife', globalName: 'zk' });
  const script = `${iife.outputFiles![0].text}
    const m = 4, d = 2, n = 1 << m;
    const A = new Uint32Array(n), B = new Uint32Array(n);
    for (let i = 0; i < n; i++) { A[i] = (i * 2654435761) % 2013265921; B[i] = (i * 40503 + 7) % 2013265921; }
    const inst = { numVars: m, degree: d, tables: [A, B], terms: [{ coeff: Uint32Array.of(1, 0, 0, 0), factors: [0, 1] }] };
    const layout = zk.zkSumcheckLayout({ numVars: m, degree: d, final: { numEvals: 2, terms: [[0, 1]] } });
    const at = zk.zkSumcheckAt(layout, 2 * n);
    const w = new Uint32Array(2 * n + layout.size);
    w.set(A, 0); w.set(B, n);
    zk.fillZkPads(w, at);
    const out = zk.proveZkSumcheckWithEvals(new zk.Transcript('b'), inst, w, at, [0, 1], { label: 's' });
    const check = (proof) => {
      const res = zk.verifyZkSumcheckWithEvals(new zk.Transcript('b'), { numVars: m, degree: d, claimedSum: out.claimedSum }, proof, at, () => [Uint32Array.of(1, 0, 0, 0)], 's');
      if (!res.ok) return res.error.kind;
      res.system.tensor.push(zk.linkToSegment(res.evals[0], 0, res.point), zk.linkToSegment(res.evals[1], n, res.point));
      return zk.checkConstraints(w, res.system);
    };
    const ok = check(out.withEvals);
    const bad = out.withEvals.sumcheck.rounds.map((s) => s.slice());
    bad[1][0] = (bad[1][0] + 1) % 2013265921;
    ({ ok, bad: check({ sumcheck: { rounds: bad }, final: out.withEvals.final }), padsNonZero: w.subarray(2 * n, 2 * n + 8).some((x) => x !== 0) });
  `;
  for (const wasm of [true, false]) {
    const globals: Record<string, unknown> = { TextEncoder, console, crypto: webcrypto };
    if (!wasm) globals.WebAssembly = undefined;
    const result = runInNewContext(script, globals);
    assert.equal(result.ok, null, 'the honest padded proof satisfies its constraints in a browser-like context');
    assert.notEqual(result.bad, null, 'a changed round value does not');
    assert.equal(result.padsNonZero, true, 'pads were drawn from Web Crypto');
  }
});
