/**
 * zk-ligero bundles for the browser platform (esbuild fails on any `node:` import there) and runs
 * inside a context without Node's globals — no process, no require, no crypto — with and without
 * WebAssembly: commit and prove with an injected randomness source, verify, reject a tampered
 * proof; and the default randomness source reports that Web Crypto is missing rather than
 * failing at import time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { runInNewContext } from 'node:vm';

const here = dirname(fileURLToPath(import.meta.url));
const srcRoot = join(here, '..', '..', 'src');

test('zk-ligero bundles for browsers and proves and verifies there', async () => {
  const entry = `
    export * from ${JSON.stringify(join(srcRoot, 'pcs', 'zk-ligero.js'))};
    export { Transcript } from ${JSON.stringify(join(srcRoot, 'transcript', 'transcript.js'))};
    export { kernels } from ${JSON.stringify(join(srcRoot, 'field', 'active.js'))};
  `;
  const out = await build({ stdin: { contents: entry, resolveDir: srcRoot, sourcefile: 'entry.js' }, bundle: true, platform: 'browser', format: 'iife', globalName: 'zk', write: false, logLevel: 'silent' });
  const code = out.outputFiles[0].text;
  assert.ok(!/from\s+["']node:/.test(code) && !/require\(["']node:/.test(code), 'no node: imports in the bundle');
  const script = `${code}
    let s = 12345;
    const rng = (b) => { for (let i = 0; i < b.length; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; b[i] = s >>> 24; } };
    const P = 2013265921;
    const w = new Uint32Array(100);
    for (let i = 0; i < w.length; i++) w[i] = (i * 2654435761) % P;
    w[60] = Number((BigInt(w[10]) * BigInt(w[20])) % BigInt(P));
    const sys = { linear: [{ index: Uint32Array.of(3, 7), coeffs: Uint32Array.of(1, 0, 0, 0, 2, 0, 0, 0), rhs: Uint32Array.of((w[3] + 2 * w[7]) % P, 0, 0, 0) }], tensor: [], hadamard: [{ x: 10, y: 20, z: 60, len: 1 }] };
    const params = { logCols: 4, randomness: 10, logCodeword: 7, queries: 8 };
    const { commitment, data } = zk.commitZkLigero(w, params, rng);
    const tp = new zk.Transcript('browser'); zk.absorbZkCommitment(tp, commitment);
    const proof = zk.proveZkLigero(data, sys, tp);
    const tv = new zk.Transcript('browser'); zk.absorbZkCommitment(tv, commitment);
    const ok = zk.verifyZkLigero(commitment, sys, proof, tv, { minBits: 0 }).ok;
    const bad = { ...proof, qQuad: proof.qQuad.slice() }; bad.qQuad[0] = (bad.qQuad[0] + 1) % P;
    const tb = new zk.Transcript('browser'); zk.absorbZkCommitment(tb, commitment);
    const rejected = !zk.verifyZkLigero(commitment, sys, bad, tb, { minBits: 0 }).ok;
    let noCrypto = '';
    try { zk.commitZkLigero(w, params); } catch (e) { noCrypto = e.message; }
    ({ ok, rejected, noCrypto, kernels: zk.kernels().name });
  `;
  for (const wasm of [true, false]) {
    const globals: Record<string, unknown> = { TextEncoder, console };
    if (!wasm) globals.WebAssembly = undefined;
    const result = runInNewContext(script, globals);
    assert.equal(result.ok, true, 'an honest proof verifies in a browser-like context');
    assert.equal(result.rejected, true, 'a tampered one is rejected there');
    assert.match(result.noCrypto, /getRandomValues/, 'no Web Crypto: a clear error, not an import failure');
    assert.equal(result.kernels, wasm ? 'wasm' : 'reference');
  }
});
