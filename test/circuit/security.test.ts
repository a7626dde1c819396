/**
 * The composed security bound (`src/circuit/security.ts`): the figure of a small circuit equals
 * the union bound computed by hand below; the dry replay refuses a challenge drawn outside the
 * bookkeeping; the verifier rejects receipts made with weakened PCS parameters
 * (InsufficientSecurity) and judges stronger ones on their figure; an instance too large for one
 * fingerprint draw is checked at two and its receipt verifies; the 128-bit profile is refused with the reason;
 * the JSON view lists every term.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCircuit, lookupStatements } from '../../src/circuit/circuit.js';
import { describeModel } from '../../src/circuit/description.js';
import { chargeLookupFingerprint, InsufficientSecurityError, Ledger, receiptSecurity } from '../../src/circuit/security.js';
import { replayLayers } from '../../src/circuit/security-replay.js';
import { P } from '../../src/field/babybear.js';
import { buildModel, floatTensor, node } from '../../src/model/onnx-writer.js';
import { chooseLayout, DEFAULT_TENSOR_PCS_CONFIG } from '../../src/pcs/params.js';
import { commitModel } from '../../src/prover/commit.js';
import { prove } from '../../src/prover/prove.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { receiptJson } from '../../src/verifier/json.js';
import { decodeReceipt, encodeReceipt } from '../../src/verifier/receipt.js';
import { needsSecondDraw, readLookupProof, writeLookupProof, type LookupProof, type LookupStatement } from '../../src/piop/lookup/logup.js';
import { rangeTable, tableBits } from '../../src/piop/lookup/tables.js';
import { ByteReader, ByteWriter } from '../../src/util/bytes.js';
import { verifyReceipt } from '../../src/verifier/verify.js';
import { assertReplayMatchesVerifier } from '../support/live-replay.js';

/** y = Gemm(x[1×12], W[6×12], b[6]): one layer, requantised to int8. */
function gemmModel() {
  const bytes = buildModel({
    inputs: [{ name: 'x', dims: [1, 12] }],
    outputs: ['y'],
    nodes: [node('Gemm', ['x', 'w', 'b'], ['y'], { transB: 1 })],
    inits: [floatTensor('w', [6, 12], Array.from({ length: 72 }, (_, i) => (((i * 37) % 17) - 8) / 20)), floatTensor('b', [6], [0.1, -0.2, 0.3, 0, 0.05, -0.1])],
  });
  const input = { x: Array.from({ length: 12 }, (_, i) => (((i * 5) % 7) - 3) / 4) };
  return { model: compileOnnx(bytes, [input]).model, input };
}

const small = gemmModel();
const smallCircuit = buildCircuit(describeModel(small.model).description);

test('the figure of a one-Gemm circuit is the union bound computed by hand', () => {
  const c = smallCircuit;
  // The circuit: y [1×6] (3 variables), its remainder y#rem0 < 2^9, parameters W (int8, 7
  // variables) and b (2 limbs, 3 variables each); witness vector 2^10 (#mult0 2^9, #mult1 2^8,
  // y#rem0 2^3), parameter vector 2^8. Pin the shape the hand computation relies on:
  assert.equal(c.witness.numVars, 10);
  assert.equal(c.params.numVars, 8);
  assert.deepEqual(c.lookups.map((g) => [g.table.name, g.tuples.length, g.logLen]), [['range9', 1, 3], ['range8', 1, 3]]);
  const K = P ** 4; // |K|, as a double (relative error 2^-53, far below the 0.01-bit rounding)
  const numerators: [string, number][] = [
    // the two instances share α, β: one term, the larger degree (c·2^ℓ + 2^b)·max(1, W − 1), of
    // logup 0: rem ∈ [0, 2^9), ℓ = 3, c = 1, b = 9, W = 1 → 8 + 512; logup 1: y + 128 ∈ [0, 2^8) → 8 + 256
    ['lookup fingerprint (logup 0)', Math.max(8 + 512, 8 + 256)],
    // logup 0's GKR over n + 1 = 10 variables: μ at the root, then per layer j = 1..9: 3j (sumcheck) + λ + μ
    ['logup 0 GKR', 1 + [1, 2, 3, 4, 5, 6, 7, 8, 9].reduce((s, j) => s + 3 * j + 2, 0)],
    // logup 1: n = 8, its GKR over 9 variables
    ['logup 1 GKR', 1 + [1, 2, 3, 4, 5, 6, 7, 8].reduce((s, j) => s + 3 * j + 2, 0)],
    // the Gemm layer: requant point r (3) + λ (degree 1: one remainder, uniform divisor) +
    // requant sumcheck (3 rounds × degree 3) + matmul sumcheck (K = 12 → 4 rounds × degree 2)
    ['layer Gemm_y', 3 + 1 + 3 * 3 + 4 * 2],
    // parameter range proof: [0, 144) rounded up to the 2^8 vector, one chunk: (N + 256)
    ['range fingerprint', 256 + 256],
    ['range GKR', 1 + [1, 2, 3, 4, 5, 6, 7].reduce((s, j) => s + 3 * j + 2, 0)],
    // witness batch: claims on #mult0, #mult1, y#rem0 (lookups) and y#rem0 (requant): N_c = 4, n = 10
    ['witness batching', 4 - 1 + 2 * 10],
    // parameter batch: b (2 limbs) and W (1) from the Gemm, 1 range chunk: N_c = 4, n = 8
    ['parameter batching', 4 - 1 + 2 * 8],
  ];
  // Both openings use one column (C = 1, N = 4, d = 4, e = 1 < d/3), ℓ = 10 and 8 rows, t = 249:
  // max(2ℓ(e+1)/|K| + (3/4)^t, (1/4)^t) = 2ℓ·2/|K| + (3/4)^249.
  for (const n of [10, 8]) assert.deepEqual([chooseLayout(n).logCols, chooseLayout(n).numQueries], [0, 249]);
  const pcs = (rows: number) => (2 * rows * 2) / K + 0.75 ** 249;
  const hash = 2 ** (8 + 96 - 256);
  const eps = numerators.reduce((s, [, v]) => s + v, 0) / K + pcs(10) + pcs(8) + hash;
  const byHand = -Math.log2(eps);

  const s = receiptSecurity(c);
  assert.ok(Math.abs(s.bits - byHand) <= 0.01 && s.bits <= byHand, `module ${s.bits}, by hand ${byHand}`);
  assert.equal(s.target, 100);
  // each term the module lists matches its hand value
  const listed = s.terms.filter((t) => t.formula.endsWith('/|K|')).map((t) => Number(/= (\d+)\/\|K\|$/.exec(t.formula)![1]));
  assert.deepEqual(listed, numerators.map(([, v]) => v));
  assert.equal(s.terms.length, numerators.length + 3); // + two PCS openings + Fiat–Shamir
  for (const t of s.terms) assert.ok(t.name && t.citation && Number.isFinite(t.log2) && t.log2 < -100, JSON.stringify(t));
});

test('the dry replay refuses a challenge that no soundness term accounts for', () => {
  const c = buildCircuit(describeModel(small.model).description);
  const cl = c.layers[0];
  const honest = cl.protocol;
  cl.protocol = { ...honest, verify: (L, plan, ctx) => (ctx.tr.challengeExt('sneaky/lambda'), honest.verify(L, plan, ctx)) };
  assert.throws(() => replayLayers(c), /layer 'Gemm_y' draws 'sneaky\/lambda'.*no soundness term/);
});

test('weakened PCS parameters: receipts are rejected with InsufficientSecurity; stronger ones verify', () => {
  for (const [bits, ok] of [[60, false], [96, false], [110, true]] as const) {
    const cm = commitModel(small.model, { insecurePcs: { securityBits: bits } });
    const { receipt } = prove(cm, small.input);
    const v = verifyReceipt(receipt, cm.modelId, small.input);
    const j = receiptJson(decodeReceipt(receipt));
    if (ok) {
      assert.ok(v.ok, v.ok ? '' : v.error.message);
      assert.ok((j.securityBits as number) > 102);
    } else {
      assert.equal(v.ok, false, `${bits}-bit openings accepted`);
      if (!v.ok) {
        assert.equal(v.error.kind, 'InsufficientSecurity');
        assert.match(v.error.message, /below the verifier's 100; largest terms: (witness|parameter) opening/);
      }
      assert.ok((j.securityBits as number) < 100);
      assert.equal((j.security as { meetsTarget: boolean }).meetsTarget, false);
    }
  }
});

/** One Relu over 2^21 entries: a lookup into its (x, relu(x)) table whose one-draw bound N·(W + 2) = 2^22·4 missed the target. */
function bigReluModel() {
  const n = 2 ** 21;
  const bytes = buildModel({ inputs: [{ name: 'x', dims: [1, n] }], outputs: ['y'], nodes: [node('Relu', ['x'], ['y'])], inits: [] });
  const input = { x: Array.from({ length: n }, (_, i) => (((i * 7919) % 255) - 127) / 128) };
  return { model: compileOnnx(bytes, [input]).model, input };
}

test('an instance too large for one fingerprint draw is checked at two: charged (D/|K|)², and its receipt verifies; a changed word of the second GKR is rejected', () => {
  const { model, input } = bigReluModel();
  const cm = commitModel(model); // before the second draw: refused at 99.6 bits
  const [st] = lookupStatements(cm.circuit);
  assert.deepEqual([st.table.name, st.numLookups, st.logLen, st.fingerprints], ['table:Relu_y', 1, 21, 2]);
  const s = receiptSecurity(cm.circuit);
  const fp = s.terms.find((t) => /fingerprint α, β at two draws/.test(t.name))!;
  // D = (c·2^ℓ + 2^b)·max(1, W − 1) = 2^21 + 2^9 (the table's 2^9 rows, W = 2), squared over |K|²
  assert.equal(tableBits(st.table), 9);
  const D = 2 ** 21 + 2 ** 9;
  assert.ok(Math.abs(fp.log2 - 2 * (Math.log2(D) - 4 * Math.log2(P))) < 1e-5, `${fp.log2} ${fp.formula}`);
  assert.ok(s.terms.some((t) => /logup 0 .* \(second draw\): GKR over 22 variables/.test(t.name)));
  assert.ok(s.bits >= 100, `${s.bits} bits`);
  const { receipt } = prove(cm, input);
  const v = verifyReceipt(receipt, cm.modelId, input);
  assert.ok(v.ok, v.ok ? '' : v.error.message);
  // the lookup proof opens the proof bytes: u32 count, the first draw's GKR, then the second's
  const rc = decodeReceipt(receipt);
  const lk = readLookupProof(new ByteReader(rc.proof), [st]);
  assert.equal(lk.instances.length, 2);
  const size = (p: LookupProof) => {
    const w = new ByteWriter();
    writeLookupProof(w, p);
    return w.finish().length;
  };
  const second = size({ instances: [lk.instances[0]] }); // where the second GKR begins
  for (const [at, kind] of [[second + 4, 'NonZeroSum'], [second + 100, null]] as const) {
    const proof = rc.proof.slice();
    proof[at] ^= 1;
    const r = verifyReceipt(encodeReceipt({ ...rc, proof }), cm.modelId, input);
    assert.equal(r.ok, false, `byte ${at}`);
    if (!r.ok && kind) assert.equal(r.error.kind, kind, r.error.message);
    if (!r.ok) assert.match(r.error.message, /second fingerprint|canonical|decode/i);
  }
  assertReplayMatchesVerifier(receipt);
});

test('the second-draw rule and the fingerprint term at GPT-2-scale shapes: the largest single-draw instance stays below 2^-101.6, every instance this build allows fits', () => {
  const range = (bits: number, c: number, l: number): LookupStatement => ({ table: rangeTable(bits), numLookups: c, logLen: l });
  // W = 1: 2^{n+1}·3 > 2^{log2|K| − 100} = 2^23.63 from n + 1 = 23 on
  assert.equal(needsSecondDraw(range(8, 32, 16)), false); // 2^21 lookups: the angle classifier's largest
  assert.equal(needsSecondDraw(range(8, 64, 16)), true); // 2^22
  assert.equal(needsSecondDraw(range(16, 1, 26)), true); // 2^26, the most one instance takes
  const log2K = 4 * Math.log2(P);
  const charged = (sts: LookupStatement[]) => {
    const ledger = new Ledger();
    const name = chargeLookupFingerprint(ledger, sts)!;
    return { name, log2: ledger.terms.find((t) => t.name === name)!.log2 };
  };
  // the largest instance left with one draw: D = 2^21 + 2^8, one draw
  const single = charged([range(8, 32, 16), range(8, 4, 16)]);
  assert.ok(Math.abs(single.log2 - (Math.log2(2 ** 21 + 2 ** 8) - log2K)) < 1e-5 && single.log2 < -102.6, `${single.log2}`);
  assert.match(single.name, /^logup 0 .*: fingerprint α, β \(the largest of 2 instances/);
  // 40 instances of a transformer's size, one of 2^26 lookups: at two draws, the largest term is a one-draw instance's
  const big = [range(16, 1, 26), ...Array.from({ length: 39 }, () => range(8, 16, 16))].map((st) => (needsSecondDraw(st) ? { ...st, fingerprints: 2 as const } : st));
  const t = charged(big);
  assert.ok(Math.abs(t.log2 - (Math.log2(2 ** 20 + 2 ** 8) - log2K)) < 1e-5, `${t.name} ${t.log2}`);
  const alone = charged([big[0]]);
  assert.ok(Math.abs(alone.log2 - 2 * (Math.log2(2 ** 26 + 2 ** 16) - log2K)) < 1e-5 && alone.log2 < -195, `${alone.log2}`);
});

test('the 128-bit profile is refused with the terms that cap it and what would lift it', () => {
  assert.throws(() => commitModel(small.model, { security: 128 }), (e: unknown) => {
    const m = (e as Error).message;
    return e instanceof InsufficientSecurityError && /128-bit profile is not available/.test(m) && /field terms alone cap a receipt at 1\d\d\.\d+ bits/.test(m) && /quintic extension u\^5 = 2/.test(m);
  });
  assert.throws(() => commitModel(small.model, { security: 112 }), /expected one of 100, 128/);
  assert.throws(() => chooseLayout(20, { ...DEFAULT_TENSOR_PCS_CONFIG, securityBits: 131 }), /unreachable/);
});

test('the JSON view of an honest receipt carries securityBits ≥ 100 and every term, and the replay matches its verification', () => {
  const cm = commitModel(small.model);
  const { receipt } = prove(cm, small.input);
  assert.ok(verifyReceipt(receipt, cm.modelId, small.input).ok);
  const j = receiptJson(decodeReceipt(receipt));
  const sec = j.security as { bits: number; target: number; meetsTarget: boolean; terms: { name: string; log2: number; formula: string; citation: string }[]; meaning: string };
  assert.equal(j.securityBits, receiptSecurity(smallCircuit).bits);
  assert.ok(sec.bits >= 100 && sec.meetsTarget && sec.target === 100);
  assert.match(sec.meaning, /\(Q\+1\)·2\^-10\d\.\d+/);
  const names = sec.terms.map((t) => t.name).join('\n');
  for (const want of [/logup 0 .*fingerprint/, /logup 0 .*GKR/, /layer 'Gemm_y'/, /parameter range proof: fingerprints/, /witness batch opening/, /parameter batch opening/, /witness opening \(tensor PCS/, /parameter opening \(tensor PCS/, /Fiat–Shamir/]) {
    assert.match(names, want);
  }
  for (const t of sec.terms) assert.ok(t.citation.length > 10 && t.formula.length > 5);
  assertReplayMatchesVerifier(receipt);
});
