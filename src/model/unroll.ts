/**
 * Static unrolling in the front end: LSTM/GRU/RNN (`recurrent.ts`), Loop and Scan are replaced by
 * plain nodes before quantization, so the unrolled graph is what is proven (its weights are the
 * node's own initializers, which the model ID commits to).
 *
 * A sub-graph instance binds the body's formal inputs to outer values and renames its locals into
 * the node's scope (`<node>/<iteration>/<name>`); reads of enclosing values are kept, also inside
 * nested sub-graphs. Loop runs `for (i = 0; i < M && cond; i++)`: its trip count M and its initial
 * condition must be constants, and each iteration's condition output must fold to a constant once
 * the iteration's nodes are folded (a continuation on prepare's work list decides whether another
 * iteration follows). Scan's length is the static extent of its scan axis. Anything decided at
 * run time is refused, naming the value and why.
 */
import { ModelError } from './errors.js';
import type { Node, Subgraph } from './graph.js';
import { NodeBuilder, type RewriteContext } from './builder.js';
import { DT } from './onnx-proto.js';
import { normAxis } from './tensor.js';
import { RECURRENT_OPS, unrollRecurrent } from './recurrent.js';
import { attrInt, attrInts } from '../ops/op.js';
import { pushAll } from '../util/arrays.js';

/** An item of prepare's work list: a node, or a continuation that yields more work once earlier items are folded. */
export type Work = Node | (() => Work[]);

export interface UnrollContext extends RewriteContext {
  /** throws (naming them) when nodes of a body have ops without a module */
  checkSupported(nodes: Node[]): void;
}

/** Loops that would unroll into more iterations than this are refused. */
export const MAX_TRIPS = 4096;

/** The ops this module replaces (a Loop or Scan only when its body was parsed). */
export function isUnrollable(n: Node): boolean {
  if (RECURRENT_OPS.has(n.opType)) return true;
  return (n.opType === 'Loop' || n.opType === 'Scan') && n.subgraphs?.body !== undefined;
}

export function unroll(n: Node, ctx: UnrollContext): Work[] {
  if (RECURRENT_OPS.has(n.opType)) return unrollRecurrent(n, ctx);
  return n.opType === 'Loop' ? unrollLoop(n, ctx) : unrollScan(n, ctx);
}

/**
 * One instance of a sub-graph: its formal inputs bound to `args`, its initializers added to the
 * graph's constants and its locals renamed `<prefix>/<name>`; returns its nodes and its outputs.
 */
export function instantiate(body: Subgraph, args: string[], prefix: string, ctx: Pick<RewriteContext, 'consts'>): { nodes: Node[]; outputs: string[] } {
  const local = new Map<string, string>();
  body.inputs.forEach((nm, k) => local.set(nm, args[k]));
  for (const [k, t] of body.consts) {
    local.set(k, `${prefix}/${k}`);
    ctx.consts.set(`${prefix}/${k}`, t);
  }
  for (const m of body.nodes) for (const o of m.outputs) if (o) local.set(o, `${prefix}/${o}`);
  const rename = (v: string) => (v === '' ? v : local.get(v) ?? v);
  return { nodes: body.nodes.map((m) => renameNode(m, rename, `${prefix}/`)), outputs: body.outputs.map(rename) };
}

function renameNode(m: Node, rename: (v: string) => string, namePrefix: string): Node {
  const r: Node = { ...m, name: namePrefix + m.name, inputs: m.inputs.map(rename), outputs: m.outputs.map(rename) };
  if (m.subgraphs) r.subgraphs = Object.fromEntries(Object.entries(m.subgraphs).map(([k, sg]) => [k, renameReads(sg, rename)]));
  return r;
}

/** A nested sub-graph with its reads of enclosing values renamed (its own locals shadow them). */
function renameReads(sg: Subgraph, rename: (v: string) => string): Subgraph {
  const own = new Set<string>([...sg.inputs, ...sg.consts.keys()]);
  for (const m of sg.nodes) for (const o of m.outputs) if (o) own.add(o);
  const inner = (v: string) => (v === '' || own.has(v) ? v : rename(v));
  return { ...sg, nodes: sg.nodes.map((m) => renameNode(m, inner, '')), outputs: sg.outputs.map(inner) };
}

function refuse(n: Node, msg: string): ModelError {
  return new ModelError('Unsupported', `${n.opType} '${n.name}': ${msg}`, n.name);
}

function invalid(n: Node, msg: string): ModelError {
  return new ModelError('InvalidGraph', `${n.opType} '${n.name}': ${msg}`, n.name);
}

function unrollLoop(n: Node, ctx: UnrollContext): Work[] {
  const body = n.subgraphs!.body;
  const [mName = '', condName = '', ...init] = n.inputs;
  const nc = init.length;
  if (body.inputs.length !== 2 + nc) throw invalid(n, `the body has ${body.inputs.length} inputs, expected ${2 + nc} (iteration number, condition, ${nc} loop-carried values)`);
  const nScan = body.outputs.length - 1 - nc;
  if (nScan < 0 || n.outputs.length > nc + nScan) throw invalid(n, `the body has ${body.outputs.length} outputs for ${nc} loop-carried values and the node ${n.outputs.length} outputs`);
  if (!mName && !condName) throw refuse(n, 'it has neither a trip count nor a condition (an endless loop)');
  let M = Infinity;
  if (mName) {
    const t = ctx.consts.get(mName);
    if (!t) throw refuse(n, `the trip count '${mName}' is computed at run time; only a Loop with a constant trip count or a condition that folds can be unrolled`);
    M = t.data[0];
  }
  let cond0 = true;
  if (condName) {
    const t = ctx.consts.get(condName);
    if (!t) throw refuse(n, `its condition '${condName}' is computed at run time; only a Loop whose condition folds to a constant can be unrolled`);
    cond0 = t.data[0] !== 0;
  }
  ctx.checkSupported(body.nodes);
  const scans: string[][] = Array.from({ length: nScan }, () => []);
  const finish = (carried: string[]): Node[] => {
    const b = new NodeBuilder(ctx, n.name);
    n.outputs.forEach((o, k) => {
      if (!o) return;
      if (k < nc) b.op('Identity', [carried[k]], {}, o);
      else if (scans[k - nc].length === 0) throw refuse(n, `scan output '${o}' would be empty (zero iterations)`);
      else b.stack(scans[k - nc], 0, o);
    });
    return b.nodes;
  };
  const iterate = (i: number, carried: string[], cond: boolean): Work[] => {
    if (i >= M || !cond) return finish(carried);
    if (i >= MAX_TRIPS) throw refuse(n, `it runs more than ${MAX_TRIPS} iterations, too many to unroll`);
    const prefix = `${n.name}/${i}`;
    const iter = `${prefix}/iteration_num`;
    const condIn = `${prefix}/cond_in`;
    ctx.consts.set(iter, { dims: [], data: Float64Array.of(i), dtype: DT.INT64 });
    ctx.consts.set(condIn, { dims: [], data: Float64Array.of(1), dtype: DT.BOOL });
    const inst = instantiate(body, [iter, condIn, ...carried], prefix, ctx);
    inst.outputs.slice(1 + nc).forEach((v, k) => scans[k].push(v));
    const next = (): Work[] => {
      const c = ctx.consts.get(inst.outputs[0]);
      if (!c) throw refuse(n, `the condition '${body.outputs[0]}' of iteration ${i} is computed at run time; only a Loop whose condition folds to a constant can be unrolled`);
      return iterate(i + 1, inst.outputs.slice(1, 1 + nc), c.data[0] !== 0);
    };
    return [...inst.nodes, next];
  };
  return iterate(0, init, cond0);
}

function unrollScan(n: Node, ctx: UnrollContext): Work[] {
  if (ctx.opset < 9) throw refuse(n, `the opset ${ctx.opset} form of Scan (with a batch axis and sequence_lens) is not supported; export with opset 9 or later`);
  const body = n.subgraphs!.body;
  const M = attrInt(n, 'num_scan_inputs', -1);
  const N = n.inputs.length - M;
  const K = body.outputs.length - N;
  if (M < 1 || N < 0 || K < 0 || body.inputs.length !== N + M) throw invalid(n, `num_scan_inputs = ${M} does not fit ${n.inputs.length} inputs and a body of ${body.inputs.length} inputs, ${body.outputs.length} outputs`);
  const inAxes = attrInts(n, 'scan_input_axes') ?? new Array<number>(M).fill(0);
  const inDirs = attrInts(n, 'scan_input_directions') ?? new Array<number>(M).fill(0);
  const outAxes = attrInts(n, 'scan_output_axes') ?? new Array<number>(K).fill(0);
  const outDirs = attrInts(n, 'scan_output_directions') ?? new Array<number>(K).fill(0);
  const scanIns = n.inputs.slice(N);
  let L = -1;
  const axes = scanIns.map((x, j) => {
    const d = ctx.dims(x);
    if (!d) throw invalid(n, `scan input '${x}' has no known shape`);
    const a = normAxis(inAxes[j] ?? 0, d.length);
    if (L >= 0 && d[a] !== L) throw invalid(n, `scan inputs have different lengths (${L} and ${d[a]} for '${x}')`);
    L = d[a];
    return a;
  });
  if (L < 1) throw refuse(n, 'its scan axis has length 0 (nothing to unroll)');
  ctx.checkSupported(body.nodes);
  const b = new NodeBuilder(ctx, n.name);
  const bodies: Node[] = [];
  let states = n.inputs.slice(0, N);
  const outs: string[][] = Array.from({ length: K }, () => []);
  for (let t = 0; t < L; t++) {
    const slices = scanIns.map((x, j) => b.pick(x, inDirs[j] ? L - 1 - t : t, axes[j], `${t}/scan_in${j}`));
    const inst = instantiate(body, [...states, ...slices], `${n.name}/${t}`, ctx);
    pushAll(bodies, inst.nodes);
    states = inst.outputs.slice(0, N);
    inst.outputs.slice(N).forEach((v, k) => outs[k].push(v));
  }
  const picks = b.nodes.splice(0);
  n.outputs.forEach((o, k) => {
    if (!o) return;
    if (k < N) b.op('Identity', [states[k]], {}, o);
    else {
      const vs = outDirs[k - N] ? outs[k - N].slice().reverse() : outs[k - N];
      b.stack(vs, outAxes[k - N] ?? 0, o);
    }
  });
  return [...picks, ...bodies, ...b.nodes];
}
