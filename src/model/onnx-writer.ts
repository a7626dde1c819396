/**
 * ONNX writer: builds a ModelProto in code and serializes it with the codec of `onnx-proto.ts`,
 * so the demo's trained model, the generated benchmark models and the tests need no fixture files.
 *
 * Two levels: `buildModel` takes a flat spec (inputs, nodes, initializers, outputs), and
 * `GraphWriter` is a small layer-by-layer helper for the ops the demos use (Gemm, MatMul, Add,
 * Relu, Conv, MaxPool, Flatten, Reshape, Softmax) that names nodes and initializers for you.
 * Float initializers are written as little-endian float32 `raw_data`, as PyTorch's exporter does:
 * the values are exactly those of a float32 `float_data` field, and 18M weights encode in
 * milliseconds. Output is a pure function of the spec: the same spec gives the same bytes.
 */
import { ATTR, DT, encodeModelProto, type PAttribute, type PNode, type PTensor, type PValueInfo } from './onnx-proto.js';

/**
 * An attribute value. A JS number that is an integer becomes an INT attribute, any other number a
 * FLOAT (so pass 1.0-valued float attributes, e.g. Gemm's alpha, with `{ float: 1 }`).
 */
export type AttrValue = number | number[] | string | string[] | PTensor | { float: number } | { graph: SubgraphSpec };

/** A sub-graph attribute (If's branches, a Loop or Scan body): formal inputs, nodes, initializers, outputs. */
export interface SubgraphSpec {
  name?: string;
  /** formal inputs (a Loop or Scan body's), typed as onnxruntime requires; none for If's branches */
  inputs?: ValueSpec[];
  nodes: PNode[];
  inits?: PTensor[];
  outputs: (string | ValueSpec)[];
}

/** A float32 initializer or constant, stored as little-endian raw bytes. */
export function floatTensor(name: string, dims: number[], data: ArrayLike<number>): PTensor {
  const n = dims.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new Error(`floatTensor '${name}': expected ${n} values for dims [${dims}], got ${data.length}`);
  const f = data instanceof Float32Array ? data : Float32Array.from(data);
  const bytes = new Uint8Array(f.byteLength);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < n; i++) dv.setFloat32(4 * i, f[i], true);
  return { name, dims, dataType: DT.FLOAT, rawData: bytes };
}

/** An int64 initializer or constant (shapes, axes). */
export function int64Tensor(name: string, dims: number[], data: number[]): PTensor {
  return { name, dims, dataType: DT.INT64, int64Data: data };
}

function attribute(name: string, v: AttrValue): PAttribute {
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: ATTR.INT, i: v } : { name, type: ATTR.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: ATTR.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v) && v.some((x) => typeof x === 'string')) return { name, type: ATTR.STRINGS, strings: (v as string[]).map((x) => new TextEncoder().encode(x)) };
  if (Array.isArray(v)) return (v as number[]).every(Number.isInteger) ? { name, type: ATTR.INTS, ints: v as number[] } : { name, type: ATTR.FLOATS, floats: v as number[] };
  if ('float' in v) return { name, type: ATTR.FLOAT, f: v.float };
  if ('graph' in v) {
    const g = v.graph;
    const output = g.outputs.map((o) => (typeof o === 'string' ? { name: o } : valueInfo(o)));
    return { name, type: ATTR.GRAPH, g: { name: g.name ?? name, node: g.nodes, initializer: g.inits ?? [], input: (g.inputs ?? []).map(valueInfo), output } };
  }
  return { name, type: ATTR.TENSOR, t: v };
}

/** One NodeProto; its name defaults to `<opType>_<first output>`. */
export function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, name?: string): PNode {
  return {
    opType,
    input: inputs,
    output: outputs,
    name: name ?? `${opType}_${outputs[0]}`,
    attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
  };
}

/** A graph input or output: a name and, optionally, its float tensor shape (strings are symbolic dims). */
export interface ValueSpec {
  name: string;
  dims?: (number | string)[];
  /** ONNX element type (`DT`); default float */
  dtype?: number;
}

export interface ModelSpec {
  inputs: ValueSpec[];
  /** output names, or names with shapes */
  outputs: (string | ValueSpec)[];
  nodes: PNode[];
  inits?: PTensor[];
  /** default opset 17 */
  opset?: number;
  /** default 'zkinfer' */
  producer?: string;
  /** graph name, default 'main' */
  name?: string;
}

function valueInfo(v: ValueSpec): PValueInfo {
  const shape = v.dims ? { dim: v.dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } : undefined;
  return { name: v.name, type: { tensorType: { elemType: v.dtype ?? DT.FLOAT, shape } } };
}

/** Serialize a model spec to ONNX bytes (IR version 8, default domain). */
export function buildModel(s: ModelSpec): Uint8Array {
  return encodeModelProto({
    irVersion: 8,
    opsetImport: [{ domain: '', version: s.opset ?? 17 }],
    producerName: s.producer ?? 'zkinfer',
    graph: {
      name: s.name ?? 'main',
      node: s.nodes,
      initializer: s.inits ?? [],
      input: s.inputs.map(valueInfo),
      output: s.outputs.map((o) => valueInfo(typeof o === 'string' ? { name: o } : o)),
    },
  });
}

/** A float weight given by its shape and values. */
export interface Weight {
  dims: number[];
  data: ArrayLike<number>;
}

/**
 * Layer-by-layer graph construction. Every method appends one node and returns the name of its
 * output tensor; pass `out` to name it (graph outputs must be named). Weights passed as `Weight`
 * become initializers named `<node>.weight` / `<node>.bias`.
 */
export class GraphWriter {
  private readonly nodes: PNode[] = [];
  private readonly inits: PTensor[] = [];
  private readonly inputs: ValueSpec[] = [];
  private readonly outputs: ValueSpec[] = [];
  private readonly used = new Set<string>();
  private uid = 0;

  /** Declare a float graph input. */
  input(name: string, dims: (number | string)[]): string {
    this.claim(name);
    this.inputs.push({ name, dims });
    return name;
  }

  /** Add a float initializer. */
  initializer(name: string, w: Weight): string {
    this.claim(name);
    this.inits.push(floatTensor(name, w.dims, w.data));
    return name;
  }

  /** Add an int64 initializer (e.g. a Reshape target shape). */
  int64(name: string, dims: number[], data: number[]): string {
    this.claim(name);
    this.inits.push(int64Tensor(name, dims, data));
    return name;
  }

  /** Mark a tensor as a graph output, optionally with its shape. */
  output(name: string, dims?: (number | string)[]): void {
    this.outputs.push(dims ? { name, dims } : { name });
  }

  /** Append a generic single-output node. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, out?: string): string {
    const base = `${opType.toLowerCase()}${this.uid++}`;
    const y = out ?? base;
    this.claim(y);
    this.nodes.push(node(opType, inputs, [y], attrs, base));
    return y;
  }

  /** y = x·Wᵀ + b with W of shape [N, K] (PyTorch Linear layout, transB = 1). */
  gemm(x: string, w: Weight, b: Weight | undefined, out?: string): string {
    const nm = `gemm${this.uid}`;
    const ins = [x, this.initializer(`${nm}.weight`, w)];
    if (b) ins.push(this.initializer(`${nm}.bias`, b));
    return this.op('Gemm', ins, { transB: 1 }, out);
  }

  /** y = x·W with W of shape [K, N] as an initializer. */
  matmul(x: string, w: Weight, out?: string): string {
    const nm = `matmul${this.uid}`;
    return this.op('MatMul', [x, this.initializer(`${nm}.weight`, w)], {}, out);
  }

  /** y = a + b (broadcasting); b may be a constant. */
  add(a: string, b: string | Weight, out?: string): string {
    const bn = typeof b === 'string' ? b : this.initializer(`add${this.uid}.bias`, b);
    return this.op('Add', [a, bn], {}, out);
  }

  relu(x: string, out?: string): string {
    return this.op('Relu', [x], {}, out);
  }

  /** 2-D convolution, kernel [M, C, kh, kw], square stride and symmetric padding. */
  conv(x: string, w: Weight, b: Weight | undefined, o: { pad?: number; stride?: number } = {}, out?: string): string {
    const nm = `conv${this.uid}`;
    const [, , kh, kw] = w.dims;
    const p = o.pad ?? 0;
    const s = o.stride ?? 1;
    const ins = [x, this.initializer(`${nm}.weight`, w)];
    if (b) ins.push(this.initializer(`${nm}.bias`, b));
    return this.op('Conv', ins, { kernel_shape: [kh, kw], pads: [p, p, p, p], strides: [s, s] }, out);
  }

  /** k×k max pooling with stride k (default 2). */
  maxPool(x: string, k = 2, out?: string): string {
    return this.op('MaxPool', [x], { kernel_shape: [k, k], strides: [k, k] }, out);
  }

  flatten(x: string, axis = 1, out?: string): string {
    return this.op('Flatten', [x], { axis }, out);
  }

  reshape(x: string, shape: number[], out?: string): string {
    const s = this.int64(`reshape${this.uid}.shape`, [shape.length], shape);
    return this.op('Reshape', [x, s], {}, out);
  }

  softmax(x: string, axis = -1, out?: string): string {
    return this.op('Softmax', [x], { axis }, out);
  }

  /** Serialize; throws if no output was declared. */
  build(o: { opset?: number; producer?: string; name?: string } = {}): Uint8Array {
    if (this.outputs.length === 0) throw new Error('GraphWriter.build: expected at least one output, got none');
    return buildModel({ inputs: this.inputs, outputs: this.outputs, nodes: this.nodes, inits: this.inits, ...o });
  }

  private claim(name: string): void {
    if (this.used.has(name)) throw new Error(`GraphWriter: tensor name '${name}' is already used`);
    this.used.add(name);
  }
}
