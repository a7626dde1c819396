/**
 * Lookup tables: what the verifier knows about a table T, and how it evaluates T's folded
 * multilinear extension (PROTOCOL-NOTES §5).
 *
 * A table has 2^b rows of W-wide tuples (t_0, …, t_{W−1}); a lookup folds a tuple with a
 * challenge β as t_0 + β·t_1 + … + β^{W−1}·t_{W−1}, so the folded MLE is Σ_w β^w·t~_w(x).
 *   - range [0, 2^b), b ≤ 16, W = 1: row i holds i, so t~(x) = Σ_j 2^j·x_j — O(b) for the verifier
 *     (exact: the MLE of the identity on {0,1}^b is that linear form, as both agree on the cube);
 *   - function tables: explicit columns (e.g. (t, f(t))), up to 2^16 rows, any width; the
 *     verifier evaluates each column's MLE with one eq table, O(2^b).
 * The first column of a function table is its key: its entries must be distinct, which makes a
 * folded tuple (a, g) a member only when g = f(a) (up to the ≤ W/|K| folding error).
 *   - committed tables (`./indexed.ts`): rows (v, E[v, ·]) of a committed parameter matrix E[V, d],
 *     W = 2 after folding each row with a point ρ; the verifier knows only the key column (the
 *     identity, O(b) like a range) and receives the row column's MLE as a claim on E.
 */
import { kernels } from '../../field/active.js';
import { P } from '../../field/babybear.js';
import { type Ext, ext, extAdd, extMul, extMulBase } from '../../field/extension.js';
import { coord, eqTable, type Point } from '../../poly/multilinear.js';
import type { Transcript } from '../../transcript/transcript.js';

export const MAX_TABLE_BITS = 16;
export const MAX_TABLE_WIDTH = 8;

export interface RangeTable {
  kind: 'range';
  name: string;
  /** Rows 0 … 2^bits − 1. */
  bits: number;
}

export interface FunctionTable {
  kind: 'function';
  name: string;
  /** W columns of 2^b canonical values each; column 0 is the key (distinct entries). */
  columns: Uint32Array[];
}

/**
 * The rows (v, E[v, ·]) of a committed parameter E[rows, 2^rowVars] (padded layout), v < 2^bits;
 * rows ≥ `rows` are (v, 0), and 2^bits > rows so that row `rows` exists to pad the lookup side.
 */
export interface CommittedTable {
  kind: 'committed';
  name: string;
  /** the parameter tensor holding E */
  param: string;
  /** V: real rows */
  rows: number;
  /** log2 of E's padded row length (the variables ρ folds) */
  rowVars: number;
  /** table rows 2^bits, the least power of two above V */
  bits: number;
}

export type LookupTable = RangeTable | FunctionTable | CommittedTable;

/** Largest committed table: 2^20 rows (its verifier work is O(bits), its prover's O(2^bits · 2^rowVars)). */
export const MAX_COMMITTED_BITS = 20;

/** The committed table of parameter `param` with `rows` rows of 2^rowVars entries (padded). */
export function committedTable(param: string, rows: number, rowVars: number): CommittedTable {
  return checkTable({ kind: 'committed', name: `rows:${param}`, param, rows, rowVars, bits: Math.ceil(Math.log2(rows + 1)) }) as CommittedTable;
}

/** The range table [0, 2^bits). */
export function rangeTable(bits: number, name = `range${bits}`): RangeTable {
  if (!Number.isInteger(bits) || bits < 0 || bits > MAX_TABLE_BITS) {
    throw new RangeError(`range table: expected 0 ≤ bits ≤ ${MAX_TABLE_BITS}, got ${bits}`);
  }
  return { kind: 'range', name, bits };
}

/** The table of (t, f(t)) for the given inputs (length a power of two ≤ 2^16, distinct). */
export function functionTable(name: string, inputs: Uint32Array, f: (t: number) => number): FunctionTable {
  const out = new Uint32Array(inputs.length);
  for (let i = 0; i < inputs.length; i++) out[i] = f(inputs[i]);
  return checkTable({ kind: 'function', name, columns: [inputs, out] }) as FunctionTable;
}

/** Throws a RangeError unless the table is well formed (public boundary check). */
export function checkTable(t: LookupTable): LookupTable {
  if (t.kind === 'range') return rangeTable(t.bits, t.name);
  if (t.kind === 'committed') {
    if (!Number.isInteger(t.rows) || t.rows < 1 || t.bits !== Math.ceil(Math.log2(t.rows + 1)) || t.bits > MAX_COMMITTED_BITS) {
      throw new RangeError(`table ${t.name}: expected 1 ≤ rows < 2^${MAX_COMMITTED_BITS} and bits = ⌈log2(rows + 1)⌉, got ${t.rows} rows, ${t.bits} bits`);
    }
    if (!Number.isInteger(t.rowVars) || t.rowVars < 0 || t.rowVars > 16) throw new RangeError(`table ${t.name}: expected 0 ≤ rowVars ≤ 16, got ${t.rowVars}`);
    return t;
  }
  const w = t.columns.length;
  if (w < 1 || w > MAX_TABLE_WIDTH) throw new RangeError(`table ${t.name}: expected 1 ≤ width ≤ ${MAX_TABLE_WIDTH}, got ${w}`);
  const len = t.columns[0].length;
  const b = Math.log2(len);
  if (!Number.isInteger(b) || b > MAX_TABLE_BITS) {
    throw new RangeError(`table ${t.name}: expected a power-of-two row count ≤ 2^${MAX_TABLE_BITS}, got ${len}`);
  }
  for (const c of t.columns) {
    if (c.length !== len) throw new RangeError(`table ${t.name}: expected columns of ${len} rows, got ${c.length}`);
    for (let i = 0; i < c.length; i++) if (c[i] >= P) throw new RangeError(`table ${t.name}: value ${c[i]} at row ${i} is not canonical`);
  }
  return t;
}

export function tableBits(t: LookupTable): number {
  return t.kind === 'function' ? Math.log2(t.columns[0].length) : t.bits;
}

export function tableWidth(t: LookupTable): number {
  return t.kind === 'range' ? 1 : t.kind === 'committed' ? 2 : t.columns.length;
}

/** Entry (row, column w) of a public table (a committed table's entries are not public). */
export function tableEntry(t: RangeTable | FunctionTable, row: number, w: number): number {
  return t.kind === 'range' ? row : t.columns[w][row];
}

/** Binds the table's identity to the transcript: kind, name, shape and, for function tables, contents. */
export function absorbTable(tr: Transcript, label: string, t: LookupTable): void {
  tr.absorbBytes(`${label}/table-name`, new TextEncoder().encode(`${t.kind}:${t.name}`));
  tr.absorbNumber(`${label}/table-bits`, tableBits(t));
  tr.absorbNumber(`${label}/table-width`, tableWidth(t));
  if (t.kind === 'committed') {
    tr.absorbNumber(`${label}/table-rows`, t.rows);
    tr.absorbNumber(`${label}/table-row-vars`, t.rowVars);
  }
  if (t.kind === 'function') for (const c of t.columns) tr.absorbBase(`${label}/table-column`, c);
}

/** Powers 1, β, …, β^{W−1}. */
export function betaPowers(beta: Ext, w: number): Ext[] {
  const out: Ext[] = [ext(1)];
  for (let i = 1; i < w; i++) out.push(extMul(out[i - 1], beta));
  return out;
}

/**
 * Σ_w β^w·t~_w(x) for x ∈ K^b: O(b) for ranges, O(W·2^b) for function tables. A committed
 * table's key column only (the identity, as a range): its row column is a claim (`./indexed.ts`).
 */
export function evaluateTable(t: LookupTable, x: Point, beta: Ext): Ext {
  if (t.kind !== 'function') {
    let acc = ext();
    for (let j = 0; j < t.bits; j++) acc = extAdd(acc, extMulBase(coord(x, j), 2 ** j % P));
    return acc;
  }
  const eq = eqTable(x);
  const K = kernels();
  const pw = betaPowers(beta, t.columns.length);
  let acc = ext();
  t.columns.forEach((c, w) => {
    acc = extAdd(acc, extMul(pw[w], K.extDotBase(eq, c)));
  });
  return acc;
}

/**
 * Row of each tuple for the honest prover: a function (tuple values → row, or −1 if absent).
 * Function tables index their key column; a duplicate key is refused.
 */
export function rowFinder(t: RangeTable | FunctionTable): (tuple: ArrayLike<number>) => number {
  if (t.kind === 'range') {
    const size = 2 ** t.bits;
    return (tuple) => (tuple[0] < size ? tuple[0] : -1);
  }
  const key = new Map<number, number>();
  const c0 = t.columns[0];
  for (let i = 0; i < c0.length; i++) {
    if (key.has(c0[i])) throw new RangeError(`table ${t.name}: key ${c0[i]} appears at rows ${key.get(c0[i])} and ${i}`);
    key.set(c0[i], i);
  }
  const cols = t.columns;
  return (tuple) => {
    const r = key.get(tuple[0]);
    if (r === undefined) return -1;
    for (let w = 1; w < cols.length; w++) if (cols[w][r] !== tuple[w]) return -1;
    return r;
  };
}
