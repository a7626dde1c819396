/**
 * Embedding benchmark: a token embedding E[V, d] on T int64 ids, then one Gemm (d → 16), proven
 * end to end (compile, commit, prove, verify) with the indexed lookup into the committed E.
 *   npm run bench:embedding -- --vocab 50257 --dim 64 --tokens 32 [--zk]
 * Prints one JSON line {vocab, dim, tokens, params, zk, commitMs, proveMs, lookupMs, verifyMs, proofBytes}.
 */
import { buildModel, floatTensor, node } from '../src/model/onnx-writer.js';
import { DT } from '../src/model/onnx-proto.js';
import { compileOnnx } from '../src/quantize/compile.js';
import { commitModel } from '../src/prover/commit.js';
import { prove } from '../src/prover/prove.js';
import { verifyReceipt } from '../src/verifier/verify.js';
import { arg, nowMs } from './util.js';

const V = Number(arg('--vocab', '50257'));
const d = Number(arg('--dim', '64'));
const T = Number(arg('--tokens', '32'));
const zk = process.argv.includes('--zk');

let seed = 7;
const rnd = (n: number, a: number) =>
  Array.from({ length: n }, () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return (seed / 2 ** 32 - 0.5) * 2 * a;
  });
const bytes = buildModel({
  inputs: [{ name: 'ids', dims: [T], dtype: DT.INT64 }],
  outputs: ['y'],
  nodes: [node('Gather', ['E', 'ids'], ['emb'], { axis: 0 }, 'wte'), node('Gemm', ['emb', 'w'], ['y'], { transB: 1 }, 'head')],
  inits: [floatTensor('E', [V, d], rnd(V * d, 0.1)), floatTensor('w', [16, d], rnd(16 * d, 1 / Math.sqrt(d)))],
});
const ids = Array.from({ length: T }, (_, i) => (i * 7919) % V);
const { model } = compileOnnx(bytes, [{ ids }]);
let t = nowMs();
const cm = commitModel(model, zk ? { zk: {} } : {});
const commitMs = nowMs() - t;
t = nowMs();
const { receipt, timings } = prove(cm, { ids });
const proveMs = nowMs() - t;
t = nowMs();
const v = verifyReceipt(receipt, cm.modelId, { ids });
const verifyMs = nowMs() - t;
if (!v.ok) throw new Error(`receipt rejected: ${v.error.message}`);
const r = (x: number) => Math.round(x);
console.log(JSON.stringify({ vocab: V, dim: d, tokens: T, params: V * d + 16 * d, zk, commitMs: r(commitMs), proveMs: r(proveMs), lookupMs: r(timings.lookupMs), verifyMs: r(verifyMs), proofBytes: receipt.length }));
