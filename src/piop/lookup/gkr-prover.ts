/**
 * The fractional-sum GKR prover (protocol, verifier and proof format: `./gkr.ts`), on tables held
 * in a kernel workspace so every layer is copied in once, not once per round.
 *
 * Eq split (Gruen). The layer-k sumcheck proves Σ_x eq(r, x)·g(x) with g = p0·q1 + p1·q0 + λ·q0·q1
 * = p0·q1 + q0·u (u = p1 + λ·q1). With x_0..x_{j−1} bound to ρ, round j's message factors as
 *   s_j(t) = pre_j · eq(r_j, t) · h_j(t),   pre_j = Π_{l<j} eq(r_l, ρ_l),
 *   h_j(t) = Σ_{x'} eq(r_{>j}, x')·g(ρ, t, x'),
 * so the eq table is never folded: its weights w_j = eq(r_{>j}, ·) are pairwise sums of w_{j−1}
 * (Σ_b eq(r_j, b) = 1), and h_j, of degree 2, needs only t = 0 and t = 2 — h_j(1) follows from
 * s_j(0) + s_j(1) = c_{j−1}, i.e. pre_j·((1 − r_j)·h_j(0) + r_j·h_j(1)) = c_{j−1} (computed directly
 * in the probability-2^−123 event pre_j·r_j = 0). The messages s_j(0..3) are exactly those of the
 * plain prover, so `verifySumcheck` checks them unchanged.
 *
 * Unit leaves (p = 1, q = α − e with e in the base field: the LogUp lookup side of a range check).
 * The layer above is written directly (p = 2α − e_i − e_j, q = (α − e_i)(α − e_j)), and the last
 * layer's sumcheck runs on e itself: with a = e~(·, 0), b = e~(·, 1) and Σ_x' w_j = 1,
 *   h_j(t) = (2α + λα²) − (1 + λα)·Σ w·(a + b)_t + λ·Σ w·(a·b)_t,
 * base-field products in its first round; its masks are a0 = a1 = 1, b_c = α − e~(ρ, c).
 *
 * Hooks. What the prover sends — the root, each layer sumcheck's statement and round messages, the
 * masks — goes through `GkrProverHooks` (default: the clear protocol's absorbs); the challenges are
 * drawn here in the same order either way. The padded GKR (`./zk-gkr.ts`) sends value + pad through
 * them and so runs on these kernels.
 */
import { kernels } from '../../field/active.js';
import { type Ext, ext, extAdd, extInv, extIsZero, extMul, extMulBase, extOneMinus, extSub } from '../../field/extension.js';
import { wsLoad, type Workspace, type WsBuf } from '../../field/kernels.js';
import { concatPoints, type Point } from '../../poly/multilinear.js';
import { absorbSumcheckStatement, type SumcheckProof, type SumcheckProverHooks } from '../sumcheck.js';
import type { Transcript } from '../../transcript/transcript.js';
import { MAX_GKR_VARS, type GkrClaim, type GkrLayerProof, type GkrProof } from './gkr.js';

/** Leaves: general ext vectors p, q (2^N elements each), or p = 1 and q = α − e for a base e. */
export type GkrLeaves = { kind: 'general'; p: Uint32Array; q: Uint32Array } | { kind: 'unit'; e: Uint32Array; alpha: Ext };

/** How the prover's values enter the transcript; every hook defaults to the clear protocol's absorb. */
export interface GkrProverHooks {
  /** Sends the root (p_1[0], p_1[1], q_1[0], q_1[1]: 16 words); default: absorbs it under `<label>/root`. */
  root?: (tr: Transcript, root: Uint32Array) => void;
  /** The statement absorb and the sent round messages of layer step k = 1..N−1 (`<label>/layer`). */
  layer?: (k: number) => SumcheckProverHooks;
  /** Sends the masks (a0, a1, b0, b1: 16 words) of layer step k; default: absorbs them under `<label>/masks`. */
  masks?: (tr: Transcript, k: number, masks: Uint32Array) => void;
}

/** The 2×2 line restriction a + μ(b − a). */
function line(a: Ext, b: Ext, mu: Ext): Ext {
  return extAdd(a, extMul(mu, extSub(b, a)));
}

/** eq(a, t) = (1 − a) + t·(2a − 1) for a small integer t. */
function eq1(a: Ext, t: number): Ext {
  return extAdd(extOneMinus(a), extMulBase(extSub(extAdd(a, a), ext(1)), t));
}

/**
 * Proves Σ p_i/q_i over the leaves (ext vectors of 2^N elements each, N ≥ 1) on `tr`.
 * The prover does not check that the sum is 0 — the verifier does. Returns the proof and the
 * leaf claim the verifier will reach.
 */
export function proveGkr(tr: Transcript, leavesP: Uint32Array, leavesQ: Uint32Array, label = 'gkr'): { proof: GkrProof; claim: GkrClaim } {
  return proveFractionSum(tr, { kind: 'general', p: leavesP, q: leavesQ }, label);
}

/**
 * Proves the fractional sum of `leaves` (general or unit). The root fraction is sent, not
 * checked: `verifyGkr` checks p_0 = 0 unless told that the caller checks the root itself.
 * `directH1` computes h_j(1) in every round instead of deriving it (tests: both must agree).
 */
export function proveFractionSum(
  tr: Transcript,
  leaves: GkrLeaves,
  label = 'gkr',
  opts: { directH1?: boolean; hooks?: GkrProverHooks } = {},
): { proof: GkrProof; claim: GkrClaim } {
  const size = leaves.kind === 'unit' ? leaves.e.length : leaves.p.length >>> 2;
  const n = Math.log2(size);
  if (!Number.isInteger(n) || n < 1 || n > MAX_GKR_VARS || (leaves.kind === 'general' && leaves.q.length !== leaves.p.length)) {
    const got = leaves.kind === 'unit' ? `${leaves.e.length}` : `${leaves.p.length / 4} and ${leaves.q.length / 4}`;
    throw new RangeError(`gkr: expected leaf vectors of 2^N elements, 1 ≤ N ≤ ${MAX_GKR_VARS}, got ${got}`);
  }
  const ws = kernels().workspace();
  try {
    return proveOn(ws, tr, leaves, n, label, opts.directH1 === true, opts.hooks ?? {});
  } finally {
    ws.release();
  }
}

function proveOn(ws: Workspace, tr: Transcript, leaves: GkrLeaves, n: number, label: string, directH1: boolean, hooks: GkrProverHooks): { proof: GkrProof; claim: GkrClaim } {
  const alpha = leaves.kind === 'unit' ? leaves.alpha : null;
  // Layers k = 1..n−1 (and the leaves for general ones): P[k], Q[k] ext of 2^k elements.
  const P: WsBuf[] = new Array(n + 1);
  const Q: WsBuf[] = new Array(n + 1);
  let E: WsBuf | undefined;
  if (leaves.kind === 'unit') E = wsLoad(ws, leaves.e);
  else {
    P[n] = wsLoad(ws, leaves.p);
    Q[n] = wsLoad(ws, leaves.q);
  }
  for (let k = n - 1; k >= 1; k--) {
    P[k] = ws.alloc(4 << k);
    Q[k] = ws.alloc(4 << k);
    if (k === n - 1 && leaves.kind === 'unit') ws.unitParent(P[k], Q[k], E!, 1 << k, leaves.alpha);
    else ws.fracParent(P[k], Q[k], P[k + 1], Q[k + 1], 1 << k);
  }
  const root = new Uint32Array(16);
  if (n === 1 && leaves.kind === 'unit') {
    root.set(ext(1), 0);
    root.set(ext(1), 4);
    root.set(extSub(leaves.alpha, ext(leaves.e[0])), 8);
    root.set(extSub(leaves.alpha, ext(leaves.e[1])), 12);
  } else {
    root.set(ws.read(P[1], 8), 0);
    root.set(ws.read(Q[1], 8), 8);
  }
  if (hooks.root) hooks.root(tr, root);
  else tr.absorbExt(`${label}/root`, root);
  let mu = tr.challengeExt(`${label}/mu`);
  let Pc = line(root.subarray(0, 4), root.subarray(4, 8), mu);
  let Qc = line(root.subarray(8, 12), root.subarray(12, 16), mu);
  let r: Point = mu.slice();
  const layers: GkrLayerProof[] = [];
  const W = ws.alloc(Math.max(4, 4 << Math.max(0, n - 2)));
  for (let k = 1; k < n; k++) {
    const lambda = tr.challengeExt(`${label}/lambda`);
    const sum = extAdd(Pc, extMul(lambda, Qc));
    const half = 4 << k;
    ws.zero(W, 4 << (k - 1));
    ws.eqTableAdd(W, r.subarray(4), ext(1), 1 << (k - 1));
    let masks: Uint32Array;
    let sc: { proof: SumcheckProof; point: Point };
    if (alpha && k === n - 1) {
      const Ea = ws.view(E!, 0, 1 << k), Eb = ws.view(E!, 1 << k);
      const A = ws.alloc(half >>> 1), B = ws.alloc(half >>> 1);
      const c0 = extAdd(extAdd(alpha, alpha), extMul(lambda, extMul(alpha, alpha)));
      const c1 = extAdd(ext(1), extMul(lambda, alpha));
      const h = (res: Uint32Array, t: number): Ext => extAdd(extSub(c0, extMul(c1, res.subarray(8 * t, 8 * t + 4))), extMul(lambda, res.subarray(8 * t + 4, 8 * t + 8)));
      sc = layerSumcheck(tr, k, sum, r, W, ws, label, directH1, hooks.layer?.(k) ?? {}, (j, pairs, withOne) => {
        const res = j === 0 ? ws.fracRoundUnit(Ea, Eb, W, pairs, withOne, true) : ws.fracRoundUnit(A, B, W, pairs, withOne, false);
        return [h(res, 0), h(res, 1), h(res, 2)];
      }, (j, pairs, rho) => {
        if (j === 0) {
          ws.foldBase(A, Ea, rho, pairs);
          ws.foldBase(B, Eb, rho, pairs);
        } else {
          ws.foldExt(A, A, rho, pairs);
          ws.foldExt(B, B, rho, pairs);
        }
      });
      masks = new Uint32Array(16);
      masks.set(ext(1), 0);
      masks.set(ext(1), 4);
      masks.set(extSub(alpha, ws.read(A, 4)), 8);
      masks.set(extSub(alpha, ws.read(B, 4)), 12);
    } else {
      const pc = P[k + 1], qc = Q[k + 1];
      const p0 = ws.view(pc, 0, half), u = ws.view(pc, half), q0 = ws.view(qc, 0, half), q1 = ws.view(qc, half);
      ws.extMulAdd(u, q1, lambda, 1 << k); // u = p1 + λ·q1, in place of p1
      sc = layerSumcheck(tr, k, sum, r, W, ws, label, directH1, hooks.layer?.(k) ?? {}, (_j, pairs, withOne) => {
        const res = ws.fracRound(p0, q0, q1, u, W, pairs, withOne);
        return [res.subarray(0, 4), res.subarray(4, 8), res.subarray(8, 12)];
      }, (_j, pairs, rho) => {
        for (const t of [p0, q0, q1, u]) ws.foldExt(t, t, rho, pairs);
      });
      const [a0, b0, b1, uEval] = [p0, q0, q1, u].map((t) => ws.read(t, 4));
      masks = new Uint32Array(16);
      masks.set(a0, 0);
      masks.set(extSub(uEval, extMul(lambda, b1)), 4);
      masks.set(b0, 8);
      masks.set(b1, 12);
    }
    if (hooks.masks) hooks.masks(tr, k, masks);
    else tr.absorbExt(`${label}/masks`, masks);
    mu = tr.challengeExt(`${label}/mu`);
    Pc = line(masks.subarray(0, 4), masks.subarray(4, 8), mu);
    Qc = line(masks.subarray(8, 12), masks.subarray(12, 16), mu);
    r = concatPoints(sc.point, mu);
    layers.push({ sumcheck: sc.proof, masks });
  }
  return { proof: { root, layers }, claim: { point: r, p: Pc, q: Qc } };
}

/**
 * The degree-3 layer sumcheck over k variables in `proveSumcheck`'s transcript format, from
 * h_j(t) (t = 0, 1 when asked, 2: `round`) and in-place folds (`fold`); W holds w_0 = eq(r_{>0}).
 * `hooks` change what is absorbed and sent, as in `proveSumcheck`; the claim is tracked in the clear.
 */
function layerSumcheck(
  tr: Transcript,
  k: number,
  sum: Ext,
  r: Point,
  W: WsBuf,
  ws: Workspace,
  label: string,
  directH1: boolean,
  hooks: SumcheckProverHooks,
  round: (j: number, pairs: number, withOne: boolean) => Ext[],
  fold: (j: number, pairs: number, rho: Ext) => void,
): { proof: SumcheckProof; point: Point } {
  const lab = `${label}/layer`;
  (hooks.absorbStatement ?? absorbSumcheckStatement)(tr, lab, k, 3, sum);
  const rounds: Uint32Array[] = [];
  const point = new Uint32Array(4 * k);
  let claim = sum;
  let pre: Ext = ext(1);
  for (let j = 0; j < k; j++) {
    const pairs = 1 << (k - 1 - j);
    const rj = r.subarray(4 * j, 4 * j + 4);
    const denom = extMul(pre, rj);
    const withOne = directH1 || extIsZero(denom);
    const [h0, hOne, h2] = round(j, pairs, withOne);
    // h(1) from s(0) + s(1) = claim: pre·((1 − r_j)·h(0) + r_j·h(1)) = claim
    const h1 = withOne ? hOne : extMul(extSub(claim, extMul(pre, extMul(extOneMinus(rj), h0))), extInv(denom));
    const h3 = extAdd(extSub(h0, extMulBase(h1, 3)), extMulBase(h2, 3));
    const s = new Uint32Array(16);
    [h0, h1, h2, h3].forEach((h, t) => s.set(extMul(pre, extMul(eq1(rj, t), h)), 4 * t));
    const sent = hooks.message ? hooks.message(j, s) : s;
    tr.absorbExt(`${lab}/round`, sent);
    const rho = tr.challengeExt(`${lab}/challenge`);
    point.set(rho, 4 * j);
    rounds.push(sent);
    // h(ρ) on the parabola through h(0), h(1), h(2); the next claim is s_j(ρ)
    const d1 = extSub(h1, h0);
    const d2 = extAdd(extSub(h2, extAdd(h1, h1)), h0);
    const hRho = extAdd(extAdd(h0, extMul(rho, d1)), extMul(extMul(rho, extSub(rho, ext(1))), extMul(d2, HALF)));
    pre = extMul(pre, eqAt(rj, rho));
    claim = extMul(pre, hRho);
    fold(j, pairs, rho);
    if (pairs > 1) ws.pairSum(W, W, pairs >>> 1);
  }
  return { proof: { rounds }, point };
}

const HALF = ext(1006632961); // 2^−1 mod p

/** eq(a, ρ) = (1 − a)(1 − ρ) + a·ρ for a field element ρ. */
function eqAt(a: Ext, rho: Ext): Ext {
  return extAdd(extMul(extOneMinus(a), extOneMinus(rho)), extMul(a, rho));
}
