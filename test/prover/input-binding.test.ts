/**
 * The verifier's input binding accepts exactly what the prover accepts (issue: "the verifier's
 * input binding accepts values the prover refuses"). The attack: the verifier used to quantize
 * the caller's input through an Int32Array, so NaN, ±Infinity and null became 0 and huge values
 * wrapped mod 2^32 — a receipt for input 0 "verified" for input NaN or 1e300. Now prover and
 * verifier share one quantization rule (src/quantize/input.ts): for every hostile value the
 * prover refuses to prove it, and a receipt for the honest input is rejected when checked
 * against it, with a stable kind naming the input and the index.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatedModel } from '../../src/model/generated.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { commitModel } from '../../src/prover/commit.js';
import { prove } from '../../src/prover/prove.js';
import { ModelError } from '../../src/model/errors.js';
import { quantizeInputValues } from '../../src/quantize/input.js';
import { verifyReceipt } from '../../src/verifier/verify.js';

const g = generatedModel('mlp-tiny');
const { model } = compileOnnx(g.onnx, g.inputs);
const cm = commitModel(model);
const info = model.inputs[0];
const name = info.name;
const sc = 2 ** info.exp;
const K = 5; // the index the attacker changes

/** What the old verifier computed: Math.floor(v·2^exp + 0.5) stored into an Int32Array (ToInt32). */
function oldQuantized(v: unknown): number {
  try {
    return Int32Array.from([v as number], (x) => Math.floor(x * sc + 0.5))[0];
  } catch {
    return 0; // a BigInt made the old verifier throw (caught as MalformedReceipt)
  }
}

const HOSTILE: [string, unknown, 'BadInput' | 'InputOutOfRange'][] = [
  ['NaN', NaN, 'BadInput'],
  ['Infinity', Infinity, 'BadInput'],
  ['-Infinity', -Infinity, 'BadInput'],
  ['null', null, 'BadInput'],
  ["'1'", '1', 'BadInput'],
  ['true', true, 'BadInput'],
  ['[0] (nested)', [0], 'BadInput'],
  ['0n (BigInt)', 0n, 'BadInput'],
  ['1e300', 1e300, 'InputOutOfRange'],
  ['2**31', 2 ** 31, 'InputOutOfRange'],
  ['-(2**31)-1', -(2 ** 31) - 1, 'InputOutOfRange'],
  ['just above the calibrated range', (info.hi + 0.5) / sc, 'InputOutOfRange'],
  ['just below the calibrated range', (info.lo - 0.5) / sc - 1e-9, 'InputOutOfRange'],
];

test('for each hostile value the prover refuses it, and a receipt for the honest input is rejected for it', () => {
  assert.ok(info.lo <= -64 && info.hi >= 63, `calibrated range [${info.lo}, ${info.hi}]`);
  for (const [what, hostile, kind] of HOSTILE) {
    // The honest input is the one the old verifier would have confused with the hostile value
    // (its Int32 wrap), when that is a provable value; else 0.
    const wrapped = oldQuantized(hostile);
    const honestQ = wrapped >= info.lo && wrapped <= info.hi ? wrapped : 0;
    const honest = g.inputs[0][name].slice();
    honest[K] = honestQ / sc;
    const { receipt } = prove(cm, { [name]: honest });
    assert.ok(verifyReceipt(receipt, cm.modelId, { [name]: honest }).ok, `${what}: honest receipt`);

    const attack = honest.slice() as unknown[];
    attack[K] = hostile;
    const attackInput = { [name]: attack } as unknown as Record<string, number[]>;
    // the prover refuses to prove the hostile input …
    assert.throws(() => prove(cm, attackInput), (e: unknown) => e instanceof ModelError && e.kind === (kind === 'BadInput' ? 'BadInput' : 'OutOfRange') && e.message.includes(`'${name}'`) && e.message.includes(`index ${K}`), `${what}: the prover proved it`);
    // … and the verifier refuses to bind the honest receipt to it
    let r;
    try {
      r = verifyReceipt(receipt, cm.modelId, attackInput);
    } catch (e) {
      assert.fail(`${what}: verifyReceipt threw: ${(e as Error).message}`);
    }
    assert.equal(r.ok, false, `${what}: a receipt for input value ${honestQ / sc} VERIFIED for the hostile value (old verifier's quantization: ${wrapped})`);
    if (!r.ok) {
      assert.equal(r.error.kind, kind, `${what}: ${r.error.kind}: ${r.error.message}`);
      assert.match(r.error.message, new RegExp(`input '${name}'.*index ${K}`), `${what}: the message names the input and the index`);
      assert.equal(r.error.index, K);
    }
  }
});

test('wrong length is an InputMismatch with the numbers; non-lists and non-objects are BadInput; a typed array is fine', () => {
  const input = g.inputs[0];
  const { receipt } = prove(cm, input);
  const n = input[name].length;
  const short = verifyReceipt(receipt, cm.modelId, { [name]: input[name].slice(1) });
  assert.ok(!short.ok && short.error.kind === 'InputMismatch' && short.error.message.includes(`expected ${n} values`) && short.error.message.includes(`got ${n - 1}`));
  assert.ok(!short.ok && short.error.expected === n && short.error.actual === n - 1);
  const long = verifyReceipt(receipt, cm.modelId, { [name]: [...input[name], 0] });
  assert.ok(!long.ok && long.error.kind === 'InputMismatch');
  // nested to the input's shape where a flat list is expected
  const nested = verifyReceipt(receipt, cm.modelId, { [name]: [input[name]] } as never);
  assert.ok(!nested.ok && nested.error.kind === 'InputMismatch', nested.ok ? '' : nested.error.message);
  const nestedFull = verifyReceipt(receipt, cm.modelId, { [name]: input[name].map((v) => [v]) } as never);
  assert.ok(!nestedFull.ok && nestedFull.error.kind === 'BadInput' && /index 0 is not a number \(got an array\)/.test(nestedFull.error.message));
  for (const v of ['0123456789abcdef', 5, null, {}]) {
    const r = verifyReceipt(receipt, cm.modelId, { [name]: v } as never);
    assert.ok(!r.ok && r.error.kind === 'BadInput' && r.error.message.includes(`'${name}'`), `${JSON.stringify(v)}: ${r.ok ? 'accepted' : r.error.kind}`);
  }
  for (const v of [5, 'x', [1, 2]]) {
    const r = verifyReceipt(receipt, cm.modelId, v as never);
    assert.ok(!r.ok && r.error.kind === 'BadInput', `input ${JSON.stringify(v)}`);
  }
  const missing = verifyReceipt(receipt, cm.modelId, {});
  assert.ok(!missing.ok && missing.error.kind === 'InputMismatch' && /missing input/.test(missing.error.message));
  // a value with valueOf is refused without being called
  let called = false;
  const sneaky = input[name].slice() as unknown[];
  sneaky[0] = { valueOf: () => ((called = true), input[name][0]) };
  const s = verifyReceipt(receipt, cm.modelId, { [name]: sneaky } as never);
  assert.ok(!s.ok && s.error.kind === 'BadInput' && !called);
  assert.ok(verifyReceipt(receipt, cm.modelId, { [name]: Float64Array.from(input[name]) }).ok, 'a Float64Array input');
  assert.ok(verifyReceipt(receipt, cm.modelId, { [name]: input[name], extra: [1] }).ok, 'extra keys are ignored, as the prover ignores them');
});

test('the shared rule: round half up, clamping only in saturate mode, never a wrapped value', () => {
  const i = { name: 'x', dims: [2, 2], exp: 2, lo: -8, hi: 7 };
  const ok = quantizeInputValues(i, [0.125, -0.125, 1.75 + 0.124, -2], 'strict');
  assert.ok(ok.ok);
  assert.deepEqual(Array.from(ok.q), [1, 0, 7, -8]);
  const hi = quantizeInputValues(i, [0, 0, 1.875, 0], 'strict');
  assert.ok(!hi.ok && hi.problem.kind === 'OutOfRange' && hi.problem.index === 2);
  const sat = quantizeInputValues(i, [1e300, -1e300, 2 ** 31, -(2 ** 31) - 1], 'saturate');
  assert.ok(sat.ok);
  assert.deepEqual(Array.from(sat.q), [7, -8, 7, -8]);
  for (const bad of [NaN, null, '1', true]) {
    const r = quantizeInputValues(i, [0, bad, 0, 0], 'saturate');
    assert.ok(!r.ok && (r.problem.kind === 'NotANumber' || r.problem.kind === 'NotFinite') && r.problem.index === 1, `${String(bad)} is refused even when saturating`);
  }
});
