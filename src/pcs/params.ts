/**
 * Parameters of the tensor PCS and the soundness bound they are chosen from.
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
 * computes the least t that reaches the target bits for the actual layout, and the bits are
 * recorded in every proof. |K| = p^4 ≈ 2^123.6 caps the field term; layouts keep
 * N ≤ 2^18 so that it stays below 2^−100 (see PROTOCOL-NOTES §1 "The field term caps security").
 */
import { P } from '../field/babybear.js';

export const LOG2_EXT_FIELD = 4 * Math.log2(P);

export interface TensorPcsConfig {
  /** log2 of the inverse rate: 2 means rate 1/4. */
  logBlowup: number;
  /** Target security in bits. */
  securityBits: number;
  /**
   * Merged mode: v = eq(z_hi)ᵀM doubles as the proximity test and w is dropped. Sound only at
   * points drawn from the transcript after the commitment (PROTOCOL-NOTES §1 "Merging v and w").
   */
  merged: boolean;
  /** Largest codeword length exponent (N ≤ 2^maxLogCodeword), to keep the field term small. */
  maxLogCodeword: number;
}

export const DEFAULT_TENSOR_PCS_CONFIG: Readonly<TensorPcsConfig> = Object.freeze({
  logBlowup: 2,
  securityBits: 100,
  merged: false,
  maxLogCodeword: 18,
});

export interface TensorLayout {
  numVars: number;
  logCols: number;
  logRows: number;
  logBlowup: number;
  numQueries: number;
  merged: boolean;
}

/** −log2 ε of the bound above for one layout and query count. */
export function tensorSecurityBits(logCols: number, logRows: number, logBlowup: number, t: number): number {
  const C = 2 ** logCols;
  const N = C * 2 ** logBlowup;
  const d = N - C + 1;
  const e = Math.ceil(d / 3) - 1; // the largest integer < d/3
  const log2FieldTerm = logRows === 0 ? -Infinity : Math.log2(2 * logRows * (e + 1)) - LOG2_EXT_FIELD;
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
  for (let t = 1; t <= 4096; t++) if (tensorSecurityBits(logCols, logRows, logBlowup, t) >= bits) return t;
  throw new RangeError(
    `tensor PCS: ${bits} bits are unreachable with 2^${logCols} columns, 2^${logRows} rows at rate 2^-${logBlowup} (the extension-field term dominates)`,
  );
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
 * proof size, with N = C·2^logBlowup ≤ 2^maxLogCodeword.
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
    const t = chooseQueries(logCols, logRows, cfg.logBlowup, cfg.securityBits);
    const bytes = estimateProofBytes(logCols, logRows, cfg.logBlowup, t, cfg.merged);
    if (bytes < bestBytes) {
      bestBytes = bytes;
      best = { numVars, logCols, logRows, logBlowup: cfg.logBlowup, numQueries: t, merged: cfg.merged };
    }
  }
  return best!;
}
