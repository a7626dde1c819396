/**
 * Committed vectors made of tensor segments, and the parameter encoding.
 *
 * Segments: each tensor (padded size 2^k) gets an offset aligned to 2^k, so a claim T~(z) is the
 * segment claim f~(z ‖ bits(offset / 2^k)) of PROTOCOL-NOTES §2. Segments are placed largest
 * first, which keeps every offset aligned; the vector is padded with zeros to a power of two.
 *
 * Parameters are int8 in the committed vector, always: a wider integer c (a bias, a constant) is
 * stored as signed base-256 digits c = Σ_l 256^l·c_l with c_l ∈ [−128, 127], each digit vector its
 * own segment. One range proof at model-commit time (every entry + 128 ∈ [0, 256)) then bounds
 * every parameter: |c| ≤ 128·(256^L − 1)/255 < 2^(8L−1) + 1, which is what the no-wrap bounds use.
 */
import { modP } from './layout.js';

export const MAX_LIMBS = 4;

/** Number of signed base-256 digits needed for the largest |value| (≥ 1). */
export function paramLimbs(values: ArrayLike<number>, name: string): number {
  let L = 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v)) throw new RangeError(`parameter ${name}: value ${v} at ${i} is not an integer`);
    while (!fitsLimbs(v, L)) {
      L++;
      if (L > MAX_LIMBS) throw new RangeError(`parameter ${name}: value ${v} at ${i} needs more than ${MAX_LIMBS} base-256 digits`);
    }
  }
  return L;
}

/** Largest |value| representable with L signed digits. */
export function limbBound(L: number): number {
  return (128 * (256 ** L - 1)) / 255;
}

function fitsLimbs(v: number, L: number): boolean {
  return v >= -limbBound(L) && v <= limbBound(L) - (256 ** L - 1) / 255;
}

/** Signed base-256 digits of every value: out[l][i]. */
export function splitParam(values: ArrayLike<number>, L: number): Int32Array[] {
  const out = Array.from({ length: L }, () => new Int32Array(values.length));
  for (let i = 0; i < values.length; i++) {
    let v = values[i];
    for (let l = 0; l < L; l++) {
      const d = ((((v + 128) % 256) + 256) % 256) - 128;
      out[l][i] = d;
      v = (v - d) / 256;
    }
    if (v !== 0) throw new RangeError(`parameter value ${values[i]} does not fit ${L} digits`);
  }
  return out;
}

export interface Segment {
  offset: number;
  numVars: number;
}

/** Places segments of 2^numVars entries, largest first; returns offsets and the total log size. */
export function placeSegments(sizes: Map<string, number>): { segments: Map<string, Segment>; numVars: number } {
  const entries = [...sizes.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const segments = new Map<string, Segment>();
  let off = 0;
  for (const [name, nv] of entries) {
    segments.set(name, { offset: off, numVars: nv });
    off += 2 ** nv;
  }
  let numVars = 0;
  while (2 ** numVars < off) numVars++;
  return { segments, numVars: Math.max(numVars, 1) };
}

/** The end of the last segment: entries from here on belong to no tensor. */
export function segmentsEnd(segments: Map<string, Segment>): number {
  let end = 0;
  for (const s of segments.values()) end = Math.max(end, s.offset + 2 ** s.numVars);
  return end;
}

/** Writes signed integers into `vec` at a segment using a padded-index map (or densely). */
export function writeSegment(vec: Uint32Array, seg: Segment, padded: Uint32Array): void {
  if (padded.length !== 2 ** seg.numVars) throw new RangeError(`segment: expected ${2 ** seg.numVars} entries, got ${padded.length}`);
  vec.set(padded, seg.offset);
}

export { modP };
