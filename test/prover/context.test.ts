/**
 * Receipts bound to a public context (receipt v3; issue "receipts are not bound to a job"). The
 * attack: operator B submits operator A's published receipt for another job with the same input.
 * With the job's context in the receipt, a verifier that expects B's context refuses it
 * (ContextMismatch), and editing the context in place breaks the transcript (the proof fails
 * even for a verifier that expects no particular context). Also: the context limits, the
 * conversion both sides share, the JSON view, and the transcript preamble's label sequence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatedModel } from '../../src/model/generated.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { commitModel } from '../../src/prover/commit.js';
import { prove } from '../../src/prover/prove.js';
import { contextBytes, decodeReceipt, encodeReceipt, MAX_CONTEXT_BYTES, receiptJson, verifyReceipt } from '../../src/verifier/index.js';
import * as lib from '../../src/index.js';
import { receiptTranscript, RECEIPT_VERSION } from '../../src/circuit/session.js';
import { DEFAULT_TENSOR_PCS_CONFIG } from '../../src/pcs/params.js';
import { toHex } from '../../src/util/bytes.js';

const g = generatedModel('mlp-tiny');
const cm = commitModel(compileOnnx(g.onnx, g.inputs).model);
const input = g.inputs[0];
const ctxA = 'market/m1/job/7/operator/A';
const ctxB = 'market/m1/job/8/operator/B';
const receiptA = prove(cm, input, { context: ctxA }).receipt;

/** kinds that come from the proof itself failing (the transcript), not from a header check */
const PROOF_FAILURE = /Sumcheck|Round|FinalClaim|Opening|Merkle|Column|Evaluation|Lookup|Gkr|Mismatch/;
const HEADER_KINDS = new Set(['MalformedReceipt', 'ContextMismatch', 'ModelIdMismatch', 'ParameterMismatch', 'PublicMismatch', 'PublicOutOfRange', 'InputMismatch', 'BadContext']);

test('a receipt made for context A verifies for A, returns A, and is rejected for context B (ContextMismatch)', () => {
  const ok = verifyReceipt(receiptA, cm.modelId, input, { context: ctxA });
  assert.ok(ok.ok, ok.ok ? '' : ok.error.message);
  assert.equal(toHex(ok.context), toHex(new TextEncoder().encode(ctxA)));
  // the same context given as bytes is the same context
  assert.ok(verifyReceipt(receiptA, cm.modelId, input, { context: contextBytes(ctxA) }).ok);
  // without an expected context the receipt verifies and reports its context
  const any = verifyReceipt(receiptA, cm.modelId);
  assert.ok(any.ok && new TextDecoder().decode(any.context) === ctxA);
  // operator B presents A's receipt for its own job: refused
  for (const other of [ctxB, '', `${ctxA} `, new Uint8Array(0), contextBytes(ctxA).subarray(1)]) {
    const r = verifyReceipt(receiptA, cm.modelId, input, { context: other });
    assert.equal(r.ok, false, `accepted for context ${JSON.stringify(other)}`);
    if (!r.ok) assert.equal(r.error.kind, 'ContextMismatch');
  }
  const r = verifyReceipt(receiptA, cm.modelId, input, { context: ctxB });
  assert.ok(!r.ok && r.error.message.includes(ctxA) && r.error.message.includes(ctxB), 'the message names both contexts');
  // a receipt without a context is not one for context A either
  const plain = prove(cm, input).receipt;
  const p = verifyReceipt(plain, cm.modelId, input, { context: ctxA });
  assert.ok(!p.ok && p.error.kind === 'ContextMismatch');
  assert.ok(verifyReceipt(plain, cm.modelId, input, { context: '' }).ok, 'the empty context is "no context"');
});

test('a context edited in place (rest of the receipt kept) is rejected by the transcript, not only by the equality check', () => {
  const edits: [string, (c: Uint8Array) => Uint8Array][] = [
    ['last byte flipped', (c) => { const d = c.slice(); d[d.length - 1] ^= 1; return d; }],
    ['operator A → B', () => new TextEncoder().encode(ctxA.replace(/A$/, 'B'))],
    ['removed', () => new Uint8Array(0)],
    ['extended', (c) => Uint8Array.from([...c, 0x21])],
  ];
  for (const [what, edit] of edits) {
    const rc = decodeReceipt(receiptA);
    rc.context = edit(rc.context);
    const forged = encodeReceipt(rc);
    // a verifier that pins nothing about the context must still reject: the proof no longer holds
    const r = verifyReceipt(forged, cm.modelId, input);
    assert.equal(r.ok, false, `context ${what}: ACCEPTED — the context is not bound into the transcript`);
    if (!r.ok) {
      assert.ok(!HEADER_KINDS.has(r.error.kind) && PROOF_FAILURE.test(r.error.kind), `context ${what}: rejected by ${r.error.kind}, expected a proof check: ${r.error.message}`);
    }
    // and one that expects the edited context (the forger's target) rejects it too
    const t = verifyReceipt(forged, cm.modelId, input, { context: rc.context });
    assert.equal(t.ok, false, `context ${what}: accepted for the forged context`);
  }
});

test('the maximum context length works; one byte more is a MalformedReceipt (and refused by prove and verify)', () => {
  const max = new Uint8Array(MAX_CONTEXT_BYTES).map((_, i) => (i * 131 + 7) & 255);
  assert.equal(MAX_CONTEXT_BYTES, 1024);
  const { receipt } = prove(cm, input, { context: max });
  const v = verifyReceipt(receipt, cm.modelId, input, { context: max });
  assert.ok(v.ok, v.ok ? '' : v.error.message);
  assert.equal(v.context.length, MAX_CONTEXT_BYTES);
  // one over the cap: the decoder refuses it before reading it
  const rc = decodeReceipt(receipt);
  rc.context = Uint8Array.from([...max, 1]);
  const over = verifyReceipt(encodeReceipt(rc), cm.modelId);
  assert.ok(!over.ok && over.error.kind === 'MalformedReceipt' && /context length/.test(over.error.message), over.ok ? 'accepted' : over.error.message);
  assert.throws(() => decodeReceipt(encodeReceipt(rc)), (e: Error) => e.name === 'DecodeError');
  assert.throws(() => prove(cm, input, { context: rc.context }), RangeError);
  assert.throws(() => prove(cm, input, { context: 'é'.repeat(513) }), RangeError, '1026 UTF-8 bytes');
  const bad = verifyReceipt(receipt, cm.modelId, input, { context: rc.context });
  assert.ok(!bad.ok && bad.error.kind === 'BadContext');
});

test('contextBytes: strings are UTF-8, bytes are copied, anything else is refused', () => {
  assert.deepEqual(Array.from(contextBytes('é')), [0xc3, 0xa9]);
  assert.deepEqual(Array.from(contextBytes(undefined)), []);
  const b = Uint8Array.of(1, 2, 3);
  const c = contextBytes(b);
  b[0] = 9;
  assert.equal(c[0], 1, 'a copy, so a later edit of the caller array changes nothing');
  assert.deepEqual(Array.from(contextBytes(Buffer.from([4, 5]))), [4, 5]);
  for (const x of [null, 7, {}, [1, 2], new Uint16Array(2)]) assert.throws(() => contextBytes(x as never), TypeError);
  // a lone surrogate would be replaced by U+FFFD by UTF-8 encoding: two strings, one context
  assert.throws(() => contextBytes('a\ud800b'), TypeError);
  assert.throws(() => contextBytes('a\udc00'), TypeError);
  assert.equal(contextBytes('😀').length, 4);
  const r = verifyReceipt(receiptA, cm.modelId, input, { context: 42 as never });
  assert.ok(!r.ok && r.error.kind === 'BadContext');
  // exported from the package entry point too
  assert.equal(lib.contextBytes, contextBytes);
  assert.equal(lib.MAX_CONTEXT_BYTES, MAX_CONTEXT_BYTES);
});

test('the JSON view shows the context as hex, plus its text when it is UTF-8', () => {
  const j = receiptJson(decodeReceipt(receiptA)) as { version: number; context: { bytes: number; hex: string; text?: string } };
  assert.equal(j.version, RECEIPT_VERSION);
  assert.equal(RECEIPT_VERSION, 3);
  assert.deepEqual(j.context, { bytes: ctxA.length, hex: toHex(new TextEncoder().encode(ctxA)), text: ctxA });
  const rc = decodeReceipt(receiptA);
  rc.context = Uint8Array.of(0xff, 0x00);
  assert.deepEqual(receiptJson(rc).context, { bytes: 2, hex: 'ff00' }, 'not UTF-8: no text');
  rc.context = Uint8Array.of(0xef, 0xbb, 0xbf, 0x78);
  assert.equal((receiptJson(rc).context as { text: string }).text, '\ufeffx', 'a leading BOM is shown, not dropped');
});

test('golden label sequence of the receipt transcript preamble: the context right after the model ID, before the public values and any challenge', () => {
  const inputs = [{ name: 'x', values: Int32Array.of(1, -2) }];
  const outputs = [{ name: 'y', values: Int32Array.of(3) }];
  const tr = receiptTranscript(cm.modelId, DEFAULT_TENSOR_PCS_CONFIG, contextBytes('job'), inputs, outputs, new Uint8Array(33), { record: true });
  assert.deepEqual(tr.log, [
    { op: 'absorb', label: 'version', kind: 'u64', count: 1 },
    { op: 'absorb', label: 'params/field', kind: 'bytes', count: 42 },
    { op: 'absorb', label: 'params/pcs', kind: 'bytes', count: 5 },
    { op: 'absorb', label: 'model-id', kind: 'bytes', count: 64 },
    { op: 'absorb', label: 'context', kind: 'bytes', count: 3 },
    { op: 'absorb', label: 'input/count', kind: 'u64', count: 1 },
    { op: 'absorb', label: 'input/name', kind: 'bytes', count: 1 },
    { op: 'absorb', label: 'input/values', kind: 'base', count: 2 },
    { op: 'absorb', label: 'output/count', kind: 'u64', count: 1 },
    { op: 'absorb', label: 'output/name', kind: 'bytes', count: 1 },
    { op: 'absorb', label: 'output/values', kind: 'base', count: 1 },
    { op: 'absorb', label: 'witness/commitment', kind: 'bytes', count: 33 },
  ]);
  // every context byte reaches the first challenge
  const first = (ctx: Uint8Array) => receiptTranscript(cm.modelId, DEFAULT_TENSOR_PCS_CONFIG, ctx, inputs, outputs, new Uint8Array(33)).challengeExt('probe').join(',');
  const base = first(contextBytes('job'));
  assert.notEqual(first(contextBytes('jog')), base);
  assert.notEqual(first(contextBytes('')), first(contextBytes('\0')), 'empty and one zero byte differ (length-prefixed)');
});
