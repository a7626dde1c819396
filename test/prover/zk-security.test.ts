/**
 * The composed bound of zero-knowledge receipts (`src/verifier/zk-security.ts`): every challenge a
 * real zk verification draws — receipt transcript, range-proof transcript and Ligero proof — is
 * one the ledger charges, and its M is the real system's; the figure of a one-Gemm circuit equals
 * the union bound computed by hand; a zk protocol drawing an extra challenge makes the figure
 * fail; the verifier refuses a parameter code whose composed bound misses its minimum
 * (InsufficientSecurity, the composed check's message) and the JSON view lists the zk terms.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCircuit, type Circuit } from '../../src/circuit/circuit.js';
import { decodeDescription } from '../../src/circuit/description.js';
import { computeModelId, receiptTranscript } from '../../src/circuit/session.js';
import { zkParamRangeSystem } from '../../src/circuit/zk-param-range.js';
import { P } from '../../src/field/babybear.js';
import { generatedModel } from '../../src/model/generated.js';
import { buildModel, floatTensor, node } from '../../src/model/onnx-writer.js';
import { DT } from '../../src/model/onnx-proto.js';
import { absorbZkCommitment, readZkCommitment, zkCommitmentBytes } from '../../src/pcs/zk-ligero.js';
import { zkLigeroSecurity } from '../../src/pcs/zk-ligero-params.js';
import { numLinearConstraints } from '../../src/pcs/zk-ligero-system.js';
import { commitModel } from '../../src/prover/commit.js';
import { prove } from '../../src/prover/prove.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { Transcript } from '../../src/transcript/transcript.js';
import { ByteReader } from '../../src/util/bytes.js';
import { receiptJson } from '../../src/verifier/json.js';
import { decodeReceipt, encodeReceipt, type Receipt } from '../../src/verifier/receipt.js';
import { verifyReceipt } from '../../src/verifier/verify.js';
import { verifyZkBody, zkReceiptSystem } from '../../src/verifier/zk-receipt.js';
import { verifyZkSecurity, zkReceiptSecurity } from '../../src/verifier/zk-security.js';

type Draw = { label: string; kind: string; count: number };

/** Runs `fn` with every squeeze of every transcript recorded (label, kind, elements drawn). */
function recordDraws<T>(fn: () => T): { result: T; draws: Draw[] } {
  const proto = Transcript.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const methods = { challengeExt: 'ext', challengeExts: 'ext', challengeIndices: 'index', challengeBase: 'base', challengeBases: 'base' } as const;
  const saved = new Map<string, (...a: unknown[]) => unknown>();
  const draws: Draw[] = [];
  for (const [m, kind] of Object.entries(methods)) {
    const orig = proto[m];
    saved.set(m, orig);
    proto[m] = function (this: unknown, label: unknown, n: unknown, ...rest: unknown[]) {
      draws.push({ label: label as string, kind, count: m === 'challengeExt' || m === 'challengeBase' ? 1 : (n as number) });
      return orig.call(this, label, n, ...rest);
    };
  }
  try {
    return { result: fn(), draws };
  } finally {
    for (const [m, f] of saved) proto[m] = f;
  }
}

const publicsOf = (rc: Receipt) => new Map<string, Int32Array>([...rc.inputs, ...rc.outputs].map((p) => [p.name, p.values]));

/** M of a real receipt, counted from the systems its own bytes give (receipt body + range proof). */
function realNumLinear(c: Circuit, rc: Receipt): number {
  const pc = readZkCommitment(new ByteReader(rc.paramCommitment));
  const wc = readZkCommitment(new ByteReader(rc.witnessCommitment));
  const tr = receiptTranscript(rc.modelId, rc.pcs, rc.context, rc.inputs, rc.outputs, rc.witnessCommitment, {}, true);
  absorbZkCommitment(tr, pc);
  absorbZkCommitment(tr, wc);
  const body = zkReceiptSystem(c, tr, new ByteReader(rc.proof), publicsOf(rc));
  const range = zkParamRangeSystem(c, pc, rc.paramRange);
  assert.ok(range.ok);
  return numLinearConstraints(body) + numLinearConstraints(range.system);
}

const key = (d: Draw) => `${d.label} (${d.count} ${d.kind})`;

/** The draws of `a` not matched in `b` (multisets). */
function missing(a: readonly Draw[], b: readonly Draw[]): string[] {
  const left = new Map<string, number>();
  for (const d of b) left.set(key(d), (left.get(key(d)) ?? 0) + 1);
  const out: string[] = [];
  for (const d of a) {
    const n = left.get(key(d)) ?? 0;
    if (n === 0) out.push(key(d));
    else left.set(key(d), n - 1);
  }
  return out;
}

const tiny = generatedModel('mlp-tiny');
const tinyModel = compileOnnx(tiny.onnx, tiny.inputs).model;
const zcm = commitModel(tinyModel, { zk: { openings: 2, seed: new Uint8Array(32).fill(3) } });
const honest = prove(zcm, tiny.inputs[0]).receipt;

// first in this file: the verifier derives the range system (and draws its challenges) once per model ID
test('every challenge a real zero-knowledge verification draws is charged by a term, and M is the real system’s', () => {
  const rc = decodeReceipt(honest);
  const c = buildCircuit(decodeDescription(rc.description));
  const params = readZkCommitment(new ByteReader(rc.paramCommitment)).params;
  const sec = zkReceiptSecurity(c, params); // before recording: its dry run draws too
  const { result, draws } = recordDraws(() => verifyZkBody(c, rc.modelId, rc, publicsOf(rc)));
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  assert.ok(draws.some((d) => d.label.startsWith('param-range/')) && draws.some((d) => d.label === 'zkl/columns'), 'the recording saw the range proof and the Ligero proof');
  assert.deepEqual(missing(draws, sec.challenges), [], 'drawn by the verifier, charged by no term');
  assert.deepEqual(missing(sec.challenges, draws), [], 'charged by the ledger, never drawn');
  const names = new Set(sec.terms.map((t) => t.name));
  for (const ch of sec.challenges) {
    assert.ok(ch.terms.length > 0 && ch.terms.every((t) => names.has(t)), `${key(ch)}: charged by ${JSON.stringify(ch.terms)}`);
  }
  assert.equal(sec.numLinear, realNumLinear(c, rc));
  assert.ok(sec.bits >= 100 && sec.bits <= sec.fieldCapBits, `${sec.bits} bits, cap ${sec.fieldCapBits}`);
});

test('an embedding on int64 ids: its row point ρ is drawn and charged to the lookups’ shared fingerprint term', () => {
  const V = 20;
  const bytes = buildModel({
    inputs: [{ name: 'ids', dims: [3], dtype: DT.INT64 }],
    outputs: ['y'],
    nodes: [node('Gather', ['E', 'ids'], ['emb'], { axis: 0 }, 'wte'), node('Gemm', ['emb', 'w'], ['y'], { transB: 1 }, 'fc')],
    inits: [floatTensor('E', [V, 12], Array.from({ length: V * 12 }, (_, i) => Math.sin(i))), floatTensor('w', [2, 12], Array.from({ length: 24 }, (_, i) => Math.cos(i) / 4))],
  });
  const input = { ids: [4, 19, 0] };
  const cm = commitModel(compileOnnx(bytes, [input]).model, { zk: { openings: 2, seed: new Uint8Array(32).fill(5) } });
  const rc = decodeReceipt(prove(cm, input).receipt);
  const c = buildCircuit(decodeDescription(rc.description));
  const sec = zkReceiptSecurity(c, readZkCommitment(new ByteReader(rc.paramCommitment)).params);
  const { result, draws } = recordDraws(() => verifyZkBody(c, rc.modelId, rc, publicsOf(rc)));
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  const rho = sec.challenges.find((ch) => /^logup\/\d+\/rho$/.test(ch.label));
  const alpha = sec.challenges.find((ch) => ch.label === 'logup/alpha');
  assert.ok(rho && rho.count === 4 && alpha && rho.terms.length === 1 && rho.terms[0] === alpha.terms[0] && /: fingerprint α, β/.test(rho.terms[0]), JSON.stringify(rho));
  assert.deepEqual(missing(draws, sec.challenges), [], 'drawn by the verifier, charged by no term');
  assert.deepEqual(missing(sec.challenges, draws), [], 'charged by the ledger, never drawn');
  assert.equal(sec.numLinear, realNumLinear(c, rc));
});

test('an instance checked at two fingerprint draws: its second draw and second padded GKR are drawn and charged, and the zk receipt verifies', () => {
  const n = 2 ** 21; // one Relu: N·(W + 2) = 2^22·4 fractions missed the target with one draw
  const bytes = buildModel({ inputs: [{ name: 'x', dims: [1, n] }], outputs: ['y'], nodes: [node('Relu', ['x'], ['y'])], inits: [] });
  const input = { x: Array.from({ length: n }, (_, i) => (((i * 7919) % 255) - 127) / 128) };
  const cm = commitModel(compileOnnx(bytes, [input]).model, { zk: { openings: 1, seed: new Uint8Array(32).fill(8) } });
  const { receipt } = prove(cm, input);
  const rc = decodeReceipt(receipt);
  const c = buildCircuit(decodeDescription(rc.description));
  const sec = zkReceiptSecurity(c, readZkCommitment(new ByteReader(rc.paramCommitment)).params);
  const { result, draws } = recordDraws(() => verifyZkBody(c, rc.modelId, rc, publicsOf(rc)));
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  for (const label of ['logup/alpha-2', 'logup/beta-2', 'logup/0/2/gkr/root-beta']) assert.ok(draws.some((d) => d.label === label), label);
  assert.deepEqual(missing(draws, sec.challenges), [], 'drawn by the verifier, charged by no term');
  assert.deepEqual(missing(sec.challenges, draws), [], 'charged by the ledger, never drawn');
  const fp = sec.challenges.find((ch) => ch.label === 'logup/alpha-2')!;
  assert.ok(fp.terms.length === 1 && /fingerprint α, β at two draws/.test(fp.terms[0]), JSON.stringify(fp));
  assert.ok(sec.terms.some((t) => /\(second draw\): padded GKR over 22 variables/.test(t.name)));
  assert.ok(sec.bits >= 100, `${sec.bits} bits`);
  assert.ok(verifyReceipt(receipt, cm.modelId, input).ok); // after the recording: the verifier derives the range system once per model
});

test('committed tensors: the io range check and the io batch are drawn and charged, the Ligero counts included', () => {
  const cm = commitModel(tinyModel, { zk: { openings: 2, seed: new Uint8Array(32).fill(6) } });
  const rc = decodeReceipt(prove(cm, tiny.inputs[0], { committed: { inputs: true, outputs: true } }).receipt);
  const c = buildCircuit(decodeDescription(rc.description));
  const vis = { inputs: rc.committed!.inputs, outputs: rc.committed!.outputs };
  const sec = zkReceiptSecurity(c, readZkCommitment(new ByteReader(rc.paramCommitment)).params, vis);
  const { result, draws } = recordDraws(() => verifyZkBody(c, rc.modelId, rc, publicsOf(rc)));
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  assert.ok(draws.some((d) => d.label === 'io-range/alpha') && draws.some((d) => d.label === 'zk-batch/io/rho'), 'the recording saw the io range check and the io batch');
  assert.deepEqual(missing(draws, sec.challenges), [], 'drawn by the verifier, charged by no term');
  assert.deepEqual(missing(sec.challenges, draws), [], 'charged by the ledger, never drawn');
  assert.ok(sec.terms.some((t) => /private input '.*' range check/.test(t.name)) && sec.terms.some((t) => /^io batch/.test(t.name)));
  assert.ok(sec.bits >= 100, `${sec.bits} bits`);
});

test('a zk protocol that draws a challenge outside the ledger makes the figure fail', () => {
  const c = buildCircuit(decodeDescription(decodeReceipt(honest).description)); // a fresh circuit: no cached figure
  const proto = Transcript.prototype as unknown as { challengeExt: (label: string) => Uint32Array };
  const honestDraw = proto.challengeExt;
  proto.challengeExt = function (this: Transcript, label: string) {
    if (label === 'zk-batch/witness/rho') honestDraw.call(this, 'sneaky/extra');
    return honestDraw.call(this, label);
  };
  try {
    assert.throws(() => zkReceiptSecurity(c, zcm.zk!.params), /draws 'sneaky\/extra \(1 ext\)', which no soundness term accounts for/);
  } finally {
    proto.challengeExt = honestDraw;
  }
  assert.ok(zkReceiptSecurity(c, zcm.zk!.params).bits >= 100, 'the honest protocol is accounted for');
});

/** y = Gemm(x[1×12], W[6×12], b[6]), as in test/circuit/security.test.ts. */
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

test('the zk figure of a one-Gemm circuit is the union bound computed by hand', () => {
  const small = gemmModel();
  const cm = commitModel(small.model, { zk: { openings: 1 } });
  const c = cm.circuit;
  // the shape of test/circuit/security.test.ts's hand computation: witness 2^10, parameters 2^8
  assert.deepEqual([c.witness.numVars, c.params.numVars], [10, 8]);
  const rc = decodeReceipt(prove(cm, small.input).receipt);
  const M = realNumLinear(c, rc);
  const gkr = (L: number) => 1 + Array.from({ length: L - 1 }, (_, i) => 3 * (i + 1) + 2).reduce((a, b) => a + b, 0);
  const lig = zkLigeroSecurity(cm.zk!.params, M);
  const numerators: [string, number][] = [
    // the clear ledger's: the larger of (c·2^ℓ + 2^b)·max(1, W − 1) over the instances sharing α, β
    ['lookup fingerprint (logup 0: 2^3 lookups into range9)', Math.max(8 + 512, 8 + 256)],
    ['logup 0 GKR over 10 variables, + the root β', gkr(10) + 1],
    ['logup 1 GKR over 9 variables, + the root β', gkr(9) + 1],
    ['layer Gemm_y: the clear replay (r 3, λ 1, requant 3·3, matmul 4·2)', 3 + 1 + 3 * 3 + 4 * 2],
    // one chunk of 2^8 entries: a padded LogUp into range8, leaves over max(8, 8) + 1 = 9 variables
    ['range chunk 0 GKR', gkr(9) + 1],
    // the clear range proof's (N_I + 256): 2^8 lookup leaves, 256 table entries (copies have zero numerators)
    ['range fingerprint', 2 ** 8 + 256],
    // its batches of one claim each: on the parameters [0, 2^8) and on the multiplicities (256 entries)
    ['range parameter batch', 1 - 1 + 2 * 8],
    ['range multiplicity batch', 1 - 1 + 2 * 8],
    // witness links: #mult0, #mult1, y#rem0 (lookups) and y#rem0 (requant); y is public (a constraint)
    ['witness batch', 4 - 1 + 2 * 10],
    // parameter links: b (2 limbs) and W (the range proof batches its own claims, above)
    ['parameter batch', 3 - 1 + 2 * 8],
    ['zk-ligero proximity (e + 2)', lig.proximity + 2],
    ['zk-ligero linear (⌈log2 M⌉ + 1)', Math.ceil(Math.log2(M)) + 1],
    ['zk-ligero quadratic', 1],
  ];
  const K = P ** 4;
  const queries = lig.terms.find((t) => t.name === 'column queries')!.log2;
  const eps = numerators.reduce((s, [, v]) => s + v, 0) / K + 2 ** queries + 2 ** (8 + 96 - 256);
  const byHand = -Math.log2(eps);
  const s = zkReceiptSecurity(c, cm.zk!.params);
  assert.ok(Math.abs(s.bits - byHand) <= 0.01 && s.bits <= byHand, `module ${s.bits}, by hand ${byHand}`);
  const listed = s.terms.filter((t) => t.formula.endsWith('/|K|')).map((t) => Number(/= (\d+)\/\|K\|$/.exec(t.formula)![1]));
  assert.deepEqual(listed, numerators.map(([, v]) => v));
  assert.equal(s.terms.length, numerators.length + 2); // + column queries + Fiat–Shamir
  assert.equal(s.numLinear, M);
  assert.ok(!s.terms.some((t) => /tensor PCS/.test(t.name)), 'no clear opening is charged');
});

test('the verifier refuses a parameter code whose composed bound misses its minimum; the JSON view lists the zk terms', () => {
  const rc = decodeReceipt(honest);
  const c = zcm.circuit;
  const sec = zkReceiptSecurity(c, zcm.zk!.params);
  // the minimum is the caller's: the figure itself passes, a hundredth of a bit more fails
  assert.ok(verifyZkSecurity(c, zcm.zk!.params, sec.bits).ok);
  const above = verifyZkSecurity(c, zcm.zk!.params, sec.bits + 0.01);
  assert.equal(above.ok ? '' : above.error.kind, 'InsufficientSecurity');

  // a parameter commitment with fewer queries, under a model ID recomputed for it (a dishonest model owner)
  const pc = readZkCommitment(new ByteReader(rc.paramCommitment));
  for (const queries of [pc.params.queries - 40, 8]) {
    const weakCode = { ...pc.params, queries };
    const weak = zkCommitmentBytes({ ...pc, params: weakCode });
    const id = computeModelId(rc.description, weak, rc.pcs, true);
    const v = verifyReceipt(encodeReceipt({ ...rc, paramCommitment: weak, modelId: id }), id, tiny.inputs[0]);
    assert.equal(v.ok ? '' : v.error.kind, 'InsufficientSecurity', `t = ${queries}`);
    if (!v.ok) assert.match(v.error.message, /zero-knowledge receipts of this model and parameter code have \d+\.\d+ composed security bits, below the verifier's 100; largest terms: zk-ligero column queries/);
    const j = receiptJson(decodeReceipt(encodeReceipt({ ...rc, paramCommitment: weak, modelId: id }))) as { securityBits: number; security: { meetsTarget: boolean } };
    assert.ok(j.securityBits < 100 && !j.security.meetsTarget, `t = ${queries}: ${j.securityBits}`);
  }

  assert.ok(verifyReceipt(honest, zcm.modelId, tiny.inputs[0]).ok);
  const j = receiptJson(rc) as { securityBits: number; security: { bits: number; meetsTarget: boolean; terms: { name: string; formula: string; citation: string }[] } };
  assert.equal(j.securityBits, sec.bits);
  assert.ok(j.security.meetsTarget);
  const names = j.security.terms.map((t) => t.name).join('\n');
  for (const want of [/logup 0 .*fingerprint/, /logup 0 .*padded GKR/, /layer 'gemm0'/, /parameter range chunk 0 .*padded GKR/, /parameter range proof: fingerprints/, /witness batch \(padded\)/, /parameter batch \(padded\)/, /zk-ligero proximity/, /zk-ligero linear test/, /zk-ligero quadratic/, /zk-ligero column queries/, /Fiat–Shamir/]) {
    assert.match(names, want);
  }
  assert.doesNotMatch(names, /tensor PCS/);
  for (const t of j.security.terms) assert.ok(t.citation.length > 10 && t.formula.length > 5);
});
