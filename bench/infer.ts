/**
 * bench:infer — integer inference (the prover's witness generator) against onnxruntime's float
 * inference on the same model. Builds two models in code: an MLP (1024 → 1024 → Relu → 10, about
 * 1.06M multiply-adds) and a small CNN (three 3×3 convolutions on 3×32×32, about 1.8M), compiles
 * them with calibration on a few deterministic inputs, and reports the median wall time of
 * `runQuantized` (input quantization, every layer, range checks, dequantized outputs) against the
 * median of onnxruntime-node's `session.run` (one thread, batch 1). Prints a table, then one JSON
 * line per model as the last lines of output.
 *
 *   npm run bench:infer -- [--runs 51] [--filter mlp] [--kernels auto|js]
 *
 * `--kernels js` times the linear layers' JS int32 loops instead of the WebAssembly SIMD kernels.
 */
import { createRequire } from 'node:module';
import { buildModel, ftensor, node, rand, mlp } from '../test/model/onnx-builder.js';
import { compileOnnx } from '../src/quantize/compile.js';
import { runQuantized } from '../src/quantize/infer.js';
import type { QuantizedModel } from '../src/quantize/layers.js';
import { setLinearBackend } from '../src/ops/kernels/linear.js';
import { arg, median, nowMs } from './util.js';

type Ort = typeof import('onnxruntime-node');

const RUNS = Number(arg('--runs', '51'));
const FILTER = arg('--filter', '');
const WARMUP = 10;
const KERNELS = arg('--kernels', 'auto');
if (KERNELS !== 'auto' && KERNELS !== 'js') throw new Error(`--kernels: expected auto or js, got ${KERNELS}`);
setLinearBackend(KERNELS);

/** Conv(3→16) → Relu → MaxPool 2 → Conv(16→32) → Relu → MaxPool 2 → Conv(32→32, stride 2) → Relu → GAP → Gemm(32→10). */
function cnn(): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dims: [1, 3, 32, 32] }],
    outputs: ['y'],
    nodes: [
      node('Conv', ['x', 'k1', 'c1'], ['a'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv1'),
      node('Relu', ['a'], ['ar'], {}, 'relu1'),
      node('MaxPool', ['ar'], ['p1'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool1'),
      node('Conv', ['p1', 'k2', 'c2'], ['b'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv2'),
      node('Relu', ['b'], ['br'], {}, 'relu2'),
      node('MaxPool', ['br'], ['p2'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool2'),
      node('Conv', ['p2', 'k3', 'c3'], ['c'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 'conv3'),
      node('Relu', ['c'], ['cr'], {}, 'relu3'),
      node('GlobalAveragePool', ['cr'], ['g'], {}, 'gap'),
      node('Flatten', ['g'], ['f'], {}, 'flatten'),
      node('Gemm', ['f', 'wf', 'bf'], ['y'], { transB: 1 }, 'fc'),
    ],
    inits: [
      ftensor('k1', [16, 3, 3, 3], rand(16 * 27, 11, 0.3)),
      ftensor('c1', [16], rand(16, 12, 0.1)),
      ftensor('k2', [32, 16, 3, 3], rand(32 * 144, 13, 0.1)),
      ftensor('c2', [32], rand(32, 14, 0.1)),
      ftensor('k3', [32, 32, 3, 3], rand(32 * 288, 15, 0.08)),
      ftensor('c3', [32], rand(32, 16, 0.1)),
      ftensor('wf', [10, 32], rand(320, 17, 0.3)),
      ftensor('bf', [10], rand(10, 18, 0.1)),
    ],
  });
}

/** Multiply-adds of the linear layers of a compiled model. */
export function macsOf(m: QuantizedModel): number {
  const size = new Map(m.tensors.map((t) => [t.name, t.dims.reduce((a, b) => a * b, 1)]));
  let macs = 0;
  for (const L of m.layers) {
    if (L.kind === 'gemm') macs += size.get(L.output)! * L.K;
    else if (L.kind === 'conv') macs += size.get(L.output)! * (L.C / L.group) * L.KH * L.KW;
    else if (L.kind === 'matmul') macs += L.aOff.length * L.M * L.K * L.N;
  }
  return macs;
}

function loadOrt(): Ort | null {
  try {
    return createRequire(import.meta.url)('onnxruntime-node') as Ort;
  } catch {
    return null;
  }
}

interface Row {
  model: string;
  macs: number;
  intMs: number;
  ortMs: number | null;
  ratio: number | null;
}

async function benchModel(ort: Ort | null, name: string, bytes: Uint8Array, dims: number[]): Promise<Row> {
  const n = dims.reduce((a, b) => a * b, 1);
  const samples = [1, 2, 3, 4].map((s) => ({ x: rand(n, 100 + s, 1) }));
  const { model } = compileOnnx(bytes, samples);
  const x = samples[0].x;
  const ts: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const t0 = nowMs();
    runQuantized(model, { x });
    if (i >= WARMUP) ts.push(nowMs() - t0);
  }
  const intMs = median(ts);
  let ortMs: number | null = null;
  if (ort) {
    const sess = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
    const feeds = { x: new ort.Tensor('float32', Float32Array.from(x), dims) };
    const to: number[] = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const t0 = nowMs();
      await sess.run(feeds);
      if (i >= WARMUP) to.push(nowMs() - t0);
    }
    ortMs = median(to);
    await sess.release();
  }
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  return { model: name, macs: macsOf(model), intMs: r3(intMs), ortMs: ortMs === null ? null : r3(ortMs), ratio: ortMs === null ? null : Math.round((intMs / ortMs) * 10) / 10 };
}

async function main(): Promise<void> {
  const ort = loadOrt();
  if (!ort) console.log('# onnxruntime-node did not load: integer times only');
  const models: [string, () => Uint8Array, number[]][] = [
    ['mlp-1024-1024-10', () => mlp(1024, 1024, 10), [1, 1024]],
    ['cnn-3x32x32', cnn, [1, 3, 32, 32]],
  ];
  const rows: Row[] = [];
  for (const [name, build, dims] of models) {
    if (FILTER && !name.includes(FILTER)) continue;
    rows.push(await benchModel(ort, name, build(), dims));
  }
  console.log(`# median of ${RUNS} runs after ${WARMUP} warm-up runs; linear kernels: ${KERNELS === 'js' ? 'JS int32' : 'WebAssembly SIMD where available'}; onnxruntime: float32, 1 thread`);
  console.log(`${'model'.padEnd(20)} ${'MACs'.padStart(10)} ${'integer ms'.padStart(11)} ${'ort ms'.padStart(9)} ${'ratio'.padStart(7)}`);
  for (const r of rows) {
    console.log(`${r.model.padEnd(20)} ${String(r.macs).padStart(10)} ${r.intMs.toFixed(3).padStart(11)} ${(r.ortMs?.toFixed(3) ?? '-').padStart(9)} ${(r.ratio === null ? '-' : `${r.ratio}×`).padStart(7)}`);
  }
  for (const r of rows) console.log(JSON.stringify(r));
}

main().catch((e: unknown) => {
  console.error(`bench:infer: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
