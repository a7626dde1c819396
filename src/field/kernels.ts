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
 */
import type { Ext } from './extension.js';

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
}
