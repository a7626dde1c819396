/**
 * The multilinear layout of a tensor (DESIGN §3 "Multilinear view"): every dimension is padded to
 * a power of two and the padded tensor is flattened row-major, so the last dimension holds the
 * lowest variables. A tensor of dims (d_0, …, d_{k−1}) has Σ_i log2(pad(d_i)) variables and its
 * real entries are those whose every coordinate is below d_i. Padding entries are zero in every
 * committed tensor, and each relation that defines a tensor also proves its padding is zero.
 *
 * χ(x) = 1 on real entries and 0 on padding; its MLE factors per dimension,
 *   χ~(z) = Π_i Σ_{c < d_i} eq(z_i, c),
 * which the verifier computes in O(Σ d_i).
 */
import { P } from '../field/babybear.js';
import { type Ext, ext, extAdd, extMul, extOneMinus } from '../field/extension.js';
import { kernels } from '../field/active.js';
import type { Point } from '../poly/multilinear.js';

export interface Layout {
  dims: number[];
  /** dims padded to powers of two (a 0-d tensor is [1]) */
  pdims: number[];
  /** log2 of every padded dimension */
  logs: number[];
  /** total number of variables */
  numVars: number;
  /** number of real entries */
  size: number;
}

export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export function layoutOf(dims: readonly number[]): Layout {
  const d = dims.length === 0 ? [1] : dims.slice();
  for (const v of d) if (!Number.isInteger(v) || v < 1) throw new RangeError(`layout: expected positive dimensions, got [${dims.join(', ')}]`);
  const pdims = d.map(nextPow2);
  const logs = pdims.map((v) => Math.log2(v));
  const numVars = logs.reduce((a, b) => a + b, 0);
  if (numVars > 30) throw new RangeError(`layout: a tensor of shape [${dims.join(', ')}] has 2^${numVars} padded entries, more than 2^30`);
  return { dims: d, pdims, logs, numVars, size: d.reduce((a, b) => a * b, 1) };
}

const PADDED = new WeakMap<Layout, Int32Array>();

/** Padded index of every real entry, in row-major order of the real tensor (cached per layout; read-only). */
export function paddedIndex(l: Layout): Int32Array {
  let idx = PADDED.get(l);
  if (!idx) {
    idx = computePaddedIndex(l);
    PADDED.set(l, idx);
  }
  return idx;
}

function computePaddedIndex(l: Layout): Int32Array {
  const out = new Int32Array(l.size);
  const k = l.dims.length;
  const coords = new Array<number>(k).fill(0);
  const pstride = new Array<number>(k);
  let s = 1;
  for (let i = k - 1; i >= 0; i--) {
    pstride[i] = s;
    s *= l.pdims[i];
  }
  for (let j = 0; j < l.size; j++) {
    let p = 0;
    for (let i = 0; i < k; i++) p += coords[i] * pstride[i];
    out[j] = p;
    for (let i = k - 1; i >= 0; i--) {
      if (++coords[i] < l.dims[i]) break;
      coords[i] = 0;
    }
  }
  return out;
}

/** Whether the padded layout coincides with the flat one (every dimension but the first is a power of two). */
export function isDense(l: Layout): boolean {
  for (let i = 1; i < l.dims.length; i++) if (l.pdims[i] !== l.dims[i]) return false;
  return true;
}

/** Signed integers → canonical field elements on the padded layout (zeros on padding). */
export function toField(l: Layout, values: ArrayLike<number>): Uint32Array {
  if (values.length !== l.size) throw new RangeError(`toField: expected ${l.size} values for shape [${l.dims.join(', ')}], got ${values.length}`);
  const out = new Uint32Array(2 ** l.numVars);
  if (isDense(l)) {
    for (let j = 0; j < l.size; j++) out[j] = modP(values[j]);
  } else {
    const idx = paddedIndex(l);
    for (let j = 0; j < l.size; j++) out[idx[j]] = modP(values[j]);
  }
  return out;
}

/** v mod p for an integer |v| < 2^53. */
export function modP(v: number): number {
  const r = v % P;
  return r < 0 ? r + P : r;
}

/** Σ_{c < d} eq(z, c) over the variables of one dimension (little-endian). */
function prefixEqSum(z: Point, d: number): Ext {
  const n = z.length >>> 2;
  if (d >= 2 ** n) return ext(1);
  // walk the bits of d from the top: Σ_{c<d} eq(z,c) = Σ over set bits b of d: [prefix matches d above b, bit b = 0, anything below]
  let acc = ext();
  let prefix: Ext = ext(1);
  for (let b = n - 1; b >= 0; b--) {
    const zb = z.subarray(4 * b, 4 * b + 4);
    const notZ = extOneMinus(zb);
    if ((d >> b) & 1) {
      acc = extAdd(acc, extMul(prefix, notZ));
      prefix = extMul(prefix, zb);
    } else {
      prefix = extMul(prefix, notZ);
    }
  }
  return acc;
}

/** χ~(z) for a layout: the MLE of the real-entry indicator. */
export function chiEval(l: Layout, z: Point): Ext {
  if (z.length !== 4 * l.numVars) throw new RangeError(`chiEval: expected ${l.numVars} variables, got ${z.length >>> 2}`);
  let acc: Ext = ext(1);
  let off = l.numVars;
  for (let i = 0; i < l.dims.length; i++) {
    off -= l.logs[i];
    acc = extMul(acc, prefixEqSum(z.subarray(4 * off, 4 * (off + l.logs[i])), l.dims[i]));
  }
  return acc;
}

/** The eq table of z restricted to real entries, in row-major real order: out[j] = eq(z, pad(j)). */
export function eqOnReal(l: Layout, z: Point): Uint32Array {
  const eq = kernels().eqTable(z);
  if (isDense(l)) return eq.slice(0, 4 * l.size);
  const idx = paddedIndex(l);
  const out = new Uint32Array(4 * l.size);
  for (let j = 0; j < l.size; j++) out.set(eq.subarray(4 * idx[j], 4 * idx[j] + 4), 4 * j);
  return out;
}

/** MLE at z of a public integer tensor (zero padded). */
export function evalPublic(l: Layout, values: ArrayLike<number>, z: Point): Ext {
  return kernels().extDotBase(kernels().eqTable(z), toField(l, values));
}
