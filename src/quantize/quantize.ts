/**
 * Quantization: calibrate on sample inputs (float reference run, max |value| per tensor), choose a
 * power-of-two exponent per activation with headroom (largest e with max·margin·2^e ≤ 127), lower
 * every node through its op module, and check every relation's worst case against p (no-wrap rule,
 * DESIGN §3): a layer that could wrap is refused with its name. The integer model is then run on
 * the calibration inputs: a tensor it pushes out of range gets a wider one and the model is lowered
 * again (so the calibration inputs prove), and each layer's headroom (127 / max |q|) is recorded.
 */
import { ModelError, atNode } from '../model/errors.js';
import type { Node } from '../model/graph.js';
import { runFloat, type Prepared } from '../model/prepare.js';
import { isIntegerInput, type Tensor } from '../model/tensor.js';
import { QHI, QLO } from '../ops/common.js';
import { DT } from '../model/onnx-proto.js';
import { opDef } from '../ops/registry.js';
import { runQuantized } from './infer.js';
import type { Layer, QConst, QTensorInfo, QuantizedModel } from './layers.js';
import { expForMax, quantizeAt, type Lowering } from './lowering.js';
import { WIDE_MAX, wideTensors } from './wide.js';

export const ZKM_VERSION = 1;

export interface QuantizeOptions {
  /** headroom factor: scales are chosen so that margin × calibrated max fits in int8 (default 1.25) */
  margin?: number;
  source?: string;
  /**
   * Keep squares and the sums of them read only by tables at 16 bits (`wide.ts`). Off by default:
   * on the real-model suite it changed no output within tolerance (openWakeWord identical, silero
   * v5 rel. L2 0.33 both ways, silero v4 0.46 → 0.84) and grew the openWakeWord receipts 2.6×.
   */
  wide?: boolean;
}

class Ctx implements Lowering {
  readonly layers: Layer[] = [];
  readonly infos = new Map<string, QTensorInfo>();
  readonly consts: Record<string, QConst> = {};
  private uid = 0;
  constructor(
    private readonly p: Prepared,
    private readonly maxAbsMap: Map<string, number>,
    readonly margin: number,
    readonly opset: number,
    private readonly wideOn: boolean,
  ) {}
  isConst(name: string): boolean {
    return this.p.graph.consts.has(name) && !this.infos.has(name);
  }
  constant(name: string): Tensor {
    const t = this.p.graph.consts.get(name);
    if (!t) throw new Error(`'${name}' is not a constant`);
    return t;
  }
  act(name: string): QTensorInfo {
    const i = this.infos.get(name);
    if (!i) throw new Error(`'${name}' is not a quantized activation`);
    return i;
  }
  dims(name: string): number[] {
    const d = this.infos.get(name)?.dims ?? this.p.shapes.get(name);
    if (!d) throw new Error(`no shape for '${name}'`);
    return d;
  }
  maxAbs(name: string): number {
    return this.maxAbsMap.get(name) ?? 0;
  }
  expOf(name: string): number {
    return expForMax(this.maxAbs(name), this.margin);
  }
  integerRange(name: string): { lo: number; hi: number } | null {
    const dt = this.p.dtypes.get(name);
    if (dt !== DT.INT64 && dt !== DT.INT32) return null;
    const r = Math.ceil(this.maxAbs(name) * this.margin);
    return { lo: Math.min(QLO, -r), hi: Math.max(QHI, r) };
  }
  private wideSet: ReturnType<typeof wideTensors> | null = null;
  wide(name: string): { exp: number; lo: number; hi: number } | null {
    if (!this.wideOn) return null;
    this.wideSet ??= wideTensors(this.p);
    const w = this.wideSet.get(name);
    if (!w) return null;
    return { exp: expForMax(this.maxAbs(name), this.margin, WIDE_MAX), lo: w.nonNegative ? 0 : -WIDE_MAX, hi: WIDE_MAX };
  }
  fresh(base: string): string {
    let n = `${base}#${this.uid++}`;
    while (this.infos.has(n) || this.p.graph.consts.has(n) || this.p.shapes.has(n)) n = `${base}#${this.uid++}`;
    return n;
  }
  addConst(base: string, c: QConst): string {
    const name = this.fresh(`${base}:q`);
    this.consts[name] = c;
    return name;
  }
  defineConst(name: string, t: Tensor): void {
    this.p.graph.consts.set(name, t);
  }
  constAsAct(name: string, _node: Node): void {
    if (this.infos.has(name)) return;
    const c = this.constant(name);
    const e = expForMax(c.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0), 1);
    const data = quantizeAt(c.data, e);
    const q = this.addConst(name, { dims: c.dims, exp: e, data });
    this.infos.set(name, { name: q, dims: c.dims, exp: e, lo: QLO, hi: QHI });
  }
  emit(layer: Layer, out: Omit<QTensorInfo, 'name'>): void {
    if (this.infos.has(layer.output)) throw new Error(`tensor '${layer.output}' is produced twice`);
    this.layers.push(layer);
    this.infos.set(layer.output, { name: layer.output, ...out });
  }
  rescaled(name: string, exp: number, node: Node): string {
    const x = this.act(name);
    if (x.exp === exp) return x.name;
    const out = this.fresh(`${name}@2^-${exp}`);
    // a wide tensor keeps its 16 bits through a rescale; everything else is int8
    const [lo, hi] = this.wide(name) ? [x.lo, x.hi] : [QLO, QHI];
    const table = new Int32Array(x.hi - x.lo + 1);
    for (let i = x.lo; i <= x.hi; i++) {
      const v = Math.floor(i * 2 ** (exp - x.exp) + 0.5);
      table[i - x.lo] = Math.max(lo, Math.min(hi, v));
    }
    this.emit(
      { kind: 'table', name: `${node.name}/rescale:${name}`, op: 'Rescale', inputs: [x.name], output: out, bound: lo === QLO ? 512 : 2 * (hi + 1), tlo: x.lo, table },
      { dims: x.dims, exp, lo, hi },
    );
    return out;
  }
  usedBy(name: string): string[] {
    const r = this.p.graph.nodes.filter((n) => n.inputs.includes(name)).map((n) => `${n.opType} node '${n.name}'`);
    if (this.p.graph.outputs.some((o) => o.name === name)) r.push('a graph output');
    return r;
  }
  transposed2d(name: string, node: Node): string {
    const x = this.act(name);
    const [R, C] = x.dims;
    const map = new Int32Array(R * C);
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) map[c * R + r] = r * C + c;
    const out = this.fresh(`${name}^T`);
    this.emit(
      { kind: 'gather', name: `${node.name}/transpose`, op: 'Transpose', inputs: [x.name], output: out, bound: 256, map, fill: 0 },
      { dims: [C, R], exp: x.exp, lo: x.lo, hi: x.hi },
    );
    return out;
  }
}

const COPIES = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity']);

/**
 * The declared range of an integer input (taken at scale 2^0): [0, V − 1] when it is the indices
 * of an embedding Gather on a constant [V, d] matrix (through copies such as Reshape; V the
 * smallest such table), else the int8 activation range.
 */
function integerRange(p: Prepared, name: string): { lo: number; hi: number } {
  let V = Infinity;
  const seen = new Set<string>();
  const walk = (t: string): void => {
    if (seen.has(t)) return;
    seen.add(t);
    for (const n of p.graph.nodes) {
      if (n.opType === 'Gather' && n.inputs[1] === t && p.graph.consts.has(n.inputs[0])) V = Math.min(V, p.graph.consts.get(n.inputs[0])!.dims[0]);
      else if (COPIES.has(n.opType) && n.inputs[0] === t) walk(n.outputs[0]);
    }
  };
  walk(name);
  return Number.isFinite(V) ? { lo: 0, hi: V - 1 } : { lo: QLO, hi: QHI };
}

/** Calibrate: max |value| of every tensor over the samples (float reference). */
export function calibrate(p: Prepared, samples: Map<string, Tensor>[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of samples) {
    runFloat(p, s, (name, t) => {
      let a = m.get(name) ?? 0;
      for (let i = 0; i < t.data.length; i++) {
        const v = Math.abs(t.data[i]);
        if (v > a) a = v;
      }
      m.set(name, a);
    });
  }
  return m;
}

/** Lowers every node with the exponents that `maxAbs` gives (no calibration record yet). */
function lowerModel(p: Prepared, maxAbs: Map<string, number>, margin: number, source: string, wide: boolean): QuantizedModel {
  const ctx = new Ctx(p, maxAbs, margin, p.graph.opset, wide);
  const inputs: QTensorInfo[] = p.graph.inputs.map((i) => {
    const info: QTensorInfo = isIntegerInput(i.dtype) ? { name: i.name, dims: i.dims!, exp: 0, ...(i.dtype === DT.BOOL ? { lo: 0, hi: 1 } : integerRange(p, i.name)), int: true } : { name: i.name, dims: i.dims!, exp: ctx.expOf(i.name), lo: QLO, hi: QHI };
    ctx.infos.set(i.name, info);
    return info;
  });
  for (const n of p.graph.nodes) {
    try {
      opDef(n.opType)!.lower!(ctx, n);
    } catch (e) {
      if ((e as { wrap?: boolean }).wrap) {
        throw new ModelError('WrapAround', `${n.opType} node '${n.name}': ${(e as Error).message}`, n.name);
      }
      throw atNode(n, e);
    }
  }
  const outputs = p.graph.outputs.map((o) => {
    let i = ctx.infos.get(o.name);
    if (i && i.name !== o.name) i = undefined;
    if (!i) {
      // a constant output (it does not depend on the input): a copy of the committed constant
      if (!p.graph.consts.has(o.name) && !ctx.infos.has(o.name)) throw new ModelError('InvalidGraph', `graph output '${o.name}' is never produced`);
      const node: Node = { name: `output:${o.name}`, opType: 'Identity', domain: '', inputs: [o.name], outputs: [o.name], attrs: {} };
      if (!ctx.infos.has(o.name)) ctx.constAsAct(o.name, node);
      const src = ctx.act(o.name);
      ctx.infos.delete(o.name);
      const map = Int32Array.from({ length: src.dims.reduce((a, b) => a * b, 1) }, (_, k) => k);
      ctx.emit({ kind: 'gather', name: node.name, op: 'Identity', inputs: [src.name], output: o.name, bound: 256, map, fill: 0 }, { dims: src.dims, exp: src.exp, lo: src.lo, hi: src.hi });
      i = ctx.infos.get(o.name)!;
    }
    return { ...i, name: o.name };
  });
  const tensors = [...ctx.infos.values()].filter((t) => !p.graph.inputs.some((i) => i.name === t.name) && ctx.layers.some((l) => l.output === t.name));
  return {
    format: 'zkm',
    version: ZKM_VERSION,
    name: p.graph.name,
    opset: p.graph.opset,
    inputs,
    outputs,
    tensors,
    consts: ctx.consts,
    layers: ctx.layers,
    calibration: {},
    meta: { margin, source, created: new Date(0).toISOString() },
  };
}

/** Rounds of widening (see quantizeModel); each lowers a saturating tensor's exponent by ≥ 1. */
const WIDEN_ROUNDS = 8;

/**
 * Calibrates and lowers. The float maxima do not bound the integer model: its rounding errors
 * add up through reductions (a ReduceSum of exponentials each rounded up, a mean of squares of
 * rounded differences), so a requantised tensor can leave its int8 range on the very input it
 * was calibrated on, and that input would then not prove (`prove` runs strict). So the integer
 * model is run on every calibration sample, and each tensor a requantising layer saturated gets
 * the range the integer model reached (max |q| · 2^−exp, times the margin through expForMax) and
 * the model is lowered again, until no calibration sample saturates (or WIDEN_ROUNDS pass; the
 * compile report names a layer that still saturates, `compile.ts`).
 */
export function quantizeModel(p: Prepared, samples: Map<string, Tensor>[], opts: QuantizeOptions = {}): QuantizedModel {
  if (samples.length === 0) throw new ModelError('BadInput', 'calibration needs at least one sample input');
  const margin = opts.margin ?? 1.25;
  const maxAbs = calibrate(p, samples);
  const feeds = samples.map((s) => Object.fromEntries(p.graph.inputs.map((i) => [i.name, s.get(i.name)!.data])));
  let model = lowerModel(p, maxAbs, margin, opts.source ?? '', opts.wide ?? false);
  let runs = feeds.map((f) => runQuantized(model, f, { strict: false }));
  for (let round = 0; round < WIDEN_ROUNDS; round++) {
    let widened = false;
    const info = new Map(model.tensors.map((t) => [t.name, t]));
    for (const L of model.layers) {
      if (!runs.some((r) => r.saturated.has(L.name))) continue;
      const t = info.get(L.output)!;
      const reached = Math.max(...runs.map((r) => r.maxQ.get(L.output) ?? 0)) * 2 ** -t.exp;
      if (maxAbs.has(L.output) && reached > maxAbs.get(L.output)!) {
        maxAbs.set(L.output, reached);
        widened = true;
      }
    }
    if (!widened) break;
    model = lowerModel(p, maxAbs, margin, opts.source ?? '', opts.wide ?? false);
    runs = feeds.map((f) => runQuantized(model, f, { strict: false }));
  }
  // headroom: the integer run on the calibration samples
  for (const r of runs) {
    for (const [k, v] of r.maxQ) {
      const c = (model.calibration[k] ??= { maxAbs: maxAbs.get(k) ?? 0, maxQ: 0 });
      c.maxQ = Math.max(c.maxQ, v);
    }
  }
  for (const i of model.inputs) {
    let mq = 0;
    for (const s of samples) for (const v of s.get(i.name)!.data) mq = Math.max(mq, Math.abs(Math.floor(v * 2 ** i.exp + 0.5)));
    model.calibration[i.name] = { maxAbs: maxAbs.get(i.name) ?? 0, maxQ: mq };
  }
  return model;
}
