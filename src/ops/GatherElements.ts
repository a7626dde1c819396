/**
 * GatherElements: out[p] = data[p with p[axis] replaced by indices[p]] (negative indices count from
 * the end); out has the shape of indices. With constant indices it is pure data movement, so its
 * integer semantics is the gather map obtained by running this float semantics on an index tensor
 * (common.ts `layoutOp`).
 *
 * Indices computed at run time (tree ensembles exported by hummingbird pick a feature per node
 * this way) are expanded before folding into a selection over the K = data.dims[axis] candidates:
 *   i' = Gather([0, 1, …, K−1], Cast(indices, int64))   the index as an integer, looked up in the
 *                                                       table of positions: the indexed lookup
 *                                                       range-checks it in [0, K) (`embedding.ts`)
 *   out = Where(i' = 0, D_0, Where(i' = 1, D_1, … D_{K−1}))   D_k = GatherElements(data, k) (copies)
 * Exact: i' ∈ [0, K) is proven, so exactly one branch holds; an index outside [0, K) (a negative
 * one included, which ONNX would wrap) is a run-time error of the lookup. K ≤ 128 (the positions
 * are int8 integers).
 */
import type { Node } from '../model/graph.js';
import { NodeBuilder } from '../model/builder.js';
import { DT } from '../model/onnx-proto.js';
import { normAxis, sizeOf } from '../model/tensor.js';
import { elementOffsets, layoutOp } from './common.js';
import { attrInt, type ExpandContext, type OpDef } from './op.js';

/** Largest axis a run-time index selects over. */
export const MAX_SELECT = 128;

function expandRuntime(n: Node, ctx: ExpandContext): Node[] | null {
  const [data, ind] = n.inputs;
  if (ctx.consts.has(ind)) return null;
  const dd = ctx.dims(data);
  const id = ctx.dims(ind);
  if (!dd || !id) return null;
  const axis = normAxis(attrInt(n, 'axis', 0), dd.length);
  const K = dd[axis];
  if (K > MAX_SELECT) throw new Error(`indices '${ind}' are computed at run time and select over an axis of ${K} > ${MAX_SELECT} entries; not supported`);
  const b = new NodeBuilder(ctx, n.name);
  const positions = b.floats('positions', [K], Float64Array.from({ length: K }, (_, k) => k));
  const index = b.op('Gather', [positions, b.op('Cast', [ind], { to: DT.INT64 }, undefined, 'index_int')], { axis: 0 }, undefined, 'index');
  const pick = (k: number) => b.op('GatherElements', [data, b.ints(`at_${k}`, id, new Array(sizeOf(id)).fill(k))], { axis }, undefined, `candidate_${k}`);
  let y = pick(K - 1);
  for (let k = K - 2; k >= 0; k--) {
    const hit = b.op('Equal', [index, b.floats(`k_${k}`, [], Float64Array.of(k))], {}, undefined, `is_${k}`);
    y = b.op('Where', [hit, pick(k), y], {}, k === 0 ? n.outputs[0] : undefined, 'select');
  }
  if (K === 1) return [...b.nodes, { name: `${n.name}/copy`, opType: 'Identity', domain: '', inputs: [y], outputs: [n.outputs[0]], attrs: {} }];
  return b.nodes;
}

const layout = layoutOp((n, x) => {
  const a = x[0]!;
  const ind = x[1]!;
  const r = a.dims.length;
  if (ind.dims.length !== r) throw new Error(`indices have rank ${ind.dims.length}, data has rank ${r}`);
  const offs = elementOffsets(a.dims, ind, normAxis(attrInt(n, 'axis', 0), r));
  const out = Float64Array.from(offs, (off) => a.data[off]);
  return [{ dims: ind.dims.slice(), data: out, dtype: a.dtype }];
}, [1]);

export const GatherElements: OpDef = { ...layout, expand: expandRuntime };
