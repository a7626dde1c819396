/**
 * The values a layer verifier computes with (docs/zero-knowledge.md §2).
 *
 * In a clear receipt every value the prover sends is a K element the verifier sees: a `Val` is an
 * `Ext`, and the layer checks its relations on it. In a zero-knowledge receipt the prover sends
 * value + pad, the pad committed in the witness vector w; the verifier holds the hidden value as
 * an affine expression in w (`piop/zk-affine.ts`), and every check becomes a constraint on w that
 * one zero-knowledge Ligero proof settles at the end. Layer code is written once for both: it
 * combines values with the public-coefficient operations below (which stay `Ext` while every input
 * is clear), and it checks them only through the context (`ctx.equal`, `ctx.finalCheck`), which
 * compares clear values and emits constraints for hidden ones. A product of two hidden values
 * exists only inside `ctx.finalCheck` (it needs committed products of pads).
 */
import { type Ext, ext, extAdd, extMul, extSub } from '../field/extension.js';
import type { ProductTerm } from '../piop/sumcheck.js';
import { type Affine, affineCombine, affineConst } from '../piop/zk-affine.js';

/** A clear K element, or a hidden value (an affine expression in the committed vector). */
export type Val = Ext | Affine;

export function isClear(v: Val): v is Ext {
  return v instanceof Uint32Array;
}

/** A value the prover holds: always clear (its sessions never see an expression). */
export function clear(v: Val): Ext {
  if (!isClear(v)) throw new Error('internal error: a hidden value reached the prover');
  return v;
}

/** The final check x·y of a two-table product sumcheck. */
export const PRODUCT_OF_TWO: readonly ProductTerm[] = [{ coeff: ext(1), factors: [0, 1] }];

/** The final check eq·x·y of a three-table product sumcheck (eq public: fold it with `foldPublic`). */
export const EQ_PRODUCT: readonly ProductTerm[] = [{ coeff: ext(1), factors: [0, 1, 2] }];

/** The K elements of a word array (4 words each), as views. */
export function extsOf(words: Uint32Array): Ext[] {
  return Array.from({ length: words.length >>> 2 }, (_, i) => words.subarray(4 * i, 4 * i + 4));
}

export function toAffine(v: Val): Affine {
  return isClear(v) ? affineConst(v) : v;
}

/** Σ_k c_k·v_k with public coefficients (clear when every v_k is). */
export function vCombine(coeffs: readonly Ext[], vals: readonly Val[]): Val {
  if (coeffs.length !== vals.length) throw new RangeError(`vCombine: expected as many coefficients as values, got ${coeffs.length} and ${vals.length}`);
  if (vals.every(isClear)) {
    let acc = ext();
    vals.forEach((v, k) => (acc = extAdd(acc, extMul(coeffs[k], v as Ext))));
    return acc;
  }
  return affineCombine(coeffs, vals.map(toAffine));
}

export function vAdd(a: Val, b: Val): Val {
  return isClear(a) && isClear(b) ? extAdd(a, b) : affineCombine([ext(1), ext(1)], [toAffine(a), toAffine(b)]);
}

export function vSub(a: Val, b: Val): Val {
  return isClear(a) && isClear(b) ? extSub(a, b) : vCombine([ext(1), extSub(ext(), ext(1))], [a, b]);
}

export function vScale(a: Val, c: Ext): Val {
  return isClear(a) ? extMul(a, c) : affineCombine([c], [a]);
}

/**
 * A final check Σ_j coeff_j·Π_{l ∈ factors_j} x_l over columns some of which the verifier
 * evaluates itself (`publics[l]` set: eq tables, selectors, public tables) and the rest sent by
 * the prover: the same sum with the public factors folded into the coefficients and the factors
 * renumbered over the sent columns, in column order. Both sides call it with the same public
 * columns (a function of the circuit), so the shape `ctx.finalCheck` receives is the same.
 */
export function foldPublic(terms: readonly ProductTerm[], publics: readonly (Ext | null)[]): ProductTerm[] {
  const sentIndex: number[] = [];
  let k = 0;
  for (const p of publics) sentIndex.push(p ? -1 : k++);
  return terms.map((t) => {
    let coeff = t.coeff;
    const factors: number[] = [];
    for (const l of t.factors) {
      const p = publics[l];
      if (p) coeff = extMul(coeff, p);
      else factors.push(sentIndex[l]);
    }
    return { coeff, factors };
  });
}
