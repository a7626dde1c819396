/**
 * Number-theoretic transforms over BabyBear and Reed–Solomon encoding.
 *
 * `ntt(a)` evaluates the polynomial with coefficients a (length N = 2^n, n ≤ 27) on the
 * order-N subgroup ⟨ω⟩ in natural order: â[j] = Σ_b a[b]·ω^{jb}; `intt` inverts it.
 * `rsEncodeRows` encodes each length-C row as the evaluations of its degree-<C polynomial on
 * the order-(C·2^logBlowup) subgroup — the Reed–Solomon code of rate 2^−logBlowup used by the
 * tensor PCS (PROTOCOL-NOTES §1: E[a][j] = Σ_b M[a][b]·ω^{jb}). Any C positions of a codeword
 * determine it, so two distinct codewords differ in ≥ N − C + 1 places (minimum distance).
 */
import { TWO_ADICITY } from './babybear.js';
import { kernels } from './active.js';

function checkLength(len: number, what: string): number {
  const logN = Math.log2(len);
  if (!Number.isInteger(logN) || logN > TWO_ADICITY) {
    throw new RangeError(`${what}: expected a power-of-two length ≤ 2^${TWO_ADICITY}, got ${len}`);
  }
  return logN;
}

/** In-place forward NTT of a power-of-two-length vector (natural order in and out). */
export function ntt(a: Uint32Array): Uint32Array {
  const logN = checkLength(a.length, 'ntt');
  kernels().nttBatch(a, 1, logN, false);
  return a;
}

/** In-place inverse NTT. */
export function intt(a: Uint32Array): Uint32Array {
  const logN = checkLength(a.length, 'intt');
  kernels().nttBatch(a, 1, logN, true);
  return a;
}

/**
 * Reed–Solomon encodes `rows` rows of length 2^logCols (row-major `m`) at rate
 * 2^−logBlowup: returns a rows × 2^(logCols+logBlowup) row-major matrix of evaluations.
 */
export function rsEncodeRows(m: Uint32Array, rows: number, logCols: number, logBlowup: number): Uint32Array {
  const cols = 1 << logCols;
  if (m.length !== rows * cols) {
    throw new RangeError(`rsEncodeRows: expected ${rows}×${cols} = ${rows * cols} elements, got ${m.length}`);
  }
  const logN = logCols + logBlowup;
  checkLength(1 << logN, 'rsEncodeRows');
  const n = 1 << logN;
  const out = new Uint32Array(rows * n);
  for (let r = 0; r < rows; r++) out.set(m.subarray(r * cols, (r + 1) * cols), r * n);
  kernels().nttBatch(out, rows, logN, false);
  return out;
}
