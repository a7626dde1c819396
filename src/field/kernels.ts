/**
 * Vector kernels over BabyBear and its quartic extension K — the only place where protocol
 * code does per-element arithmetic. Two implementations share this interface:
 *   - `referenceKernels` (`./reference.ts`): plain TypeScript, obviously correct, the oracle of
 *     the differential tests;
 *   - the WebAssembly kernels (`./wasm.ts`, compiled from `assembly/kernels.ts`), used by
 *     default wherever WebAssembly can be instantiated synchronously (Node).
 *
 * Conventions: base vectors are `Uint32Array`s of canonical values (< p); extension vectors
 * are `Uint32Array`s of length 4n, element i at [4i, 4i+4) (see `./extension.ts`). `out` may
 * alias an input of the same length in every element-wise kernel. Kernels trust their inputs
 * (lengths and canonical values): argument checks belong to the public boundaries that call
 * them. Folding binds the lowest variable: pairs (2i, 2i+1), as in PROTOCOL-NOTES §3.
 *
 * Multi-round protocols (a sumcheck folds its tables log n times) use a `Workspace`: buffers that
 * stay where the kernels compute — WebAssembly linear memory — so that tables are copied in once,
 * not once per round (`./wasm-workspace.ts`; oracle `./reference-workspace.ts`).
 */
import type { Ext } from './extension.js';

/** A buffer of `words` u32 words inside a workspace (opaque; `Workspace.view` makes sub-buffers). */
export interface WsBuf {
  readonly words: number;
}

/**
 * Buffers and kernels on them. Element counts are explicit; a buffer is read as base (1 word per
 * element) or ext (4 words) as each kernel states. Buffers live until `release`, which frees every
 * buffer of the workspace; workspaces are released in the reverse order of their creation.
 * Kernels trust their arguments (lengths, canonical values), like the others in this file.
 */
export interface Workspace {
  /** A zero-filled buffer. */
  alloc(words: number): WsBuf;
  /** Words [at, at + words) of b as a buffer sharing its memory (default: to the end). */
  view(b: WsBuf, at: number, words?: number): WsBuf;
  /** Copies data into b at word 0. */
  write(b: WsBuf, data: Uint32Array): void;
  /** A copy of the first `words` words of b (default: all). */
  read(b: WsBuf, words?: number): Uint32Array;
  /** Zero-fills the first `words` words of b (default: all). */
  zero(b: WsBuf, words?: number): void;
  release(): void;

  /** out[i] += s·eq(z, i) (ext) for i < limit ≤ 2^k, z ∈ K^k. */
  eqTableAdd(out: WsBuf, z: Uint32Array, s: Ext, limit: number): void;
  /** out[i] = t[2i] + r·(t[2i+1] − t[2i]) for i < n: base t → ext out. */
  foldBase(out: WsBuf, t: WsBuf, r: Ext, n: number): void;
  /** The same for an ext t; out may be t itself (in-place fold). */
  foldExt(out: WsBuf, t: WsBuf, r: Ext, n: number): void;
  /** acc[i] += s·a[i] (ext) for i < n; acc may be a. */
  extMulAdd(acc: WsBuf, a: WsBuf, s: Ext, n: number): void;
  /** out[i] = t[2i] + t[2i+1] (ext) for i < n; out may be t. */
  pairSum(out: WsBuf, t: WsBuf, n: number): void;
  /**
   * Σ_x G(x)·f(x) round: s(t) = Σ_{i<pairs} G_t[i]·f_t[i] for t = 0, 2 and, when withOne, t = 1
   * (else 0) (value at t of a pair: lo + t·(hi − lo)); G ext, f base when fBase, else ext.
   * Returns s(0), s(1), s(2).
   */
  ipRound(g: WsBuf, f: WsBuf, pairs: number, fBase: boolean, withOne: boolean): Uint32Array;
  /**
   * GKR layer round with the eq factor split off: h(t) = Σ_i w[i]·(p0·q1 + q0·u)_t[i] for t = 0, 2
   * and, when withOne, t = 1 (else 0). Returns h(0), h(1), h(2); w has `pairs` ext elements.
   */
  fracRound(p0: WsBuf, q0: WsBuf, q1: WsBuf, u: WsBuf, w: WsBuf, pairs: number, withOne: boolean): Uint32Array;
  /**
   * S_t = Σ_i w[i]·(a + b)_t[i], Π_t = Σ_i w[i]·(a·b)_t[i] for t = 0, 2 and, when withOne, 1; a, b
   * ext, or base when `base`. Returns S_0, Π_0, S_1, Π_1, S_2, Π_2.
   */
  fracRoundUnit(a: WsBuf, b: WsBuf, w: WsBuf, pairs: number, withOne: boolean, base: boolean): Uint32Array;
  /** np[i] = p[i]·q[i+n] + p[i+n]·q[i], nq[i] = q[i]·q[i+n] (ext) for i < n. */
  fracParent(np: WsBuf, nq: WsBuf, p: WsBuf, q: WsBuf, n: number): void;
  /** np[i] = 2α − (e_i + e_{i+n}), nq[i] = (α − e_i)(α − e_{i+n}) for base e, i < n. */
  unitParent(np: WsBuf, nq: WsBuf, e: WsBuf, n: number, alpha: Ext): void;
}

/** A new buffer of `ws` holding a copy of `data`. */
export function wsLoad(ws: Workspace, data: Uint32Array): WsBuf {
  const b = ws.alloc(data.length);
  ws.write(b, data);
  return b;
}

export interface FieldKernels {
  /** 'wasm' or 'reference'. */
  readonly name: string;

  // ---- base field, element-wise ----
  add(out: Uint32Array, a: Uint32Array, b: Uint32Array): void;
  sub(out: Uint32Array, a: Uint32Array, b: Uint32Array): void;
  mul(out: Uint32Array, a: Uint32Array, b: Uint32Array): void;
  /** out = s·a */
  scale(out: Uint32Array, a: Uint32Array, s: number): void;
  /** acc += s·a */
  mulAdd(acc: Uint32Array, a: Uint32Array, s: number): void;
  /** Σ a_i·b_i */
  dot(a: Uint32Array, b: Uint32Array): number;

  // ---- extension field, element-wise (all vectors 4n long) ----
  extAdd(out: Uint32Array, a: Uint32Array, b: Uint32Array): void;
  extSub(out: Uint32Array, a: Uint32Array, b: Uint32Array): void;
  extMul(out: Uint32Array, a: Uint32Array, b: Uint32Array): void;
  /** out = s·a */
  extScale(out: Uint32Array, a: Uint32Array, s: Ext): void;
  /** acc += s·a */
  extMulAdd(acc: Uint32Array, a: Uint32Array, s: Ext): void;
  /** acc (ext, n) += s·a for a base vector a (n) and s ∈ K. */
  extMulAddBase(acc: Uint32Array, a: Uint32Array, s: Ext): void;
  /** Σ a_i·b_i over K. */
  extDot(a: Uint32Array, b: Uint32Array): Ext;
  /** Σ a_i·b_i for a ∈ K^n, b ∈ F^n. */
  extDotBase(a: Uint32Array, b: Uint32Array): Ext;
  /**
   * Row combination: out (ext, cols) = Σ_r coeffs[r]·M[r] for a row-major base matrix M of
   * `rows` × `cols` (rows = coeffs.length / 4). The core of a tensor-PCS opening.
   */
  combineRows(out: Uint32Array, m: Uint32Array, coeffs: Uint32Array, cols: number): void;

  // ---- multilinear folding and eq tables ----
  /** out[i] = t[2i] + r·(t[2i+1] − t[2i]) for a base table t (length 2n) → ext out (n). */
  foldBase(out: Uint32Array, t: Uint32Array, r: Ext): void;
  /** The same for an ext table t (4·2n) → ext out (4n). out may alias t. */
  foldExt(out: Uint32Array, t: Uint32Array, r: Ext): void;
  /**
   * eq table of a point z ∈ K^k (given as 4k words, z_0 first): out[i] = Π_j (bit_j(i) ? z_j : 1 − z_j),
   * little-endian index i, length 4·2^k.
   */
  eqTable(z: Uint32Array): Uint32Array;
  /**
   * One sumcheck round for a product of multilinear ext tables T_l (each 4·2n words):
   * returns s(t) = Σ_{i<n} Π_l (T_l[2i] + t·(T_l[2i+1] − T_l[2i])) for t = 0..degree, as
   * an ext vector of degree+1 elements. degree ≥ number of tables.
   */
  productRound(tables: Uint32Array[], degree: number): Uint32Array;

  // ---- NTT ----
  /**
   * In-place NTT of `count` consecutive vectors of length 2^logN in natural order:
   * forward a[j] ← Σ_b a[b]·ω^{jb}, ω = rootOfUnity(logN); inverse divides by N and uses ω^{−1}.
   */
  nttBatch(a: Uint32Array, count: number, logN: number, inverse: boolean): void;
  /** out (cols × rows) = transpose of a (rows × cols), both row-major. */
  transpose(out: Uint32Array, a: Uint32Array, rows: number, cols: number): void;

  // ---- resident buffers ----
  /** A new workspace (see `Workspace`). */
  workspace(): Workspace;
}
