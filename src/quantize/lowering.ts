/**
 * The lowering context an op module uses to turn one ONNX node into integer layers: it exposes the
 * float constants, the quantized activations (exponent, dims), the calibrated range of every tensor,
 * and helpers shared by the op modules (weight quantization, requantisation bounds, rescaling).
 */
import type { Node } from '../model/graph.js';
import type { Tensor } from '../model/tensor.js';
import { P, type Layer, type QConst, type QTensorInfo } from './layers.js';

export interface Lowering {
  readonly opset: number;
  readonly margin: number;
  isConst(name: string): boolean;
  constant(name: string): Tensor;
  act(name: string): QTensorInfo;
  dims(name: string): number[];
  /** calibrated max |value| of a tensor */
  maxAbs(name: string): number;
  /** exponent chosen for a tensor from its calibrated range */
  expOf(name: string): number;
  /**
   * An int64/int32 tensor computed by arithmetic (tree-ensemble node indices: 2·node + branch): it
   * is kept exact, at exponent 0 with the range [lo, hi] its calibration needs (at least int8's);
   * null for any other tensor.
   */
  integerRange(name: string): { lo: number; hi: number } | null;
  /**
   * A wide intermediate (`wide.ts`): a square, or a sum or affine function of one, read only by
   * tables and sums. It keeps 16 bits (±WIDE_MAX, or [0, WIDE_MAX] when non-negative, at the
   * exponent its calibration gives) instead of int8; null for any other tensor.
   */
  wide(name: string): { exp: number; lo: number; hi: number } | null;
  addConst(base: string, c: QConst): string;
  emit(layer: Layer, out: Omit<QTensorInfo, 'name'>): void;
  /** activation `name` at exponent `exp` (inserting a rescale table when needed) */
  rescaled(name: string, exp: number, node: Node): string;
  fresh(base: string): string;
  /** define a new float constant (e.g. a reciprocal) visible to isConst/constant */
  defineConst(name: string, t: Tensor): void;
  /** make a float constant usable as an int8 activation (per-tensor exponent) */
  constAsAct(name: string, node: Node): void;
  /** a transposed copy of a 2-D activation (gather layer) */
  transposed2d(name: string, node: Node): string;
  /** who reads a tensor: "<Op> node '<name>'" for each node taking it as input, and 'a graph output' */
  usedBy(name: string): string[];
}

export const EXP_MIN = -24;
export const EXP_MAX = 40;

/** Largest e with maxAbs·margin·2^e ≤ 127 (clamped); 0 for an all-zero tensor. */
export function expForMax(maxAbs: number, margin: number, qmax = 127): number {
  if (!(maxAbs > 0) || !Number.isFinite(maxAbs)) return maxAbs > 0 ? EXP_MIN : 7;
  const e = Math.floor(Math.log2(qmax / (maxAbs * margin)));
  return Math.max(EXP_MIN, Math.min(EXP_MAX, e));
}

export function roundHalfUp(v: number): number {
  return Math.floor(v + 0.5);
}

/**
 * Largest requantisation shift a weight row may need: fx + fw[n] − fy ≤ SHIFT_MAX. A row finer than
 * that (weights ~1e-15, denormals, far below the rest of the layer) would contribute less than
 * 2^(7 − SHIFT_MAX) output steps per term (|x| ≤ 2^7 input steps) while its divisor 2^shift pushes
 * the relation past p ("could wrap"); at SHIFT_MAX = 20 the divisor stays ≪ p and the lost
 * precision is ≤ 2^−13 output steps per term.
 */
export const SHIFT_MAX = 20;

/**
 * Largest |bias| at the accumulator's scale 2^(fx + fw[n]): three signed base-256 digits
 * (`circuit/params.ts` limbBound(3) = 8,421,504). The circuit bounds a parameter by its digits, not
 * its values (the verifier never sees them), and a four-digit bias alone (2.2·10^9) exceeds p.
 */
export const BIAS_MAX = 8421504;

/**
 * Per-row exponent caps of a linear layer's weights (Gemm, Conv): the shift cap fy − fx + SHIFT_MAX,
 * and for a row with a bias b the cap that keeps |b|·2^(fx + fw) ≤ BIAS_MAX. The bias cap binds only
 * when the input is far finer than its bias needs (an activation that is ~0 on the calibration data,
 * at the zero rule's exponent): the row then keeps its bias and drops weight bits worth nothing at x's
 * scale.
 */
export function linearRowCaps(N: number, fx: number, fy: number, biasMax: (n: number) => number): Int32Array {
  const caps = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    const b = biasMax(n);
    const biasCap = b > 0 ? Math.floor(Math.log2(BIAS_MAX / b)) - fx : Infinity;
    caps[n] = Math.min(fy - fx + SHIFT_MAX, biasCap);
  }
  return caps;
}

/**
 * Per-row int8 quantization of a [N, K] matrix with power-of-two row exponents (per output channel:
 * each row's own max |w| sets its scale). `maxExp` caps every row exponent (the layer passes
 * fy − fx + SHIFT_MAX), or each row its own (`linearRowCaps`): a near-zero row is quantized at the
 * cap, where its weights round to the few integers they are worth (usually 0), instead of at 2^40.
 */
export function quantizeRows(w: Float64Array, N: number, K: number, maxExp: number | ArrayLike<number> = EXP_MAX): { q: Int8Array; exps: Int32Array } {
  const q = new Int8Array(N * K);
  const exps = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    let m = 0;
    for (let k = 0; k < K; k++) m = Math.max(m, Math.abs(w[n * K + k]));
    const e = Math.min(expForMax(m, 1), typeof maxExp === 'number' ? maxExp : maxExp[n]);
    exps[n] = e;
    const sc = 2 ** e;
    for (let k = 0; k < K; k++) q[n * K + k] = Math.max(-127, Math.min(127, roundHalfUp(w[n * K + k] * sc)));
  }
  return { q, exps };
}

/** Quantize a float tensor to integers at exponent e (no clamping; caller bounds it). */
export function quantizeAt(t: Float64Array, e: number): Int32Array {
  const r = new Int32Array(t.length);
  const sc = 2 ** e;
  for (let i = 0; i < t.length; i++) {
    const v = roundHalfUp(t[i] * sc);
    if (!Number.isFinite(v) || Math.abs(v) >= 2 ** 31) throw new Error(`constant ${t[i]} does not fit at scale 2^${e}`);
    r[i] = v;
  }
  return r;
}

/**
 * Worst case |lhs| + |rhs| of the requantisation relation for |numerator| ≤ accMax and divisor D:
 * D = 2^s: acc + D/2 = D·q + rem (PROTOCOL-NOTES §7), q range-checked in [−Q, Q), Q a power of two;
 * other D: 2·acc + D = 2D·q + rem.
 */
export function requantBound(accMax: number, D: number): number {
  const pow2 = Number.isInteger(Math.log2(D));
  const qMax = Math.floor((2 * accMax + D) / (2 * D)) + 1;
  const Q = 2 ** Math.ceil(Math.log2(qMax + 1));
  return pow2 ? accMax + D / 2 + D * Q + D : 2 * accMax + D + 2 * D * Q + 2 * D;
}

export function checkBound(bound: number, node: Node, what: string): void {
  if (!(bound < P)) {
    throw Object.assign(new Error(`worst-case |lhs| + |rhs| of ${what} is ${bound} ≥ p = ${P}: the relation could wrap mod p (reduce the fan-in, or the scale gap between input and output)`), { wrap: true });
  }
}
