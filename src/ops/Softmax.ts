/**
 * Softmax and LogSoftmax along an axis (opset < 13: over the flattened trailing block).
 * Integer semantics (x int8 at exponent fi): d = x − max ≤ 0; e = T_exp[−d] = round(e^(d·2^−fi)·2^15);
 * S = Σe (≤ n·2^15);
 *   softmax:    y = round(e·2^fo / S)            (division with remainder per element; a long row
 *               takes a coarser exp table, `softmaxExpBits`, and a split division relation)
 *   logsoftmax: S = m·2^k, m ∈ [2^9, 2^10); y = round(d·2^(fo−fi)) − T_log[m] − T_k[k].
 * Both tables are public and small (256 + 512 + 128 entries).
 */
import type { Node } from '../model/graph.js';
import { normAxis, sizeOf, type Tensor } from '../model/tensor.js';
import { checkBound, roundHalfUp, type Lowering } from '../quantize/lowering.js';
import { QHI, QLO } from './common.js';
import { P } from '../quantize/layers.js';
import { softmaxDivision } from './proofs/softmax.js';
import { attrInt, type OpDef } from './op.js';

export function axisSplit(n: Node, dims: number[], opset: number): { outer: number; n: number; inner: number } {
  const rank = dims.length;
  const dflt = opset >= 13 ? -1 : 1;
  const a = normAxis(attrInt(n, 'axis', dflt), rank);
  if (opset < 13) return { outer: sizeOf(dims.slice(0, a)), n: sizeOf(dims.slice(a)), inner: 1 };
  return { outer: sizeOf(dims.slice(0, a)), n: dims[a], inner: sizeOf(dims.slice(a + 1)) };
}

function softmaxFloat(x: Tensor, s: { outer: number; n: number; inner: number }, log: boolean): Tensor {
  const out = new Float64Array(x.data.length);
  for (let o = 0; o < s.outer; o++)
    for (let i = 0; i < s.inner; i++) {
      const b = o * s.n * s.inner + i;
      let mx = -Infinity;
      for (let k = 0; k < s.n; k++) mx = Math.max(mx, x.data[b + k * s.inner]);
      let S = 0;
      for (let k = 0; k < s.n; k++) S += Math.exp(x.data[b + k * s.inner] - mx);
      for (let k = 0; k < s.n; k++) {
        const d = x.data[b + k * s.inner] - mx;
        out[b + k * s.inner] = log ? d - Math.log(S) : Math.exp(d) / S;
      }
    }
  return { dims: x.dims, data: out, dtype: x.dtype };
}

const EXP_BITS = 15;

/**
 * Bits of the exp table of a softmax over n entries with output exponent fo: EXP_BITS when the
 * unsplit division fits p; for longer rows the split division (`proofs/softmax.ts`) needs
 * 2·n·2^b ≤ 2^29 (the remainder's range) and 2^(fo+1+b) ≤ 2^29 (the low half), so b drops with
 * n: 15 up to n = 8,192, 12 at n = 50,257 (an entry below 2^−13 of the row's max counts as 0).
 */
export function softmaxExpBits(n: number, fo: number): number {
  if (softmaxDivision(n, 2 ** EXP_BITS, fo, { lo: QLO, hi: QHI }).bound < P) return EXP_BITS;
  return Math.min(EXP_BITS, Math.floor(Math.log2(2 ** 28 / n)), 28 - fo);
}

function lowerSoftmax(q: Lowering, n: Node, log: boolean): void {
  const x = q.act(n.inputs[0]);
  const s = axisSplit(n, x.dims, q.opset);
  const out = n.outputs[0];
  const fo = q.expOf(out);
  const range = x.hi - x.lo;
  const expBits = log ? EXP_BITS : softmaxExpBits(s.n, fo);
  const expTable = new Int32Array(range + 1);
  for (let d = 0; d <= range; d++) expTable[d] = roundHalfUp(Math.exp(-d * 2 ** -x.exp) * 2 ** expBits);
  let logTable: Int32Array | null = null;
  let kTable: Int32Array | null = null;
  if (log) {
    logTable = new Int32Array(512);
    for (let m = 512; m < 1024; m++) logTable[m - 512] = roundHalfUp(Math.log(m) * 2 ** fo);
    kTable = new Int32Array(128);
    for (let k = -64; k < 64; k++) kTable[k + 64] = roundHalfUp((k - EXP_BITS) * Math.LN2 * 2 ** fo);
  }
  // the unsplit bound as it always was (rows short enough for it keep their layer), else the split's
  const Smax = s.n * 2 ** expBits;
  const unsplit = 2 * 2 ** expBits * 2 ** Math.max(fo, 0) + Smax + 2 * Smax * 256;
  const bound = log ? 4 * 2 ** 20 : unsplit < P ? unsplit : softmaxDivision(s.n, 2 ** expBits, fo, { lo: QLO, hi: QHI }).bound;
  checkBound(bound, n, `the softmax division (n = ${s.n})`);
  q.emit(
    {
      kind: 'softmax', name: n.name, op: n.opType, inputs: [x.name], output: out, bound, ...s, inExp: x.exp, outExp: fo,
      expBits, expTable, log, logTable, kTable,
    },
    { dims: x.dims, exp: fo, lo: QLO, hi: QHI },
  );
}

export const Softmax: OpDef = {
  float: (n, x, opset) => [softmaxFloat(x[0]!, axisSplit(n, x[0]!.dims, opset), false)],
  lower: (q, n) => lowerSoftmax(q, n, false),
};

export const LogSoftmax: OpDef = {
  float: (n, x, opset) => [softmaxFloat(x[0]!, axisSplit(n, x[0]!.dims, opset), true)],
  lower: (q, n) => lowerSoftmax(q, n, true),
};
