/**
 * Affine expressions over the committed base-field vector w: the verifier's view of a hidden
 * value in the padded protocols (docs/zero-knowledge.md §2).
 *
 *   A = a + Σ_i c_i · w[i]        a, c_i ∈ K public,  w[i] ∈ F committed
 *
 * A hidden K value v is sent as ṽ = v + P, its pad P ∈ K stored as four consecutive base entries
 * P = w[o] + w[o+1]·u + w[o+2]·u² + w[o+3]·u³ (K = F[u]/(u⁴ − 11)). The verifier knows ṽ, so
 * v = ṽ − P is affine in w, and so is every K-linear combination of such values with public
 * coefficients: a round check, a Lagrange interpolation, a line restriction. "c times the pad at
 * o" is the four entries o..o+3 with coefficients c, c·u, c·u², c·u³ (`padTerms`) — K-linearity
 * over F-valued entries is exactly this expansion, nothing is lost: {1, u, u², u³} is an F-basis
 * of K, so a K-equation Σ c_i·w[i] = b on F entries is four F-equations (what `SparseLinear`
 * states). `affineConstraint(A, B)` turns A = B into one `SparseLinear`; `evalAffine` evaluates A
 * on a w in the clear (the prover, tests).
 *
 * Representation. The terms are two parallel typed arrays, the indices strictly ascending and one
 * K coefficient (4 words) per index, so that combining expressions is a merge of sorted lists (no
 * hashing, no per-term allocation) and a constraint's sorted indices come out as they are. A
 * coefficient may be zero (terms that cancelled); `sortedTerms` drops those, so a constraint's
 * indices and coefficients are exactly the non-zero terms in ascending order, whatever order the
 * expression was built in (sums in F are exact, so the order of additions never changes a value).
 * The arrays of an expression are never written after it is made: expressions share them freely.
 *
 * What it hides: nothing by itself — an expression is public (it is built from public values
 * and challenges only); what stays hidden is w, which only the zero-knowledge Ligero proof of the
 * collected constraints touches.
 */
import { P, add, mul } from '../field/babybear.js';
import { type Ext, ext, extAdd, extIsCanonical, extMul, extMulBase, extNeg } from '../field/extension.js';
import type { ConstraintSystem, SparseLinear } from '../pcs/constraints.js';
import { pushAll } from '../util/arrays.js';

/** Terms Σ coeffs_k·w[index_k]: indices strictly ascending, 4 coefficient words per index. */
export interface AffineTerms {
  readonly index: Uint32Array;
  readonly coeffs: Uint32Array;
}

/** A + Σ_k coeffs_k·w[index_k]: K constant, K coefficient per base entry (see the header). */
export interface Affine extends AffineTerms {
  readonly constant: Ext;
}

/** 1, u, u², u³: the F-basis of K in which a pad is stored. */
export const U_POWERS: readonly Ext[] = [ext(1), ext(0, 1), ext(0, 0, 1), ext(0, 0, 0, 1)];

const NONE = new Uint32Array(0);
const ONE = ext(1);
const MINUS_ONE = ext(P - 1);
/** −u^i for i < 4, the coefficients of a pad in the hidden value ṽ − P. */
const MINUS_U = (() => {
  const out = new Uint32Array(16);
  for (let i = 0; i < 4; i++) out.set(extMul(MINUS_ONE, U_POWERS[i]), 4 * i);
  return out;
})();

function isOne(c: Ext): boolean {
  return c[0] === 1 && c[1] === 0 && c[2] === 0 && c[3] === 0;
}

/** out[o..o+4) = a[ao..ao+4)·b[bo..bo+4) in K (u⁴ = 11): `extMul` on array slots, no allocation. */
function mulAt(out: Uint32Array, o: number, a: Uint32Array, ao: number, b: Uint32Array, bo: number): void {
  const a0 = a[ao], a1 = a[ao + 1], a2 = a[ao + 2], a3 = a[ao + 3];
  const b0 = b[bo], b1 = b[bo + 1], b2 = b[bo + 2], b3 = b[bo + 3];
  out[o] = add(mul(a0, b0), mul(11, add(add(mul(a1, b3), mul(a2, b2)), mul(a3, b1))));
  out[o + 1] = add(add(mul(a0, b1), mul(a1, b0)), mul(11, add(mul(a2, b3), mul(a3, b2))));
  out[o + 2] = add(add(add(mul(a0, b2), mul(a1, b1)), mul(a2, b0)), mul(11, mul(a3, b3)));
  out[o + 3] = add(add(add(mul(a0, b3), mul(a1, b2)), mul(a2, b1)), mul(a3, b0));
}

/** c·T (the index array shared, the coefficients scaled; T itself when c = 1). */
function scaleTerms(t: AffineTerms, c: Ext): AffineTerms {
  if (isOne(c)) return t;
  const coeffs = new Uint32Array(t.coeffs.length);
  for (let o = 0; o < coeffs.length; o += 4) mulAt(coeffs, o, t.coeffs, o, c, 0);
  return { index: t.index, coeffs };
}

/** S + T by a merge of the two ascending index lists (equal indices: coefficients added). */
function mergeTerms(s: AffineTerms, t: AffineTerms): AffineTerms {
  const n = s.index.length, m = t.index.length;
  if (n === 0) return t;
  if (m === 0) return s;
  const si = s.index, ti = t.index, sc = s.coeffs, tc = t.coeffs;
  const index = new Uint32Array(n + m);
  const coeffs = new Uint32Array(4 * (n + m));
  let i = 0, j = 0, k = 0;
  // word-by-word copies: a subarray per term would allocate in this hot loop
  while (i < n && j < m) {
    const a = si[i], b = ti[j];
    const o = 4 * k;
    if (a < b) {
      index[k] = a;
      const q = 4 * i++;
      coeffs[o] = sc[q];
      coeffs[o + 1] = sc[q + 1];
      coeffs[o + 2] = sc[q + 2];
      coeffs[o + 3] = sc[q + 3];
    } else if (b < a) {
      index[k] = b;
      const q = 4 * j++;
      coeffs[o] = tc[q];
      coeffs[o + 1] = tc[q + 1];
      coeffs[o + 2] = tc[q + 2];
      coeffs[o + 3] = tc[q + 3];
    } else {
      index[k] = a;
      const q = 4 * i++, r = 4 * j++;
      coeffs[o] = add(sc[q], tc[r]);
      coeffs[o + 1] = add(sc[q + 1], tc[r + 1]);
      coeffs[o + 2] = add(sc[q + 2], tc[r + 2]);
      coeffs[o + 3] = add(sc[q + 3], tc[r + 3]);
    }
    k++;
  }
  for (; i < n; i++, k++) {
    index[k] = si[i];
    for (let c = 0; c < 4; c++) coeffs[4 * k + c] = sc[4 * i + c];
  }
  for (; j < m; j++, k++) {
    index[k] = ti[j];
    for (let c = 0; c < 4; c++) coeffs[4 * k + c] = tc[4 * j + c];
  }
  return k === n + m ? { index, coeffs } : { index: index.subarray(0, k), coeffs: coeffs.subarray(0, 4 * k) };
}

/** The public constant c as an expression. */
export function affineConst(c: Ext = ext()): Affine {
  return { constant: c.slice(), index: NONE, coeffs: NONE };
}

/**
 * c · P for the pad P at entries pad..pad+3: the indices and K coefficients c·u^i, as the
 * parallel arrays a `SparseLinear` holds (the one place this expansion is written).
 */
export function padTerms(coeff: Ext, pad: number): { index: Uint32Array; coeffs: Uint32Array } {
  const index = new Uint32Array(4);
  const coeffs = new Uint32Array(16);
  for (let i = 0; i < 4; i++) {
    index[i] = pad + i;
    coeffs.set(extMul(coeff, U_POWERS[i]), 4 * i);
  }
  return { index, coeffs };
}

/** A + c·P (P the pad at `pad`). */
export function affinePlusPad(a: Affine, coeff: Ext, pad: number): Affine {
  return { constant: a.constant, ...mergeTerms(a, padTerms(coeff, pad)) };
}

/** A + Σ_k c_k·w[first + k] for consecutive entries, c_k = coeffs[4k..4k+4) (one merge for a run of pads). */
export function affinePlusRun(a: Affine, coeffs: Uint32Array, first: number): Affine {
  const index = new Uint32Array(coeffs.length >>> 2);
  for (let k = 0; k < index.length; k++) index[k] = first + k;
  return { constant: a.constant, ...mergeTerms(a, { index, coeffs: coeffs.slice() }) };
}

/** The K coefficients c·u^i (i < 4) of c times a pad, appended at `out[o..o+16)`. */
export function padCoeffsInto(out: Uint32Array, o: number, c: Ext): void {
  for (let i = 0; i < 4; i++) mulAt(out, o + 4 * i, c, 0, U_POWERS[i], 0);
}

/** A + c·w[index] for one base entry. */
export function affinePlusEntry(a: Affine, coeff: Ext, index: number): Affine {
  return { constant: a.constant, ...mergeTerms(a, { index: Uint32Array.of(index), coeffs: coeff.slice() }) };
}

/** The hidden value ṽ − P behind a padded value ṽ whose pad sits at `pad`. */
export function hidden(padded: Ext, pad: number): Affine {
  return { constant: padded.slice(), index: Uint32Array.of(pad, pad + 1, pad + 2, pad + 3), coeffs: MINUS_U.slice() };
}

/** Σ_k c_k · A_k (a public K-linear combination of expressions): the scaled terms merged pairwise, as a balanced tree. */
export function affineCombine(coeffs: readonly Ext[], parts: readonly Affine[]): Affine {
  if (coeffs.length !== parts.length) throw new RangeError(`affineCombine: expected as many coefficients as expressions, got ${coeffs.length} and ${parts.length}`);
  let constant = ext();
  let level: AffineTerms[] = [];
  for (let k = 0; k < parts.length; k++) {
    const c = coeffs[k];
    constant = extAdd(constant, extMul(c, parts[k].constant));
    if (parts[k].index.length > 0) level.push(scaleTerms(parts[k], c));
  }
  while (level.length > 1) {
    const next: AffineTerms[] = [];
    for (let k = 0; k + 1 < level.length; k += 2) next.push(mergeTerms(level[k], level[k + 1]));
    if (level.length & 1) next.push(level[level.length - 1]);
    level = next;
  }
  const t = level[0] ?? { index: NONE, coeffs: NONE };
  return { constant, index: t.index, coeffs: t.coeffs };
}

export function affineAdd(a: Affine, b: Affine): Affine {
  return affineCombine([ONE, ONE], [a, b]);
}

export function affineSub(a: Affine, b: Affine): Affine {
  return affineCombine([ONE, MINUS_ONE], [a, b]);
}

export function affineScale(a: Affine, c: Ext): Affine {
  return affineCombine([c], [a]);
}

/** A + c. */
export function affineAddConst(a: Affine, c: Ext): Affine {
  return { constant: extAdd(a.constant, c), index: a.index, coeffs: a.coeffs };
}

/** True when A has no term on w (a public value). */
export function isConstant(a: Affine): boolean {
  for (let k = 0; k < a.coeffs.length; k++) if (a.coeffs[k] !== 0) return false;
  return true;
}

/** Whether `a` is a well-formed expression: canonical words, ascending indices, 4 coefficient words per index. */
export function isAffine(a: unknown): a is Affine {
  const x = a as Affine;
  if (!x || !(x.constant instanceof Uint32Array) || !extIsCanonical(x.constant) || !(x.index instanceof Uint32Array) || !(x.coeffs instanceof Uint32Array)) return false;
  if (x.coeffs.length !== 4 * x.index.length) return false;
  for (let k = 1; k < x.index.length; k++) if (x.index[k] <= x.index[k - 1]) return false;
  for (let k = 0; k < x.coeffs.length; k++) if (x.coeffs[k] >= P) return false;
  return true;
}

/** Indices with a non-zero coefficient, ascending, and their coefficients (4 words each), scaled by `scale`. */
export function sortedTerms(a: AffineTerms, scale: Ext = ONE): { index: Uint32Array; coeffs: Uint32Array } {
  const t = scaleTerms(a, scale);
  const n = t.index.length;
  let kept = 0;
  for (let k = 0; k < n; k++) if (t.coeffs[4 * k] | t.coeffs[4 * k + 1] | t.coeffs[4 * k + 2] | t.coeffs[4 * k + 3]) kept++;
  const index = new Uint32Array(kept);
  const coeffs = new Uint32Array(4 * kept);
  for (let k = 0, o = 0; k < n; k++) {
    const c0 = t.coeffs[4 * k], c1 = t.coeffs[4 * k + 1], c2 = t.coeffs[4 * k + 2], c3 = t.coeffs[4 * k + 3];
    if ((c0 | c1 | c2 | c3) === 0) continue;
    index[o] = t.index[k];
    coeffs[4 * o] = c0;
    coeffs[4 * o + 1] = c1;
    coeffs[4 * o + 2] = c2;
    coeffs[4 * o + 3] = c3;
    o++;
  }
  return { index, coeffs };
}

/** The constraint A = B, as Σ (A − B)_i · w[i] = B_const − A_const. */
export function affineConstraint(a: Affine, b: Affine = affineConst()): SparseLinear {
  const d = affineSub(a, b);
  const { index, coeffs } = sortedTerms(d);
  return { index, coeffs, rhs: extNeg(d.constant) };
}

/** The value of A on a committed vector w (prover side and tests). */
export function evalAffine(a: Affine, w: Uint32Array): Ext {
  let acc = a.constant;
  for (let k = 0; k < a.index.length; k++) acc = extAdd(acc, extMulBase(a.coeffs.subarray(4 * k, 4 * k + 4), w[a.index[k]]));
  return acc;
}

/** The pad at entries pad..pad+3 of w, as a K element. */
export function padAt(w: Uint32Array, pad: number): Ext {
  return ext(w[pad], w[pad + 1], w[pad + 2], w[pad + 3]);
}

/** Appends the constraints of `parts` to `into` (in order) and returns it. */
export function appendSystem(into: ConstraintSystem, ...parts: ConstraintSystem[]): ConstraintSystem {
  for (const s of parts) {
    pushAll(into.linear, s.linear);
    pushAll(into.tensor, s.tensor);
    pushAll(into.hadamard, s.hadamard);
  }
  return into;
}

/** A source of uniform 32-bit words (Web Crypto by default: browsers and Node ≥ 19 alike). */
export type WordSource = (n: number) => Uint32Array;

export const cryptoWords: WordSource = (n) => {
  const out = new Uint32Array(n);
  const c = (globalThis as { crypto?: { getRandomValues(a: Uint32Array): Uint32Array } }).crypto;
  if (!c) throw new Error('expected Web Crypto (globalThis.crypto.getRandomValues), got none');
  for (let off = 0; off < n; off += 16384) c.getRandomValues(out.subarray(off, Math.min(n, off + 16384))); // 64 KiB per call at most
  return out;
};

/** Fills out[from, to) with uniform F elements: x = word & (2³¹ − 1), accepted iff x < p (exactly uniform). */
export function fillUniform(out: Uint32Array, from: number, to: number, words: WordSource = cryptoWords): void {
  let i = from;
  while (i < to) {
    const batch = words(Math.ceil(((to - i) * 17) / 16) + 4);
    for (let k = 0; k < batch.length && i < to; k++) {
      const x = batch[k] & 0x7fffffff;
      if (x < P) out[i++] = x;
    }
  }
}
