/**
 * The compile pipeline: ONNX bytes → graph IR (pinned inputs made constants) → prepared graph (folded, shapes) → quantized model,
 * plus the accuracy report of the integer model against the float reference on the calibration set
 * and warnings where the model does not hold on it (an output outside tolerance, a layer that
 * saturates so that the sample would not prove).
 */
import { importOnnx, type Graph } from '../model/graph.js';
import { resolveInputShapes, shapeText, symbolicHint } from '../model/input-shapes.js';
import { prepare, runFloat, type Prepared, type PrepareOptions } from '../model/prepare.js';
import { DT, dtypeName } from '../model/onnx-proto.js';
import { isFloatType, isIntegerInput, type Tensor } from '../model/tensor.js';
import { ModelError } from '../model/errors.js';
import { runQuantized } from './infer.js';
import type { PinnedInput, QuantizedModel } from './layers.js';
import { quantizeModel, type QuantizeOptions } from './quantize.js';

export interface AccuracyRow {
  output: string;
  relL2: number;
  maxAbs: number;
  step: number;
  argmaxAgree: boolean | null;
}

export function compare(ref: ArrayLike<number>, got: ArrayLike<number>, step: number): Omit<AccuracyRow, 'output'> {
  let num = 0;
  let den = 0;
  let maxAbs = 0;
  let ri = 0;
  let gi = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = got[i] - ref[i];
    num += d * d;
    den += ref[i] * ref[i];
    maxAbs = Math.max(maxAbs, Math.abs(d));
    if (ref[i] > ref[ri]) ri = i;
    if (got[i] > got[gi]) gi = i;
  }
  const relL2 = den === 0 ? (num === 0 ? 0 : Infinity) : Math.sqrt(num / den);
  // argmax agreement up to quantization ties: the reference at our argmax is within one step of its max
  const argmaxAgree = ref.length > 1 ? gi === ri || ref[ri] - ref[gi] <= step : null;
  return { relL2, maxAbs, step, argmaxAgree };
}

/** Issue 3's tolerance: rel. L2 ≤ 5% (or max abs ≤ 2 steps when the reference is near zero) and argmax. */
export function withinTolerance(r: Omit<AccuracyRow, 'output'>, refMax: number): boolean {
  const close = r.relL2 <= 0.05 || (refMax <= 16 * r.step && r.maxAbs <= 2 * r.step);
  return close && r.argmaxAgree !== false;
}

export interface CompileResult {
  prepared: Prepared;
  model: QuantizedModel;
  /** per output, its worst calibration sample (outside tolerance first, then largest rel. L2) */
  report: AccuracyRow[];
  /** how each symbolic input dimension got its value (`model/input-shapes.ts`) */
  shapeNotes: string[];
  /**
   * What makes the model unfit for its own calibration data, one line each: an output outside
   * tolerance on a sample (naming the output, the sample and the error), or a layer that still
   * saturates on one (that sample would not prove). `zkinfer compile` prints them; --strict fails.
   */
  warnings: string[];
}

export function toTensors(p: Prepared, data: Record<string, ArrayLike<number>>): Map<string, Tensor> {
  const m = new Map<string, Tensor>();
  for (const i of p.graph.inputs) {
    const d = data[i.name];
    if (!d) throw new ModelError('BadInput', `missing input '${i.name}'`);
    const n = i.dims!.reduce((a, b) => a * b, 1);
    if (d.length !== n) throw new ModelError('BadInput', `input '${i.name}': expected ${n} values for shape [${i.dims}], got ${d.length}`);
    for (let k = 0; k < d.length; k++) if (!Number.isFinite(d[k])) throw new ModelError('BadInput', `input '${i.name}': value at index ${k} is ${d[k]}`);
    m.set(i.name, { dims: i.dims!, data: Float64Array.from(d), dtype: isIntegerInput(i.dtype) ? i.dtype : DT.FLOAT });
  }
  return m;
}

export interface CompileOptions extends QuantizeOptions, PrepareOptions {
  /**
   * Graph inputs fixed at compile time, by name (`zkinfer compile --const-input sr=16000`): each
   * becomes a constant of the input's declared type and shape (or its `inputShapes` entry), so the
   * control flow it selects folds (an If on a sample rate). The compiled model no longer has the
   * input and records its value (`QuantizedModel.pinned`).
   */
  pinnedInputs?: Record<string, ArrayLike<number>>;
}

/** The constants and records of `pinnedInputs`, checked against the graph's inputs. */
function pinnedTensors(g: Graph, pins: Record<string, ArrayLike<number>>, shapes: Record<string, number[]>): { consts: Map<string, Tensor>; pinned: PinnedInput[] } {
  const inputs = g.inputs.filter((i) => !g.consts.has(i.name));
  const consts = new Map<string, Tensor>();
  const pinned: PinnedInput[] = [];
  for (const [name, v] of Object.entries(pins)) {
    const index = inputs.findIndex((i) => i.name === name);
    if (index < 0) throw new ModelError('BadInput', `--const-input ${name}: the model has no input '${name}' (its inputs are ${inputs.map((i) => `'${i.name}'`).join(', ')})`);
    const inp = inputs[index];
    const values = Array.from(v);
    let dims = shapes[name] ?? inp.dims;
    if (!shapes[name] && inp.symbolicAxes.length > 0) {
      if (inp.dims?.length !== 1) throw new ModelError('BadInput', `--const-input ${name}: the input's shape [${shapeText(inp)}] has symbolic dimensions; give it with --input-shape ${name}=…`);
      dims = [values.length];
    }
    if (!dims) throw new ModelError('BadInput', `--const-input ${name}: the model gives the input no shape; give it with --input-shape ${name}=…`);
    const n = dims.reduce((a, b) => a * b, 1);
    if (values.length !== n) throw new ModelError('BadInput', `--const-input ${name}: expected ${n} value(s) for its shape [${dims.join(',')}], got ${values.length}`);
    const integer = !isFloatType(inp.dtype);
    values.forEach((x, k) => {
      if (!Number.isFinite(x) || (integer && !Number.isInteger(x))) throw new ModelError('BadInput', `--const-input ${name}: the input has type ${dtypeName(inp.dtype)}, value ${k} is ${x}`);
    });
    consts.set(name, { dims, data: Float64Array.from(values), dtype: inp.dtype });
    pinned.push({ name, index, dims, values });
  }
  return { consts, pinned };
}

/**
 * Imports, prepares and quantizes an ONNX model. Symbolic input dimensions take their values
 * from `opts.inputShapes`, else from the samples' lengths where that fixes them
 * (`resolveInputShapes`); a shape error after a symbolic dimension was set to 1 names it.
 * Pinned inputs (`opts.pinnedInputs`) are constants before anything is folded.
 */
export function compileOnnx(bytes: Uint8Array, samples: Record<string, ArrayLike<number>>[], opts: CompileOptions = {}): CompileResult {
  const g = importOnnx(bytes);
  const pins = pinnedTensors(g, opts.pinnedInputs ?? {}, opts.inputShapes ?? {});
  const constInputs = new Map([...(opts.constInputs ?? []), ...pins.consts]);
  const shapes = Object.fromEntries(Object.entries(opts.inputShapes ?? {}).filter(([k]) => !pins.consts.has(k)));
  const resolved = resolveInputShapes(g, shapes, samples, new Set(constInputs.keys()));
  const hinted = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      const hint = symbolicHint(g, resolved.defaulted);
      if (e instanceof ModelError && hint && e.kind !== 'Unsupported') throw new ModelError(e.kind, e.message + hint, e.layer);
      throw e;
    }
  };
  const prepared = hinted(() => prepare(g, { ...opts, constInputs, inputShapes: resolved.shapes }));
  const ts = hinted(() => samples.map((s) => toTensors(prepared, s)));
  const model = quantizeModel(prepared, ts, opts);
  if (pins.pinned.length) model.pinned = pins.pinned;
  const worst = new Map<string, { row: AccuracyRow; ok: boolean; sample: number }>();
  const saturated = new Map<string, number>();
  ts.forEach((s, k) => {
    const ref = runFloat(prepared, s);
    const feed: Record<string, Float64Array> = {};
    for (const [name, v] of s) feed[name] = v.data;
    const got = runQuantized(model, feed, { strict: false });
    for (const layer of got.saturated.keys()) if (!saturated.has(layer)) saturated.set(layer, k);
    for (const o of got.outputs) {
      const r = ref.get(o.name)!;
      const row = { output: o.name, ...compare(r.data, o.values, 2 ** -o.exp) };
      const ok = withinTolerance(row, r.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
      const w = worst.get(o.name);
      if (!w || (w.ok && !ok) || (w.ok === ok && row.relL2 > w.row.relL2)) worst.set(o.name, { row, ok, sample: k });
    }
  });
  const warnings: string[] = [];
  const which = (k: number) => (ts.length > 1 ? `calibration sample ${k + 1}` : 'the calibration input');
  for (const { row: r, ok, sample } of worst.values()) {
    if (ok) continue;
    const err = `rel. L2 ${r.relL2.toExponential(2)} (tolerance 5e-2), max abs ${r.maxAbs.toExponential(2)} (output step ${r.step.toExponential(2)})${r.argmaxAgree === false ? ', argmax differs' : ''}`;
    warnings.push(`output '${r.output}' is outside tolerance on ${which(sample)}: ${err}`);
  }
  for (const [layer, k] of saturated) warnings.push(`layer '${layer}' saturates on ${which(k)}: that input would not prove (values outside the layer's range)`);
  return { prepared, model, report: [...worst.values()].map((w) => w.row), shapeNotes: resolved.notes, warnings };
}
