/**
 * Input files for compile/run: EZKL's `input.json` (`{"input_data": [[...flat...], ...]}`, one flat
 * array per model input, in graph-input order) or a plain `{"inputName": [...]}` object (nested
 * arrays are flattened row-major). Also a deterministic pseudo-random input for models without one.
 */
import { ModelError } from '../model/errors.js';
import type { ValueInfo } from '../model/graph.js';
import { isIntegerInput, sizeOf } from '../model/tensor.js';
import { DT } from '../model/onnx-proto.js';
import type { PinnedInput } from '../quantize/layers.js';

/** What an input file is checked against for a pinned input: its name, graph position and value. */
type Pin = Pick<PinnedInput, 'name' | 'index' | 'values'>;

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

/**
 * Parse input JSON into one flat array per model input (by name). `pinned` are the inputs the
 * model fixed at compile time (`--const-input`): a file may still give one (by name, or in
 * input_data at its position in the ONNX graph when the file gives every input) and must then
 * give its pinned value; `notes` says so.
 */
export function parseInputJson(text: string, inputs: { name: string }[], what = 'input file', pinned: readonly Pin[] = [], notes: string[] = []): Record<string, number[]> {
  const o = jsonObject(text, what);
  const res: Record<string, number[]> = {};
  const checkPin = (p: Pin, v: unknown, where: string) => {
    const a: number[] = [];
    flatten(v, a, where);
    if (a.length !== p.values.length || a.some((x, k) => x !== p.values[k])) {
      throw new ModelError('BadInput', `${what}: input '${p.name}' was pinned to ${p.values.join(',')} at compile time (--const-input), the file gives ${a.slice(0, 8).join(',')}${a.length > 8 ? ',…' : ''}; compile again with --const-input ${p.name}=… for another value`);
    }
    notes.push(`input '${p.name}' is pinned to ${p.values.join(',')} in this model (--const-input at compile time); the file's value agrees`);
  };
  if ('input_data' in o) {
    const d = o.input_data;
    if (!Array.isArray(d)) throw new ModelError('BadInput', `${what}: input_data must be a list of arrays`);
    let lists = d.length > 0 && d.every((x) => Array.isArray(x)) ? d : [d];
    if (pinned.length && lists.length >= inputs.length + pinned.length) {
      // every graph input, pinned ones included, in the graph's order
      for (const p of pinned) checkPin(p, lists[p.index], `${what}: input_data[${p.index}]`);
      lists = lists.filter((_, k) => !pinned.some((p) => p.index === k));
    }
    if (lists.length < inputs.length) throw new ModelError('BadInput', `${what}: input_data has ${lists.length} arrays, the model has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')})`);
    inputs.forEach((inp, k) => {
      const a: number[] = [];
      flatten(lists[k], a, `${what}: input_data[${k}]`);
      res[inp.name] = a;
    });
    return res;
  }
  for (const p of pinned) if (p.name in o) checkPin(p, o[p.name], `${what}: '${p.name}'`);
  for (const inp of inputs) {
    if (!(inp.name in o)) throw new ModelError('BadInput', `${what}: missing input '${inp.name}' (expected keys: ${inputs.map((i) => i.name).join(', ')}, or EZKL's input_data)`);
    const a: number[] = [];
    flatten(o[inp.name], a, `${what}: '${inp.name}'`);
    res[inp.name] = a;
  }
  return res;
}

/** Parses `name=v1,v2,…` (the `--const-input` flag): the input's name and its values, row-major. */
export function parseConstFlag(text: string): [string, number[]] {
  const m = /^([^=]+)=(.+)$/.exec(text);
  const values = m ? m[2].split(',').map((x) => (x.trim() === '' ? NaN : Number(x))) : [];
  if (!m || values.some((v) => !Number.isFinite(v))) throw new ModelError('BadInput', `--const-input: expected name=v1,v2,… (numbers), got '${text}'`);
  return [m[1], values];
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
