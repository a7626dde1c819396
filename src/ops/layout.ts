/**
 * Layout ops (Reshape, Flatten, Squeeze, Unsqueeze, Concat, Slice, Pad, Split, Expand, Tile, Gather
 * with constant indices, DepthToSpace, SpaceToDepth, Resize/Upsample nearest, Where with a constant
 * condition). Each is pure data movement: its float semantics applied to an index tensor yields the
 * gather map that is its integer semantics (the copy relation a prover checks; see common.ts).
 */
import { broadcastIndex, broadcastShape, normAxis, sizeOf, stridesOf, type Tensor } from '../model/tensor.js';
import { layoutOp, lowerLayout } from './common.js';
import { attrFloat, attrInt, attrInts, attrStr, intsFrom, type OpDef } from './op.js';
import { transposeT } from './Transpose.js';
import { lowerEmbedding } from './embedding.js';

const withDims = (x: Tensor, dims: number[]): Tensor => {
  if (sizeOf(dims) !== x.data.length) throw new Error(`cannot reshape [${x.dims}] to [${dims}]`);
  return { dims, data: x.data, dtype: x.dtype };
};

export const Reshape = layoutOp((n, x) => {
  const a = x[0]!;
  const shape = intsFrom(n, x, 1, 'shape');
  if (!shape) throw new Error('missing shape');
  const allowzero = attrInt(n, 'allowzero', 0) === 1;
  const dims = shape.map((d, i) => (d === 0 && !allowzero ? a.dims[i] : d));
  const neg = dims.indexOf(-1);
  if (neg >= 0) {
    const rest = dims.reduce((p, d, i) => (i === neg ? p : p * d), 1);
    dims[neg] = rest === 0 ? 0 : a.data.length / rest;
  }
  return [withDims(a, dims)];
}, [1]);

export const Flatten = layoutOp((n, x) => {
  const a = x[0]!;
  const ax = attrInt(n, 'axis', 1);
  const k = ax < 0 ? ax + a.dims.length : ax;
  return [withDims(a, [sizeOf(a.dims.slice(0, k)), sizeOf(a.dims.slice(k))])];
});

export const Squeeze = layoutOp((n, x) => {
  const a = x[0]!;
  const axes = intsFrom(n, x, 1, 'axes')?.map((v) => normAxis(v, a.dims.length));
  const dims = a.dims.filter((d, i) => (axes ? !axes.includes(i) : d !== 1));
  return [withDims(a, dims)];
}, [1]);

export const Unsqueeze = layoutOp((n, x) => {
  const a = x[0]!;
  const ax = intsFrom(n, x, 1, 'axes') ?? [];
  const rank = a.dims.length + ax.length;
  const set = new Set(ax.map((v) => normAxis(v, rank)));
  const dims: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) dims.push(set.has(i) ? 1 : a.dims[j++]);
  return [withDims(a, dims)];
}, [1]);

function concatT(xs: Tensor[], axis: number): Tensor {
  const rank = xs[0].dims.length;
  const a = normAxis(axis, rank);
  const dims = xs[0].dims.slice();
  dims[a] = xs.reduce((s, t) => s + t.dims[a], 0);
  const outer = sizeOf(dims.slice(0, a));
  const inner = sizeOf(dims.slice(a + 1));
  const out = new Float64Array(sizeOf(dims));
  let o = 0;
  for (let i = 0; i < outer; i++)
    for (const t of xs) {
      const len = t.dims[a] * inner;
      out.set(t.data.subarray(i * len, (i + 1) * len), o);
      o += len;
    }
  return { dims, data: out, dtype: xs[0].dtype };
}

export const Concat: OpDef = {
  layout: true,
  float: (n, x) => [concatT(x.filter((t): t is Tensor => !!t && sizeOf(t.dims) > 0 || (!!t && t.dims.length > 0)), attrInt(n, 'axis', 0))],
  lower(q, n) {
    const act = n.inputs.map((nm, i) => (nm !== '' && !q.isConst(nm) ? i : -1)).filter((i) => i >= 0);
    // constants are materialised as activations at the common scale
    for (const i of n.inputs.keys()) if (n.inputs[i] !== '' && q.isConst(n.inputs[i])) q.constAsAct(n.inputs[i], n);
    lowerLayout(q, n, Concat, n.inputs.map((nm, i) => (nm !== '' ? i : -1)).filter((i) => i >= 0));
    void act;
  },
};

export function sliceT(n: { attrs: Record<string, unknown> }, x: (Tensor | undefined)[], opset: number): Tensor {
  const a = x[0]!;
  const rank = a.dims.length;
  const nn = n as Parameters<typeof intsFrom>[0];
  const starts = opset >= 10 ? intsFrom(nn, x, 1, '_') ?? [] : attrInts(nn, 'starts') ?? [];
  const ends = opset >= 10 ? intsFrom(nn, x, 2, '_') ?? [] : attrInts(nn, 'ends') ?? [];
  const axes = (opset >= 10 ? intsFrom(nn, x, 3, '_') : attrInts(nn, 'axes')) ?? starts.map((_, i) => i);
  const steps = (opset >= 10 ? intsFrom(nn, x, 4, '_') : undefined) ?? starts.map(() => 1);
  const st = a.dims.map(() => 0);
  const sp = a.dims.map(() => 1);
  const cnt = a.dims.slice();
  axes.forEach((ax0, i) => {
    const ax = normAxis(ax0, rank);
    const d = a.dims[ax];
    const step = steps[i];
    if (step === 0) throw new Error('slice step 0');
    let s = starts[i];
    let e = ends[i];
    if (s < 0) s += d;
    if (e < 0) e += d;
    if (step > 0) {
      s = Math.max(0, Math.min(d, s));
      e = Math.max(0, Math.min(d, e));
      cnt[ax] = Math.max(0, Math.ceil((e - s) / step));
    } else {
      s = Math.max(-1, Math.min(d - 1, s));
      e = Math.max(-1, Math.min(d - 1, e));
      cnt[ax] = Math.max(0, Math.ceil((e - s) / step));
    }
    st[ax] = s;
    sp[ax] = step;
  });
  const str = stridesOf(a.dims);
  const out = new Float64Array(sizeOf(cnt));
  const idx = cnt.map(() => 0);
  for (let i = 0; i < out.length; i++) {
    let off = 0;
    for (let k = 0; k < rank; k++) off += (st[k] + idx[k] * sp[k]) * str[k];
    out[i] = a.data[off];
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k] < cnt[k]) break;
      idx[k] = 0;
    }
  }
  return { dims: cnt, data: out, dtype: a.dtype };
}

export const Slice = layoutOp((n, x, opset) => [sliceT(n, x, opset)], [1, 2, 3, 4]);

export function padT(n: Parameters<typeof intsFrom>[0], x: (Tensor | undefined)[], opset: number, fillIndex = false): Tensor {
  const a = x[0]!;
  const rank = a.dims.length;
  let pads = opset >= 11 ? intsFrom(n, x, 1, '_') ?? [] : attrInts(n, 'pads') ?? [];
  const mode = attrStr(n, 'mode', 'constant');
  const cval = fillIndex ? 0 : opset >= 11 ? x[2]?.data[0] ?? 0 : attrFloat(n, 'value', 0);
  const axesIn = opset >= 18 ? intsFrom(n, x, 3, '_') : undefined;
  if (axesIn) {
    const full = new Array<number>(2 * rank).fill(0);
    axesIn.forEach((ax0, i) => {
      const ax = normAxis(ax0, rank);
      full[ax] = pads[i];
      full[ax + rank] = pads[i + axesIn.length];
    });
    pads = full;
  }
  const dims = a.dims.map((d, i) => d + pads[i] + pads[i + rank]);
  const str = stridesOf(a.dims);
  const out = new Float64Array(sizeOf(dims));
  const idx = dims.map(() => 0);
  for (let i = 0; i < out.length; i++) {
    let off = 0;
    let inside = true;
    for (let k = 0; k < rank; k++) {
      let p = idx[k] - pads[k];
      const d = a.dims[k];
      if (p < 0 || p >= d) {
        if (mode === 'constant') inside = false;
        else if (mode === 'edge') p = p < 0 ? 0 : d - 1;
        else if (mode === 'reflect') {
          const period = 2 * (d - 1);
          p = period === 0 ? 0 : ((p % period) + period) % period;
          if (p >= d) p = period - p;
        } else if (mode === 'wrap') p = ((p % d) + d) % d;
        else throw new Error(`pad mode '${mode}' is not supported`);
      }
      off += p * str[k];
    }
    out[i] = inside ? a.data[off] : cval;
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k] < dims[k]) break;
      idx[k] = 0;
    }
  }
  return { dims, data: out, dtype: a.dtype };
}

export const Pad: OpDef = {
  params: [1, 2, 3],
  layout: true,
  float: (n, x, opset) => [padT(n, x, opset)],
  lower(q, n) {
    const cval = q.opset >= 11 ? (n.inputs[2] ? q.constant(n.inputs[2]).data[0] : 0) : attrFloat(n, 'value', 0);
    const def: OpDef = { float: (nn, x, opset) => [padT(nn, x, opset, true)] };
    lowerLayout(q, n, def, [0], cval);
  },
};

export const Split: OpDef = {
  params: [1],
  layout: true,
  float(n, x, opset) {
    const a = x[0]!;
    const ax = normAxis(attrInt(n, 'axis', 0), a.dims.length);
    const d = a.dims[ax];
    let parts = opset >= 13 ? intsFrom(n, x, 1, '_') : attrInts(n, 'split');
    if (!parts) {
      const k = attrInt(n, 'num_outputs', n.outputs.length);
      const size = Math.ceil(d / k);
      parts = Array.from({ length: k }, (_, i) => Math.max(0, Math.min(size, d - i * size)));
    }
    let s = 0;
    return parts.map((len) => {
      const starts = Float64Array.of(s);
      const ends = Float64Array.of(s + len);
      s += len;
      const t = (v: Float64Array): Tensor => ({ dims: [1], data: v, dtype: 7 });
      return sliceT({ attrs: {} }, [a, t(starts), t(ends), t(Float64Array.of(ax))], 13);
    });
  },
  lower(q, n) {
    lowerLayout(q, n, Split, [0]);
  },
};

export const Expand = layoutOp((n, x) => {
  const a = x[0]!;
  const shape = intsFrom(n, x, 1, '_')!;
  const dims = broadcastShape(a.dims, shape);
  const map = broadcastIndex(a.dims, dims);
  return [{ dims, data: Float64Array.from(map, (m) => a.data[m]), dtype: a.dtype }];
}, [1]);

export const Tile = layoutOp((n, x) => {
  const a = x[0]!;
  const reps = intsFrom(n, x, 1, '_')!;
  const dims = a.dims.map((d, i) => d * reps[i]);
  const str = stridesOf(a.dims);
  const out = new Float64Array(sizeOf(dims));
  const idx = dims.map(() => 0);
  for (let i = 0; i < out.length; i++) {
    let off = 0;
    for (let k = 0; k < dims.length; k++) off += (idx[k] % a.dims[k]) * str[k];
    out[i] = a.data[off];
    for (let k = dims.length - 1; k >= 0; k--) {
      if (++idx[k] < dims[k]) break;
      idx[k] = 0;
    }
  }
  return [{ dims, data: out, dtype: a.dtype }];
}, [1]);

const gatherLayout = layoutOp((n, x) => {
  const a = x[0]!;
  const ind = x[1]!;
  const ax = normAxis(attrInt(n, 'axis', 0), a.dims.length);
  const outer = sizeOf(a.dims.slice(0, ax));
  const d = a.dims[ax];
  const inner = sizeOf(a.dims.slice(ax + 1));
  const dims = [...a.dims.slice(0, ax), ...ind.dims, ...a.dims.slice(ax + 1)];
  const out = new Float64Array(sizeOf(dims));
  let o = 0;
  for (let i = 0; i < outer; i++)
    for (let j = 0; j < ind.data.length; j++) {
      let k = ind.data[j];
      if (k < 0) k += d;
      if (k < 0 || k >= d) throw new Error(`index ${ind.data[j]} out of range for axis of size ${d}`);
      for (let r = 0; r < inner; r++) out[o++] = a.data[(i * d + k) * inner + r];
    }
  return [{ dims, data: out, dtype: a.dtype }];
}, [1]);

/**
 * Gather: with constant indices a layout copy; with run-time integer indices into a constant
 * matrix, an embedding lookup (`embedding.ts`).
 */
export const Gather: OpDef = {
  layout: true,
  float: gatherLayout.float,
  lower(q, n) {
    if (q.isConst(n.inputs[1])) gatherLayout.lower!(q, n);
    else if (q.isConst(n.inputs[0])) lowerEmbedding(q, n);
    else throw new Error('Gather of an activation at run-time indices is not supported (only a constant table, an embedding, or constant indices)');
  },
};

function d2s(x: Tensor, b: number, mode: string, inverse: boolean): Tensor {
  const [N, C, H, W] = x.dims;
  if (!inverse) {
    const c = C / (b * b);
    const t = mode === 'CRD' ? { dims: [N, c, b, b, H, W], perm: [0, 1, 4, 2, 5, 3] } : { dims: [N, b, b, c, H, W], perm: [0, 3, 4, 1, 5, 2] };
    const y = transposeT({ ...x, dims: t.dims }, t.perm);
    return { ...y, dims: [N, c, H * b, W * b] };
  }
  const y = transposeT({ ...x, dims: [N, C, H / b, b, W / b, b] }, [0, 3, 5, 1, 2, 4]);
  return { ...y, dims: [N, C * b * b, H / b, W / b] };
}
export const DepthToSpace = layoutOp((n, x) => [d2s(x[0]!, attrInt(n, 'blocksize', 1), attrStr(n, 'mode', 'DCR'), false)]);
export const SpaceToDepth = layoutOp((n, x) => [d2s(x[0]!, attrInt(n, 'blocksize', 1), 'DCR', true)]);

function resizeNearest(n: Parameters<typeof intsFrom>[0], x: (Tensor | undefined)[], opset: number, upsample: boolean): Tensor {
  const a = x[0]!;
  const mode = attrStr(n, 'mode', 'nearest');
  if (mode !== 'nearest') throw new Error(`resize mode '${mode}' is not supported (only nearest)`);
  let scales: number[] | undefined;
  let sizes: number[] | undefined;
  if (upsample) scales = opset >= 9 ? Array.from(x[1]!.data) : (n.attrs.scales as number[]);
  else {
    const sT = opset >= 11 ? x[2] : x[1];
    if (sT && sT.data.length) scales = Array.from(sT.data);
    if (opset >= 11 && x[3] && x[3].data.length) sizes = Array.from(x[3].data);
  }
  const dims = sizes ?? a.dims.map((d, i) => Math.floor(d * scales![i]));
  const sc = a.dims.map((d, i) => (sizes ? dims[i] / d : scales![i]));
  const ctm = attrStr(n, 'coordinate_transformation_mode', upsample || opset < 11 ? 'asymmetric' : 'half_pixel');
  const nm = attrStr(n, 'nearest_mode', upsample || opset < 11 ? 'floor' : 'round_prefer_floor');
  const str = stridesOf(a.dims);
  const out = new Float64Array(sizeOf(dims));
  const idx = dims.map(() => 0);
  for (let i = 0; i < out.length; i++) {
    let off = 0;
    for (let k = 0; k < dims.length; k++) {
      const o = idx[k];
      let c: number;
      if (ctm === 'asymmetric') c = o / sc[k];
      else if (ctm === 'half_pixel' || ctm === 'pytorch_half_pixel') c = dims[k] === 1 && ctm === 'pytorch_half_pixel' ? 0 : (o + 0.5) / sc[k] - 0.5;
      else if (ctm === 'align_corners') c = dims[k] === 1 ? 0 : (o * (a.dims[k] - 1)) / (dims[k] - 1);
      else throw new Error(`coordinate_transformation_mode '${ctm}' is not supported`);
      let p: number;
      if (nm === 'floor') p = Math.floor(c);
      else if (nm === 'ceil') p = Math.ceil(c);
      else if (nm === 'round_prefer_ceil') p = Math.floor(c + 0.5);
      else p = Math.ceil(c - 0.5);
      p = Math.max(0, Math.min(a.dims[k] - 1, p));
      off += p * str[k];
    }
    out[i] = a.data[off];
    for (let k = dims.length - 1; k >= 0; k--) {
      if (++idx[k] < dims[k]) break;
      idx[k] = 0;
    }
  }
  return { dims, data: out, dtype: a.dtype };
}
export const Resize = layoutOp((n, x, opset) => [resizeNearest(n, x, opset, false)], [1, 2, 3]);
export const Upsample = layoutOp((n, x, opset) => [resizeNearest(n, x, opset, true)], [1]);

/** Where: element-wise select; with a constant condition it is a copy relation over (X, Y). */
export const Where: OpDef = {
  float(_n, x) {
    const [c, a, b] = x as Tensor[];
    const dims = broadcastShape(c.dims, a.dims, b.dims);
    const cm = broadcastIndex(c.dims, dims);
    const am = broadcastIndex(a.dims, dims);
    const bm = broadcastIndex(b.dims, dims);
    const out = new Float64Array(sizeOf(dims));
    for (let i = 0; i < out.length; i++) out[i] = c.data[cm[i]] ? a.data[am[i]] : b.data[bm[i]];
    return [{ dims, data: out, dtype: a.dtype }];
  },
  lower(q, n) {
    for (const i of [1, 2]) if (q.isConst(n.inputs[i])) q.constAsAct(n.inputs[i], n);
    if (q.isConst(n.inputs[0])) {
      lowerLayout(q, n, Where, [1, 2]);
      return;
    }
    // data-dependent select: y = c ≠ 0 ? a : b, operands at a common exponent
    const c = q.act(n.inputs[0]);
    const a = q.act(n.inputs[1]);
    const b = q.act(n.inputs[2]);
    const e = Math.min(a.exp, b.exp);
    const an = q.rescaled(n.inputs[1], e, n);
    const bn = q.rescaled(n.inputs[2], e, n);
    const out = n.outputs[0];
    const od = q.dims(out);
    const m = (d: number[]) => (d.length === od.length && d.every((v, i) => v === od[i]) ? null : broadcastIndex(d, od));
    q.emit(
      { kind: 'sum', name: n.name, op: n.opType, inputs: [c.name, an, bn], output: out, bound: 512, maps: [m(c.dims), m(a.dims), m(b.dims)], mult: [1, 1, 1], div: 1, mode: 'select' },
      { dims: od, exp: e, lo: -128, hi: 127 },
    );
  },
};
