/**
 * Shape plumbing, folded at import (no integer semantics): Shape, Size, ConstantOfShape, Range,
 * Constant, comparisons and boolean logic. PyTorch exports compute Reshape targets this way; once
 * the input shapes are fixed (symbolic dimensions = 1) all of it is constant.
 */
import { DT } from '../model/onnx-proto.js';
import { sizeOf, type Tensor } from '../model/tensor.js';
import { compareOp } from './binary.js';
import { mapUnary } from './common.js';
import { attrFloat, attrInt, attrInts, type OpDef } from './op.js';

export const Shape: OpDef = {
  shapeOnly: true,
  float(n, x) {
    const d = x[0]!.dims;
    const r = d.length;
    let s = attrInt(n, 'start', 0);
    let e = attrInt(n, 'end', r);
    if (s < 0) s += r;
    if (e < 0) e += r;
    s = Math.max(0, Math.min(r, s));
    e = Math.max(0, Math.min(r, e));
    const v = d.slice(s, Math.max(s, e));
    return [{ dims: [v.length], data: Float64Array.from(v), dtype: DT.INT64 }];
  },
};

export const Size: OpDef = {
  shapeOnly: true,
  float: (_n, x) => [{ dims: [], data: Float64Array.of(sizeOf(x[0]!.dims)), dtype: DT.INT64 }],
};

export const ConstantOfShape: OpDef = {
  float(n, x) {
    const dims = Array.from(x[0]!.data);
    const v = n.attrs.value as Tensor | undefined;
    const val = v ? v.data[0] : 0;
    return [{ dims, data: new Float64Array(sizeOf(dims)).fill(val), dtype: v ? v.dtype : DT.FLOAT }];
  },
};

export const Range: OpDef = {
  float(_n, x) {
    const [s, l, d] = x.map((t) => t!.data[0]);
    const k = Math.max(0, Math.ceil((l - s) / d));
    return [{ dims: [k], data: Float64Array.from({ length: k }, (_, i) => s + i * d), dtype: x[0]!.dtype }];
  },
};

export const Constant: OpDef = {
  float(n) {
    const a = n.attrs;
    if (a.value !== undefined) return [a.value as Tensor];
    if (a.value_float !== undefined) return [{ dims: [], data: Float64Array.of(attrFloat(n, 'value_float', 0)), dtype: DT.FLOAT }];
    if (a.value_int !== undefined) return [{ dims: [], data: Float64Array.of(attrInt(n, 'value_int', 0)), dtype: DT.INT64 }];
    if (a.value_floats !== undefined) {
      const v = a.value_floats as number[];
      return [{ dims: [v.length], data: Float64Array.from(v), dtype: DT.FLOAT }];
    }
    if (a.value_ints !== undefined) {
      const v = attrInts(n, 'value_ints')!;
      return [{ dims: [v.length], data: Float64Array.from(v), dtype: DT.INT64 }];
    }
    throw new Error('Constant without a supported value attribute');
  },
};

export const Equal = compareOp((a, b) => a === b, 'eq');
export const Less = compareOp((a, b) => a < b, 'lt');
export const LessOrEqual = compareOp((a, b) => a <= b, 'le');
export const Greater = compareOp((a, b) => a > b, 'gt');
export const GreaterOrEqual = compareOp((a, b) => a >= b, 'ge');
export const And = compareOp((a, b) => !!a && !!b);
export const Or = compareOp((a, b) => !!a || !!b);
export const Xor = compareOp((a, b) => !!a !== !!b);
export const Not: OpDef = { float: (_n, x) => [mapUnary(x[0]!, (v) => (v ? 0 : 1), DT.BOOL)] };
