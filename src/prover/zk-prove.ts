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
 *     vectors satisfy them. With `opts.renewal` the parameter commitment it opens is a renewal of
 *     the root (same vector, its own randomness and budget) and the receipt carries the path.
 * The prover's address space is one array [parameter side ‖ witness vector] (the parameter side
 * copied in once per receipt: the batches and sessions read both through absolute offsets).
 */
import { lookupStatements } from '../circuit/circuit.js';
import { addLookupClaims, contextBytes, receiptTranscript, type PublicTensor } from '../circuit/session.js';
import { fillProducts, PadAllocator } from '../circuit/zk-pads.js';
import { fillZkBatchPads, proveZkBatch, writeZkBatchProof } from '../pcs/zk-batch.js';
import { commitZkLigero, proveZkLigeroMulti, writeZkMultiProof, zkCommitmentBytes, type ZkLigeroProverData } from '../pcs/zk-ligero.js';
import { drawLookupChallenges } from '../piop/lookup/logup.js';
import { fillZkLookupPads, proveZkLookups, proveZkLookupsUnchecked, writeZkLookupProof } from '../piop/lookup/zk-logup.js';
import { appendSystem, fillUniform } from '../piop/zk-affine.js';
import type { ConstraintSystem } from '../pcs/constraints.js';
import { zkParamRangeSystem } from '../circuit/zk-param-range.js';
import { ByteReader, ByteWriter } from '../util/bytes.js';
import { encodeReceipt } from '../verifier/receipt.js';
import { proverZkLinks } from '../verifier/zk-layers.js';
import { absorbZkCommitments, batchClaims, zkBatches, zkReceiptLayout, zkReceiptSystem, ZK_BATCH_LABELS } from '../verifier/zk-receipt.js';
import type { ReceiptCommitted } from '../verifier/receipt.js';
import { ALL_PUBLIC, commitZkIo, proveZkIoRange, visibilityIssue, type ZkIoOpening, type ZkVisibility } from '../circuit/zk-io.js';
import { cryptoRandom, MIN_SEED_BYTES, randomBytes } from '../pcs/zk-ligero-masks.js';
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

/** The committed tensors `opts.committed` asks for, checked against the model (a clear error otherwise). */
function visibilityOf(cm: CommittedModel, committed: ProveOptions['committed']): ZkVisibility {
  if (committed === undefined) return ALL_PUBLIC;
  const pick = (role: 'input' | 'output', names: readonly string[] | boolean | undefined): string[] => {
    const all = (role === 'input' ? cm.model.inputs : cm.model.outputs).map((t) => t.name);
    if (names === true) return all;
    if (names === undefined || names === false) return [];
    if (!Array.isArray(names)) throw new TypeError(`committed ${role}s: expected a list of names or true, got ${typeof names}`);
    for (const n of names) if (!all.includes(n)) throw new RangeError(`committed ${role}s: '${n}' is not a model ${role} (the model's ${role}s: ${all.join(', ')})`);
    return all.filter((n) => names.includes(n));
  };
  const vis = { inputs: pick('input', committed.inputs), outputs: pick('output', committed.outputs) };
  const err = visibilityIssue(cm.circuit, vis);
  if (err) throw new RangeError(`committed tensors: ${err}`);
  return vis;
}

export function proveZk(cm: CommittedModel, input: Record<string, ArrayLike<number>>, opts: ProveOptions = {}): ProveResult {
  const zk = cm.zk;
  if (!zk) throw new Error('proveZk: the model was not committed for zero-knowledge receipts');
  const links = opts.renewal?.links ?? [];
  const opened = opts.renewal ? opts.renewal.data : zk.data;
  if (links.length > 0 && !opts.tamper) {
    const last = links[links.length - 1].child;
    const own = zkCommitmentBytes(opened.commitment);
    if (last.length !== own.length || last.some((b, i) => b !== own[i])) throw new RangeError("proveZk: the renewal path's prover data does not commit the path's last child");
  } else if (links.length === 0 && opened !== zk.data && !opts.tamper) throw new RangeError('proveZk: a renewal without links (expected its path from the root)');
  const T0 = performance.now();
  const progress = opts.onProgress ?? (() => {});
  const context = contextBytes(opts.context);
  const c = cm.circuit;
  const vis = visibilityOf(cm, opts.committed);
  const lay = zkReceiptLayout(c, vis);
  const W = lay.witnessBase;
  const { run, vals, witnesses, wvec, unchecked, inferMs, witnessMs } = buildWitness(cm, input, opts.tamper, progress, lay.end - W - 2 ** c.witness.numVars);

  let t = performance.now();
  progress('commit witness', 0, 1);
  const all = new Uint32Array(lay.io ? lay.io.base + lay.io.layout.length : lay.end);
  all.set(zk.data.values.subarray(0, W));
  all.set(wvec, W);
  fillZkLookupPads(all, lay.lookups);
  fillUniform(all, lay.layersBase, lay.layers.end);
  fillProducts(all, lay.layers.fills);
  fillZkBatchPads(all, lay.batchWitness);
  fillZkBatchPads(all, lay.batchParams);
  if (lay.io) fillZkBatchPads(all, lay.io.batch);
  const { commitment: wc, data: wd } = commitZkLigero(all.subarray(W, lay.end), zk.witnessParams);
  const witnessCommitment = zkCommitmentBytes(wc);

  const inputs = quantizedInputs(cm, run);
  const outputs: PublicTensor[] = run.outputs.map((o) => ({ name: o.name, values: Int32Array.from(o.q) }));
  const hidden = new Set([...vis.inputs, ...vis.outputs]);
  const publicInputs = inputs.filter((p) => !hidden.has(p.name));
  const publicOutputs = outputs.filter((p) => !hidden.has(p.name));
  let io: { data: ZkLigeroProverData; committed: ReceiptCommitted; opening: ZkIoOpening } | null = null;
  if (lay.io) {
    const values = new Map([...inputs, ...outputs].filter((p) => hidden.has(p.name)).map((p) => [p.name, p.values]));
    if (opts.tamper) opts.tamper(values, 'io');
    const seed = opts.committed?.seed ?? randomBytes(cryptoRandom, MIN_SEED_BYTES);
    const { commitment, data } = commitZkIo(c, vis, values, seed, witnessCommitment, zk.witnessParams, { unchecked });
    all.set(data.values, lay.io.base);
    io = { data, committed: { inputs: [...vis.inputs], outputs: [...vis.outputs], commitment: zkCommitmentBytes(commitment) }, opening: { seed: seed.slice(), values } };
  }
  const commitMs = performance.now() - t;
  const start = () => {
    const tr = receiptTranscript(cm.modelId, cm.pcs.config, context, publicInputs, publicOutputs, witnessCommitment, {}, true, io?.committed ?? null, links.map((l) => l.child));
    absorbZkCommitments(tr, zk.commitment, links.length > 0 ? opened.commitment : null, io ? [wc, io.data.commitment] : [wc]);
    return tr;
  };
  const tr = start();
  const w = new ByteWriter(1 << 20);

  t = performance.now();
  progress('lookups', 0, 1);
  if (lay.io) proveZkIoRange(tr, c, vis, all, lay.io.base, w, unchecked);
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
  const claims = batchClaims(c, proverZkLinks(s, c, cm.params, vis), vis);
  for (const { which, region, at } of zkBatches(c, vis)) writeZkBatchProof(w, proveZkBatch(tr, region, claims[which], all, at, ZK_BATCH_LABELS[which], { unchecked }).proof);
  const body = w.finish();
  const publics = new Map<string, Int32Array>([...publicInputs, ...publicOutputs].map((p) => [p.name, p.values]));
  const replay = start();
  const system = appendSystem(zkReceiptSystem(c, replay, new ByteReader(body), publics, { visibility: vis }), rangeSystemOf(cm));
  const proof = new ByteWriter(body.length + (1 << 20));
  proof.bytes(body);
  writeZkMultiProof(proof, proveZkLigeroMulti(io ? [opened, wd, io.data] : [opened, wd], system, replay, { unchecked }));
  const openMs = performance.now() - t;

  const receipt = encodeReceipt(receiptOf(cm, true, context, publicInputs, publicOutputs, witnessCommitment, proof.finish(), io?.committed ?? null, links));
  progress('done', 1, 1);
  return {
    outputs: run.outputs,
    receipt,
    ...(io ? { opening: io.opening } : {}),
    timings: { inferMs, witnessMs, commitMs, lookupMs, layersMs, openMs, totalMs: performance.now() - T0 },
  };
}
