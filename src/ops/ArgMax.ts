/** ArgMax / ArgMin along an axis (keepdims, select_last_index): exact on the integers; output exp 0. */
import type { Node } from '../model/graph.js';
import { normAxis, sizeOf, type Tensor } from '../model/tensor.js';
import { DT } from '../model/onnx-proto.js';
import type { Lowering } from '../quantize/lowering.js';
import { attrInt, type OpDef } from './op.js';

function split(n: Node, dims: number[]) {
  const a = normAxis(attrInt(n, 'axis', 0), dims.length);
  const keep = attrInt(n, 'keepdims', 1) === 1;
  const outDims = keep ? dims.map((d, i) => (i === a ? 1 : d)) : dims.filter((_, i) => i !== a);
  return { outer: sizeOf(dims.slice(0, a)), n: dims[a], inner: sizeOf(dims.slice(a + 1)), outDims };
}

function argOp(min: boolean): OpDef {
  return {
    float(n, x) {
      const X: Tensor = x[0]!;
      const s = split(n, X.dims);
      const last = attrInt(n, 'select_last_index', 0) === 1;
      const out = new Float64Array(s.outer * s.inner);
      for (let o = 0; o < s.outer; o++)
        for (let i = 0; i < s.inner; i++) {
          const b = o * s.n * s.inner + i;
          let bi = 0;
          let bv = X.data[b];
          for (let k = 1; k < s.n; k++) {
            const v = X.data[b + k * s.inner];
            if (min ? (last ? v <= bv : v < bv) : last ? v >= bv : v > bv) {
              bv = v;
              bi = k;
            }
          }
          out[o * s.inner + i] = bi;
        }
      return [{ dims: s.outDims, data: out, dtype: DT.INT64 }];
    },
    lower(q: Lowering, n) {
      const x = q.act(n.inputs[0]);
      const s = split(n, x.dims);
      q.emit(
        { kind: 'argmax', name: n.name, op: n.opType, inputs: [x.name], output: n.outputs[0], bound: 512, outer: s.outer, n: s.n, inner: s.inner, last: attrInt(n, 'select_last_index', 0) === 1, min },
        { dims: s.outDims, exp: 0, lo: 0, hi: Math.max(s.n - 1, 0) },
      );
    },
  };
}
export const ArgMax = argOp(false);
export const ArgMin = argOp(true);
