/**
 * The public description of a quantized model: everything a verifier needs to rebuild the circuit
 * — layers, shapes, exponents, shifts, tables, index maps — and none of the private parameters
 * (weights, biases, constants, normalization affines, slopes), which are replaced by empty arrays
 * and described by `ParamInfo` (shape and number of signed base-256 limbs).
 *
 *   bytes = "ZKD\0" | u32 version | u32 headerLength | u32 blobLength | header (UTF-8 JSON) | blobs
 *
 * (the container of `util/typed-json.ts`): the header is the stripped model with every typed
 * array replaced by a reference into the 8-byte-aligned blob section. The model ID hashes these
 * exact bytes, so the verifier never re-encodes: it decodes the bytes it was given (bounded,
 * failing only with a DecodeError) and checks their hash. Browser-safe (no Node modules).
 */
import { LAYER_KINDS, type Layer, type QuantizedModel } from '../quantize/layers.js';
import { decodeTypedJson, encodeTypedJson } from '../util/typed-json.js';
import { DecodeError } from '../util/bytes.js';
import { paramLimbs } from './params.js';

const MAGIC = [0x5a, 0x4b, 0x44, 0x00]; // "ZKD\0"
export const DESCRIPTION_VERSION = 1;
const MAX_DESCRIPTION_BYTES = 1 << 28;

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
    case 'embed':
      out.push({ key: 'table', name: `${L.name}/table`, dims: [L.V, L.d], data: L.table });
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

const FORMAT = { magic: MAGIC, version: DESCRIPTION_VERSION };

export function encodeDescription(d: ModelDescription): Uint8Array {
  return encodeTypedJson(d, FORMAT);
}

/** Decodes description bytes; throws DecodeError on anything malformed. */
export function decodeDescription(bytes: Uint8Array): ModelDescription {
  if (bytes.length > MAX_DESCRIPTION_BYTES) throw new DecodeError(`model description: ${bytes.length} bytes is too large`);
  const d = decodeTypedJson<ModelDescription>(bytes, FORMAT, (msg) => new DecodeError(`model description: ${msg}`));
  const m = d?.model;
  if (!m || m.format !== 'zkm' || !Array.isArray(m.layers) || !Array.isArray(m.inputs) || !Array.isArray(m.outputs) || !Array.isArray(m.tensors) || !Array.isArray(d.params)) {
    throw new DecodeError('model description: not a zkinfer model description');
  }
  for (const l of m.layers) if (!l || !LAYER_KINDS.has(l.kind)) throw new DecodeError(`model description: unknown layer kind '${String(l?.kind)}'`);
  for (const p of d.params) {
    if (!p || typeof p.name !== 'string' || !Array.isArray(p.dims) || !p.dims.every((x) => Number.isInteger(x) && x >= 1) || !Number.isInteger(p.limbs) || p.limbs < 1 || p.limbs > 4) {
      throw new DecodeError('model description: malformed parameter entry');
    }
  }
  return d;
}
