/**
 * The composed soundness bound of a receipt: every term, cited, and their union bound
 *
 *   securityBits = −log2 ε,   ε = Σ_i ε_i + ε_hash,
 *
 * computed from the circuit and the PCS configuration alone (the same for every receipt of a
 * model), so `commit` can refuse a model before any receipt exists and the verifier can refuse a
 * receipt whose model falls short (kind `InsufficientSecurity`).
 *
 * The terms ε_i, one per verifier challenge of the interactive protocol, grouped (|K| = p^4):
 *   - the LogUp instances (PROTOCOL-NOTES §5), which share one draw of α, β (and the committed
 *     tables' ρ): ONE fingerprint term max_k D_k/|K|, D_k = (c_k·2^{ℓ_k} + 2^{b_k})·max(1, W_k − 1)
 *     (`piop/lookup/logup.ts` fingerprintDegree: the cleared numerator of instance k's identity, over
 *     its distinct poles, has that degree in (α, β, ρ) — Haböck ePrint 2022/1530 Lemma 5 with the
 *     fold's degree; the padding and the table's extra copies are pinned by the verifier and add at
 *     most one pole). Why the largest and not the sum: the commitments fix, before the draw, the
 *     set S ≠ ∅ of instances whose relation is false; every one of them is checked, so an accepting
 *     run needs A_k(α, β, ρ) = 0 for every k ∈ S, an event inside {A_{k0} = 0} for any one k0 ∈ S,
 *     of probability ≤ D_{k0}/|K| ≤ max_k D_k/|K| (an instance whose identity fails at the draw
 *     stays a false claim that its GKR and openings must then get past: their own terms). Per
 *     round this is the round-by-round error of the draw (the state stays doomed unless every
 *     false instance is rescued), which is what the Fiat–Shamir reading below needs.
 *     An instance too large for one draw (`piop/lookup/logup.ts` needsSecondDraw, from the shape) is
 *     also checked at a second draw (α₂, β₂, ρ₂) taken in the same round: its A_k must vanish at
 *     both independent points, so it enters the max as (D_k/|K|)² (logup.ts "Second fingerprint").
 *     Per instance, its GKR over L = n_k + 1 variables (1 + Σ_{j<L} (3j + 2))/|K|: the root's μ,
 *     then per layer j a degree-3 sumcheck of j rounds, λ and μ (Papini–Haböck ePrint 2023/1284;
 *     sumcheck m·d/|K|, PAZK §4.1); these are separate draws and are summed, the second draw's
 *     GKRs included.
 *   - each layer (`./security-replay.ts` enumerates them from the layer's own verifier):
 *     Σ m·d/|K| over its sumchecks (PROTOCOL-NOTES §3), Σ m/|K| over its random points r ∈ K^m
 *     (Schwartz–Zippel: the identities are multilinear in r), Σ k/|K| over its batching
 *     challenges λ (a polynomial of degree k in λ).
 *   - the parameter range proof (`./param-range.ts`): each chunk I has its own α_I and checks
 *     its own identity (Haböck Lemma 5: the cleared numerator has degree < N_I + 256), so a
 *     cheating prover, who must pass every chunk it cheats in, succeeds w.p. ≤ max_I (N_I +
 *     256)/|K| over the fingerprints; plus each chunk's GKR as above.
 *   - each batch opening (PROTOCOL-NOTES §2): (N_c − 1)/|K| for ρ over N_c claims, 2n/|K| for the
 *     degree-2 sumcheck over the vector's n variables.
 *   - each PCS opening (PROTOCOL-NOTES §1, `pcs/params.ts` tensorSecurityBits): max(2ℓ(e+1)/|K|
 *     + (1 − e/N)^t, (1 − (d − e)/N)^t) for its layout (Ligero journal ePrint 2022/1608 /
 *     Brakedown GLS+21 Thm B.7, e < d/3; DP23a ePrint 2023/630 for the tensor combination),
 *     with each opening's own layout and query count.
 *   - Fiat–Shamir / Merkle: 2^8·Q_MAX/2^256 (below).
 * Checks that hold exactly (public evaluations, limb recombination, the leaf formulas of the
 * GKRs, c = G(r)·f~(r)) add nothing. Every term is rounded against the prover: |K| is taken as
 * 2^(4·log2 p − 10^−9), PCS bits are lowered by 10^−9, the sum is raised by 2^−40 of itself and the
 * figure is rounded down to 0.01 bit.
 *
 * What the figure means for the non-interactive receipt. Σ ε_i bounds the interactive protocol's
 * soundness error (each reduction turns a false claim into a true one with probability ≤ ε_i), and
 * since each ε_i bounds one round's such probability, also its round-by-round soundness error
 * ε_rbr = max_i ε_i ≤ Σ ε_i. Fiat–Shamir with SHA-256 as a random oracle is then sound against a
 * prover making Q hash queries except with probability ≤ (Q + 1)·ε_rbr (Canetti et al., STOC'19,
 * "Fiat–Shamir: from practice to theory"), and compiling the Merkle commitments (BCS16, ePrint
 * 2016/116) adds O(Q²/2^256) for collisions and failed extraction. We charge the latter as
 * ε_hash(Q) = 2^8·Q²/2^256 (a generous constant) and assume a budget Q ≤ Q_MAX = 2^96 SHA-256
 * evaluations, so ε_hash(Q) ≤ Q·2^8·Q_MAX/2^256 and
 *
 *   Pr[a Q-query prover makes an accepting receipt of a false statement] ≤ (Q + 1)·2^−securityBits
 *
 * for every Q ≤ 2^96, with the hash term counted once in ε as 2^8·2^96/2^256 = 2^−152. For
 * example 100 bits and 2^64 hash evaluations give ≤ 2^−36.
 *
 * Zero-knowledge receipts run another back end (padded messages, one zero-knowledge Ligero proof):
 * their figure is `verifier/zk-security.ts`'s, which reuses this ledger and its hash term.
 *
 * Not in the figure: anything outside the proof system's soundness — the no-wrap bounds are exact
 * integer checks of the circuit builder, and the figure assumes the code implements the protocol
 * the terms describe (the tests replay real verifications against the enumeration).
 */
import { P } from '../field/babybear.js';
import { fingerprintDegree, lookupDims, lookupRuns, lookupShape, type LookupStatement } from '../piop/lookup/logup.js';
import { chooseLayout, DEFAULT_SECURITY_PROFILE, DEFAULT_TENSOR_PCS_CONFIG, LOG2_EXT_FIELD, profileConfig, targetBitsOf, tensorFieldTermLog2, tensorSecurityBits, type TensorLayout, type TensorPcsConfig } from '../pcs/params.js';
import { zkLigeroSecurity, type ZkLigeroParams } from '../pcs/zk-ligero-params.js';
import { lookupStatements, type Circuit } from './circuit.js';
import { RANGE_TABLE_SIZE, rangeChunks } from './param-range.js';
import { segmentsEnd } from './params.js';
import { CircuitError } from './protocol.js';
import { replayLayers } from './security-replay.js';
import { fail, OK, type VerifyResult } from '../util/result.js';

/** log2 |K|, rounded down (a smaller field means larger error terms). */
const LOG2_K = 4 * Math.log2(P) - 1e-9;
/** log2 of the assumed bound on the prover's SHA-256 evaluations. */
export const LOG2_HASH_QUERY_BUDGET = 96;
/** log2 of the constant charged for the hash-collision and Merkle-extraction term. */
const LOG2_HASH_CONSTANT = 8;

export interface SecurityTerm {
  /** what the term covers, e.g. "logup 0 (range8): fingerprint α, β" */
  name: string;
  /** log2 ε of the term (rounded up) */
  log2: number;
  /** the formula with its numbers */
  formula: string;
  citation: string;
}

export interface ReceiptSecurity {
  /** −log2 Σ ε, rounded down to 0.01 */
  bits: number;
  /** the profile's composed target */
  target: number;
  /** the bits with every PCS query term removed (t → ∞): the cap the field terms set */
  fieldCapBits: number;
  field: string;
  /** the assumed bound on the prover's hash evaluations (see the header) */
  hashQueryBudget: string;
  /** the Fiat–Shamir reading of `bits` */
  meaning: string;
  terms: SecurityTerm[];
}

/** A model whose receipts would fall short of their profile's target; names the largest terms. */
export class InsufficientSecurityError extends CircuitError {
  readonly kind = 'InsufficientSecurity';
  constructor(
    message: string,
    readonly security?: ReceiptSecurity,
  ) {
    super(message);
    this.name = 'InsufficientSecurityError';
  }
}

export const CITE = {
  logup: 'PROTOCOL-NOTES §5; Haböck ePrint 2022/1530 Lemma 5 (cleared numerator of degree < #poles), with the fold degree; piop/lookup/logup.ts fingerprintDegree; one shared draw: the largest instance (circuit/security.ts header)',
  gkr: 'PROTOCOL-NOTES §5 ((3k+2)/|K| per layer); Papini–Haböck ePrint 2023/1284; sumcheck PAZK §4.1',
  layer: 'PROTOCOL-NOTES §3 (sumcheck m·d/|K|, PAZK §4.1); Schwartz–Zippel (random point m/|K|, batching challenge of degree k: k/|K|)',
  range: 'circuit/param-range.ts (an independent α per chunk); Haböck ePrint 2022/1530 Lemma 5 (cleared numerator of degree < N_I + 256)',
  batch: 'PROTOCOL-NOTES §2 ((N_c−1)/|K| + 2n/|K|); sumcheck PAZK §4.1',
  pcs: 'PROTOCOL-NOTES §1; Ligero ePrint 2022/1608 / Brakedown GLS+21 Thm B.7 (e < d/3); DP23a ePrint 2023/630 (tensor field term); pcs/params.ts tensorSecurityBits',
  hash: 'BCS16 ePrint 2016/116 (Merkle/random-oracle compilation, O(Q²/2^λ)); Canetti et al. STOC 2019 (round-by-round soundness ⇒ Fiat–Shamir)',
};

/** Collects terms; field terms are kept as exact integer numerators over |K|. */
export class Ledger {
  readonly terms: SecurityTerm[] = [];
  private fieldNumerator = 0;
  /** log2 ε of the PCS openings, and of their field terms alone (for the cap) */
  private readonly pcsTerms: { log2: number; fieldLog2: number }[] = [];
  private readonly otherTerms: number[] = [];

  field(name: string, numerator: number, formula: string, citation: string): void {
    if (!Number.isSafeInteger(numerator) || numerator < 0) throw new Error(`security: term '${name}' has numerator ${numerator}`);
    if (numerator === 0) return;
    this.fieldNumerator += numerator;
    if (!Number.isSafeInteger(this.fieldNumerator)) throw new Error('security: field-term numerators overflow');
    this.terms.push({ name, log2: roundUp(Math.log2(numerator) - LOG2_K), formula: `${formula} = ${numerator}/|K|`, citation });
  }

  pcs(name: string, layout: TensorLayout): void {
    const log2 = roundUp(-tensorSecurityBits(layout.logCols, layout.logRows, layout.logBlowup, layout.numQueries) + 1e-9);
    this.pcsTerms.push({ log2, fieldLog2: tensorFieldTermLog2(layout.logCols, layout.logRows, layout.logBlowup) + 1e-9 });
    this.terms.push({
      name,
      log2,
      formula: `max(2ℓ(e+1)/|K| + (1−e/N)^t, (1−(d−e)/N)^t), 2^${layout.logRows} rows × 2^${layout.logCols} columns, N = 2^${layout.logCols + layout.logBlowup}, ℓ = ${layout.logRows}, t = ${layout.numQueries}`,
      citation: CITE.pcs,
    });
  }

  /** A column-query term of a PCS (no field part: it leaves the field cap). */
  query(term: SecurityTerm): void {
    this.pcsTerms.push({ log2: term.log2, fieldLog2: -Infinity });
    this.terms.push(term);
  }

  other(term: SecurityTerm): void {
    this.otherTerms.push(term.log2);
    this.terms.push(term);
  }

  /** −log2 of the sum, rounded down to 0.01; `fieldOnly` keeps only the PCS openings' field terms (t → ∞). */
  bits(fieldOnly = false): number {
    let sum = this.fieldNumerator * 2 ** -LOG2_K;
    for (const t of this.pcsTerms) sum += 2 ** (fieldOnly ? t.fieldLog2 : t.log2);
    for (const l of this.otherTerms) sum += 2 ** l;
    sum *= 1 + 2 ** -40;
    return Math.floor(-Math.log2(sum) * 100) / 100;
  }
}

export function roundUp(log2: number): number {
  return Math.ceil(log2 * 1e6) / 1e6;
}

/** How the ledgers name lookup instance k. */
export function lookupName(st: LookupStatement, k: number): string {
  return `logup ${k} (${st.table.name}, ${st.numLookups} × 2^${st.logLen} lookups)`;
}

/**
 * Charges the fingerprint term of LogUp instances that share one draw of α, β (and ρ, and the
 * second draw): the largest over the instances of D_k/|K| (one draw) or (D_k/|K|)² (instances
 * with `fingerprints: 2`), see the header and `fingerprintDegree`; the term is named after that
 * instance. Returns its name, or null without instances.
 */
export function chargeLookupFingerprint(ledger: Ledger, statements: readonly LookupStatement[]): string | null {
  if (statements.length === 0) return null;
  const degrees = statements.map(fingerprintDegree);
  const log2 = statements.map((st, k) => (st.fingerprints === 2 ? 2 : 1) * (Math.log2(degrees[k]) - LOG2_K));
  const k = log2.indexOf(Math.max(...log2));
  const st = statements[k];
  const twice = st.fingerprints === 2;
  const name = `${lookupName(st, k)}: fingerprint α, β${twice ? ' at two draws' : ''} (the largest of ${statements.length} instances sharing them)`;
  const twoDraws = statements.filter((x) => x.fingerprints === 2).length;
  const shape = `max_k (D_k/|K|)^{r_k}, D_k = (c_k·2^ℓ_k + 2^b_k)·max(1, W_k − 1), over ${statements.length} instances (r_k = 2 for the ${twoDraws} checked at two draws), at k = ${k}: c = ${st.numLookups}, ℓ = ${st.logLen}, b = ${lookupDims(st).b}, W = ${lookupShape(st).width}`;
  if (!twice) ledger.field(name, degrees[k], shape, CITE.logup);
  else ledger.other({ name, log2: roundUp(log2[k]), formula: `${shape}: (${degrees[k]}/|K|)^2`, citation: CITE.logup });
  return name;
}

/** (1 + Σ_{j=1}^{L−1} (3j + 2)): a fractional-sum GKR over L leaf variables. */
export function gkrNumerator(L: number): number {
  return 1 + (3 * (L - 1) * L) / 2 + 2 * (L - 1);
}

const cache = new WeakMap<Circuit, Map<string, ReceiptSecurity>>();

/**
 * The composed bound of every receipt of circuit `c` under PCS configuration `cfg`, with each
 * term (see the header). Cached per circuit and configuration. Throws (an Error naming the layer
 * and label) if a layer draws a challenge outside the soundness bookkeeping.
 */
export function receiptSecurity(c: Circuit, cfg: Readonly<TensorPcsConfig> = DEFAULT_TENSOR_PCS_CONFIG): ReceiptSecurity {
  const key = `${cfg.logBlowup}/${cfg.securityBits}/${cfg.merged}/${cfg.maxLogCodeword}`;
  let m = cache.get(c);
  if (!m) cache.set(c, (m = new Map()));
  let hit = m.get(key);
  if (!hit) m.set(key, (hit = compute(c, cfg)));
  return hit;
}

function compute(c: Circuit, cfg: Readonly<TensorPcsConfig>): ReceiptSecurity {
  const ledger = new Ledger();
  const roleOf = (t: string) => c.tensors.get(t)?.role;
  let witnessClaims = 0;
  let paramClaims = 0;
  const route = (tensor: string): void => {
    const role = roleOf(tensor);
    if (role === 'witness') witnessClaims++;
    else if (role === 'param') paramClaims += c.tensors.get(tensor)!.limbs;
    else if (role === undefined) throw new Error(`security: claim on unknown tensor '${tensor}'`);
  };

  // lookups: one LogUp-GKR per instance, sharing α, β: one fingerprint term, the largest instance's
  const statements = lookupStatements(c);
  chargeLookupFingerprint(ledger, statements);
  for (const { k, second } of lookupRuns(statements)) {
    const st = statements[k];
    const { leafVars } = lookupShape(st);
    ledger.field(`${lookupName(st, k)}${second ? ' (second draw)' : ''}: GKR over ${leafVars} variables`, gkrNumerator(leafVars), `(1 + Σ_{j<${leafVars}} (3j+2))/|K|`, CITE.gkr);
    const g = c.lookups[k];
    for (const tuple of g.tuples) for (const col of tuple) route(col.tensor);
    route(g.mult);
    if (g.table.kind === 'committed') route(g.table.param);
  }

  // layers, from their own verifiers
  const replay = replayLayers(c);
  for (const L of replay.layers) {
    const sc = L.sumchecks.reduce((s, x) => s + x.numVars * x.degree, 0);
    const pt = L.points.reduce((s, x) => s + x.numVars, 0);
    const cb = L.combiners.reduce((s, x) => s + x.degree, 0);
    ledger.field(
      `layer '${L.layer}' (${L.op})`,
      sc + pt + cb,
      `(Σ m·d over ${L.sumchecks.length} sumchecks = ${sc} + Σ m over ${L.points.length} random points = ${pt} + Σ k over ${L.combiners.length} batching challenges = ${cb})/|K|`,
      CITE.layer,
    );
  }
  for (const t of replay.claims) route(t);

  // the parameter range proof
  const chunks = rangeChunks(segmentsEnd(c.params.segments), c.params.numVars);
  const entries = chunks.reduce((s, ch) => s + 2 ** ch.numVars, 0);
  // one independent α_I per chunk: a cheating prover must pass every chunk it cheats in, so the
  // fingerprint error is the largest chunk's (see param-range.ts), not a sum over chunks
  const largest = Math.max(...chunks.map((ch) => 2 ** ch.numVars));
  ledger.field(
    'parameter range proof: fingerprints α_I',
    largest + RANGE_TABLE_SIZE,
    `max_I (N_I + 256)/|K| over ${chunks.length} chunks with independent α_I (${entries} entries, largest chunk N_I = ${largest})`,
    CITE.range,
  );
  ledger.field(
    `parameter range proof: ${chunks.length} chunk GKRs`,
    chunks.reduce((s, ch) => s + gkrNumerator(ch.numVars), 0),
    `Σ_chunks (1 + Σ_{j<L} (3j+2))/|K|, L = ${chunks.map((ch) => ch.numVars).join(', ')}`,
    CITE.gkr,
  );
  paramClaims += chunks.length;

  // the two batch openings and their PCS openings
  if (witnessClaims > 0) {
    const n = c.witness.numVars;
    ledger.field('witness batch opening: ρ and sumcheck', witnessClaims - 1 + 2 * n, `((N_c − 1) + 2n)/|K|, N_c = ${witnessClaims} claims, n = ${n}`, CITE.batch);
    ledger.pcs(`witness opening (tensor PCS, 2^${n} entries)`, chooseLayout(n, cfg));
  }
  const n = c.params.numVars;
  ledger.field('parameter batch opening: ρ and sumcheck', paramClaims - 1 + 2 * n, `((N_c − 1) + 2n)/|K|, N_c = ${paramClaims} claims, n = ${n}`, CITE.batch);
  ledger.pcs(`parameter opening (tensor PCS, 2^${n} entries)`, chooseLayout(n, cfg));

  return summarize(ledger, targetBitsOf(cfg));
}

/**
 * Adds the Fiat–Shamir / Merkle term (see the header) and composes the ledger: the figure, the
 * cap of its field terms, and what the figure means.
 */
export function summarize(ledger: Ledger, target: number): ReceiptSecurity {
  ledger.other({
    name: 'Fiat–Shamir / Merkle (SHA-256 as a random oracle)',
    log2: LOG2_HASH_CONSTANT + LOG2_HASH_QUERY_BUDGET - 256,
    formula: `2^${LOG2_HASH_CONSTANT}·Q_max/2^256 per query, Q_max = 2^${LOG2_HASH_QUERY_BUDGET}`,
    citation: CITE.hash,
  });
  const bits = ledger.bits();
  return {
    bits,
    target,
    fieldCapBits: ledger.bits(true),
    field: `BabyBear p = ${P}, K = F_p[u]/(u^4 − 11), |K| = p^4 ≈ 2^${LOG2_EXT_FIELD.toFixed(1)}`,
    hashQueryBudget: `2^${LOG2_HASH_QUERY_BUDGET} SHA-256 evaluations`,
    meaning: `a prover making Q ≤ 2^${LOG2_HASH_QUERY_BUDGET} hash queries makes an accepting receipt of a false statement with probability ≤ (Q+1)·2^-${bits}`,
    terms: ledger.terms,
  };
}

/** The terms with the largest ε first. */
export function largestTerms(s: ReceiptSecurity, count = 3): SecurityTerm[] {
  return [...s.terms].sort((a, b) => b.log2 - a.log2).slice(0, count);
}

export function describe(t: SecurityTerm): string {
  return `${t.name} 2^${t.log2.toFixed(2)}`;
}

/**
 * Refuses a profile this build cannot serve: 128 bits need a challenge field larger than the
 * quartic extension (see `pcs/params.ts` profileConfig). With a circuit the message gives the
 * cap its field terms set under the quartic extension and the largest of them.
 */
export function assertProfileAvailable(bits: number, c?: Circuit): void {
  profileConfig(bits); // throws on an unknown profile
  if (bits === DEFAULT_SECURITY_PROFILE) return;
  let figures = '';
  if (c) {
    const s = receiptSecurity(c);
    const fieldTerms = largestTerms({ ...s, terms: s.terms.filter((t) => t.citation !== CITE.pcs && t.citation !== CITE.hash) });
    figures = ` For this model the field terms alone cap a receipt at ${s.fieldCapBits} bits (any query count); largest: ${fieldTerms.map(describe).join('; ')}.`;
  }
  throw new InsufficientSecurityError(
    `the ${bits}-bit profile is not available in this build: challenges live in the quartic extension K = F_p[u]/(u^4 − 11), |K| = 2^${LOG2_EXT_FIELD.toFixed(1)}, ` +
      `and every sumcheck round, random point, lookup fingerprint and PCS proximity test costs at least 1/|K|, so a receipt's hundreds of such terms cap it near 2^-100…2^-118 whatever the PCS query count.${figures} ` +
      `Lifting it needs the quintic extension u^5 = 2 (|K| ≈ 2^154.5), which the field kernels (WebAssembly and TypeScript, four coefficients throughout) do not implement; the 100-bit profile is the default.`,
  );
}

/**
 * The bound of `c` under `cfg`, or an InsufficientSecurityError when it misses the profile's
 * target: the message names the largest terms and the cap that the field terms set.
 */
export function assertSecurity(c: Circuit, cfg: Readonly<TensorPcsConfig> = DEFAULT_TENSOR_PCS_CONFIG): ReceiptSecurity {
  const s = receiptSecurity(c, cfg);
  if (s.bits >= s.target) return s;
  throw new InsufficientSecurityError(
    `receipts of this model would have ${s.bits} composed security bits, below the ${s.target}-bit target; largest terms: ${largestTerms(s).map(describe).join('; ')}` +
      (s.fieldCapBits < s.target ? ` (the field terms alone cap it at ${s.fieldCapBits} bits, whatever the query count: shrink the named lookup or parameter vector, or move to a larger extension field)` : ''),
    s,
  );
}

/**
 * The verifier's check (never throws): receipts of circuit `c` made under `cfg` must reach
 * `minBits` composed bits (the default profile's target). `cfg` is the receipt's own PCS
 * configuration, which the model ID pins, so a receipt with weaker parameters fails here with
 * kind `InsufficientSecurity`, and one with stronger parameters passes on its merits.
 */
export function verifySecurity(c: Circuit, cfg: Readonly<TensorPcsConfig>, minBits: number = DEFAULT_SECURITY_PROFILE): VerifyResult {
  let s: ReceiptSecurity;
  try {
    s = receiptSecurity(c, cfg);
  } catch (e) {
    return fail('InsufficientSecurity', `the composed security bound of this model cannot be established: ${(e as Error).message}`);
  }
  if (s.bits >= minBits) return OK;
  return fail('InsufficientSecurity', `receipts of this model and parameters have ${s.bits} composed security bits, below the verifier's ${minBits}; largest terms: ${largestTerms(s).map(describe).join('; ')}`, {
    bits: s.bits,
    required: minBits,
  });
}

/**
 * The soundness terms of one zero-knowledge Ligero proof (`pcs/zk-ligero.ts`) with parameters
 * `p` over `numLinear` linear constraints, in this ledger's form (log2 rounded up). A zero-knowledge
 * receipt's ledger (`verifier/zk-security.ts`) enters the same terms, its field terms as exact
 * numerators.
 */
export function zkLigeroTerms(p: ZkLigeroParams, numLinear: number): SecurityTerm[] {
  return zkLigeroSecurity(p, numLinear).terms.map((t) => ({ name: `zk-ligero ${t.name}`, log2: roundUp(t.log2 + 1e-9), formula: t.formula, citation: t.citation }));
}
