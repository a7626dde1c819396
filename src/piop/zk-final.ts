/**
 * Discharging a padded sumcheck's final claim (docs/zero-knowledge.md §2, step 3): hidden final
 * evaluations, the products of their pads, and links to committed segments.
 *
 * The claim. A sumcheck leaves c = Σ_j c_j · Π_{l ∈ S_j} e_l, with public coefficients c_j (public
 * evaluations such as eq(r, ρ) or a table's t~(ρ) are folded into them by the caller) and hidden
 * evaluations e_l, sent padded: ẽ_l = e_l + P_l. The verifier holds c as an affine expression in
 * w (`./zk-affine.ts`), and e_l = ẽ_l − P_l. A product of two hidden values is
 *
 *   A·B = ÃB̃ − Ã·P_B − B̃·P_A + P_A·P_B,    P_A·P_B = Σ_{i,k<4} a_i·b_k · u^{i+k}   (u⁴ = 11),
 *
 * affine in w once the 16 base products z_{ik} = a_i·b_k of the pad coordinates are committed.
 *
 * Product slot (48 base entries; the i-th slot of a layout has its blocks at x + 16i, y + 16i,
 * z + 16i, by default three contiguous regions X ‖ Y ‖ Z after the pads):
 *
 *   X[4k + i] = a_i,   Y[4k + i] = b_k,   Z[4k + i] = a_i · b_k        (i, k < 4)
 *
 * checked by one `Hadamard` X ∘ Y = Z (over all slots of a layout at once) and 8 `SparseLinear`
 * copy constraints per slot: for each k, Σ_i u^i·X[4k+i] = P_A, and Σ_i u^i·(Y[4k+i] − b_k) = 0 —
 * one K-equation on F entries is four F-equations, so these say exactly X[4k+i] = a_i and
 * Y[4k+i] = b_k. Then P_A·P_B = Σ u^{i+k}·Z[4k+i] exactly. A term of n ≥ 3 factors is chained:
 * t_1 = e_1·e_2 is sent padded (t̃_1 = t_1 + P_{t_1}) with the constraint t̃_1 − P_{t_1} = e_1·e_2
 * (through a slot), t_2 = t_1·e_3, …, and the last product enters the claim directly: n − 2
 * intermediate pads and n − 1 slots. Factors are sorted and products and chain prefixes shared
 * between terms, so the layout is a function of the factor lists alone — public, fixed before any
 * challenge, as the pads must be.
 *
 * Links (b): a hidden evaluation e = ẽ − P claimed to be the MLE of a committed aligned segment
 * at r is the `TensorLinear` ⟨eq(r), w[off, off + 2^n)⟩ + P = ẽ (`linkToSegment`).
 *
 * Why sound. The pads are committed before any challenge and the padded values are absorbed
 * (evaluations under the caller's label, intermediates after them under `<label>/chain`) before
 * any later draw, so the hidden values are fixed when they are sent; the copies and the Hadamard
 * fix every z_{ik} to a_i·b_k, so each product expression equals the product of the hidden values
 * on every w that satisfies the system, and the final constraint is the clear final check.
 * Nothing probabilistic is added here (no error term).
 *
 * What it hides. Every padded value is uniform in K and independent of the rest when its pad is
 * uniform and used once (`zk-sumcheck.ts` header); products of pads are never sent, only
 * committed. The constraints are built from public values alone.
 */
import { P, mul } from '../field/babybear.js';
import { type Ext, ext, extAdd, extIsCanonical, extMul, extSub } from '../field/extension.js';
import { emptySystem, type ConstraintSystem, type SparseLinear, type TensorLinear } from '../pcs/constraints.js';
import type { Point } from '../poly/multilinear.js';
import type { Transcript } from '../transcript/transcript.js';
import type { ByteReader, ByteWriter } from '../util/bytes.js';
import { fail, type VerifyError } from '../util/result.js';
import {
  type Affine,
  affineCombine,
  affineConst,
  affineConstraint,
  affinePlusEntry,
  affinePlusPad,
  affinePlusRun,
  hidden,
  padAt,
  sortedTerms,
  U_POWERS,
} from './zk-affine.js';
import { pushAll } from '../util/arrays.js';

/** Base entries of one product slot (X, Y and Z blocks of 16). */
export const PRODUCT_SLOT_ENTRIES = 48;
/** Most factors in one term of a final check. */
export const MAX_FINAL_FACTORS = 8;

/** u^{i+k} reduced by u⁴ = 11: the K coefficient of Z[4k + i] in P_A·P_B. */
const U_PRODUCT: Ext[] = Array.from({ length: 16 }, (_, n) => extMul(U_POWERS[n & 3], U_POWERS[n >>> 2]));
/** U_PRODUCT as one word array (the coefficients of the run Z[0..16)). */
const U_PRODUCT_WORDS = Uint32Array.from(U_PRODUCT.flatMap((c) => Array.from(c)));
const ONE = ext(1);
/** 1 + u + u² + u³. */
const U_SUM = ext(1, 1, 1, 1);
const MINUS_ONE = ext(P - 1);

/** A hidden value as the verifier holds it: its padded value and the offset of its pad. */
export interface Hidden {
  padded: Ext;
  pad: number;
}

/** Absolute starts of the X, Y, Z blocks (16 entries each) of one product slot. */
export interface ProductSlot {
  x: number;
  y: number;
  z: number;
}

/** The expression of A·B for hidden A, B, given the slot that holds their pads' products. */
export function mulHidden(a: Hidden, b: Hidden, slot: ProductSlot): Affine {
  let e = affineConst(extMul(a.padded, b.padded));
  e = affinePlusPad(e, extSub(ext(), a.padded), b.pad);
  e = affinePlusPad(e, extSub(ext(), b.padded), a.pad);
  return affinePlusRun(e, U_PRODUCT_WORDS, slot.z);
}

/**
 * The 8 copy constraints of a slot (X holds P_A four times, Y each b_k four times). Four
 * consecutive entries with coefficients 1, u, u², u³ are "a pad" (`affinePlusPad` with c = 1).
 */
export function productCopies(slot: ProductSlot, padA: number, padB: number): SparseLinear[] {
  const out: SparseLinear[] = [];
  const pA = affinePlusPad(affineConst(), ONE, padA);
  for (let k = 0; k < 4; k++) out.push(affineConstraint(affinePlusPad(affineConst(), ONE, slot.x + 4 * k), pA));
  for (let k = 0; k < 4; k++) out.push(affineConstraint(affinePlusPad(affineConst(), ONE, slot.y + 4 * k), affinePlusEntry(affineConst(), U_SUM, padB + k)));
  return out;
}

/** A standalone slot's constraints: its copies and its own 16-entry Hadamard. */
export function productSlotSystem(slot: ProductSlot, padA: number, padB: number): ConstraintSystem {
  const sys = emptySystem();
  pushAll(sys.linear, productCopies(slot, padA, padB));
  sys.hadamard.push({ x: slot.x, y: slot.y, z: slot.z, len: 16 });
  return sys;
}

/** Prover: writes the slot's X, Y, Z from the pads already in w. */
export function fillProductSlot(w: Uint32Array, slot: ProductSlot, padA: number, padB: number): void {
  for (let k = 0; k < 4; k++) {
    for (let i = 0; i < 4; i++) {
      w[slot.x + 4 * k + i] = w[padA + i];
      w[slot.y + 4 * k + i] = w[padB + k];
      w[slot.z + 4 * k + i] = mul(w[padA + i], w[padB + k]);
    }
  }
}

// ---- final-check layout -------------------------------------------------------------------------

/** An operand of a product: hidden evaluation `index`, or chain intermediate `index`. */
export type Operand = { kind: 'eval'; index: number } | { kind: 'chain'; index: number };

/** The public shape of a final check Σ_j c_j Π_{l ∈ terms[j]} e_l over `numEvals` hidden values. */
export interface ZkFinalShape {
  numEvals: number;
  terms: readonly (readonly number[])[];
}

export interface ZkFinalLayout {
  shape: ZkFinalShape;
  /** Products, one slot each, in slot order. */
  products: { left: Operand; right: Operand }[];
  /** Intermediate t_c = products[c's product], sent padded. */
  chain: { product: number }[];
  /** Per term: the product whose value it is (terms of ≥ 2 factors), else −1. */
  termProduct: number[];
  /** Base entries for the pads: 4 per evaluation, then 4 per intermediate. */
  padEntries: number;
  /** padEntries + 48 per product. */
  size: number;
}

/** Where a final check's entries lie in w (absolute offsets). */
export interface ZkFinalAt {
  layout: ZkFinalLayout;
  /** Pad of evaluation l at evals + 4l. */
  evals: number;
  /** Pad of intermediate c at chain + 4c. */
  chain: number;
  /** Slot i: X at x + 16i, Y at y + 16i, Z at z + 16i. */
  x: number;
  y: number;
  z: number;
}

/** The layout of a final check from its factor lists alone (see the header). */
export function zkFinalLayout(shape: ZkFinalShape): ZkFinalLayout {
  const { numEvals, terms } = shape;
  if (!Number.isInteger(numEvals) || numEvals < 0) throw new RangeError(`zk final check: expected a number of evaluations ≥ 0, got ${numEvals}`);
  const products: { left: Operand; right: Operand }[] = [];
  const chain: { product: number }[] = [];
  const productKey = new Map<string, number>();
  const chainKey = new Map<string, number>();
  const termProduct: number[] = [];
  for (const [j, raw] of terms.entries()) {
    if (raw.length > MAX_FINAL_FACTORS) throw new RangeError(`zk final check: term ${j} has ${raw.length} factors, more than ${MAX_FINAL_FACTORS}`);
    for (const f of raw) if (!(Number.isInteger(f) && f >= 0 && f < numEvals)) throw new RangeError(`zk final check: term ${j}: expected factors in [0, ${numEvals}), got ${f}`);
    const f = [...raw].sort((a, b) => a - b);
    if (f.length < 2) {
      termProduct.push(-1);
      continue;
    }
    let acc: Operand = { kind: 'eval', index: f[0] };
    let key = `e${f[0]}`;
    for (let k = 1; k < f.length; k++) {
      key = `${key}*e${f[k]}`;
      let p = productKey.get(key);
      if (p === undefined) {
        p = products.length;
        products.push({ left: acc, right: { kind: 'eval', index: f[k] } });
        productKey.set(key, p);
      }
      if (k === f.length - 1) {
        termProduct.push(p);
        break;
      }
      let c = chainKey.get(key);
      if (c === undefined) {
        c = chain.length;
        chain.push({ product: p });
        chainKey.set(key, c);
      }
      acc = { kind: 'chain', index: c };
    }
  }
  const padEntries = 4 * (numEvals + chain.length);
  return { shape: { numEvals, terms: terms.map((t) => [...t]) }, products, chain, termProduct, padEntries, size: padEntries + PRODUCT_SLOT_ENTRIES * products.length };
}

/** The layout placed contiguously at `base`: evaluation pads, intermediate pads, X, Y, Z regions. */
export function zkFinalAt(layout: ZkFinalLayout, base: number): ZkFinalAt {
  const n = 16 * layout.products.length;
  const x = base + layout.padEntries;
  return { layout, evals: base, chain: base + 4 * layout.shape.numEvals, x, y: x + n, z: x + 2 * n };
}

/** The layout placed with its pads at `pads` and its X, Y, Z regions where the caller wants them (e.g. row-aligned). */
export function zkFinalAtSplit(layout: ZkFinalLayout, where: { pads: number; x: number; y: number; z: number }): ZkFinalAt {
  return { layout, evals: where.pads, chain: where.pads + 4 * layout.shape.numEvals, x: where.x, y: where.y, z: where.z };
}

function slotOf(at: ZkFinalAt, i: number): ProductSlot {
  return { x: at.x + 16 * i, y: at.y + 16 * i, z: at.z + 16 * i };
}

function padOf(at: ZkFinalAt, op: Operand): number {
  return op.kind === 'eval' ? at.evals + 4 * op.index : at.chain + 4 * op.index;
}

/** Prover: writes every product slot of the layout from the pads already in w. */
export function fillFinalProducts(w: Uint32Array, at: ZkFinalAt): void {
  at.layout.products.forEach((p, i) => fillProductSlot(w, slotOf(at, i), padOf(at, p.left), padOf(at, p.right)));
}

/** All pad entries of the layout (evaluations and intermediates): [start, end). */
export function finalPadRange(at: ZkFinalAt): [number, number] {
  return [at.evals, at.evals + at.layout.padEntries];
}

// ---- prover and verifier ------------------------------------------------------------------------

/** The padded values of a final check: evaluations and chain intermediates, 4 words each. */
export interface ZkFinalProof {
  evals: Uint32Array;
  chain: Uint32Array;
}

/** The clear intermediates t_c for clear evaluations (prover side). */
export function chainValues(layout: ZkFinalLayout, evals: readonly Ext[]): Ext[] {
  const t: Ext[] = [];
  const val = (op: Operand) => (op.kind === 'eval' ? evals[op.index] : t[op.index]);
  for (const c of layout.chain) {
    const p = layout.products[c.product];
    t.push(extMul(val(p.left), val(p.right)));
  }
  return t;
}

/** Σ_j c_j Π e_l in the clear (what the final claim equals for an honest prover). */
export function finalCheckValue(shape: ZkFinalShape, coeffs: readonly Ext[], evals: readonly Ext[]): Ext {
  let acc = ext();
  shape.terms.forEach((f, j) => {
    acc = extAdd(acc, f.reduce<Ext>((prod, l) => extMul(prod, evals[l]), coeffs[j]));
  });
  return acc;
}

/**
 * Prover: sends the hidden evaluations e_l (in shape order) and the chain intermediates, each
 * plus its pad from w, absorbing the evaluations under `label` and the intermediates under
 * `<label>/chain` (the verifier's order). The product slots must already be filled
 * (`fillFinalProducts`, when the pads are sampled).
 */
export function proveZkFinal(tr: Transcript, w: Uint32Array, at: ZkFinalAt, evals: readonly Ext[], label: string): ZkFinalProof {
  const { layout } = at;
  if (evals.length !== layout.shape.numEvals) throw new RangeError(`zk final check: expected ${layout.shape.numEvals} evaluations, got ${evals.length}`);
  const out: ZkFinalProof = { evals: new Uint32Array(4 * evals.length), chain: new Uint32Array(4 * layout.chain.length) };
  evals.forEach((e, l) => out.evals.set(extAdd(e, padAt(w, at.evals + 4 * l)), 4 * l));
  chainValues(layout, evals).forEach((t, c) => out.chain.set(extAdd(t, padAt(w, at.chain + 4 * c)), 4 * c));
  absorbFinal(tr, out, label);
  return out;
}

function absorbFinal(tr: Transcript, proof: ZkFinalProof, label: string): void {
  tr.absorbExt(label, proof.evals);
  if (proof.chain.length > 0) tr.absorbExt(`${label}/chain`, proof.chain);
}

export type ZkFinalVerifyResult =
  | { ok: true; evals: Affine[]; system: ConstraintSystem }
  | { ok: false; error: VerifyError };

function canonicalWords(v: Uint32Array): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] >= P) return false;
  return true;
}

/**
 * Verifier: reads the padded evaluations and intermediates (lengths and canonical encodings are
 * the only checks on them), absorbs them as the prover did, and emits the constraints that make
 * `claim` = Σ_j coeffs[j] Π_{l ∈ terms[j]} e_l: the slots' copies, one Hadamard over all slots,
 * one per intermediate and the final one. `coeffs` may be a function of the transcript, called
 * right after the padded values are absorbed (to combine several equations with a challenge —
 * the prover must then draw the same challenges). Returns the hidden evaluations e_l = ẽ_l − P_l
 * as expressions: **the caller must discharge them** (link each to a committed segment with
 * `linkToSegment`, or pass it on as a claim) — until then they are unconstrained. Never throws.
 */
export function verifyZkFinal(
  tr: Transcript,
  at: ZkFinalAt,
  claim: Affine,
  coeffsOrDraw: readonly Ext[] | ((tr: Transcript) => readonly Ext[]),
  proof: ZkFinalProof,
  label: string,
): ZkFinalVerifyResult {
  const { layout } = at;
  const { numEvals, terms } = layout.shape;
  const badCoeffs = (c: unknown) =>
    !Array.isArray(c) || c.length !== terms.length || !c.every((x) => x instanceof Uint32Array && extIsCanonical(x))
      ? fail('BadShape', `zk final check: expected ${terms.length} canonical coefficients, got ${Array.isArray(c) ? c.length : 'none'}`)
      : null;
  if (typeof coeffsOrDraw !== 'function') {
    const bad = badCoeffs(coeffsOrDraw);
    if (bad) return bad;
  }
  if (!proof || !(proof.evals instanceof Uint32Array) || !(proof.chain instanceof Uint32Array)) return fail('MalformedProof', 'zk final check: expected evals and chain word arrays');
  if (proof.evals.length !== 4 * numEvals) return fail('WrongLength', `zk final check: expected ${numEvals} evaluations, got ${proof.evals.length / 4}`);
  if (proof.chain.length !== 4 * layout.chain.length) return fail('WrongLength', `zk final check: expected ${layout.chain.length} intermediates, got ${proof.chain.length / 4}`);
  if (!canonicalWords(proof.evals) || !canonicalWords(proof.chain)) return fail('NonCanonical', 'zk final check: a padded value is not canonical');
  absorbFinal(tr, proof, label);
  let coeffs: readonly Ext[];
  if (typeof coeffsOrDraw === 'function') {
    try {
      coeffs = coeffsOrDraw(tr);
    } catch (e) {
      return fail('BadShape', `zk final check: coefficients: ${(e as Error).message}`);
    }
    const bad = badCoeffs(coeffs);
    if (bad) return bad;
  } else coeffs = coeffsOrDraw;

  const hiddenAt = (words: Uint32Array, base: number, n: number): Hidden[] => Array.from({ length: n }, (_, i) => ({ padded: words.subarray(4 * i, 4 * i + 4), pad: base + 4 * i }));
  const evals = hiddenAt(proof.evals, at.evals, numEvals);
  const system = finalCheckSystem(layout, evals, hiddenAt(proof.chain, at.chain, layout.chain.length), at, claim, coeffs);
  return { ok: true, evals: evals.map((e) => hidden(e.padded, e.pad)), system };
}

/**
 * The constraints of a final check whose hidden operands lie anywhere in w (`evals[l]`, `chain[c]`:
 * padded values and pad offsets) and whose product slots lie at `slots` (slot i at x/y/z + 16i):
 * each slot's copies, one Hadamard over all slots, one constraint per intermediate and
 * claim = Σ_j coeffs[j] Π_{l ∈ terms[j]} e_l. What `verifyZkFinal` emits for its contiguous
 * layout; the receipt's sessions use it for evaluations sent wherever the layer sent them.
 */
export function finalCheckSystem(
  layout: ZkFinalLayout,
  evals: readonly Hidden[],
  chain: readonly Hidden[],
  slots: { x: number; y: number; z: number },
  claim: Affine,
  coeffs: readonly Ext[],
): ConstraintSystem {
  const { terms } = layout.shape;
  if (evals.length !== layout.shape.numEvals || chain.length !== layout.chain.length || coeffs.length !== terms.length) {
    throw new RangeError(`zk final check: expected ${layout.shape.numEvals} evaluations, ${layout.chain.length} intermediates and ${terms.length} coefficients`);
  }
  const operand = (op: Operand): Hidden => (op.kind === 'eval' ? evals[op.index] : chain[op.index]);
  const sys = emptySystem();
  const prods = layout.products.map((p, i) => {
    const a = operand(p.left), b = operand(p.right), slot = { x: slots.x + 16 * i, y: slots.y + 16 * i, z: slots.z + 16 * i };
    pushAll(sys.linear, productCopies(slot, a.pad, b.pad));
    return mulHidden(a, b, slot);
  });
  // slot i's blocks are at x + 16i, y + 16i, z + 16i: one Hadamard covers them all, wherever the regions lie
  if (prods.length > 0) sys.hadamard.push({ x: slots.x, y: slots.y, z: slots.z, len: 16 * prods.length });
  layout.chain.forEach((c, k) => sys.linear.push(affineConstraint(hidden(chain[k].padded, chain[k].pad), prods[c.product])));
  const values = terms.map((f, j) => (f.length === 0 ? affineConst(ext(1)) : f.length === 1 ? hidden(evals[f[0]].padded, evals[f[0]].pad) : prods[layout.termProduct[j]]));
  sys.linear.push(affineConstraint(claim, affineCombine(coeffs, values)));
  return sys;
}

/**
 * (b) The link e = MLE of the committed segment w[offset, offset + 2^n) at `point` (n = its
 * number of coordinates; offset a multiple of 2^n): ⟨eq(point), segment⟩ − Σ e.terms·w = e.const.
 */
export function linkToSegment(value: Affine, offset: number, point: Point): TensorLinear {
  const numVars = point.length >>> 2;
  if (!Number.isInteger(offset) || offset < 0 || offset % 2 ** numVars !== 0) {
    throw new RangeError(`linkToSegment: expected an offset that is a multiple of 2^${numVars}, got ${offset}`);
  }
  return { offset, numVars, point: point.slice(), extra: sortedTerms(value, MINUS_ONE), rhs: value.constant.slice() };
}

export function writeZkFinalProof(w: ByteWriter, proof: ZkFinalProof): void {
  w.u32(proof.evals.length >>> 2);
  w.words(proof.evals);
  w.u32(proof.chain.length >>> 2);
  w.words(proof.chain);
}

/** Reads a final check's padded values; every length is fixed by the layout (bounded reader). */
export function readZkFinalProof(r: ByteReader, layout: ZkFinalLayout): ZkFinalProof {
  const n = layout.shape.numEvals, c = layout.chain.length;
  r.u32In(n, n, 'zk final evaluations');
  const evals = r.words(4 * n, 'zk final evaluations');
  r.u32In(c, c, 'zk final intermediates');
  const chain = r.words(4 * c, 'zk final intermediates');
  return { evals, chain };
}
