/**
 * The reference `Workspace`: buffers are plain `Uint32Array`s and every kernel is written for
 * clarity with the scalar field code — the oracle of the WebAssembly workspace
 * (`./wasm-workspace.ts`) in the differential tests, and the fallback where WebAssembly is missing.
 */
import { add, mul, sub } from './babybear.js';
import { type Ext, ext, extAdd, extMul, extMulBase, extSub } from './extension.js';
import type { Workspace, WsBuf } from './kernels.js';

interface RefBuf extends WsBuf {
  readonly a: Uint32Array;
}

const arr = (b: WsBuf): Uint32Array => (b as RefBuf).a;
const at = (v: Uint32Array, i: number): Ext => v.subarray(4 * i, 4 * i + 4);
const buf = (a: Uint32Array): RefBuf => ({ words: a.length, a });

/** Value at t of the ext pair (2i, 2i+1): lo + t·(hi − lo). */
function extAtT(v: Uint32Array, i: number, t: number): Ext {
  const lo = at(v, 2 * i);
  return extAdd(lo, extMulBase(extSub(at(v, 2 * i + 1), lo), t));
}

/** The same for a base pair. */
function baseAtT(v: Uint32Array, i: number, t: number): number {
  return add(v[2 * i], mul(sub(v[2 * i + 1], v[2 * i]), t));
}

export function referenceWorkspace(): Workspace {
  return {
    alloc: (words) => buf(new Uint32Array(words)),
    view: (b, from, words) => buf(arr(b).subarray(from, words === undefined ? undefined : from + words)),
    write: (b, data) => arr(b).set(data),
    read: (b, words) => arr(b).slice(0, words),
    zero: (b, words) => arr(b).fill(0, 0, words),
    release: () => {},

    eqTableAdd(out, z, s, limit) {
      const o = arr(out);
      const k = z.length >>> 2;
      for (let i = 0; i < limit; i++) {
        let v: Ext = s;
        for (let j = 0; j < k; j++) {
          const zj = at(z, j);
          v = extMul(v, (i >>> j) & 1 ? zj : extSub(ext(1), zj));
        }
        o.set(extAdd(at(o, i), v), 4 * i);
      }
    },
    foldBase(out, t, r, n) {
      const o = arr(out), v = arr(t);
      for (let i = 0; i < n; i++) {
        const x = extMulBase(r, sub(v[2 * i + 1], v[2 * i]));
        x[0] = add(x[0], v[2 * i]);
        o.set(x, 4 * i);
      }
    },
    foldExt(out, t, r, n) {
      const o = arr(out), v = arr(t);
      for (let i = 0; i < n; i++) {
        const lo = at(v, 2 * i).slice();
        o.set(extAdd(lo, extMul(r, extSub(at(v, 2 * i + 1), lo))), 4 * i);
      }
    },
    extMulAdd(acc, a, s, n) {
      const o = arr(acc), v = arr(a);
      for (let i = 0; i < n; i++) o.set(extAdd(at(o, i), extMul(s, at(v, i))), 4 * i);
    },
    pairSum(out, t, n) {
      const o = arr(out), v = arr(t);
      for (let i = 0; i < n; i++) o.set(extAdd(at(v, 2 * i), at(v, 2 * i + 1)), 4 * i);
    },
    ipRound(g, f, pairs, fBase, withOne) {
      const G = arr(g), F = arr(f);
      const out = new Uint32Array(12);
      for (const t of withOne ? [0, 1, 2] : [0, 2]) {
        let acc = ext();
        for (let i = 0; i < pairs; i++) {
          const gt = extAtT(G, i, t);
          acc = extAdd(acc, fBase ? extMulBase(gt, baseAtT(F, i, t)) : extMul(gt, extAtT(F, i, t)));
        }
        out.set(acc, 4 * t);
      }
      return out;
    },
    fracRound(p0, q0, q1, u, w, pairs, withOne) {
      const [A, B, C, D, Wt] = [p0, q0, q1, u, w].map(arr);
      const out = new Uint32Array(12);
      for (const t of withOne ? [0, 1, 2] : [0, 2]) {
        let acc = ext();
        for (let i = 0; i < pairs; i++) {
          const gate = extAdd(extMul(extAtT(A, i, t), extAtT(C, i, t)), extMul(extAtT(B, i, t), extAtT(D, i, t)));
          acc = extAdd(acc, extMul(at(Wt, i), gate));
        }
        out.set(acc, 4 * t);
      }
      return out;
    },
    fracRoundUnit(a, b, w, pairs, withOne, base) {
      const [A, B, Wt] = [a, b, w].map(arr);
      const val = (v: Uint32Array, i: number, t: number): Ext => (base ? ext(baseAtT(v, i, t)) : extAtT(v, i, t));
      const out = new Uint32Array(24);
      for (const t of withOne ? [0, 1, 2] : [0, 2]) {
        let s = ext();
        let p = ext();
        for (let i = 0; i < pairs; i++) {
          const x = val(A, i, t), y = val(B, i, t);
          s = extAdd(s, extMul(at(Wt, i), extAdd(x, y)));
          p = extAdd(p, extMul(at(Wt, i), extMul(x, y)));
        }
        out.set(s, 8 * t);
        out.set(p, 8 * t + 4);
      }
      return out;
    },
    fracParent(np, nq, p, q, n) {
      const [NP, NQ, Pv, Qv] = [np, nq, p, q].map(arr);
      for (let i = 0; i < n; i++) {
        NP.set(extAdd(extMul(at(Pv, i), at(Qv, i + n)), extMul(at(Pv, i + n), at(Qv, i))), 4 * i);
        NQ.set(extMul(at(Qv, i), at(Qv, i + n)), 4 * i);
      }
    },
    unitParent(np, nq, e, n, alpha) {
      const [NP, NQ, E] = [np, nq, e].map(arr);
      for (let i = 0; i < n; i++) {
        const qa = extSub(alpha, ext(E[i])), qb = extSub(alpha, ext(E[i + n]));
        NP.set(extAdd(qa, qb), 4 * i);
        NQ.set(extMul(qa, qb), 4 * i);
      }
    },
  };
}
