/**
 * Float tensors of the graph IR and the index helpers shared by the float reference and the
 * integer kernels. A tensor is row-major `data` (Float64Array, so int64 shape values up to 2^53 and
 * float32 weights are both exact) with `dims` and its ONNX data type. Broadcasting follows numpy /
 * ONNX multidirectional rules; `broadcastIndex` turns it into an index map computed once, so hot
 * loops are plain typed-array gathers.
 */
import { DT } from './onnx-proto.js';

export interface Tensor {
  dims: number[];
  data: Float64Array;
  dtype: number;
}

export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}

export function tensor(dims: number[], data: ArrayLike<number> | Float64Array, dtype: number = DT.FLOAT): Tensor {
  const d = data instanceof Float64Array ? data : Float64Array.from(data as ArrayLike<number>);
  if (d.length !== sizeOf(dims)) throw new Error(`tensor: expected ${sizeOf(dims)} values for dims [${dims}], got ${d.length}`);
  return { dims: dims.slice(), data: d, dtype };
}

export function scalar(v: number, dtype: number = DT.FLOAT): Tensor {
  return { dims: [], data: Float64Array.of(v), dtype };
}

export function isFloatType(dt: number): boolean {
  return dt === DT.FLOAT || dt === DT.DOUBLE || dt === DT.FLOAT16 || dt === DT.BFLOAT16;
}

/** A graph input taken as integers at scale 2^0 (token ids, boolean masks): int64, int32, bool. */
export function isIntegerInput(dt: number): boolean {
  return dt === DT.INT64 || dt === DT.INT32 || dt === DT.BOOL;
}

export function isIntType(dt: number): boolean {
  return dt === DT.INT8 || dt === DT.INT16 || dt === DT.INT32 || dt === DT.INT64 || dt === DT.UINT8 ||
    dt === DT.UINT16 || dt === DT.UINT32 || dt === DT.UINT64 || dt === DT.BOOL;
}

/** Shape of the multidirectional broadcast of `shapes`, or throws with both shapes named. */
export function broadcastShape(...shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i];
      if (out[o] === 1) out[o] = d;
      else if (d !== 1 && d !== out[o]) {
        throw new Error(`shapes [${shapes.map((x) => `[${x}]`).join(', ')}] do not broadcast`);
      }
    }
  }
  return out;
}

/** For every flat index of `outDims`, the flat index into a tensor of `inDims` broadcast to it. */
export function broadcastIndex(inDims: readonly number[], outDims: readonly number[]): Int32Array {
  const n = sizeOf(outDims);
  const map = new Int32Array(n);
  const rank = outDims.length;
  const inStr = stridesOf(inDims);
  // effective stride per output axis (0 where broadcast)
  const eff = new Array<number>(rank).fill(0);
  for (let i = 0; i < inDims.length; i++) {
    const o = rank - inDims.length + i;
    eff[o] = inDims[i] === 1 ? 0 : inStr[i];
  }
  if (sizeOf(inDims) === n && inDims.length <= rank && eff.every((e, i) => e !== 0 || outDims[i] === 1)) {
    for (let i = 0; i < n; i++) map[i] = i;
    return map;
  }
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    map[i] = off;
    for (let a = rank - 1; a >= 0; a--) {
      idx[a]++;
      off += eff[a];
      if (idx[a] < outDims[a]) break;
      off -= eff[a] * outDims[a];
      idx[a] = 0;
    }
  }
  return map;
}

export function normAxis(axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= Math.max(rank, 1)) throw new Error(`${what} ${axis} out of range for rank ${rank}`);
  return a;
}
