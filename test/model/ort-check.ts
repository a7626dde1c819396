/**
 * Test helper: a generated model checked against onnxruntime, two ways. The float reference of
 * our prepared (unrolled) graph must equal onnxruntime's outputs to float32 rounding, and the
 * quantized integer model must be within the accuracy tolerance of `bench:accuracy`
 * (`withinTolerance`). When onnxruntime-node does not load, `ort` is null and callers skip with
 * a message.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { compileOnnx, compare, withinTolerance } from '../../src/quantize/compile.js';
import { runFloat } from '../../src/model/prepare.js';
import { runQuantized } from '../../src/quantize/infer.js';
import { DT } from '../../src/model/onnx-proto.js';
import type { Tensor } from '../../src/model/tensor.js';

type Ort = typeof import('onnxruntime-node');

function load(): Ort | null {
  try {
    return createRequire(import.meta.url)('onnxruntime-node') as Ort;
  } catch {
    return null;
  }
}
export const ort = load();
export const NO_ORT = 'onnxruntime-node does not load here: the onnxruntime comparison is skipped';

/** onnxruntime's outputs for float inputs given by shape and values. */
export async function runOrt(bytes: Uint8Array, inputs: Record<string, { dims: number[]; data: ArrayLike<number> }>): Promise<Map<string, Tensor>> {
  const sess = await ort!.InferenceSession.create(bytes);
  const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
  for (const [k, v] of Object.entries(inputs)) feeds[k] = new ort!.Tensor('float32', Float32Array.from(v.data), v.dims);
  const out = await sess.run(feeds);
  const res = new Map<string, Tensor>();
  for (const [k, v] of Object.entries(out)) res.set(k, { dims: v.dims.slice() as number[], data: Float64Array.from(v.data as ArrayLike<number>), dtype: DT.FLOAT });
  return res;
}

/**
 * Compiles `bytes` calibrated on `inputs`, and asserts: every output of onnxruntime (or of `ref0`,
 * onnxruntime's outputs of an equivalent model) has the same
 * shape in our float reference and agrees within `floatTol` (absolute), and the integer model is
 * within tolerance of onnxruntime. Returns the compile result and the worst relative L2 error.
 */
export async function checkAgainstOrt(bytes: Uint8Array, inputs: Record<string, { dims: number[]; data: ArrayLike<number> }>, ref0?: Map<string, Tensor>, floatTol = 1e-5) {
  const ref = ref0 ?? (await runOrt(bytes, inputs));
  const sample = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, Array.from(v.data)]));
  const r = compileOnnx(bytes, [sample]);
  const feed = new Map(Object.entries(inputs).map(([k, v]): [string, Tensor] => [k, { dims: v.dims, data: Float64Array.from(Float32Array.from(v.data)), dtype: DT.FLOAT }]));
  const ours = runFloat(r.prepared, feed);
  for (const [name, t] of ref) {
    const f = ours.get(name);
    assert.ok(f, `no output '${name}' in our graph`);
    assert.deepEqual(f.dims, t.dims, `output '${name}': shape`);
    let err = 0;
    for (let i = 0; i < t.data.length; i++) err = Math.max(err, Math.abs(f.data[i] - t.data[i]));
    assert.ok(err <= floatTol, `output '${name}': float reference differs from onnxruntime by ${err}`);
  }
  const q = runQuantized(r.model, Object.fromEntries([...feed].map(([k, v]) => [k, v.data])), { strict: false });
  let worst = 0;
  for (const o of q.outputs) {
    const t = ref.get(o.name)!;
    const cmp = compare(t.data, o.values, 2 ** -o.exp);
    const refMax = t.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert.ok(withinTolerance(cmp, refMax), `output '${o.name}': integer model outside tolerance (rel. L2 ${cmp.relL2.toFixed(4)}, max abs ${cmp.maxAbs.toFixed(4)}, step ${cmp.step})`);
    worst = Math.max(worst, cmp.relL2);
  }
  return { ...r, worst };
}
