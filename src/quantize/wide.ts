/**
 * Wide intermediates: which activations keep 16 bits instead of int8.
 *
 * An int8 activation has 8 bits of relative precision at its calibrated maximum; its square needs
 * 16 to stay as precise. Rounding the square of an int8 value back to int8 (the STFT magnitude
 * √(re² + im²) of a VAD, the variance of a LayerNorm decomposed into ReduceMean(d²) + ε → Sqrt)
 * loses most small components outright (the step of the square is 2^8 times coarser than the
 * square of the input's step) and the table that follows inherits the loss. The tensors of such a
 * chain are only ever read by a table (one lookup key per value, its domain ≤ 2^16 − 1 entries,
 * `ops/proofs/table.ts`) or by sums (the requantisation relation, whose no-wrap bound is taken
 * from its inputs' ranges), so they can carry 16 bits at no change to any relation: the table's
 * domain grows to ±WIDE_MAX and the sum's range check to 16 bits, both already sound for any range.
 *
 * A tensor is wide when (rooted) it is a square — Pow(x, 2) or Mul(x, x) — or a sum (Add, Sub,
 * Sum, Mean, ReduceSum, ReduceMean) or affine scalar function (x ± c, x·c, x/c) of a wide tensor,
 * and (read only by tables and sums) every node reading it is a table of it (a unary op in
 * TABLE_OPS, or a binary op with a scalar constant) or such a sum, and it is not a graph output.
 * The chain ends at the first table that is not affine (Sqrt, Reciprocal, …), whose output is int8.
 * A non-negative wide tensor (a sum of squares, a variance + ε) takes [0, WIDE_MAX], the others
 * ±WIDE_MAX: the table's clamp and the sum's range check enforce whichever range it has.
 *
 * Opt-in (`compile --wide`, `QuantizeOptions.wide`): the larger tables cost proof size and time,
 * and on the real-model suite (BENCHMARKS.md) no model's outputs came within tolerance by it.
 */
import type { Graph, Node } from '../model/graph.js';
import { DT } from '../model/onnx-proto.js';

/** The wide range is ±WIDE_MAX: a table over it has 2^16 − 1 entries, the most a table layer takes. */
export const WIDE_MAX = 2 ** 15 - 1;

/** Unary ops lowered to a table of their input (`ops/unary.ts`, not the exponent-keeping ones). */
const TABLE_OPS = new Set(['Sqrt', 'Reciprocal', 'Log', 'Exp', 'Sigmoid', 'Tanh', 'Erf', 'Softplus', 'Gelu']);
const SUMS = new Set(['Add', 'Sub', 'Sum', 'Mean', 'ReduceSum', 'ReduceMean']);
const AFFINE = new Set(['Add', 'Sub', 'Mul', 'Div']);
const SCALAR_BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow']);
const FLOATS = new Set<number>([DT.FLOAT, DT.DOUBLE, DT.FLOAT16, DT.BFLOAT16]);

export interface WideGraph {
  graph: Graph;
  dtypes: Map<string, number>;
  shapes: Map<string, number[]>;
}

/**
 * The wide tensors of a graph (see the header), each with whether it is non-negative (a square,
 * or a sum with + signs or a non-negative affine function of non-negative ones): such a tensor's
 * range is [0, WIDE_MAX], half the table and range check of ±WIDE_MAX at the same precision.
 */
export function wideTensors(p: WideGraph): Map<string, { nonNegative: boolean }> {
  const { graph } = p;
  const producer = new Map<string, Node>();
  const readers = new Map<string, Node[]>();
  for (const n of graph.nodes) {
    for (const o of n.outputs) producer.set(o, n);
    for (const i of new Set(n.inputs)) if (i !== '') (readers.get(i) ?? readers.set(i, []).get(i)!).push(n);
  }
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const size = (t: string) => (p.shapes.get(t) ?? graph.consts.get(t)?.dims ?? [NaN]).reduce((a, b) => a * b, 1);
  const isConst = (t: string) => graph.consts.has(t);
  const scalarConst = (t: string) => isConst(t) && size(t) === 1;
  /** n is a table of its activation input t: a scalar-constant binary op, t of the output's size */
  const scalarTable = (n: Node, t: string) => SCALAR_BINARY.has(n.opType) && n.inputs.length === 2 && n.inputs.includes(t) && n.inputs[0] !== n.inputs[1] && scalarConst(n.inputs[n.inputs[0] === t ? 1 : 0]) && size(t) === size(n.outputs[0]);
  const readsWide = (n: Node, t: string) =>
    (TABLE_OPS.has(n.opType) && n.inputs[0] === t) || scalarTable(n, t) || (SUMS.has(n.opType) && !(n.opType.startsWith('Reduce') && n.inputs[0] !== t));
  const isSquare = (n: Node) =>
    (n.opType === 'Pow' && n.inputs.length === 2 && scalarConst(n.inputs[1]) && graph.consts.get(n.inputs[1])!.data[0] === 2 && !isConst(n.inputs[0])) ||
    (n.opType === 'Mul' && n.inputs[0] === n.inputs[1] && !isConst(n.inputs[0]));
  const memo = new Map<string, boolean>();
  const wide = (t: string): boolean => {
    const m = memo.get(t);
    if (m !== undefined) return m;
    memo.set(t, false);
    const n = producer.get(t);
    const dt = p.dtypes.get(t);
    const rs = readers.get(t) ?? [];
    let ok = n !== undefined && !outputs.has(t) && (dt === undefined || FLOATS.has(dt)) && rs.length > 0 && rs.every((r) => readsWide(r, t));
    if (ok) {
      const acts = n!.inputs.filter((i) => i !== '' && !isConst(i));
      const rooted =
        isSquare(n!) ||
        (SUMS.has(n!.opType) && !(n!.opType.startsWith('Reduce') && acts[0] !== n!.inputs[0]) && acts.some(wide)) ||
        (AFFINE.has(n!.opType) && acts.length === 1 && scalarTable(n!, acts[0]) && wide(acts[0]));
      ok = rooted;
    }
    memo.set(t, ok);
    return ok;
  };
  const nonNeg = new Map<string, boolean>();
  const nonNegative = (t: string): boolean => {
    if (!memo.get(t)) return false;
    const known = nonNeg.get(t);
    if (known !== undefined) return known;
    const n = producer.get(t)!;
    const c = (i: number) => (scalarConst(n.inputs[i]) ? graph.consts.get(n.inputs[i])!.data[0] : NaN);
    let r: boolean;
    if (isSquare(n)) r = true;
    else if (n.opType === 'Sub') r = false;
    else if (SUMS.has(n.opType) && !n.inputs.some((i) => i !== '' && isConst(i) && !n.opType.startsWith('Reduce'))) r = n.inputs.filter((i) => i !== '' && !isConst(i)).every(nonNegative);
    else if (n.opType === 'Add' || n.opType === 'Mul') r = (c(0) >= 0 || c(1) >= 0) && nonNegative(n.inputs[isConst(n.inputs[0]) ? 1 : 0]);
    else if (n.opType === 'Div') r = c(1) > 0 && nonNegative(n.inputs[0]);
    else r = false;
    nonNeg.set(t, r);
    return r;
  };
  const out = new Map<string, { nonNegative: boolean }>();
  for (const n of graph.nodes) for (const o of n.outputs) if (wide(o)) out.set(o, { nonNegative: false });
  for (const [t, v] of out) v.nonNegative = nonNegative(t);
  return out;
}
