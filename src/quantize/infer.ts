/**
 * Integer inference: the bit-exact, deterministic witness generator. Inputs are quantized at their
 * calibrated exponent by the rule the verifier shares (`input.ts`: non-numbers, NaN/Inf, wrong
 * sizes and values outside the int8 range are errors naming the input); every layer runs its integer kernel on Int32Array tensors; requantised results are clamped
 * to the layer's range, and in strict mode a clamp that changes a value is an error naming the layer
 * (a value outside its calibrated range). The trace holds every integer tensor.
 */
import { ModelError } from '../model/errors.js';
import { sizeOf } from '../model/tensor.js';
import { convKernel, gemmKernel, matmulKernel } from '../ops/kernels/linear.js';
import { divKernel, gatherKernel, mulKernel, preluKernel, sumKernel, tableKernel } from '../ops/kernels/elementwise.js';
import { argmaxKernel, normKernel, softmaxKernel, windowKernel } from '../ops/kernels/window.js';
import { loadInt8Mm } from '../ops/kernels/int8-wasm.js';
import { embedKernel } from '../ops/embedding.js';
import type { Layer, QuantizedModel } from './layers.js';
import { quantizeInputValues } from './input.js';

export interface IntOutput {
  name: string;
  dims: number[];
  exp: number;
  q: Int32Array;
  values: Float64Array;
}

export interface RunOptions {
  /** error on any clamped (saturated) value instead of clamping silently; default true */
  strict?: boolean;
  /** keep every intermediate tensor in `trace` */
  trace?: boolean;
}

export interface RunResult {
  outputs: IntOutput[];
  trace: Map<string, Int32Array>;
  /** per layer: how many values were clamped */
  saturated: Map<string, number>;
  /** per tensor: max |q| seen */
  maxQ: Map<string, number>;
}

const REQUANT = new Set(['gemm', 'conv', 'matmul', 'sum', 'mul', 'div', 'softmax', 'norm', 'prelu', 'window']);

/**
 * One model input quantized by the shared rule (`quantize/input.ts`, which the verifier and the
 * market use too): a non-list, wrong size, non-number or non-finite value is a BadInput error,
 * and (strict) a value outside the calibrated range an OutOfRange error, each naming the input
 * and index; non-strict clamps out-of-range values.
 */
export function quantizeInput(model: QuantizedModel, name: string, data: ArrayLike<number>, strict: boolean): Int32Array {
  const info = model.inputs.find((i) => i.name === name)!;
  const r = quantizeInputValues(info, data, strict ? 'strict' : 'saturate');
  if (r.ok) return r.q;
  const p = r.problem;
  if (p.kind === 'OutOfRange') throw new ModelError('OutOfRange', info.int ? p.message : `${p.message} (recalibrate with representative inputs)`, name);
  throw new ModelError('BadInput', p.message);
}

export function runLayer(L: Layer, xs: Int32Array[], outSize: number): Int32Array {
  const out = new Int32Array(outSize);
  switch (L.kind) {
    case 'gemm': gemmKernel(L, xs[0], out); break;
    case 'conv': convKernel(L, xs[0], out); break;
    case 'matmul': matmulKernel(L, xs[0], xs[1], out); break;
    case 'sum': sumKernel(L, xs, out); break;
    case 'mul': mulKernel(L, xs[0], xs[1], out); break;
    case 'div': {
      const z = divKernel(L, xs[0], xs[1], out);
      if (z >= 0) throw new ModelError('OutOfRange', `layer '${L.name}' (${L.op}): division by zero at output index ${z} (the divisor quantized to 0)`, L.name);
      break;
    }
    case 'prelu': preluKernel(L, xs[0], out); break;
    case 'table': {
      const bad = tableKernel(L, xs[0], out);
      if (bad >= 0) throw new ModelError('OutOfRange', `layer '${L.name}' (${L.op}): input ${xs[0][bad]} outside its table domain`, L.name);
      break;
    }
    case 'gather': gatherKernel(L, xs, out); break;
    case 'window': windowKernel(L, xs[0], out); break;
    case 'softmax': softmaxKernel(L, xs[0], out); break;
    case 'argmax': argmaxKernel(L, xs[0], out); break;
    case 'norm': normKernel(L, xs[0], out); break;
    case 'embed': {
      const bad = embedKernel(L, xs[0], out);
      if (bad >= 0) throw new ModelError('OutOfRange', `layer '${L.name}' (${L.op}): index ${xs[0][bad]} at position ${bad} is outside [0, ${L.V - 1}]`, L.name);
      break;
    }
  }
  return out;
}

const mnmx = new Int32Array(2);

/**
 * Clamps out to [lo, hi] in place; returns max |value| before clamping and how many were clamped.
 * One pass finds min and max (max |v| = max(−min, max); WebAssembly SIMD for large tensors);
 * only a tensor that leaves [lo, hi] gets the second, clamping pass.
 */
function clampInPlace(out: Int32Array, lo: number, hi: number): { m: number; sat: number } {
  let mn = 0;
  let mx = 0;
  const simd = out.length >= 256 ? loadInt8Mm() : null;
  if (simd) {
    simd.range(out, mnmx);
    mn = mnmx[0];
    mx = mnmx[1];
  } else {
    for (let j = 0; j < out.length; j++) {
      const v = out[j];
      if (v < mn) mn = v;
      else if (v > mx) mx = v;
    }
  }
  const m = Math.max(-mn, mx);
  if (mn >= lo && mx <= hi) return { m, sat: 0 };
  let sat = 0;
  for (let j = 0; j < out.length; j++) {
    const v = out[j];
    if (v < lo) {
      out[j] = lo;
      sat++;
    } else if (v > hi) {
      out[j] = hi;
      sat++;
    }
  }
  return { m, sat };
}

export function runQuantized(model: QuantizedModel, inputs: Record<string, ArrayLike<number>>, opts: RunOptions = {}): RunResult {
  const strict = opts.strict ?? true;
  const env = new Map<string, Int32Array>();
  const maxQ = new Map<string, number>();
  for (const [k, c] of Object.entries(model.consts)) env.set(k, c.data);
  for (const i of model.inputs) {
    const d = inputs[i.name];
    if (d === undefined) throw new ModelError('BadInput', `missing input '${i.name}' (model inputs: ${model.inputs.map((x) => x.name).join(', ')})`);
    env.set(i.name, quantizeInput(model, i.name, d, strict));
  }
  const info = new Map(model.tensors.map((t) => [t.name, t]));
  const saturated = new Map<string, number>();
  for (const L of model.layers) {
    const xs = L.inputs.map((nm) => {
      const t = env.get(nm);
      if (!t) throw new ModelError('CorruptZkm', `layer '${L.name}' reads '${nm}', which is not defined`);
      return t;
    });
    const ti = info.get(L.output)!;
    const out = runLayer(L, xs, sizeOf(ti.dims));
    const { m, sat } = clampInPlace(out, ti.lo, ti.hi);
    maxQ.set(L.output, m);
    if (sat > 0 && REQUANT.has(L.kind)) {
      saturated.set(L.name, (saturated.get(L.name) ?? 0) + sat);
      if (strict) {
        throw new ModelError('OutOfRange', `layer '${L.name}' (${L.op}): ${sat} value(s) outside the calibrated range (max |q| = ${m} > ${ti.hi}); the input is outside the calibration range — recalibrate with representative inputs`, L.name);
      }
    }
    env.set(L.output, out);
  }
  const outputs = model.outputs.map((o) => {
    const q = env.get(o.name)!;
    const sc = 2 ** -o.exp;
    return { name: o.name, dims: o.dims, exp: o.exp, q, values: Float64Array.from(q, (v) => v * sc) };
  });
  return { outputs, trace: opts.trace ? env : new Map(), saturated, maxQ };
}
