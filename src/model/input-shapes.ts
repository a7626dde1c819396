/**
 * Concrete shapes for a graph's inputs whose dimensions are symbolic (`batch`, `seq`, or unnamed).
 * A shape comes, in this order, from the caller (`zkinfer compile --input-shape name=1,3,48,320`,
 * or EZKL's `input_shapes` in input.json), or from the calibration data when exactly one dimension
 * is symbolic and the data's length fixes it. A symbolic dimension is set to 1 only when the data
 * agrees (or there is no data) — and then `notes` says so, so that a later shape error can name
 * the dimension that needs a value (`symbolicHint`). Given shapes are checked against the model:
 * the input must exist, the rank match and every fixed dimension agree.
 */
import { ModelError } from './errors.js';
import type { Graph, ValueInfo } from './graph.js';

export interface ResolvedShapes {
  shapes: Record<string, number[]>;
  /** one line per symbolic dimension that was not given: what it was set to, and why */
  notes: string[];
  /** the inputs whose symbolic dimensions were set to 1 without evidence */
  defaulted: string[];
}

const prod = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);

function describe(v: ValueInfo): string {
  return v.symbolicAxes.map((s) => `'${s.name}' (axis ${s.axis})`).join(', ');
}

/** Parses `name=1,3,48,320` (the `--input-shape` flag). */
export function parseShapeFlag(text: string): [string, number[]] {
  const m = /^([^=]+)=(\d+(?:,\d+)*)$/.exec(text);
  if (!m) throw new ModelError('BadInput', `--input-shape: expected name=d1,d2,… (positive integers), got '${text}'`);
  const dims = m[2].split(',').map(Number);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 1)) throw new ModelError('BadInput', `--input-shape ${m[1]}: every dimension must be a positive integer, got ${m[2]}`);
  return [m[1], dims];
}

export function resolveInputShapes(g: Graph, given: Record<string, number[]> = {}, samples: readonly Record<string, ArrayLike<number>>[] = [], constInputs?: ReadonlySet<string>): ResolvedShapes {
  const inputs = g.inputs.filter((i) => !g.consts.has(i.name) && !constInputs?.has(i.name));
  for (const name of Object.keys(given)) {
    if (!inputs.some((i) => i.name === name)) throw new ModelError('BadInput', `input shape given for '${name}', but the model's inputs are ${inputs.map((i) => `'${i.name}'`).join(', ')}`);
  }
  const shapes: Record<string, number[]> = {};
  const notes: string[] = [];
  const defaulted: string[] = [];
  for (const inp of inputs) {
    const want = given[inp.name];
    if (want) {
      if (inp.dims) {
        if (want.length !== inp.dims.length) throw new ModelError('BadInput', `input '${inp.name}': the model's shape has rank ${inp.dims.length} ([${shapeText(inp)}]), the given shape [${want.join(',')}] rank ${want.length}`);
        want.forEach((d, axis) => {
          const symbolic = inp.symbolicAxes.some((s) => s.axis === axis);
          if (!symbolic && d !== inp.dims![axis]) throw new ModelError('BadInput', `input '${inp.name}': axis ${axis} is fixed at ${inp.dims![axis]} in the model ([${shapeText(inp)}]), the given shape says ${d}`);
        });
      }
      shapes[inp.name] = want.slice();
      continue;
    }
    if (!inp.dims || inp.symbolicAxes.length === 0) continue;
    const lengths = [...new Set(samples.map((s) => s[inp.name]?.length).filter((n): n is number => n !== undefined))];
    const ones = prod(inp.dims);
    if (lengths.length === 0 || (lengths.length === 1 && lengths[0] === ones)) {
      defaulted.push(inp.name);
      notes.push(`input '${inp.name}': symbolic dimension(s) ${describe(inp)} set to 1${lengths.length ? ' (the calibration data agrees)' : ' (no data to tell)'}; give --input-shape ${inp.name}=… for another size`);
      shapes[inp.name] = inp.dims.slice();
      continue;
    }
    if (lengths.length > 1) throw new ModelError('BadInput', `input '${inp.name}': the calibration samples have ${lengths.join(', ')} values; a model is compiled for one shape: give it with --input-shape ${inp.name}=…`);
    const n = lengths[0];
    if (inp.symbolicAxes.length === 1 && n % ones === 0) {
      const dims = inp.dims.slice();
      dims[inp.symbolicAxes[0].axis] = n / ones;
      notes.push(`input '${inp.name}': symbolic dimension ${describe(inp)} = ${n / ones}, from the calibration data's ${n} values`);
      shapes[inp.name] = dims;
      continue;
    }
    throw new ModelError('BadInput', `input '${inp.name}' has symbolic dimension(s) ${describe(inp)} ([${shapeText(inp)}]) and the calibration data has ${n} values, which does not fix them: give the shape with --input-shape ${inp.name}=d1,d2,… (or input_shapes in input.json)`);
  }
  return { shapes, notes, defaulted };
}

/** The model's shape of an input, symbolic dimensions by name. */
export function shapeText(v: ValueInfo): string {
  return (v.dims ?? []).map((d, axis) => v.symbolicAxes.find((s) => s.axis === axis)?.name ?? String(d)).join(',');
}

/**
 * A hint to append to a shape error raised after symbolic dimensions were set to 1 without
 * evidence: the dimensions that may need a value.
 */
export function symbolicHint(g: Graph, defaulted: readonly string[]): string {
  if (defaulted.length === 0) return '';
  const parts = defaulted.map((n) => {
    const v = g.inputs.find((i) => i.name === n)!;
    return `'${n}' [${shapeText(v)}]`;
  });
  return ` (the symbolic dimensions of ${parts.join(', ')} were set to 1; if the model needs other sizes, give them with --input-shape name=d1,d2,…)`;
}
