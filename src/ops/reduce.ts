/**
 * ReduceMean / ReduceSum / ReduceMax / ReduceMin (axes as attribute or, from opset 13/18, as an
 * input; keepdims; noop_with_empty_axes). Integer semantics: window layers over the reduction map.
 * ReduceSumSquare, ReduceL1, ReduceL2 and ReduceLogSumExp on activations are expanded before folding
 * into ops that lower (`OpDef.expand`):
 *   SumSquare = ReduceSum(x·x),  L1 = ReduceSum(|x|),  L2 = Sqrt(ReduceSum(x·x)),
 *   LogSumExp = Log(ReduceSum(Exp(x − m))) + m,  m = ReduceMax(x) (kept dims; squeezed back when
 *   keepdims = 0), the max-shifted form whose Exp table never overflows.
 * The same axes, keepdims and noop_with_empty_axes go to every reduction, so an empty reduction
 * stays an identity. ReduceProd is folded in constant sub-graphs only.
 */
import type { Node } from '../model/graph.js';
import type { Tensor } from '../model/tensor.js';
import { NodeBuilder } from '../model/builder.js';
import { lowerWindow, reduceMap, windowFloat } from './pooling.js';
import { attrInt, attrInts, intsFrom, type OpDef } from './op.js';

function wmOf(n: Node, dims: number[], axesT: Tensor | undefined) {
  const axes = intsFrom(n, [axesT], 0, 'axes');
  return reduceMap(dims, axes, attrInt(n, 'keepdims', 1) === 1, attrInt(n, 'noop_with_empty_axes', 0) === 1);
}

function reduceOp(fmode: Parameters<typeof windowFloat>[2], imode?: 'max' | 'min' | 'sum' | 'avg', expand?: OpDef['expand']): OpDef {
  return {
    params: [1],
    float: (n, x) => [windowFloat(x[0]!, wmOf(n, x[0]!.dims, x[1]), fmode)],
    lower: imode
      ? (q, n) => lowerWindow(q, n, wmOf(n, q.act(n.inputs[0]).dims, n.inputs[1] ? q.constant(n.inputs[1]) : undefined), imode)
      : undefined,
    ...(expand ? { expand } : {}),
  };
}

/**
 * The expansion of a composite reduction on an activation (null when its input is constant: it folds).
 * `body` builds the nodes from the input and a reduction helper that applies the node's own axes.
 */
function composite(body: (b: NodeBuilder, x: string, reduce: (op: string, v: string, keep: boolean, out?: string) => string, out: string, n: Node) => void): OpDef['expand'] {
  return (n, ctx) => {
    const x = n.inputs[0];
    if (ctx.consts.has(x)) return null;
    const b = new NodeBuilder(ctx, n.name);
    const axesIn = n.inputs[1] ? ctx.consts.get(n.inputs[1]) : undefined;
    if (n.inputs[1] && !axesIn) throw new Error(`its axes input '${n.inputs[1]}' must be a constant`);
    const axes = axesIn ? Array.from(axesIn.data, Math.trunc) : attrInts(n, 'axes');
    const axesName = axes ? b.ints('axes', [axes.length], axes) : undefined;
    const noop = attrInt(n, 'noop_with_empty_axes', 0);
    const reduce = (op: string, v: string, keep: boolean, out?: string): string =>
      b.op(op, axesName ? [v, axesName] : [v], { keepdims: keep ? 1 : 0, noop_with_empty_axes: noop }, out, op.toLowerCase());
    body(b, x, reduce, n.outputs[0], n);
    return b.nodes;
  };
}

const keepdims = (n: Node): boolean => attrInt(n, 'keepdims', 1) === 1;

const sumSquare = composite((b, x, reduce, out, n) => {
  reduce('ReduceSum', b.op('Mul', [x, x], {}, undefined, 'square'), keepdims(n), out);
});
const l1 = composite((b, x, reduce, out, n) => {
  reduce('ReduceSum', b.op('Abs', [x]), keepdims(n), out);
});
const l2 = composite((b, x, reduce, out, n) => {
  b.op('Sqrt', [reduce('ReduceSum', b.op('Mul', [x, x], {}, undefined, 'square'), keepdims(n))], {}, out);
});
const logSumExp = composite((b, x, reduce, out, n) => {
  const m = reduce('ReduceMax', x, true);
  const s = reduce('ReduceSum', b.op('Exp', [b.op('Sub', [x, m], {}, undefined, 'shifted')]), keepdims(n));
  // m with the node's own keepdims: a second max (exact) rather than a squeeze that needs the axes normalised
  b.op('Add', [b.op('Log', [s]), keepdims(n) ? m : reduce('ReduceMax', x, false)], {}, out);
});

export const ReduceMean = reduceOp('avg', 'avg');
export const ReduceSum = reduceOp('sum', 'sum');
export const ReduceMax = reduceOp('max', 'max');
export const ReduceMin = reduceOp('min', 'min');
export const ReduceSumSquare = reduceOp('sumsq', undefined, sumSquare);
export const ReduceL1 = reduceOp('l1', undefined, l1);
export const ReduceL2 = reduceOp('l2', undefined, l2);
export const ReduceLogSumExp = reduceOp('logsumexp', undefined, logSumExp);
export const ReduceProd = reduceOp('prod');
