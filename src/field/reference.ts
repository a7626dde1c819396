/**
 * Plain-TypeScript reference kernels: the oracle that the WebAssembly kernels are tested
 * against, and the fallback where WebAssembly is unavailable (e.g. a browser main thread that
 * forbids synchronous compilation). Written for clarity; only the NTT bothers with speed.
 */
import { P, add, sub, mul, inv, rootOfUnity, pow } from './babybear.js';
import { type Ext, ext, extAdd, extMul, extSub, extMulBase, extOneMinus } from './extension.js';
import type { FieldKernels } from './kernels.js';
import { referenceWorkspace } from './reference-workspace.js';

function at(v: Uint32Array, i: number): Ext {
  return v.subarray(4 * i, 4 * i + 4);
}

function bitReverse(a: Uint32Array, off: number, logN: number): void {
  const n = 1 << logN;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const t = a[off + i];
      a[off + i] = a[off + j];
      a[off + j] = t;
    }
  }
}

/** Iterative radix-2 Cooley–Tukey NTT on a[off, off + 2^logN), natural order in and out. */
export function nttInPlace(a: Uint32Array, off: number, logN: number, inverse: boolean): void {
  const n = 1 << logN;
  if (n === 1) return;
  bitReverse(a, off, logN);
  for (let s = 1; s <= logN; s++) {
    const m = 1 << s;
    const half = m >> 1;
    let wm = rootOfUnity(s);
    if (inverse) wm = inv(wm);
    // twiddles for this stage
    const tw = new Uint32Array(half);
    tw[0] = 1;
    for (let j = 1; j < half; j++) tw[j] = mul(tw[j - 1], wm);
    for (let k = 0; k < n; k += m) {
      for (let j = 0; j < half; j++) {
        const u = a[off + k + j];
        const v = mul(a[off + k + j + half], tw[j]);
        a[off + k + j] = add(u, v);
        a[off + k + j + half] = sub(u, v);
      }
    }
  }
  if (inverse) {
    const nInv = inv(n % P);
    for (let i = 0; i < n; i++) a[off + i] = mul(a[off + i], nInv);
  }
}

export const referenceKernels: FieldKernels = {
  name: 'reference',

  add(out, a, b) {
    for (let i = 0; i < a.length; i++) out[i] = add(a[i], b[i]);
  },
  sub(out, a, b) {
    for (let i = 0; i < a.length; i++) out[i] = sub(a[i], b[i]);
  },
  mul(out, a, b) {
    for (let i = 0; i < a.length; i++) out[i] = mul(a[i], b[i]);
  },
  scale(out, a, s) {
    for (let i = 0; i < a.length; i++) out[i] = mul(a[i], s);
  },
  mulAdd(acc, a, s) {
    for (let i = 0; i < a.length; i++) acc[i] = add(acc[i], mul(a[i], s));
  },
  dot(a, b) {
    let acc = 0;
    for (let i = 0; i < a.length; i++) acc = add(acc, mul(a[i], b[i]));
    return acc;
  },

  extAdd(out, a, b) {
    for (let i = 0; i < a.length; i++) out[i] = add(a[i], b[i]);
  },
  extSub(out, a, b) {
    for (let i = 0; i < a.length; i++) out[i] = sub(a[i], b[i]);
  },
  extMul(out, a, b) {
    const n = a.length >>> 2;
    for (let i = 0; i < n; i++) out.set(extMul(at(a, i), at(b, i)), 4 * i);
  },
  extScale(out, a, s) {
    const n = a.length >>> 2;
    for (let i = 0; i < n; i++) out.set(extMul(at(a, i), s), 4 * i);
  },
  extMulAdd(acc, a, s) {
    const n = a.length >>> 2;
    for (let i = 0; i < n; i++) acc.set(extAdd(at(acc, i), extMul(at(a, i), s)), 4 * i);
  },
  extMulAddBase(acc, a, s) {
    for (let i = 0; i < a.length; i++) acc.set(extAdd(at(acc, i), extMulBase(s, a[i])), 4 * i);
  },
  extDot(a, b) {
    let acc = ext();
    const n = a.length >>> 2;
    for (let i = 0; i < n; i++) acc = extAdd(acc, extMul(at(a, i), at(b, i)));
    return acc;
  },
  extDotBase(a, b) {
    let acc = ext();
    for (let i = 0; i < b.length; i++) acc = extAdd(acc, extMulBase(at(a, i), b[i]));
    return acc;
  },
  combineRows(out, m, coeffs, cols) {
    out.fill(0, 0, 4 * cols);
    const rows = coeffs.length >>> 2;
    for (let r = 0; r < rows; r++) this.extMulAddBase(out, m.subarray(r * cols, (r + 1) * cols), at(coeffs, r));
  },

  foldBase(out, t, r) {
    const n = t.length >>> 1;
    for (let i = 0; i < n; i++) {
      const lo = t[2 * i];
      const d = sub(t[2 * i + 1], lo);
      const v = extMulBase(r, d);
      v[0] = add(v[0], lo);
      out.set(v, 4 * i);
    }
  },
  foldExt(out, t, r) {
    const n = t.length >>> 3;
    for (let i = 0; i < n; i++) {
      const lo = t.slice(8 * i, 8 * i + 4);
      const hi = t.slice(8 * i + 4, 8 * i + 8);
      out.set(extAdd(lo, extMul(r, extSub(hi, lo))), 4 * i);
    }
  },
  eqTable(z) {
    const k = z.length >>> 2;
    const out = new Uint32Array(4 << k);
    out[0] = 1;
    for (let j = 0; j < k; j++) {
      const zj = at(z, j);
      const oneMinus = extOneMinus(zj);
      const size = 1 << j;
      for (let i = size - 1; i >= 0; i--) {
        const v = out.slice(4 * i, 4 * i + 4);
        out.set(extMul(v, zj), 4 * (i + size));
        out.set(extMul(v, oneMinus), 4 * i);
      }
    }
    return out;
  },
  productRound(tables, degree) {
    const n = tables[0].length >>> 3;
    const out = new Uint32Array(4 * (degree + 1));
    for (let i = 0; i < n; i++) {
      for (let t = 0; t <= degree; t++) {
        let prod = ext(1);
        for (const T of tables) {
          const lo = T.subarray(8 * i, 8 * i + 4);
          const hi = T.subarray(8 * i + 4, 8 * i + 8);
          prod = extMul(prod, extAdd(lo, extMulBase(extSub(hi, lo), t)));
        }
        out.set(extAdd(at(out, t), prod), 4 * t);
      }
    }
    return out;
  },

  nttBatch(a, count, logN, inverse) {
    const n = 1 << logN;
    for (let c = 0; c < count; c++) nttInPlace(a, c * n, logN, inverse);
  },
  transpose(out, a, rows, cols) {
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  },

  workspace: referenceWorkspace,
};

/** Naive O(N^2) evaluation — the NTT's test oracle. */
export function naiveDft(a: Uint32Array, inverse: boolean): Uint32Array {
  const n = a.length;
  const logN = Math.log2(n);
  let w = rootOfUnity(logN);
  if (inverse) w = inv(w);
  const out = new Uint32Array(n);
  for (let j = 0; j < n; j++) {
    const wj = pow(w, j);
    let acc = 0;
    let x = 1;
    for (let b = 0; b < n; b++) {
      acc = add(acc, mul(a[b], x));
      x = mul(x, wj);
    }
    out[j] = inverse ? mul(acc, inv(n % P)) : acc;
  }
  return out;
}
