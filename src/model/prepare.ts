/**
 * Import preparation: support check (every unsupported op named with its nodes), input shapes
 * (symbolic dimensions = 1), constant folding with shape inference (an If whose condition folds
 * is replaced by its branch; LSTM/GRU/RNN, Loop and Scan are unrolled, `unroll.ts`), and graph
 * rewrites (an op's own expansion into plain nodes, `OpDef.expand`; BatchNormalization folded into a preceding Conv/Gemm, or split into Mul + Add;
 * Identity/Dropout removed). Folding evaluates every node whose inputs are constant (or that reads
 * only shapes) with the float reference; the remaining nodes are evaluated once on zeros to infer
 * every shape. Nodes are taken from a work list, so the nodes that replace one (a branch, an
 * unrolled loop's iteration) are folded in turn before what follows them. An activation with a
 * zero dimension is refused here, naming the node: an empty tensor has nothing to prove, and a
 * model that needs one was almost always given a wrong size for a symbolic dimension. An If on a
 * run-time condition is refused naming the inputs it is computed from (a small one, such as a
 * sample rate, can be pinned at compile time: `compileOnnx`'s `pinnedInputs`).
 */
import { ModelError, atNode } from './errors.js';
import type { Graph, Node, ValueInfo } from './graph.js';
import { DT, dtypeName } from './onnx-proto.js';
import { isFloatType, isIntegerInput, sizeOf, type Tensor } from './tensor.js';
import { CONTROL_FLOW, UNSUPPORTED_WHY, opDef } from '../ops/registry.js';
import { instantiate, isUnrollable, unroll, type Work } from './unroll.js';
import { bnAffine } from '../ops/BatchNormalization.js';

export interface Prepared {
  graph: Graph;
  shapes: Map<string, number[]>;
  dtypes: Map<string, number>;
}

export class UnsupportedOps extends ModelError {
  readonly ops: Record<string, string[]>;
  constructor(ops: Record<string, string[]>) {
    const parts = Object.entries(ops).map(([op, nodes]) => {
      const why = CONTROL_FLOW.has(op) ? ' (control flow)' : '';
      const shown = nodes.slice(0, 5).map((n) => `'${n}'`).join(', ') + (nodes.length > 5 ? `, … ${nodes.length - 5} more` : '');
      const reason = UNSUPPORTED_WHY[op] ? ` (${UNSUPPORTED_WHY[op]})` : '';
      return `${op}${why} at node${nodes.length > 1 ? 's' : ''} ${shown}${reason}`;
    });
    super('Unsupported', `unsupported ops: ${parts.join('; ')}`);
    this.ops = ops;
  }
}

/** All nodes whose op (or domain) has no module; empty when everything is known. */
export function unsupportedOps(g: Graph): Record<string, string[]> {
  const bad: Record<string, string[]> = {};
  for (const n of g.nodes) {
    const dom = n.domain === '' || n.domain === 'ai.onnx';
    const key = dom ? n.opType : `${n.domain}.${n.opType}`;
    if (dom && (isInlinableIf(n) || isUnrollable(n))) continue; // decided when their inputs are known (`prepare`)
    if (!dom || !opDef(n.opType) || Object.values(n.attrs).includes('subgraph')) (bad[key] ??= []).push(n.name);
  }
  return bad;
}

/** An If whose two branches were parsed (`graph.ts`): replaced by its branch when the condition folds. */
function isInlinableIf(n: Node): boolean {
  return n.opType === 'If' && n.subgraphs?.then_branch !== undefined && n.subgraphs.else_branch !== undefined;
}

/**
 * The nodes that replace an If whose condition is the constant `cond`: the taken branch's nodes,
 * its values renamed into the If's scope (`<if>/<name>`; reads of the enclosing graph's values kept),
 * then one Identity per output. Its initializers are added to `consts`; its unsupported ops are
 * reported like the graph's.
 */
function inlineIf(n: Node, cond: Tensor, consts: Map<string, Tensor>): Node[] {
  if (cond.data.length !== 1) throw new ModelError('InvalidGraph', `If node '${n.name}': the condition must hold one value, got ${cond.data.length}`);
  const branch = n.subgraphs![cond.data[0] !== 0 ? 'then_branch' : 'else_branch'];
  if (branch.outputs.length !== n.outputs.length) throw new ModelError('InvalidGraph', `If node '${n.name}': the branch has ${branch.outputs.length} outputs, the node ${n.outputs.length}`);
  checkSupported(branch.nodes);
  const { nodes, outputs } = instantiate(branch, [], n.name, { consts });
  const outs = n.outputs.map((o, k): Node => ({ name: `${n.name}/output_${k}`, opType: 'Identity', domain: '', inputs: [outputs[k]], outputs: [o], attrs: {} }));
  return [...nodes, ...outs];
}

/** Values this small can be pinned at compile time (a sample rate, a mode flag), not activations. */
const PINNABLE = 16;

/**
 * The advice of an If's refusal: the inputs its condition is computed from, with `--const-input`
 * (`compileOnnx`'s `pinnedInputs`) for those small enough to be a setting rather than data.
 */
function pinHint(deps: ReadonlySet<string> | undefined, env: ReadonlyMap<string, Tensor>): string {
  const names = [...(deps ?? [])];
  if (names.length === 0) return '';
  const small = names.filter((nm) => env.get(nm)!.data.length <= PINNABLE);
  const list = (xs: string[]) => xs.map((x) => `'${x}'`).join(', ');
  if (small.length === 0) return `; the condition depends on the input(s) ${list(names)}`;
  return `; the condition depends on the input(s) ${list(names)}: if ${small.length > 1 ? 'they select' : 'it selects'} a fixed setting, pin ${small.length > 1 ? 'them' : 'it'} at compile time with ${small.map((x) => `--const-input ${x}=…`).join(' ')}`;
}

function checkSupported(nodes: Node[]): void {
  const bad = unsupportedOps({ nodes } as Graph);
  if (Object.keys(bad).length) throw new UnsupportedOps(bad);
}

export interface PrepareOptions {
  /** concrete shapes for graph inputs (overrides the model's, fills dynamic dimensions) */
  inputShapes?: Record<string, number[]>;
  /** graph inputs to treat as constants (e.g. a node test's shape inputs) */
  constInputs?: Map<string, Tensor>;
}

export function prepare(g0: Graph, opts: PrepareOptions = {}): Prepared {
  const bad = unsupportedOps(g0);
  if (Object.keys(bad).length) throw new UnsupportedOps(bad);
  const consts = new Map(g0.consts);
  for (const [k, v] of opts.constInputs ?? []) consts.set(k, v);
  const inputs: ValueInfo[] = [];
  const shapes = new Map<string, number[]>();
  const dtypes = new Map<string, number>();
  const env = new Map<string, Tensor>();
  // for every run-time value, the graph inputs it is computed from (named by an If's refusal)
  const from = new Map<string, Set<string>>();
  for (const inp of g0.inputs) {
    if (consts.has(inp.name)) continue;
    const dims = opts.inputShapes?.[inp.name] ?? inp.dims;
    if (!dims) throw new ModelError('DynamicShape', `graph input '${inp.name}' has no shape; give one with the input data`);
    if (dims.includes(0)) throw new ModelError('DynamicShape', `graph input '${inp.name}' has shape [${dims.join(', ')}], dimension ${dims.indexOf(0)} is 0 (an empty tensor); give its shape with --input-shape ${inp.name}=…`);
    const int = isIntegerInput(inp.dtype);
    if (!isFloatType(inp.dtype) && !int) throw new ModelError('Unsupported', `graph input '${inp.name}' has type ${dtypeName(inp.dtype)}; only float inputs, int64/int32 (token-id) and bool inputs are supported`);
    // an integer input keeps its type (taken as integers, `quantize/quantize.ts`); floats compute as float
    const dtype = int ? inp.dtype : DT.FLOAT;
    inputs.push({ ...inp, dims });
    shapes.set(inp.name, dims);
    dtypes.set(inp.name, dtype);
    env.set(inp.name, { dims, data: new Float64Array(sizeOf(dims)), dtype });
    from.set(inp.name, new Set([inp.name]));
  }
  const nodes: Node[] = [];
  const work: Work[] = g0.nodes.slice().reverse(); // a stack: an inlined branch or unrolled loop goes on top
  const ctx = { consts, dims: (v: string) => (consts.get(v) ?? env.get(v))?.dims, opset: g0.opset, checkSupported };
  const read = new Set([...g0.nodes.flatMap((n) => n.inputs), ...g0.outputs.map((o) => o.name)]);
  const ectx = { ...ctx, isRead: (v: string) => read.has(v) };
  while (work.length) {
    const n = work.pop()!;
    if (typeof n === 'function') {
      work.push(...n().reverse());
      continue;
    }
    if (isUnrollable(n)) {
      work.push(...unroll(n, ctx).reverse());
      continue;
    }
    if (isInlinableIf(n)) {
      const cond = consts.get(n.inputs[0]);
      if (!cond) throw new ModelError('Unsupported', `If node '${n.name}': its condition '${n.inputs[0]}' is computed from the model input at run time; only an If whose condition folds to a constant is supported (it is replaced by its branch)${pinHint(from.get(n.inputs[0]), env)}`, n.name);
      work.push(...inlineIf(n, cond, consts).reverse());
      continue;
    }
    const def = opDef(n.opType)!;
    const expanded = def.expand?.(n, ectx);
    if (expanded) {
      work.push(...expanded.reverse());
      continue;
    }
    const get = (nm: string) => (nm === '' ? undefined : consts.get(nm) ?? env.get(nm));
    const allConst = n.inputs.every((i) => i === '' || consts.has(i)) || (n.opType === 'CastLike' && consts.has(n.inputs[0]));
    const xs = n.inputs.map(get);
    let outs: Tensor[];
    try {
      for (const p of def.params ?? []) {
        const nm = n.inputs[p];
        if (nm && !consts.has(nm)) {
          throw new ModelError('DynamicShape', `input #${p} ('${nm}') must be a constant (weights, shape, axes or pads), but it is computed from the model input at run time (unresolved dynamic shape or data-dependent parameter)`);
        }
      }
      outs = def.float(n, xs, g0.opset);
    } catch (e) {
      throw atNode(n, e);
    }
    if (allConst || def.shapeOnly) {
      outs.forEach((t, k) => n.outputs[k] && consts.set(n.outputs[k], t));
      continue;
    }
    if (!def.lower) {
      const why = UNSUPPORTED_WHY[n.opType] ? `: ${UNSUPPORTED_WHY[n.opType]}` : '';
      throw new ModelError('Unsupported', `${n.opType} node '${n.name}' computes on model activations, which integer inference does not support (only in constant sub-graphs)${why}`, n.name);
    }
    const deps = new Set(n.inputs.flatMap((i) => [...(from.get(i) ?? [])]));
    outs.forEach((t, k) => {
      const o = n.outputs[k];
      if (!o) return;
      const zero = t.dims.indexOf(0);
      if (zero >= 0) throw new ModelError('DynamicShape', `${n.opType} node '${n.name}': its output '${o}' has shape [${t.dims.join(', ')}], dimension ${zero} is 0 (an empty tensor, which cannot be proven)`, n.name);
      env.set(o, t);
      from.set(o, deps);
      shapes.set(o, t.dims);
      dtypes.set(o, t.dtype);
    });
    nodes.push(n);
  }
  for (const [k, v] of consts) {
    shapes.set(k, v.dims);
    dtypes.set(k, v.dtype);
  }
  const graph: Graph = { ...g0, inputs, consts, nodes };
  rewrite(graph, shapes);
  return { graph, shapes, dtypes };
}

function consumers(g: Graph, name: string): Node[] {
  return g.nodes.filter((n) => n.inputs.includes(name));
}

/** Graph rewrites that keep float semantics: BN folding/splitting, Identity removal. */
function rewrite(g: Graph, shapes: Map<string, number[]>): void {
  const outputs = new Set(g.outputs.map((o) => o.name));
  let uid = 0;
  const fresh = (b: string) => {
    let nm = `${b}__${uid++}`;
    while (g.consts.has(nm) || shapes.has(nm)) nm = `${b}__${uid++}`;
    return nm;
  };
  const out: Node[] = [];
  for (let i = 0; i < g.nodes.length; i++) {
    const n = g.nodes[i];
    if (n.opType === 'BatchNormalization') {
      const xs = n.inputs.map((nm) => (nm ? g.consts.get(nm) : undefined));
      const { a, b } = bnAffine(n, xs);
      const prev = out.find((p) => p.outputs[0] === n.inputs[0]);
      const single = consumers(g, n.inputs[0]).length === 1 && !outputs.has(n.inputs[0]);
      if (prev && single && prev.opType === 'Conv' && g.consts.has(prev.inputs[1])) {
        const W = g.consts.get(prev.inputs[1])!;
        const Co = W.dims[0];
        const kk = W.data.length / Co;
        const w2 = new Float64Array(W.data.length);
        for (let c = 0; c < Co; c++) for (let k = 0; k < kk; k++) w2[c * kk + k] = W.data[c * kk + k] * a[c];
        const B = prev.inputs[2] ? g.consts.get(prev.inputs[2])! : undefined;
        const b2 = new Float64Array(Co);
        for (let c = 0; c < Co; c++) b2[c] = (B ? B.data[c] : 0) * a[c] + b[c];
        const wn = fresh(`${prev.inputs[1]}_bn`);
        const bn = fresh(`${prev.name}_bn_bias`);
        g.consts.set(wn, { dims: W.dims, data: w2, dtype: W.dtype });
        g.consts.set(bn, { dims: [Co], data: b2, dtype: DT.FLOAT });
        prev.inputs = [prev.inputs[0], wn, bn];
        prev.outputs = [n.outputs[0]];
        prev.name = `${prev.name}+${n.name}`;
        continue;
      }
      const dims = shapes.get(n.inputs[0])!;
      const cd = dims.map((d, k) => (k === 1 ? d : 1));
      const an = fresh(`${n.name}_scale`);
      const bnm = fresh(`${n.name}_shift`);
      const mid = fresh(`${n.name}_scaled`);
      g.consts.set(an, { dims: cd, data: a, dtype: DT.FLOAT });
      g.consts.set(bnm, { dims: cd, data: b, dtype: DT.FLOAT });
      shapes.set(mid, dims);
      out.push({ name: `${n.name}/mul`, opType: 'Mul', domain: '', inputs: [n.inputs[0], an], outputs: [mid], attrs: {} });
      out.push({ name: `${n.name}/add`, opType: 'Add', domain: '', inputs: [mid, bnm], outputs: [n.outputs[0]], attrs: {} });
      continue;
    }
    if ((n.opType === 'Identity' || n.opType === 'Dropout') && !outputs.has(n.outputs[0])) {
      const from = n.inputs[0];
      for (const m of g.nodes.slice(i + 1)) m.inputs = m.inputs.map((x) => (x === n.outputs[0] ? from : x));
      continue;
    }
    out.push(n);
  }
  g.nodes = out;
}

/** Float reference run of a prepared graph; `visit` sees every tensor produced. */
export function runFloat(p: Prepared, inputs: Map<string, Tensor>, visit?: (name: string, t: Tensor) => void): Map<string, Tensor> {
  const env = new Map<string, Tensor>();
  for (const i of p.graph.inputs) {
    const t = inputs.get(i.name);
    if (!t) throw new ModelError('BadInput', `missing input '${i.name}'`);
    env.set(i.name, t);
    visit?.(i.name, t);
  }
  for (const n of p.graph.nodes) {
    const xs = n.inputs.map((nm) => (nm === '' ? undefined : env.get(nm) ?? p.graph.consts.get(nm)));
    let outs: Tensor[];
    try {
      outs = opDef(n.opType)!.float(n, xs, p.graph.opset);
    } catch (e) {
      throw atNode(n, e);
    }
    outs.forEach((t, k) => {
      const o = n.outputs[k];
      if (!o) return;
      env.set(o, t);
      visit?.(o, t);
    });
  }
  const res = new Map<string, Tensor>();
  for (const o of p.graph.outputs) res.set(o.name, env.get(o.name) ?? p.graph.consts.get(o.name)!);
  return res;
}
