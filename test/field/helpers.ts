/**
 * Shared test helpers for the field suites: a seeded PRNG (reproducible failures), random and
 * edge-value vectors, fast-check arbitraries for F_p and K, and a BigInt oracle.
 */
import fc from 'fast-check';
import { P, P_BIG } from '../../src/field/babybear.js';
import { ext, type Ext } from '../../src/field/extension.js';

/** Values where modular arithmetic tends to break. */
export const EDGE = [0, 1, 2, P - 1, P - 2, 2 ** 30, (P - 1) / 2, (P + 1) / 2, 2 ** 31 - P + 1000, 11];

export { rng } from '../support/random.js';

/** A vector of `len` canonical values: random, with edge values mixed in when `edges`. */
export function randVec(rand: () => number, len: number, edges = true): Uint32Array {
  const v = new Uint32Array(len);
  for (let i = 0; i < len; i++) {
    v[i] = edges && rand() < 0.15 ? EDGE[Math.floor(rand() * EDGE.length)] % P : Math.floor(rand() * P);
  }
  return v;
}

export function constVec(len: number, value: number): Uint32Array {
  return new Uint32Array(len).fill(value);
}

/** Canonical base element, biased towards edge values. */
export const fe: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: P - 1 }) },
  { weight: 1, arbitrary: fc.constantFrom(...EDGE.map((x) => x % P)) },
);
export const feNonZero: fc.Arbitrary<number> = fe.filter((x) => x !== 0);
export const extArb: fc.Arbitrary<Ext> = fc.tuple(fe, fe, fe, fe).map(([a, b, c, d]) => ext(a, b, c, d));
export const extNonZero: fc.Arbitrary<Ext> = extArb.filter((a) => a.some((x) => x !== 0));

export const big = (x: number): bigint => BigInt(x);
export const modBig = (x: bigint): number => Number(((x % P_BIG) + P_BIG) % P_BIG);

/** Copy of an array as a plain number list (readable assertion diffs). */
export const arr = (v: Uint32Array): number[] => Array.from(v);
