/**
 * The WebAssembly `Workspace`: buffers carved out of the module's linear memory, so tables stay
 * where the kernels (`assembly/rounds.ts`, and the pointer kernels of `assembly/kernels.ts`) run on
 * them, across any number of calls, with no copies but the caller's `write`/`read`.
 *
 * Memory. `WasmField.scratch` is where per-call scratch begins; a workspace allocates upward from
 * there and moves `scratch` above its buffers, so ordinary kernels called meanwhile use memory
 * above them. `release` moves it back down, hence workspaces nest like a stack (checked).
 * Addresses stay valid when memory grows (only the JS view is re-created), so buffers are handled
 * by address and every access goes through `WasmField.ensure`, which refreshes the view.
 */
import { extMul } from './extension.js';
import type { Workspace, WsBuf } from './kernels.js';
import type { WasmField } from './wasm.js';

interface WasmBuf extends WsBuf {
  /** Byte address in linear memory. */
  readonly ptr: number;
}

const ptr = (b: WsBuf): number => (b as WasmBuf).ptr;

/** Byte size of a region, rounded up to 64 bytes so regions start cache-line aligned. */
function lengthOf(words: number): number {
  return (words * 4 + 63) & ~63;
}

export function wasmWorkspace(f: WasmField): Workspace {
  const ex = f.ex;
  const base = f.scratch;
  const depth = ++f.workspaces;
  let live = true;

  /** Scratch above every buffer, made addressable for `bytes`. */
  function scratch(bytes: number): number {
    f.ensure(f.scratch + bytes);
    return f.scratch;
  }
  /** Copies an ext result of `count` elements out of scratch. */
  function out(p: number, count: number): Uint32Array {
    return f.u32.slice(p >>> 2, (p >>> 2) + 4 * count);
  }

  return {
    alloc(words) {
      if (!live) throw new Error('workspace: alloc after release');
      if (depth !== f.workspaces) throw new Error('workspace: alloc while a newer workspace is held');
      const p = f.scratch;
      const end = p + lengthOf(words);
      const m = f.ensure(end);
      m.fill(0, p >>> 2, (p >>> 2) + words);
      f.scratch = end;
      return { words, ptr: p } as WasmBuf;
    },
    view(b, at, words) {
      return { words: words ?? b.words - at, ptr: ptr(b) + 4 * at } as WasmBuf;
    },
    write(b, data) {
      f.ensure(ptr(b) + 4 * data.length).set(data, ptr(b) >>> 2);
    },
    read(b, words = b.words) {
      return f.ensure(ptr(b) + 4 * words).slice(ptr(b) >>> 2, (ptr(b) >>> 2) + words);
    },
    zero(b, words = b.words) {
      f.ensure(ptr(b) + 4 * words).fill(0, ptr(b) >>> 2, (ptr(b) >>> 2) + words);
    },
    release() {
      if (!live) return;
      if (depth !== f.workspaces) throw new Error('workspace: released out of order (a newer workspace is still held)');
      live = false;
      f.workspaces--;
      f.scratch = base;
    },

    eqTableAdd(o, z, s, limit) {
      const k = z.length >>> 2;
      const tmpWords = 4 * Math.max(1, Math.min(2 ** Math.max(k - 1, 0), limit));
      const pz = scratch(lengthOf(z.length) + lengthOf(tmpWords));
      f.u32.set(z, pz >>> 2);
      ex.eqTableAdd(ptr(o), pz + lengthOf(z.length), pz, k, s[0], s[1], s[2], s[3], limit);
    },
    foldBase(o, t, r, n) {
      ex.foldBase(ptr(o), ptr(t), r[0], r[1], r[2], r[3], n);
    },
    foldExt(o, t, r, n) {
      ex.foldExt(ptr(o), ptr(t), r[0], r[1], r[2], r[3], n);
    },
    extMulAdd(acc, a, s, n) {
      ex.extMulAdd(ptr(acc), ptr(a), s[0], s[1], s[2], s[3], n);
    },
    pairSum(o, t, n) {
      ex.pairSum(ptr(o), ptr(t), n);
    },
    ipRound(g, fv, pairs, fBase, withOne) {
      const po = scratch(64 + 384);
      if (fBase) ex.ipRoundBase(po, ptr(g), ptr(fv), pairs, po + 64);
      else ex.ipRoundExt(po, ptr(g), ptr(fv), pairs, withOne ? 1 : 0, po + 64);
      const s = out(po, 3);
      if (!withOne) s.fill(0, 4, 8);
      return s;
    },
    fracRound(p0, q0, q1, u, w, pairs, withOne) {
      const po = scratch(64 + 384);
      ex.fracRound(po, ptr(p0), ptr(q0), ptr(q1), ptr(u), ptr(w), pairs, withOne ? 1 : 0, po + 64);
      const h = out(po, 3);
      if (!withOne) h.fill(0, 4, 8);
      return h;
    },
    fracRoundUnit(a, b, w, pairs, withOne, isBase) {
      const po = scratch(128 + 704);
      if (isBase) ex.fracRoundLeaves(po, ptr(a), ptr(b), ptr(w), pairs, withOne ? 1 : 0, po + 128);
      else ex.fracRoundUnit(po, ptr(a), ptr(b), ptr(w), pairs, withOne ? 1 : 0, po + 128);
      return out(po, 6);
    },
    fracParent(np, nq, p, q, n) {
      const ps = scratch(64);
      ex.fracParent(ptr(np), ptr(nq), ptr(p), ptr(q), n, ps);
    },
    unitParent(np, nq, e, n, alpha) {
      const a2 = extMul(alpha, alpha);
      ex.unitParent(ptr(np), ptr(nq), ptr(e), n, alpha[0], alpha[1], alpha[2], alpha[3], a2[0], a2[1], a2[2], a2[3]);
    },
  };
}
