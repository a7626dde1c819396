/**
 * The padded sumcheck: zero-knowledge-ready messages whose verifier checks become constraints
 * on the committed vector w (docs/zero-knowledge.md §2; the construction of Longfellow-zk,
 * Frigo–shelat 2024 and draft-google-cfrg-libzk, applied to `./sumcheck.ts`).
 *
 * Pads. For m rounds of degree d the prover commits, in w and before any challenge, one uniform
 * pad P_{j,t} ∈ K (four base entries, `./zk-affine.ts`) per round value: 4·m·(d+1) entries,
 * P_{j,t} at offset + 4·(j·(d+1) + t) (`zkSumcheckPadSize`, `roundPad`). The final check's pads
 * (hidden evaluations, chain intermediates, products: `./zk-final.ts`) follow when the caller asks
 * for them (`zkSumcheckLayout`); the whole layout is a function of (m, d) and the final check's
 * factor lists — public, so the witness layout stays part of the circuit description.
 *
 * Prover. Today's prover (same kernels, through `proveSumcheck`'s hooks) sends
 * s̃_j(t) = s_j(t) + P_{j,t} and absorbs s̃_j where the clear protocol absorbs s_j, so the
 * challenges r_j are drawn from padded values. A public claimed sum H is absorbed as today (with
 * all pads zero the transcript is today's, bit for bit); a hidden one (an affine expression in
 * earlier pads, e.g. the next GKR claim) is not absorbed — it is fixed by the commitment and by
 * values already absorbed — and a `<label>/hidden-sum` marker separates the two modes.
 *
 * Verifier. It checks only what involves no hidden value (round count, d+1 values per round —
 * the degree check —, canonical encodings), absorbs s̃_j, draws r_j, and emits for each round the
 * `SparseLinear` constraint
 *   (s̃_j(0) − P_{j,0}) + (s̃_j(1) − P_{j,1}) = c_{j−1},   c_{−1} = H (a value or an expression),
 *   c_j = Σ_t L_t(r_j)·(s̃_j(t) − P_{j,t}) = s̃_j(r_j) − Σ_t L_t(r_j)·P_{j,t},
 * L_t the Lagrange basis on {0..d}: linear in the pads with public coefficients. It returns r and
 * c_{m−1} as an affine expression, **which the caller must discharge** (`./zk-final.ts`:
 * hidden final evaluations, their products, links to committed segments). With m = 0 the final
 * claim is H.
 *
 * Why sound. The pads are bound by the commitment before the first challenge, and each s̃_j is
 * absorbed before r_j, so the clear message s_j = s̃_j − P_j (d+1 values: degree ≤ d) is fixed
 * before r_j is drawn: on any w that satisfies the emitted constraints the clear messages pass the
 * clear verifier's checks, so this is the clear protocol with committed messages, error ≤ m·d/|K|
 * (PAZK §4.1), plus the error of the proof that w satisfies the constraints.
 *
 * What it hides. With the pads uniform and each used once, the padded values are uniform in
 * K^{m(d+1)} and independent of the witness: for a fixed witness, pads ↦ padded messages is a
 * bijection (P_{j,t} = s̃_j(t) − s_j(t), where s_j depends only on earlier padded values through
 * the challenges), so every witness with the same public statement gives the same distribution
 * of (messages, challenges, constraints) — the constraints are computed from public data alone.
 * A simulator samples the padded values uniformly, replays the verifier and emits the same
 * constraints; for each witness exactly one pad vector explains its view and it satisfies them
 * (tested). What it needs from the proof that checks the constraints (zero-knowledge Ligero):
 * (i) a hiding commitment to w (salted leaves, hiding encoding), since its root is absorbed before
 * the challenges; (ii) a simulator for "w satisfies this system" given the system alone — the
 * opened columns uniform (t ≤ k random symbols per row) and every test polynomial masked; (iii)
 * nothing else revealed about w: in particular no pad, product slot or opened linear form of w
 * beyond the constraints. Then the whole view is simulated and nothing but the public statement
 * leaks.
 */
import { P } from '../field/babybear.js';
import { type Ext, ext, extAdd, extIsCanonical, extSub } from '../field/extension.js';
import { emptySystem, type ConstraintSystem } from '../pcs/constraints.js';
import type { Point } from '../poly/multilinear.js';
import { lagrangeBasis } from '../poly/univariate.js';
import type { Transcript } from '../transcript/transcript.js';
import type { ByteReader, ByteWriter } from '../util/bytes.js';
import { fail, type VerifyError } from '../util/result.js';
import {
  absorbSumcheckStatement,
  readSumcheckProof,
  writeSumcheckProof,
  MAX_SUMCHECK_DEGREE,
  MAX_SUMCHECK_VARS,
  proveSumcheck,
  roundAt,
  type SumcheckInstance,
  type SumcheckProof,
  type SumcheckProverHooks,
} from './sumcheck.js';
import { type Affine, affineConst, affineConstraint, affinePlusRun, appendSystem, cryptoWords, fillUniform, isAffine, padAt, padCoeffsInto, type WordSource } from './zk-affine.js';
import {
  fillFinalProducts,
  finalPadRange,
  proveZkFinal,
  readZkFinalProof,
  verifyZkFinal,
  writeZkFinalProof,
  zkFinalAt,
  zkFinalLayout,
  type ZkFinalAt,
  type ZkFinalLayout,
  type ZkFinalProof,
  type ZkFinalShape,
} from './zk-final.js';

/** Base entries of the round pads of an m-round, degree-d sumcheck: one K pad per value. */
export function zkSumcheckPadSize(numVars: number, degree: number): number {
  return 4 * numVars * (degree + 1);
}

/** Offset of the pad of s_j(t) for round pads placed at `offset`. */
export function roundPad(offset: number, degree: number, j: number, t: number): number {
  return offset + 4 * (j * (degree + 1) + t);
}

export interface ZkSumcheckShape {
  numVars: number;
  degree: number;
  /** The final check the caller discharges with padded evaluations (`./zk-final.ts`), if any. */
  final?: ZkFinalShape;
}

export interface ZkSumcheckLayout {
  numVars: number;
  degree: number;
  /** Round pads: [0, roundEntries) relative to the layout's base. */
  roundEntries: number;
  /** The final check, at roundEntries relative to the base. */
  final?: ZkFinalLayout;
  /** Base entries in all. */
  size: number;
}

/** Where a sumcheck's entries lie in w. */
export interface ZkSumcheckAt {
  layout: ZkSumcheckLayout;
  /** Offset of the round pads (what `proveZkSumcheck`/`verifyZkSumcheck` take). */
  rounds: number;
  final?: ZkFinalAt;
}

function checkShape(numVars: number, degree: number): void {
  if (!Number.isInteger(numVars) || numVars < 0 || numVars > MAX_SUMCHECK_VARS) {
    throw new RangeError(`zk sumcheck: expected 0 ≤ numVars ≤ ${MAX_SUMCHECK_VARS}, got ${numVars}`);
  }
  if (!Number.isInteger(degree) || degree < 1 || degree > MAX_SUMCHECK_DEGREE) {
    throw new RangeError(`zk sumcheck: expected 1 ≤ degree ≤ ${MAX_SUMCHECK_DEGREE}, got ${degree}`);
  }
}

/** The pad layout of a sumcheck and its final check: rounds, then the final check's entries. */
export function zkSumcheckLayout(shape: ZkSumcheckShape): ZkSumcheckLayout {
  checkShape(shape.numVars, shape.degree);
  const roundEntries = zkSumcheckPadSize(shape.numVars, shape.degree);
  const final = shape.final ? zkFinalLayout(shape.final) : undefined;
  return { numVars: shape.numVars, degree: shape.degree, roundEntries, final, size: roundEntries + (final?.size ?? 0) };
}

/** The layout placed contiguously at `base` (a caller may instead place the final check itself). */
export function zkSumcheckAt(layout: ZkSumcheckLayout, base: number): ZkSumcheckAt {
  return { layout, rounds: base, final: layout.final ? zkFinalAt(layout.final, base + layout.roundEntries) : undefined };
}

/**
 * Prover, before committing w: fills every pad of `at` with uniform F elements from `words`
 * (Web Crypto by default) and then the product slots of its final check from those pads.
 */
export function fillZkPads(w: Uint32Array, at: ZkSumcheckAt, words: WordSource = cryptoWords): void {
  fillUniform(w, at.rounds, at.rounds + at.layout.roundEntries, words);
  if (at.final) {
    const [a, b] = finalPadRange(at.final);
    fillUniform(w, a, b, words);
    fillFinalProducts(w, at.final);
  }
}

/**
 * Absorbs the statement of a padded sumcheck: (m, d, H) as the clear protocol does when H is
 * public, (m, d) and a `<label>/hidden-sum` marker when it is hidden (`sum` null).
 */
export function absorbZkSumcheckStatement(tr: Transcript, label: string, numVars: number, degree: number, sum: Ext | null): void {
  if (sum) {
    absorbSumcheckStatement(tr, label, numVars, degree, sum);
    return;
  }
  tr.absorbNumber(`${label}/vars`, numVars);
  tr.absorbNumber(`${label}/degree`, degree);
  tr.absorbNumber(`${label}/hidden-sum`, 1);
}

export interface ZkSumcheckProverOptions {
  label?: string;
  /** The claimed sum is hidden (the verifier holds it as an expression in pads): do not absorb it. */
  hiddenSum?: boolean;
}

export interface ZkSumcheckProverOutput {
  /** The padded round messages s̃_j(0..d). */
  proof: SumcheckProof;
  /** H in the clear (hidden from the verifier unless the statement makes it public). */
  claimedSum: Ext;
  point: Point;
  /** P~_l(r) for every table, in the clear: the hidden final evaluations. */
  finalEvals: Ext[];
}

/**
 * Proves H = Σ_x Σ_j c_j Π P_l(x) with every round value sent plus its pad, the pads read from w
 * at `offset` (`roundPad`; they must be committed, i.e. in w, before this runs). The transcript is
 * the clear prover's with padded values in place of clear ones.
 */
export function proveZkSumcheck(tr: Transcript, inst: SumcheckInstance, w: Uint32Array, offset: number, opts: ZkSumcheckProverOptions = {}): ZkSumcheckProverOutput {
  const label = opts.label ?? 'sumcheck';
  const d = inst.degree;
  checkShape(inst.numVars, d);
  if (!Number.isInteger(offset) || offset < 0 || offset + zkSumcheckPadSize(inst.numVars, d) > w.length) {
    throw new RangeError(`zk sumcheck: expected round pads inside w (length ${w.length}), got offset ${offset} for ${zkSumcheckPadSize(inst.numVars, d)} entries`);
  }
  const out = proveSumcheck(tr, inst, label, zkSumcheckHooks(w, offset, d, opts.hiddenSum === true));
  return { proof: out.proof, claimedSum: out.claimedSum, point: out.point, finalEvals: out.finalEvals };
}

/**
 * The padding hooks of a degree-d sumcheck whose round pads lie in w at `offset`: the statement
 * absorbed with H public or hidden, each message sent as s_j + P_j. Any prover with
 * `SumcheckProverHooks` (`proveSumcheck`, the GKR's workspace prover) sends padded values with them.
 */
export function zkSumcheckHooks(w: Uint32Array, offset: number, degree: number, hiddenSum: boolean): SumcheckProverHooks {
  return {
    absorbStatement: (t, l, m, deg, sum) => absorbZkSumcheckStatement(t, l, m, deg, hiddenSum ? null : sum),
    message: (j, s) => {
      const sent = new Uint32Array(s.length);
      for (let t = 0; t <= degree; t++) sent.set(extAdd(s.subarray(4 * t, 4 * t + 4), padAt(w, roundPad(offset, degree, j, t))), 4 * t);
      return sent;
    },
  };
}

export interface ZkSumcheckStatement {
  numVars: number;
  degree: number;
  /** H: a public value, or an affine expression in earlier pads (hidden). */
  claimedSum: Ext | Affine;
}

export type ZkSumcheckVerifyResult =
  | { ok: true; point: Point; finalClaim: Affine; system: ConstraintSystem }
  | { ok: false; error: VerifyError };

export { lagrangeBasis };

/** −u^i for the 4 entries of each of two consecutive pads: the terms of −(P_{j,0} + P_{j,1}). */
const MINUS_TWO_PADS = (() => {
  const out = new Uint32Array(32);
  padCoeffsInto(out, 0, ext(P - 1));
  padCoeffsInto(out, 16, ext(P - 1));
  return out;
})();

/**
 * Verifies a padded sumcheck: checks the shape and encodings, absorbs the padded messages and
 * draws the challenges as the prover did, and emits one `SparseLinear` round constraint per
 * round (see the header). On success returns the point r, the final claim c_{m−1} as an affine
 * expression in w — **which the caller must discharge** (`verifyZkFinal`, `linkToSegment`) —
 * and the constraints, which only a proof that w satisfies them makes meaningful. Never throws.
 */
export function verifyZkSumcheck(tr: Transcript, stmt: ZkSumcheckStatement, proof: SumcheckProof, offset: number, label = 'sumcheck'): ZkSumcheckVerifyResult {
  const { numVars: m, degree: d, claimedSum } = stmt;
  try {
    checkShape(m, d);
  } catch (e) {
    return fail('BadShape', (e as Error).message);
  }
  if (!Number.isInteger(offset) || offset < 0) return fail('BadShape', `zk sumcheck: expected a pad offset ≥ 0, got ${offset}`);
  const publicSum = claimedSum instanceof Uint32Array;
  if (publicSum ? !extIsCanonical(claimedSum) : !isAffine(claimedSum)) return fail('NonCanonical', 'zk sumcheck: the claimed sum is neither a canonical value nor an expression');
  if (!proof || !Array.isArray(proof.rounds)) return fail('MalformedProof', 'zk sumcheck: proof has no rounds array');
  if (proof.rounds.length !== m) return fail('WrongRoundCount', `zk sumcheck: expected ${m} rounds, got ${proof.rounds.length}`, { expected: m, actual: proof.rounds.length });
  for (let j = 0; j < m; j++) {
    const s = proof.rounds[j];
    if (!(s instanceof Uint32Array) || s.length !== 4 * (d + 1)) {
      return fail('WrongRoundLength', `zk sumcheck: round ${j}: expected ${d + 1} values, got ${s instanceof Uint32Array ? s.length / 4 : 'none'}`, { round: j });
    }
    for (let k = 0; k < s.length; k++) if (s[k] >= P) return fail('NonCanonical', `zk sumcheck: round ${j}: value ${k} is not canonical`, { round: j });
  }
  absorbZkSumcheckStatement(tr, label, m, d, publicSum ? claimedSum : null);
  const system = emptySystem();
  let claim: Affine = publicSum ? affineConst(claimedSum) : claimedSum;
  const point = new Uint32Array(4 * m);
  const coeffs = new Uint32Array(16 * (d + 1));
  for (let j = 0; j < m; j++) {
    const s = proof.rounds[j];
    // s_j(0) + s_j(1) = (s̃_j(0) − P_{j,0}) + (s̃_j(1) − P_{j,1}): the two pads are consecutive
    const sum01 = affinePlusRun(affineConst(extAdd(s.subarray(0, 4), s.subarray(4, 8))), MINUS_TWO_PADS, roundPad(offset, d, j, 0));
    system.linear.push(affineConstraint(sum01, claim));
    tr.absorbExt(`${label}/round`, s);
    const r = tr.challengeExt(`${label}/challenge`);
    point.set(r, 4 * j);
    // c_j = s̃_j(r) − Σ_t L_t(r)·P_{j,t} (the pads of round j are consecutive)
    const basis = lagrangeBasis(d, r);
    for (let t = 0; t <= d; t++) padCoeffsInto(coeffs, 16 * t, extSub(ext(), basis[t]));
    claim = affinePlusRun(affineConst(roundAt(s, r)), coeffs, roundPad(offset, d, j, 0));
  }
  return { ok: true, point, finalClaim: claim, system };
}

// ---- sumcheck and final evaluations together ----------------------------------------------------

/** A padded sumcheck followed by its padded final evaluations (and chain intermediates). */
export interface ZkSumcheckWithEvalsProof {
  sumcheck: SumcheckProof;
  final: ZkFinalProof;
}

/**
 * Proves a sumcheck and sends, padded, the final evaluations of the tables `sent` (in that order:
 * evaluation l of the final check is table sent[l]), absorbed under `<label>/evals` after the last
 * challenge. `at` must hold a final check over sent.length evaluations, its pads and products
 * filled (`fillZkPads`).
 */
export function proveZkSumcheckWithEvals(
  tr: Transcript,
  inst: SumcheckInstance,
  w: Uint32Array,
  at: ZkSumcheckAt,
  sent: readonly number[],
  opts: ZkSumcheckProverOptions = {},
): ZkSumcheckProverOutput & { withEvals: ZkSumcheckWithEvalsProof } {
  const label = opts.label ?? 'sumcheck';
  if (!at.final) throw new RangeError('zk sumcheck: expected a layout with a final check');
  const out = proveZkSumcheck(tr, inst, w, at.rounds, opts);
  const final = proveZkFinal(tr, w, at.final, sent.map((i) => out.finalEvals[i]), `${label}/evals`);
  return { ...out, withEvals: { sumcheck: out.proof, final } };
}

export type ZkSumcheckWithEvalsResult =
  | { ok: true; point: Point; evals: Affine[]; system: ConstraintSystem }
  | { ok: false; error: VerifyError };

/**
 * Verifies `proveZkSumcheckWithEvals`: the rounds, then the final check c_{m−1} =
 * Σ_j coeffs(r)[j] Π_{l ∈ terms[j]} e_l with the coefficients the caller computes at the point
 * (public evaluations folded in). Returns the hidden evaluations, **which the caller must
 * discharge** (`linkToSegment` or further claims). Never throws.
 */
export function verifyZkSumcheckWithEvals(
  tr: Transcript,
  stmt: ZkSumcheckStatement,
  proof: ZkSumcheckWithEvalsProof,
  at: ZkSumcheckAt,
  coeffs: (point: Point) => Ext[],
  label = 'sumcheck',
): ZkSumcheckWithEvalsResult {
  if (!at.final || at.layout.numVars !== stmt.numVars || at.layout.degree !== stmt.degree) {
    return fail('BadShape', 'zk sumcheck: the layout does not match the statement or has no final check');
  }
  if (!proof) return fail('MalformedProof', 'zk sumcheck: no proof');
  const sc = verifyZkSumcheck(tr, stmt, proof.sumcheck, at.rounds, label);
  if (!sc.ok) return sc;
  let c: Ext[];
  try {
    c = coeffs(sc.point);
  } catch (e) {
    return fail('BadShape', `zk sumcheck: final coefficients: ${(e as Error).message}`);
  }
  const fin = verifyZkFinal(tr, at.final, sc.finalClaim, c, proof.final, `${label}/evals`);
  if (!fin.ok) return fin;
  return { ok: true, point: sc.point, evals: fin.evals, system: appendSystem(sc.system, fin.system) };
}

/** Padded rounds in `writeSumcheckProof`'s format, then the padded final values. */
export function writeZkSumcheckWithEvals(w: ByteWriter, proof: ZkSumcheckWithEvalsProof): void {
  writeSumcheckProof(w, proof.sumcheck);
  writeZkFinalProof(w, proof.final);
}

/** Reads `writeZkSumcheckWithEvals` for a layout with a final check; lengths fixed by it. */
export function readZkSumcheckWithEvals(r: ByteReader, layout: ZkSumcheckLayout): ZkSumcheckWithEvalsProof {
  if (!layout.final) throw new RangeError('zk sumcheck: expected a layout with a final check');
  const sumcheck = readSumcheckProof(r, layout.numVars, layout.degree);
  return { sumcheck, final: readZkFinalProof(r, layout.final) };
}
