/**
 * Shared helpers of the zero-knowledge Ligero tests: seeded randomness, random satisfied
 * constraint systems, transcript doubles (a programmable one for the simulator, a flawed one for
 * the Fiat–Shamir harness), one-call prove/verify with fresh transcripts, for one commitment
 * and for several, and the simulator of a proof over several commitments (`simulateMulti`).
 */
import { P, add, inv, mul, pow, sub } from '../../src/field/babybear.js';
import { type Ext, ext, extAdd, extMulBase, extSub } from '../../src/field/extension.js';
import { kernels } from '../../src/field/active.js';
import { evaluateBase } from '../../src/poly/multilinear.js';
import { Transcript } from '../../src/transcript/transcript.js';
import type { ConstraintSystem, SparseLinear, TensorLinear } from '../../src/pcs/constraints.js';
import {
  absorbZkCommitment,
  commitZkLigero,
  proveZkLigero,
  proveZkLigeroMulti,
  treeBRows,
  verifyZkLigero,
  verifyZkLigeroMulti,
  type ZkLigeroCommitment,
  type ZkLigeroMultiProof,
  type ZkLigeroProof,
  type ZkLigeroProverData,
  type ZkProveOptions,
  type ZkTreeOpening,
} from '../../src/pcs/zk-ligero.js';
import { buildMerkleTree, merkleOpen, merkleRoot } from '../../src/hash/merkle.js';
import { codePoint, componentAt, cosetEvaluateExt, deinterleave, interleave, sumOverH } from '../../src/pcs/zk-ligero-code.js';
import { SALT_BYTES, saltedLeaf } from '../../src/pcs/zk-ligero-columns.js';
import { linearAtColumns, quadraticAtColumn } from '../../src/pcs/zk-ligero-eval.js';
import { MASK_ROWS, ROW_LIN_A, ROW_LIN_B, ROW_QUAD_0, ROW_QUAD_1, randomBytes, randomField, type RandomSource } from '../../src/pcs/zk-ligero-masks.js';
import { codeShape, sharedCodeParams, type ZkLigeroParams } from '../../src/pcs/zk-ligero-params.js';
import { linearTerms, linearWeights, numLinearConstraints, vectorLayout, weightVars } from '../../src/pcs/zk-ligero-system.js';
import type { VerifyResult } from '../../src/util/result.js';
import { Rng } from '../support/random.js';

export const PROTOCOL = 'zk-ligero-test';

/** The transcript operations of a commitment absorb and one proof, in order. */
export const GOLDEN_LABELS = [
  'absorb:zkl/root',
  'absorb:zkl/length',
  'absorb:zkl/log-cols',
  'absorb:zkl/randomness',
  'absorb:zkl/log-codeword',
  'absorb:zkl/queries',
  'absorb:zkl/system',
  'absorb:zkl/root-b',
  'absorb:zkl/rows-b',
  'squeeze:zkl/proximity',
  'absorb:zkl/p0',
  'squeeze:zkl/linear-scale',
  'squeeze:zkl/linear',
  'absorb:zkl/q-lin',
  'squeeze:zkl/quadratic',
  'absorb:zkl/q-quad',
  'squeeze:zkl/columns',
];


/** A deterministic RandomSource (xorshift; tests only). */
export function seeded(seed: number): RandomSource {
  const r = new Rng(seed);
  return (out) => {
    for (let i = 0; i < out.length; i += 4) {
      const w = r.u32();
      out[i] = w & 0xff;
      if (i + 1 < out.length) out[i + 1] = (w >>> 8) & 0xff;
      if (i + 2 < out.length) out[i + 2] = (w >>> 16) & 0xff;
      if (i + 3 < out.length) out[i + 3] = w >>> 24;
    }
  };
}

/** Small parameters for fast tests: C = 2^logCols, k = t + margin, N = the least power of two ≥ 4(C + k). */
export function smallParams(logCols: number, t: number, margin = 2): ZkLigeroParams {
  const k = t + margin;
  return { logCols, randomness: k, logCodeword: Math.ceil(Math.log2(4 * (2 ** logCols + k))), queries: t };
}

export function sparseSum(w: Uint32Array, index: Uint32Array, coeffs: Uint32Array): Ext {
  let acc: Ext = ext();
  for (let i = 0; i < index.length; i++) acc = extAdd(acc, extMulBase(coeffs.subarray(4 * i, 4 * i + 4), w[index[i]]));
  return acc;
}

export function mulP(a: number, b: number): number {
  return Number((BigInt(a) * BigInt(b)) % BigInt(P));
}

export interface SystemSpec {
  linear?: number;
  /** terms per sparse constraint */
  terms?: number;
  /** tensor constraints as [numVars, segment index] */
  tensor?: [number, number][];
  /** extra terms on each tensor constraint */
  tensorExtra?: number;
  /** Hadamard blocks [x, y, z, len]; z's entries of w are overwritten with x∘y */
  hadamard?: [number, number, number, number][];
  /** use base-field coefficients only (K coefficients otherwise) */
  baseCoeffs?: boolean;
}

/**
 * A system that w satisfies: sparse constraints with random K coefficients on random entries,
 * tensor constraints on the given segments, Hadamard blocks (w is modified so that they hold).
 * Every rhs is computed from w, so the system holds exactly.
 */
export function satisfiedSystem(r: Rng, w: Uint32Array, spec: SystemSpec): ConstraintSystem {
  const n = w.length;
  const coeff = (m: number) => {
    const c = r.extVec(m);
    if (spec.baseCoeffs) for (let i = 0; i < m; i++) c[4 * i + 1] = c[4 * i + 2] = c[4 * i + 3] = 0;
    return c;
  };
  const hadamard = (spec.hadamard ?? []).map(([x, y, z, len]) => ({ x, y, z, len }));
  for (const h of hadamard) for (let i = 0; i < h.len; i++) w[h.z + i] = mulP(w[h.x + i], w[h.y + i]);
  const linear: SparseLinear[] = [];
  for (let k = 0; k < (spec.linear ?? 0); k++) {
    const m = 1 + r.int(spec.terms ?? 4);
    const index = Uint32Array.from({ length: m }, () => r.int(n));
    const coeffs = coeff(m);
    linear.push({ index, coeffs, rhs: sparseSum(w, index, coeffs) });
  }
  const tensor: TensorLinear[] = [];
  for (const [m, seg] of spec.tensor ?? []) {
    const offset = seg * 2 ** m;
    const point = r.extVec(m);
    const e = spec.tensorExtra ?? 0;
    const index = Uint32Array.from({ length: e }, () => r.int(n));
    const coeffs = coeff(e);
    const rhs = extAdd(evaluateBase(w.slice(offset, offset + 2 ** m), point), sparseSum(w, index, coeffs));
    tensor.push({ offset, numVars: m, point, extra: { index, coeffs }, rhs });
  }
  return { linear, tensor, hadamard };
}

export function freshTranscript(c: ZkLigeroCommitment, protocol = PROTOCOL): Transcript {
  const tr = new Transcript(protocol);
  absorbZkCommitment(tr, c);
  return tr;
}

export interface Proved {
  commitment: ZkLigeroCommitment;
  data: ZkLigeroProverData;
  proof: ZkLigeroProof;
}

export function commitAndProve(w: Uint32Array, params: ZkLigeroParams, sys: ConstraintSystem, seed: number, opts: ZkProveOptions = {}): Proved {
  const { commitment, data } = commitZkLigero(w, params, seeded(seed));
  const proof = proveZkLigero(data, sys, freshTranscript(commitment), opts);
  return { commitment, data, proof };
}

export function verifyFresh(c: ZkLigeroCommitment, sys: ConstraintSystem, proof: ZkLigeroProof, minBits = 0): VerifyResult {
  return verifyZkLigero(c, sys, proof, freshTranscript(c), { minBits });
}

export function cloneProof(p: ZkLigeroProof): ZkLigeroProof {
  return {
    ...p,
    rootB: p.rootB.slice(),
    p0: p.p0.slice(),
    qLin: p.qLin.slice(),
    qQuad: p.qQuad.slice(),
    columnsA: p.columnsA.slice(),
    columnsB: p.columnsB.slice(),
    saltsA: p.saltsA.slice(),
    saltsB: p.saltsB.slice(),
    merkleA: p.merkleA.slice(),
    merkleB: p.merkleB.slice(),
  };
}

// ---- several commitments ------------------------------------------------------------------------

/** The parts of a concatenated vector, by length. */
export function splitVector(w: Uint32Array, lengths: readonly number[]): Uint32Array[] {
  let o = 0;
  return lengths.map((n) => w.slice(o, (o += n)));
}

/** A transcript that absorbed every commitment, in order (as their callers did when they were made). */
export function freshMultiTranscript(cs: readonly ZkLigeroCommitment[], protocol = PROTOCOL): Transcript {
  const tr = new Transcript(protocol);
  for (const c of cs) absorbZkCommitment(tr, c);
  return tr;
}

export interface ProvedMulti {
  commitments: ZkLigeroCommitment[];
  datas: ZkLigeroProverData[];
  proof: ZkLigeroMultiProof;
}

/** Commits each part (part i with params[i] and seed + i) and proves `sys` over their concatenation. */
export function commitAndProveMulti(parts: readonly Uint32Array[], params: readonly ZkLigeroParams[], sys: ConstraintSystem, seed: number, opts: ZkProveOptions = {}): ProvedMulti {
  const made = parts.map((w, i) => commitZkLigero(w, params[i], seeded(seed + i)));
  const commitments = made.map((m) => m.commitment);
  const datas = made.map((m) => m.data);
  const proof = proveZkLigeroMulti(datas, sys, freshMultiTranscript(commitments), opts);
  return { commitments, datas, proof };
}

export function verifyMultiFresh(cs: readonly ZkLigeroCommitment[], sys: ConstraintSystem, proof: ZkLigeroMultiProof, minBits = 0): VerifyResult {
  return verifyZkLigeroMulti(cs, sys, proof, freshMultiTranscript(cs), { minBits });
}

export function cloneMultiProof(p: ZkLigeroMultiProof): ZkLigeroMultiProof {
  const tree = (o: ZkLigeroMultiProof['b']) => ({ columns: o.columns.slice(), salts: o.salts.slice(), merkle: o.merkle.slice() });
  return { ...p, rootB: p.rootB.slice(), p0: p.p0.slice(), qLin: p.qLin.slice(), qQuad: p.qQuad.slice(), a: p.a.map(tree), b: tree(p.b) };
}

/**
 * A transcript double whose challenges are programmed: absorbs are recorded (labels only) and
 * ignored, each challenge returns the next value queued under its label (the simulator's
 * random-oracle programming). Throws on an unexpected label or count.
 */
export class ProgrammedTranscript extends Transcript {
  private readonly queue = new Map<string, Uint32Array[]>();
  readonly labels: string[] = [];
  /** every programmed value, by label (the last one) */
  readonly programmed = new Map<string, Uint32Array>();
  constructor() {
    super('programmed');
  }
  program(label: string, value: Uint32Array): this {
    const q = this.queue.get(label) ?? [];
    q.push(value);
    this.queue.set(label, q);
    this.programmed.set(label, value);
    return this;
  }
  /** Replaces the next value queued under `label` (a tamper test's changed challenge). */
  reprogram(label: string, value: Uint32Array): this {
    const q = this.queue.get(label);
    if (!q || q.length === 0) throw new Error(`programmed transcript: nothing queued under '${label}'`);
    q[0] = value;
    return this;
  }
  private next(label: string, words: number): Uint32Array {
    const v = this.queue.get(label)?.shift();
    if (!v) throw new Error(`programmed transcript: no value for '${label}'`);
    if (v.length !== words) throw new Error(`programmed transcript: '${label}' wants ${words} words, programmed ${v.length}`);
    this.labels.push(`squeeze:${label}`);
    return v.slice();
  }
  override absorbBytes(label: string): void {
    this.labels.push(`absorb:${label}`);
  }
  override absorbBase(label: string): void {
    this.labels.push(`absorb:${label}`);
  }
  override absorbExt(label: string): void {
    this.labels.push(`absorb:${label}`);
  }
  override absorbU64(label: string): void {
    this.labels.push(`absorb:${label}`);
  }
  override absorbNumber(label: string): void {
    this.labels.push(`absorb:${label}`);
  }
  override challengeExt(label: string): Uint32Array {
    return this.next(label, 4);
  }
  override challengeExts(label: string, n: number): Uint32Array {
    return this.next(label, 4 * n);
  }
  override challengeIndices(label: string, count: number): Uint32Array {
    return this.next(label, count);
  }
}

/** A real transcript that records every challenge it hands out (the last one per label). */
export class RecordingTranscript extends Transcript {
  readonly drawn = new Map<string, Uint32Array>();
  override challengeExt(label: string): Uint32Array {
    const v = super.challengeExt(label);
    this.drawn.set(label, v);
    return v;
  }
  override challengeExts(label: string, n: number): Uint32Array {
    const v = super.challengeExts(label, n);
    this.drawn.set(label, v);
    return v;
  }
  override challengeIndices(label: string, count: number, n: number): Uint32Array {
    const v = super.challengeIndices(label, count, n);
    this.drawn.set(label, v);
    return v;
  }
}

/**
 * The flawed order of the Fiat–Shamir harness: a real transcript that skips the absorbs of the
 * test polynomials Q_lin and Q_quad, so the column indices do not depend on them.
 */
export class FlawedTranscript extends RecordingTranscript {
  override absorbExt(label: string, values: Uint32Array): void {
    if (label === 'zkl/q-lin' || label === 'zkl/q-quad') return;
    super.absorbExt(label, values);
  }
}

// ---- leak-test helpers ---------------------------------------------------------------------------

/** Solves Σ_i c_i·w[idx_i] = rhs over F for the entries idx[0..4) given the others (4 F equations). */
export function solveFour(w: Uint32Array, idx: ArrayLike<number>, coeffs: Uint32Array, rhs: Ext): void {
  let res: Ext = rhs;
  for (let i = 4; i < idx.length; i++) res = extSub(res, extMulBase(coeffs.subarray(4 * i, 4 * i + 4), w[idx[i]]));
  // rows = u-components, columns = unknowns
  const A = Array.from({ length: 4 }, (_, row) => [...Array.from({ length: 4 }, (_, col) => coeffs[4 * col + row]), res[row]]);
  for (let c = 0; c < 4; c++) {
    const piv = A.findIndex((row, i) => i >= c && row[c] !== 0);
    if (piv < 0) throw new Error('solveFour: singular 4×4 system');
    [A[c], A[piv]] = [A[piv], A[c]];
    const iv = inv(A[c][c]);
    A[c] = A[c].map((x) => mul(x, iv));
    for (let rr = 0; rr < 4; rr++) if (rr !== c && A[rr][c] !== 0) {
      const f = A[rr][c];
      A[rr] = A[rr].map((x, i) => sub(x, mul(f, A[c][i])));
    }
  }
  for (let i = 0; i < 4; i++) w[idx[i]] = A[i][4];
}

/** Two-sample Kolmogorov–Smirnov statistic (ties handled: both sides advance past a value). */
export function ks(a: Uint32Array, b: Uint32Array): number {
  const x = a.slice().sort();
  const y = b.slice().sort();
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] === v) i++;
    while (j < y.length && y[j] === v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/** The per-comparison false-alarm rate of the leak tests. */
export const ALPHA = 1e-6;
/** The two-sample KS critical value at ALPHA. */
export function ksCritical(n1: number, n2: number): number {
  return Math.sqrt(-Math.log(ALPHA / 2) / 2) * Math.sqrt((n1 + n2) / (n1 * n2));
}

/** Values on H of a K polynomial (interleaved coefficients): fold mod X^C − 1, then an NTT of size C. */
export function onH(poly: Uint32Array, logC: number): Uint32Array {
  const C = 1 << logC;
  const folded = new Uint32Array(4 * C);
  for (let i = 0; i < poly.length >>> 2; i++) for (let c = 0; c < 4; c++) folded[4 * (i & (C - 1)) + c] = add(folded[4 * (i & (C - 1)) + c], poly[4 * i + c]);
  const comps = deinterleave(folded, C);
  kernels().nttBatch(comps, 4, logC, false);
  return interleave(comps, C);
}

// ---- the simulator -------------------------------------------------------------------------------

/**
 * The simulator of a zero-knowledge Ligero proof over several commitments (the argument of
 * src/pcs/zk-ligero.ts's header): from the statement, the vectors' lengths and the parameters
 * only, uniform challenges (programmed into `tr`), uniform openings of every row of the trees A,
 * of the copy rows and of the free mask rows (b, c1), the test polynomials uniform on their
 * constraint spaces, the openings of a, c0 and m solved from the column identities, random salts
 * and random unopened leaves. Returns the commitments (their roots), the proof and `tr`.
 */
export function simulateMulti(lengths: number[], sys: ConstraintSystem, ps: ZkLigeroParams[], rng: RandomSource, tr = new ProgrammedTranscript()): { commitments: ZkLigeroCommitment[]; proof: ZkLigeroMultiProof; tr: ProgrammedTranscript } {
  const s = codeShape(sharedCodeParams(ps));
  const { C, L, N, logC, logN, k, t } = s;
  const layout = vectorLayout(lengths, logC);
  const rowsA = layout.rowBases[lengths.length];
  const rowsB = treeBRows(sys, logC);
  const rows = rowsA + rowsB;
  const triples = (rowsB - MASK_ROWS) / 3;
  const M = numLinearConstraints(sys);
  const ranExt = (n: number) => randomField(rng, 4 * n);
  const gamma = ranExt(rows - 4);
  const beta = ranExt(1);
  const tau = ranExt(weightVars(M));
  const rho = ranExt(triples);
  const draws = randomField(rng, t).map((x) => x & (N - 1));
  const J = Uint32Array.from(new Set(draws)).sort();
  const q = J.length;
  const terms = linearTerms(sys, { logC, rowsA, rows, layout }, linearWeights(beta, tau, M));
  const p0 = ranExt(L);
  const qLin = ranExt(s.linDegree);
  qLin.set(ext(), 0);
  qLin.set(extMulBase(extSub(terms.target, sumOverH(qLin, logC)), inv(C)), 0);
  const g = ranExt(s.quadDegree - C);
  const qQuad = new Uint32Array(4 * s.quadDegree);
  for (let i = 0; i < g.length; i++) {
    qQuad[i] = sub(qQuad[i], g[i]);
    qQuad[i + 4 * C] = add(qQuad[i + 4 * C], g[i]);
  }
  const opened = randomField(rng, q * rows);
  const eP0 = cosetEvaluateExt(p0, logN);
  const eLin = cosetEvaluateExt(qLin, logN);
  const eQuad = cosetEvaluateExt(qQuad, logN);
  const lin = linearAtColumns(terms, { logC, logN, rows, t: q }, J, opened);
  const K = kernels();
  for (let i = 0; i < q; i++) {
    const j = J[i];
    const colB = opened.subarray(i * rows + rowsA, (i + 1) * rows);
    const x = codePoint(logN, j);
    const zh = sub(pow(x, C), 1);
    colB.set(extSub(extSub(componentAt(eLin, N, j), lin.subarray(4 * i, 4 * i + 4)), extMulBase(colB.subarray(ROW_LIN_B, ROW_LIN_B + 4), zh)), ROW_LIN_A);
    const c0 = extSub(componentAt(eQuad, N, j), quadraticAtColumn(rho, colB, MASK_ROWS));
    colB.set(extSub(extMulBase(c0, inv(zh)), extMulBase(colB.subarray(ROW_QUAD_1, ROW_QUAD_1 + 4), pow(x, k - 1))), ROW_QUAD_0);
    const colA = opened.subarray(i * rows, i * rows + rowsA);
    const rest = extAdd(K.extDotBase(gamma.subarray(0, 4 * rowsA), colA), K.extDotBase(gamma.subarray(4 * rowsA), colB.subarray(4)));
    colB.set(extSub(componentAt(eP0, N, j), rest), 0);
  }
  const tree = (off: number, width: number): ZkTreeOpening & { root: Uint8Array } => {
    const leaves = randomBytes(rng, 32 * N);
    const salts = randomBytes(rng, q * SALT_BYTES);
    const columns = new Uint32Array(q * width);
    for (let i = 0; i < q; i++) {
      columns.set(opened.subarray(i * rows + off, i * rows + off + width), i * width);
      leaves.set(saltedLeaf(salts.subarray(SALT_BYTES * i), columns.subarray(i * width, (i + 1) * width)), 32 * J[i]);
    }
    const mt = buildMerkleTree(leaves);
    return { root: merkleRoot(mt), columns, salts, merkle: merkleOpen(mt, J).nodes };
  };
  const a = lengths.map((_, i) => tree(layout.rowBases[i], layout.rowBases[i + 1] - layout.rowBases[i]));
  const b = tree(rowsA, rowsB);
  tr.program('zkl/proximity', gamma).program('zkl/linear-scale', beta).program('zkl/linear', tau).program('zkl/quadratic', rho).program('zkl/columns', draws);
  const commitments = lengths.map((length, i) => ({ root: a[i].root, length, params: ps[i] }));
  const proof: ZkLigeroMultiProof = { rowsB, rootB: b.root, p0, qLin, qQuad, a: a.map(({ columns, salts, merkle }) => ({ columns, salts, merkle })), b: { columns: b.columns, salts: b.salts, merkle: b.merkle } };
  return { commitments, proof, tr };
}
