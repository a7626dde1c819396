/**
 * The combinations the zero-knowledge Ligero tests compare, evaluated two ways:
 *
 *   verifier, at the opened columns j ∈ J:   Σ_a q_a(x_j)·E[a][j]           (linear test)
 *                                            Σ_r ρ_r·(E[X_r][j]·E[Y_r][j] − E[Z_r][j])   (quadratic)
 *                                            Σ_a γ_a·E[a][j]                 (proximity, masks aside)
 *   prover, on the coset g·⟨ω_M⟩ (M ≥ 2L − 1): the polynomials Σ_a q_a·p_a and Σ_r ρ_r·(p_X p_Y − p_Z),
 *                                            interpolated afterwards (their degrees are < M).
 *
 * q_a is the interpolant on H of row a's combined coefficients (`./zk-ligero-system.ts`). A
 * separable group costs the verifier one interpolant at the opened columns (an iNTT of size C and
 * folded NTTs, `PolynomialsAtColumns`) and O(t·rows) for the row weights; a row with many entries
 * is densified the same way;
 * a row with few entries uses ℓ_b(x_j) directly (`LagrangeOnCoset`), O(t) per entry. The prover
 * takes a group as one row combination in coefficient form times the column interpolant, a
 * dense row as a product of evaluations, a sparse entry as c·ℓ_b∘p_a on its coset. Both sides
 * compute the same polynomial identity, so the choice of path never changes a result.
 */
import { mul, sub } from '../field/babybear.js';
import { type Ext, ext, extAdd, extMul, extMulBase } from '../field/extension.js';
import { kernels } from '../field/active.js';
import { cosetEvaluateExt, deinterleave, interleave, interpolantOnCoset, PolynomialsAtColumns, LagrangeOnCoset } from './zk-ligero-code.js';
import { denseRow, type LinearTerms } from './zk-ligero-system.js';

export interface ColumnDims {
  logC: number;
  logN: number;
  /** words per opened column (all rows, tree A then tree B) */
  rows: number;
  /** opened column count |J| */
  t: number;
}

/**
 * Σ_a q_a(x_j)·col_j[a] for every opened column j ∈ J (`opened`: |J| columns of `rows` words,
 * tree A rows then tree B rows). Returns |J| K elements.
 */
export function linearAtColumns(terms: LinearTerms, d: ColumnDims, J: Uint32Array, opened: Uint32Array): Uint32Array {
  const { logC, logN, rows } = d;
  const C = 1 << logC;
  const N = 1 << logN;
  const q = J.length;
  const K = kernels();
  const acc = new Uint32Array(4 * q);
  const addAt = (k: number, v: Ext) => acc.set(extAdd(acc.subarray(4 * k, 4 * k + 4), v), 4 * k);
  const interp = new PolynomialsAtColumns(logC, logN, J);
  for (const g of terms.groups) {
    const vals = interp.interpolantAt(g.col);
    for (let k = 0; k < q; k++) {
      const s = K.extDotBase(g.rowWeights, opened.subarray(k * rows + g.row0, k * rows + g.row0 + g.rows));
      addAt(k, extMul(vals.subarray(4 * k, 4 * k + 4), s));
    }
  }
  // rows with entries: dense above the threshold, Lagrange below
  const threshold = Math.max(8, Math.ceil((N * logN) / (4 * Math.max(q, 1))));
  const sparseRows: number[] = [];
  let sparseCount = 0;
  for (let r = 0; r < rows; r++) {
    const cnt = terms.rowStart[r + 1] - terms.rowStart[r];
    if (cnt === 0) continue;
    if (cnt >= threshold) {
      const vals = interp.interpolantAt(denseRow(terms, r, C));
      for (let k = 0; k < q; k++) addAt(k, extMulBase(vals.subarray(4 * k, 4 * k + 4), opened[k * rows + r]));
    } else {
      sparseRows.push(r);
      sparseCount += cnt;
    }
  }
  if (sparseCount > 0) {
    // ℓ_b(x_j) = factor(j)·T[slot(b, j)]: the whole table when it is no larger than the slots needed
    const full = N <= sparseCount * q;
    const lag = new LagrangeOnCoset(logC, logN, full);
    let T: Uint32Array | undefined;
    if (!full) {
      const slots = new Uint32Array(sparseCount * q);
      let s = 0;
      for (const r of sparseRows) {
        for (let e = terms.rowStart[r]; e < terms.rowStart[r + 1]; e++) for (let k = 0; k < q; k++) slots[s++] = lag.slot(terms.col[e], J[k]);
      }
      T = LagrangeOnCoset.inverseAt(logN, slots);
    }
    // per row: f[k] = factor(j_k)·E[r][j_k]; per entry: acc += c·(f ∘ T[slot(b, j_k)]) (vector kernels)
    const f = new Uint32Array(q);
    const lb = new Uint32Array(q);
    let s = 0;
    for (const r of sparseRows) {
      for (let k = 0; k < q; k++) f[k] = mul(lag.factor(J[k]), opened[k * rows + r]);
      for (let e = terms.rowStart[r]; e < terms.rowStart[r + 1]; e++) {
        const b = terms.col[e];
        if (T) for (let k = 0; k < q; k++) lb[k] = T[s++];
        else for (let k = 0; k < q; k++) lb[k] = lag.tableAt(lag.slot(b, J[k]));
        K.mul(lb, lb, f);
        K.extMulAddBase(acc, lb, terms.coef.subarray(4 * e, 4 * e + 4));
      }
    }
  }
  return acc;
}

/** Σ_r ρ_r·(x_r·y_r − z_r) on one opened column (aux rows from `auxRow0`, 3 per triple). */
export function quadraticAtColumn(rho: Uint32Array, col: Uint32Array, auxRow0: number): Ext {
  let acc = ext();
  const n = rho.length >>> 2;
  for (let r = 0; r < n; r++) {
    const o = auxRow0 + 3 * r;
    const v = sub(mul(col[o], col[o + 1]), col[o + 2]);
    acc = extAdd(acc, extMulBase(rho.subarray(4 * r, 4 * r + 4), v));
  }
  return acc;
}

export interface CosetDims {
  logC: number;
  logM: number;
  L: number;
  /** tree A rows (the only rows separable groups address) */
  rowsA: number;
  rows: number;
}

/** Evaluations of committed row r on g·⟨ω_M⟩ (base, M words). */
export type RowEvals = (r: number) => Uint32Array;

/**
 * Σ_i weights_i·p_{row0+i} in coefficient form (K, L coefficients, interleaved) for tree-A rows
 * row0 .. row0 + rows − 1 (a separable group's rows, always inside one tree).
 */
export type RowCombiner = (row0: number, rows: number, weights: Uint32Array) => Uint32Array;

/** The combiner of one coefficient matrix (rows × L). */
function matrixCombiner(coeffs: Uint32Array, L: number): RowCombiner {
  return (row0, rows, weights) => {
    const comb = new Uint32Array(4 * L);
    kernels().combineRows(comb, coeffs.subarray(row0 * L, (row0 + rows) * L), weights, L);
    return comb;
  };
}

/**
 * Evaluations on g·⟨ω_M⟩ of Σ_a q_a·p_a (component-major K, 4 × M), from tree A's coefficient
 * rows (`coeffsA`: one matrix, rowsA × L, or a combiner over several trees; for the separable
 * groups) and every row's evaluations.
 */
export function linearOnCoset(terms: LinearTerms, d: CosetDims, coeffsA: Uint32Array | RowCombiner, rowEvals: RowEvals): Uint32Array {
  const { logC, logM, L } = d;
  const C = 1 << logC;
  const M = 1 << logM;
  const K = kernels();
  const combine = coeffsA instanceof Uint32Array ? matrixCombiner(coeffsA, L) : coeffsA;
  const accI = new Uint32Array(4 * M); // interleaved accumulator
  const accC = new Uint32Array(4 * M); // component-major accumulator
  const tmp = new Uint32Array(4 * M);
  for (const g of terms.groups) {
    const comb = combine(g.row0, g.rows, g.rowWeights);
    const rowPart = interleave(cosetEvaluateExt(comb, logM), M);
    const colPart = interleave(interpolantOnCoset(g.col, logC, logM), M);
    K.extMul(tmp, rowPart, colPart);
    K.extAdd(accI, accI, tmp);
  }
  // a dense row costs an interpolant (8 NTTs of size ≤ M), a sparse entry about 1/20 of that (measured)
  const threshold = Math.max(4, Math.ceil(1.5 * logM));
  let lag: LagrangeOnCoset | undefined;
  const basis = new Uint32Array(M);
  const part = new Uint32Array(M);
  for (let r = 0; r < d.rows; r++) {
    const cnt = terms.rowStart[r + 1] - terms.rowStart[r];
    if (cnt === 0) continue;
    const p = rowEvals(r);
    if (cnt >= threshold) {
      const q = interpolantOnCoset(denseRow(terms, r, C), logC, logM);
      for (let c = 0; c < 4; c++) {
        const qc = q.subarray(c * M, (c + 1) * M);
        K.mul(qc, qc, p);
        K.add(accC.subarray(c * M, (c + 1) * M), accC.subarray(c * M, (c + 1) * M), qc);
      }
    } else {
      lag ??= new LagrangeOnCoset(logC, logM, true);
      for (let e = terms.rowStart[r]; e < terms.rowStart[r + 1]; e++) {
        lag.basisInto(basis, terms.col[e]);
        K.mul(part, basis, p);
        K.extMulAddBase(accI, part, terms.coef.subarray(4 * e, 4 * e + 4));
      }
    }
  }
  const out = deinterleave(accI, M);
  K.add(out, out, accC);
  return out;
}

/** Evaluations on g·⟨ω_M⟩ of Σ_r ρ_r·(p_X·p_Y − p_Z) (component-major K, 4 × M). */
export function quadraticOnCoset(rho: Uint32Array, logM: number, auxRow0: number, rowEvals: RowEvals): Uint32Array {
  const M = 1 << logM;
  const K = kernels();
  const acc = new Uint32Array(4 * M);
  const v = new Uint32Array(M);
  for (let r = 0; r < rho.length >>> 2; r++) {
    const o = auxRow0 + 3 * r;
    K.mul(v, rowEvals(o), rowEvals(o + 1));
    K.sub(v, v, rowEvals(o + 2));
    K.extMulAddBase(acc, v, rho.subarray(4 * r, 4 * r + 4));
  }
  return deinterleave(acc, M);
}
