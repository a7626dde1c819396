/**
 * ScatterElements (and its opset-9 name Scatter): out = data, then for every position p of indices
 * out[p with p[axis] replaced by indices[p]] = updates[p] (reduction 'none'; 'add', 'mul', 'max',
 * 'min' combine instead). With constant indices and reduction 'none' it is pure data movement over
 * the concatenation of data and updates: its integer semantics is the gather map obtained by running
 * this float semantics on index tensors (common.ts `lowerLayout`). A reduction on activations is
 * refused with an error naming it.
 */
import { normAxis } from '../model/tensor.js';
import { elementOffsets, lowerLayout } from './common.js';
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
    const red = attrStr(n, 'reduction', 'none');
    const offs = elementOffsets(a.dims, ind, normAxis(attrInt(n, 'axis', 0), r));
    const out = Float64Array.from(a.data);
    for (let i = 0; i < offs.length; i++) {
      const u = upd.data[i];
      const o = out[offs[i]];
      out[offs[i]] = red === 'add' ? o + u : red === 'mul' ? o * u : red === 'max' ? Math.max(o, u) : red === 'min' ? Math.min(o, u) : u;
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
