/**
 * Receipt canonicity (issue: "receipt malleability"). Every field of the receipt format has one
 * valid encoding, so the bytes of a receipt are a function of its contents: `decodeReceipt` then
 * `encodeReceipt` returns the same bytes, and a third party cannot turn a valid receipt into a
 * different valid byte string. The attacks the old decoder allowed: a PCS mode byte of 2..255
 * read as "not merged" (255 encodings of one receipt, each verifying), and a BOM in front of a
 * tensor name stripped by TextDecoder (so "\uFEFFx" verified as "x"). The mutation test changes
 * every header field and a sample of bytes throughout the proof: each mutant either fails to
 * decode (with a DecodeError) or decodes to something that re-encodes to exactly the mutant —
 * and the verifier rejects every one of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatedModel } from '../../src/model/generated.js';
import { floatTensor, node } from '../../src/model/onnx-writer.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { commitModel, type CommittedModel } from '../../src/prover/commit.js';
import { prove } from '../../src/prover/prove.js';
import { decodeReceipt, encodeReceipt, verifyReceipt } from '../../src/verifier/index.js';
import { bytesEqual, ByteReader, DecodeError } from '../../src/util/bytes.js';
import { opHarness, vec } from './harness.js';
import { computeModelId } from '../../src/circuit/session.js';

interface Case {
  name: string;
  cm: CommittedModel;
  input: Record<string, number[]>;
  receipt: Uint8Array;
}

function generated(name: 'mlp-tiny' | 'cnn-tiny', context?: string): Case {
  const g = generatedModel(name);
  const cm = commitModel(compileOnnx(g.onnx, g.inputs).model);
  return { name, cm, input: g.inputs[0], receipt: prove(cm, g.inputs[0], { context }).receipt };
}

let cases: Case[] | undefined;
function allCases(): Case[] {
  if (cases) return cases;
  const gemm = opHarness(
    {
      inputs: [{ name: 'x', dims: [1, 12] }],
      outputs: ['y'],
      nodes: [node('Gemm', ['x', 'w1', 'b1'], ['h'], { transB: 1 }), node('Relu', ['h'], ['r']), node('Gemm', ['r', 'w2', 'b2'], ['y'], { transB: 1 })],
      inits: [floatTensor('w1', [6, 12], vec(72, 1, 0.5)), floatTensor('b1', [6], vec(6, 2, 0.3)), floatTensor('w2', [3, 6], vec(18, 3, 0.5)), floatTensor('b2', [3], vec(3, 4, 0.3))],
    },
    [{ x: vec(12, 5) }, { x: vec(12, 6) }],
  );
  const two = opHarness(
    {
      inputs: [{ name: 'x', dims: [1, 8] }, { name: 'z', dims: [1, 8] }],
      outputs: ['s', 'a'],
      nodes: [node('Mul', ['x', 'z'], ['m']), node('Sigmoid', ['m'], ['s']), node('Add', ['x', 'z'], ['a'])],
      inits: [],
    },
    [{ x: vec(8, 11), z: vec(8, 12) }, { x: vec(8, 13), z: vec(8, 14) }],
  );
  cases = [
    generated('mlp-tiny', 'market/m1/job/7/operator/A'),
    generated('cnn-tiny'),
    { name: 'gemm-relu-gemm', cm: gemm.cm, input: gemm.input, receipt: prove(gemm.cm, gemm.input, { context: Uint8Array.of(0, 0xff, 0xfe) }).receipt },
    { name: 'two inputs, two outputs', cm: two.cm, input: two.input, receipt: prove(two.cm, two.input).receipt },
  ];
  return cases;
}

/** The receipt's fields as [name, start, end) byte ranges (a second, independent reading of the format). */
function fields(b: Uint8Array): { name: string; start: number; end: number }[] {
  const r = new ByteReader(b);
  const out: { name: string; start: number; end: number }[] = [];
  let pos = 0;
  const take = (name: string, n: number) => {
    r.bytes(n, name);
    out.push({ name, start: pos, end: pos + n });
    pos += n;
  };
  const u32 = (name: string) => {
    const v = new DataView(b.buffer, b.byteOffset + pos, 4).getUint32(0, true);
    take(name, 4);
    return v;
  };
  const blob = (name: string) => take(name, u32(`${name} length`));
  take('magic', 4);
  take('version', 4);
  take('zk flag', 1);
  take('model ID', 32);
  take('pcs log blowup', 1);
  take('pcs security bits', 2);
  take('pcs merged flag', 1);
  take('pcs max log codeword', 1);
  blob('context');
  blob('description');
  blob('parameter commitment');
  blob('parameter range proof');
  for (const role of ['input', 'output']) {
    const n = u32(`${role} count`);
    for (let i = 0; i < n; i++) {
      blob(`${role} ${i} name`);
      take(`${role} ${i} values`, 4 * u32(`${role} ${i} value count`));
    }
  }
  blob('witness commitment');
  blob('proof');
  r.end('receipt');
  return out;
}

function mutants(b: Uint8Array, seed: number): { what: string; bytes: Uint8Array }[] {
  const out: { what: string; bytes: Uint8Array }[] = [];
  const at = (what: string, pos: number, value: number) => {
    if (b[pos] === value) return;
    const m = b.slice();
    m[pos] = value;
    out.push({ what: `${what} @${pos} = ${value}`, bytes: m });
  };
  let s = seed >>> 0;
  const rnd = (n: number) => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % n);
  for (const f of fields(b)) {
    const len = f.end - f.start;
    if (len === 0) continue;
    if (len === 1) {
      for (let v = 0; v < 256; v++) at(f.name, f.start, v); // every other value of a one-byte field
    } else if (/length|count|version/.test(f.name)) {
      for (let k = 0; k < 4; k++) for (const x of [1, 0x80]) at(f.name, f.start + k, b[f.start + k] ^ x);
    } else {
      // first, last, and sampled bytes of the field; more for the proof and range proof
      const n = /^proof$/.test(f.name) ? 40 : /range proof|description/.test(f.name) ? 10 : Math.min(len, 6);
      const positions = new Set([f.start, f.end - 1, f.start + (len >> 1)]);
      while (positions.size < Math.min(len, n)) positions.add(f.start + rnd(len));
      for (const p of positions) at(f.name, p, b[p] ^ (1 << rnd(8)));
    }
  }
  return out;
}

test('honest receipts of several models re-encode to themselves, and the field walk covers every byte', () => {
  for (const c of allCases()) {
    const v = verifyReceipt(c.receipt, c.cm.modelId, c.input);
    assert.ok(v.ok, `${c.name}: ${v.ok ? '' : v.error.message}`);
    assert.ok(bytesEqual(encodeReceipt(decodeReceipt(c.receipt)), c.receipt), `${c.name}: decode → encode changed the bytes`);
    const f = fields(c.receipt);
    assert.equal(f[f.length - 1].end, c.receipt.length);
    f.forEach((x, i) => assert.equal(x.start, i === 0 ? 0 : f[i - 1].end, `${c.name}: field ${x.name} is not contiguous`));
  }
});

test('the PCS mode byte and the zk flag have exactly one valid encoding each', () => {
  const c = allCases()[0];
  const pos = fields(c.receipt).find((f) => f.name === 'pcs merged flag')!.start;
  const zk = fields(c.receipt).find((f) => f.name === 'zk flag')!.start;
  for (let v = 2; v < 256; v++) {
    const m = c.receipt.slice();
    m[pos] = v;
    assert.throws(() => decodeReceipt(m), (e: unknown) => e instanceof DecodeError && /pcs mode: expected 0 or 1/.test(e.message), `mode byte ${v}`);
    const r = verifyReceipt(m, c.cm.modelId, c.input);
    assert.ok(!r.ok && r.error.kind === 'MalformedReceipt', `mode byte ${v}: ${r.ok ? 'ACCEPTED' : r.error.kind}`);
    const z = c.receipt.slice();
    z[zk] = v;
    assert.throws(() => decodeReceipt(z), DecodeError);
  }
});

test('a BOM in front of a tensor name is kept (not stripped), so "\\uFEFFx" is not the tensor "x"', () => {
  for (const c of allCases().slice(0, 2)) {
    const rc = decodeReceipt(c.receipt);
    const name = rc.inputs[0].name;
    rc.inputs[0].name = `\ufeff${name}`;
    const m = encodeReceipt(rc);
    assert.equal(m.length, c.receipt.length + 3);
    const back = decodeReceipt(m);
    assert.equal(back.inputs[0].name, `\ufeff${name}`, 'the BOM survives decoding');
    assert.ok(bytesEqual(encodeReceipt(back), m));
    const r = verifyReceipt(m, c.cm.modelId, c.input);
    assert.ok(!r.ok && r.error.kind === 'PublicMismatch', `${c.name}: ${r.ok ? 'ACCEPTED with a BOM-prefixed input name' : r.error.kind}`);
    // the same for an output name
    const ro = decodeReceipt(c.receipt);
    ro.outputs[0].name = `\ufeff${ro.outputs[0].name}`;
    assert.equal(verifyReceipt(encodeReceipt(ro), c.cm.modelId).ok, false);
  }
});

test('trailing bytes inside the commitment blobs are refused', () => {
  const c = allCases()[0];
  for (const key of ['paramCommitment', 'witnessCommitment'] as const) {
    const rc = decodeReceipt(c.receipt);
    rc[key] = Uint8Array.from([...rc[key], 0]);
    // a model ID recomputed for the padded parameter commitment, so only the padding is wrong
    const id = key === 'paramCommitment' ? computeModelId(rc.description, rc.paramCommitment, rc.pcs) : c.cm.modelId;
    rc.modelId = id;
    const r = verifyReceipt(encodeReceipt(rc), id, c.input);
    assert.ok(!r.ok && r.error.kind === 'MalformedReceipt' && /trailing/.test(r.error.message), `${key} with a trailing byte: ${r.ok ? 'ACCEPTED' : `${r.error.kind}: ${r.error.message}`}`);
  }
});

test('mutation: every header field and sampled proof bytes — each mutant fails to decode, or decodes canonically and is rejected', (t) => {
  let decoded = 0;
  let refusedByDecoder = 0;
  for (const [k, c] of allCases().entries()) {
    // the first two models get every mutant; the others a sample, to keep the test quick
    const all = mutants(c.receipt, 1000 + k);
    const list = k < 2 ? all : all.filter((_, i) => i % 3 === 0);
    for (const { what, bytes } of list) {
      let rc;
      try {
        rc = decodeReceipt(bytes);
      } catch (e) {
        assert.ok(e instanceof DecodeError, `${c.name} ${what}: decode threw ${(e as Error).name}: ${(e as Error).message}`);
        refusedByDecoder++;
        continue;
      }
      decoded++;
      assert.ok(bytesEqual(encodeReceipt(rc), bytes), `${c.name} ${what}: decodes, but re-encodes to different bytes (a second encoding)`);
      let r;
      try {
        r = verifyReceipt(bytes, c.cm.modelId, c.input);
      } catch (e) {
        assert.fail(`${c.name} ${what}: verify threw ${(e as Error).message}`);
      }
      assert.equal(r.ok, false, `${c.name} ${what}: a mutated receipt VERIFIED`);
    }
  }
  t.diagnostic(`${decoded} mutants decoded (each re-encodes to itself and is rejected by verify), ${refusedByDecoder} refused by the decoder`);
  assert.ok(decoded > 100 && refusedByDecoder > 100, `mutants: ${decoded} decoded (all rejected by verify), ${refusedByDecoder} refused by the decoder`);
});
