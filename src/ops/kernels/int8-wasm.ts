/**
 * WebAssembly SIMD kernels for integer inference. The main one is the matrix product of the linear
 * layers:
 *   out[r·Np + n] = Σ_{k<Kp} X[r·Kp + k] · W[n·Kp + k]   (mod 2^32, as i32)
 * with X int16 (row-major [R, Kp]) and W int8 ([Np, Kp]), Kp a multiple of 8 and Np of 4 (callers
 * pad with zeros). Each step loads eight weights sign-extended to i16 (`i16x8.load8x8_s`) and
 * multiplies them with eight activations by `i32x4.dot_i16x8_s` (exact: each pair sum is below
 * 2^24); four output columns share one activation load. Lanes accumulate mod 2^32, so the result
 * equals the exact dot product whenever that lies in [−2^31, 2^31) — the caller checks this
 * (`|x|max · Σ|w|` per layer), which the compile-time no-wrap rule (|acc| < p/2) already implies.
 * Beside it: im2col over a zero-padded int16 image (Conv), the per-channel requantization
 * floor((acc + c)·m) in the same IEEE double operations as the JS code, and a lane-wise min/max
 * (the range check after every layer).
 *
 * The module is assembled here from its instructions (under 1 KB), so there is no build step and
 * nothing to fetch. Memory is the module's own; `ensure` grows it and re-creates the views.
 * Without WebAssembly SIMD (`validate` fails) `loadInt8Mm` returns null and callers use JS loops.
 */

interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

interface MmExports {
  mem: { buffer: ArrayBuffer; grow(pages: number): number };
  mm(x: number, w: number, out: number, R: number, Np: number, Kp: number, ws: number): void;
  im2col(img: number, offs: number, col: number, OH: number, OW: number, rowStep: number, colStep: number, KK: number, rowBytes: number): void;
  requant(acc: number, accStride: number, out: number, P: number, C: number, cm: number): void;
  minmax(x: number, end: number, res: number): void;
}

// ---- a minimal assembler: just the opcodes this kernel uses ----
const I32 = 0x7f;
const V128 = 0x7b;
const F64 = 0x7c;
const uleb = (v: number): number[] => {
  const b: number[] = [];
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    b.push(byte);
  } while (v !== 0);
  return b;
};
const sleb = (v: number): number[] => {
  const b: number[] = [];
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) return [...b, byte];
    b.push(byte | 0x80);
  }
};
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const i32c = (v: number) => [0x41, ...sleb(v)];
const add = [0x6a];
const mul = [0x6c];
const geU = [0x4f];
const ltU = [0x49];
const block = [0x02, 0x40];
const loop = [0x03, 0x40];
const end = [0x0b];
const br = (d: number) => [0x0c, d];
const brIf = (d: number) => [0x0d, d];
const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
const v128Load = (offset: number) => simd(0x00, 0, ...uleb(offset));
const load8x8s = (offset: number) => simd(0x01, 0, ...uleb(offset));
const v128Zero = simd(0x0c, ...new Array<number>(16).fill(0));
const extractLane = (l: number) => simd(0x1b, l);
const i32x4Add = simd(0xae);
const dot16 = simd(0xba);
const i32Store = (offset: number) => [0x36, 2, ...uleb(offset)];
const i32Load = [0x28, 2, 0];
const i32Load16s = [0x2e, 1, 0];
const i32Store16 = [0x3b, 1, 0];

// params: 0 x, 1 w, 2 out, 3 R, 4 Np, 5 Kp, 6 ws; locals below
const [X, W, OUT, R, NP, KP, WS] = [0, 1, 2, 3, 4, 5, 6];
const [r, xr, n, k, o, w0, w1, w2, w3] = [7, 8, 9, 10, 11, 12, 13, 14, 15];
const acc = [16, 17, 18, 19];
const xv = 20;
const wp = [w0, w1, w2, w3];

function mmBody(): number[] {
  const hsum = (a: number) => [...get(a), ...extractLane(0), ...get(a), ...extractLane(1), ...add, ...get(a), ...extractLane(2), ...add, ...get(a), ...extractLane(3), ...add];
  return [
    ...get(OUT), ...set(o),
    ...i32c(0), ...set(r),
    ...block, ...loop, // rows
    ...get(r), ...get(R), ...geU, ...brIf(1),
    ...get(X), ...get(r), ...get(KP), ...mul, ...i32c(1), ...[0x74] /* shl */, ...add, ...set(xr),
    ...get(W), ...set(w0),
    ...i32c(0), ...set(n),
    ...block, ...loop, // blocks of four columns
    ...get(n), ...get(NP), ...geU, ...brIf(1),
    ...get(w0), ...get(WS), ...add, ...set(w1),
    ...get(w1), ...get(WS), ...add, ...set(w2),
    ...get(w2), ...get(WS), ...add, ...set(w3),
    ...acc.flatMap((a) => [...v128Zero, ...set(a)]),
    ...i32c(0), ...set(k),
    ...loop, // k in steps of 8 (Kp ≥ 8)
    ...get(xr), ...get(k), ...get(k), ...add, ...add, ...v128Load(0), ...set(xv),
    ...acc.flatMap((a, j) => [...get(a), ...get(xv), ...get(wp[j]), ...get(k), ...add, ...load8x8s(0), ...dot16, ...i32x4Add, ...set(a)]),
    ...get(k), ...i32c(8), ...add, ...[0x22, k] /* tee */, ...get(KP), ...ltU, ...brIf(0),
    ...end,
    ...acc.flatMap((a, j) => [...get(o), ...hsum(a), ...i32Store(4 * j)]),
    ...get(o), ...i32c(16), ...add, ...set(o),
    ...get(w3), ...get(WS), ...add, ...set(w0),
    ...get(n), ...i32c(4), ...add, ...set(n),
    ...br(0), ...end, ...end,
    ...get(r), ...i32c(1), ...add, ...set(r),
    ...br(0), ...end, ...end,
  ];
}

/**
 * im2col over a zero-padded int16 image: for each output pixel p = (oh, ow), in order,
 *   col[p·rowBytes/2 + kk] = img[(oh·rowStep + ow·colStep + offs[kk]) / 2]   (kk < KK; byte offsets)
 * Entries KK ≤ kk < Kp of a row are left as they are: they meet zero weights.
 */
function im2colBody(): number[] {
  const [IMG, OFFS, COL, OH, OW, ROWSTEP, COLSTEP, KK, ROWBYTES] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [oh, ow, rowBase, b, d, op, e, wp2] = [9, 10, 11, 12, 13, 14, 15, 16];
  return [
    ...get(COL), ...set(d),
    ...get(IMG), ...set(rowBase),
    ...get(OFFS), ...get(KK), ...i32c(2), ...[0x74], ...add, ...set(e),
    ...i32c(0), ...set(oh),
    ...block, ...loop,
    ...get(oh), ...get(OH), ...geU, ...brIf(1),
    ...get(rowBase), ...set(b),
    ...i32c(0), ...set(ow),
    ...block, ...loop,
    ...get(ow), ...get(OW), ...geU, ...brIf(1),
    ...get(OFFS), ...set(op),
    ...get(d), ...set(wp2),
    ...loop, // KK ≥ 1
    ...get(wp2), ...get(b), ...get(op), ...i32Load, ...add, ...i32Load16s, ...i32Store16,
    ...get(wp2), ...i32c(2), ...add, ...set(wp2),
    ...get(op), ...i32c(4), ...add, ...[0x22, op], ...get(e), ...ltU, ...brIf(0),
    ...end,
    ...get(d), ...get(ROWBYTES), ...add, ...set(d),
    ...get(b), ...get(COLSTEP), ...add, ...set(b),
    ...get(ow), ...i32c(1), ...add, ...set(ow),
    ...br(0), ...end, ...end,
    ...get(rowBase), ...get(ROWSTEP), ...add, ...set(rowBase),
    ...get(oh), ...i32c(1), ...add, ...set(oh),
    ...br(0), ...end, ...end,
  ];
}

/**
 * Requantization of a [P, C] accumulator block (row stride accStride bytes) into a [C, P] i32 block:
 *   out[c·P + p] = trunc(floor((f64(acc[p, c]) + cm[2c]) · cm[2c + 1]))
 * the same IEEE double operations as the JS `Math.floor((acc + c) * m)`; the caller guarantees the
 * result lies in the int32 range (so truncation never traps and equals JS's ToInt32).
 */
function requantBody(): number[] {
  const [ACC, STRIDE, OUTP, P, C, CM] = [0, 1, 2, 3, 4, 5];
  const [c, p, a, cmp] = [6, 7, 8, 9];
  const [cv, mv] = [10, 11];
  const f64Load = (off: number) => [0x2b, 3, ...uleb(off)];
  return [
    ...get(CM), ...set(cmp),
    ...i32c(0), ...set(c),
    ...block, ...loop,
    ...get(c), ...get(C), ...geU, ...brIf(1),
    ...get(cmp), ...f64Load(0), ...set(cv),
    ...get(cmp), ...f64Load(8), ...set(mv),
    ...get(ACC), ...get(c), ...i32c(2), ...[0x74], ...add, ...set(a),
    ...i32c(0), ...set(p),
    ...block, ...loop,
    ...get(p), ...get(P), ...geU, ...brIf(1),
    ...get(OUTP),
    ...get(a), ...i32Load, ...[0xb7] /* f64.convert_i32_s */, ...get(cv), ...[0xa0] /* f64.add */,
    ...get(mv), ...[0xa2] /* f64.mul */, ...[0x9c] /* f64.floor */, ...[0xaa] /* i32.trunc_f64_s */,
    ...i32Store(0),
    ...get(OUTP), ...i32c(4), ...add, ...set(OUTP),
    ...get(a), ...get(STRIDE), ...add, ...set(a),
    ...get(p), ...i32c(1), ...add, ...set(p),
    ...br(0), ...end, ...end,
    ...get(cmp), ...i32c(16), ...add, ...set(cmp),
    ...get(c), ...i32c(1), ...add, ...set(c),
    ...br(0), ...end, ...end,
  ];
}

/** Lane-wise min and max (starting from 0) of the i32 vectors in [x, end); stored at res, res + 16. */
function minmaxBody(): number[] {
  const [XP, END, RES] = [0, 1, 2];
  const [vmin, vmax, v] = [3, 4, 5];
  return [
    ...v128Zero, ...set(vmin),
    ...v128Zero, ...set(vmax),
    ...block,
    ...get(XP), ...get(END), ...geU, ...brIf(0),
    ...loop,
    ...get(XP), ...v128Load(0), ...set(v),
    ...get(vmin), ...get(v), ...simd(0xb6), ...set(vmin),
    ...get(vmax), ...get(v), ...simd(0xb8), ...set(vmax),
    ...get(XP), ...i32c(16), ...add, ...[0x22, XP], ...get(END), ...ltU, ...brIf(0),
    ...end,
    ...end,
    ...get(RES), ...get(vmin), ...simd(0x0b, 4, 0),
    ...get(RES), ...get(vmax), ...simd(0x0b, 4, 16),
  ];
}

function assemble(): Uint8Array {
  const body = [...vec([[9, I32], [5, V128]]), ...mmBody(), ...end];
  const body2 = [...vec([[8, I32]]), ...im2colBody(), ...end];
  const body3 = [...vec([[4, I32], [2, F64]]), ...requantBody(), ...end];
  const body4 = [...vec([[3, V128]]), ...minmaxBody(), ...end];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec(new Array(7).fill([I32])), 0], [0x60, ...vec(new Array(9).fill([I32])), 0], [0x60, ...vec(new Array(3).fill([I32])), 0], [0x60, ...vec(new Array(6).fill([I32])), 0]])),
    ...section(3, vec([[0], [1], [3], [2]])), // mm, im2col, requant, minmax
    ...section(5, vec([[0x00, 1]])),
    ...section(7, vec([[...name('mm'), 0x00, 0], [...name('im2col'), 0x00, 1], [...name('requant'), 0x00, 2], [...name('minmax'), 0x00, 3], [...name('mem'), 0x02, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body], [...uleb(body2.length), ...body2], [...uleb(body3.length), ...body3], [...uleb(body4.length), ...body4]])),
  ]);
}

const PAGE = 65536;

/**
 * The loaded kernels with their memory: byte addresses, views re-created after every grow. All of
 * memory is per-call scratch: weights, inputs and results are copied in and out on every call, so
 * nothing is cached between calls (a layer whose weights change in place gives the new result).
 */
export class Int8Mm {
  private readonly ex: MmExports;
  i8: Int8Array;
  i16: Int16Array;
  i32: Int32Array;
  f64: Float64Array;
  constructor(ex: MmExports) {
    this.ex = ex;
    this.i8 = new Int8Array(ex.mem.buffer);
    this.i16 = new Int16Array(ex.mem.buffer);
    this.i32 = new Int32Array(ex.mem.buffer);
    this.f64 = new Float64Array(ex.mem.buffer);
  }
  /** Makes bytes [0, end) addressable (views may be re-created: never hold one across this). */
  ensure(end: number): void {
    const have = this.ex.mem.buffer.byteLength;
    if (end > have) this.ex.mem.grow(Math.ceil((end - have) / PAGE));
    if (this.i8.buffer !== this.ex.mem.buffer) {
      this.i8 = new Int8Array(this.ex.mem.buffer);
      this.i16 = new Int16Array(this.ex.mem.buffer);
      this.i32 = new Int32Array(this.ex.mem.buffer);
      this.f64 = new Float64Array(this.ex.mem.buffer);
    }
  }
  /** Address 0 of a scratch area of at least `bytes` bytes (views may be re-created). */
  scratch(bytes: number): number {
    this.ensure(bytes);
    return 0;
  }
  /** See im2colBody: byte addresses and byte strides. */
  im2col(img: number, offs: number, col: number, OH: number, OW: number, rowStep: number, colStep: number, KK: number, rowBytes: number): void {
    this.ex.im2col(img, offs, col, OH, OW, rowStep, colStep, KK, rowBytes);
  }
  /** See requantBody: byte addresses; cm holds (c, m) f64 pairs per channel. */
  requant(acc: number, accStride: number, out: number, P: number, C: number, cm: number): void {
    this.ex.requant(acc, accStride, out, P, C, cm);
  }
  /**
   * min(0, x) and max(0, x) over an Int32Array (copied into scratch; four lanes at a time, the last
   * length mod 4 values in JS), written to r[0], r[1].
   */
  range(x: Int32Array, r: Int32Array): void {
    const n = x.length;
    const n4 = n & ~3;
    const at = this.scratch(n4 * 4 + 32);
    const res = at + n4 * 4;
    this.i32.set(n4 === n ? x : x.subarray(0, n4), at >> 2);
    this.ex.minmax(at, res, res);
    const v = this.i32;
    const q = res >> 2;
    let mn = Math.min(v[q], v[q + 1], v[q + 2], v[q + 3]);
    let mx = Math.max(v[q + 4], v[q + 5], v[q + 6], v[q + 7]);
    for (let i = n4; i < n; i++) {
      if (x[i] < mn) mn = x[i];
      if (x[i] > mx) mx = x[i];
    }
    r[0] = mn;
    r[1] = mx;
  }
  /** out[R, Np] (i32) = X[R, Kp] (i16) · W[Np rows at stride ws] (i8)ᵀ; byte addresses. */
  mm(x: number, w: number, out: number, R: number, Np: number, Kp: number, ws: number): void {
    this.ex.mm(x, w, out, R, Np, Kp, ws);
  }
}

let cached: Int8Mm | null | undefined;

/** The SIMD kernel, or null where WebAssembly or its SIMD extension is unavailable. */
export function loadInt8Mm(): Int8Mm | null {
  if (cached !== undefined) return cached;
  cached = null;
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  try {
    const bytes = assemble();
    if (wasm && wasm.validate(bytes)) {
      cached = new Int8Mm(new wasm.Instance(new wasm.Module(bytes), {}).exports as MmExports);
    }
  } catch {
    cached = null;
  }
  return cached;
}
