/**
 * Gather with run-time indices on a constant matrix: the embedding y[t, ·] = E[idx[t], ·] (token
 * embeddings on int64 ids, GPT-2's `wte`/`wpe` pattern), ONNX Gather(data = E[V, d], indices,
 * axis = 0) with any indices shape (y has shape indices.shape ++ [d]); a 1-D table E[V] is E[V, 1]
 * followed by a copy to indices.shape.
 *
 * Integer semantics: E is quantized once, per tensor, to int8 at the largest exponent that holds
 * its max |value| (the rule constants use, `Lowering.constAsAct`), so each output row is a row of
 * the quantized E exactly and y carries E's exponent. The indices are an integer tensor
 * (exponent 0: an integer model input, `quantize/quantize.ts`), or are made one by the table of
 * Cast to int64 (`unary.ts`) when arithmetic gave them a scale; an index outside [0, V) is a
 * run-time error (ONNX's negative indices are refused: token ids are never negative).
 * Proof: an indexed lookup into the committed parameter E (`proofs/embedding.ts`).
 */
import type { Node } from '../model/graph.js';
import { normAxis } from '../model/tensor.js';
import type { EmbedLayer } from '../quantize/layers.js';
import { expForMax, quantizeAt, type Lowering } from '../quantize/lowering.js';
import { QHI, QLO } from './common.js';
import { attrInt } from './op.js';
import { lowerIntCast } from './unary.js';
import { DT } from '../model/onnx-proto.js';

/** Lowers Gather(E const, idx activation) to an `embed` layer (see the header). */
export function lowerEmbedding(q: Lowering, n: Node): void {
  const E0 = q.constant(n.inputs[0]);
  if (E0.dims.length !== 2 && E0.dims.length !== 1) throw new Error(`Gather with run-time indices needs a 1-D table [V] or a 2-D data matrix [V, d], got [${E0.dims}]`);
  // a 1-D table (class labels: Greater → Cast → Gather) is the matrix [V, 1], its rows copied back to indices.shape
  const flat = E0.dims.length === 1;
  const E = flat ? { ...E0, dims: [E0.dims[0], 1] } : E0;
  if (normAxis(attrInt(n, 'axis', 0), 2) !== 0) throw new Error('Gather with run-time indices is supported on axis 0 only (an embedding lookup)');
  let idx = q.act(n.inputs[1]);
  if (idx.exp !== 0) {
    // indices computed by arithmetic (tree ensembles: 2·node + branch) carry a calibrated scale: their integer value is a table away
    const int = q.fresh(`${n.inputs[1]}:int`);
    lowerIntCast(q, { ...n, name: `${n.name}/index`, opType: 'Cast', inputs: [n.inputs[1]], outputs: [int] }, DT.INT64);
    idx = q.act(int);
  }
  const [V, d] = E.dims;
  const e = expForMax(E.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0), 1);
  const table = Int8Array.from(quantizeAt(E.data, e), (v) => Math.max(QLO, Math.min(QHI, v)));
  const rows = flat ? q.fresh(`${n.outputs[0]}:rows`) : n.outputs[0];
  const L: EmbedLayer = { kind: 'embed', name: flat ? `${n.name}/rows` : n.name, op: n.opType, inputs: [idx.name], output: rows, bound: 2 * V, V, d, table };
  q.emit(L, { dims: [...idx.dims, d], exp: e, lo: QLO, hi: QHI });
  if (!flat) return;
  const map = Int32Array.from({ length: idx.dims.reduce((a, b) => a * b, 1) }, (_, k) => k);
  q.emit({ kind: 'gather', name: n.name, op: n.opType, inputs: [rows], output: n.outputs[0], bound: 256, map, fill: 0 }, { dims: idx.dims, exp: e, lo: QLO, hi: QHI });
}

/** out[t·d + j] = table[idx[t]·d + j]; returns the first position whose index is outside [0, V), or −1. */
export function embedKernel(L: EmbedLayer, idx: Int32Array, out: Int32Array): number {
  const { V, d, table } = L;
  for (let t = 0; t < idx.length; t++) {
    const v = idx[t];
    if (!(v >= 0 && v < V)) return t;
    for (let j = 0; j < d; j++) out[t * d + j] = table[v * d + j];
  }
  return -1;
}
