/**
 * The statement of a zero-knowledge receipt is pinned: with every random word drawn from a fixed
 * stream (Web Crypto replaced by SHA-256 in counter mode for the test), the prover's receipt and
 * the constraint system the verifier derives from it are byte-for-byte reproducible, so their
 * digests are golden values. The digests were recorded from the code before the verifier's
 * constraint emission was reworked for speed (array-based affine forms, cached per-circuit work):
 * a change that alters one constraint, its order or one coefficient, or one receipt byte, changes
 * them. Re-recorded once, deliberately, when the parameter range proof began to batch its claims
 * (`circuit/zk-param-range.ts`, transcript v2): +21 linear constraints in both models (the two
 * batches' 11 + 8 round constraints and their 2 final checks), the same 4 tensor constraints (the
 * range's two links became the two batches' links). `statementDigest` is what the Ligero proof absorbs, so it covers every linear, tensor and
 * Hadamard constraint with its coefficients and right-hand side, in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatedModel } from '../../src/model/generated.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { commitModel } from '../../src/prover/commit.js';
import { prove } from '../../src/prover/prove.js';
import { verifyReceipt } from '../../src/verifier/verify.js';
import { decodeReceipt } from '../../src/verifier/receipt.js';
import { receiptTranscript } from '../../src/circuit/session.js';
import { zkParamRangeSystem } from '../../src/circuit/zk-param-range.js';
import { absorbZkCommitment, readZkCommitment } from '../../src/pcs/zk-ligero.js';
import { seededRandom } from '../../src/pcs/zk-ligero-masks.js';
import { statementDigest } from '../../src/pcs/zk-ligero-system.js';
import { appendSystem } from '../../src/piop/zk-affine.js';
import { zkReceiptSystem } from '../../src/verifier/zk-receipt.js';
import { sha256 } from '../../src/hash/sha256.js';
import { ByteReader, toHex } from '../../src/util/bytes.js';

/** Runs `f` with globalThis.crypto.getRandomValues drawing from a seeded stream. */
function withFixedRandomness<T>(label: string, f: () => T): T {
  const real = Object.getOwnPropertyDescriptor(globalThis, 'crypto')!;
  const rng = seededRandom(sha256(new TextEncoder().encode(`zk-statement test/${label}`)));
  const fake = {
    getRandomValues<A extends ArrayBufferView>(a: A): A {
      rng(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      return a;
    },
  };
  Object.defineProperty(globalThis, 'crypto', { value: fake, configurable: true, writable: true });
  try {
    return f();
  } finally {
    Object.defineProperty(globalThis, 'crypto', real);
  }
}

/** The receipt's hash, the number of linear, tensor and Hadamard constraints, and the digest of the system its verifier derives (as `verifyZkBody` does). */
function digests(name: 'mlp-tiny' | 'cnn-tiny'): { receipt: string; statement: string; constraints: number[] } {
  const g = generatedModel(name);
  const { model } = compileOnnx(g.onnx, g.inputs);
  const input = g.inputs[0];
  const { cm, bytes } = withFixedRandomness(name, () => {
    const cm = commitModel(model, { zk: { openings: 4, seed: new Uint8Array(32).fill(3) } });
    return { cm, bytes: prove(cm, input, { context: 'statement' }).receipt };
  });
  const v = verifyReceipt(bytes, cm.modelId, input, { context: 'statement' });
  assert.ok(v.ok, v.ok ? '' : `${v.error.kind}: ${v.error.message}`);
  const rc = decodeReceipt(bytes);
  const c = cm.circuit;
  const pc = readZkCommitment(new ByteReader(rc.paramCommitment));
  const wc = readZkCommitment(new ByteReader(rc.witnessCommitment));
  const range = zkParamRangeSystem(c, pc, rc.paramRange);
  assert.ok(range.ok);
  const tr = receiptTranscript(cm.modelId, rc.pcs, rc.context, rc.inputs, rc.outputs, rc.witnessCommitment, {}, true);
  absorbZkCommitment(tr, pc);
  absorbZkCommitment(tr, wc);
  const publics = new Map<string, Int32Array>([...rc.inputs, ...rc.outputs].map((p) => [p.name, Int32Array.from(p.values)]));
  const system = appendSystem(zkReceiptSystem(c, tr, new ByteReader(rc.proof), publics), range.system);
  return {
    receipt: toHex(sha256(bytes)),
    statement: toHex(statementDigest([pc, wc], system)),
    constraints: [system.linear.length, system.tensor.length, system.hadamard.length],
  };
}

const GOLDEN = {
  'mlp-tiny': {
    receipt: '6747dc0bceedb9aa6aaa219d5a786932e1c100932ef2631feb2e126e66ee8d43',
    statement: '04a7d31e9aa47c4c12afe1ae3a097dabb85e577812ac986d8c71e9ede2d1bf3e',
    constraints: [1860, 4, 60],
  },
  'cnn-tiny': {
    receipt: 'f33a587744727342565ea80aec89b5cbb5a7fc946c39eda9f29b8dd0e67799e4',
    statement: '92e74a3d4e96690e3d69e315c0b3f849354648a0bbc889dee36cc28f975569f9',
    constraints: [1709, 4, 54],
  },
};

for (const name of ['mlp-tiny', 'cnn-tiny'] as const) {
  test(`${name}: a zero-knowledge receipt made from fixed randomness, and the system its verifier derives, have the recorded digests`, () => {
    assert.deepEqual(digests(name), GOLDEN[name]);
  });
}
