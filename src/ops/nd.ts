/**
 * GatherND and ScatterND (TensorFlow exports and index-tuple selections). Each index is a tuple
 * addressing a slice of data: GatherND copies the addressed slices out, ScatterND writes update
 * slices over a copy of data. With constant indices (and ScatterND's reduction 'none') both are pure
 * data movement: their integer semantics is the gather map that these float references give on
 * index tensors (`common.ts` `lowerLayout`), proven by the copy relation like any layout op.
 *
 * Indices computed at run time are expanded before folding. Each coordinate c_j of a tuple is looked
 * up in the int64 table of its positions [0, d_j) (the indexed lookup range-checks it, `embedding.ts`,
 * so a negative or out-of-range coordinate is a run-time error, never a wrong slice), and the tuple
 * becomes the exact int64 flat index f = Σ_j c_j·stride_j over the K = Π_j d_j addressed slices:
 *   GatherND:  data as [B, K, S] (B the batch dimensions, S the slice), f as [B, T, S], then
 *              GatherElements along the K axis (its run-time selection, `GatherElements.ts`, K ≤ 128);
 *   ScatterND: data as [K, S]; for every update tuple t in order, y = Where(f_t = [0 … K−1], u_t, y),
 *              so a later tuple overrides an earlier one (onnxruntime's order; ONNX leaves duplicate
 *              indices undefined). T·K·S ≤ 2^20 selected entries.
 * A ScatterND reduction on activations is refused, naming it.
 */
import type { Node } from '../model/graph.js';
import { NodeBuilder } from '../model/builder.js';
import { DT } from '../model/onnx-proto.js';
import { sizeOf, stridesOf, type Tensor } from '../model/tensor.js';
import { lowerLayout } from './common.js';
import { attrInt, attrStr, type ExpandContext, type OpDef } from './op.js';

/** Most entries a run-time ScatterND selects over (T tuples × K slices × S entries each). */
export const MAX_SCATTER_SELECT = 1 << 20;

/** The row-major offset of the slice that index tuple `idx` (k entries) addresses in `dims`, or throws. */
function sliceOffset(dims: number[], idx: ArrayLike<number>, first: number, k: number, what: string): number {
  let off = 0;
  for (let j = 0; j < k; j++) {
    const d = dims[first + j];
    let v = Math.trunc(idx[j]);
    if (v < 0) v += d;
    if (!(v >= 0 && v < d)) throw new Error(`${what}: index ${idx[j]} is out of range for dimension ${first + j} of size ${d}`);
    off = off * d + v;
  }
  return off;
}

/** The index tuples of `ind` (its last axis, k entries each), and the shape they are laid out in. */
function tuples(ind: Tensor, maxK: number, what: string): { k: number; outer: number[]; at: (p: number) => Float64Array } {
  const q = ind.dims.length;
  if (q < 1) throw new Error(`${what}: indices must have rank ≥ 1, got [${ind.dims}]`);
  const k = ind.dims[q - 1];
  if (!(k >= 1 && k <= maxK)) throw new Error(`${what}: index tuples of ${k} entries, expected 1 … ${maxK}`);
  const data = Float64Array.from(ind.data);
  return { k, outer: ind.dims.slice(0, -1), at: (p) => data.subarray(p * k, (p + 1) * k) };
}

/**
 * The exact int64 flat index of every tuple of run-time `indices` (last axis k) over `dims` (the k
 * addressed dimensions), each coordinate range-checked by a lookup in its positions; shape: indices'
 * without its last axis.
 */
function flatIndex(b: NodeBuilder, indices: string, dims: number[]): string {
  const ii = b.op('Cast', [indices], { to: DT.INT64 }, undefined, 'index_int');
  const strides = stridesOf(dims);
  let flat = '';
  dims.forEach((d, j) => {
    const positions = b.ints(`positions_${j}`, [d], Array.from({ length: d }, (_, i) => i));
    const c = b.op('Gather', [positions, b.pick(ii, j, -1, `coordinate_${j}`)], { axis: 0 }, undefined, `checked_${j}`);
    const term = strides[j] === 1 ? c : b.op('Mul', [c, b.ints(`stride_${j}`, [], [strides[j]])], {}, undefined, `scaled_${j}`);
    flat = flat ? b.op('Add', [flat, term], {}, undefined, 'flat') : term;
  });
  return flat;
}

function expandGatherND(n: Node, ctx: ExpandContext): Node[] | null {
  const [data, ind] = n.inputs;
  if (ctx.consts.has(ind)) return null;
  const dd = ctx.dims(data);
  const id = ctx.dims(ind);
  if (!dd || !id) return null;
  const bd = attrInt(n, 'batch_dims', 0);
  const k = id[id.length - 1];
  if (!(bd >= 0 && k >= 1 && bd + k <= dd.length) || id.slice(0, bd).join() !== dd.slice(0, bd).join()) throw new Error(`indices [${id}] (batch_dims ${bd}) do not address data [${dd}]`);
  const B = sizeOf(dd.slice(0, bd));
  const K = sizeOf(dd.slice(bd, bd + k));
  const sliceDims = dd.slice(bd + k);
  const S = sizeOf(sliceDims);
  const outer = id.slice(0, -1);
  const T = sizeOf(outer.slice(bd));
  const b = new NodeBuilder(ctx, n.name);
  const flat = flatIndex(b, ind, dd.slice(bd, bd + k));
  const data3 = b.op('Reshape', [data, b.ints('data_shape', [3], [B, K, S])], {}, undefined, 'data3');
  let at = b.op('Reshape', [flat, b.ints('index_shape', [3], [B, T, 1])], {}, undefined, 'index3');
  if (S > 1) at = b.op('Expand', [at, b.ints('index_expand', [3], [B, T, S])], {}, undefined, 'index_slices');
  const picked = b.op('GatherElements', [data3, at], { axis: 1 }, undefined, 'picked');
  b.op('Reshape', [picked, b.ints('out_shape', [outer.length + sliceDims.length], [...outer, ...sliceDims])], {}, n.outputs[0]);
  return b.nodes;
}

function expandScatterND(n: Node, ctx: ExpandContext): Node[] | null {
  const [data, ind, upd] = n.inputs;
  if (ctx.consts.has(ind)) return null;
  const red = attrStr(n, 'reduction', 'none');
  if (red !== 'none') throw new Error(`reduction '${red}' with run-time indices is not supported (only 'none')`);
  const dd = ctx.dims(data);
  const id = ctx.dims(ind);
  if (!dd || !id) return null;
  const k = id[id.length - 1];
  if (!(k >= 1 && k <= dd.length)) throw new Error(`indices [${id}] do not address data [${dd}]`);
  const K = sizeOf(dd.slice(0, k));
  const S = sizeOf(dd.slice(k));
  const T = sizeOf(id.slice(0, -1));
  if (T * K * S > MAX_SCATTER_SELECT) throw new Error(`indices '${ind}' are computed at run time: ${T} updates over ${K} slices of ${S} entries select among ${T * K * S} > ${MAX_SCATTER_SELECT} entries; not supported`);
  const b = new NodeBuilder(ctx, n.name);
  const flat = b.op('Reshape', [flatIndex(b, ind, dd.slice(0, k)), b.ints('index_shape', [1], [T])], {}, undefined, 'index1');
  const rows = b.op('Reshape', [upd, b.ints('update_shape', [2], [T, S])], {}, undefined, 'updates2');
  const slots = b.ints('slots', [K, 1], Array.from({ length: K }, (_, i) => i));
  let y = b.op('Reshape', [data, b.ints('data_shape', [2], [K, S])], {}, undefined, 'data2');
  for (let t = 0; t < T; t++) {
    const hit = b.op('Equal', [b.pick(flat, t, 0, `index_${t}`), slots], {}, undefined, `hits_${t}`);
    y = b.op('Where', [hit, b.pick(rows, t, 0, `update_${t}`), y], {}, undefined, 'written');
  }
  b.op('Reshape', [y, b.ints('out_shape', [dd.length], dd)], {}, n.outputs[0]);
  return b.nodes;
}

export const GatherND: OpDef = {
  expand: expandGatherND,
  params: [1],
  layout: true,
  float(n, x) {
    const a = x[0]!;
    const b = attrInt(n, 'batch_dims', 0);
    const r = a.dims.length;
    if (b < 0 || b >= r) throw new Error(`batch_dims = ${b} must be in [0, ${r})`);
    const t = tuples(x[1]!, r - b, 'GatherND');
    if (t.outer.length < b || t.outer.slice(0, b).join() !== a.dims.slice(0, b).join()) throw new Error(`the first ${b} dimensions of indices [${x[1]!.dims}] must equal data's [${a.dims}]`);
    const sliceDims = a.dims.slice(b + t.k);
    const slice = sizeOf(sliceDims);
    const perBatch = sizeOf(a.dims.slice(b));
    const tuplesPerBatch = sizeOf(t.outer.slice(b));
    const count = sizeOf(t.outer);
    const out = new Float64Array(count * slice);
    for (let p = 0; p < count; p++) {
      const base = Math.floor(p / tuplesPerBatch) * perBatch + sliceOffset(a.dims, t.at(p), b, t.k, 'GatherND') * slice;
      out.set(a.data.subarray(base, base + slice), p * slice);
    }
    return [{ dims: [...t.outer, ...sliceDims], data: out, dtype: a.dtype }];
  },
  lower(q, n) {
    lowerLayout(q, n, GatherND, [0]);
  },
};

export const ScatterND: OpDef = {
  expand: expandScatterND,
  params: [1],
  layout: true,
  float(n, x) {
    const a = x[0]!;
    const upd = x[2]!;
    const red = attrStr(n, 'reduction', 'none');
    const t = tuples(x[1]!, a.dims.length, 'ScatterND');
    const sliceDims = a.dims.slice(t.k);
    const want = [...t.outer, ...sliceDims];
    if (upd.dims.join() !== want.join()) throw new Error(`updates have shape [${upd.dims}], expected [${want}] (indices [${x[1]!.dims}], data [${a.dims}])`);
    const slice = sizeOf(sliceDims);
    const out = Float64Array.from(a.data);
    for (let p = 0; p < sizeOf(t.outer); p++) {
      const base = sliceOffset(a.dims, t.at(p), 0, t.k, 'ScatterND') * slice;
      for (let e = 0; e < slice; e++) {
        const o = out[base + e];
        const u = upd.data[p * slice + e];
        out[base + e] = red === 'add' ? o + u : red === 'mul' ? o * u : red === 'max' ? Math.max(o, u) : red === 'min' ? Math.min(o, u) : u;
      }
    }
    return [{ dims: a.dims.slice(), data: out, dtype: a.dtype }];
  },
  lower(q, n) {
    const red = attrStr(n, 'reduction', 'none');
    if (red !== 'none') throw new Error(`reduction '${red}' on activations is not supported (only 'none', a pure data movement)`);
    // one side constant: make it an int8 activation so both go through the same gather
    for (const i of [0, 2]) if (q.isConst(n.inputs[i])) q.constAsAct(n.inputs[i], n);
    lowerLayout(q, n, ScatterND, [0, 2]);
  },
};
