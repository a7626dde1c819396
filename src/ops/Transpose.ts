/**
 * Transpose: pure data movement; integer semantics is its gather map (copy relation).
 */
import { sizeOf, stridesOf, type Tensor } from '../model/tensor.js';
import { layoutOp } from './common.js';
import { attrInts } from './op.js';

export function transpose2d(a: Float64Array, R: number, C: number): Float64Array {
  const t = new Float64Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) t[c * R + r] = a[r * C + c];
  return t;
}

export function transposeT(x: Tensor, perm: number[]): Tensor {
  const rank = x.dims.length;
  const dims = perm.map((p) => x.dims[p]);
  const inStr = stridesOf(x.dims);
  const n = sizeOf(dims);
  const out = new Float64Array(n);
  const idx = new Array<number>(rank).fill(0);
  const str = perm.map((p) => inStr[p]);
  let off = 0;
  for (let i = 0; i < n; i++) {
    out[i] = x.data[off];
    for (let a = rank - 1; a >= 0; a--) {
      idx[a]++;
      off += str[a];
      if (idx[a] < dims[a]) break;
      off -= str[a] * dims[a];
      idx[a] = 0;
    }
  }
  return { dims, data: out, dtype: x.dtype };
}

export const Transpose = layoutOp((n, x) => {
  const a = x[0]!;
  const perm = attrInts(n, 'perm') ?? a.dims.map((_, i) => a.dims.length - 1 - i);
  if (perm.length !== a.dims.length) throw new Error(`perm [${perm}] does not match rank ${a.dims.length}`);
  return [transposeT(a, perm)];
});
