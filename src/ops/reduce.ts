/**
 * ReduceMean / ReduceSum / ReduceMax / ReduceMin (axes as attribute or, from opset 13/18, as an
 * input; keepdims; noop_with_empty_axes). Integer semantics: window layers over the reduction map;
 * ReduceSumSquare/L1/L2/LogSumExp/Prod are folded in constant sub-graphs only.
 */
import type { Node } from '../model/graph.js';
import type { Tensor } from '../model/tensor.js';
import { lowerWindow, reduceMap, windowFloat } from './pooling.js';
import { attrInt, intsFrom, type OpDef } from './op.js';

function wmOf(n: Node, dims: number[], axesT: Tensor | undefined) {
  const axes = intsFrom(n, [axesT], 0, 'axes');
  return reduceMap(dims, axes, attrInt(n, 'keepdims', 1) === 1, attrInt(n, 'noop_with_empty_axes', 0) === 1);
}

function reduceOp(fmode: Parameters<typeof windowFloat>[2], imode?: 'max' | 'min' | 'sum' | 'avg'): OpDef {
  return {
    params: [1],
    float: (n, x) => [windowFloat(x[0]!, wmOf(n, x[0]!.dims, x[1]), fmode)],
    lower: imode
      ? (q, n) => lowerWindow(q, n, wmOf(n, q.act(n.inputs[0]).dims, n.inputs[1] ? q.constant(n.inputs[1]) : undefined), imode)
      : undefined,
  };
}

export const ReduceMean = reduceOp('avg', 'avg');
export const ReduceSum = reduceOp('sum', 'sum');
export const ReduceMax = reduceOp('max', 'max');
export const ReduceMin = reduceOp('min', 'min');
export const ReduceSumSquare = reduceOp('sumsq');
export const ReduceL1 = reduceOp('l1');
export const ReduceL2 = reduceOp('l2');
export const ReduceLogSumExp = reduceOp('logsumexp');
export const ReduceProd = reduceOp('prod');
