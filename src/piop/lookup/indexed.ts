/**
 * Indexed lookups into a committed table: the LogUp instance (`./logup.ts`) of a `CommittedTable`,
 * which proves O[t, ·] = E[idx_t, ·] for a committed parameter matrix E[V, d] (an embedding), a
 * committed index vector idx and a committed output O — the row bound to the committed weights,
 * the index range-checked by the lookup itself.
 *
 * Construction (LogUp, Haböck ePrint 2022/1530, with the rows folded first). After every
 * commitment the verifier draws ρ ∈ K^k (k = log2 of E's padded row length) besides α, β; a row r
 * of 2^k entries folds to r(ρ) = Σ_j eq(ρ, j)·r_j, its MLE at ρ. The tuples are
 *   lookup side: (idx_t, O_t(ρ)),   table side: (v, E_v(ρ)) for v < 2^b,
 * folded with β as usual (e = key + β·row(ρ)); rows v ≥ V of the table are (v, 0) (E's padding).
 * After the GKR the verifier needs, at its final point x* (x = x*_{<ℓ} on the lookup columns,
 * x_b = x*_{<b} on the table):
 *   - the key columns: idx~(x) (a claim on idx) and, for the table, ṽ(x_b) = Σ_j 2^j·x_{b,j} (computed);
 *   - the row columns: Σ_t eq(x, t)·O_t(ρ) = O~(ρ ‖ x) — ONE claim on the output witness O; and
 *     Σ_v eq(x_b, v)·E_v(ρ) = E~(ρ ‖ x_{b,<b'})·eq(x_{b,≥b'}, 0) (b' = ⌈log2 V⌉, E's row variables):
 *     the prover sends e = E~(ρ ‖ x_{b,<b'}), absorbed after m~, and the verifier hands (ρ ‖ x_{b,<b'}, e)
 *     to the session as an ordinary claim on the parameter E, settled by the parameter batch opening
 *     (clear receipts) or linked to E's committed segment (zero-knowledge receipts, where e is padded).
 * The multiplicities m[2^b] are witness, committed before α, β, ρ (hidden in zk mode like every m).
 *
 * Why sound. If some tuple (idx_t, O_t) equals no (v, E_v) with v < 2^b, then for every v the
 * folded difference (idx_t − v) + β·(O_t − E_v)(ρ) is a non-zero polynomial in (β, ρ) of degree
 * ≤ 1 + k, so the LogUp identity fails except with probability (c·2^ℓ + 2^b)·(k + 1)/|K| over the
 * challenges (`fingerprintDegree`: the distinct poles times the fold's degree 1 + k in place of
 * W − 1 = 1; `lookupShape` reports W = k + 2). Out-of-range indices: a key matches only a v ∈ [0, 2^b) (as
 * field elements, so a negative index, p − |i|, matches nothing); the padding rows v ∈ [V, 2^b)
 * would admit idx_t = v with a zero O row, so the layer proving an embedding also range-checks
 * V − 1 − idx ∈ [0, 2^b) (`ops/proofs/embedding.ts`), which with idx ∈ [0, 2^b) gives idx < V.
 * The lookup side's padding (real slots past the columns, and the tensor layout's padding rows,
 * whose key column is shifted to V) uses the tuple (V, 0), which the verifier knows, rather than
 * row 0, whose E_0(ρ) it does not.
 */
import { kernels } from '../../field/active.js';
import { P as MOD } from '../../field/babybear.js';
import { type Ext, ext, extMul } from '../../field/extension.js';
import { concatPoints, eqAtIndex, type Point } from '../../poly/multilinear.js';
import { tableBits, type CommittedTable } from './tables.js';

/** b' = ⌈log2 V⌉: E's row variables in its padded layout (b' = b, or b − 1 when V is a power of two). */
export function committedRowBits(t: CommittedTable): number {
  return Math.ceil(Math.log2(t.rows));
}

/** u_i = Σ_j eq(ρ, j)·rows[i·2^k + j]: each 2^k-wide row folded into one ext value (4 words each). */
export function foldRows(rows: Uint32Array, eqRho: Uint32Array): Uint32Array {
  const w = eqRho.length >>> 2;
  const n = rows.length / w;
  const out = new Uint32Array(4 * n);
  const K = kernels();
  for (let i = 0; i < n; i++) out.set(K.extDotBase(eqRho, rows.subarray(i * w, (i + 1) * w)), 4 * i);
  return out;
}

/** The claim point on E: (ρ ‖ x_{<b'}). */
export function tableClaimPoint(t: CommittedTable, rho: Point, xTab: Point): Point {
  return concatPoints(rho, xTab.subarray(0, 4 * committedRowBits(t)));
}

/** E's zero-extended row column at x_b from e = E~(ρ ‖ x_{b,<b'}): e·eq(x_{b,≥b'}, 0). */
export function tableRowEval(t: CommittedTable, xTab: Point, e: Ext): Ext {
  return extMul(e, eqAtIndex(xTab.subarray(4 * committedRowBits(t)), 0));
}

/** The folded padding tuple (V, 0): V, known to the verifier. */
export function committedPadValue(t: CommittedTable): Ext {
  return ext(t.rows % MOD);
}

function rowEquals(rows: Uint32Array, i: number, table: Uint32Array, v: number, w: number): boolean {
  for (let j = 0; j < w; j++) if (rows[i * w + j] !== table[v * w + j]) return false;
  return true;
}

/**
 * Multiplicities of a committed-table instance: m[idx_t] per real lookup, the lookup side's
 * padding on row V. `lookups[j] = [keys (2^ℓ), rows (2^{ℓ+k})]`, `table` E's padded field vector.
 * `strict` (the honest prover): returns the first lookup whose row is not E[key] (or whose key is
 * no row) as `bad`; otherwise (forged-witness harnesses) counts every key below 2^b as given.
 */
export function committedMultiplicities(
  t: CommittedTable,
  lookups: Uint32Array[][],
  table: Uint32Array,
  strict: boolean,
): { m: Uint32Array; bad?: { lookup: number; position: number; tuple: number[] } } {
  const size = 2 ** tableBits(t);
  const w = 2 ** t.rowVars;
  const m = new Uint32Array(size);
  let total = 0;
  for (let j = 0; j < lookups.length; j++) {
    const [keys, rows] = lookups[j];
    total += keys.length;
    for (let i = 0; i < keys.length; i++) {
      const v = keys[i];
      const inE = v < t.rows;
      const ok = inE ? rowEquals(rows, i, table, v, w) : v < size && rows.subarray(i * w, (i + 1) * w).every((x) => x === 0);
      if (strict && !ok) return { m, bad: { lookup: j, position: i, tuple: [v, ...rows.subarray(i * w, Math.min((i + 1) * w, i * w + 8))] } };
      if (v < size) m[v]++;
    }
  }
  const ne = Math.log2(lookups[0][0].length) + Math.ceil(Math.log2(lookups.length));
  m[t.rows] += 2 ** Math.max(ne, tableBits(t)) - total;
  return { m };
}
