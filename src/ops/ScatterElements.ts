/**
 * ScatterElements (and its opset-9 name Scatter): out = data, then for every position p of indices
 * out[p with p[axis] replaced by indices[p]] = updates[p] (reduction 'none'; 'add', 'mul', 'max',
 * 'min' combine instead). With constant indices and reduction 'none' it is pure data movement over
 * the concatenation of data and updates: its integer semantics is the gather map obtained by running
 * this float semantics on index tensors (common.ts `lowerLayout`). A reduction on activations is
 * refused with an error naming it.
 */
import { normAxis, sizeOf, stridesOf } from '../model/tensor.js';
import { lowerLayout } from './common.js';
import { attrInt, attrStr, type OpDef } from './op.js';

export const ScatterElements: OpDef = {
  params: [1],
  layout: true,
  float(n, x) {
    const a = x[0]!;
    const ind = x[1]!;
    const upd = x[2]!;
    const r = a.dims.length;
    if (ind.dims.length !== r || upd.dims.join() !== ind.dims.join()) throw new Error(`indices [${ind.dims}] and updates [${upd.dims}] must have the same shape and the rank of data [${a.dims}]`);
    const ax = normAxis(attrInt(n, 'axis', 0), r);
    const red = attrStr(n, 'reduction', 'none');
    const sa = stridesOf(a.dims);
    const out = Float64Array.from(a.data);
    const idx = ind.dims.map(() => 0);
    for (let i = 0; i < sizeOf(ind.dims); i++) {
      let k = ind.data[i];
      if (k < 0) k += a.dims[ax];
      if (!(k >= 0 && k < a.dims[ax])) throw new Error(`index ${ind.data[i]} out of range for axis ${ax} of size ${a.dims[ax]}`);
      let off = 0;
      for (let d = 0; d < r; d++) {
        if (d !== ax && idx[d] >= a.dims[d]) throw new Error(`indices shape [${ind.dims}] exceeds data shape [${a.dims}] on axis ${d}`);
        off += (d === ax ? k : idx[d]) * sa[d];
      }
      const u = upd.data[i];
      const o = out[off];
      out[off] = red === 'add' ? o + u : red === 'mul' ? o * u : red === 'max' ? Math.max(o, u) : red === 'min' ? Math.min(o, u) : u;
      for (let d = r - 1; d >= 0; d--) {
        if (++idx[d] < ind.dims[d]) break;
        idx[d] = 0;
      }
    }
    return [{ dims: a.dims.slice(), data: out, dtype: a.dtype }];
  },
  lower(q, n) {
    const red = attrStr(n, 'reduction', 'none');
    if (red !== 'none') throw new Error(`reduction '${red}' on activations is not supported (only 'none', a pure data movement)`);
    if (q.isConst(n.inputs[0]) || q.isConst(n.inputs[2])) {
      // one side constant: make it an int8 activation so both go through the same gather
      for (const i of [0, 2]) if (q.isConst(n.inputs[i])) q.constAsAct(n.inputs[i], n);
    }
    lowerLayout(q, n, ScatterElements, [0, 2]);
  },
};

/** Scatter (opset 9–10) has the semantics of ScatterElements without reduction. */
export const Scatter: OpDef = { ...ScatterElements };
