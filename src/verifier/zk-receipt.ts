/**
 * The body of a zero-knowledge receipt (docs/zero-knowledge.md §2, §5 step 3), shared by the
 * prover (which replays it on its own messages to obtain the statement it proves) and the
 * verifier.
 *
 * Address space. Two committed vectors, concatenated: the model's parameter side
 * [0, P) (`circuit/zk-param-range.ts`: parameters, range multiplicities and pads, P a multiple of
 * the witness vector's 2^n) under the model's hiding commitment, and the receipt's witness vector
 * [P, end) under a fresh hiding commitment:
 *   [P, P + 2^n)   the witness segments (layer outputs, auxiliary values, multiplicities);
 *   then           the pads of the lookups (`piop/lookup/zk-logup.ts`), of the layers and claim
 *                  messages (`./zk-layers.ts`), and of the two batches (`pcs/zk-batch.ts`);
 *                  with committed tensors also the io batch's, then unused entries up to `ioBase`;
 *   [ioBase, total) with committed inputs or outputs (`circuit/zk-io.ts`, a version-4 receipt):
 *                  the io vector under a third hiding commitment, made from the requester's seed.
 *
 * Transcript, after the clear preamble (with a `zk` marker, any committed names and, version 5,
 * the children of the renewal path, `circuit/session.ts`) and the commitments (the root, the
 * path's last child when there is a path, witness, io): the private inputs' padded
 * range check (`io-range`), (α, β), the padded lookups, every layer, the limb evaluations of wide
 * parameters, the witness batch, the parameter batch, the io batch, then one zero-knowledge
 * Ligero proof over every commitment it opens — the parameter side's (the root, or the renewal the
 * path ends at: `./zk-path.ts` checks the links first), witness, io — of every constraint
 * collected (`pcs/zk-ligero.ts`). Claims
 * on public tensors are constraints against the public values; claims on each committed vector
 * are batched into one TensorLinear.
 */
import type { Circuit } from '../circuit/circuit.js';
import { lookupStatements } from '../circuit/circuit.js';
import { PadAllocator } from '../circuit/zk-pads.js';
import { zkParamLayout } from '../circuit/zk-param-range.js';
import { emptySystem, type ConstraintSystem } from '../pcs/constraints.js';
import { readZkBatchProof, verifyZkBatch, zkBatchAt, zkBatchLayout, type ZkBatchAt, type ZkBatchClaim, type ZkBatchRegion } from '../pcs/zk-batch.js';
import { drawLookupChallenges } from '../piop/lookup/logup.js';
import { readZkLookupProof, verifyZkLookups, zkLookupAt, zkLookupLayout, type ZkLookupAt } from '../piop/lookup/zk-logup.js';
import { appendSystem, type Affine } from '../piop/zk-affine.js';
import type { Transcript } from '../transcript/transcript.js';
import { ByteReader, toHex } from '../util/bytes.js';
import { sha256 } from '../hash/sha256.js';
import { fail, type VerifyResult } from '../util/result.js';
import { addLookupClaims, receiptTranscript } from '../circuit/session.js';
import { zkParamRangeSystem } from '../circuit/zk-param-range.js';
import { absorbZkCommitment, readZkCommitment, readZkMultiProof, verifyZkLigeroMulti } from '../pcs/zk-ligero.js';
import { zkLigeroSecurity, type ZkLigeroParams } from '../pcs/zk-ligero-params.js';
import type { ZkLigeroCommitment } from '../pcs/zk-ligero.js';
import { verifyRenewalPath } from './zk-path.js';
import type { Receipt } from './receipt.js';

/** The least per-proof bits a zero-knowledge commitment's code must give (the chooser's target is 103). */
export const ZK_LIGERO_MIN_BITS = 100;
import { Rejected } from '../circuit/protocol.js';
import { settleZkClaims, zkLayersLayout, type SegmentLink, type ZkLayersLayout, type ZkVector } from './zk-layers.js';
import { ALL_PUBLIC, isAllPublic, readZkIoRange, visibilityIssue, zkIoLayout, type ZkIoLayout, type ZkVisibility } from '../circuit/zk-io.js';
import { readerSource, ZkVerifierSession } from './zk-session.js';

export interface ZkReceiptLayout {
  /** the parameter side's length: the witness vector starts here */
  witnessBase: number;
  lookups: ZkLookupAt;
  /** the layers' pads start here */
  layersBase: number;
  layers: ZkLayersLayout;
  batchWitness: ZkBatchAt;
  batchParams: ZkBatchAt;
  /** one past the witness vector's last entry (absolute) */
  end: number;
  /** with committed tensors: the io vector's layout, its base (= `end`) and its batch's pads */
  io: { layout: ZkIoLayout; base: number; batch: ZkBatchAt } | null;
}

const LAYOUTS = new WeakMap<Circuit, ZkReceiptLayout>();
const IO_LAYOUTS = new WeakMap<Circuit, Map<string, ZkReceiptLayout>>();

/**
 * The receipt's pad layout, a function of the circuit and the committed tensors alone (cached;
 * `vis` must have no `visibilityIssue`).
 */
export function zkReceiptLayout(c: Circuit, vis: ZkVisibility = ALL_PUBLIC): ZkReceiptLayout {
  if (!isAllPublic(vis)) return ioReceiptLayout(c, vis);
  let hit = LAYOUTS.get(c);
  if (hit) return hit;
  const witnessBase = zkParamLayout(c).length;
  const lkLayout = zkLookupLayout(lookupStatements(c));
  const lookups = zkLookupAt(lkLayout, witnessBase + 2 ** c.witness.numVars);
  const layersBase = witnessBase + 2 ** c.witness.numVars + lkLayout.size;
  const layers = zkLayersLayout(c, layersBase);
  const bw = zkBatchLayout(c.witness.numVars);
  const batchWitness = zkBatchAt(bw, layers.end);
  const bp = zkBatchLayout(c.params.numVars);
  const batchParams = zkBatchAt(bp, layers.end + bw.size);
  hit = { witnessBase, lookups, layersBase, layers, batchWitness, batchParams, end: layers.end + bw.size + bp.size, io: null };
  LAYOUTS.set(c, hit);
  return hit;
}

/** The all-public layout with the io batch's pads after the others and the io vector at the next aligned entry. */
function ioReceiptLayout(c: Circuit, vis: ZkVisibility): ZkReceiptLayout {
  let m = IO_LAYOUTS.get(c);
  if (!m) IO_LAYOUTS.set(c, (m = new Map()));
  const key = JSON.stringify([vis.inputs, vis.outputs]);
  let hit = m.get(key);
  if (hit) return hit;
  const pub = zkReceiptLayout(c);
  const io = zkIoLayout(c, vis);
  const bio = zkBatchLayout(io.numVars);
  const batch = zkBatchAt(bio, pub.end);
  const base = Math.ceil((pub.end + bio.size) / io.align) * io.align;
  hit = { ...pub, end: base, io: { layout: io, base, batch } };
  m.set(key, hit);
  return hit;
}

/** The batch regions: the witness segments, the parameter segments and, with committed tensors, the io segments. */
export function zkRegions(c: Circuit, vis: ZkVisibility = ALL_PUBLIC): Record<ZkVector, ZkBatchRegion | null> {
  const lay = zkReceiptLayout(c, vis);
  return {
    witness: { base: lay.witnessBase, numVars: c.witness.numVars },
    params: { base: 0, numVars: c.params.numVars },
    io: lay.io ? { base: lay.io.base, numVars: lay.io.layout.numVars } : null,
  };
}

/** Batch claims of each region from the segment links (offsets made absolute). */
export function batchClaims<V>(c: Circuit, links: readonly { vector: ZkVector; offset: number; point: Uint32Array; value: V }[], vis: ZkVisibility = ALL_PUBLIC): Record<ZkVector, ZkBatchClaim<V>[]> {
  const lay = zkReceiptLayout(c, vis);
  const bases: Record<ZkVector, number> = { witness: lay.witnessBase, params: 0, io: lay.io?.base ?? NaN };
  const out: Record<ZkVector, ZkBatchClaim<V>[]> = { witness: [], params: [], io: [] };
  for (const l of links) out[l.vector].push({ offset: bases[l.vector] + l.offset, point: l.point, value: l.value });
  return out;
}

export const ZK_BATCH_LABELS = { witness: 'zk-batch/witness', params: 'zk-batch/params', io: 'zk-batch/io' } as const;

/** The batches in transcript order, each with its pads (the io batch only with committed tensors). */
export function zkBatches(c: Circuit, vis: ZkVisibility = ALL_PUBLIC): { which: ZkVector; region: ZkBatchRegion; at: ZkBatchAt }[] {
  const lay = zkReceiptLayout(c, vis);
  const regions = zkRegions(c, vis);
  const out = [
    { which: 'witness' as const, region: regions.witness!, at: lay.batchWitness },
    { which: 'params' as const, region: regions.params!, at: lay.batchParams },
  ];
  return lay.io ? [...out, { which: 'io' as const, region: regions.io!, at: lay.io.batch }] : out;
}

/**
 * Replays the receipt body from `r` (after the preamble and both commitments were absorbed into
 * `tr`) and returns every constraint the Ligero proof must show. Throws `Rejected` (or a
 * DecodeError) on a malformed message; a false statement is an unsatisfiable system.
 * `opts.dryRun` marks the layer session as the security dry run (`./zk-security.ts`: placeholder
 * messages, clear checks skipped).
 */
export function zkReceiptSystem(c: Circuit, tr: Transcript, r: ByteReader, publics: Map<string, Int32Array>, opts: { dryRun?: boolean; visibility?: ZkVisibility } = {}): ConstraintSystem {
  const vis = opts.visibility ?? ALL_PUBLIC;
  const lay = zkReceiptLayout(c, vis);
  const system = emptySystem();
  if (lay.io) appendSystem(system, readZkIoRange(tr, c, vis, r, lay.io.base));
  const statements = lookupStatements(c);
  const ch = drawLookupChallenges(tr, statements);
  const lk = verifyZkLookups(tr, ch, statements, readZkLookupProof(r, statements, lay.lookups.layout), lay.lookups);
  if (!lk.ok) throw new Rejected(lk.error.kind, `lookups: ${lk.error.message}`);
  appendSystem(system, lk.system);
  const s = new ZkVerifierSession(tr, readerSource(r), c, publics, new PadAllocator(lay.layersBase), opts);
  addLookupClaims(c, lk.claims, (t, p, v) => s.claim(t, p, v));
  for (const cl of c.layers) cl.protocol.verify(cl.layer, cl.plan, s);
  const links = settleZkClaims(s, c, vis);
  if (s.pads.end !== lay.layers.end) throw new Error(`internal error: the layers used pads up to ${s.pads.end}, the layout says ${lay.layers.end}`);
  appendSystem(system, s.system);
  const claims = batchClaims<Affine>(c, links.map(linkClaim), vis);
  for (const { which, region, at } of zkBatches(c, vis)) {
    const proof = readZkBatchProof(r, at.layout, claims[which].length);
    const res = verifyZkBatch(tr, region, claims[which], proof, at, ZK_BATCH_LABELS[which]);
    if (!res.ok) throw new Rejected(res.error.kind, `${which} batch: ${res.error.message}`);
    appendSystem(system, res.system);
  }
  return system;
}

function linkClaim(l: SegmentLink): { vector: ZkVector; offset: number; point: Uint32Array; value: Affine } {
  return { vector: l.vector, offset: l.offset, point: l.claim.point, value: l.claim.value };
}


/**
 * The parameter range proof's constraints, by model ID and the proof's hash: the model ID pins
 * the commitment, not the proof's bytes, so a receipt with other range bytes never reuses (or
 * poisons) the system derived from another's. Any system derived from a range proof against the
 * committed vector enforces the range (the LogUp's soundness), so caching it is sound.
 */
const RANGE_SYSTEMS = new Map<string, ConstraintSystem>();

/**
 * FOR ZERO-KNOWLEDGE TESTS ONLY: the transcripts a simulator programs (a programmed random
 * oracle, test/prover/zk-leak.test.ts) in place of the receipt's and the range proof's
 * Fiat–Shamir transcripts. `verifyReceipt` never passes one; nothing in a receipt selects it.
 */
export interface ZkTranscriptSeam {
  /** replaces the receipt transcript (its preamble and commitments are still absorbed into it) */
  receipt: Transcript;
  /** replaces the parameter range proof's transcript */
  range: Transcript;
}

/**
 * The zero-knowledge half of `verifyReceipt` (after the model ID, context, circuit and public
 * values were checked): the commitments (sizes from the circuit and the committed names, the
 * witness and io codes the parameter code with k = t), the parameter range proof (once per model
 * ID), then the body and the Ligero proof. Throws `Rejected`/DecodeError on malformed data (the caller maps them).
 * `seam` (tests only, see `ZkTranscriptSeam`) programs the challenges; the range system derived
 * under it is never cached.
 */
export function verifyZkBody(c: Circuit, modelId: string, rc: Receipt, publics: Map<string, Int32Array>, seam?: ZkTranscriptSeam): VerifyResult {
  const vis: ZkVisibility = rc.committed ? { inputs: rc.committed.inputs, outputs: rc.committed.outputs } : ALL_PUBLIC;
  const visErr = visibilityIssue(c, vis);
  if (visErr) return fail('PublicMismatch', `committed tensors: ${visErr}`);
  const lay = zkReceiptLayout(c, vis);
  const pr = new ByteReader(rc.paramCommitment);
  const pc = readZkCommitment(pr);
  pr.end('parameter commitment');
  if (pc.length !== lay.witnessBase) return fail('MalformedReceipt', `parameter commitment: expected ${lay.witnessBase} entries, got ${pc.length}`);
  const bits = zkLigeroSecurity(pc.params).bits;
  if (bits < ZK_LIGERO_MIN_BITS) return fail('InsufficientSecurity', `the parameter commitment's code gives ${bits.toFixed(1)} bits, below ${ZK_LIGERO_MIN_BITS}`);
  // a version-5 receipt opens a renewal of the root: every link checked (or cached) before the body
  const path = rc.renewals ?? [];
  const opened = verifyRenewalPath(pc, path, ZK_LIGERO_MIN_BITS);
  if (!opened.ok) return opened;
  const want = { ...pc.params, randomness: pc.params.queries };
  const wr = new ByteReader(rc.witnessCommitment);
  const wc = readZkCommitment(wr);
  wr.end('witness commitment');
  if (wc.length !== lay.end - lay.witnessBase) return fail('MalformedReceipt', `witness commitment: expected ${lay.end - lay.witnessBase} entries, got ${wc.length}`);
  if (!paramsEqual(wc.params, want)) return fail('ParameterMismatch', `witness commitment parameters ${JSON.stringify(wc.params)} differ from the model's ${JSON.stringify(want)}`);
  const commitments = [opened.value, wc];
  if (rc.committed) {
    const ir = new ByteReader(rc.committed.commitment);
    const ic = readZkCommitment(ir);
    ir.end('io commitment');
    if (ic.length !== lay.io!.layout.length) return fail('MalformedReceipt', `io commitment: expected ${lay.io!.layout.length} entries, got ${ic.length}`);
    if (!paramsEqual(ic.params, want)) return fail('ParameterMismatch', `io commitment parameters ${JSON.stringify(ic.params)} differ from the witness commitment's ${JSON.stringify(want)}`);
    commitments.push(ic);
  }
  const rangeKey = `${modelId}:${toHex(sha256(rc.paramRange))}`;
  let range = seam ? undefined : RANGE_SYSTEMS.get(rangeKey);
  if (!range) {
    const res = zkParamRangeSystem(c, pc, rc.paramRange, { transcript: seam?.range });
    if (!res.ok) return res;
    range = res.system;
    if (!seam) {
      if (RANGE_SYSTEMS.size >= 16) RANGE_SYSTEMS.delete(RANGE_SYSTEMS.keys().next().value!);
      RANGE_SYSTEMS.set(rangeKey, range);
    }
  }
  const tr = seam?.receipt ?? receiptTranscript(modelId, rc.pcs, rc.context, rc.inputs, rc.outputs, rc.witnessCommitment, {}, true, rc.committed, path.map((l) => l.child));
  absorbZkCommitments(tr, pc, path.length > 0 ? opened.value : null, commitments.slice(1));
  const r = new ByteReader(rc.proof);
  const system = appendSystem(zkReceiptSystem(c, tr, r, publics, { visibility: vis }), range);
  const proof = readZkMultiProof(r, commitments, system);
  r.end('proof');
  const res = verifyZkLigeroMulti(commitments, system, proof, tr);
  return res.ok ? res : fail(res.error.kind, `zero-knowledge proof: ${res.error.message}`);
}

/**
 * The zk commitments in transcript order: the root, then (version 5) every child of the path, then
 * the witness and io commitments. Only the last child is opened, but every child is bound: the
 * preamble absorbed their bytes; the root and the opened one are absorbed here as commitments.
 */
export function absorbZkCommitments(tr: Transcript, root: ZkLigeroCommitment, opened: ZkLigeroCommitment | null, rest: readonly ZkLigeroCommitment[]): void {
  absorbZkCommitment(tr, root);
  if (opened) absorbZkCommitment(tr, opened);
  for (const c of rest) absorbZkCommitment(tr, c);
}

function paramsEqual(a: ZkLigeroParams, b: ZkLigeroParams): boolean {
  return a.logCols === b.logCols && a.randomness === b.randomness && a.logCodeword === b.logCodeword && a.queries === b.queries;
}
