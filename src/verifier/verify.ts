/**
 * The receipt verifier:
 * `verify(receipt, modelId, input?, { context? }) → { ok, outputs, context } | { ok: false, error }`.
 *
 * It decodes the receipt (bounded, canonical), checks that the description, parameter commitment
 * and PCS parameters hash to the pinned model ID, checks the context when the caller expects one,
 * rebuilds the circuit from the description, refuses receipts below 100 composed security bits
 * (`circuit/security.ts`; a zero-knowledge receipt's bound, from its parameter code, in
 * `./zk-security.ts`; cached per circuit), checks the public inputs (in range, and equal to
 * `input` quantized when one is given), replays the whole transcript (`circuit/session.ts`:
 * parameters, model ID, context, public values, witness commitment, then every proof message),
 * verifies the lookups, every layer, the parameter range proof and both batch openings, and
 * requires that every proof byte was consumed. It never throws: any failure — malformed bytes, a
 * failed check, a model ID mismatch — is `{ ok: false, error }` with a stable `kind`. Imports
 * nothing Node-specific (a test bundles it for the browser).
 *
 * The caller's input is quantized by the prover's own rule (`quantize/input.ts`, strict), so the
 * verifier accepts exactly the inputs the prover would prove — never a coerced or wrapped value:
 * - `BadInput`: the input is not an object of lists, or a value is not a finite JS number
 *   (NaN, ±Infinity, null, a string, a boolean, a nested array) — the message names the input
 *   and index;
 * - `InputOutOfRange`: a value quantizes outside the input's calibrated range (the prover refuses
 *   it) — names the input, index, value and range;
 * - `InputMismatch`: a missing input, a list of the wrong length (expected and actual counts), or
 *   a valid input that differs from the one the receipt was made for (first differing index).
 * Extra keys in `input` are ignored, as the prover ignores them. The context: `ContextMismatch`
 * when the receipt's differs from the expected one (both in the message; hex in `expected` and
 * `actual`), `BadContext` when the expected one is not bytes or a string of ≤ 1024 bytes.
 */
import { type Ext, extEquals } from '../field/extension.js';
import { buildCircuit, lookupStatements, type Circuit } from '../circuit/circuit.js';
import { decodeDescription, type ModelDescription } from '../circuit/description.js';
import { verifyParamRange } from '../circuit/param-range.js';
import { segmentsEnd } from '../circuit/params.js';
import { CircuitError, CircuitTensors, clearEqual, clearFinalCheck, Rejected, type VerifierContext } from '../circuit/protocol.js';
import { clear, extsOf, type Val } from '../circuit/values.js';
import type { ProductTerm } from '../piop/sumcheck.js';
import { addLookupClaims, combineLimbs, computeModelId, contextBytes, paramSegmentClaims, receiptTranscript, routeClaims, type PublicTensor, type TensorClaim } from '../circuit/session.js';
import { drawLookupChallenges, readLookupProof, verifyLookups } from '../piop/lookup/logup.js';
import { readBatchOpeningProof, verifyBatchOpening } from '../pcs/batch.js';
import { DEFAULT_TENSOR_PCS_CONFIG } from '../pcs/params.js';
import { TensorPcs } from '../pcs/tensor.js';
import type { Point } from '../poly/multilinear.js';
import { readSumcheckProof, verifySumcheck } from '../piop/sumcheck.js';
import type { Transcript } from '../transcript/transcript.js';
import { ByteReader, DecodeError, bytesEqual, toHex } from '../util/bytes.js';
import { fail, type VerifyError, type VerifyResult } from '../util/result.js';
import { quantizeInputValues } from '../quantize/input.js';
import { decodeReceipt, type Receipt } from './receipt.js';
import { verifySecurity } from '../circuit/security.js';
import { verifyZkBody } from './zk-receipt.js';
import { verifyZkSecurity } from './zk-security.js';
import { readZkCommitment, zkCommitmentBytes } from '../pcs/zk-ligero.js';
import { commitZkIo, visibilityIssue, type ZkIoOpening } from '../circuit/zk-io.js';

export interface VerifiedOutput {
  name: string;
  dims: number[];
  exp: number;
  q: Int32Array;
  values: Float64Array;
}

/** What a receipt shows of each tensor (`circuit/zk-io.ts`): the visibility it was proven with. */
export interface ReceiptVisibility {
  /** every model input: its values in the receipt, or bound by the io commitment */
  inputs: Record<string, 'public' | 'private'>;
  /** every model output: its values in the receipt, or bound by the io commitment */
  outputs: Record<string, 'public' | 'committed'>;
  /** 'private': under a hiding commitment (a zero-knowledge receipt); 'committed': bound, not hidden */
  parameters: 'private' | 'committed';
  /** whether the caller's opening was checked against the io commitment (committed values then known) */
  opened: boolean;
}

export type ReceiptVerifyResult =
  | { ok: true; modelId: string; outputs: VerifiedOutput[]; context: Uint8Array; receipt: Receipt; visibility: ReceiptVisibility }
  | { ok: false; error: VerifyError };

export interface VerifyOptions {
  /**
   * The context the caller expects (bytes, or a string, UTF-8 encoded — `contextBytes`): when
   * given, the receipt's context must equal it byte for byte (else `ContextMismatch`). When
   * omitted any context is accepted; the ok result returns it.
   */
  context?: Uint8Array | string;
  /**
   * For a receipt with committed tensors (a version-4 zero-knowledge receipt): the io
   * commitment's opening the prover handed the requester (`ProveResult.opening`). The verifier
   * rebuilds the commitment from it and requires the receipt's, byte for byte (else
   * `OpeningMismatch`); the result's outputs then include the committed ones, and `input` is
   * compared with the opened private inputs. Without it, committed outputs are not in the result
   * and a private input cannot be compared (`OpeningRequired` when `input` is given).
   */
  opening?: ZkIoOpening;
}

class Session extends CircuitTensors implements VerifierContext {
  readonly role = 'verifier' as const;
  readonly claims: TensorClaim[] = [];
  constructor(
    readonly tr: Transcript,
    readonly r: ByteReader,
    c: Circuit,
    private readonly publics: Map<string, Int32Array>,
  ) {
    super(c);
  }
  publicValues(t: string) {
    return this.publics.get(t);
  }
  recv(label: string, count: number): Ext[] {
    const v = this.r.words(4 * count, label);
    this.tr.absorbExt(label, v);
    return extsOf(v);
  }
  sumcheck(numVars: number, degree: number, claimedSum: Val, label: string): { point: Point; finalClaim: Ext } {
    const proof = readSumcheckProof(this.r, numVars, degree);
    const res = verifySumcheck(this.tr, { numVars, degree, claimedSum: clear(claimedSum) }, proof, label);
    if (!res.ok) throw new Rejected(res.error.kind, `${label}: ${res.error.message}`);
    return { point: res.point, finalClaim: res.finalClaim };
  }
  claim(tensor: string, point: Point, value: Val): void {
    this.claims.push({ tensor, point: point.slice(), value: clear(value).slice() });
  }
  equal(a: Val, b: Val, kind: string, message: string): void {
    clearEqual(this, a, b, kind, message);
  }
  finalCheck(_label: string, claim: Val, terms: readonly ProductTerm[], evals: readonly Val[], kind: string, message: string): void {
    clearFinalCheck(this, claim, terms, evals, kind, message);
  }
}

function checkPublic(c: Circuit, rc: Receipt): Map<string, Int32Array> {
  const m = new Map<string, Int32Array>();
  const committed = new Set([...(rc.committed?.inputs ?? []), ...(rc.committed?.outputs ?? [])]);
  const want = [...c.tensors.values()].filter((t) => (t.role === 'input' || t.role === 'output') && !committed.has(t.name));
  const got = [...rc.inputs, ...rc.outputs];
  if (got.length !== want.length) throw new Rejected('PublicMismatch', `receipt carries ${got.length} public tensors, the model has ${want.length} inputs and outputs${committed.size ? ' besides the committed ones' : ''}`);
  const check = (list: PublicTensor[], role: 'input' | 'output'): void => {
    for (const p of list) {
      const t = c.tensors.get(p.name);
      if (!t || t.role !== role) throw new Rejected('PublicMismatch', `receipt ${role} '${p.name}' is not a model ${role}`);
      if (committed.has(p.name)) throw new Rejected('PublicMismatch', `receipt ${role} '${p.name}' is both carried and committed`);
      if (p.values.length !== t.layout.size) throw new Rejected('PublicMismatch', `${role} '${p.name}': expected ${t.layout.size} values, got ${p.values.length}`);
      for (let i = 0; i < p.values.length; i++) {
        if (p.values[i] < t.lo || p.values[i] > t.hi) throw new Rejected('PublicOutOfRange', `${role} '${p.name}': value ${p.values[i]} at ${i} is outside [${t.lo}, ${t.hi}]`);
      }
      if (m.has(p.name)) throw new Rejected('PublicMismatch', `${role} '${p.name}' appears twice`);
      m.set(p.name, p.values);
    }
  };
  check(rc.inputs, 'input');
  check(rc.outputs, 'output');
  return m;
}

/**
 * Circuits by model ID, like a verifying key: the circuit is a deterministic function of the
 * description, whose hash the model ID (already checked) commits to, so a client verifying many
 * receipts of one model builds it once. Small and bounded; layer plans are read-only in `verify`.
 */
const CIRCUITS = new Map<string, { desc: ModelDescription; circuit: Circuit }>();
const MAX_CIRCUITS = 8;

function circuitFor(modelId: string, description: Uint8Array): { desc: ModelDescription; circuit: Circuit } {
  let e = CIRCUITS.get(modelId);
  if (!e) {
    const desc = decodeDescription(description);
    e = { desc, circuit: buildCircuit(desc) };
    if (CIRCUITS.size >= MAX_CIRCUITS) CIRCUITS.delete(CIRCUITS.keys().next().value!);
    CIRCUITS.set(modelId, e);
  }
  return e;
}

/**
 * Checks the caller's input against the receipt's public inputs, quantizing it by the prover's
 * own rule (`quantize/input.ts`, strict): see the header for the error kinds.
 */
function checkInput(desc: ModelDescription, input: unknown, publics: Map<string, Int32Array>, opened: ReadonlyMap<string, Int32Array> | null): ReceiptVerifyResult | null {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return fail('BadInput', `expected the input as an object {inputName: [numbers]}, got ${Array.isArray(input) ? 'an array' : input === null ? 'null' : typeof input}`);
  }
  const rec = input as Record<string, unknown>;
  for (const i of desc.model.inputs) {
    if (!Object.prototype.hasOwnProperty.call(rec, i.name) || rec[i.name] === undefined) return fail('InputMismatch', `missing input '${i.name}'`, { input: i.name });
    const r = quantizeInputValues(i, rec[i.name], 'strict');
    if (!r.ok) {
      const p = r.problem;
      if (p.kind === 'WrongLength') return fail('InputMismatch', p.message, { input: p.input, expected: p.expected, actual: p.actual });
      if (p.kind === 'OutOfRange') return fail('InputOutOfRange', p.message, { input: p.input, index: p.index, value: p.value, lo: p.lo, hi: p.hi, exp: i.exp });
      return fail('BadInput', p.message, { input: p.input, ...(p.kind === 'NotAList' ? {} : { index: p.index }) });
    }
    const want = publics.get(i.name) ?? opened?.get(i.name);
    if (!want) return fail('OpeningRequired', `input '${i.name}' is private in this receipt: pass its opening to compare it with the given input`, { input: i.name });
    const k = r.q.findIndex((x, j) => x !== want[j]);
    if (r.q.length !== want.length || k >= 0) return fail('InputMismatch', `the receipt was made for a different input '${i.name}' (first difference at index ${k}: ${want[k]} in the receipt, ${r.q[k]} quantized from the given value)`, { input: i.name, index: k });
  }
  return null;
}

/**
 * Verifies a receipt against a pinned model ID and, optionally, the input the caller sent and
 * the context it expects (`opts.context`).
 */
export function verifyReceipt(receiptBytes: Uint8Array, modelId: string, input?: Record<string, ArrayLike<number>>, opts: VerifyOptions = {}): ReceiptVerifyResult {
  try {
    return verifyInner(receiptBytes, modelId, input, opts);
  } catch (e) {
    if (e instanceof Rejected) return fail(e.kind, e.message);
    if (e instanceof DecodeError) return fail('MalformedReceipt', e.message);
    if (e instanceof CircuitError) return fail('UnsupportedModel', e.message);
    return fail('MalformedReceipt', `receipt could not be checked: ${(e as Error)?.message ?? String(e)}`);
  }
}

/** A context for messages: its text when it is short printable UTF-8, else (a prefix of) its hex. */
function showContext(b: Uint8Array): string {
  if (b.length === 0) return 'the empty context';
  try {
    const t = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(b);
    if (t.length <= 80 && !/[\u0000-\u001f\u007f-\u009f\ufeff]/.test(t)) return JSON.stringify(t);
  } catch {
    // not UTF-8: hex
  }
  return `0x${toHex(b.subarray(0, 40))}${b.length > 40 ? '…' : ''} (${b.length} bytes)`;
}

function verifyInner(receiptBytes: Uint8Array, modelId: string, input: Record<string, ArrayLike<number>> | undefined, opts: VerifyOptions): ReceiptVerifyResult {
  if (typeof modelId !== 'string' || !/^[0-9a-f]{64}$/i.test(modelId)) return fail('BadModelId', `expected a 64-hex-digit model ID, got '${String(modelId)}'`);
  let expectedContext: Uint8Array | undefined;
  if (opts?.context !== undefined) {
    try {
      expectedContext = contextBytes(opts.context);
    } catch (e) {
      return fail('BadContext', `expected context: ${(e as Error).message}`);
    }
  }
  const rc = decodeReceipt(receiptBytes);
  // The receipt's own PCS configuration (the model ID pins it): rate, mode and codeword bound must
  // be this verifier's; its query target may differ, and the composed bound below decides.
  const cfg = rc.pcs;
  const own = DEFAULT_TENSOR_PCS_CONFIG;
  if (cfg.logBlowup !== own.logBlowup || cfg.merged !== own.merged || cfg.maxLogCodeword !== own.maxLogCodeword || !(cfg.securityBits >= 1 && cfg.securityBits <= 512)) {
    return fail('ParameterMismatch', `receipt PCS parameters (rate 1/${2 ** cfg.logBlowup}, ${cfg.securityBits} bits) differ from this verifier's (rate 1/${2 ** own.logBlowup}, ${own.securityBits} bits)`);
  }
  const id = computeModelId(rc.description, rc.paramCommitment, cfg, rc.zk);
  if (id !== modelId.toLowerCase()) return fail('ModelIdMismatch', `receipt is for model ${id}, not the pinned model ${modelId.toLowerCase()}`);
  if (rc.modelId !== id) return fail('ModelIdMismatch', `receipt header names model ${rc.modelId}, but its contents hash to ${id}`);
  if (expectedContext && !bytesEqual(rc.context, expectedContext)) {
    return fail('ContextMismatch', `the receipt was made for ${showContext(rc.context)}, not the expected ${showContext(expectedContext)}`, { expected: toHex(expectedContext), actual: toHex(rc.context) });
  }
  const { desc, circuit: c } = circuitFor(id, rc.description);
  // the composed bound of the back end the receipt runs: a zk receipt's is a function of its
  // parameter commitment's code (pinned by the model ID), not of the tensor PCS it never opens
  const sec = rc.zk ? zkSecurityOf(c, rc) : verifySecurity(c, cfg);
  if (!sec.ok) return sec;
  const publics = checkPublic(c, rc);
  let opened: Map<string, Int32Array> | null = null;
  if (opts?.opening !== undefined) {
    const o = checkOpening(c, rc, opts.opening);
    if (!o.ok) return o;
    opened = o.values;
  }
  if (input !== undefined && input !== null) {
    const bad = checkInput(desc, input, publics, opened);
    if (bad) return bad;
  }
  if (rc.zk) {
    const z = verifyZkBody(c, id, rc, publics);
    return z.ok ? accepted(desc, id, publics, rc, opened) : z;
  }
  const pcs = new TensorPcs(cfg);
  const pr = new ByteReader(rc.paramCommitment);
  const paramCommitment = pcs.readCommitment(pr);
  pr.end('parameter commitment');
  if (pcs.numVars(paramCommitment) !== c.params.numVars) return fail('MalformedReceipt', 'parameter commitment size does not match the model');
  const wr = new ByteReader(rc.witnessCommitment);
  const witnessCommitment = pcs.readCommitment(wr);
  wr.end('witness commitment');
  if (pcs.numVars(witnessCommitment) !== c.witness.numVars) return fail('MalformedReceipt', 'witness commitment size does not match the model');

  const tr = receiptTranscript(id, cfg, rc.context, rc.inputs, rc.outputs, rc.witnessCommitment);
  const r = new ByteReader(rc.proof);
  const s = new Session(tr, r, c, publics);
  const statements = lookupStatements(c);
  const ch = drawLookupChallenges(tr, statements);
  const lproof = readLookupProof(r, statements);
  const lk = verifyLookups(tr, ch, statements, lproof);
  if (!lk.ok) return fail(lk.error.kind, `lookups: ${lk.error.message}`);
  addLookupClaims(c, lk.claims, (t, p, v) => s.claim(t, p, v));
  for (const cl of c.layers) cl.protocol.verify(cl.layer, cl.plan, s);

  const routed = routeClaims(c, s.claims, publics, true);
  const paramClaims = paramSegmentClaims(c, routed.params, (pc, L) => {
    const evs = s.recv(`param/${pc.tensor}/limbs`, L);
    if (!extEquals(combineLimbs(evs), pc.value)) throw new Rejected('LimbMismatch', `parameter '${pc.tensor}': limb evaluations do not recombine to the claimed value`);
    return evs;
  });
  paramClaims.push(...verifyParamRange(rc.paramCommitment, c.params.numVars, segmentsEnd(c.params.segments), rc.paramRange));
  if (routed.witness.length > 0) {
    const wb = readBatchOpeningProof(pcs, r, witnessCommitment);
    const wres = verifyBatchOpening(pcs, witnessCommitment, routed.witness, wb, tr);
    if (!wres.ok) return fail(wres.error.kind, `witness opening: ${wres.error.message}`);
  }
  const pb = readBatchOpeningProof(pcs, r, paramCommitment);
  const pres = verifyBatchOpening(pcs, paramCommitment, paramClaims, pb, tr);
  if (!pres.ok) return fail(pres.error.kind, `parameter opening: ${pres.error.message}`);
  r.end('proof');
  return accepted(desc, id, publics, rc, null);
}

/** The composed bound of a zk receipt, for the tensors it commits (checked for validity first). */
function zkSecurityOf(c: Circuit, rc: Receipt): VerifyResult {
  const vis = { inputs: rc.committed?.inputs ?? [], outputs: rc.committed?.outputs ?? [] };
  const err = visibilityIssue(c, vis);
  if (err) return fail('PublicMismatch', `committed tensors: ${err}`);
  return verifyZkSecurity(c, readZkCommitment(new ByteReader(rc.paramCommitment)).params, undefined, vis, rc.renewals?.length ?? 0);
}

/**
 * The caller's opening against the receipt's io commitment: the values of exactly the committed
 * tensors, each an integer list of the tensor's size in its range, and a 32-byte seed that,
 * with them, rebuilds the commitment byte for byte. Returns the opened values.
 */
function checkOpening(c: Circuit, rc: Receipt, opening: ZkIoOpening): { ok: true; values: Map<string, Int32Array> } | { ok: false; error: VerifyError } {
  if (!rc.committed) return fail('OpeningMismatch', 'an opening was given, but this receipt commits no tensor (every input and output is in the receipt)');
  const o = opening as Partial<ZkIoOpening> | null;
  if (!o || typeof o !== 'object' || !(o.seed instanceof Uint8Array) || !(o.values instanceof Map)) return fail('BadOpening', 'expected an opening { seed: Uint8Array (32 bytes), values: Map<name, Int32Array> }');
  const names = [...rc.committed.inputs, ...rc.committed.outputs];
  for (const k of o.values.keys()) if (!names.includes(k)) return fail('OpeningMismatch', `the opening holds '${k}', which this receipt does not commit (it commits ${names.join(', ')})`);
  const values = new Map<string, Int32Array>();
  for (const n of names) {
    const v = o.values.get(n);
    if (!v) return fail('OpeningMismatch', `the opening lacks the committed tensor '${n}'`);
    values.set(n, Int32Array.from(v));
  }
  const vis = { inputs: rc.committed.inputs, outputs: rc.committed.outputs };
  const visErr = visibilityIssue(c, vis);
  if (visErr) return fail('PublicMismatch', `committed tensors: ${visErr}`);
  const pc = readZkCommitment(new ByteReader(rc.paramCommitment));
  let rebuilt: Uint8Array;
  try {
    rebuilt = zkCommitmentBytes(commitZkIo(c, vis, values, o.seed, rc.witnessCommitment, { ...pc.params, randomness: pc.params.queries }).commitment);
  } catch (e) {
    return fail('BadOpening', `opening: ${(e as Error).message}`);
  }
  if (!bytesEqual(rebuilt, rc.committed.commitment)) return fail('OpeningMismatch', "the opening does not rebuild the receipt's io commitment: the receipt was made for other values (or another seed)");
  return { ok: true, values };
}

function accepted(desc: ModelDescription, id: string, publics: Map<string, Int32Array>, rc: Receipt, opened: ReadonlyMap<string, Int32Array> | null): ReceiptVerifyResult {
  const outputs: VerifiedOutput[] = [];
  for (const o of desc.model.outputs) {
    const q = publics.get(o.name) ?? opened?.get(o.name);
    if (!q) continue; // committed, not opened
    const sc = 2 ** -o.exp;
    outputs.push({ name: o.name, dims: o.dims, exp: o.exp, q, values: Float64Array.from(q, (v) => v * sc) });
  }
  return { ok: true, modelId: id, outputs, context: rc.context, receipt: rc, visibility: visibilityOf(desc, rc, opened !== null) };
}

/** Each tensor's visibility as the receipt states it. */
export function visibilityOf(desc: ModelDescription, rc: Receipt, opened = false): ReceiptVisibility {
  const priv = new Set(rc.committed?.inputs ?? []);
  const com = new Set(rc.committed?.outputs ?? []);
  return {
    inputs: Object.fromEntries(desc.model.inputs.map((i) => [i.name, priv.has(i.name) ? 'private' : 'public'])),
    outputs: Object.fromEntries(desc.model.outputs.map((o) => [o.name, com.has(o.name) ? 'committed' : 'public'])),
    parameters: rc.zk ? 'private' : 'committed',
    opened,
  };
}
