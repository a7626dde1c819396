/**
 * Input files for compile/run: EZKL's `input.json` (`{"input_data": [[...flat...], ...]}`, one flat
 * array per model input, in graph-input order) or a plain `{"inputName": [...]}` object (nested
 * arrays are flattened row-major). Also a deterministic pseudo-random input for models without one.
 */
import { ModelError } from '../model/errors.js';
import type { ValueInfo } from '../model/graph.js';
import { isIntegerInput, sizeOf } from '../model/tensor.js';
import { DT } from '../model/onnx-proto.js';

function flatten(v: unknown, out: number[], where: string): void {
  if (Array.isArray(v)) for (const x of v) flatten(x, out, where);
  else if (typeof v === 'number') out.push(v);
  else if (typeof v === 'boolean') out.push(v ? 1 : 0);
  else if (v === null) out.push(NaN);
  else throw new ModelError('BadInput', `${where}: expected numbers, got ${JSON.stringify(v)?.slice(0, 40)}`);
}

/** A JSON object from a file's text, or a clear error naming the file. */
function jsonObject(text: string, what: string): Record<string, unknown> {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new ModelError('BadInput', `${what}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new ModelError('BadInput', `${what}: expected a JSON object`);
  return j as Record<string, unknown>;
}

/** Parse input JSON into one flat array per model input (by name). */
export function parseInputJson(text: string, inputs: { name: string }[], what = 'input file'): Record<string, number[]> {
  const o = jsonObject(text, what);
  const res: Record<string, number[]> = {};
  if ('input_data' in o) {
    const d = o.input_data;
    if (!Array.isArray(d)) throw new ModelError('BadInput', `${what}: input_data must be a list of arrays`);
    const lists = d.length > 0 && d.every((x) => Array.isArray(x)) ? d : [d];
    if (lists.length < inputs.length) throw new ModelError('BadInput', `${what}: input_data has ${lists.length} arrays, the model has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')})`);
    inputs.forEach((inp, k) => {
      const a: number[] = [];
      flatten(lists[k], a, `${what}: input_data[${k}]`);
      res[inp.name] = a;
    });
    return res;
  }
  for (const inp of inputs) {
    if (!(inp.name in o)) throw new ModelError('BadInput', `${what}: missing input '${inp.name}' (expected keys: ${inputs.map((i) => i.name).join(', ')}, or EZKL's input_data)`);
    const a: number[] = [];
    flatten(o[inp.name], a, `${what}: '${inp.name}'`);
    res[inp.name] = a;
  }
  return res;
}

/**
 * EZKL's `input_shapes` (one shape per model input, in graph-input order) from an input.json, by
 * input name; empty when the file has none. EZKL writes them without the batch dimension: a shape
 * one shorter than the model's, whose first axis is the batch (symbolic or 1), gets batch 1.
 * Shapes beyond the model's inputs are ignored (EZKL's examples carry some for other signatures);
 * each one used is checked against the model by `resolveInputShapes`.
 */
export function inputShapesJson(text: string, inputs: { name: string; dims?: number[]; symbolicAxes?: { axis: number }[] }[], what = 'input file'): Record<string, number[]> {
  const shapes = jsonObject(text, what).input_shapes;
  if (shapes === undefined) return {};
  const ok = Array.isArray(shapes) && shapes.every((s) => Array.isArray(s) && s.every((d) => Number.isSafeInteger(d) && d >= 1));
  if (!ok) throw new ModelError('BadInput', `${what}: input_shapes must be a list of shapes (lists of positive integers), one per model input`);
  return Object.fromEntries(
    (shapes as number[][]).slice(0, inputs.length).map((s, k) => {
      const { name, dims, symbolicAxes } = inputs[k];
      const batchless = dims !== undefined && s.length === dims.length - 1 && (dims[0] === 1 || (symbolicAxes ?? []).some((a) => a.axis === 0));
      return [name, batchless ? [1, ...s] : s.slice()];
    }),
  );
}

/**
 * Deterministic inputs in [−1, 1) (xorshift32, fixed seed), for models shipped without inputs;
 * an integer (int64/int32) input gets 0s and 1s, valid token ids of any embedding.
 */
export function deterministicInput(inputs: ValueInfo[], seed = 0x9e3779b9): Record<string, number[]> {
  let s = seed >>> 0 || 1;
  const res: Record<string, number[]> = {};
  for (const i of inputs) {
    const n = sizeOf(i.dims ?? []);
    const integer = isIntegerInput(i.dtype);
    const a = new Array<number>(n);
    for (let k = 0; k < n; k++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      a[k] = integer ? s & 1 : s / 2 ** 31 - 1;
    }
    res[i.name] = a;
  }
  return res;
}
