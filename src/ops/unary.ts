/**
 * The unary element-wise ops. Each has float semantics f and integer semantics T[x], the table
 * T[i] = clamp(round(f(i·2^−fi)·2^fo)) over the int8 domain: exactly the table a prover looks up.
 * Piece-wise linear ops through the origin (Relu, Clip, Neg, Abs, Identity) keep the input exponent.
 */
import type { Node } from '../model/graph.js';
import { dtypeName } from '../model/onnx-proto.js';
import { isIntType } from '../model/tensor.js';
import type { Lowering } from '../quantize/lowering.js';
import { QHI, QLO, lowerUnaryTable, mapUnary, unaryOp, castTo } from './common.js';
import { attrFloat, attrInt, type OpDef } from './op.js';

function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26 is too coarse for references; use a series/continued fraction pair.
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let sum = x;
    let term = x;
    const x2 = x * x;
    for (let k = 1; k < 60; k++) {
      term *= -x2 / k;
      sum += term / (2 * k + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction for |x| ≥ 2.5
  let f = 0;
  for (let k = 60; k >= 1; k--) f = (k / 2) / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}
export { erf };

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softplus = (x: number) => (x > 30 ? x : Math.log1p(Math.exp(x)));

export const Relu = unaryOp((x) => Math.max(x, 0), { keepExp: true });
export const Neg = unaryOp((x) => -x, { keepExp: true });
export const Abs = unaryOp((x) => Math.abs(x), { keepExp: true });
export const Sigmoid = unaryOp(sigmoid);
export const Tanh = unaryOp(Math.tanh);
export const Erf = unaryOp(erf);
export const Exp = unaryOp(Math.exp);
export const Log = unaryOp(Math.log);
export const Sqrt = unaryOp(Math.sqrt);
export const Reciprocal = unaryOp((x) => 1 / x);
export const Softplus = unaryOp(softplus);
export const Softsign = unaryOp((x) => x / (1 + Math.abs(x)));
export const Sin = unaryOp(Math.sin);
export const Cos = unaryOp(Math.cos);
export const Tan = unaryOp(Math.tan);
export const Asin = unaryOp(Math.asin);
export const Acos = unaryOp(Math.acos);
export const Atan = unaryOp(Math.atan);
export const Sinh = unaryOp(Math.sinh);
export const Cosh = unaryOp(Math.cosh);
export const Floor = unaryOp(Math.floor);
export const Ceil = unaryOp(Math.ceil);
export const Round = unaryOp((x) => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r; // half to even
});
export const Sign = unaryOp(Math.sign);
export const Mish = unaryOp((x) => x * Math.tanh(softplus(x)));
export const LeakyRelu = unaryOp((x, n) => (x >= 0 ? x : attrFloat(n, 'alpha', 0.01) * x));
export const Elu = unaryOp((x, n) => (x >= 0 ? x : attrFloat(n, 'alpha', 1) * (Math.exp(x) - 1)));
export const Celu = unaryOp((x, n) => {
  const a = attrFloat(n, 'alpha', 1);
  return Math.max(0, x) + Math.min(0, a * (Math.exp(x / a) - 1));
});
export const Selu = unaryOp((x, n) => {
  const a = attrFloat(n, 'alpha', 1.67326319217681884765625);
  const g = attrFloat(n, 'gamma', 1.05070102214813232421875);
  return x > 0 ? g * x : g * a * (Math.exp(x) - 1);
});
export const ThresholdedRelu = unaryOp((x, n) => (x > attrFloat(n, 'alpha', 1) ? x : 0));
export const HardSigmoid = unaryOp((x, n) => Math.max(0, Math.min(1, attrFloat(n, 'alpha', 0.2) * x + attrFloat(n, 'beta', 0.5))));
export const HardSwish = unaryOp((x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)));
export const Gelu = unaryOp((x, n) => {
  const approx = typeof n.attrs.approximate === 'string' ? n.attrs.approximate : 'none';
  if (approx === 'tanh') return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
});

/** Clip: bounds from attributes (opset < 11) or constant inputs. */
export const Clip: OpDef = {
  params: [1, 2],
  float(n, x) {
    const lo = x[1] ? x[1].data[0] : attrFloat(n, 'min', -Infinity);
    const hi = x[2] ? x[2].data[0] : attrFloat(n, 'max', Infinity);
    return [mapUnary(x[0]!, (v) => Math.min(hi, Math.max(lo, v)))];
  },
  lower(q, n) {
    const lo = n.inputs[1] ? q.constant(n.inputs[1]).data[0] : attrFloat(n, 'min', -Infinity);
    const hi = n.inputs[2] ? q.constant(n.inputs[2]).data[0] : attrFloat(n, 'max', Infinity);
    lowerUnaryTable(q, n, (v) => Math.min(hi, Math.max(lo, v)), true);
  },
};

/** Identity-like ops: Identity, Dropout (inference), float→float Cast/CastLike. */
function passOp(): OpDef {
  return {
    float(n: Node, x) {
      return [x[0]!];
    },
    lower(q, n) {
      lowerUnaryTable(q, n, (v) => v, true);
    },
  };
}
export const Identity = passOp();
export const Dropout: OpDef = {
  float: (_n, x) => [x[0]!],
  lower(q, n) {
    lowerUnaryTable(q, { ...n, outputs: [n.outputs[0]] }, (v) => v, true);
  },
};

/**
 * Cast of an activation to an integer type (or bool): the table T[q] = castTo(q·2^−exp) (truncation
 * toward zero, wrapping for 8-bit types, 0/1 for bool) at exponent 0; the output's range is what
 * the table reaches, so an index computed this way (Greater → Cast → Gather) carries its true range.
 */
export function lowerIntCast(q: Lowering, n: Node, to: number): void {
  const x = q.act(n.inputs[0]);
  const table = new Int32Array(x.hi - x.lo + 1);
  for (let i = x.lo; i <= x.hi; i++) table[i - x.lo] = castTo(i * 2 ** -x.exp, to);
  const lo = table.reduce((m, v) => Math.min(m, v), Infinity); // no spread: an int64 range has millions
  const hi = table.reduce((m, v) => Math.max(m, v), -Infinity);
  if (!(hi - lo < 2 ** 24)) throw new Error(`Cast to ${dtypeName(to)}: the integers reach [${lo}, ${hi}], too wide a range for later lookups`);
  q.emit(
    { kind: 'table', name: n.name, op: n.opType, inputs: [x.name], output: n.outputs[0], bound: 2 * (Math.max(-lo, hi, x.hi - x.lo) + 1), tlo: x.lo, table },
    { dims: x.dims, exp: 0, lo, hi },
  );
}

export const Cast: OpDef = {
  float(n, x) {
    const to = attrInt(n, 'to', 1);
    return [mapUnary(x[0]!, (v) => castTo(v, to), to)];
  },
  lower(q, n) {
    const to = attrInt(n, 'to', 1);
    // a float copy keeps the exponent of an int8 activation; wider integers (uint8 from QuantizeLinear,
    // token ids) get the calibrated exponent instead of being clamped to int8
    const x = q.act(n.inputs[0]);
    if (to === 1 || to === 11 || to === 10) lowerUnaryTable(q, n, (v) => v, x.lo >= QLO && x.hi <= QHI);
    else if (isIntType(to)) lowerIntCast(q, n, to);
    else throw new Error(`Cast of an activation to ${dtypeName(to)} is not supported (only to float, integer and bool types)`);
  },
};
/** CastLike reads only the type of input 1 (model/prepare folds it when input 0 is constant). */
export const CastLike: OpDef = {
  float(_n, x) {
    const to = x[1]!.dtype;
    return [mapUnary(x[0]!, (v) => castTo(v, to), to)];
  },
  lower(q, n) {
    lowerUnaryTable(q, n, (v) => v, true);
  },
};
