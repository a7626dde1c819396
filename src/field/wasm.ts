/**
 * The WebAssembly field kernels: loads the module compiled from `assembly/kernels.ts` (embedded
 * as base64 by `scripts/embed-wasm.mjs`, so no file or network access is needed) and wraps it
 * as a `FieldKernels`.
 *
 * Memory. The module's linear memory is laid out as
 *   [heapBase, heapBase + 4·2^twLog)  nested NTT twiddle table for sizes ≤ 2^twLog (kept);
 *   [.., scratch)                     buffers of the workspaces held (`./wasm-workspace.ts`);
 *   [scratch, …)                      per-call scratch: inputs are copied in, the kernel runs,
 *                                     outputs are copied out; nothing survives the call.
 * Memory grows on demand; `memory.grow` detaches the old ArrayBuffer, so the Uint32Array view
 * is re-created after every grow and never held across one. Per call the wrapper does one
 * `set` per input and one `set`/`slice` per output — no per-element JS work. Because every
 * input is copied before the kernel runs, `out` may alias any input.
 *
 * Sync compilation (`new WebAssembly.Module`) works in Node and workers; a browser main thread
 * may refuse it for large modules, in which case `loadWasmKernels` returns null and
 * `./active.ts` falls back to the reference kernels.
 */
import type { FieldKernels } from './kernels.js';
import type { Ext } from './extension.js';
import { referenceKernels } from './reference.js';
import { wasmWorkspace } from './wasm-workspace.js';
import { KERNELS_WASM_BASE64 } from './wasm/kernels.generated.js';

/** The exports of assembly/kernels.ts (pointers are byte addresses, counts are elements). */
export interface KernelExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  heapBase(): number;
  add(out: number, a: number, b: number, n: number): void;
  sub(out: number, a: number, b: number, n: number): void;
  mul(out: number, a: number, b: number, n: number): void;
  scale(out: number, a: number, s: number, n: number): void;
  mulAdd(acc: number, a: number, s: number, n: number): void;
  dot(a: number, b: number, n: number): number;
  extMul(out: number, a: number, b: number, n: number): void;
  extScale(out: number, a: number, s0: number, s1: number, s2: number, s3: number, n: number): void;
  extMulAdd(acc: number, a: number, s0: number, s1: number, s2: number, s3: number, n: number): void;
  extMulAddBase(acc: number, a: number, s0: number, s1: number, s2: number, s3: number, n: number): void;
  extDot(out: number, a: number, b: number, n: number): void;
  extDotBase(out: number, a: number, b: number, n: number): void;
  combineRows(out: number, m: number, coeffs: number, rows: number, cols: number): void;
  foldBase(out: number, t: number, r0: number, r1: number, r2: number, r3: number, n: number): void;
  foldExt(out: number, t: number, r0: number, r1: number, r2: number, r3: number, n: number): void;
  eqTable(out: number, z: number, k: number): void;
  productRound(out: number, tables: number, stride: number, L: number, n: number, degree: number, scratch: number): void;
  initTwiddles(tw: number, logN: number): void;
  nttBatch(a: number, count: number, logN: number, inverse: number, tw: number): void;
  transpose(out: number, a: number, rows: number, cols: number): void;
  eqTableAdd(out: number, tmp: number, z: number, k: number, s0: number, s1: number, s2: number, s3: number, limit: number): void;
  ipRoundBase(out: number, g: number, f: number, pairs: number, scratch: number): void;
  ipRoundExt(out: number, g: number, f: number, pairs: number, withOne: number, scratch: number): void;
  pairSum(out: number, t: number, n: number): void;
  fracRound(out: number, p0: number, q0: number, q1: number, u: number, w: number, pairs: number, withOne: number, scratch: number): void;
  fracRoundUnit(out: number, a: number, b: number, w: number, pairs: number, withOne: number, scratch: number): void;
  fracRoundLeaves(out: number, a: number, b: number, w: number, pairs: number, withOne: number, scratch: number): void;
  fracParent(np: number, nq: number, p: number, q: number, n: number, scratch: number): void;
  unitParent(np: number, nq: number, e: number, n: number, a0: number, a1: number, a2: number, a3: number, b0: number, b1: number, b2: number, b3: number): void;
  _initialize?(): void;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

const PAGE = 65536;
const MIN_TWIDDLE_LOG = 12;

/** Base64 → bytes without Buffer or atob, so it runs unchanged in browsers and Node. */
export function decodeBase64(s: string): Uint8Array {
  const table = new Uint8Array(128);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < 64; i++) table[alphabet.charCodeAt(i)] = i;
  let len = s.length;
  while (len > 0 && s[len - 1] === '=') len--;
  const out = new Uint8Array((len * 3) >> 2);
  let acc = 0;
  let bits = 0;
  let j = 0;
  for (let i = 0; i < len; i++) {
    acc = (acc << 6) | table[s.charCodeAt(i) & 127];
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >>> bits) & 255;
    }
  }
  return out;
}

/**
 * The raw module with its memory manager. Exposed for benchmarks (which time the kernels in
 * place, without the copies) and tests; protocol code uses `wasmKernels`.
 */
export class WasmField {
  readonly ex: KernelExports;
  /** View of the whole memory; re-created by `ensure` after a grow. */
  u32: Uint32Array;
  /** Byte address of the twiddle table. */
  readonly tw: number;
  /** Largest log size the twiddle table covers (−1: none yet). */
  twLog = -1;
  /** Byte address where per-call scratch begins (above the twiddle table and workspace buffers). */
  scratch: number;
  /** Number of workspaces holding buffers (`./wasm-workspace.ts`); the twiddle table cannot move meanwhile. */
  workspaces = 0;

  constructor(ex: KernelExports) {
    this.ex = ex;
    ex._initialize?.();
    this.tw = (ex.heapBase() + 63) & ~63;
    this.scratch = this.tw;
    this.u32 = new Uint32Array(ex.memory.buffer);
  }

  /** Makes bytes [0, end) addressable; returns the (possibly new) view. */
  ensure(end: number): Uint32Array {
    const have = this.ex.memory.buffer.byteLength;
    if (end > have) {
      this.ex.memory.grow(Math.ceil((end - have) / PAGE));
      this.u32 = new Uint32Array(this.ex.memory.buffer);
    } else if (this.u32.buffer !== this.ex.memory.buffer) {
      this.u32 = new Uint32Array(this.ex.memory.buffer);
    }
    return this.u32;
  }

  /** Makes the twiddle table cover NTT sizes up to 2^logN. */
  twiddles(logN: number): void {
    if (logN <= this.twLog) return;
    if (this.workspaces > 0) throw new Error('wasm kernels: the twiddle table cannot grow while a workspace is held');
    const log = Math.max(logN, MIN_TWIDDLE_LOG);
    const bytes = 4 << log;
    this.ensure(this.tw + bytes);
    this.ex.initTwiddles(this.tw, log);
    this.twLog = log;
    this.scratch = this.tw + bytes;
  }
}

function lengthOf(words: number): number {
  // byte size of a region, rounded up to 64 bytes so regions start cache-line aligned
  return ((words << 2) + 63) & ~63;
}

/** Wraps a loaded module as FieldKernels. */
export function makeWasmKernels(f: WasmField): FieldKernels {
  const ex = f.ex;

  /** Two-input element-wise kernel: copies a and b in, computes in place over a, copies out. */
  function binary(
    fn: (out: number, a: number, b: number, n: number) => void,
    out: Uint32Array, a: Uint32Array, b: Uint32Array, n: number, words: number,
  ): void {
    const pa = f.scratch;
    const pb = pa + lengthOf(words);
    const m = f.ensure(pb + lengthOf(words));
    m.set(a.subarray(0, words), pa >>> 2);
    m.set(b.subarray(0, words), pb >>> 2);
    fn(pa, pa, pb, n);
    out.set(f.u32.subarray(pa >>> 2, (pa >>> 2) + words));
  }

  /** acc/out (ext or base, `outWords`) ← kernel(acc, a) with a scalar; computes in place. */
  function withScalar(
    call: (pOut: number, pa: number) => void,
    out: Uint32Array, outWords: number, a: Uint32Array, aWords: number, accIn: boolean,
  ): void {
    const po = f.scratch;
    const pa = po + lengthOf(outWords);
    const m = f.ensure(pa + lengthOf(aWords));
    if (accIn) m.set(out.subarray(0, outWords), po >>> 2);
    m.set(a.subarray(0, aWords), pa >>> 2);
    call(po, pa);
    out.set(f.u32.subarray(po >>> 2, (po >>> 2) + outWords));
  }

  /** Two inputs → a 4-word ext result. */
  function reduce4(
    fn: (out: number, a: number, b: number, n: number) => void,
    a: Uint32Array, aWords: number, b: Uint32Array, bWords: number, n: number,
  ): Ext {
    const po = f.scratch;
    const pa = po + 64;
    const pb = pa + lengthOf(aWords);
    const m = f.ensure(pb + lengthOf(bWords));
    m.set(a.subarray(0, aWords), pa >>> 2);
    m.set(b.subarray(0, bWords), pb >>> 2);
    fn(po, pa, pb, n);
    return f.u32.slice(po >>> 2, (po >>> 2) + 4);
  }

  const k: FieldKernels = {
    name: 'wasm',

    add(out, a, b) {
      binary(ex.add, out, a, b, a.length, a.length);
    },
    sub(out, a, b) {
      binary(ex.sub, out, a, b, a.length, a.length);
    },
    mul(out, a, b) {
      binary(ex.mul, out, a, b, a.length, a.length);
    },
    scale(out, a, s) {
      const n = a.length;
      withScalar((po, pa) => ex.scale(po, pa, s, n), out, n, a, n, false);
    },
    mulAdd(acc, a, s) {
      const n = a.length;
      withScalar((po, pa) => ex.mulAdd(po, pa, s, n), acc, n, a, n, true);
    },
    dot(a, b) {
      const n = a.length;
      const pa = f.scratch;
      const pb = pa + lengthOf(n);
      const m = f.ensure(pb + lengthOf(n));
      m.set(a, pa >>> 2);
      m.set(b.subarray(0, n), pb >>> 2);
      return ex.dot(pa, pb, n) >>> 0;
    },

    extAdd(out, a, b) {
      binary(ex.add, out, a, b, a.length, a.length);
    },
    extSub(out, a, b) {
      binary(ex.sub, out, a, b, a.length, a.length);
    },
    extMul(out, a, b) {
      binary(ex.extMul, out, a, b, a.length >>> 2, a.length);
    },
    extScale(out, a, s) {
      const w = a.length;
      withScalar((po, pa) => ex.extScale(po, pa, s[0], s[1], s[2], s[3], w >>> 2), out, w, a, w, false);
    },
    extMulAdd(acc, a, s) {
      const w = a.length;
      withScalar((po, pa) => ex.extMulAdd(po, pa, s[0], s[1], s[2], s[3], w >>> 2), acc, w, a, w, true);
    },
    extMulAddBase(acc, a, s) {
      const n = a.length;
      withScalar((po, pa) => ex.extMulAddBase(po, pa, s[0], s[1], s[2], s[3], n), acc, 4 * n, a, n, true);
    },
    extDot(a, b) {
      return reduce4(ex.extDot, a, a.length, b, a.length, a.length >>> 2);
    },
    extDotBase(a, b) {
      return reduce4(ex.extDotBase, a, 4 * b.length, b, b.length, b.length);
    },
    combineRows(out, m, coeffs, cols) {
      const rows = coeffs.length >>> 2;
      const po = f.scratch;
      const pm = po + lengthOf(4 * cols);
      const pc = pm + lengthOf(rows * cols);
      const mem = f.ensure(pc + lengthOf(4 * rows));
      mem.set(m.subarray(0, rows * cols), pm >>> 2);
      mem.set(coeffs.subarray(0, 4 * rows), pc >>> 2);
      ex.combineRows(po, pm, pc, rows, cols);
      out.set(f.u32.subarray(po >>> 2, (po >>> 2) + 4 * cols));
    },

    foldBase(out, t, r) {
      const n = t.length >>> 1;
      const po = f.scratch;
      const pt = po + lengthOf(4 * n);
      const m = f.ensure(pt + lengthOf(2 * n));
      m.set(t.subarray(0, 2 * n), pt >>> 2);
      ex.foldBase(po, pt, r[0], r[1], r[2], r[3], n);
      out.set(f.u32.subarray(po >>> 2, (po >>> 2) + 4 * n));
    },
    foldExt(out, t, r) {
      const n = t.length >>> 3;
      const pt = f.scratch;
      const m = f.ensure(pt + lengthOf(8 * n));
      m.set(t.subarray(0, 8 * n), pt >>> 2);
      ex.foldExt(pt, pt, r[0], r[1], r[2], r[3], n);
      out.set(f.u32.subarray(pt >>> 2, (pt >>> 2) + 4 * n));
    },
    eqTable(z) {
      const kVars = z.length >>> 2;
      const words = 4 << kVars;
      const pz = f.scratch;
      const po = pz + lengthOf(4 * kVars);
      const m = f.ensure(po + lengthOf(words));
      m.set(z.subarray(0, 4 * kVars), pz >>> 2);
      ex.eqTable(po, pz, kVars);
      return f.u32.slice(po >>> 2, (po >>> 2) + words);
    },
    productRound(tables, degree) {
      const L = tables.length;
      const words = tables[0].length;
      const n = words >>> 3;
      const stride = lengthOf(words);
      const po = f.scratch;
      const ps = po + lengthOf(4 * (degree + 1));
      const pt = ps + lengthOf(8 * L + 28 * (degree + 1));
      const m = f.ensure(pt + L * stride);
      for (let l = 0; l < L; l++) m.set(tables[l].subarray(0, words), (pt + l * stride) >>> 2);
      ex.productRound(po, pt, stride, L, n, degree, ps);
      return f.u32.slice(po >>> 2, (po >>> 2) + 4 * (degree + 1));
    },

    nttBatch(a, count, logN, inverse) {
      // the table sits below workspace buffers; while they are held, larger sizes use the oracle
      if (f.workspaces > 0 && logN > f.twLog) return referenceKernels.nttBatch(a, count, logN, inverse);
      f.twiddles(logN);
      const words = count * 2 ** logN;
      const pa = f.scratch;
      const m = f.ensure(pa + lengthOf(words));
      m.set(a.subarray(0, words), pa >>> 2);
      ex.nttBatch(pa, count, logN, inverse ? 1 : 0, f.tw);
      a.set(f.u32.subarray(pa >>> 2, (pa >>> 2) + words));
    },
    transpose(out, a, rows, cols) {
      const words = rows * cols;
      const pa = f.scratch;
      const po = pa + lengthOf(words);
      const m = f.ensure(po + lengthOf(words));
      m.set(a.subarray(0, words), pa >>> 2);
      ex.transpose(po, pa, rows, cols);
      out.set(f.u32.subarray(po >>> 2, (po >>> 2) + words));
    },

    workspace() {
      return wasmWorkspace(f);
    },
  };
  return k;
}

/** Instantiates the embedded module synchronously; null where WebAssembly is unavailable. */
export function loadWasmField(): WasmField | null {
  try {
    const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
    if (api === undefined) return null;
    const module = new api.Module(decodeBase64(KERNELS_WASM_BASE64));
    const instance = new api.Instance(module, {});
    return new WasmField(instance.exports as KernelExports);
  } catch {
    return null;
  }
}

/** The WebAssembly kernels, or null (never throws) where they cannot be instantiated. */
export function loadWasmKernels(): FieldKernels | null {
  const f = loadWasmField();
  return f === null ? null : makeWasmKernels(f);
}

/**
 * The WebAssembly kernels of this process. Where WebAssembly cannot be instantiated this is the
 * reference implementation instead — check `wasmKernels.name === 'wasm'` to tell.
 */
export const wasmKernels: FieldKernels = loadWasmKernels() ?? referenceKernels;
