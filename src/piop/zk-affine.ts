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
 * What it hides: nothing by itself — an expression is public (it is built from public values
 * and challenges only); what stays hidden is w, which only the zero-knowledge Ligero proof of the
 * collected constraints touches.
 */
import { P } from '../field/babybear.js';
import { type Ext, ext, extAdd, extIsZero, extMul, extMulBase, extNeg } from '../field/extension.js';
import type { ConstraintSystem, SparseLinear } from '../pcs/constraints.js';

/** A + Σ terms[i]·w[i]: K constant, K coefficient per base entry (at most one per index). */
export interface Affine {
  readonly constant: Ext;
  readonly terms: ReadonlyMap<number, Ext>;
}

/** 1, u, u², u³: the F-basis of K in which a pad is stored. */
export const U_POWERS: readonly Ext[] = [ext(1), ext(0, 1), ext(0, 0, 1), ext(0, 0, 0, 1)];

/** The public constant c as an expression. */
export function affineConst(c: Ext = ext()): Affine {
  return { constant: c.slice(), terms: new Map() };
}

function addTerm(terms: Map<number, Ext>, index: number, coeff: Ext): void {
  const prev = terms.get(index);
  terms.set(index, prev ? extAdd(prev, coeff) : coeff.slice());
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
  const terms = new Map(a.terms);
  const t = padTerms(coeff, pad);
  for (let i = 0; i < 4; i++) addTerm(terms, t.index[i], t.coeffs.subarray(4 * i, 4 * i + 4));
  return { constant: a.constant, terms };
}

/** A + c·w[index] for one base entry. */
export function affinePlusEntry(a: Affine, coeff: Ext, index: number): Affine {
  const terms = new Map(a.terms);
  addTerm(terms, index, coeff);
  return { constant: a.constant, terms };
}

/** The hidden value ṽ − P behind a padded value ṽ whose pad sits at `pad`. */
export function hidden(padded: Ext, pad: number): Affine {
  return affinePlusPad(affineConst(padded), ext(P - 1), pad);
}

/** Σ_k c_k · A_k (a public K-linear combination of expressions). */
export function affineCombine(coeffs: readonly Ext[], parts: readonly Affine[]): Affine {
  if (coeffs.length !== parts.length) throw new RangeError(`affineCombine: expected as many coefficients as expressions, got ${coeffs.length} and ${parts.length}`);
  let constant = ext();
  const terms = new Map<number, Ext>();
  for (let k = 0; k < parts.length; k++) {
    const c = coeffs[k];
    constant = extAdd(constant, extMul(c, parts[k].constant));
    for (const [i, v] of parts[k].terms) addTerm(terms, i, extMul(c, v));
  }
  return { constant, terms };
}

export function affineAdd(a: Affine, b: Affine): Affine {
  return affineCombine([ext(1), ext(1)], [a, b]);
}

export function affineSub(a: Affine, b: Affine): Affine {
  return affineCombine([ext(1), ext(P - 1)], [a, b]);
}

export function affineScale(a: Affine, c: Ext): Affine {
  return affineCombine([c], [a]);
}

/** A + c. */
export function affineAddConst(a: Affine, c: Ext): Affine {
  return { constant: extAdd(a.constant, c), terms: a.terms };
}

/** True when A has no term on w (a public value). */
export function isConstant(a: Affine): boolean {
  for (const v of a.terms.values()) if (!extIsZero(v)) return false;
  return true;
}

/** Indices with a non-zero coefficient, ascending, and their coefficients (4 words each). */
export function sortedTerms(a: Affine, scale: Ext = ext(1)): { index: Uint32Array; coeffs: Uint32Array } {
  const kept = [...a.terms.entries()].map(([i, v]) => [i, extMul(v, scale)] as const).filter(([, v]) => !extIsZero(v));
  kept.sort((x, y) => x[0] - y[0]);
  const index = new Uint32Array(kept.length);
  const coeffs = new Uint32Array(4 * kept.length);
  kept.forEach(([i, v], k) => {
    index[k] = i;
    coeffs.set(v, 4 * k);
  });
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
  for (const [i, v] of a.terms) acc = extAdd(acc, extMulBase(v, w[i]));
  return acc;
}

/** The pad at entries pad..pad+3 of w, as a K element. */
export function padAt(w: Uint32Array, pad: number): Ext {
  return ext(w[pad], w[pad + 1], w[pad + 2], w[pad + 3]);
}

/** Appends the constraints of `parts` to `into` (in order) and returns it. */
export function appendSystem(into: ConstraintSystem, ...parts: ConstraintSystem[]): ConstraintSystem {
  for (const s of parts) {
    into.linear.push(...s.linear);
    into.tensor.push(...s.tensor);
    into.hadamard.push(...s.hadamard);
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
