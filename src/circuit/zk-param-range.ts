/**
 * The parameter range proof of a zero-knowledge model (docs/zero-knowledge.md §5 step 3): the
 * same statement as `./param-range.ts` — every entry of [0, end) of the parameter vector f lies
 * in [−128, 127] — without revealing anything about f, in particular not its histogram (the
 * clear proof sends each chunk's 256 multiplicities in the clear).
 *
 * The parameter side of the address space (one hiding commitment, made once per model):
 *   [0, 2^n)                 the parameter segments (as in a clear model)
 *   [M, M + 256·chunks)      the multiplicities m_I of each chunk I (`rangeChunks`), 256 each,
 *                            M = max(2^n, 2^u) with 2^u = 256·2^⌈log2 chunks⌉, so that each m_I
 *                            and the region [M, M + 2^u) holding them all are aligned segments
 *   then                     the pads of every chunk's padded LogUp (`piop/lookup/zk-logup.ts`)
 *   then, from M + 2^u on    the pads of the two claim batches (`pcs/zk-batch.ts`)
 *   then zeros               up to `length`, a multiple of the witness vector's power-of-two
 *                            size, so that the witness segments placed after it stay aligned.
 *
 * Protocol (transcript `zkinfer/param-range/zk/v2`): absorb the commitment and the chunk list;
 * for each chunk I in order, draw its own (α_I, β_I) and prove the LogUp of e = f_I + 128 into
 * the range table [0, 256) with multiplicities m_I, every message padded. The verifier turns each
 * instance into constraints, with its claims — e~(x*) = v on the column, i.e.
 * f~_I(x*) = v − 128 (Σ_x eq(x*, x) = 1), and m~_I(x*) on m_I's segment. Then two padded batches
 * (`pcs/zk-batch.ts`, labels `param-range/batch` and `param-range/m-batch`) reduce the chunks'
 * parameter claims to one claim on [0, 2^n) and their multiplicity claims to one on [M, M + 2^u).
 * The batches are what keep every receipt's verifier cheap: each tensor constraint on a segment of
 * C or more entries costs the linear test one interpolant at the opened columns (an NTT-sized
 * step, `pcs/zk-ligero-eval.ts`), and unbatched the range gave two per chunk (22 of mlp-18m's 34);
 * batched it gives two per model. The proof carries
 * no Ligero proof of its own: every receipt's zero-knowledge Ligero proof, which covers the
 * parameter commitment anyway, shows these constraints together with its own
 * (`verifier/zk-receipt.ts`), so the range costs no opening of the commitment and no bytes beyond
 * the padded LogUp messages; the verifier derives the system once per model.
 *
 * Why sound. The commitment holds f, every m_I and every pad before any α_I is drawn, so each
 * chunk's LogUp is the clear one with committed messages: a chunk with an entry outside the table
 * passes with probability ≤ (N_I + 256)/|K| (the fingerprint, independent α_I per chunk, as in
 * `./param-range.ts`) plus its GKR's error; each batch adds ((N_c − 1) + 2·vars)/|K| (a false claim
 * survives ρ and the padded sumcheck; `verifier/zk-security.ts` charges both); then the receipt's
 * Ligero proof's error. What it hides: every sent value is padded (uniform), the batches' too
 * (their pads lie outside their regions); m_I and f are only committed.
 */
import { P } from '../field/babybear.js';
import { ext } from '../field/extension.js';
import { extSub } from '../field/extension.js';
import { emptySystem, type ConstraintSystem } from '../pcs/constraints.js';
import {
  fillZkBatchPads,
  proveZkBatch,
  readZkBatchProof,
  verifyZkBatch,
  writeZkBatchProof,
  zkBatchAt,
  zkBatchLayout,
  type ZkBatchAt,
  type ZkBatchClaim,
  type ZkBatchRegion,
} from '../pcs/zk-batch.js';
import { absorbZkCommitment, type ZkLigeroCommitment, type ZkLigeroProverData } from '../pcs/zk-ligero.js';
import { computeMultiplicities, drawLookupChallenges, type LookupStatement, type LookupWitness } from '../piop/lookup/logup.js';
import { rangeTable } from '../piop/lookup/tables.js';
import { fillZkLookupPads, proveZkLookups, readZkLookupProof, verifyZkLookups, writeZkLookupProof, zkLookupAt, zkLookupLayout, type ZkLookupAt } from '../piop/lookup/zk-logup.js';
import { type Affine, affineAddConst, appendSystem, type WordSource } from '../piop/zk-affine.js';
import { Transcript, type TranscriptLogEntry, type TranscriptOptions } from '../transcript/transcript.js';
import { ByteReader, ByteWriter } from '../util/bytes.js';
import { fail, type VerifyError } from '../util/result.js';
import type { Circuit } from './circuit.js';
import { rangeChunks, RANGE_TABLE_SIZE, type RangeChunk } from './param-range.js';
import { segmentsEnd } from './params.js';

const LABEL = 'zkinfer/param-range/zk/v2';
const TABLE = rangeTable(8);
const OFFSET = 128;

export interface ZkParamLayout {
  chunks: RangeChunk[];
  /** m_I at multiplicities + 256·I */
  multiplicities: number;
  /** chunk I's padded LogUp, one instance each */
  lookups: ZkLookupAt[];
  /** the batch of the chunks' claims on the parameter segments, region [0, 2^n) */
  params: { region: ZkBatchRegion; at: ZkBatchAt };
  /** the batch of their claims on the multiplicities, region [M, M + 2^u) */
  mults: { region: ZkBatchRegion; at: ZkBatchAt };
  /** the parameter side's length (a multiple of the witness vector's 2^n) */
  length: number;
}

function statementOf(ch: RangeChunk): LookupStatement {
  return { table: TABLE, numLookups: 1, logLen: ch.numVars };
}

const LAYOUTS = new WeakMap<Circuit, ZkParamLayout>();

/** The parameter side of a zero-knowledge model's address space (see the header). */
export function zkParamLayout(c: Circuit): ZkParamLayout {
  let hit = LAYOUTS.get(c);
  if (hit) return hit;
  const chunks = rangeChunks(segmentsEnd(c.params.segments), c.params.numVars);
  // each m_I is an aligned segment of 256 entries, and so is the region of all of them (a model
  // with under 256 parameter entries has a short vector)
  const multVars = Math.log2(RANGE_TABLE_SIZE) + Math.ceil(Math.log2(chunks.length));
  const multiplicities = Math.max(2 ** c.params.numVars, 2 ** multVars);
  let at = multiplicities + RANGE_TABLE_SIZE * chunks.length;
  const lookups = chunks.map((ch) => {
    const layout = zkLookupLayout([statementOf(ch)]);
    const a = zkLookupAt(layout, at);
    at += layout.size;
    return a;
  });
  // a batch's own pads must lie outside its region
  at = Math.max(at, multiplicities + 2 ** multVars);
  const batch = (region: ZkBatchRegion) => {
    const layout = zkBatchLayout(region.numVars);
    const b = { region, at: zkBatchAt(layout, at) };
    at += layout.size;
    return b;
  };
  const params = batch({ base: 0, numVars: c.params.numVars });
  const mults = batch({ base: multiplicities, numVars: multVars });
  const unit = 2 ** c.witness.numVars;
  hit = { chunks, multiplicities, lookups, params, mults, length: Math.ceil(at / unit) * unit };
  LAYOUTS.set(c, hit);
  return hit;
}

/** e = f_I + 128 on chunk I (in [0, 256) for int8 entries). */
function column(values: Uint32Array, ch: RangeChunk): Uint32Array {
  const out = new Uint32Array(2 ** ch.numVars);
  for (let i = 0; i < out.length; i++) {
    const v = values[ch.offset + i] + OFFSET;
    out[i] = v >= P ? v - P : v;
  }
  return out;
}

/**
 * The parameter side's vector from the parameter vector (2^n entries): multiplicities and pads
 * filled. Throws, naming the chunk, if an entry is not int8.
 */
export function zkParamVector(c: Circuit, params: Uint32Array, words?: WordSource): Uint32Array {
  const lay = zkParamLayout(c);
  const vec = new Uint32Array(lay.length);
  vec.set(params.subarray(0, 2 ** c.params.numVars));
  lay.chunks.forEach((ch, i) => {
    vec.set(computeMultiplicities(TABLE, [[column(params, ch)]]), lay.multiplicities + RANGE_TABLE_SIZE * i);
    fillZkLookupPads(vec, lay.lookups[i], words);
  });
  fillZkBatchPads(vec, lay.params.at, words);
  fillZkBatchPads(vec, lay.mults.at, words);
  return vec;
}

function startTranscript(commitment: ZkLigeroCommitment, lay: ZkParamLayout, options: TranscriptOptions = {}): Transcript {
  const tr = new Transcript(LABEL, options);
  absorbZkCommitment(tr, commitment);
  tr.absorbNumber('param/chunks', lay.chunks.length);
  for (const ch of lay.chunks) {
    tr.absorbNumber('param/chunk-offset', ch.offset);
    tr.absorbNumber('param/chunk-vars', ch.numVars);
  }
  return tr;
}

const chunkLabel = (i: number): string => `param-range/${i}`;
/** The transcript labels of the two claim batches (`verifier/zk-security.ts` charges them). */
export const PARAM_RANGE_BATCH_LABELS = { params: 'param-range/batch', mults: 'param-range/m-batch' } as const;

/**
 * Reads the chunk LogUps from `r` and returns their constraints with the links (the system the
 * Ligero proof shows), or an error; `tr` has absorbed the commitment and the chunk list
 * (`zkParamRangeSystem` makes it). Exported for the receipt simulator of the zero-knowledge tests,
 * which replays it on uniform messages under programmed challenges.
 */
export function readZkParamRange(tr: Transcript, c: Circuit, r: ByteReader): { ok: true; system: ConstraintSystem } | { ok: false; error: VerifyError } {
  const lay = zkParamLayout(c);
  const system = emptySystem();
  const onParams: ZkBatchClaim<Affine>[] = [];
  const onMults: ZkBatchClaim<Affine>[] = [];
  for (let i = 0; i < lay.chunks.length; i++) {
    const ch = lay.chunks[i];
    const st = [statementOf(ch)];
    const challenges = drawLookupChallenges(tr, st, chunkLabel(i));
    const proof = readZkLookupProof(r, st, lay.lookups[i].layout);
    const res = verifyZkLookups(tr, challenges, st, proof, lay.lookups[i], chunkLabel(i));
    if (!res.ok) return fail(res.error.kind, `parameter range, chunk ${i}: ${res.error.message}`);
    appendSystem(system, res.system);
    const cl = res.claims[0];
    const e = cl.columns[0][0];
    onParams.push({ offset: ch.offset, point: e.point, value: affineAddConst(e.value, ext(P - OFFSET)) });
    onMults.push({ offset: lay.multiplicities + RANGE_TABLE_SIZE * i, point: cl.multiplicities.point, value: cl.multiplicities.value });
  }
  for (const [which, claims] of [['params', onParams], ['mults', onMults]] as const) {
    const b = lay[which];
    const proof = readZkBatchProof(r, b.at.layout, claims.length);
    const res = verifyZkBatch(tr, b.region, claims, proof, b.at, PARAM_RANGE_BATCH_LABELS[which]);
    if (!res.ok) return fail(res.error.kind, `parameter range, ${which === 'params' ? 'parameter' : 'multiplicity'} batch: ${res.error.message}`);
    appendSystem(system, res.system);
  }
  return { ok: true, system };
}

/**
 * Proves the range of a zero-knowledge model's parameters from the prover data of its parameter
 * commitment (over `zkParamVector`): the padded chunk LogUps, whose constraints every receipt's
 * Ligero proof shows (`zkParamRangeSystem`).
 */
export function proveZkParamRange(c: Circuit, data: ZkLigeroProverData): Uint8Array {
  const lay = zkParamLayout(c);
  const vec = data.values;
  const tr = startTranscript(data.commitment, lay);
  const w = new ByteWriter(1 << 16);
  const onParams: ZkBatchClaim<Uint32Array>[] = [];
  const onMults: ZkBatchClaim<Uint32Array>[] = [];
  lay.chunks.forEach((ch, i) => {
    const st = [statementOf(ch)];
    const challenges = drawLookupChallenges(tr, st, chunkLabel(i));
    const mAt = lay.multiplicities + RANGE_TABLE_SIZE * i;
    const witness: LookupWitness = { table: TABLE, lookups: [[column(vec, ch)]], multiplicities: vec.subarray(mAt, mAt + RANGE_TABLE_SIZE) };
    const res = proveZkLookups(tr, challenges, [witness], vec, lay.lookups[i], chunkLabel(i));
    writeZkLookupProof(w, res.proof);
    const e = res.claims[0].columns[0][0];
    onParams.push({ offset: ch.offset, point: e.point, value: extSub(e.value, ext(OFFSET)) });
    onMults.push({ offset: mAt, point: res.claims[0].multiplicities.point, value: res.claims[0].multiplicities.value });
  });
  for (const [which, claims] of [['params', onParams], ['mults', onMults]] as const) {
    const b = lay[which];
    writeZkBatchProof(w, proveZkBatch(tr, b.region, claims, vec, b.at, PARAM_RANGE_BATCH_LABELS[which]).proof);
  }
  const bytes = w.finish();
  const sys = zkParamRangeSystem(c, data.commitment, bytes);
  if (!sys.ok) throw new Error(`internal error: the parameter range proof does not verify (${sys.error.message})`);
  return bytes;
}

/**
 * The constraints a zero-knowledge parameter range proof reduces to (on the parameter side of
 * the address space), or why it is malformed. Never throws. `bytes` may be a reader (the
 * security dry run, `verifier/zk-security.ts`, passes one of placeholders) and `opts.record`
 * returns the range transcript's log (every challenge it drew). `opts.transcript` is FOR
 * ZERO-KNOWLEDGE TESTS ONLY: a transcript with programmed challenges in place of the proof's
 * Fiat–Shamir transcript (the simulator's; `verifier/zk-receipt.ts` `ZkTranscriptSeam`).
 */
export function zkParamRangeSystem(
  c: Circuit,
  commitment: ZkLigeroCommitment,
  bytes: Uint8Array | ByteReader,
  opts: { record?: boolean; transcript?: Transcript } = {},
): { ok: true; system: ConstraintSystem; log?: TranscriptLogEntry[] } | { ok: false; error: VerifyError } {
  try {
    const lay = zkParamLayout(c);
    if (commitment.length !== lay.length) return fail('MalformedReceipt', `parameter commitment: expected ${lay.length} entries, got ${commitment.length}`);
    const r = bytes instanceof ByteReader ? bytes : new ByteReader(bytes);
    const tr = opts.transcript ?? startTranscript(commitment, lay, { record: opts.record });
    const sys = readZkParamRange(tr, c, r);
    if (!sys.ok) return sys;
    r.end('parameter range proof');
    return tr.log ? { ...sys, log: tr.log } : sys;
  } catch (e) {
    return fail('MalformedReceipt', `parameter range proof: ${(e as Error).message}`);
  }
}
