/**
 * LogUp lookups proven with the fractional-sum GKR (Haböck, ePrint 2022/1530; Papini–Haböck,
 * ePrint 2023/1284; PROTOCOL-NOTES §5).
 *
 * Relation: the looked-up values e_i lie in T = {t_j} with multiplicities m_j iff
 *   Σ_i 1/(α − e_i) = Σ_j m_j/(α − t_j)   as rational functions (N < p),
 * checked at a random α ∈ K; W-wide tuples are folded with β ∈ K as e = Σ_w β^w·e_w on both sides.
 *
 * Leaves (2^{n+1}, top variable s), index i + s·2^n:
 *   s = 0: p = 1,     q = α − e_i    (lookups: c columns of 2^ℓ rows, slot j = bits ℓ.., padded with row 0
 *                                      of T, whose padding count is part of m);
 *   s = 1: p = −m'_j, q = α − t'_j   (T' = T repeated 2^{n−b} times, m' = m on the first copy, 0 after).
 * Σ p/q = 0 is proven by GKR, which leaves a claim (P, Q) at (x*, s*). The verifier discharges it:
 *   P = (1 − s*) − s*·m~(x*_{<b})·eq(x*_{≥b}, 0),   Q = α − (1 − s*)·e~'(x*) − s*·t~(x*_{<b}),
 *   e~'(x*) = eq(x*_{≥ℓ+c'}, 0)·[Σ_{j<c} eq(x*_slot, j)·Σ_w β^w v_{j,w} + (1 − Σ_{j<c} eq(x*_slot, j))·pad] + (1 − eq(x*_{≥ℓ+c'}, 0))·pad,
 * with t~ computed itself (tables.ts) and v_{j,w} = e~_{j,w}(x*_{<ℓ}), m~(x*_{<b}) claimed by the prover,
 * absorbed, and returned as EvalClaims **which the caller must open** (proveBatchOpening).
 *
 * Transcript order (Frozen Heart): the caller commits every looked-up column and every m, absorbs
 * the roots, then calls `drawLookupChallenges`, which absorbs the statements (tables, shapes) and
 * draws α, β. With m chosen after α, the prover can balance any sum (the harness test shows it).
 * Several instances (tables) share α, β and run one GKR each, in order, on the same transcript.
 * Error ≤ max_k D_k/|K| (`fingerprintDegree`: the instances share one draw, and a cheating prover
 * must pass every instance it cheats in) plus the GKRs' Σ_k Σ_j (3j + 2)/|K|.
 *
 * Second fingerprint (`fingerprints: 2` on a statement; circuits set it by `needsSecondDraw`, from
 * the shape alone, so prover and verifier agree and the receipt carries no flag). Right after α, β
 * and the ρ's, with no prover message between, the verifier draws α₂, β₂ (`<label>/alpha-2`,
 * `<label>/beta-2`) and a ρ₂ for each such committed table (`<label>/<k>/rho-2`); after every
 * instance's GKR at the first draw, each such instance runs the same protocol again at the second
 * (labels `<label>/<k>/2/…`: its own GKR, column, multiplicity and table evaluations, and claims,
 * returned as `claims[k].second`, which the caller opens too). The instance's polynomial A_k is
 * fixed by the commitments before both draws and must vanish at both, so a false instance passes
 * with probability ≤ (D_k/|K|)² (`fingerprintDegree`); both draws are one round, so this is also
 * the round's round-by-round error (two sequential rounds would each keep D_k/|K| under
 * Fiat–Shamir). Cost: one more GKR over the same leaves' shape per such instance (prover time and
 * proof bytes of that instance double) and one more set of opening claims.
 *
 * Committed tables (`./indexed.ts`): tuple column 1 is a matrix of rows folded at a point ρ drawn
 * after α, β (`<label>/<k>/rho`); its column claim is on the matrix at (ρ ‖ x*_{<ℓ}); the table's
 * row column is not computed but claimed: e = E~(ρ ‖ x*_{<b'}) is sent after m~
 * (`<label>/<k>/table-eval`) and returned as the claim `table` on E, which the caller must open
 * like the others; the lookup side is padded with the tuple (V, 0) instead of row 0.
 */
import { P as MOD } from '../../field/babybear.js';
import { kernels } from '../../field/active.js';
import { type Ext, ext, extAdd, extEquals, extIsCanonical, extMul, extOneMinus, extSub, extToString } from '../../field/extension.js';
import { concatPoints, eqAtIndex, type Point } from '../../poly/multilinear.js';
import type { EvalClaim } from '../../pcs/batch.js';
import type { Transcript } from '../../transcript/transcript.js';
import type { ByteReader, ByteWriter } from '../../util/bytes.js';
import { fail, type VerifyError } from '../../util/result.js';
import { readGkrProof, verifyGkr, writeGkrProof, type GkrProof } from './gkr.js';
import { proveGkr } from './gkr-prover.js';
import { committedMultiplicities, committedPadValue, foldRows, tableClaimPoint, tableRowEval } from './indexed.js';
import { absorbTable, betaPowers, checkTable, evaluateTable, rowFinder, tableBits, tableEntry, tableWidth, type LookupTable } from './tables.js';

export const MAX_LOOKUP_VARS = 26;

/** What both sides know about one lookup instance. */
export interface LookupStatement {
  table: LookupTable;
  /** Number of looked-up tuples (c ≥ 1). */
  numLookups: number;
  /** log2 of each looked-up column's length (all columns have 2^logLen rows). */
  logLen: number;
  /**
   * 2: the instance is also checked at a second, independent draw (α₂, β₂, ρ₂), with its own GKR
   * (see the header, "Second fingerprint"); absent: one draw. The circuit decides it from the
   * shape (`circuit/circuit.ts` lookupStatements).
   */
  fingerprints?: 2;
}

/**
 * The prover's instance: lookups[j][w] is column w of tuple j; m has 2^b entries. A committed
 * table's tuple is [keys (2^ℓ), rows (2^{ℓ+k}, row-major)] and `tableRows` holds E's padded
 * field vector (2^{b'+k}).
 */
export interface LookupWitness {
  table: LookupTable;
  lookups: Uint32Array[][];
  multiplicities: Uint32Array;
  tableRows?: Uint32Array;
}

/** One draw of the fingerprint challenges. */
export interface LookupDraw {
  alpha: Ext;
  beta: Ext;
  /** per instance: the row-folding point ρ of a committed table (undefined for public tables, and in the second draw for instances without one) */
  rho: (Point | undefined)[];
}

export interface LookupChallenges extends LookupDraw {
  /** the second draw (α₂, β₂, ρ₂), present iff some instance has `fingerprints: 2`; `instances` lists them */
  second?: LookupDraw & { instances: readonly number[] };
}

/**
 * The GKRs of a lookup proof, in proof order: every instance k at the first draw (label
 * `<label>/<k>`), then each instance with `fingerprints: 2` again at the second (`<label>/<k>/2`).
 */
export function lookupRuns(statements: readonly LookupStatement[]): { k: number; second: boolean }[] {
  const runs = statements.map((_, k) => ({ k, second: false }));
  statements.forEach((st, k) => st.fingerprints === 2 && runs.push({ k, second: true }));
  return runs;
}

/** The draw and label of run `run` (`lookupRuns`). */
export function runDraw(ch: LookupChallenges, run: { k: number; second: boolean }, label: string): { draw: LookupDraw; rho: Point | undefined; label: string } {
  const draw = run.second ? ch.second! : ch;
  return { draw, rho: draw.rho[run.k], label: run.second ? `${label}/${run.k}/2` : `${label}/${run.k}` };
}

export interface LookupInstanceProof {
  gkr: GkrProof;
  /** v_{j,w} = e~_{j,w}(x*_{<ℓ}), j-major: numLookups·W ext elements. */
  columnEvals: Uint32Array;
  /** m~(x*_{<b}). */
  multiplicityEval: Ext;
  /** committed tables: e = E~(ρ ‖ x*_{<b'}). */
  tableEval?: Ext;
}

export interface LookupProof {
  instances: LookupInstanceProof[];
}

/** Claims the caller must open: on each looked-up column and on m. */
export interface LookupClaims {
  /** columns[j][w]: the claim on column w of tuple j (a vector of 2^logLen entries). */
  columns: EvalClaim[][];
  /** The claim on m (2^b entries). */
  multiplicities: EvalClaim;
  /** committed tables: the claim on E (its padded layout) at (ρ ‖ x*_{<b'}). */
  table?: EvalClaim;
  /** `fingerprints: 2`: the claims of the second draw's GKR (the caller opens them too) */
  second?: LookupClaims;
}

export type LookupVerifyResult = { ok: true; claims: LookupClaims[] } | { ok: false; error: VerifyError };

/** Raised by the honest prover when a value is not in its table. */
export class LookupMembershipError extends Error {
  constructor(
    readonly table: string,
    readonly lookup: number,
    readonly position: number,
    readonly tuple: number[],
  ) {
    super(`lookup into table ${table}: tuple (${tuple.join(', ')}) of lookup ${lookup} at position ${position} is not in the table`);
    this.name = 'LookupMembershipError';
  }
}

/** The sizes of one instance (table bits b, width W, lookup-side and leaf variables). */
export interface LookupDims {
  b: number;
  width: number;
  /** ℓ + c' (c' = ⌈log2 c⌉): variables of the concatenated lookup side. */
  ne: number;
  /** max(ne, b): leaf variables are n + 1. */
  n: number;
}

export function lookupDims(st: LookupStatement): LookupDims {
  const b = tableBits(st.table);
  const ne = st.logLen + Math.ceil(Math.log2(st.numLookups));
  return { b, width: tableWidth(st.table), ne, n: Math.max(ne, b) };
}

export function checkLookupStatement(st: LookupStatement): void {
  checkTable(st.table);
  if (!Number.isInteger(st.numLookups) || st.numLookups < 1 || st.numLookups > 2 ** 16) {
    throw new RangeError(`lookup: expected 1 ≤ numLookups ≤ 2^16, got ${st.numLookups}`);
  }
  if (!Number.isInteger(st.logLen) || st.logLen < 0 || st.logLen > MAX_LOOKUP_VARS) {
    throw new RangeError(`lookup: expected 0 ≤ logLen ≤ ${MAX_LOOKUP_VARS}, got ${st.logLen}`);
  }
  const d = lookupDims(st);
  if (d.n > MAX_LOOKUP_VARS) throw new RangeError(`lookup: expected at most 2^${MAX_LOOKUP_VARS} leaves per side, got 2^${d.n}`);
  if (st.fingerprints !== undefined && st.fingerprints !== 2) throw new RangeError(`lookup: expected fingerprints 2 or absent, got ${st.fingerprints}`);
}

/**
 * The shape the soundness bound of an instance depends on (`circuit/security.ts`): 2^{leafVars}
 * fractions (both sides, padding included), W-wide tuples, and a GKR over leafVars variables.
 * A committed table's folded tuple has degree 1 + k in (β, ρ) where a W-wide one has W − 1 in β,
 * so it counts as W = k + 2 (`./indexed.ts`).
 */
export function lookupShape(st: LookupStatement): { leafVars: number; width: number } {
  checkLookupStatement(st);
  const d = lookupDims(st);
  return { leafVars: d.n + 1, width: st.table.kind === 'committed' ? st.table.rowVars + 2 : d.width };
}

/**
 * D, the degree of instance `st`'s fingerprint: if some looked-up tuple is not in the table, the
 * verifier's root check passes with probability ≤ D/|K| over (α, β, ρ), where
 *   D = (c·2^ℓ + 2^b)·max(1, W − 1),   W as `lookupShape` reports it.
 * Why. Over F = F_p(β, ρ) let each leaf i carry its pole u_i = e_i(β, ρ) (the folded tuple, a
 * polynomial of total degree ≤ W − 1: Σ_w β^w·e_w, or key + β·row~(ρ) for a committed table) and
 * numerator p_i ∈ F_p. The verifier's leaf checks pin every numerator (1 on the lookup side, −m_j
 * on the table's first copy, 0 on its extra copies) and the lookup side's padding to one public
 * tuple, so the distinct poles are at most c·2^ℓ (the columns' entries) + 1 (the padding tuple) +
 * 2^b (the table rows; the copies repeat them). Group the leaves by pole: R(X) = Σ_i p_i/(X − u_i)
 * = Σ_u c_u/(X − u) = A/B with B = Π_u (X − u), A = Σ_u c_u·Π_{u' ≠ u}(X − u') of total degree
 * ≤ (#poles − 1)·max(1, W − 1) ≤ D. A tuple v outside the table is a pole no table row has, with
 * c_v = #{i : e_i = v} ∈ [1, 2^n] and 2^n < p, so c_v ≠ 0 in F_p and A ≢ 0. The verifier accepts the
 * root only if q_0 = Π_i q_i ≠ 0 and p_0 = 0 (`./gkr.ts`; the zk root check adds its own 1/|K|),
 * i.e. B(α, β, ρ) ≠ 0 and Σ_i p_i/q_i = R(α) = 0, so A(α, β, ρ) = 0: probability ≤ D/|K|
 * (Schwartz–Zippel; (α, β, ρ) are drawn together after every commitment). This is Haböck's
 * Lemma 5 (ePrint 2022/1530: the cleared numerator has degree below the number of poles) with the
 * fold's degree; the padding and the table copies, public or pinned, add at most one pole.
 */
export function fingerprintDegree(st: LookupStatement): number {
  const { width } = lookupShape(st);
  const d = lookupDims(st);
  return (st.numLookups * 2 ** st.logLen + 2 ** d.b) * Math.max(1, width - 1);
}

/**
 * The shape rule for a second draw (`fingerprints: 2`), which circuits apply to their instances:
 * an instance whose 2^{n+1} fractions times (W + 2) exceed 2^{log2 |K| − 100}, i.e. whose generic
 * LogUp bound N·(W + 2)/|K| (Plonky3 `security/src/logup.rs`, this project's ledger before
 * `fingerprintDegree`) alone missed the 100-bit target. Every model that met the target under that
 * bound keeps its one-draw protocol and its receipts' bytes; an instance left with one draw has
 * D/|K| < 2^{−100}·max(1, W − 1)/(W + 2) (2^{−101.6} for W ≤ 2), one with two draws (D/|K|)²
 * (2^{−195} for 2^26 range lookups, the most an instance takes).
 */
export function needsSecondDraw(st: LookupStatement): boolean {
  const { leafVars, width } = lookupShape(st);
  return leafVars + Math.log2(width + 2) > SECOND_DRAW_LOG2;
}

/** log2 |K| − 100, rounded down (`needsSecondDraw`). */
const SECOND_DRAW_LOG2 = 4 * Math.log2(MOD) - 100 - 1e-9;

export function statementOf(w: LookupWitness): LookupStatement {
  const len = w.lookups[0]?.[0]?.length ?? 0;
  return { table: w.table, numLookups: w.lookups.length, logLen: Math.log2(len) };
}

/**
 * Absorbs the statements and draws α, β. **Call only after the commitments (roots) of every
 * looked-up column and of every multiplicity vector are absorbed on `tr`**: with m chosen after
 * α the prover could balance any sum. Prover and verifier call this at the same place.
 */
export function drawLookupChallenges(tr: Transcript, statements: LookupStatement[], label = 'logup'): LookupChallenges {
  tr.absorbNumber(`${label}/instances`, statements.length);
  statements.forEach((st, k) => {
    checkLookupStatement(st);
    absorbTable(tr, `${label}/${k}`, st.table);
    tr.absorbNumber(`${label}/${k}/lookups`, st.numLookups);
    tr.absorbNumber(`${label}/${k}/log-len`, st.logLen);
    if (st.fingerprints === 2) tr.absorbNumber(`${label}/${k}/fingerprints`, 2);
  });
  const draw = (suffix: string, pick: (st: LookupStatement) => boolean): LookupDraw => ({
    alpha: tr.challengeExt(`${label}/alpha${suffix}`),
    beta: tr.challengeExt(`${label}/beta${suffix}`),
    rho: statements.map((st, k) => (st.table.kind !== 'committed' || !pick(st) ? undefined : st.table.rowVars === 0 ? new Uint32Array(0) : tr.challengeExts(`${label}/${k}/rho${suffix}`, st.table.rowVars))),
  });
  const first = draw('', () => true);
  // the second draw follows the first with no prover message between: one round (see the header)
  if (!statements.some((st) => st.fingerprints === 2)) return first;
  const instances = statements.flatMap((st, k) => (st.fingerprints === 2 ? [k] : []));
  return { ...first, second: { ...draw('-2', (st) => st.fingerprints === 2), instances } };
}

/**
 * m_j = #{lookups equal to row j} plus the padding count on the padding row (row 0; V for a
 * committed table, whose contents `tableRows` the prover passes). Throws a LookupMembershipError
 * naming the table and the first offending position.
 */
export function computeMultiplicities(table: LookupTable, lookups: Uint32Array[][], tableRows?: Uint32Array): Uint32Array {
  checkTable(table);
  const st = { table, numLookups: lookups.length, logLen: Math.log2(lookups[0]?.[0]?.length ?? 0) };
  checkLookupWitnessShape(st, lookups);
  if (table.kind === 'committed') {
    if (!tableRows) throw new RangeError(`lookup into table ${table.name}: the prover needs the committed table's rows`);
    const r = committedMultiplicities(table, lookups, tableRows, true);
    if (r.bad) throw new LookupMembershipError(table.name, r.bad.lookup, r.bad.position, r.bad.tuple);
    return r.m;
  }
  const d = lookupDims(st);
  const m = new Uint32Array(2 ** d.b);
  const find = rowFinder(table);
  const tuple = new Array<number>(d.width);
  for (let j = 0; j < lookups.length; j++) {
    const cols = lookups[j];
    const len = cols[0].length;
    for (let i = 0; i < len; i++) {
      for (let w = 0; w < d.width; w++) tuple[w] = cols[w][i];
      const r = find(tuple);
      if (r < 0) throw new LookupMembershipError(table.name, j, i, tuple.slice());
      m[r]++;
    }
  }
  m[0] += 2 ** d.n - lookups.length * 2 ** st.logLen;
  return m;
}

export function checkLookupWitnessShape(st: LookupStatement, lookups: Uint32Array[][]): void {
  const width = tableWidth(st.table);
  if (lookups.length < 1) throw new RangeError(`lookup into table ${st.table.name}: expected at least one lookup`);
  const len = 2 ** st.logLen;
  if (!Number.isInteger(st.logLen)) throw new RangeError(`lookup into table ${st.table.name}: expected power-of-two column lengths`);
  lookups.forEach((cols, j) => {
    if (cols.length !== width) throw new RangeError(`lookup ${j} into table ${st.table.name}: expected ${width} columns, got ${cols.length}`);
    cols.forEach((c, w) => {
      // a committed table's second column is the matrix of rows
      const want = st.table.kind === 'committed' && w === 1 ? len * 2 ** st.table.rowVars : len;
      if (c.length !== want) throw new RangeError(`lookup ${j} into table ${st.table.name}: expected column ${w} of ${want} entries, got ${c.length}`);
    });
  });
}

/**
 * Proves every instance on `tr` with challenges from `drawLookupChallenges`. Checks membership
 * and the multiplicities first (honest prover: a value outside its table is a clear error, not a
 * proof that fails later). Returns the proof and, per instance, the claims to open.
 */
export function proveLookups(tr: Transcript, ch: LookupChallenges, witnesses: LookupWitness[], label = 'logup'): { proof: LookupProof; claims: LookupClaims[] } {
  witnesses.forEach(checkLookupMultiplicities);
  return proveLookupsUnchecked(tr, ch, witnesses, label);
}

/** The honest prover's check: every value is in its table and m counts the lookups (else it throws). */
export function checkLookupMultiplicities(w: LookupWitness): void {
  const m = computeMultiplicities(w.table, w.lookups, w.tableRows);
  if (m.length !== w.multiplicities.length || m.some((v, i) => v !== w.multiplicities[i])) {
    throw new RangeError(`lookup into table ${w.table.name}: the multiplicities do not count the lookups`);
  }
}

/**
 * FOR TESTS ONLY (cheating-prover harnesses): the honest proving algorithm run on any trace,
 * without the membership or multiplicity checks. A forged trace yields a proof the verifier
 * must reject.
 */
export function proveLookupsUnchecked(
  tr: Transcript,
  ch: LookupChallenges,
  witnesses: LookupWitness[],
  label = 'logup',
): { proof: LookupProof; claims: LookupClaims[] } {
  const instances: LookupInstanceProof[] = [];
  const claims: LookupClaims[] = [];
  const statements = witnesses.map((wit, k) => {
    const st = { ...statementOf(wit), ...(fingerprintsOf(ch, k) ? { fingerprints: 2 as const } : {}) };
    checkLookupStatement(st);
    checkLookupWitnessShape(st, wit.lookups);
    const d = lookupDims(st);
    if (wit.multiplicities.length !== 2 ** d.b) {
      throw new RangeError(`lookup into table ${wit.table.name}: expected ${2 ** d.b} multiplicities, got ${wit.multiplicities.length}`);
    }
    return st;
  });
  for (const run of lookupRuns(statements)) {
    const { k } = run;
    const { draw, rho, label: lk } = runDraw(ch, run, label);
    const st = statements[k];
    const wit = witnesses[k];
    const d = lookupDims(st);
    const { p, q } = lookupLeaves(st, d, wit, draw, rho);
    const { proof: gkr, claim } = proveGkr(tr, p, q, `${lk}/gkr`);
    const x = claim.point;
    const { columnEvals, multiplicityEval, tableEval } = instanceEvals(st, d, wit, x, rho);
    tr.absorbExt(`${lk}/column-evals`, columnEvals);
    tr.absorbExt(`${lk}/multiplicity-eval`, multiplicityEval);
    if (tableEval) tr.absorbExt(`${lk}/table-eval`, tableEval);
    instances.push({ gkr, columnEvals, multiplicityEval, ...(tableEval ? { tableEval } : {}) });
    const cl = makeClaims(st, d, x, columnEvals, multiplicityEval, rho, tableEval);
    if (run.second) claims[k].second = cl;
    else claims.push(cl);
  }
  return { proof: { instances }, claims };
}

/** Whether instance k has a second draw (a witness carries no statement flag: the draw says so). */
function fingerprintsOf(ch: LookupChallenges, k: number): boolean {
  return ch.second?.instances.includes(k) ?? false;
}

/**
 * The prover's evaluations at the GKR's point x*: v_{j,w} = col~_{j,w}(x*_{<ℓ}) (a committed table's
 * row column at (ρ ‖ x*_{<ℓ})), m~(x*_{<b}) and, for a committed table, e = E~(ρ ‖ x*_{<b'}).
 */
export function instanceEvals(st: LookupStatement, d: LookupDims, wit: LookupWitness, x: Point, rho?: Point): { columnEvals: Uint32Array; multiplicityEval: Ext; tableEval?: Ext } {
  const K = kernels();
  const xCol = x.subarray(0, 4 * st.logLen);
  const columnEvals = new Uint32Array(4 * st.numLookups * d.width);
  const eqCol = K.eqTable(xCol);
  const t = st.table;
  wit.lookups.forEach((cols, j) =>
    cols.forEach((c, w) => {
      const pt = t.kind === 'committed' && w === 1 ? K.eqTable(concatPoints(rho!, xCol)) : eqCol;
      columnEvals.set(K.extDotBase(pt, c), 4 * (j * d.width + w));
    }),
  );
  const multiplicityEval = K.extDotBase(K.eqTable(x.subarray(0, 4 * d.b)), wit.multiplicities);
  if (t.kind !== 'committed') return { columnEvals, multiplicityEval };
  const tableEval = K.extDotBase(K.eqTable(tableClaimPoint(t, rho!, x.subarray(0, 4 * d.b))), wit.tableRows!);
  return { columnEvals, multiplicityEval, tableEval };
}

/** Claims on the columns (at x*_{<ℓ}; (ρ ‖ x*_{<ℓ}) for a committed table's rows), on m (at x*_{<b}) and on E. */
export function instanceClaims<T>(st: LookupStatement, d: LookupDims, x: Point, cols: T[], m: T, rho?: Point, tableEval?: T): { columns: { point: Point; value: T }[][]; multiplicities: { point: Point; value: T }; table?: { point: Point; value: T } } {
  const xCol = x.slice(0, 4 * st.logLen);
  const t = st.table;
  const rowPoint = t.kind === 'committed' ? concatPoints(rho!, xCol) : xCol;
  const columns = Array.from({ length: st.numLookups }, (_, j) => Array.from({ length: d.width }, (_, w) => ({ point: (w === 1 ? rowPoint : xCol).slice(), value: cols[j * d.width + w] })));
  const multiplicities = { point: x.slice(0, 4 * d.b), value: m };
  if (t.kind !== 'committed') return { columns, multiplicities };
  return { columns, multiplicities, table: { point: tableClaimPoint(t, rho!, x.subarray(0, 4 * d.b)), value: tableEval! } };
}

function makeClaims(st: LookupStatement, d: LookupDims, x: Point, columnEvals: Uint32Array, mEval: Ext, rho?: Point, tableEval?: Ext): LookupClaims {
  const cols = Array.from({ length: st.numLookups * d.width }, (_, i) => columnEvals.slice(4 * i, 4 * i + 4));
  return instanceClaims(st, d, x, cols, mEval.slice(), rho, tableEval?.slice());
}

/** q-leaf α − e for a folded tuple e (ext) written at word offset o. */
function writeDenominator(q: Uint32Array, o: number, alpha: Ext, e0: number, e1: number, e2: number, e3: number): void {
  // a − b for canonical a, b: one conditional add instead of a division.
  let d = alpha[0] - e0;
  q[o] = d < 0 ? d + MOD : d;
  d = alpha[1] - e1;
  q[o + 1] = d < 0 ? d + MOD : d;
  d = alpha[2] - e2;
  q[o + 2] = d < 0 ? d + MOD : d;
  d = alpha[3] - e3;
  q[o + 3] = d < 0 ? d + MOD : d;
}

/** Folds W base columns into an ext vector Σ_w β^w·col_w. */
function foldColumns(cols: Uint32Array[], pw: Ext[]): Uint32Array {
  const out = new Uint32Array(4 * cols[0].length);
  for (let i = 0; i < cols[0].length; i++) out[4 * i] = cols[0][i];
  const K = kernels();
  for (let w = 1; w < cols.length; w++) K.extMulAddBase(out, cols[w], pw[w]);
  return out;
}

/** The GKR leaves (p, q) of one instance, 2^{n+1} ext elements each (see the header); `rho` for a committed table. */
export function lookupLeaves(st: LookupStatement, d: LookupDims, wit: LookupWitness, ch: LookupDraw, rho?: Point): { p: Uint32Array; q: Uint32Array } {
  const half = 2 ** d.n;
  const p = new Uint32Array(8 * half);
  const q = new Uint32Array(8 * half);
  const pw = betaPowers(ch.beta, d.width);
  const { alpha } = ch;
  const len = 2 ** st.logLen;
  // s = 0: lookups, then padding with row 0.
  for (let i = 0; i < half; i++) p[4 * i] = 1;
  let o = 0;
  const eqRho = st.table.kind === 'committed' ? kernels().eqTable(rho!) : undefined;
  for (const cols of wit.lookups) {
    if (eqRho) {
      const e = foldColumns([cols[0]], pw);
      kernels().extMulAdd(e, foldRows(cols[1], eqRho), pw[1]);
      for (let i = 0; i < 4 * len; i += 4, o += 4) writeDenominator(q, o, alpha, e[i], e[i + 1], e[i + 2], e[i + 3]);
    } else if (d.width === 1) {
      const c = cols[0];
      for (let i = 0; i < len; i++, o += 4) writeDenominator(q, o, alpha, c[i], 0, 0, 0);
    } else {
      const e = foldColumns(cols, pw);
      for (let i = 0; i < 4 * len; i += 4, o += 4) writeDenominator(q, o, alpha, e[i], e[i + 1], e[i + 2], e[i + 3]);
    }
  }
  const pad = lookupPadValue(st.table, pw);
  for (; o < 4 * half; o += 4) writeDenominator(q, o, alpha, pad[0], pad[1], pad[2], pad[3]);
  // s = 1: the table repeated, p = −m' (m on the first copy).
  const size = 2 ** d.b;
  const tab = new Uint32Array(4 * size);
  if (st.table.kind !== 'function') for (let i = 0; i < size; i++) tab[4 * i] = i;
  else tab.set(foldColumns(st.table.columns, pw));
    if (eqRho) {
    // E's rows (2^{b'}), then zero rows up to 2^b
    const u = foldRows(wit.tableRows!, eqRho);
    kernels().extMulAdd(tab.subarray(0, u.length), u, pw[1]);
  }
  const m = wit.multiplicities;
  for (let i = 0; i < size; i++) p[4 * (half + i)] = m[i] === 0 ? 0 : MOD - (m[i] % MOD);
  for (let copy = 0; copy < half / size; copy++) {
    const base = 4 * (half + copy * size);
    for (let i = 0; i < 4 * size; i += 4) writeDenominator(q, base + i, alpha, tab[i], tab[i + 1], tab[i + 2], tab[i + 3]);
  }
  return { p, q };
}

/** The folded tuple of the padding row (row 0, or (V, 0) for a committed table), used to pad the lookup side. */
export function lookupPadValue(t: LookupTable, pw: Ext[]): Ext {
  if (t.kind === 'committed') return committedPadValue(t);
  let acc = ext();
  for (let w = 0; w < tableWidth(t); w++) acc = extAdd(acc, extMul(pw[w], ext(tableEntry(t, 0, w))));
  return acc;
}

/**
 * Verifies the lookup proof for `statements`, with the challenges from `drawLookupChallenges`
 * (drawn after the commitments were absorbed). On success returns, per instance, the claims on
 * the looked-up columns and on m **that the caller must open**; without those openings nothing
 * is proven. Never throws on hostile input.
 */
export function verifyLookups(
  tr: Transcript,
  ch: LookupChallenges,
  statements: LookupStatement[],
  proof: LookupProof,
  label = 'logup',
): LookupVerifyResult {
  for (let k = 0; k < statements.length; k++) {
    try {
      checkLookupStatement(statements[k]);
    } catch (e) {
      return fail('BadShape', `logup: instance ${k}: ${(e as Error).message}`, { instance: k });
    }
  }
  const runs = lookupRuns(statements);
  if (!proof || !Array.isArray(proof.instances) || proof.instances.length !== runs.length) {
    return fail('MalformedProof', `logup: expected ${runs.length} instance proofs, got ${proof?.instances?.length}`);
  }
  if (runs.length > statements.length && !(ch.second && ch.second.instances.length === runs.length - statements.length)) {
    return fail('BadShape', 'logup: the second draw does not match the statements');
  }
  const out: LookupClaims[] = [];
  for (let i = 0; i < runs.length; i++) {
    const { k } = runs[i];
    const { draw, rho, label: lk } = runDraw(ch, runs[i], label);
    const st = statements[k];
    const d = lookupDims(st);
    const ip = proof.instances[i];
    if (!ip || !(ip.columnEvals instanceof Uint32Array) || ip.columnEvals.length !== 4 * st.numLookups * d.width) {
      return fail('MalformedProof', `logup: instance ${k}: expected ${st.numLookups * d.width} column evaluations`, { instance: k });
    }
    if (!(ip.multiplicityEval instanceof Uint32Array) || ip.multiplicityEval.length !== 4 || !extIsCanonical(ip.multiplicityEval)) {
      return fail('MalformedProof', `logup: instance ${k}: expected a canonical multiplicity evaluation`, { instance: k });
    }
    for (let i = 0; i < ip.columnEvals.length; i++) {
      if (ip.columnEvals[i] >= MOD) return fail('NonCanonical', `logup: instance ${k}: column evaluation word ${i} is not canonical`, { instance: k });
    }
    const committed = st.table.kind === 'committed';
    if (committed !== (ip.tableEval !== undefined) || (committed && !(rho instanceof Uint32Array && rho.length === 4 * (st.table as { rowVars: number }).rowVars))) {
      return fail('MalformedProof', `logup: instance ${k}: a table evaluation (and ρ) belongs to committed tables only`, { instance: k });
    }
    if (ip.tableEval !== undefined && !(ip.tableEval instanceof Uint32Array && ip.tableEval.length === 4 && extIsCanonical(ip.tableEval))) {
      return fail('MalformedProof', `logup: instance ${k}: expected a canonical table evaluation`, { instance: k });
    }
    const what = `instance ${k}${runs[i].second ? ' (second fingerprint)' : ''} (table ${st.table.name})`;
    const g = verifyGkr(tr, d.n + 1, ip.gkr, `${lk}/gkr`);
    if (!g.ok) return fail(g.error.kind, `logup: ${what}: ${g.error.message}`, { instance: k, cause: g.error });
    tr.absorbExt(`${lk}/column-evals`, ip.columnEvals);
    tr.absorbExt(`${lk}/multiplicity-eval`, ip.multiplicityEval);
    if (ip.tableEval) tr.absorbExt(`${lk}/table-eval`, ip.tableEval);

    const x = g.point;
    const s = x.subarray(4 * d.n, 4 * d.n + 4);
    const oneMinusS = extOneMinus(s);
    const xTab = x.subarray(0, 4 * d.b);
    // m'~ and t'~ at x*: T' repeats T, m' is m on the first copy.
    const mPadded = extMul(ip.multiplicityEval, eqAtIndex(x.subarray(4 * d.b, 4 * d.n), 0));
    let tEval = evaluateTable(st.table, xTab, draw.beta);
    if (st.table.kind === 'committed') tEval = extAdd(tEval, extMul(draw.beta, tableRowEval(st.table, xTab, ip.tableEval!)));
    // e'~ at x*.
    const pw = betaPowers(draw.beta, d.width);
    const pad = lookupPadValue(st.table, pw);
    const xSlot = x.subarray(4 * st.logLen, 4 * d.ne);
    let inSlots = ext();
    let eqSum = ext();
    for (let j = 0; j < st.numLookups; j++) {
      const eqj = eqAtIndex(xSlot, j);
      let e = ext();
      for (let w = 0; w < d.width; w++) {
        const o = 4 * (j * d.width + w);
        e = extAdd(e, extMul(pw[w], ip.columnEvals.subarray(o, o + 4)));
      }
      inSlots = extAdd(inSlots, extMul(eqj, e));
      eqSum = extAdd(eqSum, eqj);
    }
    inSlots = extAdd(inSlots, extMul(extOneMinus(eqSum), pad));
    const hiZero = eqAtIndex(x.subarray(4 * d.ne, 4 * d.n), 0);
    const eEval = extAdd(extMul(hiZero, inSlots), extMul(extOneMinus(hiZero), pad));

    const expectP = extSub(oneMinusS, extMul(s, mPadded));
    const expectQ = extSub(extSub(draw.alpha, extMul(oneMinusS, eEval)), extMul(s, tEval));
    if (!extEquals(expectP, g.p)) {
      return fail('LeafNumeratorMismatch', `logup: ${what}: leaf p~ = ${extToString(g.p)}, expected ${extToString(expectP)}`, { instance: k });
    }
    if (!extEquals(expectQ, g.q)) {
      return fail('LeafDenominatorMismatch', `logup: ${what}: leaf q~ = ${extToString(g.q)}, expected ${extToString(expectQ)}`, { instance: k });
    }
    const cl = makeClaims(st, d, x, ip.columnEvals, ip.multiplicityEval, rho, ip.tableEval);
    if (runs[i].second) out[k].second = cl;
    else out.push(cl);
  }
  return { ok: true, claims: out };
}

export function writeLookupProof(w: ByteWriter, proof: LookupProof): void {
  w.u32(proof.instances.length);
  for (const ip of proof.instances) {
    writeGkrProof(w, ip.gkr);
    w.words(ip.columnEvals);
    w.words(ip.multiplicityEval);
    if (ip.tableEval) w.words(ip.tableEval);
  }
}

/** Reads a lookup proof whose every length is fixed by the statements (bounded reader). */
export function readLookupProof(r: ByteReader, statements: LookupStatement[]): LookupProof {
  statements.forEach(checkLookupStatement);
  const runs = lookupRuns(statements);
  r.u32In(runs.length, runs.length, 'logup instance count');
  const instances: LookupInstanceProof[] = [];
  for (const { k } of runs) {
    const st = statements[k];
    const d = lookupDims(st);
    const gkr = readGkrProof(r, d.n + 1);
    const columnEvals = r.words(4 * st.numLookups * d.width, 'logup column evaluations');
    const multiplicityEval = r.words(4, 'logup multiplicity evaluation');
    if (st.table.kind === 'committed') instances.push({ gkr, columnEvals, multiplicityEval, tableEval: r.words(4, 'logup table evaluation') });
    else instances.push({ gkr, columnEvals, multiplicityEval });
  }
  return { instances };
}
