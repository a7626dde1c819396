/**
 * GKR for a fractional sum Σ_i p_i / q_i = 0 over 2^N leaves (PROTOCOL-NOTES §5;
 * Papini–Haböck, ePrint 2023/1284).
 *
 * Layers. Layer N holds the leaves; layer k pairs entries i and i + 2^k (the child bit is the
 * TOP variable of layer k+1):
 *   p_k[i] = p_{k+1}[i]·q_{k+1}[i+2^k] + p_{k+1}[i+2^k]·q_{k+1}[i],   q_k[i] = q_{k+1}[i]·q_{k+1}[i+2^k],
 * so p_k/q_k is the sum of the two children's fractions and p_0/q_0 = Σ p_i/q_i. Multilinearly,
 *   p~_k(r) + λ·q~_k(r) = Σ_x eq(r,x)[p0·q1 + p1·q0 + λ·q0·q1](x),  p_c = p~_{k+1}(x, c), q_c likewise.
 * Because the child bit is the top variable, p0 and p1 are the two contiguous halves of layer k+1,
 * so our low-first sumcheck binds exactly x = (x_0..x_{k−1}) and the eq table is one more factor.
 *
 * Protocol. Root: the prover sends p_1[0], p_1[1], q_1[0], q_1[1]; the verifier checks
 * p_0 = p_1[0]q_1[1] + p_1[1]q_1[0] = 0 and q_0 = q_1[0]q_1[1] ≠ 0, absorbs, draws μ, and sets
 * P = p_1[0] + μ(p_1[1] − p_1[0]), Q likewise, r = (μ). Layer k → k+1: draw λ; degree-3 sumcheck
 * on P + λQ; at its point ρ the prover sends a0, a1, b0, b1 = p~, q~ at (ρ,0), (ρ,1); the verifier
 * checks the final value = eq(r,ρ)(a0b1 + a1b0 + λb0b1), absorbs a0..b1, draws μ and sets
 * P' = a0 + μ(a1 − a0), Q' = b0 + μ(b1 − b0), r' = (ρ, μ) — exact, as p~_{k+1} is linear in its
 * top variable. The verifier returns the leaf claims (r, P, Q): **the caller must check them**
 * against the leaves' multilinear extensions.
 *
 * Variant (`rootFree`): the verifier skips p_0 = 0 and returns the root fraction p_0/q_0 for the
 * caller to compare with a sum it computes itself (still requiring q_0 ≠ 0).
 *
 * The prover (`./gkr-prover.ts`) keeps its tables in a kernel workspace and splits the eq factor
 * off (Gruen); its messages are the plain prover's, so this verifier is the only one.
 *
 * Why sound. q_0 ≠ 0 makes every fraction well defined (q_0 is the product of all leaf
 * denominators), so p_0 = 0 ⇔ Σ p_i/q_i = 0. Each layer reduces a claim on layer k to one on
 * layer k+1 with error ≤ (3k + 2)/|K| (sumcheck k·3/|K|, λ and μ one each), and every prover
 * message is absorbed before the next challenge.
 */
import { P as MOD } from '../../field/babybear.js';
import { type Ext, extAdd, extEquals, extIsZero, extMul, extSub, extToString } from '../../field/extension.js';
import { concatPoints, eqEval, type Point } from '../../poly/multilinear.js';
import { readSumcheckProof, verifySumcheck, writeSumcheckProof, type SumcheckProof } from '../sumcheck.js';
import type { Transcript } from '../../transcript/transcript.js';
import type { ByteReader, ByteWriter } from '../../util/bytes.js';
import { fail, type VerifyError } from '../../util/result.js';

export const MAX_GKR_VARS = 30;

export interface GkrLayerProof {
  /** Sumcheck of layer k → k+1 (k variables, degree 3). */
  sumcheck: SumcheckProof;
  /** a0, a1, b0, b1 = p~, q~ of layer k+1 at (ρ, 0) and (ρ, 1): 4 ext elements. */
  masks: Uint32Array;
}

export interface GkrProof {
  /** p_1[0], p_1[1], q_1[0], q_1[1]: 4 ext elements. */
  root: Uint32Array;
  /** Layers 1 → 2, …, N−1 → N (N − 1 entries). */
  layers: GkrLayerProof[];
}

export interface GkrClaim {
  /** Leaf point (x_0 first; the last coordinate is the top variable). */
  point: Point;
  /** Claimed p~_N(point). */
  p: Ext;
  /** Claimed q~_N(point). */
  q: Ext;
}

/** On success: the leaf claim, and the root fraction p_0/q_0 (p_0 = 0 unless `rootFree`). */
export type GkrVerifyResult = ({ ok: true; root: { p: Ext; q: Ext } } & GkrClaim) | { ok: false; error: VerifyError };

export interface GkrVerifyOptions {
  /**
   * Accept any root numerator p_0 and return the root fraction: for callers that check
   * Σ p_i/q_i against a value of their own (the range proof's table side, `circuit/param-range.ts`).
   * q_0 ≠ 0 is checked either way.
   */
  rootFree?: boolean;
}

/** The 2×2 line restriction a + μ(b − a). */
function line(a: Ext, b: Ext, mu: Ext): Ext {
  return extAdd(a, extMul(mu, extSub(b, a)));
}

function canonical(v: Uint32Array): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] >= MOD) return false;
  return true;
}

/**
 * Verifies that Σ p_i/q_i = 0 over 2^N leaves (with `rootFree`: that it is the returned root
 * fraction, which the caller must check). On success returns the leaf claim (point, P, Q),
 * **which the caller must discharge** (check P = p~_N(point), Q = q~_N(point)). Never throws.
 * The prover is `./gkr-prover.ts`.
 */
export function verifyGkr(tr: Transcript, numVars: number, proof: GkrProof, label = 'gkr', opts: GkrVerifyOptions = {}): GkrVerifyResult {
  const n = numVars;
  if (!Number.isInteger(n) || n < 1 || n > MAX_GKR_VARS) return fail('BadShape', `gkr: expected 1 ≤ N ≤ ${MAX_GKR_VARS}, got ${n}`);
  if (!proof || !(proof.root instanceof Uint32Array) || proof.root.length !== 16 || !Array.isArray(proof.layers)) {
    return fail('MalformedProof', 'gkr: expected a root of 4 ext elements and a layers array');
  }
  if (proof.layers.length !== n - 1) {
    return fail('WrongLayerCount', `gkr: expected ${n - 1} layers, got ${proof.layers.length}`, { expected: n - 1, actual: proof.layers.length });
  }
  const root = proof.root;
  if (!canonical(root)) return fail('NonCanonical', 'gkr: root values are not canonical');
  const [p10, p11, q10, q11] = [0, 1, 2, 3].map((j) => root.subarray(4 * j, 4 * j + 4));
  const p0 = extAdd(extMul(p10, q11), extMul(p11, q10));
  const q0 = extMul(q10, q11);
  if (!opts.rootFree && !extIsZero(p0)) return fail('NonZeroSum', `gkr: root numerator p_0 = ${extToString(p0)}, expected 0`);
  if (extIsZero(q0)) return fail('ZeroDenominator', 'gkr: root denominator q_0 = 0');
  tr.absorbExt(`${label}/root`, root);
  let mu = tr.challengeExt(`${label}/mu`);
  let P = line(p10, p11, mu);
  let Q = line(q10, q11, mu);
  let r: Point = mu.slice();
  for (let k = 1; k < n; k++) {
    const layer = proof.layers[k - 1];
    if (!layer || !(layer.masks instanceof Uint32Array) || layer.masks.length !== 16 || !canonical(layer.masks)) {
      return fail('MalformedProof', `gkr: layer ${k}: expected 4 canonical ext mask values`, { layer: k });
    }
    const lambda = tr.challengeExt(`${label}/lambda`);
    const claimed = extAdd(P, extMul(lambda, Q));
    const sc = verifySumcheck(tr, { numVars: k, degree: 3, claimedSum: claimed }, layer.sumcheck, `${label}/layer`);
    if (!sc.ok) return fail('LayerSumcheckFailed', `gkr: layer ${k}: ${sc.error.message}`, { layer: k, cause: sc.error });
    const m = layer.masks;
    const [a0, a1, b0, b1] = [0, 1, 2, 3].map((j) => m.subarray(4 * j, 4 * j + 4));
    const gate = extAdd(extAdd(extMul(a0, b1), extMul(a1, b0)), extMul(lambda, extMul(b0, b1)));
    const expected = extMul(eqEval(r, sc.point), gate);
    if (!extEquals(expected, sc.finalClaim)) {
      return fail('LayerCheckFailed', `gkr: layer ${k}: sumcheck final value ${extToString(sc.finalClaim)} ≠ eq·gate ${extToString(expected)}`, {
        layer: k,
      });
    }
    tr.absorbExt(`${label}/masks`, m);
    mu = tr.challengeExt(`${label}/mu`);
    P = line(a0, a1, mu);
    Q = line(b0, b1, mu);
    r = concatPoints(sc.point, mu);
  }
  return { ok: true, point: r, p: P, q: Q, root: { p: p0, q: q0 } };
}

export function writeGkrProof(w: ByteWriter, proof: GkrProof): void {
  w.u32(proof.layers.length + 1);
  w.words(proof.root);
  for (const l of proof.layers) {
    writeSumcheckProof(w, l.sumcheck);
    w.words(l.masks);
  }
}

/** Reads a GKR proof for N leaf variables; every length is fixed by N (bounded reader). */
export function readGkrProof(r: ByteReader, numVars: number): GkrProof {
  r.u32In(numVars, numVars, 'gkr leaf variables');
  const root = r.words(16, 'gkr root');
  const layers: GkrLayerProof[] = [];
  for (let k = 1; k < numVars; k++) {
    const sumcheck = readSumcheckProof(r, k, 3);
    const masks = r.words(16, `gkr layer ${k} masks`);
    layers.push({ sumcheck, masks });
  }
  return { root, layers };
}
