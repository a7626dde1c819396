/**
 * The `.zkm` model file: versioned and self-describing.
 *   "ZKM\0" | u32 version | u32 headerLength | u32 blobLength | header (UTF-8 JSON) | blobs | SHA-256
 * The JSON header is the whole QuantizedModel (IR, layers, scales, bounds, calibration) with every
 * typed array replaced by {"$a": type, "o": byteOffset, "n": length} into the 8-byte-aligned blob
 * section (integer weights, tables, index maps). The trailing SHA-256 covers everything before it,
 * so a corrupt or truncated file is rejected with a clear error before anything is interpreted.
 */
import { createHash } from 'node:crypto';
import { ModelError } from '../model/errors.js';
import type { QuantizedModel } from './layers.js';

const MAGIC = [0x5a, 0x4b, 0x4d, 0x00]; // "ZKM\0"
export const ZKM_FORMAT_VERSION = 1;
const KINDS = new Set(['gemm', 'conv', 'matmul', 'sum', 'mul', 'div', 'table', 'gather', 'window', 'softmax', 'prelu', 'argmax', 'norm']);

type TA = Int8Array | Int32Array | Float64Array;
const CTORS = { i8: Int8Array, i32: Int32Array, f64: Float64Array } as const;
type TName = keyof typeof CTORS;

function tname(a: TA): TName {
  return a instanceof Int8Array ? 'i8' : a instanceof Int32Array ? 'i32' : 'f64';
}

export function encodeZkm(model: QuantizedModel): Uint8Array {
  const blobs: TA[] = [];
  let off = 0;
  const header = JSON.stringify(model, (_k, v: unknown) => {
    if (v instanceof Int8Array || v instanceof Int32Array || v instanceof Float64Array) {
      const o = off;
      blobs.push(v);
      off += Math.ceil(v.byteLength / 8) * 8;
      return { $a: tname(v), o, n: v.length };
    }
    if (typeof v === 'number' && !Number.isFinite(v)) return { $num: String(v) };
    return v;
  });
  const hb = new TextEncoder().encode(header);
  const total = 16 + hb.length + off + 32;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  dv.setUint32(4, ZKM_FORMAT_VERSION, true);
  dv.setUint32(8, hb.length, true);
  dv.setUint32(12, off, true);
  out.set(hb, 16);
  let p = 16 + hb.length;
  for (const b of blobs) {
    out.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), p);
    p += Math.ceil(b.byteLength / 8) * 8;
  }
  out.set(createHash('sha256').update(out.subarray(0, total - 32)).digest(), total - 32);
  return out;
}

function corrupt(msg: string): ModelError {
  return new ModelError('CorruptZkm', `not a valid .zkm model file: ${msg}`);
}

export function decodeZkm(bytes: Uint8Array): QuantizedModel {
  if (bytes.length < 48) throw corrupt(`file is ${bytes.length} bytes, too short (truncated?)`);
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) throw corrupt('wrong magic bytes (is this an ONNX file? compile it first)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(4, true);
  if (version !== ZKM_FORMAT_VERSION) throw corrupt(`format version ${version} is not supported (this build reads version ${ZKM_FORMAT_VERSION})`);
  const hl = dv.getUint32(8, true);
  const bl = dv.getUint32(12, true);
  const expect = 16 + hl + bl + 32;
  if (expect !== bytes.length) throw corrupt(`expected ${expect} bytes from its header, got ${bytes.length} (truncated or padded)`);
  const digest = createHash('sha256').update(bytes.subarray(0, bytes.length - 32)).digest();
  const stored = bytes.subarray(bytes.length - 32);
  for (let i = 0; i < 32; i++) if (digest[i] !== stored[i]) throw corrupt('checksum mismatch (the file is corrupt)');
  const blobStart = 16 + hl;
  let model: QuantizedModel;
  try {
    model = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(16, 16 + hl)), (_k, v: unknown) => {
      if (v && typeof v === 'object' && '$a' in v) {
        const { $a, o, n } = v as { $a: TName; o: number; n: number };
        const C = CTORS[$a];
        if (!C || !Number.isInteger(o) || !Number.isInteger(n) || o < 0 || n < 0 || o % 8 !== 0 || o + n * C.BYTES_PER_ELEMENT > bl) throw new Error('bad array reference');
        const copy = new Uint8Array(n * C.BYTES_PER_ELEMENT);
        copy.set(bytes.subarray(blobStart + o, blobStart + o + copy.length));
        return new C(copy.buffer);
      }
      if (v && typeof v === 'object' && '$num' in v) return Number((v as { $num: string }).$num);
      return v;
    }) as QuantizedModel;
  } catch (e) {
    throw corrupt(`header does not decode (${(e as Error).message})`);
  }
  if (model.format !== 'zkm' || !Array.isArray(model.layers) || !Array.isArray(model.inputs) || !Array.isArray(model.outputs) || !Array.isArray(model.tensors)) {
    throw corrupt('header is not a zkinfer model');
  }
  for (const l of model.layers) if (!KINDS.has(l.kind)) throw corrupt(`unknown layer kind '${String(l.kind)}'`);
  return model;
}
