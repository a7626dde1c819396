/**
 * Window maps shared by the pooling and reduction ops. A window op is described by, for every output
 * element, the list of input indices it reads (−1: a padding cell, −2: outside even the padding); the
 * float reference and the integer kernel (src/ops/kernels/window.ts) both walk the same map, so the
 * prover's wiring is this table.
 */
import type { Node } from '../model/graph.js';
import { sizeOf, stridesOf, normAxis, type Tensor } from '../model/tensor.js';
import { checkBound, requantBound, type Lowering } from '../quantize/lowering.js';
import { P } from '../quantize/layers.js';
import { padAxis } from './Conv.js';
import { attrInt, attrInts, attrStr } from './op.js';
import { QHI, QLO } from './common.js';

export interface WindowMap { outDims: number[]; win: number; map: Int32Array }

export function poolMap(n: Node, dims: number[], globalPool = false): WindowMap {
  const sp = dims.length - 2;
  const ks = globalPool ? dims.slice(2) : attrInts(n, 'kernel_shape');
  if (!ks) throw new Error('kernel_shape is required');
  const st = globalPool ? ks.map(() => 1) : attrInts(n, 'strides') ?? ks.map(() => 1);
  const di = globalPool ? ks.map(() => 1) : attrInts(n, 'dilations') ?? ks.map(() => 1);
  const pads = globalPool ? ks.map(() => 0).concat(ks.map(() => 0)) : attrInts(n, 'pads') ?? ks.map(() => 0).concat(ks.map(() => 0));
  const ap = globalPool ? 'NOTSET' : attrStr(n, 'auto_pad', 'NOTSET');
  const ceil = !globalPool && attrInt(n, 'ceil_mode', 0) === 1;
  const axes = ks.map((k, i) => padAxis(dims[2 + i], k, st[i], di[i], [pads[i], pads[i + sp]], ap, ceil));
  const outDims = [dims[0], dims[1], ...axes.map((a) => a.out)];
  const win = sizeOf(ks);
  const nOut = sizeOf(outDims);
  const map = new Int32Array(nOut * win);
  const inStr = stridesOf(dims);
  const outSp = outDims.slice(2);
  const spOut = sizeOf(outSp);
  const oi = new Array<number>(sp).fill(0);
  const ki = new Array<number>(sp).fill(0);
  let j = 0;
  for (let bc = 0; bc < dims[0] * dims[1]; bc++) {
    for (let o = 0; o < spOut; o++) {
      let r = o;
      for (let a = sp - 1; a >= 0; a--) {
        oi[a] = r % outSp[a];
        r = Math.floor(r / outSp[a]);
      }
      for (let k = 0; k < win; k++) {
        let rk = k;
        for (let a = sp - 1; a >= 0; a--) {
          ki[a] = rk % ks[a];
          rk = Math.floor(rk / ks[a]);
        }
        let off = bc * (dims.length > 1 ? inStr[1] : 1);
        let code = 0;
        for (let a = 0; a < sp; a++) {
          const p = oi[a] * st[a] + ki[a] * di[a] - axes[a].pb;
          if (p < 0 || p >= dims[2 + a]) {
            const beyond = p < -axes[a].pb || p >= dims[2 + a] + axes[a].pe;
            code = beyond ? -2 : code === -2 ? -2 : -1;
          } else off += p * inStr[2 + a];
        }
        map[j * win + k] = code < 0 ? code : off;
      }
      j++;
    }
  }
  return { outDims, win, map };
}

/** Reduction over `axes` (all when empty): map of each output to the input cells it reduces. */
export function reduceMap(dims: number[], axesIn: number[] | undefined, keep: boolean, noopEmpty: boolean): WindowMap {
  const rank = dims.length;
  let axes = (axesIn ?? []).map((a) => normAxis(a, rank));
  if (axes.length === 0) axes = noopEmpty ? [] : dims.map((_, i) => i);
  const red = new Set(axes);
  const outFull = dims.map((d, i) => (red.has(i) ? 1 : d));
  const outDims = keep ? outFull : dims.filter((_, i) => !red.has(i));
  const win = axes.reduce((a, i) => a * dims[i], 1);
  const nOut = sizeOf(outFull);
  const map = new Int32Array(nOut * win);
  const fill = new Int32Array(nOut);
  const outStr = stridesOf(outFull);
  const n = sizeOf(dims);
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let o = 0;
    for (let a = 0; a < rank; a++) if (!red.has(a)) o += idx[a] * outStr[a];
    map[o * win + fill[o]++] = i;
    for (let a = rank - 1; a >= 0; a--) {
      if (++idx[a] < dims[a]) break;
      idx[a] = 0;
    }
  }
  return { outDims, win, map };
}

export function windowFloat(x: Tensor, wm: WindowMap, mode: 'max' | 'min' | 'sum' | 'avg' | 'avgpad' | 'sumsq' | 'l1' | 'l2' | 'logsumexp' | 'prod'): Tensor {
  const nOut = sizeOf(wm.outDims);
  const out = new Float64Array(nOut);
  for (let j = 0; j < nOut; j++) {
    let acc = mode === 'max' ? -Infinity : mode === 'min' ? Infinity : mode === 'prod' ? 1 : 0;
    let cnt = 0;
    let cntPad = 0;
    for (let k = 0; k < wm.win; k++) {
      const m = wm.map[j * wm.win + k];
      if (m === -1) cntPad++;
      if (m < 0) continue;
      const v = x.data[m];
      cnt++;
      cntPad++;
      if (mode === 'max') acc = Math.max(acc, v);
      else if (mode === 'min') acc = Math.min(acc, v);
      else if (mode === 'sumsq' || mode === 'l2') acc += v * v;
      else if (mode === 'l1') acc += Math.abs(v);
      else if (mode === 'logsumexp') acc += Math.exp(v);
      else if (mode === 'prod') acc *= v;
      else acc += v;
    }
    if (mode === 'avg') acc /= cnt;
    if (mode === 'avgpad') acc /= cntPad;
    if (mode === 'l2') acc = Math.sqrt(acc);
    if (mode === 'logsumexp') acc = Math.log(acc);
    if (wm.win === 0 && (mode === 'max' || mode === 'min')) acc = mode === 'max' ? -Infinity : Infinity;
    out[j] = acc;
  }
  return { dims: wm.outDims, data: out, dtype: x.dtype };
}

/**
 * Emit a window layer. max/min keep the input exponent; sum/avg: y = round(acc·2^a / (count·2^b))
 * with 2^(a−b) = 2^(fy − fx), one division with remainder per output.
 */
export function lowerWindow(q: Lowering, n: Node, wm: WindowMap, mode: 'max' | 'min' | 'sum' | 'avg' | 'avgpad'): void {
  const x = q.act(n.inputs[0]);
  const out = n.outputs[0];
  if (mode === 'max' || mode === 'min') {
    const map = wm.map.map((v) => (v < 0 ? -1 : v));
    q.emit(
      { kind: 'window', name: n.name, op: n.opType, inputs: [x.name], output: out, bound: 512, mode, win: wm.win, map, counts: null, mult: 1, div: 1 },
      { dims: wm.outDims, exp: x.exp, lo: x.lo, hi: x.hi },
    );
    return;
  }
  const nOut = sizeOf(wm.outDims);
  let counts: Int32Array | null = null;
  let maxCount = 1;
  if (mode !== 'sum') {
    counts = new Int32Array(nOut);
    for (let j = 0; j < nOut; j++) {
      let c = 0;
      for (let k = 0; k < wm.win; k++) {
        const m = wm.map[j * wm.win + k];
        if (m >= 0 || (mode === 'avgpad' && m === -1)) c++;
      }
      counts[j] = Math.max(c, 1);
      maxCount = Math.max(maxCount, counts[j]);
    }
  }
  // a mean of squares read by a table (a variance) keeps 16 bits (`quantize/wide.ts`); finer than
  // its 16-bit inputs (a row of squares with one outlier at d = 768) it could wrap, so it is kept
  // coarse enough for the relation instead
  const wide = mode === 'sum' || mode === 'avg' ? q.wide(out) : null;
  const mag = Math.max(128, -x.lo, x.hi);
  let fy = wide ? wide.exp : q.expOf(out);
  while (wide && fy > x.exp && requantBound(wm.win * mag * 2 ** (fy - x.exp), maxCount) >= P) fy--;
  const t = fy - x.exp;
  const mult = t >= 0 ? 2 ** t : 1;
  const div = t >= 0 ? 1 : 2 ** -t;
  const map = wm.map.map((v) => (v < 0 ? -1 : v));
  const bound = requantBound(wm.win * mag * mult, div * maxCount);
  checkBound(bound, n, `the window sum (window ${wm.win})`);
  q.emit(
    { kind: 'window', name: n.name, op: n.opType, inputs: [x.name], output: out, bound, mode: 'sum', win: wm.win, map, counts, mult, div },
    { dims: wm.outDims, exp: fy, lo: wide?.lo ?? QLO, hi: wide?.hi ?? QHI },
  );
}
