/**
 * The compile pipeline: ONNX bytes → graph IR → prepared graph (folded, shapes) → quantized model,
 * plus the accuracy report of the integer model against the float reference on the calibration set.
 */
import { importOnnx } from '../model/graph.js';
import { resolveInputShapes, symbolicHint } from '../model/input-shapes.js';
import { prepare, runFloat, type Prepared, type PrepareOptions } from '../model/prepare.js';
import { DT } from '../model/onnx-proto.js';
import type { Tensor } from '../model/tensor.js';
import { ModelError } from '../model/errors.js';
import { runQuantized } from './infer.js';
import type { QuantizedModel } from './layers.js';
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
  report: AccuracyRow[];
  /** how each symbolic input dimension got its value (`model/input-shapes.ts`) */
  shapeNotes: string[];
}

export function toTensors(p: Prepared, data: Record<string, ArrayLike<number>>): Map<string, Tensor> {
  const m = new Map<string, Tensor>();
  for (const i of p.graph.inputs) {
    const d = data[i.name];
    if (!d) throw new ModelError('BadInput', `missing input '${i.name}'`);
    const n = i.dims!.reduce((a, b) => a * b, 1);
    if (d.length !== n) throw new ModelError('BadInput', `input '${i.name}': expected ${n} values for shape [${i.dims}], got ${d.length}`);
    for (let k = 0; k < d.length; k++) if (!Number.isFinite(d[k])) throw new ModelError('BadInput', `input '${i.name}': value at index ${k} is ${d[k]}`);
    m.set(i.name, { dims: i.dims!, data: Float64Array.from(d), dtype: i.dtype === DT.INT64 || i.dtype === DT.INT32 ? i.dtype : DT.FLOAT });
  }
  return m;
}

/**
 * Imports, prepares and quantizes an ONNX model. Symbolic input dimensions take their values
 * from `opts.inputShapes`, else from the samples' lengths where that fixes them
 * (`resolveInputShapes`); a shape error after a symbolic dimension was set to 1 names it.
 */
export function compileOnnx(bytes: Uint8Array, samples: Record<string, ArrayLike<number>>[], opts: QuantizeOptions & PrepareOptions = {}): CompileResult {
  const g = importOnnx(bytes);
  const resolved = resolveInputShapes(g, opts.inputShapes, samples, opts.constInputs && new Set(opts.constInputs.keys()));
  const hinted = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      const hint = symbolicHint(g, resolved.defaulted);
      if (e instanceof ModelError && hint && e.kind !== 'Unsupported') throw new ModelError(e.kind, e.message + hint, e.layer);
      throw e;
    }
  };
  const prepared = hinted(() => prepare(g, { ...opts, inputShapes: resolved.shapes }));
  const ts = hinted(() => samples.map((s) => toTensors(prepared, s)));
  const model = quantizeModel(prepared, ts, opts);
  const report: AccuracyRow[] = [];
  const s0 = ts[0];
  const ref = runFloat(prepared, s0);
  const feed: Record<string, Float64Array> = {};
  for (const [k, v] of s0) feed[k] = v.data;
  const got = runQuantized(model, feed, { strict: false });
  for (const o of got.outputs) {
    const r = ref.get(o.name)!;
    report.push({ output: o.name, ...compare(r.data, o.values, 2 ** -o.exp) });
  }
  return { prepared, model, report, shapeNotes: resolved.notes };
}
