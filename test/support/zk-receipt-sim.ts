/**
 * Receipt-level helpers of the zero-knowledge tests (test/prover/zk-leak.test.ts): the revealed
 * values of a zero-knowledge receipt by class, and a simulator of whole receipts.
 *
 * Extraction. A receipt's revealed values are the commitment roots (the io commitment's too, for a
 * receipt with committed tensors), the parameter range
 * proof (padded LogUp messages), the body (padded round messages and evaluation claims, in a
 * layout fixed by the circuit) and the final zero-knowledge Ligero proof (test polynomials,
 * opened columns of each tree, salts, Merkle nodes). The verifier's own replay, run on a reader
 * that records where each field message lies and under which label, splits them into classes;
 * the layout is the circuit's, so it is recorded once per description and every other receipt
 * is cut along it (the bytes between messages, their fixed counts, checked equal).
 *
 * Simulator (docs/zero-knowledge.md §2: "the simulator samples all of them without the witness
 * and programs the transcript's challenges"). It knows the circuit (from the description), the
 * public input, output and context, and the opening budget (which fixes every size); never a
 * weight or an activation. It runs the verifier's replay of the range proof and of the body on a
 * reader that hands out uniform field words (every padded message is uniform), answering each
 * challenge with a fresh uniform value (a lazily sampled random oracle) and recording it; the
 * constraints the replay returns are the statement, and the multi-commitment Ligero simulator
 * (`simulateMulti`) makes the commitments' roots and the proof for it, programming its own
 * challenges. The verifier, given the recorded and programmed challenges through
 * `ZkTranscriptSeam`, accepts.
 */
import { P } from '../../src/field/babybear.js';
import { buildCircuit } from '../../src/circuit/circuit.js';
import { decodeDescription } from '../../src/circuit/description.js';
import { computeModelId, RECEIPT_VERSION, receiptTranscript, type PublicTensor } from '../../src/circuit/session.js';
import { readZkParamRange } from '../../src/circuit/zk-param-range.js';
import { absorbZkCommitment, readZkCommitment, readZkMultiProof, writeZkMultiProof, zkCommitmentBytes, type ZkLigeroCommitment, type ZkLigeroMultiProof } from '../../src/pcs/zk-ligero.js';
import type { ConstraintSystem } from '../../src/pcs/constraints.js';
import { sha256 } from '../../src/hash/sha256.js';
import { chooseZkLigeroParams, codeShape, sharedCodeParams, type ZkLigeroParams } from '../../src/pcs/zk-ligero-params.js';
import { randomField, type RandomSource } from '../../src/pcs/zk-ligero-masks.js';
import { appendSystem } from '../../src/piop/zk-affine.js';
import type { TensorPcsConfig } from '../../src/pcs/params.js';
import { Transcript } from '../../src/transcript/transcript.js';
import { ByteReader, ByteWriter, toHex } from '../../src/util/bytes.js';
import { decodeReceipt, encodeReceipt, type Receipt } from '../../src/verifier/receipt.js';
import { verifyZkBody, zkReceiptLayout, zkReceiptSystem, type ZkTranscriptSeam } from '../../src/verifier/zk-receipt.js';
import { fail, type VerifyResult } from '../../src/util/result.js';
import { ProgrammedTranscript, simulateMulti } from '../pcs/zk-ligero-support.js';

// ---- extraction -----------------------------------------------------------------------------------

/** A reader that records every field message it hands out: where it lies and its label. */
class RecordingReader extends ByteReader {
  readonly messages: Message[] = [];
  private readonly length: number;
  constructor(bytes: Uint8Array) {
    super(bytes);
    this.length = bytes.length;
  }
  override words(n: number, what = 'field elements'): Uint32Array {
    const at = this.length - this.remaining;
    const v = super.words(n, what);
    this.messages.push({ what, at, n });
    return v;
  }
}

interface Message {
  what: string;
  /** byte offset in its blob */
  at: number;
  /** words */
  n: number;
}

/** The class of a padded message by its label: a sumcheck round message, or an evaluation claim. */
function messageClass(part: string, what: string): string {
  return /sumcheck round/.test(what) ? `${part}: round messages` : `${part}: evaluation claims`;
}

/** Revealed values of one receipt by class; byte classes hold bytes (0–255), field classes words. */
export interface Revealed {
  field: Map<string, number[]>;
  bytes: Map<string, number[]>;
  /** the labels of the range proof's and the body's messages, in order (the fixed layout) */
  labels: string[];
}

function pushTo(m: Map<string, number[]>, k: string, v: ArrayLike<number>): void {
  let a = m.get(k);
  if (!a) m.set(k, (a = []));
  for (let i = 0; i < v.length; i++) a.push(v[i]);
}

/** Q_quad = g·Z_H (it vanishes on H): g, recovered coefficient by coefficient from the bottom. */
function quadQuotient(qQuad: Uint32Array, C: number, quadDegree: number): Uint32Array {
  const gLen = quadDegree - C;
  const g = new Uint32Array(4 * gLen);
  // Q_quad = g·X^C − g: coefficient i is g_{i−C} − g_i
  for (let i = 0; i < gLen; i++) for (let c = 0; c < 4; c++) g[4 * i + c] = ((i >= C ? g[4 * (i - C) + c] : 0) + P - qQuad[4 * i + c]) % P;
  return g;
}

/**
 * Where a circuit's range proof and body lie (a function of the circuit alone): the verifier's
 * replay on the first receipt of a description records it, with the statement's shape, which
 * fixes the Ligero proof's lengths.
 */
interface FixedLayout {
  range: Message[];
  body: Message[];
  bodyEnd: number;
  system: ConstraintSystem;
  /** the bytes between the messages (their fixed counts) of the first receipt */
  rangeBytes: Uint8Array;
  bodyBytes: Uint8Array;
}

const FIXED = new Map<string, FixedLayout>();

function fixedLayout(rc: Receipt, commitments: ZkLigeroCommitment[]): FixedLayout {
  const visibility = { inputs: rc.committed?.inputs ?? [], outputs: rc.committed?.outputs ?? [] };
  const key = `${toHex(sha256(rc.description))}:${JSON.stringify(visibility)}`;
  let hit = FIXED.get(key);
  if (hit) return hit;
  const c = buildCircuit(decodeDescription(rc.description));
  // the range proof's layout does not depend on its challenges: any transcript splits it
  const rr = new RecordingReader(rc.paramRange);
  const range = readZkParamRange(new Transcript('zk-leak/extract'), c, rr);
  if (!range.ok) throw new Error(`range proof: ${range.error.message}`);
  rr.end('range proof');
  const tr = receiptTranscript(rc.modelId, rc.pcs, rc.context, rc.inputs, rc.outputs, rc.witnessCommitment, {}, true, rc.committed);
  for (const cm of commitments) absorbZkCommitment(tr, cm);
  const br = new RecordingReader(rc.proof);
  const system = appendSystem(zkReceiptSystem(c, tr, br, publicsOf(rc), { visibility }), range.system);
  hit = { range: rr.messages, body: br.messages, bodyEnd: rc.proof.length - br.remaining, system, rangeBytes: rc.paramRange, bodyBytes: rc.proof.subarray(0, rc.proof.length - br.remaining) };
  FIXED.set(key, hit);
  return hit;
}

/** The words of each message of `blob`, after checking that the bytes between them are the layout's. */
function messagesOf(blob: Uint8Array, template: Uint8Array, messages: Message[], part: string, field: Map<string, number[]>, labels: string[]): void {
  let o = 0;
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  for (const m of [...messages, { what: '', at: template.length, n: 0 }]) {
    for (; o < m.at; o++) if (blob[o] !== template[o]) throw new Error(`${part}: byte ${o} between messages differs from the layout's`);
    if (m.n === 0 && m.what === '') break;
    const w = Array.from({ length: m.n }, (_, i) => view.getUint32(m.at + 4 * i, true));
    pushTo(field, messageClass(part, m.what), w);
    labels.push(`${part}:${m.what}`);
    o = m.at + 4 * m.n;
  }
}

/** Every revealed value of a zero-knowledge receipt, by class (the receipt is parsed as the verifier parses it). */
export function revealedValues(bytes: Uint8Array): Revealed {
  const rc = decodeReceipt(bytes);
  const pc = readZkCommitment(new ByteReader(rc.paramCommitment));
  const wc = readZkCommitment(new ByteReader(rc.witnessCommitment));
  const commitments = [pc, wc];
  if (rc.committed) commitments.push(readZkCommitment(new ByteReader(rc.committed.commitment)));
  const lay = fixedLayout(rc, commitments);
  const field = new Map<string, number[]>();
  const byteClasses = new Map<string, number[]>();
  const labels: string[] = [];
  pushTo(byteClasses, 'commitment roots', commitments.flatMap((cm) => [...cm.root]));
  if (rc.paramRange.length !== lay.rangeBytes.length) throw new Error('range proof: not the layout’s length');
  messagesOf(rc.paramRange, lay.rangeBytes, lay.range, 'range proof', field, labels);
  messagesOf(rc.proof.subarray(0, lay.bodyEnd), lay.bodyBytes, lay.body, 'body', field, labels);
  const r = new ByteReader(rc.proof.subarray(lay.bodyEnd));
  const proof = readZkMultiProof(r, commitments, lay.system);
  r.end('proof');
  ligeroClasses(proof, codeShape(sharedCodeParams([pc.params, wc.params])), field, byteClasses);
  return { field, bytes: byteClasses, labels };
}

function ligeroClasses(p: ZkLigeroMultiProof, s: { C: number; quadDegree: number }, field: Map<string, number[]>, bytes: Map<string, number[]>): void {
  pushTo(field, 'P0', p.p0);
  pushTo(field, 'Q_lin', p.qLin);
  pushTo(field, 'Q_quad / Z_H', quadQuotient(p.qQuad, s.C, s.quadDegree));
  pushTo(field, 'columns A[parameters]', p.a[0].columns);
  pushTo(field, 'columns A[witness]', p.a[1].columns);
  if (p.a[2]) pushTo(field, 'columns A[io]', p.a[2].columns);
  pushTo(field, 'columns B', p.b.columns);
  pushTo(bytes, 'root B', p.rootB);
  for (const t of [...p.a, p.b]) pushTo(bytes, 'salts', t.salts);
  for (const t of [...p.a, p.b]) pushTo(bytes, 'Merkle nodes', t.merkle);
}

function publicsOf(rc: Receipt): Map<string, Int32Array> {
  return new Map([...rc.inputs, ...rc.outputs].map((t) => [t.name, t.values]));
}


// ---- the simulator --------------------------------------------------------------------------------

/** A lazily sampled random oracle: every challenge a fresh uniform value, recorded in order; absorbs ignored. */
class OracleTranscript extends Transcript {
  readonly drawn: [string, Uint32Array][] = [];
  constructor(private readonly rng: RandomSource) {
    super('simulated');
  }
  private draw(label: string, v: Uint32Array): Uint32Array {
    this.drawn.push([label, v.slice()]);
    return v;
  }
  override absorbBytes(): void {}
  override absorbBase(): void {}
  override absorbExt(): void {}
  override absorbU64(): void {}
  override absorbNumber(): void {}
  override challengeBase(label: string): number {
    return this.draw(label, randomField(this.rng, 1))[0];
  }
  override challengeBases(label: string, n: number): Uint32Array {
    return this.draw(label, randomField(this.rng, n));
  }
  override challengeExt(label: string): Uint32Array {
    return this.draw(label, randomField(this.rng, 4));
  }
  override challengeExts(label: string, n: number): Uint32Array {
    return this.draw(label, randomField(this.rng, 4 * n));
  }
  override challengeIndices(label: string, count: number, n: number): Uint32Array {
    const b = new Uint8Array(4 * count);
    this.rng(b);
    return this.draw(label, Uint32Array.from(new Uint32Array(b.buffer), (w) => (w & (n - 1)) >>> 0));
  }
}

/**
 * A reader that hands out uniform canonical field words for every message and the only valid
 * value of every fixed count, writing what it handed out: the simulated message bytes. Any other
 * read means a message whose shape is not fixed by the circuit, and throws.
 */
class UniformReader extends ByteReader {
  readonly out = new ByteWriter(1 << 16);
  constructor(private readonly rng: RandomSource) {
    super(new Uint8Array(0));
  }
  override words(n: number): Uint32Array {
    const v = randomField(this.rng, n);
    this.out.words(v);
    return v;
  }
  override u32In(min: number, max: number, what: string): number {
    if (min !== max) throw new Error(`simulator: '${what}' is not fixed by the circuit (${min}..${max})`);
    this.out.u32(min);
    return min;
  }
  override u8(what = 'u8'): number {
    throw new Error(`simulator: unexpected read of ${what}`);
  }
  override u32(what = 'u32'): number {
    throw new Error(`simulator: unexpected read of ${what}`);
  }
  override bytes(n: number, what = 'bytes'): Uint8Array {
    throw new Error(`simulator: unexpected read of ${n} bytes (${what})`);
  }
}

/** What the simulator knows: the public statement and the sizes. */
export interface SimulatorInput {
  description: Uint8Array;
  pcs: Readonly<TensorPcsConfig>;
  context: Uint8Array;
  inputs: PublicTensor[];
  outputs: PublicTensor[];
  /** the opening budget of the parameter commitment (fixes its code: k = openings·t) */
  openings: number;
}

export interface SimulatedReceipt {
  receipt: Uint8Array;
  /** the challenges the simulator recorded and programmed (the verifier's transcripts) */
  seam: ZkTranscriptSeam & { receipt: ProgrammedTranscript; range: ProgrammedTranscript };
}

function programmed(drawn: [string, Uint32Array][], tr = new ProgrammedTranscript()): ProgrammedTranscript {
  for (const [label, v] of drawn) tr.program(label, v);
  return tr;
}

/** A zero-knowledge receipt for the public statement, made without any weight (see the header). */
export function simulateReceipt(s: SimulatorInput, rng: RandomSource): SimulatedReceipt {
  const c = buildCircuit(decodeDescription(s.description));
  const lay = zkReceiptLayout(c);
  const params: ZkLigeroParams = chooseZkLigeroParams(lay.end, { openings: s.openings });
  const witnessParams: ZkLigeroParams = { ...params, randomness: params.queries };

  const rangeOracle = new OracleTranscript(rng);
  const rangeReader = new UniformReader(rng);
  const range = readZkParamRange(rangeOracle, c, rangeReader);
  if (!range.ok) throw new Error(`simulator: range replay: ${range.error.message}`);

  const oracle = new OracleTranscript(rng);
  const bodyReader = new UniformReader(rng);
  const publics = new Map([...s.inputs, ...s.outputs].map((t) => [t.name, t.values]));
  const system = appendSystem(zkReceiptSystem(c, oracle, bodyReader, publics), range.system);

  const receiptTr = programmed(oracle.drawn);
  const sim = simulateMulti([lay.witnessBase, lay.end - lay.witnessBase], system, [params, witnessParams], rng, receiptTr);
  const paramCommitment = zkCommitmentBytes(sim.commitments[0]);
  const proof = new ByteWriter(1 << 20);
  proof.bytes(bodyReader.out.finish());
  writeZkMultiProof(proof, sim.proof);
  const rc: Receipt = {
    version: RECEIPT_VERSION,
    zk: true,
    modelId: computeModelId(s.description, paramCommitment, s.pcs, true),
    pcs: { ...s.pcs },
    context: s.context,
    description: s.description,
    paramCommitment,
    paramRange: rangeReader.out.finish(),
    inputs: s.inputs,
    outputs: s.outputs,
    committed: null,
    witnessCommitment: zkCommitmentBytes(sim.commitments[1]),
    proof: proof.finish(),
  };
  return { receipt: encodeReceipt(rc), seam: { receipt: receiptTr, range: programmed(rangeOracle.drawn) } };
}

/**
 * The verifier's zero-knowledge half on a receipt, with the challenges of `seam`: decoding, the
 * model ID (recomputed from the receipt's description and parameter commitment), the circuit,
 * then `verifyZkBody` (every commitment, range-proof, body and Ligero check).
 */
export function verifyWithSeam(bytes: Uint8Array, seam: ZkTranscriptSeam): VerifyResult {
  const rc = decodeReceipt(bytes);
  const id = computeModelId(rc.description, rc.paramCommitment, rc.pcs, true);
  if (id !== rc.modelId) return fail('ModelIdMismatch', 'the receipt’s model ID does not hash its description and parameter commitment');
  return verifyZkBody(buildCircuit(decodeDescription(rc.description)), id, rc, publicsOf(rc), seam);
}
