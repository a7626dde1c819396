/**
 * The verifier side must bundle for browsers: no Node built-ins may be imported by the PCS,
 * sumcheck, transcript, hash or field modules (SHA-256 reaches Node's crypto only through
 * `process.getBuiltinModule` at run time). This bundles them with esbuild for the browser
 * platform — esbuild fails on any `node:` import there — and runs a verification inside the
 * bundle in a context without Node's globals, so the portable SHA-256 is used, with and
 * without WebAssembly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { runInNewContext } from 'node:vm';

const here = dirname(fileURLToPath(import.meta.url));
const srcRoot = join(here, '..', '..', 'src');

test('PCS, sumcheck, transcript, hash and field bundle for the browser platform', async () => {
  const entry = `
    export * from ${JSON.stringify(join(srcRoot, 'pcs', 'index.js'))};
    export * from ${JSON.stringify(join(srcRoot, 'piop', 'sumcheck.js'))};
    export * from ${JSON.stringify(join(srcRoot, 'transcript', 'index.js'))};
    export { kernels } from ${JSON.stringify(join(srcRoot, 'field', 'active.js'))};
  `;
  const out = await build({
    stdin: { contents: entry, resolveDir: srcRoot, sourcefile: 'entry.js' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0].text;
  assert.ok(!/from\s+["']node:/.test(code) && !/require\(["']node:/.test(code), 'no node: imports in the bundle');
  assert.ok(code.length < 2_000_000, `bundle is ${code.length} bytes`);

  // Run it in a fresh context without Node's globals (no process, no require), once with
  // WebAssembly and once without it (the reference-kernel fallback): commit, open, verify, tamper.
  const iife = await build({
    stdin: { contents: entry, resolveDir: srcRoot, sourcefile: 'entry.js' },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'zk',
    write: false,
    logLevel: 'silent',
  });
  const script = `${iife.outputFiles[0].text}
    const pcs = new zk.TensorPcs();
    const f = new Uint32Array(1 << 12);
    for (let i = 0; i < f.length; i++) f[i] = (i * 2654435761) % 2013265921;
    const { commitment, data } = pcs.commit(f);
    const z = new zk.Transcript('browser').challengeExts('z', 12);
    const { value, proof } = pcs.open(data, z, new zk.Transcript('browser'));
    const ok = pcs.verify(commitment, z, value, proof, new zk.Transcript('browser')).ok;
    const wrong = value.slice(); wrong[0] = (wrong[0] + 1) % 2013265921;
    const bad = pcs.verify(commitment, z, wrong, proof, new zk.Transcript('browser')).ok;
    ({ ok, bad, kernels: zk.kernels ? zk.kernels().name : 'n/a' });
  `;
  for (const wasm of [true, false]) {
    const globals: Record<string, unknown> = { TextEncoder, console };
    if (!wasm) globals.WebAssembly = undefined;
    const result = runInNewContext(script, globals);
    assert.equal(result.ok, true, 'honest opening verifies in a browser-like context');
    assert.equal(result.bad, false, 'a wrong value is rejected there too');
    assert.equal(result.kernels, wasm ? 'wasm' : 'reference', 'kernel choice');
  }
});
