/**
 * Graph IR: the decoded ONNX graph as plain data. Nodes keep ONNX names, op types, inputs/outputs and
 * attributes; constants (initializers and `Constant` outputs) live in `consts`. Import validates the
 * structure (every input defined before use, sub-graphs of If/Loop/Scan parsed with the enclosing
 * scope visible, no external data) and
 * turns malformed bytes into a `CorruptOnnx` error instead of a protobuf stack trace.
 */
import { ATTR, DT, decodeModelProto, dtypeName, decodeTensorProto, num, type PAttribute, type PGraph, type PModel, type PNode, type PTensor, type PValueInfo } from './onnx-proto.js';
import { ModelError } from './errors.js';
import { sizeOf, type Tensor } from './tensor.js';

export type AttrValue = number | number[] | string | string[] | Tensor | Tensor[];

export interface Node {
  name: string;
  opType: string;
  domain: string;
  inputs: string[]; // '' marks an omitted optional input
  outputs: string[];
  attrs: Record<string, AttrValue>;
  /** sub-graph attributes (If's branches, Loop's and Scan's body), by attribute name; `attrs` marks them 'subgraph' */
  subgraphs?: Record<string, Subgraph>;
}

/** A sub-graph: its nodes may read the enclosing graph's values by name. */
export interface Subgraph {
  /** the names of its formal inputs (a Loop or Scan body's; none for If's branches) */
  inputs: string[];
  nodes: Node[];
  consts: Map<string, Tensor>;
  outputs: string[];
}

export interface ValueInfo {
  name: string;
  dtype: number;
  /** dims; a symbolic dimension is recorded in `symbolic` and set to 1 here */
  dims: number[] | undefined;
  symbolic: string[];
  /** the axes of the symbolic dimensions, with their names ('?' for an unnamed one) */
  symbolicAxes: { axis: number; name: string }[];
}

export interface Graph {
  name: string;
  opset: number;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  consts: Map<string, Tensor>;
  nodes: Node[];
}

const textDecoder = new TextDecoder();

/** Convert a TensorProto to a float64 tensor (exact for every int type up to 2^53). */
export function tensorFromProto(t: PTensor, what = 'tensor'): Tensor {
  const dims = (t.dims ?? []).map(num);
  const dtype = t.dataType ?? 0;
  const n = sizeOf(dims);
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw new ModelError('CorruptOnnx', `${what} '${t.name ?? ''}': invalid dims [${dims}]`);
  if (t.dataLocation === 1 || (t.externalData && t.externalData.length > 0)) {
    throw new ModelError('Unsupported', `${what} '${t.name ?? ''}' uses external data; save the model with weights embedded`);
  }
  if (n > 1 << 28) throw new ModelError('CorruptOnnx', `${what} '${t.name ?? ''}' claims ${n} elements`);
  const out = new Float64Array(n);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  const fail = (got: number) =>
    new ModelError('CorruptOnnx', `${what} '${t.name ?? ''}': expected ${n} values for dims [${dims}], got ${got}`);
  if (raw) {
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const width: Record<number, number> = {
      [DT.FLOAT]: 4, [DT.DOUBLE]: 8, [DT.INT8]: 1, [DT.UINT8]: 1, [DT.BOOL]: 1, [DT.INT16]: 2, [DT.UINT16]: 2,
      [DT.INT32]: 4, [DT.UINT32]: 4, [DT.INT64]: 8, [DT.UINT64]: 8, [DT.FLOAT16]: 2, [DT.BFLOAT16]: 2,
    };
    const w = width[dtype];
    if (w === undefined) throw new ModelError('Unsupported', `${what} '${t.name ?? ''}': data type ${dtypeName(dtype)} is not supported`);
    if (raw.byteLength !== n * w) throw fail(raw.byteLength / w);
    for (let i = 0; i < n; i++) {
      const o = i * w;
      switch (dtype) {
        case DT.FLOAT: out[i] = dv.getFloat32(o, true); break;
        case DT.DOUBLE: out[i] = dv.getFloat64(o, true); break;
        case DT.INT8: out[i] = dv.getInt8(o); break;
        case DT.UINT8: case DT.BOOL: out[i] = dv.getUint8(o); break;
        case DT.INT16: out[i] = dv.getInt16(o, true); break;
        case DT.UINT16: out[i] = dv.getUint16(o, true); break;
        case DT.INT32: out[i] = dv.getInt32(o, true); break;
        case DT.UINT32: out[i] = dv.getUint32(o, true); break;
        case DT.INT64: out[i] = Number(dv.getBigInt64(o, true)); break;
        case DT.UINT64: out[i] = Number(dv.getBigUint64(o, true)); break;
        case DT.FLOAT16: out[i] = halfToFloat(dv.getUint16(o, true)); break;
        case DT.BFLOAT16: out[i] = new Float32Array(new Uint32Array([dv.getUint16(o, true) << 16]).buffer)[0]; break;
      }
    }
    return { dims, data: out, dtype };
  }
  let src: ArrayLike<number | { toNumber(): number }> | undefined;
  switch (dtype) {
    case DT.FLOAT: src = t.floatData; break;
    case DT.DOUBLE: src = t.doubleData; break;
    case DT.INT64: src = t.int64Data; break;
    case DT.UINT64: case DT.UINT32: src = t.uint64Data; break;
    case DT.INT8: case DT.UINT8: case DT.INT16: case DT.UINT16: case DT.INT32: case DT.BOOL: src = t.int32Data; break;
    case DT.FLOAT16: {
      const s = t.int32Data ?? [];
      if (s.length !== n) throw fail(s.length);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(s[i]);
      return { dims, data: out, dtype };
    }
    default:
      throw new ModelError('Unsupported', `${what} '${t.name ?? ''}': data type ${dtypeName(dtype)} is not supported`);
  }
  const len = src?.length ?? 0;
  if (len !== n) throw fail(len);
  for (let i = 0; i < n; i++) out[i] = num(src![i] as number);
  return { dims, data: out, dtype };
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function attrValue(a: PAttribute, where: string): AttrValue {
  switch (a.type) {
    case ATTR.FLOAT: return a.f ?? 0;
    case ATTR.INT: return num(a.i);
    case ATTR.STRING: return textDecoder.decode(a.s ?? new Uint8Array());
    case ATTR.TENSOR: return tensorFromProto(a.t ?? {}, `${where} attribute '${a.name}'`);
    case ATTR.FLOATS: return (a.floats ?? []).slice();
    case ATTR.INTS: return (a.ints ?? []).map(num);
    case ATTR.STRINGS: return (a.strings ?? []).map((s) => textDecoder.decode(s));
    case ATTR.TENSORS: return (a.tensors ?? []).map((t) => tensorFromProto(t, `${where} attribute '${a.name}'`));
    case ATTR.GRAPH: case ATTR.GRAPHS:
      throw new ModelError('Unsupported', `${where}: attribute '${a.name}' holds a sub-graph (control flow is not supported)`);
    default:
      // untyped attributes from old exporters: guess from the populated field
      if (a.ints && a.ints.length) return a.ints.map(num);
      if (a.floats && a.floats.length) return a.floats.slice();
      if (a.t) return tensorFromProto(a.t, where);
      if (a.s && a.s.length) return textDecoder.decode(a.s);
      if (a.i !== undefined && num(a.i) !== 0) return num(a.i);
      return a.f ?? 0;
  }
}

function valueInfo(v: PValueInfo): ValueInfo {
  const tt = v.type?.tensorType;
  const name = v.name ?? '';
  if (v.type && !tt) throw new ModelError('Unsupported', `graph value '${name}' is not a tensor (sequence/map/optional types are not supported)`);
  const symbolic: string[] = [];
  const symbolicAxes: { axis: number; name: string }[] = [];
  const dims = tt?.shape?.dim?.map((d, axis) => {
    // a dimension with neither dim_value nor dim_param is unknown (symbolic), not 0: the decoder's
    // default for an absent int64 is 0, so presence is read from the message's own fields
    if (d.dimParam || !Object.prototype.hasOwnProperty.call(d, 'dimValue')) {
      const nm = d.dimParam || '?';
      symbolic.push(nm);
      symbolicAxes.push({ axis, name: nm });
      return 1;
    }
    return num(d.dimValue);
  });
  return { name, dtype: tt?.elemType ?? DT.FLOAT, dims, symbolic, symbolicAxes };
}

/** Decode ONNX bytes into the graph IR. */
export function importOnnx(bytes: Uint8Array): Graph {
  let m: PModel;
  try {
    m = decodeModelProto(bytes);
  } catch (e) {
    throw new ModelError('CorruptOnnx', `not a valid ONNX model (protobuf decoding failed: ${(e as Error).message})`);
  }
  return graphFromModel(m);
}

export function graphFromModel(m: PModel): Graph {
  const g = m.graph;
  if (!g || !g.node || g.node.length === 0) {
    throw new ModelError('CorruptOnnx', 'not a valid ONNX model: it has no graph or the graph has no nodes (truncated file?)');
  }
  let opset = 0;
  for (const o of m.opsetImport ?? []) if (!o.domain || o.domain === 'ai.onnx') opset = num(o.version);
  if (opset === 0) opset = 13;
  const consts = new Map<string, Tensor>();
  for (const t of g.initializer ?? []) consts.set(t.name ?? '', tensorFromProto(t, 'initializer'));
  const inputs = (g.input ?? []).filter((v) => !consts.has(v.name ?? '')).map(valueInfo);
  const outputs = (g.output ?? []).map(valueInfo);
  const defined = new Set<string>([...consts.keys(), ...inputs.map((i) => i.name)]);
  const nodes = nodesFrom(g.node ?? [], defined, '');
  for (const o of outputs) {
    if (!defined.has(o.name)) throw new ModelError('InvalidGraph', `graph output '${o.name}' is never produced`);
  }
  return { name: g.name ?? 'graph', opset, inputs, outputs, consts, nodes };
}

/**
 * A graph's nodes, each checked to read only values defined before it (`defined`, which grows);
 * sub-graph attributes are parsed with the enclosing scope's values visible. `scope` prefixes
 * default node names inside sub-graphs.
 */
function nodesFrom(pnodes: PNode[], defined: Set<string>, scope: string): Node[] {
  const nodes: Node[] = [];
  const seenNames = new Set<string>();
  pnodes.forEach((pn, idx) => {
    const opType = pn.opType ?? '';
    let name = pn.name || `${scope}${opType}_${idx}`;
    if (seenNames.has(name)) name = `${name}_${idx}`;
    seenNames.add(name);
    const where = `${opType} node '${name}'`;
    if (!opType) throw new ModelError('CorruptOnnx', `node #${idx}${scope ? ` of ${scope}` : ''} has no op_type`);
    const attrs: Record<string, AttrValue> = {};
    let subgraphs: Record<string, Subgraph> | undefined;
    for (const a of pn.attribute ?? []) {
      if (a.refAttrName) throw new ModelError('Unsupported', `${where}: attribute references are not supported`);
      if (a.type === ATTR.GRAPH || a.type === ATTR.GRAPHS || a.g || (a.graphs && a.graphs.length)) {
        attrs[a.name ?? ''] = 'subgraph';
        if (a.g) (subgraphs ??= {})[a.name ?? ''] = subgraphFrom(a.g, defined, `${name}/${a.name}/`);
        continue;
      }
      attrs[a.name ?? ''] = attrValue(a, where);
    }
    const node: Node = { name, opType, domain: pn.domain ?? '', inputs: (pn.input ?? []).slice(), outputs: (pn.output ?? []).slice(), attrs, ...(subgraphs && { subgraphs }) };
    for (const i of node.inputs) {
      if (i !== '' && !defined.has(i)) {
        throw new ModelError('InvalidGraph', `${where} reads '${i}', which no earlier node, input or initializer defines (graph not in topological order or truncated)`);
      }
    }
    for (const o of node.outputs) if (o !== '') defined.add(o);
    nodes.push(node);
  });
  return nodes;
}

function subgraphFrom(pg: PGraph, outer: ReadonlySet<string>, scope: string): Subgraph {
  const consts = new Map<string, Tensor>();
  for (const t of pg.initializer ?? []) consts.set(t.name ?? '', tensorFromProto(t, `${scope}initializer`));
  const inputs = (pg.input ?? []).map((i) => i.name ?? '');
  const defined = new Set<string>([...outer, ...consts.keys(), ...inputs]);
  const nodes = nodesFrom(pg.node ?? [], defined, scope);
  const outputs = (pg.output ?? []).map((o) => o.name ?? '');
  for (const o of outputs) if (!defined.has(o)) throw new ModelError('InvalidGraph', `sub-graph '${scope.slice(0, -1)}': output '${o}' is never produced`);
  return { inputs, nodes, consts, outputs };
}

/** Decode a serialized TensorProto (the ONNX node-test `.pb` files). */
export function readTensorPb(bytes: Uint8Array, what = 'tensor file'): Tensor & { name: string } {
  let t: PTensor;
  try {
    t = decodeTensorProto(bytes);
  } catch (e) {
    throw new ModelError('CorruptOnnx', `${what}: not a valid TensorProto (${(e as Error).message})`);
  }
  return { ...tensorFromProto(t, what), name: t.name ?? '' };
}
