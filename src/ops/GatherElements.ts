/**
 * GatherElements: out[p] = data[p with p[axis] replaced by indices[p]] (negative indices count from
 * the end); out has the shape of indices. With constant indices it is pure data movement, so its
 * integer semantics is the gather map obtained by running this float semantics on an index tensor
 * (common.ts `layoutOp`); indices computed from the model input are refused as a non-constant
 * parameter, naming the node.
 */
import { normAxis } from '../model/tensor.js';
import { elementOffsets, layoutOp } from './common.js';
import { attrInt } from './op.js';

export const GatherElements = layoutOp((n, x) => {
  const a = x[0]!;
  const ind = x[1]!;
  const r = a.dims.length;
  if (ind.dims.length !== r) throw new Error(`indices have rank ${ind.dims.length}, data has rank ${r}`);
  const offs = elementOffsets(a.dims, ind, normAxis(attrInt(n, 'axis', 0), r));
  const out = Float64Array.from(offs, (off) => a.data[off]);
  return [{ dims: ind.dims.slice(), data: out, dtype: a.dtype }];
}, [1]);
