/**
 * The composed soundness bound of a zero-knowledge receipt (docs/zero-knowledge.md, "Soundness of
 * a zk receipt"): the union bound of `circuit/security.ts` over every challenge the zk receipt
 * draws, with the zk back end's terms in place of the clear ones,
 *
 *   securityBits = −log2 (Σ_i ε_i + ε_hash),
 *
 * a function of the circuit and the parameter commitment's code (the model ID pins both).
 *
 * The terms (|K| = p^4; each padded protocol is the clear one with committed messages, so it keeps
 * the clear error and adds only the challenges it draws beyond it):
 *   - lookups (`piop/lookup/zk-logup.ts`): the clear fingerprint term for the shared α, β (and ρ),
 *     max_k (D_k/|K|)^{r_k} over the instances, r_k = 2 for those checked at a second draw
 *     (α₂, β₂, ρ₂: `logup/alpha-2`, …) (`circuit/security.ts` header: the same leaves, pinned by the
 *     same leaf checks, now linear constraints; the root check below accepts only p_0 = 0 with
 *     q_0 ≠ 0 beyond its own 1/|K|); per instance, its padded GKR (`zk-gkr.ts`) the clear
 *     (1 + Σ_{j<L} (3j+2))/|K| plus 1/|K| for the root's β (the hidden root check β·p_0 + q_0·v = 1
 *     holds for at most one β unless p_0 = 0 and q_0·v = 1), and so for each second-draw run
 *     (`logup/<k>/2/gkr`). The leaf discharge draws nothing (two linear constraints).
 *   - layers: the clear replay's terms (`circuit/security-replay.ts`): the layer verifiers run
 *     unchanged through the padded session (`./zk-session.ts`), whose sumchecks draw one challenge
 *     per round like the clear ones, and whose final checks and `equal`s are exact constraints
 *     (`piop/zk-final.ts`: no challenge). Limb evaluations draw nothing.
 *   - the parameter range proof (`circuit/zk-param-range.ts`, its own transcript): one padded
 *     LogUp per chunk I with its own (α_I, β_I), leaves over L_I = max(n_I, 8) + 1 variables. Its
 *     statement is the clear range proof's: W = 1 (β never enters), and the leaf constraint
 *     P = (1 − s*) − s*·eq(x*_{≥8}, 0)·m~ gives the table's extra copies zero numerators, so the GKR
 *     shows Σ_i 1/(α_I − e_i) = Σ_{j<256} m_j/(α_I − j) over the 2^{L_I − 1} lookup leaves
 *     (padding included) with every denominator non-zero — a rational identity with at most
 *     2^{L_I − 1} + 256 poles, false at α_I w.p. ≤ (2^{L_I − 1} + 256)/|K| (Haböck ePrint 2022/1530,
 *     Lemma 5), the clear range proof's (N_I + 256)/|K|. As there, the α_I are independent and a
 *     cheating prover must pass the first chunk it cheats in (fixed by the commitment), so the
 *     fingerprint term is the largest chunk's; every chunk's GKR is charged, root β included.
 *     Its two batches (the chunks' claims on the parameters, on the multiplicities) are charged
 *     as the receipt's, with N_c = the number of chunks.
 *   - the batches (`pcs/zk-batch.ts`): ((N_c − 1) + 2n)/|K| each for ρ and the padded
 *     degree-2 sumcheck, N_c the links the verifier batches, nothing when a vector has no claim;
 *     the io batch too when the receipt commits tensors.
 *   - committed tensors (`circuit/zk-io.ts`): the private inputs' padded range LogUp, one
 *     instance per check (x − lo, and hi − x unless the range is a power of two) of 2^a lookups
 *     into [0, 2^b), sharing their own (α, β) — (N + 2^b)/|K| as for a parameter chunk, the
 *     largest check's (one shared draw: as for the receipt's lookups) — and their padded GKRs,
 *     summed; the zero-padding constraints are exact.
 *   - the zero-knowledge Ligero proof over both commitments (`pcs/zk-ligero-params.ts`), for the
 *     code the proof runs (C, N, t and L = C + max k): proximity (e+2)/|K| for γ, linear test
 *     (⌈log2 M⌉ + 1)/|K| for (β, τ), quadratic test 1/|K| for ρ, and the column-query term,
 *     with M the receipt's real number of linear constraints (sparse + tensor + 3 per Hadamard
 *     entry, receipt body and range system together), **counted from the system** of a dry run.
 *   - a renewal path of D links (a version-5 receipt, `./zk-path.ts`): D·ε_link, ε_link the
 *     renewal's own bound (`pcs/zk-renew.ts` zkRenewalSecurity for the parameter side's code).
 *   - Fiat–Shamir / Merkle: `circuit/security.ts`'s 2^8·Q_max/2^256 (salted leaves only add hiding).
 *
 * The dry run. The verifier's own replay (`zkReceiptSystem`, `zkParamRangeSystem`) runs on
 * placeholder messages (every length is fixed by the circuit: `PlaceholderReader`), on recording
 * transcripts. Its systems give M and the Hadamard rows (hence the Ligero proof's row count), its
 * logs the batch sizes; and every challenge it draws must be one the ledger above accounts for
 * (label, kind, count), else computing the figure throws — a draw added to a zk protocol without
 * its term fails loudly, as in `circuit/security-replay.ts`. The Ligero proof's draws are listed by
 * formula; a test compares the whole list with a real verification's draws.
 */
import { P } from '../field/babybear.js';
import { lookupStatements, type Circuit } from '../circuit/circuit.js';
import { CITE, describe, gkrNumerator, InsufficientSecurityError, largestTerms, Ledger, chargeLookupFingerprint, lookupName, roundUp, summarize, type ReceiptSecurity } from '../circuit/security.js';
import { replayLayers } from '../circuit/security-replay.js';
import { RANGE_TABLE_SIZE } from '../circuit/param-range.js';
import { PARAM_RANGE_BATCH_LABELS, zkParamLayout, zkParamRangeSystem } from '../circuit/zk-param-range.js';
import type { ConstraintSystem } from '../pcs/constraints.js';
import { MASK_ROWS } from '../pcs/zk-ligero-masks.js';
import { sharedCodeParams, zkLigeroSecurity, type ZkLigeroParams } from '../pcs/zk-ligero-params.js';
import { zkRenewalSecurity } from '../pcs/zk-renew.js';
import { hadamardEntries, numLinearConstraints, weightVars } from '../pcs/zk-ligero-system.js';
import { DEFAULT_SECURITY_PROFILE } from '../pcs/params.js';
import { lookupRuns, lookupShape, type LookupStatement } from '../piop/lookup/logup.js';
import { rangeTable } from '../piop/lookup/tables.js';
import { Transcript, type TranscriptLogEntry } from '../transcript/transcript.js';
import { ByteReader } from '../util/bytes.js';
import { fail, OK, type VerifyResult } from '../util/result.js';
import { ZK_BATCH_LABELS, zkReceiptLayout, zkReceiptSystem } from './zk-receipt.js';
import { ALL_PUBLIC, IO_RANGE_LABEL, ioRangeStatements, isAllPublic, visibilityIssue, zkIoLayout, type ZkVisibility } from '../circuit/zk-io.js';

/** One challenge draw of a zk receipt and the terms that account for it. */
export interface AccountedChallenge {
  /** the receipt's transcript, or the parameter range proof's own */
  transcript: 'receipt' | 'param-range';
  label: string;
  kind: 'ext' | 'index';
  /** elements drawn in this squeeze */
  count: number;
  /** the names of the terms that charge it (α, β: every lookup's fingerprint; none without lookups) */
  terms: string[];
}

export interface ZkReceiptSecurity extends ReceiptSecurity {
  /** the code the receipt's Ligero proof runs (the commitments' shared C, N, t and the largest k) */
  code: ZkLigeroParams;
  /** M: the linear constraints of the Ligero proof (counted from the dry run's system) */
  numLinear: number;
  /** every challenge draw, in no particular order, with its term */
  challenges: AccountedChallenge[];
}

const CITE_ZK = {
  gkr: `${CITE.gkr}; piop/lookup/zk-gkr.ts (root β: 1/|K|)`,
  range: 'circuit/zk-param-range.ts (one padded LogUp per chunk, an independent α_I each; table copies with zero numerators); Haböck ePrint 2022/1530 Lemma 5 (cleared numerator of degree < N_I + 256)',
  batch: `${CITE.batch}; pcs/zk-batch.ts`,
  ligero: 'pcs/zk-ligero-params.ts; AHIV17 §4 / Ligero journal ePrint 2022/1608 Lemma 4.2 (proximity), §4.2–4.3 (linear, quadratic tests)',
};

/** Canonical pseudo-random words for every message, and the one value each fixed count may take. */
class PlaceholderReader extends ByteReader {
  private s = 0x9e3779b9;
  constructor() {
    super(new Uint8Array(0));
  }
  override u32In(min: number, max: number, what: string): number {
    if (min !== max) throw new Error(`security dry run: ${what} is not fixed by the circuit (${min}..${max})`);
    return min;
  }
  override words(n: number): Uint32Array {
    const out = new Uint32Array(n);
    let s = this.s;
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      out[i] = (s >>> 0) % P;
    }
    this.s = s;
    return out;
  }
  override end(): void {}
}

interface DryRun {
  numLinear: number;
  hadamardEntries: number;
  witnessClaims: number;
  paramClaims: number;
  ioClaims: number;
  /** squeezes of the receipt body (before the Ligero proof) and of the range proof */
  receipt: TranscriptLogEntry[];
  range: TranscriptLogEntry[];
}

const DRY_RUNS = new WeakMap<Circuit, Map<string, DryRun>>();

const visKey = (v: ZkVisibility): string => JSON.stringify([v.inputs, v.outputs]);

/** The verifier's replay of a zk receipt's body and range proof on placeholders (see the header). */
function dryRun(c: Circuit, vis: ZkVisibility): DryRun {
  let m = DRY_RUNS.get(c);
  if (!m) DRY_RUNS.set(c, (m = new Map()));
  let hit = m.get(visKey(vis));
  if (hit) return hit;
  const hidden = new Set([...vis.inputs, ...vis.outputs]);
  const publics = new Map<string, Int32Array>();
  for (const t of c.tensors.values()) if ((t.role === 'input' || t.role === 'output') && !hidden.has(t.name)) publics.set(t.name, new Int32Array(t.layout.size));
  const tr = new Transcript('zkinfer/security/zk-dry-run', { record: true });
  const body = zkReceiptSystem(c, tr, new PlaceholderReader(), publics, { dryRun: true, visibility: vis });
  // any valid code: the range system's shape depends on the circuit alone
  const placeholder = { root: new Uint8Array(32), length: zkParamLayout(c).length, params: { logCols: 2, randomness: 1, logCodeword: 4, queries: 1 } };
  const range = zkParamRangeSystem(c, placeholder, new PlaceholderReader(), { record: true });
  if (!range.ok) throw new Error(`security dry run: the range proof's replay failed: ${range.error.message}`);
  const systems: ConstraintSystem[] = [body, range.system];
  const absorbed = (label: string) => tr.log!.filter((e) => e.op === 'absorb' && e.label === label).length;
  hit = {
    numLinear: systems.reduce((s, x) => s + numLinearConstraints(x), 0),
    hadamardEntries: systems.reduce((s, x) => s + hadamardEntries(x), 0),
    witnessClaims: absorbed(`${ZK_BATCH_LABELS.witness}/claim-point`),
    paramClaims: absorbed(`${ZK_BATCH_LABELS.params}/claim-point`),
    ioClaims: absorbed(`${ZK_BATCH_LABELS.io}/claim-point`),
    receipt: tr.log!.filter((e) => e.op === 'squeeze'),
    range: range.log!.filter((e) => e.op === 'squeeze'),
  };
  m.set(visKey(vis), hit);
  return hit;
}

/** The draws of a padded GKR over L leaf variables under `label` (`piop/lookup/zk-gkr.ts`). */
function gkrDraws(label: string, L: number): { label: string; count: number }[] {
  const out = [{ label: `${label}/root-beta`, count: 1 }, { label: `${label}/mu`, count: 1 }];
  for (let j = 1; j < L; j++) {
    out.push({ label: `${label}/lambda`, count: 1 });
    for (let i = 0; i < j; i++) out.push({ label: `${label}/layer/challenge`, count: 1 });
    out.push({ label: `${label}/mu`, count: 1 });
  }
  return out;
}

const cache = new WeakMap<Circuit, Map<string, ZkReceiptSecurity>>();

/**
 * The composed bound of every zero-knowledge receipt of circuit `c` whose parameter commitment
 * has code `params` (the witness and io commitments' is the same with k = t) and that commits the
 * tensors `vis` (none by default), with every term (see the header). Cached per circuit, code and
 * visibility. Throws (an Error naming the label) if the dry run draws a challenge the ledger does
 * not account for, or a RangeError for invalid parameters.
 */
export function zkReceiptSecurity(c: Circuit, params: Readonly<ZkLigeroParams>, vis: ZkVisibility = ALL_PUBLIC, depth = 0): ZkReceiptSecurity {
  if (!Number.isSafeInteger(depth) || depth < 0) throw new RangeError(`zkReceiptSecurity: expected a renewal depth ≥ 0, got ${depth}`);
  const key = `${params.logCols}/${params.randomness}/${params.logCodeword}/${params.queries}/${visKey(vis)}/${depth}`;
  let m = cache.get(c);
  if (!m) cache.set(c, (m = new Map()));
  let hit = m.get(key);
  if (!hit) m.set(key, (hit = compute(c, params, vis, depth)));
  return hit;
}

function compute(c: Circuit, params: Readonly<ZkLigeroParams>, vis: ZkVisibility, depth: number): ZkReceiptSecurity {
  const code = sharedCodeParams([params, { ...params, randomness: params.queries }]);
  const visErr = visibilityIssue(c, vis);
  if (visErr) throw new RangeError(`security: committed tensors: ${visErr}`);
  const dry = dryRun(c, vis);
  const io = isAllPublic(vis) ? null : zkIoLayout(c, vis);
  const ledger = new Ledger();
  const draws: AccountedChallenge[] = [];
  const charge = (transcript: AccountedChallenge['transcript'], terms: string | string[], list: { label: string; count: number; kind?: 'ext' | 'index' }[]) => {
    for (const d of list) draws.push({ transcript, label: d.label, kind: d.kind ?? 'ext', count: d.count, terms: typeof terms === 'string' ? [terms] : terms });
  };
  /** The padded GKR of lookup instance k under `label`: its term and draws; returns its leaf variables. */
  const lookupGkr = (transcript: AccountedChallenge['transcript'], label: string, st: LookupStatement, k: number, name: string): number => {
    const { leafVars } = lookupShape(st);
    const gkr = `${name}: padded GKR over ${leafVars} variables`;
    ledger.field(gkr, gkrNumerator(leafVars) + 1, `(1 + Σ_{j<${leafVars}} (3j+2) + 1 for the root's β)/|K|`, CITE_ZK.gkr);
    charge(transcript, gkr, gkrDraws(`${label}/${k}/gkr`, leafVars));
    return leafVars;
  };

  // the private inputs' range checks: one padded LogUp instance each, sharing their own α, β: as
  // for the receipt's lookups, one fingerprint term, the largest check's (N + 2^b)
  if (io?.range) {
    let worst = { name: '', degree: -1, formula: '' };
    ioRangeStatements(io.range.checks).forEach((st, k) => {
      const ch = io.range!.checks[k];
      const name = `private input '${ch.input}' range check ${ch.upper ? 'hi − x' : 'x − lo'} into [0, 2^${ch.bits}) (2^${ch.numVars} entries)`;
      const leafVars = lookupGkr('receipt', IO_RANGE_LABEL, st, k, name);
      const degree = 2 ** (leafVars - 1) + 2 ** ch.bits;
      if (degree > worst.degree) worst = { name: `${name}: fingerprint α (the largest of ${io.range!.checks.length} checks sharing it)`, degree, formula: `max (N + 2^b)/|K| over the checks, here N = 2^${leafVars - 1} lookup leaves, b = ${ch.bits}` };
    });
    ledger.field(worst.name, worst.degree, worst.formula, CITE_ZK.range);
    charge('receipt', worst.name, [{ label: `${IO_RANGE_LABEL}/alpha`, count: 1 }, { label: `${IO_RANGE_LABEL}/beta`, count: 1 }]);
  }

  // lookups: one padded LogUp-GKR per instance, sharing α, β: one fingerprint term, the largest instance's
  const statements = lookupStatements(c);
  const fp = chargeLookupFingerprint(ledger, statements);
  // α, β are drawn even without lookups (then no term charges them: they check nothing)
  charge('receipt', fp ? [fp] : [], [{ label: 'logup/alpha', count: 1 }, { label: 'logup/beta', count: 1 }]);
  if (fp && statements.some((st) => st.fingerprints === 2)) charge('receipt', fp, [{ label: 'logup/alpha-2', count: 1 }, { label: 'logup/beta-2', count: 1 }]);
  for (const { k, second } of lookupRuns(statements)) {
    const st = statements[k];
    // a committed table's row point ρ (ρ₂) is part of the shared draw (W = k + 2, `piop/lookup/indexed.ts`)
    if (st.table.kind === 'committed' && st.table.rowVars > 0) charge('receipt', fp!, [{ label: `logup/${k}/rho${second ? '-2' : ''}`, count: st.table.rowVars }]);
    if (second) lookupGkr('receipt', `logup/${k}`, st, 2, `${lookupName(st, k)} (second draw)`);
    else lookupGkr('receipt', 'logup', st, k, lookupName(st, k));
  }

  // layers: the clear replay's terms (the padded session draws what the clear one draws)
  const replay = replayLayers(c);
  for (const L of replay.layers) {
    const sc = L.sumchecks.reduce((s, x) => s + x.numVars * x.degree, 0);
    const pt = L.points.reduce((s, x) => s + x.numVars, 0);
    const cb = L.combiners.reduce((s, x) => s + x.degree, 0);
    const name = `layer '${L.layer}' (${L.op})`;
    ledger.field(
      name,
      sc + pt + cb,
      `(Σ m·d over ${L.sumchecks.length} padded sumchecks = ${sc} + Σ m over ${L.points.length} random points = ${pt} + Σ k over ${L.combiners.length} batching challenges = ${cb})/|K|`,
      CITE.layer,
    );
    charge('receipt', name, [
      ...L.sumchecks.flatMap((s) => Array.from({ length: s.numVars }, () => ({ label: `${s.label}/challenge`, count: 1 }))),
      ...L.points.map((p) => ({ label: p.label, count: p.numVars })),
      ...L.combiners.map((x) => ({ label: x.label, count: 1 })),
    ]);
  }

  // the parameter range proof: one padded LogUp per chunk, each with its own α_I, β_I
  const chunks = zkParamLayout(c).chunks;
  const rangeTab = rangeTable(8);
  let largest = 0;
  const shapes: string[] = [];
  const rangeFp = 'parameter range proof: fingerprints α_I';
  chunks.forEach((ch, i) => {
    const st: LookupStatement = { table: rangeTab, numLookups: 1, logLen: ch.numVars };
    const leafVars = lookupGkr('param-range', `param-range/${i}`, st, 0, `parameter range chunk ${i} (2^${ch.numVars} entries)`);
    largest = Math.max(largest, 2 ** (leafVars - 1));
    shapes.push(`2^${leafVars - 1}`);
    charge('param-range', rangeFp, [{ label: `param-range/${i}/alpha`, count: 1 }, { label: `param-range/${i}/beta`, count: 1 }]);
  });
  ledger.field(
    rangeFp,
    largest + RANGE_TABLE_SIZE,
    `max_I (N_I + 256)/|K| over ${chunks.length} chunks with independent α_I, N_I = ${shapes.join(', ')} lookup leaves (largest ${largest})`,
    CITE_ZK.range,
  );
  // its two padded batches: the chunks' claims on the parameters and on the multiplicities
  const rangeLay = zkParamLayout(c);
  for (const which of ['params', 'mults'] as const) {
    const label = PARAM_RANGE_BATCH_LABELS[which];
    const n = rangeLay[which].region.numVars;
    const name = `parameter range proof: ${which === 'params' ? 'parameter' : 'multiplicity'} batch (padded): ρ and sumcheck`;
    ledger.field(name, chunks.length - 1 + 2 * n, `((N_c − 1) + 2n)/|K|, N_c = ${chunks.length} claims, n = ${n}`, CITE_ZK.batch);
    charge('param-range', name, [{ label: `${label}/rho`, count: 1 }, ...Array.from({ length: n }, () => ({ label: `${label}/sumcheck/challenge`, count: 1 }))]);
  }

  // the padded batches
  const batches: [keyof typeof ZK_BATCH_LABELS, number, number][] = [['witness', dry.witnessClaims, c.witness.numVars], ['params', dry.paramClaims, c.params.numVars]];
  if (io) batches.push(['io', dry.ioClaims, io.numVars]);
  for (const [which, claims, n] of batches) {
    if (claims === 0) continue;
    const label = ZK_BATCH_LABELS[which];
    const name = `${{ witness: 'witness', params: 'parameter', io: 'io' }[which]} batch (padded): ρ and sumcheck`;
    ledger.field(name, claims - 1 + 2 * n, `((N_c − 1) + 2n)/|K|, N_c = ${claims} claims, n = ${n}`, CITE_ZK.batch);
    charge('receipt', name, [{ label: `${label}/rho`, count: 1 }, ...Array.from({ length: n }, () => ({ label: `${label}/sumcheck/challenge`, count: 1 }))]);
  }

  // one zero-knowledge Ligero proof over both commitments
  const M = dry.numLinear;
  const lig = zkLigeroSecurity(code, M);
  const C = 2 ** code.logCols;
  const N = 2 ** code.logCodeword;
  const L = C + code.randomness;
  const ell = Math.ceil(Math.log2(Math.max(M, 1)));
  const shape = `C = ${C}, L = C + k = ${L}, N = ${N}, t = ${code.queries}`;
  const prox = 'zk-ligero proximity test: combination γ';
  const linear = 'zk-ligero linear test: weights β·eq(τ)';
  const quad = 'zk-ligero quadratic test: weights ρ';
  const cols = 'zk-ligero column queries';
  ledger.field(prox, lig.proximity + 2, `(e+2)/|K|, e = ${lig.proximity} < d/3, d = N − L + 1 = ${N - L + 1}, ${shape}`, CITE_ZK.ligero);
  ledger.field(linear, ell + 1, `(⌈log2 M⌉ + 1)/|K|, M = ${M} linear constraints (counted from the receipt's system)`, CITE_ZK.ligero);
  ledger.field(quad, 1, '1/|K|', CITE_ZK.ligero);
  const q = lig.terms.find((t) => t.name === 'column queries')!;
  ledger.query({ name: cols, log2: roundUp(q.log2 + 1e-9), formula: `${q.formula}, e = ${lig.proximity}`, citation: CITE_ZK.ligero });
  const lay = zkReceiptLayout(c, vis);
  const rowsA = Math.ceil(lay.witnessBase / C) + Math.ceil((lay.end - lay.witnessBase) / C) + (lay.io ? Math.ceil(lay.io.layout.length / C) : 0);
  const triples = Math.ceil(dry.hadamardEntries / C);
  charge('receipt', prox, [{ label: 'zkl/proximity', count: rowsA + MASK_ROWS + 3 * triples - 4 }]);
  charge('receipt', linear, [{ label: 'zkl/linear-scale', count: 1 }, { label: 'zkl/linear', count: weightVars(M) }]);
  charge('receipt', quad, [{ label: 'zkl/quadratic', count: triples }]);
  charge('receipt', cols, [{ label: 'zkl/columns', count: code.queries, kind: 'index' }]);

  // a version-5 receipt opens a renewal at depth D: sound only if each of its D links is
  // (`pcs/zk-renew.ts`; each link runs its own transcript, so the receipt's draws are unchanged)
  if (depth > 0) {
    const link = zkRenewalSecurity(params, lay.witnessBase);
    ledger.other({
      name: `renewal path: ${depth} link(s)`,
      log2: roundUp(Math.log2(depth) - link.bits + 1e-9),
      formula: `D·ε_link, D = ${depth}, ε_link = 2^-${link.bits.toFixed(2)} (${link.terms.map((t) => `${t.name} 2^${t.log2.toFixed(2)}`).join(' + ')})`,
      citation: 'pcs/zk-renew.ts (zkRenewalSecurity: Schwartz–Zippel at r + the renewal’s zk-Ligero proof); verifier/zk-path.ts',
    });
  }

  try {
    checkAccounted('receipt', dry.receipt, draws.filter((d) => d.transcript === 'receipt' && !d.label.startsWith('zkl/')));
    checkAccounted('param-range', dry.range, draws.filter((d) => d.transcript === 'param-range'));
  } catch (e) {
    DRY_RUNS.get(c)?.delete(visKey(vis)); // keep no dry run the ledger has not accounted for
    throw e;
  }
  return { ...summarize(ledger, DEFAULT_SECURITY_PROFILE), code, numLinear: M, challenges: draws };
}

const drawKey = (d: { label: string; kind: string; count: number }): string => `${d.label} (${d.count} ${d.kind})`;

/** Every squeeze of the dry run must be a draw the ledger charges, and the other way round. */
function checkAccounted(transcript: string, squeezes: readonly TranscriptLogEntry[], expected: readonly AccountedChallenge[]): void {
  const want = new Map<string, number>();
  for (const d of expected) want.set(drawKey(d), (want.get(drawKey(d)) ?? 0) + 1);
  for (const s of squeezes) {
    const k = drawKey(s);
    const n = want.get(k) ?? 0;
    if (n === 0) throw new Error(`security: the zk receipt's ${transcript} transcript draws '${k}', which no soundness term accounts for`);
    want.set(k, n - 1);
  }
  for (const [k, n] of want) if (n > 0) throw new Error(`security: the zk ledger charges '${k}' ${n} more time(s) than the ${transcript} transcript draws it`);
}

/**
 * The verifier's check for zero-knowledge receipts (never throws), `circuit/security.ts`
 * `verifySecurity`'s counterpart: receipts of circuit `c` whose parameter commitment has code
 * `params` (pinned by the model ID) must reach `minBits` composed bits; else
 * `InsufficientSecurity`, naming the largest terms.
 */
export function verifyZkSecurity(c: Circuit, params: Readonly<ZkLigeroParams>, minBits: number = DEFAULT_SECURITY_PROFILE, vis: ZkVisibility = ALL_PUBLIC, depth = 0): VerifyResult {
  let s: ZkReceiptSecurity;
  try {
    s = zkReceiptSecurity(c, params, vis, depth);
  } catch (e) {
    return fail('InsufficientSecurity', `the composed security bound of this zero-knowledge model cannot be established: ${(e as Error).message}`);
  }
  if (s.bits >= minBits) return OK;
  return fail('InsufficientSecurity', `zero-knowledge receipts of this model and parameter code have ${s.bits} composed security bits, below the verifier's ${minBits}; largest terms: ${largestTerms(s).map(describe).join('; ')}`, {
    bits: s.bits,
    required: minBits,
  });
}

/**
 * The bound of `c`'s zero-knowledge receipts under `params`, or an InsufficientSecurityError when
 * it misses the default profile's target (what `commitModel(…, { zk })` refuses up front).
 */
export function assertZkSecurity(c: Circuit, params: Readonly<ZkLigeroParams>): ZkReceiptSecurity {
  const s = zkReceiptSecurity(c, params);
  if (s.bits >= s.target) return s;
  throw new InsufficientSecurityError(`zero-knowledge receipts of this model would have ${s.bits} composed security bits, below the ${s.target}-bit target; largest terms: ${largestTerms(s).map(describe).join('; ')}`, s);
}
