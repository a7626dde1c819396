/**
 * Test harness for the padded sumcheck: a random instance over committed base tables, the
 * committed vector w (table segments ‖ hidden-sum pad ‖ sumcheck pads), the honest prover and
 * the verifier with every claim discharged (final check, links of the evaluations to the
 * segments), so that `checkConstraints(w, system)` is the whole statement.
 */
import { type Ext, ext, extAdd, extMul } from '../../src/field/extension.js';
import { emptySystem, type ConstraintSystem } from '../../src/pcs/constraints.js';
import { evaluateBase, evaluateExt } from '../../src/poly/multilinear.js';
import type { SumcheckInstance } from '../../src/piop/sumcheck.js';
import { affineConst, affineConstraint, appendSystem, fillUniform, hidden, padAt, type WordSource } from '../../src/piop/zk-affine.js';
import { linkToSegment, type ZkFinalShape } from '../../src/piop/zk-final.js';
import {
  proveZkSumcheckWithEvals,
  verifyZkSumcheckWithEvals,
  zkSumcheckAt,
  zkSumcheckLayout,
  fillZkPads,
  type ZkSumcheckAt,
  type ZkSumcheckWithEvalsProof,
} from '../../src/piop/zk-sumcheck.js';
import { Transcript } from '../../src/transcript/transcript.js';
import type { VerifyError } from '../../src/util/result.js';
import { Rng } from './random.js';

export const LABEL = 'zs';
export const PROTOCOL = 'zk-sumcheck-test';

/** Uniform words from a seeded generator (tests only). */
export function seededWords(rng: Rng): WordSource {
  return (n) => {
    const a = new Uint32Array(n);
    for (let i = 0; i < n; i++) a[i] = rng.u32();
    return a;
  };
}

export interface ZkCase {
  inst: SumcheckInstance;
  coeffs: Ext[];
  shape: ZkFinalShape;
  at: ZkSumcheckAt;
  /** Offset of the hidden sum's pad, or null for a public sum. */
  hOff: number | null;
  /** Base tables are committed segments (linked); ext tables are public (evaluated by the verifier). */
  segments: (number | null)[];
  size: number;
}

export interface CaseOptions {
  hidden?: boolean;
  numTables?: number;
  /** Make table 1 an ext table (public, evaluated by the verifier) when there are ≥ 2. */
  withExt?: boolean;
  /** Given tables and terms instead of random ones. */
  tables?: Uint32Array[];
  terms?: SumcheckInstance['terms'];
}

/** A random instance: 1–4 tables, up to 3 terms, the first of exactly d factors, random coefficients. */
export function zkCase(rng: Rng, m: number, d: number, opts: CaseOptions = {}): ZkCase {
  const T = opts.tables?.length ?? opts.numTables ?? 1 + rng.int(4);
  const n = 2 ** m;
  const tables = opts.tables ?? Array.from({ length: T }, (_, l) => (opts.withExt && l === 1 ? rng.extVec(n) : rng.baseVec(n)));
  const numTerms = 1 + rng.int(3);
  const terms =
    opts.terms ??
    Array.from({ length: numTerms }, (_, j) => ({
      coeff: rng.ext(),
      factors: Array.from({ length: j === 0 ? d : rng.int(d + 1) }, () => rng.int(T)),
    }));
  const inst: SumcheckInstance = { numVars: m, degree: d, tables, terms };
  const segments = tables.map((t, l) => (t.length === n ? l * n : null));
  let off = T * n;
  const hOff = opts.hidden ? off : null;
  if (opts.hidden) off += 4;
  const shape: ZkFinalShape = { numEvals: T, terms: terms.map((t) => t.factors) };
  const layout = zkSumcheckLayout({ numVars: m, degree: d, final: shape });
  const at = zkSumcheckAt(layout, off);
  return { inst, coeffs: terms.map((t) => t.coeff), shape, at, hOff, segments, size: off + layout.size };
}

/** H = Σ_x Σ_j c_j Π P_l(x), naively. */
export function naiveSum(inst: SumcheckInstance): Ext {
  const n = 2 ** inst.numVars;
  let h = ext();
  for (let x = 0; x < n; x++) {
    for (const term of inst.terms) {
      let prod: Ext = term.coeff;
      for (const f of term.factors) {
        const t = inst.tables[f];
        prod = extMul(prod, t.length === n ? ext(t[x]) : t.subarray(4 * x, 4 * x + 4));
      }
      h = extAdd(h, prod);
    }
  }
  return h;
}

/** The committed vector: segments, then uniform pads (or zeros when `words` is null), products filled. */
export function commitCase(c: ZkCase, words: WordSource | null): Uint32Array {
  const w = new Uint32Array(c.size);
  c.inst.tables.forEach((t, l) => {
    const s = c.segments[l];
    if (s !== null) w.set(t, s);
  });
  if (words) {
    fillZkPads(w, c.at, words);
    if (c.hOff !== null) fillUniform(w, c.hOff, c.hOff + 4, words);
  }
  return w;
}

export interface Proven {
  proof: ZkSumcheckWithEvalsProof;
  /** The padded hidden sum (absorbed before the sumcheck), or null. */
  hTilde: Ext | null;
  claimedSum: Ext;
  point: Uint32Array;
  finalEvals: Ext[];
}

/** Absorbs the padded hidden sum as a previous protocol step would have. */
export function absorbHiddenSum(tr: Transcript, hTilde: Ext | null): void {
  if (hTilde) tr.absorbExt(`${LABEL}/H`, hTilde);
}

export function proveCase(c: ZkCase, w: Uint32Array, tr = new Transcript(PROTOCOL)): Proven {
  let hTilde: Ext | null = null;
  if (c.hOff !== null) hTilde = extAdd(naiveSum(c.inst), padAt(w, c.hOff));
  absorbHiddenSum(tr, hTilde);
  const sent = c.inst.tables.map((_, l) => l);
  const out = proveZkSumcheckWithEvals(tr, c.inst, w, c.at, sent, { label: LABEL, hiddenSum: c.hOff !== null });
  return { proof: out.withEvals, hTilde, claimedSum: out.claimedSum, point: out.point, finalEvals: out.finalEvals };
}

export type Verified = { ok: true; system: ConstraintSystem; point: Uint32Array } | { ok: false; error: VerifyError };

/**
 * The verifier with every claim discharged: round and final-check constraints, then each
 * evaluation linked to its segment (base tables) or equated to the verifier's own MLE value
 * (ext tables, public). `sum` overrides the public claimed sum.
 */
export function verifyCase(c: ZkCase, proof: ZkSumcheckWithEvalsProof, hTilde: Ext | null, opts: { sum?: Ext; tr?: Transcript } = {}): Verified {
  const tr = opts.tr ?? new Transcript(PROTOCOL);
  absorbHiddenSum(tr, hTilde);
  const claimedSum = c.hOff !== null ? hidden(hTilde ?? ext(), c.hOff) : (opts.sum ?? naiveSum(c.inst));
  const res = verifyZkSumcheckWithEvals(tr, { numVars: c.inst.numVars, degree: c.inst.degree, claimedSum }, proof, c.at, () => c.coeffs, LABEL);
  if (!res.ok) return res;
  const links = emptySystem();
  c.inst.tables.forEach((t, l) => {
    const s = c.segments[l];
    if (s !== null) links.tensor.push(linkToSegment(res.evals[l], s, res.point));
    else links.linear.push(affineConstraint(res.evals[l], affineConst(evaluateExt(t, res.point))));
  });
  return { ok: true, system: appendSystem(res.system, links), point: res.point };
}

/** The MLE of table l at r (base or ext). */
export function tableAt(c: ZkCase, l: number, r: Uint32Array): Ext {
  const t = c.inst.tables[l];
  return t.length === 2 ** c.inst.numVars ? evaluateBase(t, r) : evaluateExt(t, r);
}

/** A deep copy of a proof, for tampering. */
export function cloneProof(p: ZkSumcheckWithEvalsProof): ZkSumcheckWithEvalsProof {
  return { sumcheck: { rounds: p.sumcheck.rounds.map((s) => s.slice()) }, final: { evals: p.final.evals.slice(), chain: p.final.chain.slice() } };
}

export const MOD = 2013265921;

/** x + δ mod p for one word. */
export function bump(x: number, delta = 1): number {
  return (x + delta) % MOD;
}
