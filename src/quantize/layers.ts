/**
 * The quantized model: integer layers over int tensors with power-of-two scales.
 *
 * A tensor value v is stored as an integer q with v ≈ q·2^(−exp). Activations are int8; weights
 * int8 (per output channel exponents); biases and element-wise constants are wider integers whose
 * worst case is tracked. Every layer that rescales does it with one division-with-remainder
 *   2·acc + D = 2D·q + rem, 0 ≤ rem < 2D     (q = round-half-up(acc / D)),
 * which for D = 2^s is exactly PROTOCOL-NOTES §7's acc + 2^(s−1) = 2^s·q + rem; then q is clamped
 * to the layer's [lo, hi] (the (q, y) lookup). `bound` is the worst case |lhs| + |rhs| over the
 * integers of the layer's widest relation; the compiler refuses a layer with bound ≥ p.
 */
export const P = 2013265921;

export interface QTensorInfo {
  name: string;
  dims: number[];
  exp: number;
  lo: number;
  hi: number;
  /** an integer model input (int64/int32 token ids): exp 0, and a value that is not an integer is refused */
  int?: boolean;
}

interface Base {
  name: string; // ONNX node name (layer name in messages)
  op: string; // ONNX op type it came from
  inputs: string[];
  output: string;
  bound: number;
}

/** Y[r,n] = Σ_k X[r,k]·W[n,k] + bias[n]; q = roundDiv(Y, 2^shift[n]); clamp. */
export interface GemmLayer extends Base {
  kind: 'gemm';
  K: number;
  N: number;
  w: Int8Array;
  bias: Float64Array | null;
  shift: Int32Array;
}

/** 2-D convolution NCHW (1-D as H = 1), groups, strides, pads, dilations; per-channel shift. */
export interface ConvLayer extends Base {
  kind: 'conv';
  C: number; H: number; W: number; Co: number; KH: number; KW: number; OH: number; OW: number;
  sh: number; sw: number; pt: number; pl: number; dh: number; dw: number; group: number;
  w: Int8Array;
  bias: Float64Array | null;
  shift: Int32Array;
}

/** Batched A[M,K]·B[K,N] of two activations; aOff/bOff: start of each batch's matrix. */
export interface MatMulLayer extends Base {
  kind: 'matmul';
  M: number; K: number; N: number;
  aOff: Int32Array;
  bOff: Int32Array;
  shift: number;
}

/** y = roundDiv(Σ_i mult[i]·x_i[map_i[j]], div); inputs may be constants. */
export interface SumLayer extends Base {
  kind: 'sum';
  maps: (Int32Array | null)[];
  mult: number[];
  div: number;
  /** 'max' / 'min': y = roundDiv(max_i mult[i]·x_i, div) (Max, Min);
   *  select (Where): y = x_0 ≠ 0 ? x_1 : x_2;
   *  comparisons: y = cmp(mult[0]·x_0, mult[1]·x_1) ? div : 0 (a 0/1 tensor at the output scale) */
  mode?: 'max' | 'min' | 'lt' | 'gt' | 'le' | 'ge' | 'eq' | 'select';
}

/** y = roundDiv(a[aMap]·b[bMap]·mult, div). */
export interface MulLayer extends Base {
  kind: 'mul';
  aMap: Int32Array | null;
  bMap: Int32Array | null;
  mult: number;
  div: number;
}

/** y = roundDiv(a·mult, b·div); b = 0 is a run-time error. */
export interface DivLayer extends Base {
  kind: 'div';
  aMap: Int32Array | null;
  bMap: Int32Array | null;
  mult: number;
  div: number;
}

/** y = table[x − tlo]: every non-linear unary function, and rescaling. */
export interface TableLayer extends Base {
  kind: 'table';
  tlo: number;
  table: Int32Array;
}

/** Copy relation: y[j] = concat(inputs)[map[j]], or `fill` where map[j] < 0. */
export interface GatherLayer extends Base {
  kind: 'gather';
  map: Int32Array;
  fill: number;
}

/**
 * Embedding: y[t, ·] = table[idx[t], ·] — Gather on axis 0 of a constant [V, d] matrix with
 * run-time integer indices (`ops/embedding.ts`); table is a committed int8 parameter.
 */
export interface EmbedLayer extends Base {
  kind: 'embed';
  V: number;
  d: number;
  table: Int8Array;
}

/** Windows (pooling, reductions): max/min, or sum → roundDiv(acc·mult, div·count[j]). */
export interface WindowLayer extends Base {
  kind: 'window';
  mode: 'max' | 'min' | 'sum';
  win: number;
  map: Int32Array;
  counts: Int32Array | null;
  mult: number;
  div: number;
}

/**
 * Softmax / LogSoftmax over an axis (outer × n × inner). d = x − max ∈ [−(hi−lo), 0];
 * e = expTable[−d] ≈ exp(d·2^−inExp)·2^expBits; S = Σe.
 * softmax: y = roundDiv(e·2^outExp, S). logsoftmax: y = roundShift(d, inExp − outExp) − logS, with
 * S = m·2^k (m ∈ [2^9, 2^10)), logS = logTable[m − 2^9] + kTable[k].
 */
export interface SoftmaxLayer extends Base {
  kind: 'softmax';
  outer: number; n: number; inner: number;
  inExp: number; outExp: number; expBits: number;
  expTable: Int32Array;
  log: boolean;
  logTable: Int32Array | null;
  kTable: Int32Array | null;
}

/** PRelu with per-element slopes: y = x ≥ 0 ? x : roundDiv(x·slope[map], div). */
export interface PReluLayer extends Base {
  kind: 'prelu';
  slope: Int32Array;
  map: Int32Array | null;
  div: number;
}

/** ArgMax / ArgMin along an axis; output is an index (exp 0). */
export interface ArgMaxLayer extends Base {
  kind: 'argmax';
  outer: number; n: number; inner: number;
  last: boolean;
  min: boolean;
}

/**
 * Normalization over groups of n consecutive... (outer × n × inner layout, normalized axis block n):
 * mean = roundDiv(Σx, n); d = x − mean; V = roundDiv(Σd², n) + epsQ; V = m·4^j with m ∈ [2^8, 2^10);
 * r = rsqrtTable[m − 2^8] ≈ 2^rBits/√m; y = roundDiv(d·r·gamma, 2^(rBits + j + gExp − outExp)) + beta.
 */
export interface NormLayer extends Base {
  kind: 'norm';
  outer: number; n: number; inner: number;
  epsQ: number;
  rBits: number;
  rsqrtTable: Int32Array;
  gamma: Int32Array;
  gExp: number;
  beta: Int32Array;
  /** index into gamma/beta: 'n' = position within the normalized block, 'outer' = outer index mod len */
  affine: 'n' | 'outer';
  outExp: number;
}

export type Layer =
  | GemmLayer | ConvLayer | MatMulLayer | SumLayer | MulLayer | DivLayer | TableLayer | GatherLayer
  | WindowLayer | SoftmaxLayer | PReluLayer | ArgMaxLayer | NormLayer | EmbedLayer;

/** Every layer kind (what decoders accept). */
export const LAYER_KINDS: ReadonlySet<string> = new Set(['gemm', 'conv', 'matmul', 'sum', 'mul', 'div', 'table', 'gather', 'window', 'softmax', 'prelu', 'argmax', 'norm', 'embed']);

export interface QConst {
  dims: number[];
  exp: number;
  data: Int32Array;
}

export interface QuantizedModel {
  format: 'zkm';
  version: number;
  name: string;
  opset: number;
  inputs: QTensorInfo[];
  outputs: QTensorInfo[];
  /** every activation tensor produced by a layer */
  tensors: QTensorInfo[];
  consts: Record<string, QConst>;
  layers: Layer[];
  /** per tensor: calibrated max |float| and headroom info, for reports */
  calibration: Record<string, { maxAbs: number; maxQ: number }>;
  meta: { margin: number; source: string; created: string };
  /**
   * Graph inputs pinned at compile time (`compileOnnx`'s `pinnedInputs`): folded into the model, so
   * no longer among `inputs`; kept so that an input file giving one can be checked against its value.
   * `index` is its position among the ONNX graph's inputs (EZKL's positional input_data).
   */
  pinned?: PinnedInput[];
}

export interface PinnedInput {
  name: string;
  index: number;
  dims: number[];
  values: number[];
}
