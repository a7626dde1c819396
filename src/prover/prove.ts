/**
 * The receipt prover: `prove(committedModel, input, { context? }) → { outputs, receipt }`.
 *
 *  1. bit-exact integer inference (strict: a value outside its calibrated range is an error that
 *     names the layer, never a proof of a clamped value);
 *  2. auxiliary witness values of every layer (remainders, …) and every lookup column with its
 *     multiplicities;
 *  3. one commitment to the witness vector (layer outputs, auxiliary values, multiplicities);
 *  4. the transcript preamble (`circuit/session.ts`: parameters, model ID, the caller's context,
 *     public inputs and outputs, witness commitment), the LogUp-GKR lookups, each layer's proof;
 *  5. parameter limb evaluations, then one batch opening of the witness vector and one of the
 *     parameter vector (with the parameter range proof's claim).
 * Every step is deterministic; progress is reported per stage and per layer.
 */
import { extEquals, extToString } from '../field/extension.js';
import { isDense, paddedIndex, toField } from '../circuit/layout.js';
import { verifyParamRange } from '../circuit/param-range.js';
import { segmentsEnd, splitParam } from '../circuit/params.js';
import { ProverSession } from './session.js';
import { proveZk } from './zk-prove.js';
import { addLookupClaims, columnValues, combineLimbs, contextBytes, paramSegmentClaims, receiptTranscript, routeClaims, type PublicTensor } from '../circuit/session.js';
import { computeMultiplicities, drawLookupChallenges, proveLookups, proveLookupsUnchecked, writeLookupProof, type LookupWitness } from '../piop/lookup/logup.js';
import { rowFinder, tableBits, type LookupTable } from '../piop/lookup/tables.js';
import { committedMultiplicities } from '../piop/lookup/indexed.js';
import { lookupStatements } from '../circuit/circuit.js';
import { proveBatchOpening, writeBatchOpeningProof, type EvalClaim } from '../pcs/batch.js';
import { evaluateBase } from '../poly/multilinear.js';
import { runQuantized, type IntOutput } from '../quantize/infer.js';
import { ByteWriter } from '../util/bytes.js';
import type { ZkIoOpening } from '../circuit/zk-io.js';
import { encodeReceipt, receiptVersionOf, type Receipt, type ReceiptCommitted, type ReceiptRenewal } from '../verifier/receipt.js';
import type { ZkLigeroProverData } from '../pcs/zk-ligero.js';
import type { CommittedModel, Progress } from './commit.js';

export interface ProveTimings {
  inferMs: number;
  witnessMs: number;
  commitMs: number;
  lookupMs: number;
  layersMs: number;
  openMs: number;
  totalMs: number;
}

export interface ProveResult {
  outputs: IntOutput[];
  receipt: Uint8Array;
  timings: ProveTimings;
  /**
   * With `committed` tensors: the io commitment's opening (the seed and the committed values),
   * for the requester alone — it reveals what the receipt hides. Check it with `verifyReceipt`'s
   * `opening` option; keep the seed secret and never reuse it.
   */
  opening?: ZkIoOpening;
}

export interface ProveOptions {
  onProgress?: Progress;
  /**
   * Public context bound into the receipt (bytes, or a string, UTF-8 encoded; at most
   * MAX_CONTEXT_BYTES): e.g. market ID, job ID and operator key, so the receipt cannot be passed
   * off as made for another job. Default: empty. A verifier passing the same context accepts it.
   */
  context?: Uint8Array | string;
  /**
   * FOR SOUNDNESS TESTS ONLY: edits the witness (phase 'witness': activations and auxiliary
   * values; phase 'multiplicities': the lookup multiplicity vectors, by name `#multK`) and turns
   * off every honest-prover consistency check, producing what a cheating prover would send. A
   * receipt made this way must be rejected by the verifier.
   */
  tamper?: (values: Map<string, ArrayLike<number>>, phase: 'witness' | 'multiplicities' | 'io') => void;
  /**
   * Zero-knowledge models only: inputs to keep private and outputs to commit (names, or `true`
   * for all) instead of carrying their values in the receipt (`circuit/zk-io.ts`, a version-4
   * receipt). The receipt binds them by a hiding commitment made from `seed` (32 secret bytes; fresh
   * random ones by default; a reused seed is mixed with each receipt's fresh witness commitment), returned in `opening`.
   */
  committed?: { inputs?: readonly string[] | boolean; outputs?: readonly string[] | boolean; seed?: Uint8Array };
  /**
   * Zero-knowledge models only: prove against a renewal of the model ID's parameter commitment
   * (a version-5 receipt carrying `links`, `prover/zk-tree.ts`), `data` the prover data of the
   * path's last child (it must commit that child: checked). Absent: the proof opens the root.
   */
  renewal?: ZkRenewalPath;
}

/** A renewal path from the model's root commitment and the prover data of the commitment it ends at. */
export interface ZkRenewalPath {
  links: ReceiptRenewal[];
  data: ZkLigeroProverData;
}

const rangeClaims = new WeakMap<Uint8Array, { commitment: Uint8Array; claims: EvalClaim[] }>();

/** The parameter range proof's chunk claims, checked once per range proof and commitment. */
function paramRangeClaims(cm: CommittedModel): EvalClaim[] {
  const hit = rangeClaims.get(cm.paramRange);
  if (hit && hit.commitment === cm.paramCommitmentBytes) return hit.claims;
  const claims = verifyParamRange(cm.paramCommitmentBytes, cm.circuit.params.numVars, segmentsEnd(cm.circuit.params.segments), cm.paramRange);
  rangeClaims.set(cm.paramRange, { commitment: cm.paramCommitmentBytes, claims });
  return claims;
}

/** Multiplicities that count only table members (a forged witness may hold non-members). */
function lenientMultiplicities(table: LookupTable, lookups: Uint32Array[][], tableRows?: Uint32Array): Uint32Array {
  if (table.kind === 'committed') return committedMultiplicities(table, lookups, tableRows!, false).m;
  const m = new Uint32Array(2 ** tableBits(table));
  const find = rowFinder(table);
  for (const cols of lookups) {
    for (let i = 0; i < cols[0].length; i++) {
      const r = find(cols.map((c) => c[i]));
      if (r >= 0) m[r]++;
    }
  }
  const total = 2 ** Math.max(Math.log2(lookups[0][0].length) + Math.ceil(Math.log2(lookups.length)), tableBits(table));
  m[0] += total - lookups.length * lookups[0][0].length;
  return m;
}

export function quantizedInputs(cm: CommittedModel, run: ReturnType<typeof runQuantized>): PublicTensor[] {
  return cm.model.inputs.map((i) => ({ name: i.name, values: Int32Array.from(run.trace.get(i.name)!) }));
}

/** What the prover commits: the integer inference's trace, every auxiliary value and lookup multiplicity, as one vector. */
export interface ProverWitness {
  run: ReturnType<typeof runQuantized>;
  vals: Map<string, ArrayLike<number>>;
  witnesses: LookupWitness[];
  /** the witness vector: segments at [0, 2^n), then `extra` zero entries (a zero-knowledge receipt's pads) */
  wvec: Uint32Array;
  unchecked: boolean;
  inferMs: number;
  witnessMs: number;
}

/** Steps 1–2 of `prove` (the header); `tamper` as in `ProveOptions`. */
export function buildWitness(cm: CommittedModel, input: Record<string, ArrayLike<number>>, tamper?: ProveOptions['tamper'], progress: Progress = () => {}, extra = 0): ProverWitness {
  const c = cm.circuit;
  progress('inference', 0, 1);
  let t = performance.now();
  const run = runQuantized(cm.model, input, { strict: true, trace: true });
  const inferMs = performance.now() - t;

  t = performance.now();
  progress('witness', 0, 1);
  const vals = new Map<string, ArrayLike<number>>(run.trace);
  const get = (n: string): ArrayLike<number> => {
    const v = vals.get(n) ?? cm.params.get(n);
    if (!v) throw new Error(`no values for tensor '${n}'`);
    return v;
  };
  for (const cl of c.layers) for (const [k, v] of cl.protocol.witness(cl.layer, cl.plan, get)) vals.set(k, v);
  const unchecked = tamper !== undefined;
  tamper?.(vals, 'witness');

  const fieldOf = (n: string): Uint32Array => toField(c.tensors.get(n)!.layout, get(n));
  const chiCache = new Map<string, Uint8Array>();
  const chiOf = (n: string): Uint8Array => {
    let ch = chiCache.get(n);
    if (!ch) {
      const l = c.tensors.get(n)!.layout;
      ch = new Uint8Array(2 ** l.numVars);
      if (isDense(l)) ch.fill(1, 0, l.size);
      else for (const p of paddedIndex(l)) ch[p] = 1;
      chiCache.set(n, ch);
    }
    return ch;
  };
  const witnesses: LookupWitness[] = c.lookups.map((g) => {
    const lookups = g.tuples.map((tuple) => tuple.map((col) => columnValues(col, fieldOf(col.tensor), chiOf(col.tensor))));
    // a committed table's rows: the parameter's padded field vector (`piop/lookup/indexed.ts`)
    const tableRows = g.table.kind === 'committed' ? fieldOf(g.table.param) : undefined;
    const multiplicities = unchecked ? lenientMultiplicities(g.table, lookups, tableRows) : computeMultiplicities(g.table, lookups, tableRows);
    return { table: g.table, lookups, multiplicities, ...(tableRows ? { tableRows } : {}) };
  });
  if (tamper) {
    c.lookups.forEach((g, k) => vals.set(g.mult, witnesses[k].multiplicities));
    tamper(vals, 'multiplicities');
    c.lookups.forEach((g, k) => (witnesses[k].multiplicities = Uint32Array.from(vals.get(g.mult)!, (v) => (v < 0 ? v + 2013265921 : v))));
  }
  const wvec = new Uint32Array(2 ** c.witness.numVars + extra);
  for (const [name, seg] of c.witness.segments) {
    if (name.startsWith('#mult')) continue;
    wvec.set(fieldOf(name), seg.offset);
  }
  c.lookups.forEach((g, k) => wvec.set(witnesses[k].multiplicities, c.witness.segments.get(g.mult)!.offset));
  const witnessMs = performance.now() - t;

  return { run, vals, witnesses, wvec, unchecked, inferMs, witnessMs };
}

/** The receipt of a finished proof (both modes: the model's public data, the statement, the proof). */
export function receiptOf(cm: CommittedModel, zk: boolean, context: Uint8Array, inputs: PublicTensor[], outputs: PublicTensor[], witnessCommitment: Uint8Array, proof: Uint8Array, committed: ReceiptCommitted | null = null, renewals: ReceiptRenewal[] = []): Receipt {
  return {
    ...(renewals.length > 0 ? { renewals } : {}),
    version: receiptVersionOf(committed, renewals.length),
    zk,
    modelId: cm.modelId,
    pcs: { ...cm.pcs.config },
    context,
    description: cm.descriptionBytes,
    paramCommitment: cm.paramCommitmentBytes,
    paramRange: cm.paramRange,
    inputs,
    outputs,
    committed,
    witnessCommitment,
    proof,
  };
}

export function prove(cm: CommittedModel, input: Record<string, ArrayLike<number>>, opts: ProveOptions = {}): ProveResult {
  if (cm.zk) return proveZk(cm, input, opts);
  const wants = opts.committed && [opts.committed.inputs, opts.committed.outputs].some((x) => x === true || (Array.isArray(x) && x.length > 0));
  if (wants) throw new RangeError('committed inputs or outputs need a zero-knowledge model (commitModel(model, { zk: {} }), or `zkinfer commit` without --no-zk): a clear receipt carries every value');
  const T0 = performance.now();
  const progress = opts.onProgress ?? (() => {});
  const context = contextBytes(opts.context);
  const c = cm.circuit;
  const { run, vals, witnesses, wvec, unchecked, inferMs, witnessMs } = buildWitness(cm, input, opts.tamper, progress);

  let t = performance.now();
  progress('commit witness', 0, 1);
  const pcs = cm.pcs;
  const { commitment, data } = pcs.commit(wvec);
  const witnessCommitment = pcs.commitmentBytes(commitment);
  const commitMs = performance.now() - t;

  const inputs = quantizedInputs(cm, run);
  const outputs: PublicTensor[] = run.outputs.map((o) => ({ name: o.name, values: Int32Array.from(o.q) }));
  const tr = receiptTranscript(cm.modelId, pcs.config, context, inputs, outputs, witnessCommitment);
  const w = new ByteWriter(1 << 20);
  const paramData = cm.paramData;
  const paramCommitment = cm.paramCommitment;
  if (!paramData || !paramCommitment) throw new Error('prove: a clear receipt needs a clearly committed model (this one has no tensor-PCS parameter commitment)');
  const s = new ProverSession(tr, w, c, { vals, params: cm.params, paramVector: paramData.values });
  s.unchecked = unchecked;

  t = performance.now();
  progress('lookups', 0, 1);
  const statements = lookupStatements(c);
  const ch = drawLookupChallenges(tr, statements);
  const lk = unchecked ? proveLookupsUnchecked(tr, ch, witnesses) : proveLookups(tr, ch, witnesses);
  writeLookupProof(w, lk.proof);
  addLookupClaims(c, lk.claims, (t, p, v) => s.claim(t, p, v));
  const lookupMs = performance.now() - t;

  t = performance.now();
  c.layers.forEach((cl, i) => {
    progress(`layer ${cl.layer.name}`, i, c.layers.length);
    cl.protocol.prove(cl.layer, cl.plan, s);
  });
  const layersMs = performance.now() - t;

  t = performance.now();
  progress('openings', 0, 1);
  const publics = new Map<string, Int32Array>([...inputs, ...outputs].map((p) => [p.name, p.values]));
  const routed = routeClaims(c, s.claims, publics, false);
  const paramClaims = paramSegmentClaims(c, routed.params, (pc, L) => {
    const info = c.tensors.get(pc.tensor)!;
    const evs = splitParam(cm.params.get(pc.tensor)!, L).map((lv) => evaluateBase(toField(info.layout, lv), pc.point));
    s.assert(extEquals(combineLimbs(evs), pc.value), `internal error: limbs of '${pc.tensor}' do not recombine (${extToString(combineLimbs(evs))})`);
    s.send(`param/${pc.tensor}/limbs`, Uint32Array.from(evs.flatMap((e) => [...e])));
    return evs;
  });
  paramClaims.push(...paramRangeClaims(cm));
  // A circuit whose relations never touch the witness (pure layout models) has nothing to open;
  // the claim list is fixed by the circuit, so both sides agree on skipping it.
  if (routed.witness.length > 0) {
    const wb = proveBatchOpening(pcs, commitment, data, routed.witness, tr, { unchecked });
    writeBatchOpeningProof(pcs, w, wb);
  }
  const pb = proveBatchOpening(pcs, paramCommitment, paramData, paramClaims, tr, { unchecked });
  writeBatchOpeningProof(pcs, w, pb);
  const openMs = performance.now() - t;

  const receipt = encodeReceipt(receiptOf(cm, false, context, inputs, outputs, witnessCommitment, w.finish()));
  progress('done', 1, 1);
  return {
    outputs: run.outputs,
    receipt,
    timings: { inferMs, witnessMs, commitMs, lookupMs, layersMs, openMs, totalMs: performance.now() - T0 },
  };
}
