/**
 * The public description of a quantized model: everything a verifier needs to rebuild the circuit
 * — layers, shapes, exponents, shifts, tables, index maps — and none of the private parameters
 * (weights, biases, constants, normalization affines, slopes), which are replaced by empty arrays
 * and described by `ParamInfo` (shape and number of signed base-256 limbs).
 *
 *   bytes = "ZKD\0" | u32 version | u32 headerLength | u32 blobLength | header (UTF-8 JSON) | blobs
 *
 * The header is the stripped model with every typed array replaced by {"$a", "o", "n"} into the
 * 8-byte-aligned blob section. The model ID hashes these exact bytes, so the verifier never
 * re-encodes: it decodes the bytes it was given (bounded, never throwing past `decodeDescription`'s
 * DecodeError) and checks their hash. Browser-safe (no Node modules).
 */
import type { Layer, QuantizedModel } from '../quantize/layers.js';
import { DecodeError } from '../util/bytes.js';
import { paramLimbs } from './params.js';

const MAGIC = [0x5a, 0x4b, 0x44, 0x00]; // "ZKD\0"
export const DESCRIPTION_VERSION = 1;
const MAX_DESCRIPTION_BYTES = 1 << 28;
const KINDS = new Set(['gemm', 'conv', 'matmul', 'sum', 'mul', 'div', 'table', 'gather', 'window', 'softmax', 'prelu', 'argmax', 'norm']);

export interface ParamInfo {
  /** `<layer>/w`, `<layer>/bias`, `<layer>/gamma`, … or a constant's tensor name */
  name: string;
  dims: number[];
  /** number of signed base-256 limbs (1 for int8) */
  limbs: number;
}

export interface ModelDescription {
  /** the model with private arrays emptied (lengths live in `params`) */
  model: QuantizedModel;
  params: ParamInfo[];
}

type TA = Int8Array | Int32Array | Float64Array;
const CTORS = { i8: Int8Array, i32: Int32Array, f64: Float64Array } as const;
type TName = keyof typeof CTORS;

/** Private parameter arrays of one layer: [field, param name suffix, dims]. */
export function layerParams(L: Layer, tensorDims: (name: string) => number[]): { key: string; name: string; dims: number[]; data: ArrayLike<number> }[] {
  const out: { key: string; name: string; dims: number[]; data: ArrayLike<number> }[] = [];
  switch (L.kind) {
    case 'gemm': {
      out.push({ key: 'w', name: `${L.name}/w`, dims: [L.N, L.K], data: L.w });
      if (L.bias) {
        const yd = tensorDims(L.output);
        out.push({ key: 'bias', name: `${L.name}/bias`, dims: L.bias.length === L.N ? [L.N] : yd, data: L.bias });
      }
      break;
    }
    case 'conv': {
      out.push({ key: 'w', name: `${L.name}/w`, dims: [L.Co, L.C / L.group, L.KH, L.KW], data: L.w });
      if (L.bias) out.push({ key: 'bias', name: `${L.name}/bias`, dims: [L.Co], data: L.bias });
      break;
    }
    case 'norm':
      out.push({ key: 'gamma', name: `${L.name}/gamma`, dims: [L.gamma.length], data: L.gamma });
      out.push({ key: 'beta', name: `${L.name}/beta`, dims: [L.beta.length], data: L.beta });
      break;
    case 'prelu':
      out.push({ key: 'slope', name: `${L.name}/slope`, dims: [L.slope.length], data: L.slope });
      break;
    default:
      break;
  }
  return out;
}

function emptyLike(a: TA): TA {
  return a instanceof Int8Array ? new Int8Array(0) : a instanceof Int32Array ? new Int32Array(0) : new Float64Array(0);
}

/** Splits a full model into its public description and the parameter values (in `params` order). */
export function describeModel(model: QuantizedModel): { description: ModelDescription; values: ArrayLike<number>[] } {
  const dimsOf = tensorDimsLookup(model);
  const params: ParamInfo[] = [];
  const values: ArrayLike<number>[] = [];
  const layers = model.layers.map((L) => {
    const copy: Record<string, unknown> = { ...L };
    for (const p of layerParams(L, dimsOf)) {
      params.push({ name: p.name, dims: p.dims, limbs: paramLimbs(p.data, p.name) });
      values.push(p.data);
      copy[p.key] = emptyLike((L as unknown as Record<string, TA>)[p.key]);
    }
    return copy as unknown as Layer;
  });
  const consts: QuantizedModel['consts'] = {};
  for (const [name, c] of Object.entries(model.consts)) {
    params.push({ name, dims: c.dims.length === 0 ? [1] : c.dims, limbs: paramLimbs(c.data, name) });
    values.push(c.data);
    consts[name] = { dims: c.dims, exp: c.exp, data: new Int32Array(0) };
  }
  const stripped: QuantizedModel = {
    format: 'zkm',
    version: model.version,
    name: model.name,
    opset: model.opset,
    inputs: model.inputs,
    outputs: model.outputs,
    tensors: model.tensors,
    consts,
    layers,
    calibration: {},
    meta: { margin: model.meta.margin, source: '', created: '' },
  };
  return { description: { model: stripped, params }, values };
}

export function tensorDimsLookup(model: QuantizedModel): (name: string) => number[] {
  const m = new Map<string, number[]>();
  for (const t of [...model.inputs, ...model.tensors]) m.set(t.name, t.dims);
  for (const [k, c] of Object.entries(model.consts)) m.set(k, c.dims);
  return (name) => {
    const d = m.get(name);
    if (!d) throw new DecodeError(`model description: unknown tensor '${name}'`);
    return d;
  };
}

export function encodeDescription(d: ModelDescription): Uint8Array {
  const blobs: TA[] = [];
  let off = 0;
  const header = JSON.stringify(d, (_k, v: unknown) => {
    if (v instanceof Int8Array || v instanceof Int32Array || v instanceof Float64Array) {
      const o = off;
      blobs.push(v);
      off += Math.ceil(v.byteLength / 8) * 8;
      return { $a: v instanceof Int8Array ? 'i8' : v instanceof Int32Array ? 'i32' : 'f64', o, n: v.length };
    }
    if (typeof v === 'number' && !Number.isFinite(v)) return { $num: String(v) };
    return v;
  });
  const hb = new TextEncoder().encode(header);
  const out = new Uint8Array(16 + hb.length + off);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  dv.setUint32(4, DESCRIPTION_VERSION, true);
  dv.setUint32(8, hb.length, true);
  dv.setUint32(12, off, true);
  out.set(hb, 16);
  let p = 16 + hb.length;
  for (const b of blobs) {
    out.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), p);
    p += Math.ceil(b.byteLength / 8) * 8;
  }
  return out;
}

/** Decodes description bytes; throws DecodeError on anything malformed. */
export function decodeDescription(bytes: Uint8Array): ModelDescription {
  if (bytes.length < 16 || bytes.length > MAX_DESCRIPTION_BYTES) throw new DecodeError(`model description: ${bytes.length} bytes is not a valid size`);
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) throw new DecodeError('model description: wrong magic bytes');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(4, true);
  if (version !== DESCRIPTION_VERSION) throw new DecodeError(`model description: version ${version} is not supported (this build reads ${DESCRIPTION_VERSION})`);
  const hl = dv.getUint32(8, true);
  const bl = dv.getUint32(12, true);
  if (16 + hl + bl !== bytes.length) throw new DecodeError(`model description: expected ${16 + hl + bl} bytes from its header, got ${bytes.length}`);
  const blobStart = 16 + hl;
  let d: ModelDescription;
  try {
    d = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(16, 16 + hl)), (_k, v: unknown) => {
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
    }) as ModelDescription;
  } catch (e) {
    throw new DecodeError(`model description: header does not decode (${(e as Error).message})`);
  }
  const m = d?.model;
  if (!m || m.format !== 'zkm' || !Array.isArray(m.layers) || !Array.isArray(m.inputs) || !Array.isArray(m.outputs) || !Array.isArray(m.tensors) || !Array.isArray(d.params)) {
    throw new DecodeError('model description: not a zkinfer model description');
  }
  for (const l of m.layers) if (!l || !KINDS.has(l.kind)) throw new DecodeError(`model description: unknown layer kind '${String(l?.kind)}'`);
  for (const p of d.params) {
    if (!p || typeof p.name !== 'string' || !Array.isArray(p.dims) || !p.dims.every((x) => Number.isInteger(x) && x >= 1) || !Number.isInteger(p.limbs) || p.limbs < 1 || p.limbs > 4) {
      throw new DecodeError('model description: malformed parameter entry');
    }
  }
  return d;
}
