/**
 * Parameters of the zero-knowledge Ligero proof (`./zk-ligero.ts`), its soundness terms and the
 * chooser that picks them.
 *
 * Parameters: C = 2^logCols message symbols per row, k random symbols per row (degree bound
 * L = C + k), codeword length N = 2^logCodeword on the coset g·⟨ω_N⟩, t opened columns (drawn
 * with replacement). Requirements: t ≤ k (hiding: any t positions of a row are uniform),
 * k ≤ C + 1 (the quadratic mask's second row fits the code, see `./zk-ligero-masks.ts`), N ≥ 2L
 * (the quadratic test polynomial, degree < 2L − 1, is determined by its codeword).
 *
 * Soundness (all challenges in K, |K| = p^4). Let d = N − L + 1 be the distance of RS[N, L],
 * e < d/3 a proximity parameter, R the committed rows, M the linear constraints (copies included).
 * Every committed row, masks included, is a row of RS[N, L]; the proximity test combines them
 * with a fresh uniform γ ∈ K^(R−4) plus the proximity mask with coefficient 1 (an affine space).
 * A prover whose committed matrix is e-far from the interleaved code passes the proximity test
 * only if the combination is e-close — probability ≤ (e+1)/(|K|−1) ≤ (e+2)/|K| by the Ligero
 * proximity lemma for e < d/3 (Ligero journal ePrint 2022/1608, Lemma 4.2 as in PROTOCOL-NOTES §1;
 * the affine form follows from the linear one because γ_0·m + γᵀU = γ_0·(m + (γ/γ_0)ᵀU)) — or if t
 * uniform columns avoid the > e columns where the sent P0 differs from it: (1 − e/N)^t.
 * If the matrix is e-close (one error set E, |E| ≤ e, decoded rows p*):
 *   - linear test: if p* violates a linear constraint, the weights ω_i = β·eq(τ)_i make
 *     Σ_H(mask*) + Σ_i ω_i·(A_i w* − b_i) a non-zero polynomial of degree ≤ ⌈log2 M⌉ + 1 in (β, τ)
 *     (β rules out a mask whose sum cancels Σ eq(τ)_i = 1 for a uniform violation), so it vanishes
 *     w.p. ≤ (⌈log2 M⌉ + 1)/|K| (Schwartz–Zippel); otherwise the sent Q_lin (sum checked)
 *     differs from the decoded Q_lin*, a polynomial of degree ≤ C + L − 1, so columns outside E
 *     agree on ≤ C + L − 1 positions: ((C + L − 1 + e)/N)^t;
 *   - quadratic test: if a triple fails on H, Σ_r ρ_r (x_r y_r − z_r) ≢ 0 mod Z_H w.p. ≥
 *     1 − 1/|K| (ρ uniform, the mask Z_H·(c0 + X^{k−1}c1) vanishes on H whatever was committed),
 *     and then Q_quad (vanishing checked) ≠ Q_quad*, both of degree ≤ 2L − 2: ((2L − 2 + e)/N)^t.
 * Counting each challenge's failure once (round-by-round, as `circuit/security.ts` does):
 *
 *   ε ≤ (e+2)/|K| + (⌈log2 M⌉+1)/|K| + 1/|K| + max((1 − e/N)^t, ((C+L−1+e)/N)^t, ((2L−2+e)/N)^t),
 *
 * with e chosen (integer, < d/3) to minimise it; Merkle binding and Fiat–Shamir are charged
 * globally by the caller (`circuit/security.ts`, ε_hash). The form is `tensorSecurityBits`'s
 * (`./params.ts`) for the code RS[N, C + k] with the full-γ field term, plus the two tests.
 *
 * Several commitments (`proveZkLigeroMulti`). The rows of trees A_1..A_m and B form one matrix,
 * opened at one set of t columns, combined by one γ, one (β, τ) and one ρ. They must share the code
 * (C, N, t); k may differ: the proof runs with L = C + max_i k_i (`sharedCodeParams`), and a row of
 * tree i, of degree < C + k_i ≤ L, is a codeword of RS[N, L] too. The analysis above then applies
 * verbatim to that matrix: no term depends on the number of rows R (the proximity lemma's
 * (e+1)/|F| holds for any number of interleaved rows, the linear and quadratic field terms depend
 * on M and the challenges only, the query terms on N, L, C, t and e), so m trees add no term; R
 * enters only the work and γ's length. A larger k on a long-lived commitment (the weights, to
 * survive more openings) costs every proof that uses it through the larger L: the distance
 * d = N − L + 1 and the query terms ((C + L − 1 + e)/N)^t, ((2L − 2 + e)/N)^t, computed with
 * `zkLigeroSecurity(sharedCodeParams(…))`. Each tree's own hiding needs only t ≤ k_i.
 *
 * Zero knowledge costs no term: it is perfect for t ≤ k given the challenges (the salted leaves
 * add the random-oracle term Q·2^−256 of hiding unopened columns, see `./zk-ligero-columns.ts`).
 */
import { P } from '../field/babybear.js';

export const LOG2_K = 4 * Math.log2(P);

export interface ZkLigeroParams {
  /** C = 2^logCols message symbols per row. */
  logCols: number;
  /** k random symbols per row (t ≤ k ≤ C + 1). */
  randomness: number;
  /** N = 2^logCodeword codeword positions (N ≥ 2·(C + k)). */
  logCodeword: number;
  /** t column queries (with replacement). */
  queries: number;
}

/** The default per-proof target (docs/zero-knowledge.md §3: 100 composed bits, 3 bits of margin per proof). */
export const ZK_LIGERO_TARGET_BITS = 103;
/** Most codeword positions the chooser allows (the proximity field term is (e+2)/|K| ≈ N/4 /|K|). */
export const ZK_LIGERO_MAX_LOG_CODEWORD = 20;

/** Derived sizes of a parameter set. */
export interface ZkCodeShape {
  C: number;
  logC: number;
  k: number;
  /** L = C + k, the degree bound of committed rows */
  L: number;
  N: number;
  logN: number;
  t: number;
  /** coefficients of the linear-test polynomial, C + L − 1 */
  linDegree: number;
  /** coefficients of the quadratic-test polynomial, 2L − 1 */
  quadDegree: number;
  /** the prover's evaluation domain for the test polynomials, M = 2^logM ≥ 2L − 1, M ≤ N */
  M: number;
  logM: number;
}

/** A description of what is wrong with a parameter set, or null. */
export function paramsIssue(p: ZkLigeroParams): string | null {
  if (p === null || typeof p !== 'object') return 'expected a parameter object';
  const { logCols, randomness: k, logCodeword, queries: t } = p;
  for (const [name, v] of [['logCols', logCols], ['randomness', k], ['logCodeword', logCodeword], ['queries', t]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) return `${name}: expected a non-negative integer, got ${v}`;
  }
  if (logCols < 2 || logCols > 22) return `logCols: expected 2 ≤ logCols ≤ 22, got ${logCols}`;
  if (logCodeword > 24) return `logCodeword: expected at most 24, got ${logCodeword}`;
  if (t < 1) return `queries: expected at least 1, got ${t}`;
  if (t > k) return `queries ${t} exceed the randomness ${k} per row: opened columns would not be hiding (need t ≤ k)`;
  const C = 2 ** logCols;
  if (k > C + 1) return `randomness ${k} exceeds C + 1 = ${C + 1}`;
  if (2 ** logCodeword < 2 * (C + k)) return `codeword length 2^${logCodeword} is below 2·(C + k) = ${2 * (C + k)}`;
  return null;
}

/**
 * What keeps these parameter sets (of the commitments of one proof) from sharing a code, or null:
 * each must be valid, and all must have the same logCols, logCodeword and queries.
 */
export function sharedCodeIssue(ps: readonly ZkLigeroParams[]): string | null {
  if (!Array.isArray(ps) || ps.length < 1) return 'expected at least one commitment';
  for (const [i, p] of ps.entries()) {
    const err = paramsIssue(p);
    if (err) return `commitment ${i}: ${err}`;
  }
  const a = ps[0];
  for (const [i, p] of ps.entries()) {
    if (p.logCols !== a.logCols || p.logCodeword !== a.logCodeword || p.queries !== a.queries) {
      return `commitment ${i} has C = 2^${p.logCols}, N = 2^${p.logCodeword}, t = ${p.queries}, commitment 0 has C = 2^${a.logCols}, N = 2^${a.logCodeword}, t = ${a.queries}: the commitments of one proof must share (C, N, t) (k may differ)`;
    }
  }
  return null;
}

/** The code one proof over these commitments runs: their (C, N, t) and the largest k. Throws a RangeError if they share none. */
export function sharedCodeParams(ps: readonly ZkLigeroParams[]): ZkLigeroParams {
  const err = sharedCodeIssue(ps);
  if (err) throw new RangeError(`zk-ligero parameters: ${err}`);
  return { ...ps[0], randomness: Math.max(...ps.map((p) => p.randomness)) };
}

/** The sizes of a (valid) parameter set. */
export function codeShape(p: ZkLigeroParams): ZkCodeShape {
  const err = paramsIssue(p);
  if (err) throw new RangeError(`zk-ligero parameters: ${err}`);
  const C = 2 ** p.logCols;
  const L = C + p.randomness;
  const logM = Math.ceil(Math.log2(2 * L - 1));
  return {
    C,
    logC: p.logCols,
    k: p.randomness,
    L,
    N: 2 ** p.logCodeword,
    logN: p.logCodeword,
    t: p.queries,
    linDegree: C + L - 1,
    quadDegree: 2 * L - 1,
    M: 2 ** logM,
    logM,
  };
}

export interface ZkSecurityTerm {
  name: string;
  /** log2 of the term */
  log2: number;
  formula: string;
  citation: string;
}

export interface ZkLigeroSecurity {
  /** −log2 of the sum of the terms */
  bits: number;
  /** the proximity parameter e used */
  proximity: number;
  terms: ZkSecurityTerm[];
}

const CITE = {
  prox: 'Ligero journal ePrint 2022/1608, Lemma 4.2 (e < d/3, field term (e+1)/|F|; affine by scaling); PROTOCOL-NOTES §1; AHIV17 §4.1',
  lin: 'AHIV17 §4.2 (linear test); Schwartz–Zippel over (β, τ), weights β·eq(τ); src/pcs/zk-ligero.ts',
  quad: 'AHIV17 §4.3 (quadratic test); independent ρ per row triple',
  query: 'AHIV17 §4 (column queries, t with replacement); RS[N, L] distance d = N − L + 1; product degrees C + L − 1 and 2L − 2',
};

function log2AddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log2(2 ** (a - m) + 2 ** (b - m));
}

function evaluate(s: ZkCodeShape, e: number, numLinear: number): { bits: number; terms: ZkSecurityTerm[] } {
  const { N, L, C, t } = s;
  const ell = Math.ceil(Math.log2(Math.max(numLinear, 1)));
  const qProx = t * Math.log2(1 - e / N);
  const qLin = t * Math.log2((C + L - 1 + e) / N);
  const qQuad = t * Math.log2(Math.min(1, (2 * L - 2 + e) / N));
  const query = Math.max(qProx, qLin, qQuad);
  const terms: ZkSecurityTerm[] = [
    { name: 'proximity test: combination γ', log2: Math.log2(e + 2) - LOG2_K, formula: `(e+2)/|K|, e = ${e} < d/3, d = N − L + 1 = ${N - L + 1}`, citation: CITE.prox },
    { name: 'linear test: weights β·eq(τ)', log2: Math.log2(ell + 1) - LOG2_K, formula: `(⌈log2 M⌉ + 1)/|K|, M = ${numLinear} linear constraints`, citation: CITE.lin },
    { name: 'quadratic test: weights ρ', log2: -LOG2_K, formula: '1/|K|', citation: CITE.quad },
    {
      name: 'column queries',
      log2: query,
      formula: `max((1−e/N)^t, ((C+L−1+e)/N)^t, ((2L−2+e)/N)^t) = max(2^${qProx.toFixed(2)}, 2^${qLin.toFixed(2)}, 2^${qQuad.toFixed(2)}), N = ${N}, L = ${L}, C = ${C}, t = ${t}`,
      citation: CITE.query,
    },
  ];
  let sum = -Infinity;
  for (const term of terms) sum = log2AddExp(sum, term.log2);
  return { bits: -sum, terms };
}

/**
 * The soundness terms of one proof with these parameters over `numLinear` linear constraints
 * (sparse + tensor + 3 copies per Hadamard entry; the default 2^32 bounds any system), with the
 * proximity parameter e that maximises the bits (see the header).
 */
export function zkLigeroSecurity(p: ZkLigeroParams, numLinear = 2 ** 32): ZkLigeroSecurity {
  const s = codeShape(p);
  const d = s.N - s.L + 1;
  const eMax = Math.ceil(d / 3) - 1; // the largest integer < d/3
  // the query terms cross where 1 − e/N = (2L − 2 + e)/N
  const cross = (s.N - 2 * s.L + 2) / 2;
  const candidates = new Set([eMax, Math.floor(cross), Math.ceil(cross)].filter((e) => e >= 0 && e <= eMax));
  let best: { bits: number; terms: ZkSecurityTerm[]; e: number } | undefined;
  for (const e of candidates) {
    const r = evaluate(s, e, numLinear);
    if (!best || r.bits > best.bits) best = { ...r, e };
  }
  if (!best) {
    const r = evaluate(s, 0, numLinear);
    best = { ...r, e: 0 };
  }
  return { bits: best.bits, proximity: best.e, terms: best.terms };
}

export interface ZkChooserOptions {
  /** per-proof target bits (default 103) */
  targetBits?: number;
  /** how many proofs may open the same commitment (k ≥ openings·t; docs/zero-knowledge.md §4) */
  openings?: number;
  /** extra random symbols per row beyond openings·t */
  margin?: number;
  /** N ≥ minBlowup·(C + k), rounded up to a power of two (docs/zero-knowledge.md §3: 4) */
  minBlowup?: number;
  maxLogCodeword?: number;
  /** linear constraints the proofs will carry (default 2^32, a bound for any system) */
  numLinear?: number;
  /** rows of the proof's second tree to budget for (masks: 20, plus 3 per Hadamard row triple) */
  extraRows?: number;
}

/** Estimated proof bytes (the real size is measured). */
export function estimateProofBytes(p: ZkLigeroParams, length: number, extraRows = 20): number {
  const s = codeShape(p);
  const rows = Math.ceil(length / s.C) + extraRows;
  const opened = Math.min(s.t, s.N);
  const path = Math.max(0, s.logN - Math.floor(Math.log2(opened)));
  return 16 * (s.L + s.linDegree + s.quadDegree) + opened * (4 * rows + 2 * 32 + 2 * 32 * path) + 100;
}

/**
 * Parameters for committing `length` entries: for each column count C, the least t that meets
 * the target with k = openings·t + margin and N = nextPow2(minBlowup·(C + k)); among those, the
 * one with the smallest estimated proof. Throws a RangeError when no layout reaches the target.
 */
export function chooseZkLigeroParams(length: number, opts: ZkChooserOptions = {}): ZkLigeroParams {
  if (!Number.isSafeInteger(length) || length < 1) throw new RangeError(`chooseZkLigeroParams: expected a positive length, got ${length}`);
  const target = opts.targetBits ?? ZK_LIGERO_TARGET_BITS;
  const openings = opts.openings ?? 1;
  const margin = opts.margin ?? 0;
  const blowup = opts.minBlowup ?? 4;
  const maxLogN = opts.maxLogCodeword ?? ZK_LIGERO_MAX_LOG_CODEWORD;
  const numLinear = opts.numLinear ?? 2 ** 32;
  if (!(openings >= 1) || !Number.isInteger(openings)) throw new RangeError(`chooseZkLigeroParams: expected openings ≥ 1, got ${openings}`);
  let best: ZkLigeroParams | undefined;
  let bestBytes = Infinity;
  for (let logC = 2; logC <= 22; logC++) {
    const C = 2 ** logC;
    if (C > 2 * Math.max(length, 1) && best) break; // one row already holds everything
    for (let t = 1; t <= 4096; t++) {
      const k = openings * t + margin;
      if (k > C + 1) break;
      const logN = Math.ceil(Math.log2(blowup * (C + k)));
      if (logN > maxLogN) break;
      const p: ZkLigeroParams = { logCols: logC, randomness: k, logCodeword: logN, queries: t };
      if (paramsIssue(p)) continue;
      if (zkLigeroSecurity(p, numLinear).bits < target) continue;
      const bytes = estimateProofBytes(p, length, opts.extraRows ?? 20);
      if (bytes < bestBytes) {
        bestBytes = bytes;
        best = p;
      }
      break;
    }
  }
  if (!best) throw new RangeError(`chooseZkLigeroParams: ${target} bits are unreachable for ${length} entries with N ≤ 2^${maxLogN}`);
  return best;
}
