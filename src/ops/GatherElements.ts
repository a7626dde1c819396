/**
 * GatherElements: out[p] = data[p with p[axis] replaced by indices[p]] (negative indices count from
 * the end); out has the shape of indices. With constant indices it is pure data movement, so its
 * integer semantics is the gather map obtained by running this float semantics on an index tensor
 * (common.ts `layoutOp`); indices computed from the model input are refused as a non-constant
 * parameter, naming the node.
 */
import { normAxis, sizeOf, stridesOf } from '../model/tensor.js';
import { layoutOp } from './common.js';
import { attrInt } from './op.js';

export const GatherElements = layoutOp((n, x) => {
  const a = x[0]!;
  const ind = x[1]!;
  const r = a.dims.length;
  if (ind.dims.length !== r) throw new Error(`indices have rank ${ind.dims.length}, data has rank ${r}`);
  const ax = normAxis(attrInt(n, 'axis', 0), r);
  const sa = stridesOf(a.dims);
  const out = new Float64Array(sizeOf(ind.dims));
  const idx = ind.dims.map(() => 0);
  for (let i = 0; i < out.length; i++) {
    let k = ind.data[i];
    if (k < 0) k += a.dims[ax];
    if (!(k >= 0 && k < a.dims[ax])) throw new Error(`index ${ind.data[i]} out of range for axis ${ax} of size ${a.dims[ax]}`);
    let off = 0;
    for (let d = 0; d < r; d++) {
      if (d !== ax && idx[d] >= a.dims[d]) throw new Error(`indices shape [${ind.dims}] exceeds data shape [${a.dims}] on axis ${d}`);
      off += (d === ax ? k : idx[d]) * sa[d];
    }
    out[i] = a.data[off];
    for (let d = r - 1; d >= 0; d--) {
      if (++idx[d] < ind.dims[d]) break;
      idx[d] = 0;
    }
  }
  return [{ dims: ind.dims.slice(), data: out, dtype: a.dtype }];
}, [1]);
