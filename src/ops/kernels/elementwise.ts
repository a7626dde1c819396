/**
 * Integer kernels of the element-wise layers: weighted sums (Add, Sub, Sum, Mean, constants), products
 * (Mul, scaled), quotients (Div), PRelu, table lookups (every unary non-linearity) and the gather copy
 * relation (all layout ops). Broadcasting is a precomputed index map per operand. Rounding is
 * round-half-up division q = floor((2·num + den) / (2·den)) with den > 0, exact on doubles below 2^53.
 */
import type { DivLayer, GatherLayer, MulLayer, PReluLayer, SumLayer, TableLayer } from '../../quantize/layers.js';

export function roundDiv(num: number, den: number): number {
  return Math.floor((2 * num + den) / (2 * den));
}

export function sumKernel(L: SumLayer, xs: Int32Array[], out: Int32Array): void {
  const n = out.length;
  const acc = new Float64Array(n);
  if (L.mode === 'select') {
    const [c, a, b] = xs;
    const [pc, pa, pb] = L.maps;
    for (let j = 0; j < n; j++) out[j] = c[pc === null ? j : pc[j]] !== 0 ? a[pa === null ? j : pa[j]] : b[pb === null ? j : pb[j]];
    return;
  }
  if (L.mode && L.mode !== 'max' && L.mode !== 'min') {
    const [a, b] = xs;
    const [ma, mb] = L.mult;
    const [pa, pb] = L.maps;
    const md = L.mode;
    for (let j = 0; j < n; j++) {
      const u = ma * a[pa === null ? j : pa[j]];
      const v = mb * b[pb === null ? j : pb[j]];
      const c = md === 'lt' ? u < v : md === 'gt' ? u > v : md === 'le' ? u <= v : md === 'ge' ? u >= v : u === v;
      out[j] = c ? L.div : 0;
    }
    return;
  }
  if (L.mode) {
    const isMax = L.mode === 'max';
    acc.fill(isMax ? -Infinity : Infinity);
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i];
      const m = L.mult[i];
      const map = L.maps[i];
      for (let j = 0; j < n; j++) {
        const v = m * x[map === null ? j : map[j]];
        if (isMax ? v > acc[j] : v < acc[j]) acc[j] = v;
      }
    }
    const D = L.div;
    for (let j = 0; j < n; j++) out[j] = Math.floor((2 * acc[j] + D) / (2 * D));
    return;
  }
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    const m = L.mult[i];
    const map = L.maps[i];
    if (map === null) for (let j = 0; j < n; j++) acc[j] += m * x[j];
    else for (let j = 0; j < n; j++) acc[j] += m * x[map[j]];
  }
  const D = L.div;
  if (D === 1) for (let j = 0; j < n; j++) out[j] = acc[j];
  else for (let j = 0; j < n; j++) out[j] = Math.floor((2 * acc[j] + D) / (2 * D));
}

export function mulKernel(L: MulLayer, a: Int32Array, b: Int32Array, out: Int32Array): void {
  const { aMap, bMap, mult, div } = L;
  for (let j = 0; j < out.length; j++) {
    const v = a[aMap === null ? j : aMap[j]] * b[bMap === null ? j : bMap[j]] * mult;
    out[j] = Math.floor((2 * v + div) / (2 * div));
  }
}

/** Returns the index of the first zero divisor, or −1. */
export function divKernel(L: DivLayer, a: Int32Array, b: Int32Array, out: Int32Array): number {
  const { aMap, bMap, mult, div } = L;
  for (let j = 0; j < out.length; j++) {
    let num = a[aMap === null ? j : aMap[j]] * mult;
    let den = b[bMap === null ? j : bMap[j]] * div;
    if (den === 0) return j;
    if (den < 0) {
      den = -den;
      num = -num;
    }
    out[j] = Math.floor((2 * num + den) / (2 * den));
  }
  return -1;
}

export function preluKernel(L: PReluLayer, x: Int32Array, out: Int32Array): void {
  const { slope, map, div } = L;
  for (let j = 0; j < out.length; j++) {
    const v = x[j];
    out[j] = v >= 0 ? v : Math.floor((2 * v * slope[map === null ? j : map[j]] + div) / (2 * div));
  }
}

export function tableKernel(L: TableLayer, x: Int32Array, out: Int32Array): number {
  const { tlo, table } = L;
  const n = table.length;
  for (let j = 0; j < out.length; j++) {
    const i = x[j] - tlo;
    if (i < 0 || i >= n) return j;
    out[j] = table[i];
  }
  return -1;
}

export function gatherKernel(L: GatherLayer, xs: Int32Array[], out: Int32Array): void {
  const { map, fill } = L;
  const src = xs.length === 1 ? xs[0] : concatInts(xs);
  for (let j = 0; j < out.length; j++) {
    const m = map[j];
    out[j] = m < 0 ? fill : src[m];
  }
}

function concatInts(xs: Int32Array[]): Int32Array {
  let n = 0;
  for (const x of xs) n += x.length;
  const r = new Int32Array(n);
  let o = 0;
  for (const x of xs) {
    r.set(x, o);
    o += x.length;
  }
  return r;
}
