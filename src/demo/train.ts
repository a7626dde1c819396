/**
 * Trains the demo's model in plain TypeScript: a 64→32→10 MLP (Gemm, Relu, Gemm) on the synthetic
 * 8×8 digits of `digits.ts`, by mini-batch Adam on the softmax cross-entropy, and exports it to ONNX.
 *
 *   h = relu(W1·x + b1),  z = W2·h + b2,  L = −log softmax(z)_y
 *   ∂L/∂z = softmax(z) − onehot(y),  ∂L/∂W2 = ∂z·hᵀ,  ∂L/∂h = W2ᵀ·∂z ⊙ [h > 0],  ∂L/∂W1 = ∂h·xᵀ
 *
 * Everything is Float64Array arithmetic in a fixed order from seeded PRNGs (He-uniform init,
 * Fisher–Yates shuffles), so the same options give bit-identical weights and ONNX bytes. Test
 * accuracy is measured on a held-out set drawn from a different seed, with the weights rounded to
 * float32 exactly as they are stored in the ONNX file.
 */
import { GraphWriter } from '../model/onnx-writer.js';
import { IMAGE_SIDE, NUM_CLASSES, makeDigits, mulberry32 } from './digits.js';

export const INPUT_NAME = 'image';
export const OUTPUT_NAME = 'logits';

export interface TrainOptions {
  /** PRNG seed for data, init and shuffles (default 1) */
  seed?: number;
  trainSize?: number;
  testSize?: number;
  hidden?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** how many training images to return as calibration inputs (default 32) */
  calibrationSize?: number;
  /** how many held-out labelled images to return in `samples` (default 200) */
  sampleCount?: number;
}

export interface TrainedModel {
  /** the ONNX model: input `image` [1, 64] in [0, 1], output `logits` [1, 10] */
  onnx: Uint8Array;
  /** float32 accuracy on the held-out test set */
  testAccuracy: number;
  trainAccuracy: number;
  /** training images to calibrate quantization with, keyed by the ONNX input name */
  calibration: Record<string, number[]>[];
  /** held-out labelled images (the first `sampleCount` of the test set) */
  samples: { input: number[]; label: number }[];
  params: number;
  /** wall time of data generation + training + evaluation + export, in ms */
  ms: number;
}

const D = IMAGE_SIDE * IMAGE_SIDE;
const C = NUM_CLASSES;

/** The MLP's parameters, packed [W1 (H×D) | b1 (H) | W2 (C×H) | b2 (C)] so Adam runs over one array. */
class Mlp {
  readonly p: Float64Array;
  readonly w1 = 0;
  readonly b1: number;
  readonly w2: number;
  readonly b2: number;
  // per-sample scratch
  private readonly h: Float64Array;
  private readonly z: Float64Array;
  private readonly dz = new Float64Array(C);
  private readonly dh: Float64Array;

  constructor(readonly H: number, rnd: () => number) {
    this.b1 = H * D;
    this.w2 = this.b1 + H;
    this.b2 = this.w2 + C * H;
    this.p = new Float64Array(this.b2 + C);
    this.h = new Float64Array(H);
    this.z = new Float64Array(C);
    this.dh = new Float64Array(H);
    // He-uniform: U(−a, a) with a = √(6 / fan_in) gives Var = 2 / fan_in; biases start at 0
    const a1 = Math.sqrt(6 / D);
    for (let i = 0; i < H * D; i++) this.p[this.w1 + i] = (2 * rnd() - 1) * a1;
    const a2 = Math.sqrt(6 / H);
    for (let i = 0; i < C * H; i++) this.p[this.w2 + i] = (2 * rnd() - 1) * a2;
  }

  /** Forward pass into this.h / this.z; returns the argmax. */
  forward(x: Float64Array, off: number): number {
    const { p, h, z, H } = this;
    for (let j = 0; j < H; j++) {
      let s = p[this.b1 + j];
      const w = this.w1 + j * D;
      for (let k = 0; k < D; k++) s += p[w + k] * x[off + k];
      h[j] = s > 0 ? s : 0;
    }
    let best = 0;
    for (let c = 0; c < C; c++) {
      let s = p[this.b2 + c];
      const w = this.w2 + c * H;
      for (let j = 0; j < H; j++) s += p[w + j] * h[j];
      z[c] = s;
      if (s > z[best]) best = c;
    }
    return best;
  }

  /** Forward + backward for one sample, adding its gradient into g; returns the loss. */
  accumulate(x: Float64Array, off: number, y: number, g: Float64Array): number {
    const { p, h, z, dz, dh, H } = this;
    const best = this.forward(x, off);
    let sum = 0;
    for (let c = 0; c < C; c++) {
      dz[c] = Math.exp(z[c] - z[best]);
      sum += dz[c];
    }
    for (let c = 0; c < C; c++) dz[c] /= sum;
    const loss = -Math.log(dz[y]);
    dz[y] -= 1;
    dh.fill(0);
    for (let c = 0; c < C; c++) {
      const d = dz[c];
      const w = this.w2 + c * H;
      g[this.b2 + c] += d;
      for (let j = 0; j < H; j++) {
        g[w + j] += d * h[j];
        dh[j] += d * p[w + j];
      }
    }
    for (let j = 0; j < H; j++) {
      if (h[j] <= 0) continue;
      const d = dh[j];
      const w = this.w1 + j * D;
      g[this.b1 + j] += d;
      for (let k = 0; k < D; k++) g[w + k] += d * x[off + k];
    }
    return loss;
  }

  accuracy(x: Float64Array, y: number[]): number {
    let ok = 0;
    for (let i = 0; i < y.length; i++) if (this.forward(x, i * D) === y[i]) ok++;
    return ok / y.length;
  }
}

function flatten(imgs: Float32Array[]): Float64Array {
  const out = new Float64Array(imgs.length * D);
  imgs.forEach((im, i) => out.set(im, i * D));
  return out;
}

/** Train the demo MLP on synthetic digits and export it to ONNX (≈1 s; deterministic). */
export function trainDigitsModel(opts: TrainOptions = {}): TrainedModel {
  const t0 = performance.now();
  const seed = opts.seed ?? 1;
  const nTrain = opts.trainSize ?? 4000;
  const nTest = opts.testSize ?? 1000;
  const H = opts.hidden ?? 32;
  const epochs = opts.epochs ?? 12;
  const B = opts.batchSize ?? 32;
  const lr0 = opts.learningRate ?? 0.01;
  const nCal = opts.calibrationSize ?? 32;
  const nSamples = opts.sampleCount ?? 200;
  if (nTrain < B || nTest < 1) throw new Error(`trainDigitsModel: expected trainSize ≥ batchSize (${B}) and testSize ≥ 1, got ${nTrain} and ${nTest}`);

  const train = makeDigits(nTrain, seed);
  const test = makeDigits(nTest, (seed ^ 0x5bd1e995) >>> 0);
  const xTrain = flatten(train.x);
  const xTest = flatten(test.x);

  const rnd = mulberry32((seed * 0x9e3779b9) >>> 0);
  const net = new Mlp(H, rnd);
  const P = net.p.length;
  const g = new Float64Array(P);
  const m = new Float64Array(P);
  const v = new Float64Array(P);
  const beta1 = 0.9;
  const beta2 = 0.999;
  const eps = 1e-8;
  const order = Int32Array.from({ length: nTrain }, (_, i) => i);
  const steps = epochs * Math.floor(nTrain / B);
  let t = 0;
  for (let e = 0; e < epochs; e++) {
    for (let i = nTrain - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      const tmp = order[i];
      order[i] = order[j];
      order[j] = tmp;
    }
    for (let s = 0; s + B <= nTrain; s += B) {
      g.fill(0);
      for (let b = s; b < s + B; b++) net.accumulate(xTrain, order[b] * D, train.y[order[b]], g);
      t++;
      // Adam with a linear decay to 10% of the initial step size
      const lr = lr0 * (1 - (0.9 * (t - 1)) / steps);
      const c1 = 1 / (1 - beta1 ** t);
      const c2 = 1 / (1 - beta2 ** t);
      for (let k = 0; k < P; k++) {
        const gk = g[k] / B;
        m[k] = beta1 * m[k] + (1 - beta1) * gk;
        v[k] = beta2 * v[k] + (1 - beta2) * gk * gk;
        net.p[k] -= (lr * m[k] * c1) / (Math.sqrt(v[k] * c2) + eps);
      }
    }
  }
  // evaluate exactly what ONNX stores: float32 weights
  for (let k = 0; k < P; k++) net.p[k] = Math.fround(net.p[k]);
  const testAccuracy = net.accuracy(xTest, test.y);
  const trainAccuracy = net.accuracy(xTrain, train.y);

  const w = new GraphWriter();
  const x = w.input(INPUT_NAME, [1, D]);
  const h = w.relu(w.gemm(x, { dims: [H, D], data: net.p.subarray(net.w1, net.b1) }, { dims: [H], data: net.p.subarray(net.b1, net.w2) }));
  w.gemm(h, { dims: [C, H], data: net.p.subarray(net.w2, net.b2) }, { dims: [C], data: net.p.subarray(net.b2) }, OUTPUT_NAME);
  w.output(OUTPUT_NAME, [1, C]);
  const onnx = w.build({ name: 'digits-mlp' });

  const calibration = train.x.slice(0, nCal).map((im) => ({ [INPUT_NAME]: Array.from(im) }));
  const samples = test.x.slice(0, nSamples).map((im, i) => ({ input: Array.from(im), label: test.y[i] }));
  return { onnx, testAccuracy, trainAccuracy, calibration, samples, params: P, ms: performance.now() - t0 };
}
