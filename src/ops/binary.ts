/**
 * Shared lowering of the element-wise binary ops (Add, Sub, Mul, Div, Max, Min, Pow, Sum, Mean).
 * A scalar constant operand turns the op into a unary table of the other operand (one rounding).
 * Otherwise: Add/Sub/Sum/Mean/Max/Min align operands to a common exponent F with integer
 * multipliers ±2^(F−f_i) and requantise once (one division with remainder); Mul multiplies int8
 * operands (|a·b| ≤ 2^14) and requantises; Div is a division with remainder y = round(a·2^t / b).
 */
import { P } from '../field/babybear.js';
import type { Node } from '../model/graph.js';
import { broadcastIndex, sizeOf, type Tensor } from '../model/tensor.js';
import { checkBound, expForMax, quantizeAt, requantBound, type Lowering } from '../quantize/lowering.js';
import { lowerUnaryTable, mapBinary, QHI, QLO } from './common.js';
import type { OpDef } from './op.js';

type F2 = (a: number, b: number) => number;

function sameDims(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function mapOf(dims: number[], out: number[]): Int32Array | null {
  return sameDims(dims, out) ? null : broadcastIndex(dims, out);
}

/** Scalar-constant operand → unary table. Returns true when handled. */
function tryScalarTable(q: Lowering, n: Node, f: F2): boolean {
  const [a, b] = n.inputs;
  if (q.isConst(b) && sizeOf(q.constant(b).dims) === 1 && !q.isConst(a) && sizeOf(q.dims(a)) === sizeOf(q.dims(n.outputs[0]))) {
    const c = q.constant(b).data[0];
    lowerUnaryTable(q, n, (x) => f(x, c));
    return true;
  }
  if (q.isConst(a) && sizeOf(q.constant(a).dims) === 1 && !q.isConst(b) && sizeOf(q.dims(b)) === sizeOf(q.dims(n.outputs[0]))) {
    const c = q.constant(a).data[0];
    const m = { ...n, inputs: [b] };
    lowerUnaryTable(q, m, (x) => f(c, x));
    return true;
  }
  return false;
}

/**
 * Finest alignment exponent of a sum: fo + SUM_GUARD. An operand finer than that (e.g. the output
 * of a near-zero weight matrix, calibrated at 2^40) is below half an output step in magnitude, so
 * it is rescaled to fo + SUM_GUARD first (a table, error ≤ 2^−9 output steps) rather than making
 * the divisor 2^(F − fo) — and constants quantized at 2^F — overflow.
 */
const SUM_GUARD = 8;

/** y = Σ sign_i·x_i / divN (or max/min), operands activations or constants. */
export function lowerSum(q: Lowering, n: Node, signs: number[], divN = 1, mode: 'sum' | 'max' | 'min' = 'sum'): void {
  const out = n.outputs[0];
  const outDims = q.dims(out);
  const int = mode === 'sum' && divN === 1 ? q.integerRange(out) : null;
  const wide = mode === 'sum' && !int ? q.wide(out) : null;
  const fo = int ? 0 : wide ? wide.exp : q.expOf(out);
  const ins = n.inputs.filter((x) => x !== '');
  const cap = fo + SUM_GUARD;
  const actExps = ins.filter((x) => !q.isConst(x)).map((x) => Math.min(q.act(x).exp, cap));
  const fc = Math.max(fo, ...actExps);
  const names: string[] = [];
  const exps: number[] = [];
  const mags: number[] = [];
  const dimsOf: number[][] = [];
  for (const x of ins) {
    if (q.isConst(x)) {
      const c = q.constant(x);
      const data = quantizeAt(c.data, fc);
      names.push(q.addConst(x, { dims: c.dims, exp: fc, data }));
      exps.push(fc);
      mags.push(data.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
      dimsOf.push(c.dims);
    } else {
      const a = q.act(q.act(x).exp > cap ? q.rescaled(x, cap, n) : x);
      names.push(a.name);
      exps.push(a.exp);
      mags.push(Math.max(-a.lo, a.hi));
      dimsOf.push(a.dims);
    }
  }
  const F = Math.max(...exps);
  let mult = exps.map((e, i) => signs[i] * 2 ** (F - e));
  let D = divN;
  if (F >= fo) D = divN * 2 ** (F - fo);
  else mult = mult.map((m) => m * 2 ** (fo - F));
  const accMax = mode === 'sum' ? mult.reduce((s, m, i) => s + Math.abs(m) * mags[i], 0) : Math.max(...mult.map((m, i) => Math.abs(m) * mags[i]));
  const bound = requantBound(accMax, D);
  checkBound(bound, n, 'the requantisation');
  q.emit(
    { kind: 'sum', name: n.name, op: n.opType, inputs: names, output: out, bound, maps: dimsOf.map((d) => mapOf(d, outDims)), mult, div: D, ...(mode !== 'sum' ? { mode } : {}) },
    { dims: outDims, exp: fo, lo: int?.lo ?? wide?.lo ?? QLO, hi: int?.hi ?? wide?.hi ?? QHI },
  );
}

function operand(q: Lowering, name: string): { name: string; exp: number; dims: number[]; mag: number } {
  if (q.isConst(name)) {
    const c = q.constant(name);
    let m = 0;
    for (const v of c.data) m = Math.max(m, Math.abs(v));
    const e = expForMax(m, 1);
    const data = quantizeAt(c.data, e);
    return { name: q.addConst(name, { dims: c.dims, exp: e, data }), exp: e, dims: c.dims, mag: 127 };
  }
  const a = q.act(name);
  return { name: a.name, exp: a.exp, dims: a.dims, mag: Math.max(-a.lo, a.hi) };
}

export function lowerMul(q: Lowering, n: Node): void {
  const out = n.outputs[0];
  const outDims = q.dims(out);
  const int = q.integerRange(out);
  const wide = int ? null : q.wide(out);
  const a = operand(q, n.inputs[0]);
  const b = operand(q, n.inputs[1]);
  let t = a.exp + b.exp - (int ? 0 : wide ? wide.exp : q.expOf(out));
  // A product whose calibrated scale is far from its operands' (0 on the calibration data: two Relus
  // with disjoint supports, or near-zero activations, take the zero rule's exponent) needs a shift
  // whose relation can wrap mod p. Both the lowering's bound and the circuit's must hold
  // (`circuit/requant.ts` planRequant: 2·mult·|acc| + D + 2D·|y| + 2D, |y| ≤ 128 for int8).
  const wraps = (t: number) => {
    const mult = 2 ** Math.max(0, -t);
    const D = 2 ** Math.max(0, t);
    return requantBound(a.mag * b.mag * mult, D) >= P || 2 * mult * a.mag * b.mag + D * (2 * 128 + 3) >= P;
  };
  // a shift up (output finer than the operands' product): take the finest coarser output scale that fits.
  // A wide (16-bit) output keeps the exponent its readers were planned with; its bound is checked below.
  while (!int && !wide && t < 0 && wraps(t)) t++;
  const fo = a.exp + b.exp - t;
  const mult = t >= 0 ? 1 : 2 ** -t;
  // a shift down past every product of the operands (2^(t−1) > |a|·|b|): the output is exactly 0 for
  // every input, and so is round(a·b / 2^s) for the smallest such s, whose relation fits
  let div = t >= 0 ? 2 ** t : 1;
  if (!int && !wide && t > 0 && wraps(t) && 2 ** (t - 1) > a.mag * b.mag) div = 2 ** (Math.floor(Math.log2(a.mag * b.mag)) + 2);
  const bound = requantBound(a.mag * b.mag * mult, div);
  checkBound(bound, n, 'the product requantisation');
  q.emit(
    { kind: 'mul', name: n.name, op: n.opType, inputs: [a.name, b.name], output: out, bound, aMap: mapOf(a.dims, outDims), bMap: mapOf(b.dims, outDims), mult, div },
    { dims: outDims, exp: fo, lo: int?.lo ?? wide?.lo ?? QLO, hi: int?.hi ?? wide?.hi ?? QHI },
  );
}

/**
 * An activation divisor with its quantized zeros replaced by 1 (one table, T[i] = i ≠ 0 ? i : 1):
 * a divisor smaller than half its step — the √(variance + ε) of a nearly constant row in a
 * LayerNorm decomposition, whose calibrated scale is set by the other rows — would otherwise be a
 * division by zero that no input of that kind can prove. The quotient by one step is the integer
 * model's nearest non-zero reading of a positive divisor below its resolution.
 */
function nonzeroDivisor(q: Lowering, n: Node, b: ReturnType<typeof operand>): ReturnType<typeof operand> {
  if (q.isConst(n.inputs[1])) return b;
  const x = q.act(n.inputs[1]);
  const table = new Int32Array(x.hi - x.lo + 1);
  for (let i = x.lo; i <= x.hi; i++) table[i - x.lo] = i === 0 ? 1 : i;
  const name = q.fresh(`${n.inputs[1]}≠0`);
  q.emit(
    { kind: 'table', name: `${n.name}/nonzero:${n.inputs[1]}`, op: 'Div', inputs: [x.name], output: name, bound: 512, tlo: x.lo, table },
    { dims: x.dims, exp: x.exp, lo: x.lo, hi: x.hi },
  );
  return { ...b, name };
}

export function lowerDiv(q: Lowering, n: Node): void {
  const out = n.outputs[0];
  const outDims = q.dims(out);
  if (q.isConst(n.inputs[1])) {
    // x / c = x · (1/c)
    const c = q.constant(n.inputs[1]);
    const inv = c.data.map((v) => 1 / v);
    const name = q.fresh(`${n.inputs[1]}_reciprocal`);
    const qq = q as Lowering & { defineConst?: (nm: string, t: Tensor) => void };
    qq.defineConst!(name, { dims: c.dims, data: inv, dtype: c.dtype });
    lowerMul(q, { ...n, inputs: [n.inputs[0], name] });
    return;
  }
  const fo = q.expOf(out);
  const a = operand(q, n.inputs[0]);
  const b = nonzeroDivisor(q, n, operand(q, n.inputs[1]));
  const t = fo + b.exp - a.exp;
  const mult = t >= 0 ? 2 ** t : 1;
  const div = t >= 0 ? 1 : 2 ** -t;
  const bound = 2 * a.mag * mult + b.mag * div * (2 * 256 + 2);
  checkBound(bound, n, 'the division');
  q.emit(
    { kind: 'div', name: n.name, op: n.opType, inputs: [a.name, b.name], output: out, bound, aMap: mapOf(a.dims, outDims), bMap: mapOf(b.dims, outDims), mult, div },
    { dims: outDims, exp: fo, lo: QLO, hi: QHI },
  );
}

function variadicFloat(f: F2, post?: (v: number, k: number) => number): OpDef['float'] {
  return (_n, x) => {
    const xs = x.filter((t): t is Tensor => t !== undefined);
    let acc = xs[0];
    for (let i = 1; i < xs.length; i++) acc = mapBinary(acc, xs[i], f);
    if (post) acc = { ...acc, data: acc.data.map((v) => post(v, xs.length)) };
    return [acc];
  };
}

const isInt = (t: Tensor) => t.dtype !== 1 && t.dtype !== 11 && t.dtype !== 10 && t.dtype !== 16;

export const addOp: OpDef = {
  float: variadicFloat((a, b) => a + b),
  lower(q, n) {
    if (!tryScalarTable(q, n, (a, b) => a + b)) lowerSum(q, n, [1, 1]);
  },
};
export const subOp: OpDef = {
  float: variadicFloat((a, b) => a - b),
  lower(q, n) {
    if (!tryScalarTable(q, n, (a, b) => a - b)) lowerSum(q, n, [1, -1]);
  },
};
export const sumOp: OpDef = {
  float: variadicFloat((a, b) => a + b),
  lower(q, n) {
    lowerSum(q, n, n.inputs.map(() => 1));
  },
};
export const meanOp: OpDef = {
  float: variadicFloat((a, b) => a + b, (v, k) => v / k),
  lower(q, n) {
    lowerSum(q, n, n.inputs.map(() => 1), n.inputs.filter((x) => x !== '').length);
  },
};
export const maxOp: OpDef = {
  float: variadicFloat((a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b))),
  lower(q, n) {
    if (n.inputs.length === 2 && tryScalarTable(q, n, Math.max)) return;
    lowerSum(q, n, n.inputs.map(() => 1), 1, 'max');
  },
};
export const minOp: OpDef = {
  float: variadicFloat((a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b))),
  lower(q, n) {
    if (n.inputs.length === 2 && tryScalarTable(q, n, Math.min)) return;
    lowerSum(q, n, n.inputs.map(() => 1), 1, 'min');
  },
};
export const mulOp: OpDef = {
  float: (_n, x) => [mapBinary(x[0]!, x[1]!, (a, b) => a * b)],
  lower(q, n) {
    if (!tryScalarTable(q, n, (a, b) => a * b)) lowerMul(q, n);
  },
};
export const divOp: OpDef = {
  float: (_n, x) => {
    const a = x[0]!;
    return [mapBinary(a, x[1]!, isInt(a) ? (u, v) => Math.trunc(u / v) : (u, v) => u / v)];
  },
  lower(q, n) {
    if (!tryScalarTable(q, n, (a, b) => a / b)) lowerDiv(q, n);
  },
};
export const powOp: OpDef = {
  float: (_n, x) => [mapBinary(x[0]!, x[1]!, (a, b) => a ** b)],
  lower(q, n) {
    if (!tryScalarTable(q, n, (a, b) => a ** b)) throw new Error('Pow with a non-scalar or non-constant exponent is not supported');
  },
};

/**
 * Comparisons: folded in constant sub-graphs; on activations the result is a 0/1 tensor kept at a
 * float scale (1 ↦ 2^fo), so a following Cast/Mul/Where treats it as a number. A scalar constant
 * operand is a table; two activations are aligned to a common exponent and compared exactly.
 */
export function compareOp(f: (a: number, b: number) => boolean, mode?: 'lt' | 'gt' | 'le' | 'ge' | 'eq'): OpDef {
  return {
    float: (_n, x) => [mapBinary(x[0]!, x[1]!, (a, b) => (f(a, b) ? 1 : 0), 9)],
    lower: mode
      ? (q, n) => {
          if (tryScalarTable(q, n, (a, b) => (f(a, b) ? 1 : 0))) return;
          const out = n.outputs[0];
          const outDims = q.dims(out);
          const fo = Math.min(q.expOf(out), 6);
          const a = operand(q, n.inputs[0]);
          const b = operand(q, n.inputs[1]);
          const F = Math.max(a.exp, b.exp);
          q.emit(
            { kind: 'sum', name: n.name, op: n.opType, inputs: [a.name, b.name], output: out, bound: 2 ** (F - Math.min(a.exp, b.exp) + 9), maps: [mapOf(a.dims, outDims), mapOf(b.dims, outDims)], mult: [2 ** (F - a.exp), 2 ** (F - b.exp)], div: 2 ** fo, mode },
            { dims: outDims, exp: fo, lo: QLO, hi: QHI },
          );
        }
      : undefined,
  };
}
