/**
 * Zero-knowledge receipts as a whole (docs/zero-knowledge.md): an honest receipt verifies with
 * the clear receipt's outputs; everything it binds — mode, model, context, input, both
 * commitments, the range proof, every proof byte — is checked; the `.zkc` keeps the commitment's
 * secrets and its opening budget. Each op's forged witnesses are rejected in zk receipts by the
 * per-op harness (`./harness.ts`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatedModel } from '../../src/model/generated.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { commitModel, decodeCommitted, encodeCommitted } from '../../src/prover/commit.js';
import { prove } from '../../src/prover/prove.js';
import { verifyReceipt } from '../../src/verifier/verify.js';
import { decodeReceipt, encodeReceipt } from '../../src/verifier/receipt.js';
import { receiptJson } from '../../src/verifier/json.js';
import { readZkCommitment, zkCommitmentBytes } from '../../src/pcs/zk-ligero.js';
import { computeModelId } from '../../src/circuit/session.js';
import { ByteReader } from '../../src/util/bytes.js';

const g = generatedModel('mlp-tiny');
const { model } = compileOnnx(g.onnx, g.inputs);
const seed = new Uint8Array(32).fill(7);
const zcm = commitModel(model, { zk: { openings: 8, seed } });
const input = g.inputs[0];
const honest = prove(zcm, input, { context: 'job-1' }).receipt;

test('an honest zero-knowledge receipt verifies, with the clear receipt’s outputs, and says what it hides', () => {
  const v = verifyReceipt(honest, zcm.modelId, input, { context: 'job-1' });
  assert.ok(v.ok, v.ok ? '' : `${v.error.kind}: ${v.error.message}`);
  assert.equal(v.receipt.zk, true);
  const clear = commitModel(model);
  const cv = verifyReceipt(prove(clear, input).receipt, clear.modelId, input);
  assert.ok(cv.ok);
  assert.deepEqual(v.outputs.map((o) => Array.from(o.q)), cv.outputs.map((o) => Array.from(o.q)));
  assert.notEqual(zcm.modelId, clear.modelId, 'a zero-knowledge model has its own model ID');
  const json = receiptJson(decodeReceipt(honest)) as { zeroKnowledge: { mode: string; visibility: { parameters: string } } };
  assert.equal(json.zeroKnowledge.mode, 'zero knowledge');
  assert.match(json.zeroKnowledge.visibility.parameters, /hidden/);
});

test('a zero-knowledge receipt is bound to its mode, model, context and input', () => {
  const rc = decodeReceipt(honest);
  const asClear = encodeReceipt({ ...rc, zk: false });
  const a = verifyReceipt(asClear, zcm.modelId, input);
  assert.equal(a.ok, false);
  const b = verifyReceipt(honest, zcm.modelId, input, { context: 'job-2' });
  assert.equal(b.ok ? '' : b.error.kind, 'ContextMismatch');
  const relabelled = encodeReceipt({ ...rc, context: new TextEncoder().encode('job-2') });
  const c = verifyReceipt(relabelled, zcm.modelId, input, { context: 'job-2' });
  assert.equal(c.ok, false, 'a receipt relabelled for another context must not verify');
  const d = verifyReceipt(honest, zcm.modelId, g.inputs[1]);
  assert.equal(d.ok ? '' : d.error.kind, 'InputMismatch');
  const other = commitModel(model, { zk: { openings: 8, seed: new Uint8Array(32).fill(9) } });
  const e = verifyReceipt(honest, other.modelId, input);
  assert.equal(e.ok ? '' : e.error.kind, 'ModelIdMismatch');
});

test('a zero-knowledge receipt with another receipt’s witness commitment, another range proof or a changed proof byte is rejected', () => {
  const rc = decodeReceipt(honest);
  const second = decodeReceipt(prove(zcm, input, { context: 'job-1' }).receipt);
  assert.notDeepEqual(second.witnessCommitment, rc.witnessCommitment, 'every receipt commits with fresh randomness');
  const swapped = verifyReceipt(encodeReceipt({ ...rc, witnessCommitment: second.witnessCommitment }), zcm.modelId, input);
  assert.equal(swapped.ok, false);
  const mixed = verifyReceipt(encodeReceipt({ ...rc, proof: second.proof }), zcm.modelId, input);
  assert.equal(mixed.ok, false, 'a proof made under another witness commitment');
  const other = commitModel(model, { zk: { openings: 8, seed: new Uint8Array(32).fill(9) } });
  const foreignRange = verifyReceipt(encodeReceipt({ ...decodeReceipt(prove(other, input).receipt), paramRange: zcm.paramRange }), other.modelId, input);
  assert.equal(foreignRange.ok, false, 'the range proof of another parameter commitment');
  // the range proof's last part is its two claim batches (multiplicities last): a changed word there is rejected
  const m = rc.paramRange.length;
  for (const at of [m - 1, m - 40, m - 300, m - 700]) {
    const range = rc.paramRange.slice();
    range[at] ^= 0x02;
    const v = verifyReceipt(encodeReceipt({ ...rc, paramRange: range }), zcm.modelId, input);
    assert.equal(v.ok, false, `a changed range-proof byte ${at} of ${m} was accepted`);
  }
  const n = rc.proof.length;
  for (const at of [0, 5, Math.floor(n / 3), Math.floor(n / 2), n - 100, n - 1]) {
    const p = rc.proof.slice();
    p[at] ^= 0x04;
    const v = verifyReceipt(encodeReceipt({ ...rc, proof: p }), zcm.modelId, input);
    assert.equal(v.ok, false, `a changed proof byte ${at} of ${n} was accepted`);
  }
});

test('the .zkc of a zero-knowledge model restores its commitment and its opening budget', () => {
  const small = commitModel(model, { zk: { openings: 1 } });
  // k = t: one receipt may open it, a second is refused
  const first = prove(small, input).receipt;
  assert.ok(verifyReceipt(first, small.modelId, input).ok);
  const saved = encodeCommitted(small);
  assert.throws(() => prove(small, input), /reveal|k =|columns/i);
  const loaded = decodeCommitted(saved);
  assert.equal(loaded.modelId, small.modelId);
  assert.ok(loaded.zk);
  assert.throws(() => prove(loaded, input), /reveal|k =|columns/i, 'the restored budget is already spent');
  const fresh = decodeCommitted(encodeCommitted(zcm));
  assert.equal(fresh.modelId, zcm.modelId);
  const r = prove(fresh, input).receipt;
  assert.ok(verifyReceipt(r, zcm.modelId, input).ok);
});

test('a zero-knowledge receipt whose commitments claim another code or size is rejected', () => {
  const rc = decodeReceipt(honest);
  const wc = readZkCommitment(new ByteReader(rc.witnessCommitment));
  const wider = zkCommitmentBytes({ ...wc, params: { ...wc.params, randomness: wc.params.randomness + 1 } });
  const a = verifyReceipt(encodeReceipt({ ...rc, witnessCommitment: wider }), zcm.modelId, input);
  assert.equal(a.ok ? '' : a.error.kind, 'ParameterMismatch');
  const longer = zkCommitmentBytes({ ...wc, length: wc.length + 1 });
  const b = verifyReceipt(encodeReceipt({ ...rc, witnessCommitment: longer }), zcm.modelId, input);
  assert.equal(b.ok ? '' : b.error.kind, 'MalformedReceipt');
  // a parameter commitment with a weak code, under a model ID recomputed for it (a dishonest model owner)
  const pc = readZkCommitment(new ByteReader(rc.paramCommitment));
  const weak = zkCommitmentBytes({ ...pc, params: { ...pc.params, queries: 8 } });
  const id = computeModelId(rc.description, weak, rc.pcs, true);
  const c = verifyReceipt(encodeReceipt({ ...rc, paramCommitment: weak, modelId: id }), id, input);
  assert.equal(c.ok ? '' : c.error.kind, 'InsufficientSecurity');
});
