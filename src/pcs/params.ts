/**
 * Parameters of the tensor PCS, the soundness bound they are chosen from, and the security
 * profiles that fix them.
 *
 * Bound (PROTOCOL-NOTES §1, the form coded in Binius `tensor_pcs.rs` calculate_error_bound):
 * for a Reed–Solomon code of length N = C·2^logBlowup, dimension C, distance d = N − C + 1,
 * proximity parameter e < d/3 (Ligero journal ePrint 2022/1608 / Brakedown GLS+21 Thm B.7,
 * with the tensor-form combination γ = eq(g) of Diamond–Posen ePrint 2023/630, whose field
 * term is 2ℓ(e+1)/|K| for ℓ = log2(rows)):
 *
 *   ε ≤ max( 2ℓ(e+1)/|K| + (1 − e/N)^t ,  (1 − (d − e)/N)^t ).
 *
 * At rate 1/4, e/N → 1/4, so t = 241 queries give (3/4)^241 = 2^−100.03. `chooseQueries`
 * computes the least t that reaches the target bits for the actual layout. |K| = p^4 ≈ 2^123.6
 * caps the field term; layouts keep N ≤ 2^18 (see PROTOCOL-NOTES §1 "The field term caps
 * security"), and `chooseLayout` skips any column count whose field term alone misses the target.
 *
 * Profiles. A receipt's security is the composed bound of `circuit/security.ts` (every sumcheck,
 * lookup, batching and both PCS openings, union-bounded), not one opening's. A profile names the
 * composed target λ and gives each of the receipt's two openings the per-opening target
 * λ + PCS_MARGIN_BITS: together they spend 2·2^−(λ+3) = 2^−(λ+2), a quarter of the 2^−λ budget,
 * leaving three quarters for the circuit's field terms (the LogUp fingerprints dominate). More
 * queries are the cheap lever (t = 249 instead of 241 at rate 1/4: +3% of the column openings);
 * the quintic extension would be the other one, and only it reaches λ = 128 (see
 * `profileConfig`). The per-opening target is `securityBits` of the config, which the model ID
 * hashes, so a profile change changes every model ID.
 */
import { P } from '../field/babybear.js';

export const LOG2_EXT_FIELD = 4 * Math.log2(P);

export interface TensorPcsConfig {
  /** log2 of the inverse rate: 2 means rate 1/4. */
  logBlowup: number;
  /** Per-opening target security in bits (λ + PCS_MARGIN_BITS for a profile's composed target λ). */
  securityBits: number;
  /**
   * Merged mode: v = eq(z_hi)ᵀM doubles as the proximity test and w is dropped. Sound only at
   * points drawn from the transcript after the commitment (PROTOCOL-NOTES §1 "Merging v and w").
   */
  merged: boolean;
  /** Largest codeword length exponent (N ≤ 2^maxLogCodeword), to keep the field term small. */
  maxLogCodeword: number;
}

/** Bits each PCS opening gets beyond the profile's composed target (see the header). */
export const PCS_MARGIN_BITS = 3;

/** Composed security targets a profile may name; 100 is the default. */
export const SECURITY_PROFILES = [100, 128] as const;
export type SecurityProfile = (typeof SECURITY_PROFILES)[number];
export const DEFAULT_SECURITY_PROFILE: SecurityProfile = 100;

export const DEFAULT_TENSOR_PCS_CONFIG: Readonly<TensorPcsConfig> = Object.freeze({
  logBlowup: 2,
  securityBits: DEFAULT_SECURITY_PROFILE + PCS_MARGIN_BITS,
  merged: false,
  maxLogCodeword: 18,
});

/**
 * The PCS configuration of a profile. Only the 100-bit profile is served by this build: with
 * the quartic extension every field term is ≥ 1/|K| = 2^−123.6 and a receipt has hundreds of
 * them, so 128 composed bits need a larger challenge field (BabyBear's quintic u^5 = 2, |K| ≈
 * 2^154.5), which the field kernels (four coefficients throughout) do not implement; callers get
 * `ProfileUnavailableError` with the figures (`circuit/security.ts` `assertProfileAvailable`).
 */
export function profileConfig(bits: number): Readonly<TensorPcsConfig> {
  if (bits === DEFAULT_SECURITY_PROFILE) return DEFAULT_TENSOR_PCS_CONFIG;
  if (!(SECURITY_PROFILES as readonly number[]).includes(bits)) throw new RangeError(`security profile: expected one of ${SECURITY_PROFILES.join(', ')}, got ${bits}`);
  return Object.freeze({ ...DEFAULT_TENSOR_PCS_CONFIG, securityBits: bits + PCS_MARGIN_BITS });
}

/** The composed target of the profile a PCS configuration belongs to (its per-opening target less the margin). */
export function targetBitsOf(cfg: Readonly<TensorPcsConfig>): number {
  return cfg.securityBits - PCS_MARGIN_BITS;
}

export interface TensorLayout {
  numVars: number;
  logCols: number;
  logRows: number;
  logBlowup: number;
  numQueries: number;
  merged: boolean;
}

/** log2 of the proximity test's field term 2ℓ(e+1)/|K| (−∞ for one row, ℓ = 0): the bound for t → ∞. */
export function tensorFieldTermLog2(logCols: number, logRows: number, logBlowup: number): number {
  const C = 2 ** logCols;
  const N = C * 2 ** logBlowup;
  const d = N - C + 1;
  const e = Math.ceil(d / 3) - 1; // the largest integer < d/3
  return logRows === 0 ? -Infinity : Math.log2(2 * logRows * (e + 1)) - LOG2_EXT_FIELD;
}

/** −log2 ε of the bound above for one layout and query count. */
export function tensorSecurityBits(logCols: number, logRows: number, logBlowup: number, t: number): number {
  const C = 2 ** logCols;
  const N = C * 2 ** logBlowup;
  const d = N - C + 1;
  const e = Math.ceil(d / 3) - 1; // the largest integer < d/3
  const log2FieldTerm = tensorFieldTermLog2(logCols, logRows, logBlowup);
  const log2Queries1 = t * Math.log2(1 - e / N);
  const log2Queries2 = t * Math.log2(1 - (d - e) / N);
  const term1 = log2AddExp(log2FieldTerm, log2Queries1);
  return -Math.max(term1, log2Queries2);
}

function log2AddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log2(2 ** (a - m) + 2 ** (b - m));
}

/** The least number of queries reaching `bits`, or throws if the field term makes it unreachable. */
export function chooseQueries(logCols: number, logRows: number, logBlowup: number, bits: number): number {
  const t = leastQueries(logCols, logRows, logBlowup, bits);
  if (t > 0) return t;
  throw new RangeError(
    `tensor PCS: ${bits} bits are unreachable with 2^${logCols} columns, 2^${logRows} rows at rate 2^-${logBlowup} (the extension-field term dominates)`,
  );
}

/** The least t ≤ 4096 reaching `bits`, or 0. */
function leastQueries(logCols: number, logRows: number, logBlowup: number, bits: number): number {
  if (-tensorFieldTermLog2(logCols, logRows, logBlowup) <= bits) return 0;
  for (let t = 1; t <= 4096; t++) if (tensorSecurityBits(logCols, logRows, logBlowup, t) >= bits) return t;
  return 0;
}

/** Estimated proof bytes of a layout (for choosing one; the real size is measured). */
function estimateProofBytes(logCols: number, logRows: number, logBlowup: number, t: number, merged: boolean): number {
  const C = 2 ** logCols;
  const logN = logCols + logBlowup;
  const unique = Math.min(t, 2 ** logN);
  const vw = (merged ? 1 : 2) * 16 * C;
  const columns = unique * 4 * 2 ** logRows;
  const pathNodes = unique * Math.max(0, logN - Math.floor(Math.log2(unique)));
  return vw + columns + 32 * pathNodes;
}

/**
 * The layout for a vector of 2^numVars elements: the column count minimising the estimated
 * proof size, with N = C·2^logBlowup ≤ 2^maxLogCodeword, among those that reach the target
 * (throws a RangeError naming the field term when none does).
 */
export function chooseLayout(numVars: number, cfg: TensorPcsConfig = DEFAULT_TENSOR_PCS_CONFIG): TensorLayout {
  if (!Number.isInteger(numVars) || numVars < 0 || numVars > 32) {
    throw new RangeError(`tensor PCS: expected 0 ≤ numVars ≤ 32, got ${numVars}`);
  }
  let best: TensorLayout | undefined;
  let bestBytes = Infinity;
  const maxLogCols = Math.min(numVars, cfg.maxLogCodeword - cfg.logBlowup);
  for (let logCols = 0; logCols <= maxLogCols; logCols++) {
    const logRows = numVars - logCols;
    const t = leastQueries(logCols, logRows, cfg.logBlowup, cfg.securityBits);
    if (t === 0) continue;
    const bytes = estimateProofBytes(logCols, logRows, cfg.logBlowup, t, cfg.merged);
    if (bytes < bestBytes) {
      bestBytes = bytes;
      best = { numVars, logCols, logRows, logBlowup: cfg.logBlowup, numQueries: t, merged: cfg.merged };
    }
  }
  if (!best) {
    const cap = Math.max(...Array.from({ length: maxLogCols + 1 }, (_, c) => -tensorFieldTermLog2(c, numVars - c, cfg.logBlowup)));
    throw new RangeError(
      `tensor PCS: ${cfg.securityBits} bits per opening are unreachable for 2^${numVars} elements at rate 2^-${cfg.logBlowup}: the extension-field term 2ℓ(e+1)/|K| (|K| = 2^${LOG2_EXT_FIELD.toFixed(1)}) caps every layout at ${cap.toFixed(2)} bits`,
    );
  }
  return best;
}
