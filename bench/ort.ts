/**
 * onnxruntime-node for the benchmarks' float reference: loaded when installed (null otherwise, so
 * a bench can say so), and our tensors as onnxruntime tensors of their own element type.
 */
import { createRequire } from 'node:module';
import { DT } from '../src/model/onnx-proto.js';
import type { Tensor } from '../src/model/tensor.js';

export type Ort = typeof import('onnxruntime-node');

export function loadOrt(): Ort | null {
  try {
    return createRequire(import.meta.url)('onnxruntime-node') as Ort;
  } catch {
    return null;
  }
}

export function ortTensor(ort: Ort, t: Tensor): InstanceType<Ort['Tensor']> {
  switch (t.dtype) {
    case DT.INT64: return new ort.Tensor('int64', BigInt64Array.from(t.data, (v) => BigInt(v)), t.dims);
    case DT.INT32: return new ort.Tensor('int32', Int32Array.from(t.data), t.dims);
    case DT.INT8: return new ort.Tensor('int8', Int8Array.from(t.data), t.dims);
    case DT.UINT8: return new ort.Tensor('uint8', Uint8Array.from(t.data), t.dims);
    case DT.INT16: return new ort.Tensor('int16', Int16Array.from(t.data), t.dims);
    case DT.BOOL: return new ort.Tensor('bool', Uint8Array.from(t.data), t.dims);
    case DT.DOUBLE: return new ort.Tensor('float64', Float64Array.from(t.data), t.dims);
    default: return new ort.Tensor('float32', Float32Array.from(t.data), t.dims);
  }
}

/** onnxruntime's outputs of `bytes` on `feeds`, as float64 tensors by output name. */
export async function runOrt(ort: Ort, bytes: Uint8Array, feeds: Map<string, Tensor>): Promise<Map<string, Tensor>> {
  const sess = await ort.InferenceSession.create(bytes);
  const f: Record<string, InstanceType<Ort['Tensor']>> = {};
  for (const [k, t] of feeds) f[k] = ortTensor(ort, t);
  const out = await sess.run(f);
  const ref = new Map<string, Tensor>();
  for (const [k, v] of Object.entries(out)) ref.set(k, { dims: v.dims.slice() as number[], data: Float64Array.from(v.data as ArrayLike<number | bigint>, Number), dtype: DT.FLOAT });
  return ref;
}
