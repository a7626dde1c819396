/**
 * Generated benchmark models: MLPs and CNNs of fixed, documented sizes with seeded random weights,
 * built in code with `GraphWriter`, so benchmarks and tests need no downloaded model files.
 *
 * Weights are He-uniform, W ~ U(−a, a) with a = √(6 / fan_in) (Var W = 2 / fan_in), which keeps the
 * second moment of ReLU activations constant from layer to layer (He et al. 2015), so a deep stack
 * neither vanishes nor explodes and quantization sees realistic ranges; biases are U(−0.05, 0.05).
 * Inputs are uniform in [−1, 1]. Everything comes from a mulberry32 stream per model and seed, so
 * the same (name, seed) gives the same bytes.
 *
 * Parameter counts (weights + biases), pinned by test/demo/generated.test.ts:
 *   mlp-tiny   16→32→10                                                    874
 *   cnn-tiny   1×8×8: conv3×3 1→4 (pad 1), Relu, MaxPool 2, Flatten, Gemm 64→10     690
 *   mlp-4m     1024→2048→1024→10                                     4,207,626
 *   cnn-cifar  3×32×32: 3× [conv3×3 (pad 1), Relu, MaxPool 2] with channels 3→32→64→128,
 *              Flatten 2048, Gemm 2048→80, Relu, Gemm 80→10           257,978
 *              (896 + 18,496 + 73,856 conv, 163,920 + 810 dense)
 *   mlp-18m    2048→4096→2048→512→10                                17,837,578
 */
import { mulberry32 } from '../demo/digits.js';
import { decodeModelProto, num } from './onnx-proto.js';
import { GraphWriter, type Weight } from './onnx-writer.js';

export const GENERATED_MODELS = ['mlp-tiny', 'cnn-tiny', 'mlp-4m', 'cnn-cifar', 'mlp-18m'] as const;
export type GeneratedName = (typeof GENERATED_MODELS)[number];

/** The documented parameter count of each generated model. */
export const GENERATED_PARAMS: Record<GeneratedName, number> = {
  'mlp-tiny': 874,
  'cnn-tiny': 690,
  'mlp-4m': 4_207_626,
  'cnn-cifar': 257_978,
  'mlp-18m': 17_837_578,
};

export interface GeneratedModel {
  onnx: Uint8Array;
  /** sample inputs keyed by the ONNX input name (`input`), uniform in [−1, 1] */
  inputs: Record<string, number[]>[];
  /** input shape */
  inputDims: number[];
}

export interface GenerateOptions {
  /** default 1 */
  seed?: number;
  /** how many sample inputs (default 4) */
  inputCount?: number;
}

type Rnd = () => number;

function uniform(n: number, a: number, rnd: Rnd): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * rnd() - 1) * a;
  return out;
}

/** He-uniform weight of the given shape; fan-in is the product of all dims but the first. */
function he(dims: number[], rnd: Rnd): Weight {
  const fanIn = dims.slice(1).reduce((a, b) => a * b, 1);
  return { dims, data: uniform(dims.reduce((a, b) => a * b, 1), Math.sqrt(6 / fanIn), rnd) };
}

function bias(n: number, rnd: Rnd): Weight {
  return { dims: [n], data: uniform(n, 0.05, rnd) };
}

/** input [1, widths[0]] → Gemm → Relu → … → Gemm widths[last]; no Relu after the last layer. */
function mlp(widths: number[], rnd: Rnd): GraphWriter {
  const w = new GraphWriter();
  let x = w.input('input', [1, widths[0]]);
  for (let l = 1; l < widths.length; l++) {
    const last = l === widths.length - 1;
    x = w.gemm(x, he([widths[l], widths[l - 1]], rnd), bias(widths[l], rnd), last ? 'logits' : undefined);
    if (!last) x = w.relu(x);
  }
  w.output('logits', [1, widths[widths.length - 1]]);
  return w;
}

/** input [1, C, S, S] → per block conv3×3 (pad 1) + Relu + MaxPool 2 → Flatten → dense head. */
function cnn(inC: number, side: number, channels: number[], head: number[], rnd: Rnd): GraphWriter {
  const w = new GraphWriter();
  let x = w.input('input', [1, inC, side, side]);
  let c = inC;
  let s = side;
  for (const m of channels) {
    x = w.maxPool(w.relu(w.conv(x, he([m, c, 3, 3], rnd), bias(m, rnd), { pad: 1 })), 2);
    c = m;
    s /= 2;
  }
  x = w.flatten(x);
  const widths = [c * s * s, ...head];
  for (let l = 1; l < widths.length; l++) {
    const last = l === widths.length - 1;
    x = w.gemm(x, he([widths[l], widths[l - 1]], rnd), bias(widths[l], rnd), last ? 'logits' : undefined);
    if (!last) x = w.relu(x);
  }
  w.output('logits', [1, widths[widths.length - 1]]);
  return w;
}

const BUILDERS: Record<GeneratedName, { dims: number[]; build: (rnd: Rnd) => GraphWriter }> = {
  'mlp-tiny': { dims: [1, 16], build: (r) => mlp([16, 32, 10], r) },
  'cnn-tiny': { dims: [1, 1, 8, 8], build: (r) => cnn(1, 8, [4], [10], r) },
  'mlp-4m': { dims: [1, 1024], build: (r) => mlp([1024, 2048, 1024, 10], r) },
  'cnn-cifar': { dims: [1, 3, 32, 32], build: (r) => cnn(3, 32, [32, 64, 128], [80, 10], r) },
  'mlp-18m': { dims: [1, 2048], build: (r) => mlp([2048, 4096, 2048, 512, 10], r) },
};

function nameSeed(name: string, seed: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Build a generated model by name (see the table above). Throws on an unknown name. */
export function generatedModel(name: string, opts: GenerateOptions = {}): GeneratedModel {
  const b = BUILDERS[name as GeneratedName];
  if (!b) throw new Error(`generatedModel: expected one of ${GENERATED_MODELS.join(', ')}, got '${name}'`);
  const rnd = mulberry32(nameSeed(name, opts.seed ?? 1));
  const onnx = b.build(rnd).build({ name, producer: 'zkinfer-generated' });
  const n = b.dims.reduce((a, c) => a * c, 1);
  const inputs = Array.from({ length: opts.inputCount ?? 4 }, () => ({ input: Array.from(uniform(n, 1, rnd)) }));
  return { onnx, inputs, inputDims: b.dims };
}

/** Number of parameters of an ONNX model: total elements over all its initializers. */
export function countParameters(onnx: Uint8Array): number {
  const g = decodeModelProto(onnx).graph;
  let total = 0;
  for (const t of g?.initializer ?? []) total += (t.dims ?? []).reduce<number>((a, d) => a * num(d), 1);
  return total;
}
