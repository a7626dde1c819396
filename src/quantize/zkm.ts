/**
 * The `.zkm` model file: versioned and self-describing.
 *   "ZKM\0" | u32 version | u32 headerLength | u32 blobLength | header (UTF-8 JSON) | blobs | SHA-256
 * (the container of `util/typed-json.ts`). The JSON header is the whole QuantizedModel (IR, layers, scales, bounds, calibration) with every
 * typed array replaced by {"$a": type, "o": byteOffset, "n": length} into the 8-byte-aligned blob
 * section (integer weights, tables, index maps). The trailing SHA-256 covers everything before it,
 * so a corrupt or truncated file is rejected with a clear error before anything is interpreted.
 */
import { createHash } from 'node:crypto';
import { ModelError } from '../model/errors.js';
import { LAYER_KINDS, type QuantizedModel } from './layers.js';
import { decodeTypedJson, encodeTypedJson } from '../util/typed-json.js';

const MAGIC = [0x5a, 0x4b, 0x4d, 0x00]; // "ZKM\0"
export const ZKM_FORMAT_VERSION = 1;
function corrupt(msg: string): ModelError {
  return new ModelError('CorruptZkm', `not a valid .zkm model file: ${msg}`);
}

const FORMAT = {
  magic: MAGIC,
  version: ZKM_FORMAT_VERSION,
  trailer: 32,
  check(bytes: Uint8Array): void {
    const digest = createHash('sha256').update(bytes.subarray(0, bytes.length - 32)).digest();
    const stored = bytes.subarray(bytes.length - 32);
    for (let i = 0; i < 32; i++) if (digest[i] !== stored[i]) throw corrupt('checksum mismatch (the file is corrupt)');
  },
};

export function encodeZkm(model: QuantizedModel): Uint8Array {
  const out = encodeTypedJson(model, FORMAT);
  out.set(createHash('sha256').update(out.subarray(0, out.length - 32)).digest(), out.length - 32);
  return out;
}

export function decodeZkm(bytes: Uint8Array): QuantizedModel {
  if (bytes.length < 48) throw corrupt(`file is ${bytes.length} bytes, too short (truncated?)`);
  const model = decodeTypedJson<QuantizedModel>(bytes, FORMAT, corrupt, ' (is this an ONNX file? compile it first)');
  if (model.format !== 'zkm' || !Array.isArray(model.layers) || !Array.isArray(model.inputs) || !Array.isArray(model.outputs) || !Array.isArray(model.tensors)) {
    throw corrupt('header is not a zkinfer model');
  }
  for (const l of model.layers) if (!LAYER_KINDS.has(l.kind)) throw corrupt(`unknown layer kind '${String(l.kind)}'`);
  return model;
}
