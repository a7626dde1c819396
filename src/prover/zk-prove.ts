/**
 * The zero-knowledge receipt prover (docs/zero-knowledge.md; the body's layout and transcript:
 * `verifier/zk-receipt.ts`). Same inference and witness as the clear prover (`./prove.ts`), then:
 *  1. the witness vector [segments ‖ pads] with every pad uniform and every product slot filled,
 *     committed with a hiding commitment (`pcs/zk-ligero.ts`, fresh randomness per receipt);
 *  2. the preamble (with the `zk` marker) and both commitments, then every message padded: the
 *     lookups, each layer, the limb evaluations, the witness and parameter batches;
 *  3. the statement: the verifier's replay of those messages (`zkReceiptSystem`) and the model's
 *     parameter range proof (`circuit/zk-param-range.ts`) give every constraint; one
 *     zero-knowledge Ligero proof over the parameter and witness commitments shows the committed
 *     vectors satisfy them.
 * The prover's address space is one array [parameter side ‖ witness vector] (the parameter side
 * copied in once per receipt: the batches and sessions read both through absolute offsets).
 */
import { lookupStatements } from '../circuit/circuit.js';
import { addLookupClaims, contextBytes, receiptTranscript, type PublicTensor } from '../circuit/session.js';
import { fillProducts, PadAllocator } from '../circuit/zk-pads.js';
import { fillZkBatchPads, proveZkBatch, writeZkBatchProof } from '../pcs/zk-batch.js';
import { absorbZkCommitment, commitZkLigero, proveZkLigeroMulti, writeZkMultiProof, zkCommitmentBytes } from '../pcs/zk-ligero.js';
import { drawLookupChallenges } from '../piop/lookup/logup.js';
import { fillZkLookupPads, proveZkLookups, proveZkLookupsUnchecked, writeZkLookupProof } from '../piop/lookup/zk-logup.js';
import { appendSystem, fillUniform } from '../piop/zk-affine.js';
import type { ConstraintSystem } from '../pcs/constraints.js';
import { zkParamRangeSystem } from '../circuit/zk-param-range.js';
import { ByteReader, ByteWriter } from '../util/bytes.js';
import { encodeReceipt } from '../verifier/receipt.js';
import { proverZkLinks } from '../verifier/zk-layers.js';
import { batchClaims, zkReceiptLayout, zkReceiptSystem, zkRegions, ZK_BATCH_LABELS } from '../verifier/zk-receipt.js';
import type { CommittedModel } from './commit.js';
import { buildWitness, quantizedInputs, receiptOf, type ProveOptions, type ProveResult } from './prove.js';
import { ZkProverSession } from './session.js';

const RANGE_SYSTEMS = new WeakMap<Uint8Array, ConstraintSystem>();

/** The model's range-proof constraints (derived once per model: its range proof never changes). */
function rangeSystemOf(cm: CommittedModel): ConstraintSystem {
  let sys = RANGE_SYSTEMS.get(cm.paramRange);
  if (!sys) {
    const range = zkParamRangeSystem(cm.circuit, cm.zk!.commitment, cm.paramRange);
    if (!range.ok) throw new Error(`the model's parameter range proof is invalid: ${range.error.message}`);
    sys = range.system;
    RANGE_SYSTEMS.set(cm.paramRange, sys);
  }
  return sys;
}

export function proveZk(cm: CommittedModel, input: Record<string, ArrayLike<number>>, opts: ProveOptions = {}): ProveResult {
  const zk = cm.zk;
  if (!zk) throw new Error('proveZk: the model was not committed for zero-knowledge receipts');
  const T0 = performance.now();
  const progress = opts.onProgress ?? (() => {});
  const context = contextBytes(opts.context);
  const c = cm.circuit;
  const lay = zkReceiptLayout(c);
  const W = lay.witnessBase;
  const { run, vals, witnesses, wvec, unchecked, inferMs, witnessMs } = buildWitness(cm, input, opts.tamper, progress, lay.end - W - 2 ** c.witness.numVars);

  let t = performance.now();
  progress('commit witness', 0, 1);
  const all = new Uint32Array(lay.end);
  all.set(zk.data.values.subarray(0, W));
  all.set(wvec, W);
  fillZkLookupPads(all, lay.lookups);
  fillUniform(all, lay.layersBase, lay.layers.end);
  fillProducts(all, lay.layers.fills);
  fillZkBatchPads(all, lay.batchWitness);
  fillZkBatchPads(all, lay.batchParams);
  const { commitment: wc, data: wd } = commitZkLigero(all.subarray(W), zk.witnessParams);
  const witnessCommitment = zkCommitmentBytes(wc);
  const commitMs = performance.now() - t;

  const inputs = quantizedInputs(cm, run);
  const outputs: PublicTensor[] = run.outputs.map((o) => ({ name: o.name, values: Int32Array.from(o.q) }));
  const start = () => {
    const tr = receiptTranscript(cm.modelId, cm.pcs.config, context, inputs, outputs, witnessCommitment, {}, true);
    absorbZkCommitment(tr, zk.commitment);
    absorbZkCommitment(tr, wc);
    return tr;
  };
  const tr = start();
  const w = new ByteWriter(1 << 20);

  t = performance.now();
  progress('lookups', 0, 1);
  const statements = lookupStatements(c);
  const ch = drawLookupChallenges(tr, statements);
  const lk = (unchecked ? proveZkLookupsUnchecked : proveZkLookups)(tr, ch, witnesses, all, lay.lookups);
  writeZkLookupProof(w, lk.proof);
  const s = new ZkProverSession(tr, w, c, { vals, params: cm.params, paramVector: zk.data.values }, all, new PadAllocator(lay.layersBase));
  s.unchecked = unchecked;
  addLookupClaims(c, lk.claims, (tn, p, v) => s.claim(tn, p, v));
  const lookupMs = performance.now() - t;

  t = performance.now();
  c.layers.forEach((cl, i) => {
    progress(`layer ${cl.layer.name}`, i, c.layers.length);
    cl.protocol.prove(cl.layer, cl.plan, s);
  });
  const layersMs = performance.now() - t;

  t = performance.now();
  progress('openings', 0, 1);
  const claims = batchClaims(c, proverZkLinks(s, c, cm.params));
  const regions = zkRegions(c);
  writeZkBatchProof(w, proveZkBatch(tr, regions.witness, claims.witness, all, lay.batchWitness, ZK_BATCH_LABELS.witness, { unchecked }).proof);
  writeZkBatchProof(w, proveZkBatch(tr, regions.params, claims.params, all, lay.batchParams, ZK_BATCH_LABELS.params, { unchecked }).proof);
  const body = w.finish();
  const publics = new Map<string, Int32Array>([...inputs, ...outputs].map((p) => [p.name, p.values]));
  const replay = start();
  const system = appendSystem(zkReceiptSystem(c, replay, new ByteReader(body), publics), rangeSystemOf(cm));
  const proof = new ByteWriter(body.length + (1 << 20));
  proof.bytes(body);
  writeZkMultiProof(proof, proveZkLigeroMulti([zk.data, wd], system, replay, { unchecked }));
  const openMs = performance.now() - t;

  const receipt = encodeReceipt(receiptOf(cm, true, context, inputs, outputs, witnessCommitment, proof.finish()));
  progress('done', 1, 1);
  return {
    outputs: run.outputs,
    receipt,
    timings: { inferMs, witnessMs, commitMs, lookupMs, layersMs, openMs, totalMs: performance.now() - T0 },
  };
}
