/**
 * The receipt verifier entry point bundles for the browser platform (esbuild fails on any `node:`
 * import) and verifies a receipt made in Node inside a context without Node's globals; a changed
 * output is rejected there too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { generatedModel } from '../../src/model/generated.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { commitModel } from '../../src/prover/commit.js';
import { prove } from '../../src/prover/prove.js';

const here = dirname(fileURLToPath(import.meta.url));
const srcRoot = join(here, '..', '..', 'src');

test('verifier entry point bundles for browsers and verifies a receipt there', async () => {
  const g = generatedModel('mlp-tiny');
  const cm = commitModel(compileOnnx(g.onnx, g.inputs).model);
  const { receipt } = prove(cm, g.inputs[0]);
  const out = await build({
    entryPoints: [join(srcRoot, 'verifier', 'index.js')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'zkv',
    write: false,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0].text;
  assert.ok(!/from\s+["']node:/.test(code) && !/require\(["']node:/.test(code), 'no node: imports in the verifier bundle');
  // TextEncoder from this realm would hand the bundle foreign Uint8Arrays; a browser's is native.
  const script = `const _te = new OuterTextEncoder();
    globalThis.TextEncoder = class { encode(s) { return new Uint8Array(_te.encode(s)); } };
    ${code}
    const receipt = new Uint8Array(receiptBytes);
    const ok = zkv.verify(receipt, modelId).ok;
    const rc = zkv.decodeReceipt(receipt);
    rc.outputs[0].values[0] ^= 1;
    const bad = zkv.verify(zkv.encodeReceipt(rc), modelId);
    ({ ok, badOk: bad.ok, kind: bad.ok ? '' : bad.error.kind });
  `;
  const r = runInNewContext(script, { OuterTextEncoder: TextEncoder, TextDecoder, console, receiptBytes: Array.from(receipt), modelId: cm.modelId });
  assert.equal(r.ok, true, 'honest receipt verifies in a browser-like context');
  assert.equal(r.badOk, false, `changed output rejected (${r.kind})`);
  console.log(`verifier bundle: ${(code.length / 1024).toFixed(0)} KiB`);
});
