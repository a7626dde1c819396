/**
 * Zero-knowledge LogUp lookups: `./logup.ts` instance by instance, with the padded GKR
 * (`./zk-gkr.ts`) and the leaf discharge turned into constraints on the committed vector w
 * (docs/zero-knowledge.md §2).
 *
 * Protocol. Same statements, same challenges α, β (`drawLookupChallenges`, drawn after the roots
 * of the columns and of m are absorbed), same leaves (`lookupLeaves`) and transcript labels as the
 * clear protocol. Per instance k (label `<label>/<k>`):
 *   1. the padded GKR over N = n + 1 leaf variables proves Σ p/q = 0 (its root check also shows
 *      q_0 ≠ 0 through v = 1/q_0); it leaves the leaf claim (x*, P, Q) as expressions in w;
 *   2. the prover sends ṽ_{j,w} = v_{j,w} + P_{j,w} (v_{j,w} = e~_{j,w}(x*_{<ℓ})) and m̃ = m~(x*_{<b}) + P_m,
 *      absorbed under `<label>/<k>/column-evals` and `<label>/<k>/multiplicity-eval` where the clear
 *      values are absorbed;
 *   3. the verifier emits the clear verifier's leaf checks (`./logup.ts` header) as two SparseLinear
 *      constraints, linear because every hidden value enters with a public coefficient:
 *        P = (1 − s*) − s*·eq(x*_{≥b}, 0)·m,
 *        Q = α − s*·t~(x*_{<b}) − (1 − s*)·[Σ_{j,w} eq(x*_{≥ℓ+c'}, 0)·eq(x*_slot, j)·β^w·v_{j,w}
 *                                          + pad·(1 − eq(x*_{≥ℓ+c'}, 0)·Σ_{j<c} eq(x*_slot, j))],
 *      m = m̃ − P_m, v_{j,w} = ṽ_{j,w} − P_{j,w}, t~ and the padding row's folded tuple computed by the
 *      verifier; and returns the claims (x*_{<ℓ}, v_{j,w}) on each column and (x*_{<b}, m) on m as
 *      expressions, **which the caller must link** to the committed segments (`linkToSegment`).
 * An instance with `fingerprints: 2` (`./logup.ts`, "Second fingerprint") runs steps 1–3 again at
 * the second draw (α₂, β₂, ρ₂) under `<label>/<k>/2`, after every instance's first run, with its own
 * pads, and returns its claims as `claims[k].second`.
 * Checks with no hidden value stay checks: shapes, lengths and canonical encodings.
 * A committed table (`./indexed.ts`) adds ẽ = E~(ρ ‖ x*_{<b'}) + P_e after m̃ (`<label>/<k>/table-eval`):
 * its row column enters Q with the public coefficient −s*·β·eq(x*_{b,≥b'}, 0) on e = ẽ − P_e, and
 * (ρ ‖ x*_{<b'}, e) is returned as the hidden claim `table` on the parameter E, linked like the others.
 *
 * Pads (`zkLookupLayout`, a function of the statements alone), per run (`lookupRuns`: every instance,
 * then the second runs) contiguously:
 * `zkGkrLayout(n + 1)`, then 4 entries per column evaluation (j-major), then 4 for m~, then (committed
 * tables) 4 for e.
 *
 * Why sound. With w committed before α, β and every padded value absorbed before the next draw,
 * this is the clear protocol with committed messages: on any w satisfying the system and the links,
 * the clear values pass the clear verifier. Error: the clear LogUp's (max_k (D_k/|K|)^{r_k},
 * `fingerprintDegree`) and each run's GKR Σ_j (3j + 2)/|K|, plus 1/|K| per run for the GKR's root
 * combination.
 *
 * What it hides. Every value sent is padded with a uniform pad used once, so the proof is uniform
 * and independent of the columns and the multiplicities (a histogram of hidden data); the
 * constraints are computed from public values only.
 */
import { P as MOD } from '../../field/babybear.js';
import { type Ext, ext, extAdd, extIsCanonical, extMul, extNeg, extOneMinus, extSub } from '../../field/extension.js';
import { emptySystem, type ConstraintSystem, type SparseLinear } from '../../pcs/constraints.js';
import { eqAtIndex, type Point } from '../../poly/multilinear.js';
import type { Transcript } from '../../transcript/transcript.js';
import type { ByteReader, ByteWriter } from '../../util/bytes.js';
import { fail, type VerifyError } from '../../util/result.js';
import { type Affine, affineCombine, affineConst, affineConstraint, appendSystem, cryptoWords, fillUniform, hidden, padAt, type WordSource } from '../zk-affine.js';
import {
  checkLookupMultiplicities,
  checkLookupStatement,
  checkLookupWitnessShape,
  lookupDims,
  lookupLeaves,
  lookupPadValue,
  lookupRuns,
  runDraw,
  statementOf,
  type LookupDraw,
  type LookupChallenges,
  type LookupClaims,
  type LookupDims,
  type LookupStatement,
  type LookupWitness,
} from './logup.js';
import { instanceClaims, instanceEvals } from './logup.js';
import { tableRowEval } from './indexed.js';
import { betaPowers, evaluateTable } from './tables.js';
import { fillZkGkrPads, proveZkGkr, readZkGkrProof, verifyZkGkr, writeZkGkrProof, zkGkrAt, zkGkrLayout, type ZkGkrAt, type ZkGkrLayout, type ZkGkrProof } from './zk-gkr.js';
import { pushAll } from '../../util/arrays.js';

export interface ZkLookupInstanceLayout {
  gkr: ZkGkrLayout;
  /** numLookups·W column evaluations, one pad each. */
  numColumnEvals: number;
  /** a committed table's evaluation e (one pad) */
  tableEval: boolean;
  /** Base entries: the GKR's, then 4 per column evaluation, then 4 for m~. */
  size: number;
}

export interface ZkLookupLayout {
  instances: ZkLookupInstanceLayout[];
  size: number;
}

export interface ZkLookupInstanceAt {
  layout: ZkLookupInstanceLayout;
  gkr: ZkGkrAt;
  /** Pad of column evaluation i (j-major: i = j·W + w) at columnPads + 4i. */
  columnPads: number;
  multiplicityPad: number;
  /** the pad of e (committed tables), right after m~'s */
  tableEvalPad: number;
}

export interface ZkLookupAt {
  layout: ZkLookupLayout;
  instances: ZkLookupInstanceAt[];
}

export interface ZkLookupInstanceProof {
  gkr: ZkGkrProof;
  /** ṽ_{j,w}, j-major: numLookups·W padded ext elements. */
  columnEvals: Uint32Array;
  /** m̃ = m~(x*_{<b}) + P_m. */
  multiplicityEval: Ext;
  /** ẽ = E~(ρ ‖ x*_{<b'}) + P_e (committed tables). */
  tableEval?: Ext;
}

export interface ZkLookupProof {
  instances: ZkLookupInstanceProof[];
}

/** A hidden evaluation claim: the MLE of a committed vector at `point` is `value` (an expression in w). */
export interface ZkLookupClaim {
  point: Point;
  value: Affine;
}

export interface ZkLookupClaims {
  /** columns[j][w]: the claim on column w of tuple j. */
  columns: ZkLookupClaim[][];
  multiplicities: ZkLookupClaim;
  /** committed tables: the claim on E */
  table?: ZkLookupClaim;
  /** `fingerprints: 2`: the claims of the second draw's GKR */
  second?: ZkLookupClaims;
}

export type ZkLookupVerifyResult = { ok: true; system: ConstraintSystem; claims: ZkLookupClaims[] } | { ok: false; error: VerifyError };

/** The pad layout of every GKR, in proof order (`lookupRuns`: a function of the statements alone). */
export function zkLookupLayout(statements: LookupStatement[]): ZkLookupLayout {
  statements.forEach(checkLookupStatement);
  const instances = lookupRuns(statements).map(({ k }) => {
    const st = statements[k];
    const d = lookupDims(st);
    const gkr = zkGkrLayout(d.n + 1);
    const numColumnEvals = st.numLookups * d.width;
    const tableEval = st.table.kind === 'committed';
    return { gkr, numColumnEvals, tableEval, size: gkr.size + 4 * numColumnEvals + 4 + (tableEval ? 4 : 0) };
  });
  return { instances, size: instances.reduce((s, l) => s + l.size, 0) };
}

/** The layout placed contiguously at `base`. */
export function zkLookupAt(layout: ZkLookupLayout, base: number): ZkLookupAt {
  let off = base;
  const instances = layout.instances.map((l) => {
    const gkr = zkGkrAt(l.gkr, off);
    const columnPads = off + l.gkr.size;
    const multiplicityPad = columnPads + 4 * l.numColumnEvals;
    off += l.size;
    return { layout: l, gkr, columnPads, multiplicityPad, tableEvalPad: multiplicityPad + 4 };
  });
  return { layout, instances };
}

/** Prover, before committing w: uniform pads for every instance, and the GKRs' product slots. */
export function fillZkLookupPads(w: Uint32Array, at: ZkLookupAt, words: WordSource = cryptoWords): void {
  for (const inst of at.instances) {
    fillZkGkrPads(w, inst.gkr, words);
    fillUniform(w, inst.columnPads, inst.multiplicityPad + (inst.layout.tableEval ? 8 : 4), words);
  }
}


/**
 * Proves every instance on `tr` with challenges from `drawLookupChallenges`, every value padded
 * (the pads of `at` in w and filled, w committed before α). Checks membership and the
 * multiplicities first, as `proveLookups` does. Returns the proof and, per instance, the clear
 * claims on the columns and on m (the caller links them to w's segments).
 */
export function proveZkLookups(tr: Transcript, ch: LookupChallenges, witnesses: LookupWitness[], w: Uint32Array, at: ZkLookupAt, label = 'logup'): { proof: ZkLookupProof; claims: LookupClaims[] } {
  witnesses.forEach(checkLookupMultiplicities);
  return proveZkLookupsUnchecked(tr, ch, witnesses, w, at, label);
}

/**
 * FOR TESTS ONLY (cheating-prover harnesses): the honest padded prover on any trace, without the
 * membership or multiplicity checks; a forged trace yields constraints the committed w fails.
 */
export function proveZkLookupsUnchecked(
  tr: Transcript,
  ch: LookupChallenges,
  witnesses: LookupWitness[],
  w: Uint32Array,
  at: ZkLookupAt,
  label = 'logup',
): { proof: ZkLookupProof; claims: LookupClaims[] } {
  const statements = witnesses.map((wit, k) => ({ ...statementOf(wit), ...(ch.second?.instances.includes(k) ? { fingerprints: 2 as const } : {}) }));
  const runs = lookupRuns(statements);
  if (at.instances.length !== runs.length) throw new RangeError(`zk logup: expected a layout of ${runs.length} instances, got ${at.instances.length}`);
  const instances: ZkLookupInstanceProof[] = [];
  const claims: LookupClaims[] = [];
  runs.forEach((run, i) => {
    const { k } = run;
    const { draw, rho, label: lk } = runDraw(ch, run, label);
    const wit = witnesses[k];
    const st = statements[k];
    checkLookupStatement(st);
    checkLookupWitnessShape(st, wit.lookups);
    const d = lookupDims(st);
    const ia = at.instances[i];
    if (ia.gkr.layout.numVars !== d.n + 1 || ia.layout.numColumnEvals !== st.numLookups * d.width) {
      throw new RangeError(`zk logup: instance ${k}: the layout does not match the witness's statement`);
    }
    if (wit.multiplicities.length !== 2 ** d.b) {
      throw new RangeError(`lookup into table ${wit.table.name}: expected ${2 ** d.b} multiplicities, got ${wit.multiplicities.length}`);
    }
    const { p, q } = lookupLeaves(st, d, wit, draw, rho);
    const g = proveZkGkr(tr, p, q, w, ia.gkr, `${lk}/gkr`);
    const clear = instanceEvals(st, d, wit, g.point, rho);
    const clearCols: Ext[] = [];
    const columnEvals = new Uint32Array(4 * st.numLookups * d.width);
    for (let i = 0; i < st.numLookups * d.width; i++) {
      const v = clear.columnEvals.slice(4 * i, 4 * i + 4);
      clearCols.push(v);
      columnEvals.set(extAdd(v, padAt(w, ia.columnPads + 4 * i)), 4 * i);
    }
    const mClear = clear.multiplicityEval;
    const multiplicityEval = extAdd(mClear, padAt(w, ia.multiplicityPad));
    tr.absorbExt(`${lk}/column-evals`, columnEvals);
    tr.absorbExt(`${lk}/multiplicity-eval`, multiplicityEval);
    const tableEval = clear.tableEval && extAdd(clear.tableEval, padAt(w, ia.tableEvalPad));
    if (tableEval) tr.absorbExt(`${lk}/table-eval`, tableEval);
    instances.push({ gkr: g.proof, columnEvals, multiplicityEval, ...(tableEval ? { tableEval } : {}) });
    const cl: LookupClaims = instanceClaims(st, d, g.point, clearCols, mClear, rho, clear.tableEval);
    if (run.second) claims[k].second = cl;
    else claims.push(cl);
  });
  return { proof: { instances }, claims };
}

/**
 * The clear verifier's leaf checks as constraints (see the header): P and Q of the GKR's leaf
 * claim at x* in terms of the hidden column evaluations `cols` (j-major) and m~ `m`.
 */
function leafConstraints(st: LookupStatement, d: LookupDims, ch: LookupDraw, x: Point, leafP: Affine, leafQ: Affine, cols: Affine[], m: Affine, e?: Affine): SparseLinear[] {
  const s = x.subarray(4 * d.n, 4 * d.n + 4);
  const oneMinusS = extOneMinus(s);
  const mCoeff = extNeg(extMul(s, eqAtIndex(x.subarray(4 * d.b, 4 * d.n), 0)));
  const expectP = affineCombine([ext(1), mCoeff], [affineConst(oneMinusS), m]);

  const pw = betaPowers(ch.beta, d.width);
  const hiZero = eqAtIndex(x.subarray(4 * d.ne, 4 * d.n), 0);
  const xSlot = x.subarray(4 * st.logLen, 4 * d.ne);
  const colCoeffs: Ext[] = [];
  let eqSum = ext();
  for (let j = 0; j < st.numLookups; j++) {
    const eqj = eqAtIndex(xSlot, j);
    eqSum = extAdd(eqSum, eqj);
    const c = extNeg(extMul(oneMinusS, extMul(hiZero, eqj)));
    for (let w = 0; w < d.width; w++) colCoeffs.push(extMul(c, pw[w]));
  }
  // the padding row's share of e~'(x*): pad·(hiZero·(1 − Σ eq_j) + (1 − hiZero))
  const padShare = extMul(lookupPadValue(st.table, pw), extOneMinus(extMul(hiZero, eqSum)));
  const constQ = extSub(extSub(ch.alpha, extMul(s, evaluateTable(st.table, x.subarray(0, 4 * d.b), ch.beta))), extMul(oneMinusS, padShare));
  // a committed table's row column: −s*·β·eq(x*_{b,≥b'}, 0)·e
  const tab = st.table.kind === 'committed' ? { c: extNeg(extMul(s, tableRowEval(st.table, x.subarray(0, 4 * d.b), ch.beta))), e: e! } : undefined;
  const expectQ = affineCombine([ext(1), ...colCoeffs, ...(tab ? [tab.c] : [])], [affineConst(constQ), ...cols, ...(tab ? [tab.e] : [])]);
  return [affineConstraint(leafP, expectP), affineConstraint(leafQ, expectQ)];
}

function canonicalWords(v: Uint32Array): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] >= MOD) return false;
  return true;
}

/**
 * Verifies a padded lookup proof for `statements` with the challenges from `drawLookupChallenges`
 * and the pad placement `at` (`zkLookupAt(zkLookupLayout(statements), …)`). On success returns the
 * constraints of every GKR and leaf discharge and, per instance, the hidden claims on the columns
 * and on m, **which the caller must link** to their committed segments; the system means nothing
 * until a proof shows w satisfies it. Never throws on hostile input.
 */
export function verifyZkLookups(tr: Transcript, ch: LookupChallenges, statements: LookupStatement[], proof: ZkLookupProof, at: ZkLookupAt, label = 'logup'): ZkLookupVerifyResult {
  for (let k = 0; k < statements.length; k++) {
    try {
      checkLookupStatement(statements[k]);
    } catch (e) {
      return fail('BadShape', `zk logup: instance ${k}: ${(e as Error).message}`, { instance: k });
    }
  }
  const runs = lookupRuns(statements);
  if (!proof || !Array.isArray(proof.instances) || proof.instances.length !== runs.length) {
    return fail('MalformedProof', `zk logup: expected ${runs.length} instance proofs, got ${proof?.instances?.length}`);
  }
  if (!at || !Array.isArray(at.instances) || at.instances.length !== runs.length) return fail('BadShape', `zk logup: expected a layout of ${runs.length} instances`);
  if (runs.length > statements.length && !(ch.second && ch.second.instances.length === runs.length - statements.length)) {
    return fail('BadShape', 'zk logup: the second draw does not match the statements');
  }
  const system = emptySystem();
  const claims: ZkLookupClaims[] = [];
  for (let i = 0; i < runs.length; i++) {
    const { k } = runs[i];
    const { draw, rho, label: lk } = runDraw(ch, runs[i], label);
    const st = statements[k];
    const d = lookupDims(st);
    const ia = at.instances[i];
    const numCols = st.numLookups * d.width;
    const committed = st.table.kind === 'committed';
    if (ia?.gkr?.layout?.numVars !== d.n + 1 || ia.layout?.numColumnEvals !== numCols || ia.layout.tableEval !== committed) {
      return fail('BadShape', `zk logup: instance ${k}: the layout does not match the statement`, { instance: k });
    }
    if (committed && !(rho instanceof Uint32Array && rho.length === 4 * (st.table as { rowVars: number }).rowVars)) return fail('BadShape', `zk logup: instance ${k}: expected the row point ρ of a committed table`, { instance: k });
    const ip = proof.instances[i];
    if (!ip || !(ip.columnEvals instanceof Uint32Array) || ip.columnEvals.length !== 4 * numCols) {
      return fail('MalformedProof', `zk logup: instance ${k}: expected ${numCols} column evaluations`, { instance: k });
    }
    if (!canonicalWords(ip.columnEvals)) return fail('NonCanonical', `zk logup: instance ${k}: a column evaluation is not canonical`, { instance: k });
    if (!(ip.multiplicityEval instanceof Uint32Array) || ip.multiplicityEval.length !== 4 || !extIsCanonical(ip.multiplicityEval)) {
      return fail('MalformedProof', `zk logup: instance ${k}: expected a canonical multiplicity evaluation`, { instance: k });
    }
    if (committed !== (ip.tableEval !== undefined) || (ip.tableEval !== undefined && !(ip.tableEval instanceof Uint32Array && ip.tableEval.length === 4 && extIsCanonical(ip.tableEval)))) {
      return fail('MalformedProof', `zk logup: instance ${k}: a canonical table evaluation belongs to committed tables only`, { instance: k });
    }
    const g = verifyZkGkr(tr, ip.gkr, ia.gkr, `${lk}/gkr`);
    if (!g.ok) return fail(g.error.kind, `zk logup: instance ${k}${runs[i].second ? ' (second fingerprint)' : ''} (table ${st.table.name}): ${g.error.message}`, { instance: k, cause: g.error });
    tr.absorbExt(`${lk}/column-evals`, ip.columnEvals);
    tr.absorbExt(`${lk}/multiplicity-eval`, ip.multiplicityEval);
    if (ip.tableEval) tr.absorbExt(`${lk}/table-eval`, ip.tableEval);
    const cols = Array.from({ length: numCols }, (_, i) => hidden(ip.columnEvals.subarray(4 * i, 4 * i + 4), ia.columnPads + 4 * i));
    const m = hidden(ip.multiplicityEval, ia.multiplicityPad);
    const e = ip.tableEval && hidden(ip.tableEval, ia.tableEvalPad);
    appendSystem(system, g.system);
    pushAll(system.linear, leafConstraints(st, d, draw, g.point, g.p, g.q, cols, m, e));
    const cl: ZkLookupClaims = instanceClaims(st, d, g.point, cols, m, rho, e);
    if (runs[i].second) claims[k].second = cl;
    else claims.push(cl);
  }
  return { ok: true, system, claims };
}

/** u32 instance count; per instance the padded GKR, u32 column-evaluation count, its words, m̃. */
export function writeZkLookupProof(w: ByteWriter, proof: ZkLookupProof): void {
  w.u32(proof.instances.length);
  for (const ip of proof.instances) {
    writeZkGkrProof(w, ip.gkr);
    w.u32(ip.columnEvals.length >>> 2);
    w.words(ip.columnEvals);
    w.words(ip.multiplicityEval);
    if (ip.tableEval) w.words(ip.tableEval);
  }
}

/**
 * Reads a padded lookup proof whose every length is fixed by the statements and their layout
 * (bounded reader: hostile bytes give a DecodeError). A layout of other statements is a RangeError.
 */
export function readZkLookupProof(r: ByteReader, statements: LookupStatement[], layout: ZkLookupLayout): ZkLookupProof {
  statements.forEach(checkLookupStatement);
  const runs = lookupRuns(statements);
  if (layout.instances.length !== runs.length) throw new RangeError(`zk logup: expected a layout of ${runs.length} instances, got ${layout.instances.length}`);
  r.u32In(runs.length, runs.length, 'zk logup instance count');
  const instances = runs.map(({ k }, i) => {
    const st = statements[k];
    const d = lookupDims(st);
    const l = layout.instances[i];
    const numCols = st.numLookups * d.width;
    if (l.gkr.numVars !== d.n + 1 || l.numColumnEvals !== numCols) throw new RangeError(`zk logup: instance ${k}: the layout does not match the statement`);
    const gkr = readZkGkrProof(r, l.gkr);
    r.u32In(numCols, numCols, 'zk logup column evaluation count');
    const columnEvals = r.words(4 * numCols, 'zk logup column evaluations');
    const multiplicityEval = r.words(4, 'zk logup multiplicity evaluation');
    if (st.table.kind !== 'committed') return { gkr, columnEvals, multiplicityEval };
    return { gkr, columnEvals, multiplicityEval, tableEval: r.words(4, 'zk logup table evaluation') };
  });
  return { instances };
}
