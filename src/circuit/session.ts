/**
 * The parts of a receipt's protocol that prover and verifier share, so they cannot drift apart:
 * the protocol constants and transcript preamble (PROTOCOL-NOTES §6 steps 0–2), the model ID, the
 * conversion of lookup-column claims into tensor claims, and the routing of tensor claims to the
 * witness vector, the parameter vector or direct evaluation of public data.
 *
 * Transcript order: protocol version and parameters → model ID → context → public inputs →
 * claimed outputs → witness commitment → (lookup α, β) → lookup GKRs → each layer in order →
 * parameter limb evaluations → witness batch opening → parameter batch opening.
 *
 * The context (receipt v3) is caller-chosen public bytes — e.g. a market ID, job ID and operator
 * key — that bind a receipt to the job it was made for. It is part of the statement (§6 step 1):
 * absorbed under its own label, length-prefixed, before any challenge, so a receipt cannot be
 * re-labelled for another context without redoing the proof. Empty means "no context" and is
 * absorbed too (as zero bytes), so every receipt has the same label sequence.
 */
import { P } from '../field/babybear.js';
import { type Ext, ext, extAdd, extEquals, extMulBase, extToString } from '../field/extension.js';
import { sha256 } from '../hash/sha256.js';
import type { EvalClaim } from '../pcs/batch.js';
import type { LookupClaims } from '../piop/lookup/logup.js';
import type { TensorPcsConfig } from '../pcs/params.js';
import type { Point } from '../poly/multilinear.js';
import { Transcript, type TranscriptOptions } from '../transcript/transcript.js';
import { toHex } from '../util/bytes.js';
import { limbName, type Circuit } from './circuit.js';
import { chiEval, evalPublic, modP } from './layout.js';
import { Rejected, type ColumnSpec } from './protocol.js';
import { vScale, vSub, type Val } from './values.js';

export const PROTOCOL = 'zkinfer/receipt/v1';
/**
 * 2: parameter range proof v2 (chunked, table side computed by the verifier).
 * 3: a public context (≤ MAX_CONTEXT_BYTES) in the header and the transcript; canonical decoding;
 *    parameter range proof v3 (an α per chunk).
 */
export const RECEIPT_VERSION = 3;
/** The format of a zero-knowledge receipt with committed inputs or outputs (`verifier/receipt.ts`). */
export const COMMITTED_RECEIPT_VERSION = 4;
/**
 * The format of a zero-knowledge receipt that opens a renewal of the model ID's parameter
 * commitment: it carries the path of links from the root (`verifier/receipt.ts`, `pcs/zk-renew.ts`).
 */
export const RENEWED_RECEIPT_VERSION = 5;

/** The most context bytes a receipt may carry. */
export const MAX_CONTEXT_BYTES = 1024;

export interface PublicTensor {
  name: string;
  values: Int32Array;
}

const enc = new TextEncoder();

/** The index of the first lone surrogate of `s` (which UTF-8 cannot encode faithfully), or −1. */
function loneSurrogate(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) i++;
      else return i;
    } else if (c >= 0xdc00 && c <= 0xdfff) return i;
  }
  return -1;
}

/**
 * A receipt context as bytes — the one conversion the prover (`prove(…, { context })`) and the
 * verifier (`verify(…, { context })`) both use: bytes are copied as they are, a string is UTF-8
 * encoded, `undefined` is the empty context. Throws TypeError for anything else (or a string
 * with a lone surrogate, which UTF-8 would silently replace) and RangeError above
 * MAX_CONTEXT_BYTES bytes.
 */
export function contextBytes(x: Uint8Array | string | undefined): Uint8Array {
  let b: Uint8Array;
  if (x === undefined) b = new Uint8Array(0);
  else if (typeof x === 'string') {
    const bad = loneSurrogate(x);
    if (bad >= 0) throw new TypeError(`context: expected a well-formed string, got a lone surrogate at index ${bad}`);
    b = enc.encode(x);
  } else if (ArrayBuffer.isView(x) && Object.prototype.toString.call(x) === '[object Uint8Array]') b = Uint8Array.from(x);
  else throw new TypeError(`context: expected a Uint8Array or a string, got ${x === null ? 'null' : typeof x}`);
  if (b.length > MAX_CONTEXT_BYTES) throw new RangeError(`context: expected at most ${MAX_CONTEXT_BYTES} bytes, got ${b.length}`);
  return b;
}

function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

function pcsConfigBytes(cfg: Readonly<TensorPcsConfig>): Uint8Array {
  return Uint8Array.of(cfg.logBlowup, cfg.securityBits & 0xff, cfg.securityBits >> 8, cfg.merged ? 1 : 0, cfg.maxLogCodeword);
}

/**
 * Model ID = SHA-256(domain ‖ SHA-256(description) ‖ parameter commitment ‖ PCS parameters). A
 * zero-knowledge model (its parameters under a hiding commitment, `zk`) has its own domain, so a
 * model ID names its mode too.
 */
export function computeModelId(descriptionBytes: Uint8Array, paramCommitment: Uint8Array, cfg: Readonly<TensorPcsConfig>, zk = false): string {
  return toHex(sha256(enc.encode(zk ? 'zkinfer/model-id/zk/v1' : 'zkinfer/model-id/v1'), sha256(descriptionBytes), u32le(paramCommitment.length), paramCommitment, pcsConfigBytes(cfg)));
}

/**
 * Steps 0–2 of the transcript: everything public (context right after the model ID), then, for a
 * version-5 receipt, the child commitments of its renewal path (`path`, root side first), then the
 * witness commitment.
 */
export function receiptTranscript(
  modelId: string,
  cfg: Readonly<TensorPcsConfig>,
  context: Uint8Array,
  inputs: PublicTensor[],
  outputs: PublicTensor[],
  witnessCommitment: Uint8Array,
  options: TranscriptOptions = {},
  zk = false,
  committed: { inputs: readonly string[]; outputs: readonly string[]; commitment: Uint8Array } | null = null,
  path: readonly Uint8Array[] = [],
): Transcript {
  const tr = new Transcript(PROTOCOL, options);
  tr.absorbNumber('version', path.length > 0 ? RENEWED_RECEIPT_VERSION : committed ? COMMITTED_RECEIPT_VERSION : RECEIPT_VERSION);
  // a zero-knowledge receipt says so first (clear receipts absorb exactly what they did before)
  if (zk) tr.absorbNumber('zk', 1);
  tr.absorbBytes('params/field', enc.encode(`babybear:${P};ext:x^4-11;hash:sha256`));
  tr.absorbBytes('params/pcs', pcsConfigBytes(cfg));
  tr.absorbBytes('model-id', enc.encode(modelId));
  tr.absorbBytes('context', context);
  const absorbTensors = (label: string, ts: PublicTensor[]): void => {
    tr.absorbNumber(`${label}/count`, ts.length);
    for (const t of ts) {
      tr.absorbBytes(`${label}/name`, enc.encode(t.name));
      tr.absorbBase(`${label}/values`, Uint32Array.from(t.values, modP));
    }
  };
  absorbTensors('input', inputs);
  absorbTensors('output', outputs);
  if (committed) {
    // version 4: the committed names and the io commitment (its root again with the others, zk-io.ts)
    for (const [label, names] of [['committed/input', committed.inputs], ['committed/output', committed.outputs]] as const) {
      tr.absorbNumber(`${label}/count`, names.length);
      for (const n of names) tr.absorbBytes(`${label}/name`, enc.encode(n));
    }
    tr.absorbBytes('committed/commitment', committed.commitment);
  }
  if (path.length > 0) {
    // version 5: every child commitment of the renewal path, root side first, before the witness
    tr.absorbNumber('renew/depth', path.length);
    for (const child of path) tr.absorbBytes('renew/child', child);
  }
  tr.absorbBytes('witness/commitment', witnessCommitment);
  return tr;
}

/** Column value of a tensor entry: sign·x + constOffset + chiOffset·χ (padding: χ = 0). */
export function columnValues(col: ColumnSpec, field: Uint32Array, chi: Uint8Array): Uint32Array {
  const sign = col.sign ?? 1;
  const c = modP(col.constOffset ?? 0);
  const cc = modP((col.constOffset ?? 0) + (col.chiOffset ?? 0));
  const out = new Uint32Array(field.length);
  for (let i = 0; i < field.length; i++) {
    const x = sign === 1 ? field[i] : field[i] === 0 ? 0 : P - field[i];
    const off = chi[i] ? cc : c;
    const s = x + off;
    out[i] = s >= P ? s - P : s;
  }
  return out;
}

/** The tensor value implied by a column claim: x~ = sign·(v − constOffset − chiOffset·χ~) (clear or hidden). */
export function columnToTensor(c: Circuit, col: ColumnSpec, point: Point, v: Val): Val {
  const l = c.tensors.get(col.tensor)!.layout;
  let t = vSub(v, ext(modP(col.constOffset ?? 0)));
  if (col.chiOffset) t = vSub(t, extMulBase(chiEval(l, point), modP(col.chiOffset)));
  return (col.sign ?? 1) === 1 ? t : vScale(t, ext(P - 1));
}

export interface TensorClaim {
  tensor: string;
  point: Point;
  value: Ext;
}

/** Routes claims: public ones are checked here (verifier) and dropped; others become segment claims. */
export function routeClaims(
  c: Circuit,
  claims: TensorClaim[],
  publics: Map<string, Int32Array>,
  check: boolean,
): { witness: EvalClaim[]; params: TensorClaim[] } {
  const witness: EvalClaim[] = [];
  const params: TensorClaim[] = [];
  for (const cl of claims) {
    const t = c.tensors.get(cl.tensor);
    if (!t) throw new Rejected('UnknownTensor', `claim on unknown tensor '${cl.tensor}'`);
    if (cl.point.length !== 4 * t.layout.numVars) throw new Error(`claim on '${cl.tensor}': point has ${cl.point.length / 4} variables, expected ${t.layout.numVars}`);
    if (t.role === 'input' || t.role === 'output') {
      if (check) {
        const v = evalPublic(t.layout, publics.get(t.name)!, cl.point);
        if (!extEquals(v, cl.value)) throw new Rejected('PublicMismatch', `a claim on public tensor '${t.name}' does not match its values (${extToString(v)} ≠ ${extToString(cl.value)})`);
      }
    } else if (t.role === 'witness') {
      const seg = c.witness.segments.get(t.name)!;
      witness.push({ point: cl.point, value: cl.value, segment: seg.offset / 2 ** seg.numVars });
    } else {
      params.push(cl);
    }
  }
  return { witness, params };
}

/** Σ_l 256^l·v_l. */
export function combineLimbs(vs: Ext[]): Ext {
  let acc = ext();
  vs.forEach((v, l) => {
    acc = extAdd(acc, extMulBase(v, 256 ** l % P));
  });
  return acc;
}

/** Segment claim on limb l of a parameter. */
export function limbClaim(c: Circuit, param: string, l: number, point: Point, value: Ext): EvalClaim {
  const seg = c.params.segments.get(limbName(param, l))!;
  return { point, value, segment: seg.offset / 2 ** seg.numVars };
}


/** A lookup's claims on its columns, multiplicities and committed table, clear (`LookupClaims`) or hidden (a zero-knowledge receipt's). */
interface AnyLookupClaims {
  columns: { point: Point; value: Val }[][];
  multiplicities: { point: Point; value: Val };
  table?: { point: Point; value: Val };
  second?: AnyLookupClaims;
}

/**
 * Registers, as tensor claims, the claims a lookup argument left on its columns and multiplicities
 * and, for a committed table, on its parameter (an ordinary parameter claim: both modes' parameter
 * batch settles it).
 */
export function addLookupClaims(c: Circuit, claims: readonly (LookupClaims | AnyLookupClaims)[], claim: (tensor: string, point: Point, value: Val) => void): void {
  c.lookups.forEach((g, k) => {
    // an instance checked at two draws (`fingerprints: 2`) has a second set of claims, settled alike
    for (let cl: LookupClaims | AnyLookupClaims | undefined = claims[k]; cl; cl = cl.second) addInstance(g, k, cl);
  });
  function addInstance(g: Circuit['lookups'][number], k: number, cl: LookupClaims | AnyLookupClaims): void {
    g.tuples.forEach((tuple, j) =>
      tuple.forEach((col, w) => {
        const { point, value } = cl.columns[j][w];
        claim(col.tensor, point, columnToTensor(c, col, point, value));
      }),
    );
    claim(g.mult, cl.multiplicities.point, cl.multiplicities.value);
    if (g.table.kind === 'committed') {
      if (!cl.table) throw new Rejected('MalformedProof', `lookup ${k}: no claim on the committed table '${g.table.param}'`);
      claim(g.table.param, cl.table.point, cl.table.value);
    }
  }
}

/**
 * Segment claims on the parameter vector: an int8 parameter's claim is its limb-0 segment's; a
 * wider one's is split by `limbEvals`, which the prover answers (sending the limb evaluations)
 * and the verifier answers (receiving them and checking they recombine to the claimed value).
 */
export function paramSegmentClaims(c: Circuit, params: TensorClaim[], limbEvals: (claim: TensorClaim, limbs: number) => Ext[]): EvalClaim[] {
  const out: EvalClaim[] = [];
  for (const pc of params) {
    const limbs = c.tensors.get(pc.tensor)!.limbs;
    const evs = limbs === 1 ? [pc.value] : limbEvals(pc, limbs);
    evs.forEach((e, l) => out.push(limbClaim(c, pc.tensor, l, pc.point, e)));
  }
  return out;
}
