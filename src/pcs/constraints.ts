/**
 * Constraints on a committed base-field vector w, the statement a zero-knowledge Ligero proof
 * proves (docs/zero-knowledge.md §2–3). The padded protocols (every message sent as
 * value + pad, the pads committed in w first) turn each verifier check into one of these,
 * and one proof at the end shows that w satisfies them all without revealing w:
 *
 *   SparseLinear   Σ_i c_i · w[idx_i] = rhs            c_i, rhs ∈ K, entries w ∈ F (a K-linear
 *                                                       constraint is four F-linear ones)
 *   TensorLinear   ⟨eq(point), w[offset, offset + 2^m)⟩ + Σ_i c_i · w[idx_i] = rhs
 *                                                       the MLE of a committed, aligned segment at a
 *                                                       point, tied to hidden values (pads)
 *   Hadamard       w[x + i] · w[y + i] = w[z + i]  for i < len   (aligned blocks of base entries;
 *                                                       a K-product is expanded by the caller)
 *
 * `checkConstraints` evaluates a system in the clear: the reference every prover and verifier of
 * it is tested against (the constraint analogue of `ClearPcs`).
 *
 * Alignment. A segment starts at a multiple of 2^numVars, as an MLE claim needs. In a statement
 * over several concatenated vectors (`bases`, `./zk-ligero-system.ts`) it may instead start at a
 * multiple of 2^numVars past the start of the vector holding it: two copies of one vector then
 * carry the same segments at the same local offsets (`./zk-renew.ts`), whatever the first one's
 * length. The constraint reads the segment from its first entry either way, and the zero-knowledge
 * Ligero proof handles a segment at any column of its rows (two separable groups), so the second
 * form changes no proof: it only admits statements the first refused.
 */
import { P } from '../field/babybear.js';
import { type Ext, ext, extAdd, extEquals, extMulBase, extToString } from '../field/extension.js';
import { eqTable, type Point } from '../poly/multilinear.js';

export interface SparseLinear {
  /** entry indices into w */
  index: Uint32Array;
  /** one K coefficient (4 words) per index */
  coeffs: Uint32Array;
  rhs: Ext;
}

export interface TensorLinear {
  /** segment start, a multiple of 2^numVars (or of it past its vector's start, see the header) */
  offset: number;
  numVars: number;
  /** a point of numVars K coordinates (low variable first) */
  point: Point;
  /** further terms on other entries (usually the pad of the hidden value); may be empty */
  extra: { index: Uint32Array; coeffs: Uint32Array };
  rhs: Ext;
}

export interface Hadamard {
  x: number;
  y: number;
  z: number;
  len: number;
}

export interface ConstraintSystem {
  linear: SparseLinear[];
  tensor: TensorLinear[];
  hadamard: Hadamard[];
}

export function emptySystem(): ConstraintSystem {
  return { linear: [], tensor: [], hadamard: [] };
}

function sparseSum(w: Uint32Array, index: Uint32Array, coeffs: Uint32Array): Ext {
  let acc = ext();
  for (let i = 0; i < index.length; i++) acc = extAdd(acc, extMulBase(coeffs.subarray(4 * i, 4 * i + 4), w[index[i]]));
  return acc;
}

/**
 * Whether a segment of 2^numVars entries at `offset` is aligned (see the header): offset a
 * multiple of 2^numVars, or, with `bases` (the starts of the concatenated vectors, ascending from
 * 0), a multiple of it past the start of the vector holding entry `offset`.
 */
export function segmentAligned(offset: number, numVars: number, bases?: readonly number[]): boolean {
  const size = 2 ** numVars;
  if (offset % size === 0) return true;
  if (!bases) return false;
  let start = 0;
  for (const b of bases) if (b <= offset) start = b;
  return (offset - start) % size === 0;
}

/**
 * The first violated constraint of `sys` on `w`, described, or null when all hold. `bases`: the
 * starts of the vectors w concatenates, for segments aligned within their vector (see the header).
 */
export function checkConstraints(w: Uint32Array, sys: ConstraintSystem, bases?: readonly number[]): string | null {
  const inRange = (i: number, what: string) => {
    if (!Number.isInteger(i) || i < 0 || i >= w.length) throw new RangeError(`${what}: entry ${i} is outside the committed vector (length ${w.length})`);
  };
  for (const [k, c] of sys.linear.entries()) {
    c.index.forEach((i) => inRange(i, `linear ${k}`));
    const v = sparseSum(w, c.index, c.coeffs);
    if (!extEquals(v, c.rhs)) return `linear constraint ${k}: ${extToString(v)} ≠ ${extToString(c.rhs)}`;
  }
  for (const [k, c] of sys.tensor.entries()) {
    const n = 2 ** c.numVars;
    if (!segmentAligned(c.offset, c.numVars, bases)) throw new RangeError(`tensor ${k}: offset ${c.offset} is not a multiple of 2^${c.numVars}${bases ? ' in w or in its vector' : ''}`);
    inRange(c.offset + n - 1, `tensor ${k}`);
    c.extra.index.forEach((i) => inRange(i, `tensor ${k}`));
    const eq = eqTable(c.point);
    let v = sparseSum(w, c.extra.index, c.extra.coeffs);
    for (let b = 0; b < n; b++) v = extAdd(v, extMulBase(eq.subarray(4 * b, 4 * b + 4), w[c.offset + b]));
    if (!extEquals(v, c.rhs)) return `tensor constraint ${k}: ${extToString(v)} ≠ ${extToString(c.rhs)}`;
  }
  for (const [k, h] of sys.hadamard.entries()) {
    for (const s of [h.x, h.y, h.z]) {
      inRange(s, `hadamard ${k}`);
      inRange(s + h.len - 1, `hadamard ${k}`);
    }
    for (let i = 0; i < h.len; i++) {
      if (Number((BigInt(w[h.x + i]) * BigInt(w[h.y + i])) % BigInt(P)) !== w[h.z + i]) return `hadamard constraint ${k}, entry ${i}: w[${h.x + i}]·w[${h.y + i}] ≠ w[${h.z + i}]`;
    }
  }
  return null;
}
