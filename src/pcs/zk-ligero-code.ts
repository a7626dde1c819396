/**
 * The hiding Reed–Solomon code of the zero-knowledge Ligero proof (`./zk-ligero.ts`), and the
 * polynomial arithmetic on its points that the prover, the verifier and the simulator share.
 *
 * Points. Messages live on H = ⟨ω_C⟩ (C = 2^logC, h_b = ω_C^b); codeword positions on the coset
 * D = g·⟨ω_N⟩, x_j = g·ω_N^j, with g = 31, a generator of F*: g ∉ ⟨ω_N⟩ ⊇ H, so D ∩ H = ∅ and
 * Z_H(x_j) = x_j^C − 1 ≠ 0 at every codeword position.
 *
 * Encoding. A row with message m ∈ F^C and randomness r ∈ F^k is the polynomial
 *
 *   p(X) = m̂(X) + Z_H(X)·r(X),   m̂ the interpolant of m on H (degree < C), deg r < k,
 *
 * of degree < L = C + k, and its codeword is (p(x_j))_{j<N}: the Reed–Solomon code RS[N, L] on D.
 * p equals the message on H, so identities on H (the linear test's sum, the quadratic test's
 * vanishing) see the message. Hiding: at t ≤ k distinct positions, (p(x_j))_j = (m̂(x_j) +
 * Z_H(x_j)·r(x_j))_j is uniform in F^t whatever m is, because Z_H(x_j) ≠ 0 and r ↦ (r(x_j))_j is
 * onto F^t for t ≤ k distinct points (a Vandermonde matrix of full row rank). This is the
 * randomised RS of Plonky3 `zk-codes/src/reed_solomon.rs` with the randomness multiplied by Z_H
 * so that evaluation-form messages survive.
 *
 * Coefficient form. `p` is kept as its L coefficients: m̂ = iNTT_C(m), then −r on [0, k) and +r
 * on [C, C + k) (Z_H·r = X^C·r − r). The codeword is a coset NTT: scale coefficient i by g^i,
 * zero-pad to N, NTT (natural order, so position j is x_j).
 *
 * Lagrange basis on H, evaluated on a coset of size N' (N' a multiple of C):
 *   ℓ_b(X) = (h_b/C)·(X^C − 1)/(X − h_b),  and with y_i = g·ω_N'^i, h_b = ω_N'^{b·N'/C}:
 *   ℓ_b(y_i) = (1/C)·(y_i^C − 1)·T[(i − b·N'/C) mod N'],  T[i] = 1/(g·ω_N'^i − 1),
 * so every ℓ_b is a rotation of one table times a factor of period N'/C (`LagrangeOnCoset`).
 */
import { MULTIPLICATIVE_GENERATOR, P, add, batchInv, inv, mul, pow, rootOfUnity, sub } from '../field/babybear.js';
import { type Ext, ext } from '../field/extension.js';
import { kernels } from '../field/active.js';

/** The coset shift g of the codeword positions. */
export const COSET_SHIFT = MULTIPLICATIVE_GENERATOR;

// ---- cached power tables ----------------------------------------------------------------------

let shiftPow: Uint32Array = Uint32Array.of(1);
let shiftInvPow: Uint32Array = Uint32Array.of(1);

function extendPowers(table: Uint32Array, base: number, n: number): Uint32Array {
  if (table.length >= n) return table;
  const out = new Uint32Array(Math.max(n, 2 * table.length));
  out.set(table);
  for (let i = table.length; i < out.length; i++) out[i] = mul(out[i - 1], base);
  return out;
}

/** g^i for i < n (a view on a cached table; do not mutate). */
export function shiftPowers(n: number): Uint32Array {
  shiftPow = extendPowers(shiftPow, COSET_SHIFT, n);
  return shiftPow.subarray(0, n);
}

/** g^{−i} for i < n (a view on a cached table; do not mutate). */
export function shiftInvPowers(n: number): Uint32Array {
  shiftInvPow = extendPowers(shiftInvPow, inv(COSET_SHIFT), n);
  return shiftInvPow.subarray(0, n);
}

const rootPowCache = new Map<number, Uint32Array>();

/** ω_N^i for i < N = 2^logN (cached; do not mutate). */
export function rootPowers(logN: number): Uint32Array {
  let t = rootPowCache.get(logN);
  if (!t) {
    const n = 1 << logN;
    const w = rootOfUnity(logN);
    t = new Uint32Array(n);
    t[0] = 1;
    for (let i = 1; i < n; i++) t[i] = mul(t[i - 1], w);
    if (rootPowCache.size > 8) rootPowCache.clear();
    rootPowCache.set(logN, t);
  }
  return t;
}

/** The codeword position x_j = g·ω_N^j. */
export function codePoint(logN: number, j: number): number {
  return mul(COSET_SHIFT, pow(rootOfUnity(logN), j));
}

// ---- base-field rows ---------------------------------------------------------------------------

/**
 * Codewords of `rows` polynomials given by their coefficients (row-major, `len` ≤ 2^logN each):
 * evaluations on g·⟨ω_N⟩, row-major rows × N.
 */
export function cosetEvaluateRows(coeffs: Uint32Array, rows: number, len: number, logN: number): Uint32Array {
  const N = 1 << logN;
  if (len > N) throw new RangeError(`cosetEvaluateRows: ${len} coefficients do not fit ${N} points`);
  const out = new Uint32Array(rows * N);
  const g = shiftPowers(len);
  const K = kernels();
  for (let r = 0; r < rows; r++) K.mul(out.subarray(r * N, r * N + len), coeffs.subarray(r * len, (r + 1) * len), g);
  // NTT in batches of about 2^22 words, so the WebAssembly copy stays bounded
  const batch = Math.max(1, Math.floor(2 ** 22 / N));
  for (let r0 = 0; r0 < rows; r0 += batch) {
    const cnt = Math.min(batch, rows - r0);
    K.nttBatch(out.subarray(r0 * N, (r0 + cnt) * N), cnt, logN, false);
  }
  return out;
}

/**
 * Hiding rows: messages (row-major rows × C) and randomness (rows × k) → the coefficients
 * (rows × L, L = C + k) of p = m̂ + Z_H·r (see the header).
 */
export function hidingRowCoefficients(msgs: Uint32Array, rows: number, logC: number, randomness: Uint32Array, k: number): Uint32Array {
  const C = 1 << logC;
  const L = C + k;
  const m = msgs.slice(0, rows * C);
  if (rows > 0) kernels().nttBatch(m, rows, logC, true);
  const out = new Uint32Array(rows * L);
  for (let a = 0; a < rows; a++) {
    const o = a * L;
    out.set(m.subarray(a * C, (a + 1) * C), o);
    for (let i = 0; i < k; i++) {
      const r = randomness[a * k + i];
      out[o + i] = sub(out[o + i], r);
      out[o + C + i] = add(out[o + C + i], r);
    }
  }
  return out;
}

// ---- K-valued polynomials ----------------------------------------------------------------------

/** Evaluations of a K polynomial (interleaved, D coefficients, D ≤ 2^logN) on g·⟨ω_N⟩, component-major (4 × N). */
export function cosetEvaluateExt(poly: Uint32Array, logN: number): Uint32Array {
  const N = 1 << logN;
  const D = poly.length >>> 2;
  if (D > N) throw new RangeError(`cosetEvaluateExt: ${D} coefficients do not fit ${N} points`);
  const out = new Uint32Array(4 * N);
  const g = shiftPowers(D);
  for (let i = 0; i < D; i++) {
    const s = g[i];
    out[i] = mul(poly[4 * i], s);
    out[N + i] = mul(poly[4 * i + 1], s);
    out[2 * N + i] = mul(poly[4 * i + 2], s);
    out[3 * N + i] = mul(poly[4 * i + 3], s);
  }
  kernels().nttBatch(out, 4, logN, false);
  return out;
}

/** Element j of a component-major K vector of length N. */
export function componentAt(v: Uint32Array, N: number, j: number): Ext {
  return ext(v[j], v[N + j], v[2 * N + j], v[3 * N + j]);
}

/** Interleaved K vector (4n words) → component-major (4 × n). */
export function deinterleave(x: Uint32Array, n: number): Uint32Array {
  const out = new Uint32Array(4 * n);
  for (let i = 0; i < n; i++) {
    out[i] = x[4 * i];
    out[n + i] = x[4 * i + 1];
    out[2 * n + i] = x[4 * i + 2];
    out[3 * n + i] = x[4 * i + 3];
  }
  return out;
}

/** Component-major (4 × n) → interleaved K vector (4n words). */
export function interleave(c: Uint32Array, n: number): Uint32Array {
  const out = new Uint32Array(4 * n);
  for (let i = 0; i < n; i++) {
    out[4 * i] = c[i];
    out[4 * i + 1] = c[n + i];
    out[4 * i + 2] = c[2 * n + i];
    out[4 * i + 3] = c[3 * n + i];
  }
  return out;
}

/**
 * Coefficients (interleaved K, M of them) of the polynomial of degree < M whose values on
 * g·⟨ω_M⟩ are `evals` (component-major, 4 × M). Consumes `evals`.
 */
export function cosetInterpolateExt(evals: Uint32Array, logM: number): Uint32Array {
  const M = 1 << logM;
  kernels().nttBatch(evals, 4, logM, true);
  const gi = shiftInvPowers(M);
  const K = kernels();
  for (let c = 0; c < 4; c++) K.mul(evals.subarray(c * M, (c + 1) * M), evals.subarray(c * M, (c + 1) * M), gi);
  return interleave(evals, M);
}

/**
 * The interpolant on H of a K vector v (interleaved, C elements), evaluated on g·⟨ω_N⟩:
 * component-major 4 × N. (iNTT_C, then a coset NTT.)
 */
export function interpolantOnCoset(v: Uint32Array, logC: number, logN: number): Uint32Array {
  const C = 1 << logC;
  const comps = deinterleave(v, C);
  kernels().nttBatch(comps, 4, logC, true);
  const N = 1 << logN;
  const out = new Uint32Array(4 * N);
  const g = shiftPowers(C);
  const K = kernels();
  for (let c = 0; c < 4; c++) K.mul(out.subarray(c * N, c * N + C), comps.subarray(c * C, (c + 1) * C), g);
  K.nttBatch(out, 4, logN, false);
  return out;
}

/**
 * K polynomials of fewer than 2^logLen coefficients evaluated at a few codeword positions
 * x_j = g·ω_N^j (j ∈ J) only, without a size-N coset NTT: the verifier's test polynomials and the
 * interpolants on H of its separable groups and dense rows (`interpolantsAt`: an iNTT of size C
 * first). With F = 2^logF dividing 2^logLen, write i = i0 + F·i1 (i1 < D = 2^logLen/F):
 *
 *   p(x) = Σ_{i0<F} x^{i0}·b_{i0}(x^F),   b_{i0}(y) = Σ_{i1<D} a_{i0+F·i1}·y^{i1}.
 *
 * x_j^F = g^F·ω_M^m with M = N/F, m = j mod M (ω_M = ω_N^F), and m = s + R·u (R = M/D, s < R,
 * u < D) gives x_j^F = c_s·ω_D^u with c_s = g^F·ω_M^s: so b_{i0} on the R cosets c_s·⟨ω_D⟩ is R
 * NTTs of size D of the coefficients scaled by c_s^{i1}, and Horner in x_j over i0 gives p(x_j)
 * exactly. Per component that is N·log D butterflies and |J|·F multiply-adds instead of N·log N
 * butterflies. Minimising N·log D + 5·|J|·F (a Horner step in JavaScript costs about 5
 * butterflies of the WebAssembly NTT, measured) gives F ≈ N/(7·|J|): 2^5 for the receipts of
 * bench:prove (N = 2^15..2^16, |J| ≈ 230), where an interpolant costs about 0.7× the full NTT.
 */
export class PolynomialsAtColumns {
  readonly q: number;
  private readonly logLen: number;
  private readonly logF: number;
  /** x_j per opened column */
  private readonly x: Uint32Array;
  /** s·D + u (see the header) per opened column */
  private readonly pos: Uint32Array;
  /** c_s^{i1} (s < R, i1 < D), tiled 4F times: the scaling of every (component, i0, s) row */
  private readonly scale: Uint32Array;

  constructor(logLen: number, logN: number, J: Uint32Array) {
    if (logLen > logN) throw new RangeError(`PolynomialsAtColumns: 2^${logLen} coefficients do not fit 2^${logN} points`);
    this.q = J.length;
    this.logLen = logLen;
    const best = Math.round(Math.log2((1 << logN) / (7 * Math.max(1, J.length))));
    this.logF = Math.min(logLen, Math.max(0, best));
    const F = 1 << this.logF;
    const logM = logN - this.logF;
    const M = 1 << logM;
    const D = 1 << (logLen - this.logF);
    const R = M / D;
    this.x = new Uint32Array(J.length);
    this.pos = new Uint32Array(J.length);
    for (let k = 0; k < J.length; k++) {
      this.x[k] = codePoint(logN, J[k]);
      const m = J[k] & (M - 1);
      this.pos[k] = (m % R) * D + Math.floor(m / R);
    }
    const one = new Uint32Array(M);
    const gF = pow(COSET_SHIFT, F);
    const wM = rootOfUnity(logM);
    for (let s = 0, c = gF; s < R; s++, c = mul(c, wM)) {
      let p = 1;
      for (let i1 = 0; i1 < D; i1++, p = mul(p, c)) one[s * D + i1] = p;
    }
    this.scale = new Uint32Array(4 * F * M);
    for (let r = 0; r < 4 * F; r++) this.scale.set(one, r * M);
  }

  /** p(x_j) for every opened column, p given by its coefficients (interleaved K, at most 2^logLen): q K elements, interleaved. */
  at(coeffs: Uint32Array): Uint32Array {
    const len = 1 << this.logLen;
    if (coeffs.length > 4 * len) throw new RangeError(`PolynomialsAtColumns: expected at most ${len} coefficients, got ${coeffs.length / 4}`);
    const comps = new Uint32Array(4 * len);
    const n = coeffs.length >>> 2;
    for (let i = 0; i < n; i++) for (let c = 0; c < 4; c++) comps[c * len + i] = coeffs[4 * i + c];
    return this.atComponents(comps);
  }

  /** The same for coefficients given component-major (4 × 2^logLen). */
  atComponents(comps: Uint32Array): Uint32Array {
    const len = 1 << this.logLen;
    const F = 1 << this.logF;
    const D = len >>> this.logF;
    const M = this.scale.length / (4 * F);
    const R = M / D;
    const q = this.q;
    const K = kernels();
    // row (c, i0, s) of D words: a_c[i0 + F·i1]·c_s^{i1}, then an NTT of size D
    const rows = new Uint32Array(this.scale.length);
    for (let c = 0; c < 4; c++) {
      for (let i0 = 0; i0 < F; i0++) {
        const src = c * len + i0;
        const o = (c * F + i0) * M;
        for (let i1 = 0; i1 < D; i1++) rows[o + i1] = comps[src + F * i1];
        for (let s = 1; s < R; s++) rows.copyWithin(o + s * D, o, o + D);
      }
    }
    K.mul(rows, rows, this.scale);
    K.nttBatch(rows, 4 * F * R, this.logLen - this.logF, false);
    // Horner over i0, all opened columns at once (each (c, i0) block of M words read in place)
    const acc = new Uint32Array(4 * q);
    for (let c = 0; c < 4; c++) {
      const o = c * q;
      for (let i0 = F - 1; i0 >= 0; i0--) {
        const base = (c * F + i0) * M;
        for (let k = 0; k < q; k++) acc[o + k] = add(mul(acc[o + k], this.x[k]), rows[base + this.pos[k]]);
      }
    }
    const out = new Uint32Array(4 * q);
    for (let k = 0; k < q; k++) for (let c = 0; c < 4; c++) out[4 * k + c] = acc[c * q + k];
    return out;
  }

  /** The interpolant on H = ⟨ω_C⟩ (C = 2^logLen) of v (interleaved K, C elements), at the opened columns. */
  interpolantAt(v: Uint32Array): Uint32Array {
    const comps = deinterleave(v, 1 << this.logLen);
    kernels().nttBatch(comps, 4, this.logLen, true);
    return this.atComponents(comps);
  }
}

/** Σ_{h ∈ H} Q(h) = C·Σ_{i ≡ 0 mod C} Q_i for a K polynomial Q (interleaved coefficients). */
export function sumOverH(q: Uint32Array, logC: number): Ext {
  const C = 1 << logC;
  const D = q.length >>> 2;
  const acc = [0, 0, 0, 0];
  for (let i = 0; i < D; i += C) for (let c = 0; c < 4; c++) acc[c] = add(acc[c], q[4 * i + c]);
  const s = C % P;
  return ext(mul(acc[0], s), mul(acc[1], s), mul(acc[2], s), mul(acc[3], s));
}

/** The first residue r < C with Σ_{i ≡ r mod C} Q_i ≠ 0 (then Q does not vanish on H), or −1 if Z_H divides Q. */
export function firstNonVanishingResidue(q: Uint32Array, logC: number): number {
  const C = 1 << logC;
  const D = q.length >>> 2;
  const acc = new Uint32Array(4 * C);
  for (let i = 0; i < D; i++) {
    const r = 4 * (i & (C - 1));
    for (let c = 0; c < 4; c++) acc[r + c] = add(acc[r + c], q[4 * i + c]);
  }
  for (let r = 0; r < C; r++) if (acc[4 * r] | acc[4 * r + 1] | acc[4 * r + 2] | acc[4 * r + 3]) return r;
  return -1;
}

/**
 * Lagrange basis of H on the coset g·⟨ω_N'⟩ (see the header): `at(b, i)` = ℓ_b(y_i). `full`
 * builds the whole table T (N' inversions, the prover's case); otherwise entries are inverted on
 * demand through `prepare` (the verifier needs a few per opened column).
 */
export class LagrangeOnCoset {
  readonly N: number;
  readonly C: number;
  private readonly period: Uint32Array;
  private readonly table: Uint32Array | null;
  private factorFull: Uint32Array | null = null;

  constructor(
    readonly logC: number,
    readonly logN: number,
    full: boolean,
  ) {
    this.N = 1 << logN;
    this.C = 1 << logC;
    const per = this.N / this.C;
    // (1/C)·(y_i^C − 1), periodic in i with period N'/C: y_i^C = g^C·ω_{N'/C}^i
    this.period = new Uint32Array(per);
    const gC = pow(COSET_SHIFT, this.C);
    const w = rootOfUnity(logN - logC);
    const cInv = inv(this.C % P);
    for (let i = 0, wp = 1; i < per; i++, wp = mul(wp, w)) this.period[i] = mul(cInv, sub(mul(gC, wp), 1));
    if (full) {
      const roots = rootPowers(logN);
      const den = new Uint32Array(this.N);
      for (let i = 0; i < this.N; i++) den[i] = sub(mul(COSET_SHIFT, roots[i]), 1);
      this.table = batchInv(den);
    } else {
      this.table = null;
    }
  }

  /** The table index of ℓ_b(y_i): (i − b·N'/C) mod N'. */
  slot(b: number, i: number): number {
    return (i - b * (this.N / this.C)) & (this.N - 1);
  }

  /** (1/C)·(y_i^C − 1). */
  factor(i: number): number {
    return this.period[i & (this.period.length - 1)];
  }

  /** T[slot] of the full table. */
  tableAt(slot: number): number {
    return this.table![slot];
  }

  /** ℓ_b(y_i) with the full table. */
  at(b: number, i: number): number {
    return mul(this.factor(i), this.table![this.slot(b, i)]);
  }

  /** ℓ_b on the whole coset, written to out (N' words): T rotated by b·N'/C (two copies), times the periodic factor. */
  basisInto(out: Uint32Array, b: number): void {
    const T = this.table!;
    const shift = (b * (this.N / this.C)) & (this.N - 1);
    // out[i] = T[(i − shift) mod N']
    out.set(T.subarray(this.N - shift), 0);
    out.set(T.subarray(0, this.N - shift), shift);
    if (!this.factorFull) {
      this.factorFull = new Uint32Array(this.N);
      for (let i = 0; i < this.N; i++) this.factorFull[i] = this.factor(i);
    }
    kernels().mul(out, out, this.factorFull);
  }

  /** T at the given slots, by one batch inversion (for on-demand use). */
  static inverseAt(logN: number, slots: Uint32Array): Uint32Array {
    const roots = rootPowers(logN);
    const den = new Uint32Array(slots.length);
    for (let s = 0; s < slots.length; s++) den[s] = sub(mul(COSET_SHIFT, roots[slots[s]]), 1);
    return batchInv(den);
  }
}
