/**
 * The receipt: versioned, self-describing binary (DESIGN §3 "Receipt"), format version 3, or 4
 * for a zero-knowledge receipt that commits some inputs or outputs instead of carrying them.
 *
 *   "ZKR\0" | u32 version ∈ {3, 4} | u8 zk ∈ {0, 1} | 32-byte model ID
 *   | PCS parameters: u8 log2 blowup, u16 security bits, u8 merged ∈ {0, 1}, u8 max log codeword
 *   | blob context (≤ MAX_CONTEXT_BYTES; empty = no context)
 *   | blob description | blob parameter commitment | blob parameter range proof
 *   | public inputs | public outputs
 *   | version 4 only: u32 count, name blobs (private inputs) | u32 count, name blobs (committed
 *     outputs) | blob io commitment (`circuit/zk-io.ts`)
 *   | blob witness commitment | blob proof
 *
 * Version 4 requires zk = 1 and at least one committed tensor, and version 3 has none, so every
 * receipt still has exactly one encoding (a receipt with every tensor public is version 3 whatever
 * made it).
 *
 * Version 5: a zero-knowledge receipt whose proof opens a renewal of the model ID's parameter
 * commitment (`pcs/zk-renew.ts`, docs/zero-knowledge.md §4). After the parameter range proof:
 * u8 depth D ∈ [1, MAX_RENEWAL_DEPTH], then D links (blob child commitment, blob renewal proof),
 * root side first; after the public outputs a u8 flag ∈ {0, 1}: 1 when the version-4 section
 * (committed names and io commitment) follows. Only a receipt with a non-empty path is version 5,
 * so a receipt with none keeps its version-3 or version-4 bytes.
 *
 * Integers are little-endian; a blob is a u32 length and that many bytes; a public tensor list is
 * a u32 count of (name blob: UTF-8, ≤ 1024 bytes; u32 count; that many i32 values).
 *
 * Decoding is bounded and canonical. Every length is capped before anything is read, so hostile
 * bytes fail with a DecodeError instead of allocating or hanging. Every field has exactly one
 * valid encoding — flags are exactly 0 or 1, names are valid UTF-8 decoded with their BOM kept
 * (a TextDecoder strips a leading U+FEFF by default, which would make "\uFEFFx" and "x" decode
 * alike), no trailing bytes — so `encodeReceipt(decodeReceipt(b))` equals `b` for every `b`
 * that decodes. The blobs are parsed by the verifier with the same discipline (exact lengths,
 * field elements < p, commitments without trailing bytes). `receiptJson` is the human view
 * (`zkinfer inspect out.zkr`).
 */
import type { TensorPcsConfig } from '../pcs/params.js';
import { ByteReader, ByteWriter, DecodeError, fromHex, toHex } from '../util/bytes.js';
import { COMMITTED_RECEIPT_VERSION, MAX_CONTEXT_BYTES, RECEIPT_VERSION, RENEWED_RECEIPT_VERSION, type PublicTensor } from '../circuit/session.js';
import { MAX_RENEWAL_PROOF_BYTES } from '../pcs/zk-renew.js';

const MAGIC = [0x5a, 0x4b, 0x52, 0x00]; // "ZKR\0"
const MAX_BLOB = 1 << 28;
const MAX_TENSORS = 256;
const MAX_VALUES = 1 << 26;
/** The longest renewal path a receipt may carry (a prover's tree is far shallower: `prover/zk-tree.ts`). */
export const MAX_RENEWAL_DEPTH = 16;

export interface Receipt {
  version: number;
  /** zero knowledge (the model's parameters under a hiding commitment, every message padded: `prover/zk-prove.ts`) */
  zk: boolean;
  modelId: string;
  pcs: TensorPcsConfig;
  /** caller-chosen public bytes bound into the transcript (≤ MAX_CONTEXT_BYTES; empty = none) */
  context: Uint8Array;
  description: Uint8Array;
  paramCommitment: Uint8Array;
  paramRange: Uint8Array;
  inputs: PublicTensor[];
  outputs: PublicTensor[];
  /** the tensors bound by the io commitment instead of carried (version 4), or null (version 3) */
  committed: ReceiptCommitted | null;
  witnessCommitment: Uint8Array;
  proof: Uint8Array;
  /**
   * Version 5: the renewal path from the model ID's parameter commitment (`paramCommitment`, the
   * root) to the commitment the proof opens, root side first. Absent or empty: the proof opens the root.
   */
  renewals?: ReceiptRenewal[];
}

/** One link of a renewal path: a child commitment and its proof against the previous commitment (`pcs/zk-renew.ts`). */
export interface ReceiptRenewal {
  /** the child's `zkCommitmentBytes` */
  child: Uint8Array;
  proof: Uint8Array;
}

/** The committed tensors of a version-4 receipt (`circuit/zk-io.ts`). */
export interface ReceiptCommitted {
  /** private inputs, in the model's order */
  inputs: string[];
  /** committed outputs, in the model's order */
  outputs: string[];
  /** the io commitment's bytes (`zkCommitmentBytes`) */
  commitment: Uint8Array;
}

/** The format version of a receipt with a renewal path (5), else with (4) or without (3) committed tensors. */
export function receiptVersionOf(committed: ReceiptCommitted | null, depth = 0): number {
  return depth > 0 ? RENEWED_RECEIPT_VERSION : committed ? COMMITTED_RECEIPT_VERSION : RECEIPT_VERSION;
}

/** Strict UTF-8 that keeps a leading BOM, so distinct byte strings decode to distinct names. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A 0/1 flag byte; any other value is refused (one encoding per value). */
function flag(r: ByteReader, what: string): boolean {
  const b = r.u8(what);
  if (b > 1) throw new DecodeError(`${what}: expected 0 or 1, got ${b}`);
  return b === 1;
}

function writeTensors(w: ByteWriter, ts: PublicTensor[]): void {
  w.u32(ts.length);
  for (const t of ts) {
    w.blob(new TextEncoder().encode(t.name));
    w.u32(t.values.length);
    for (const v of t.values) w.u32(v >>> 0);
  }
}

function readName(r: ByteReader, what: string): string {
  try {
    return UTF8.decode(r.blob(1024, `${what} name`));
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError(`${what}: name is not UTF-8`);
  }
}

function readNames(r: ByteReader, what: string): string[] {
  const n = r.u32In(0, MAX_TENSORS, `${what} count`);
  return Array.from({ length: n }, () => readName(r, what));
}

function readTensors(r: ByteReader, what: string): PublicTensor[] {
  const n = r.u32In(0, MAX_TENSORS, `${what} count`);
  const out: PublicTensor[] = [];
  for (let i = 0; i < n; i++) {
    const name = readName(r, `${what} ${i}`);
    const len = r.u32In(0, MAX_VALUES, `${what} '${name}' length`);
    if (4 * len > r.remaining) throw new DecodeError(`truncated input: ${what} '${name}' needs ${4 * len} bytes`);
    const values = new Int32Array(len);
    for (let k = 0; k < len; k++) values[k] = r.u32(`${what} value`) | 0;
    out.push({ name, values });
  }
  return out;
}

export function encodeReceipt(rc: Receipt): Uint8Array {
  const committed = rc.committed ?? null;
  const path = rc.renewals ?? [];
  const want = receiptVersionOf(committed, path.length);
  if (rc.version !== want) throw new RangeError(`encodeReceipt: version ${rc.version} with ${committed ? 'committed tensors' : 'no committed tensor'} and a renewal path of depth ${path.length} (expected ${want})`);
  if (committed && (!rc.zk || committed.inputs.length + committed.outputs.length === 0)) throw new RangeError('encodeReceipt: committed tensors need a zero-knowledge receipt and at least one name');
  if (path.length > 0 && !rc.zk) throw new RangeError('encodeReceipt: a renewal path needs a zero-knowledge receipt');
  if (path.length > MAX_RENEWAL_DEPTH) throw new RangeError(`encodeReceipt: a renewal path of depth ${path.length} exceeds ${MAX_RENEWAL_DEPTH}`);
  const w = new ByteWriter(1 << 16);
  w.bytes(Uint8Array.from(MAGIC)).u32(rc.version).u8(rc.zk ? 1 : 0).bytes(fromHex(rc.modelId));
  w.u8(rc.pcs.logBlowup).u8(rc.pcs.securityBits & 0xff).u8(rc.pcs.securityBits >> 8).u8(rc.pcs.merged ? 1 : 0).u8(rc.pcs.maxLogCodeword);
  w.blob(rc.context);
  w.blob(rc.description).blob(rc.paramCommitment).blob(rc.paramRange);
  if (path.length > 0) {
    w.u8(path.length);
    for (const l of path) w.blob(l.child).blob(l.proof);
  }
  writeTensors(w, rc.inputs);
  writeTensors(w, rc.outputs);
  if (path.length > 0) w.u8(committed ? 1 : 0);
  if (committed) {
    for (const names of [committed.inputs, committed.outputs]) {
      w.u32(names.length);
      for (const n of names) w.blob(new TextEncoder().encode(n));
    }
    w.blob(committed.commitment);
  }
  w.blob(rc.witnessCommitment).blob(rc.proof);
  return w.finish();
}

/** Decodes a receipt; throws DecodeError (never anything else) on malformed bytes. */
export function decodeReceipt(bytes: Uint8Array): Receipt {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('receipt: expected bytes');
  const r = new ByteReader(bytes);
  const magic = r.bytes(4, 'magic');
  if (magic.some((b, i) => b !== MAGIC[i])) throw new DecodeError('not a zkinfer receipt (wrong magic bytes)');
  const version = r.u32('version');
  if (version !== RECEIPT_VERSION && version !== COMMITTED_RECEIPT_VERSION && version !== RENEWED_RECEIPT_VERSION) throw new DecodeError(`receipt format version ${version} is not supported (this verifier reads versions ${RECEIPT_VERSION} to ${RENEWED_RECEIPT_VERSION})`);
  const zk = flag(r, 'zk flag');
  const modelId = toHex(r.bytes(32, 'model ID'));
  const pcs: TensorPcsConfig = { logBlowup: r.u8('pcs rate'), securityBits: r.u8('pcs bits') | (r.u8('pcs bits') << 8), merged: flag(r, 'pcs mode'), maxLogCodeword: r.u8('pcs codeword') };
  const context = r.blob(MAX_CONTEXT_BYTES, 'context');
  const description = r.blob(MAX_BLOB, 'description');
  const paramCommitment = r.blob(4096, 'parameter commitment');
  const paramRange = r.blob(MAX_BLOB, 'parameter range proof');
  let renewals: ReceiptRenewal[] | undefined;
  if (version === RENEWED_RECEIPT_VERSION) {
    if (!zk) throw new DecodeError('a version-5 receipt (a renewal path) must be a zero-knowledge receipt');
    const depth = r.u8('renewal path depth');
    if (depth < 1 || depth > MAX_RENEWAL_DEPTH) throw new DecodeError(`renewal path depth: expected 1 to ${MAX_RENEWAL_DEPTH} (with none the receipt is version 3 or 4), got ${depth}`);
    renewals = Array.from({ length: depth }, (_, i) => ({ child: r.blob(4096, `renewal ${i + 1} child commitment`), proof: r.blob(MAX_RENEWAL_PROOF_BYTES, `renewal ${i + 1} proof`) }));
  }
  const inputs = readTensors(r, 'input');
  const outputs = readTensors(r, 'output');
  let committed: ReceiptCommitted | null = null;
  const hasCommitted = version === COMMITTED_RECEIPT_VERSION || (version === RENEWED_RECEIPT_VERSION && flag(r, 'committed-tensors flag'));
  if (hasCommitted) {
    if (!zk) throw new DecodeError('a version-4 receipt (committed tensors) must be a zero-knowledge receipt');
    committed = { inputs: readNames(r, 'private input'), outputs: readNames(r, 'committed output'), commitment: r.blob(4096, 'io commitment') };
    if (committed.inputs.length + committed.outputs.length === 0) throw new DecodeError('a version-4 receipt must commit at least one tensor (with none it is version 3)');
  }
  const witnessCommitment = r.blob(4096, 'witness commitment');
  const proof = r.blob(MAX_BLOB, 'proof');
  r.end('receipt');
  const rc: Receipt = { version, zk, modelId, pcs, context, description, paramCommitment, paramRange, inputs, outputs, committed, witnessCommitment, proof };
  if (renewals) rc.renewals = renewals;
  return rc;
}
