/**
 * The receipt: versioned, self-describing binary (DESIGN §3 "Receipt"), format version 3.
 *
 *   "ZKR\0" | u32 version = 3 | u8 zk = 0 | 32-byte model ID
 *   | PCS parameters: u8 log2 blowup, u16 security bits, u8 merged ∈ {0, 1}, u8 max log codeword
 *   | blob context (≤ MAX_CONTEXT_BYTES; empty = no context)
 *   | blob description | blob parameter commitment | blob parameter range proof
 *   | public inputs | public outputs | blob witness commitment | blob proof
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
import { MAX_CONTEXT_BYTES, RECEIPT_VERSION, type PublicTensor } from '../circuit/session.js';

const MAGIC = [0x5a, 0x4b, 0x52, 0x00]; // "ZKR\0"
const MAX_BLOB = 1 << 28;
const MAX_TENSORS = 256;
const MAX_VALUES = 1 << 26;

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
  witnessCommitment: Uint8Array;
  proof: Uint8Array;
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

function readTensors(r: ByteReader, what: string): PublicTensor[] {
  const n = r.u32In(0, MAX_TENSORS, `${what} count`);
  const out: PublicTensor[] = [];
  for (let i = 0; i < n; i++) {
    let name: string;
    try {
      name = UTF8.decode(r.blob(1024, `${what} name`));
    } catch (e) {
      if (e instanceof DecodeError) throw e;
      throw new DecodeError(`${what} ${i}: name is not UTF-8`);
    }
    const len = r.u32In(0, MAX_VALUES, `${what} '${name}' length`);
    if (4 * len > r.remaining) throw new DecodeError(`truncated input: ${what} '${name}' needs ${4 * len} bytes`);
    const values = new Int32Array(len);
    for (let k = 0; k < len; k++) values[k] = r.u32(`${what} value`) | 0;
    out.push({ name, values });
  }
  return out;
}

export function encodeReceipt(rc: Receipt): Uint8Array {
  const w = new ByteWriter(1 << 16);
  w.bytes(Uint8Array.from(MAGIC)).u32(rc.version).u8(rc.zk ? 1 : 0).bytes(fromHex(rc.modelId));
  w.u8(rc.pcs.logBlowup).u8(rc.pcs.securityBits & 0xff).u8(rc.pcs.securityBits >> 8).u8(rc.pcs.merged ? 1 : 0).u8(rc.pcs.maxLogCodeword);
  w.blob(rc.context);
  w.blob(rc.description).blob(rc.paramCommitment).blob(rc.paramRange);
  writeTensors(w, rc.inputs);
  writeTensors(w, rc.outputs);
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
  if (version !== RECEIPT_VERSION) throw new DecodeError(`receipt format version ${version} is not supported (this verifier reads version ${RECEIPT_VERSION})`);
  const zk = flag(r, 'zk flag');
  const modelId = toHex(r.bytes(32, 'model ID'));
  const pcs: TensorPcsConfig = { logBlowup: r.u8('pcs rate'), securityBits: r.u8('pcs bits') | (r.u8('pcs bits') << 8), merged: flag(r, 'pcs mode'), maxLogCodeword: r.u8('pcs codeword') };
  const context = r.blob(MAX_CONTEXT_BYTES, 'context');
  const description = r.blob(MAX_BLOB, 'description');
  const paramCommitment = r.blob(4096, 'parameter commitment');
  const paramRange = r.blob(MAX_BLOB, 'parameter range proof');
  const inputs = readTensors(r, 'input');
  const outputs = readTensors(r, 'output');
  const witnessCommitment = r.blob(4096, 'witness commitment');
  const proof = r.blob(MAX_BLOB, 'proof');
  r.end('receipt');
  return { version, zk, modelId, pcs, context, description, paramCommitment, paramRange, inputs, outputs, witnessCommitment, proof };
}
