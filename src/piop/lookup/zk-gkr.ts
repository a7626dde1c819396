/**
 * The padded fractional-sum GKR (`./gkr.ts`, PROTOCOL-NOTES §5) for zero knowledge
 * (docs/zero-knowledge.md §2): root, layer steps (`./zk-gkr-layer.ts`), and the leaf claim left as
 * affine expressions in the committed vector w.
 *
 * Root. The clear verifier checks p_0 = p_1[0]q_1[1] + p_1[1]q_1[0] = 0 and q_0 = q_1[0]q_1[1] ≠ 0
 * on values it sees. Here the four root values are hidden, and so is q_0 (a product of all leaf
 * denominators: it would leak the multiset); the prover also sends v = 1/q_0, padded. With
 * e = (p10, p11, q10, q11, v) absorbed under `<label>/root`, the verifier draws β
 * (`<label>/root-beta`) and emits the single final check
 *   β·(p10·q11 + p11·q10) + q10·q11·v = 1
 * (shape {5; [0,3], [1,2], [2,3,4]}: four product slots and one chain intermediate q10·q11). If
 * p_0 ≠ 0 or q_0·v ≠ 1 — in particular if q_0 = 0, where no v exists — this holds for at most one
 * β, so the extra error is 1/|K|. Then μ (`<label>/mu`), P = p10 + μ(p11 − p10), Q likewise, as in
 * the clear protocol, and the layer steps follow.
 *
 * Leaves. The verifier returns (r, P, Q) over the N leaf variables: **the caller must discharge
 * it** — e.g. `linkToSegment(P, …)` for committed numerators, or, for LogUp's leaves, P and Q as
 * linear expressions in the padded column and multiplicity evaluations (`./zk-logup.ts`).
 *
 * Bytes: `writeZkGkrProof` — u32 N, the root's padded values, then per layer its padded rounds and
 * padded masks; `readZkGkrProof` fixes every length by the layout (bounded, canonical words only).
 *
 * Pads: `zkGkrLayout(N)` = the root check (5 evaluation pads, 1 intermediate, 4 slots:
 * 24 + 192 entries), then `zkGkrLayerLayout(k)` for k = 1..N−1. Soundness: the clear GKR's
 * error plus 1/|K| for β; everything the prover sends is padded and absorbed before the next
 * challenge. What it hides: all root values, q_0, the round values and the masks.
 *
 * The prover is `./gkr-prover.ts`'s workspace prover (eq split, kernels) with padding hooks
 * (`GkrProverHooks`, `zkSumcheckHooks`): it sends exactly what the step-by-step prover of
 * `./zk-gkr-layer.ts` (generic sumcheck) sends, at the clear prover's speed (tested).
 */
import { type Ext, ext, extInv, extIsZero, extMul, extSub } from '../../field/extension.js';
import { emptySystem, type ConstraintSystem } from '../../pcs/constraints.js';
import type { Point } from '../../poly/multilinear.js';
import type { Transcript } from '../../transcript/transcript.js';
import type { ByteReader, ByteWriter } from '../../util/bytes.js';
import { fail, type VerifyError } from '../../util/result.js';
import { readSumcheckProof, writeSumcheckProof } from '../sumcheck.js';
import { affineCombine, affineConst, appendSystem, cryptoWords, fillUniform, type WordSource } from '../zk-affine.js';
import { fillFinalProducts, finalPadRange, proveZkFinal, readZkFinalProof, verifyZkFinal, writeZkFinalProof, zkFinalAt, zkFinalLayout, type ZkFinalAt, type ZkFinalLayout, type ZkFinalProof, type ZkFinalShape } from '../zk-final.js';
import { fillZkPads, zkSumcheckAt, zkSumcheckHooks, type ZkSumcheckAt, type ZkSumcheckLayout } from '../zk-sumcheck.js';
import { MAX_GKR_VARS } from './gkr.js';
import { proveFractionSum, type GkrProverHooks } from './gkr-prover.js';
import { verifyZkGkrLayer, zkGkrLayerLayout, type ZkGkrClaim, type ZkGkrLayerProof } from './zk-gkr-layer.js';

/** The root check over (p10, p11, q10, q11, v): β·p10·q11 + β·p11·q10 + q10·q11·v = 1. */
export const GKR_ROOT_FINAL: ZkFinalShape = { numEvals: 5, terms: [[0, 3], [1, 2], [2, 3, 4]] };

export interface ZkGkrLayout {
  numVars: number;
  root: ZkFinalLayout;
  /** Layer steps k = 1..N−1. */
  layers: ZkSumcheckLayout[];
  size: number;
}

export interface ZkGkrAt {
  layout: ZkGkrLayout;
  root: ZkFinalAt;
  layers: ZkSumcheckAt[];
}

export interface ZkGkrProof {
  root: ZkFinalProof;
  layers: ZkGkrLayerProof[];
}

/** The pad layout of a padded GKR over N leaf variables (a function of N alone). */
export function zkGkrLayout(numVars: number): ZkGkrLayout {
  if (!Number.isInteger(numVars) || numVars < 1 || numVars > MAX_GKR_VARS) throw new RangeError(`zk gkr: expected 1 ≤ N ≤ ${MAX_GKR_VARS}, got ${numVars}`);
  const root = zkFinalLayout(GKR_ROOT_FINAL);
  const layers = Array.from({ length: numVars - 1 }, (_, i) => zkGkrLayerLayout(i + 1));
  return { numVars, root, layers, size: root.size + layers.reduce((s, l) => s + l.size, 0) };
}

/** The layout placed contiguously at `base`: root check, then the layer steps in order. */
export function zkGkrAt(layout: ZkGkrLayout, base: number): ZkGkrAt {
  const root = zkFinalAt(layout.root, base);
  let off = base + layout.root.size;
  const layers = layout.layers.map((l) => {
    const at = zkSumcheckAt(l, off);
    off += l.size;
    return at;
  });
  return { layout, root, layers };
}

/** Prover, before committing w: uniform pads for the whole GKR, then its product slots. */
export function fillZkGkrPads(w: Uint32Array, at: ZkGkrAt, words: WordSource = cryptoWords): void {
  const [a, b] = finalPadRange(at.root);
  fillUniform(w, a, b, words);
  fillFinalProducts(w, at.root);
  for (const l of at.layers) fillZkPads(w, l, words);
}

/**
 * Proves Σ p_i/q_i = 0 over ext leaves (2^N elements each) with every message padded; the pads of
 * `at` must be in w and filled. Runs `./gkr-prover.ts`'s workspace prover with padding hooks: the
 * root check's values (and v = 1/q_0) padded, then `<label>/root-beta`; each layer's sumcheck with a
 * hidden sum and padded rounds; the masks padded. Like the clear prover it does not check the sum
 * (nor q_0 ≠ 0: with q_0 = 0 it sends v = 0, which the constraints refuse). Returns the proof and the
 * clear leaf claim.
 */
export function proveZkGkr(tr: Transcript, leavesP: Uint32Array, leavesQ: Uint32Array, w: Uint32Array, at: ZkGkrAt, label = 'gkr'): { proof: ZkGkrProof; point: Point; p: Ext; q: Ext } {
  const n = at.layout.numVars;
  if (leavesP.length !== 4 << n || leavesQ.length !== 4 << n) throw new RangeError(`zk gkr: expected leaf vectors of 2^${n} ext elements, got ${leavesP.length / 4} and ${leavesQ.length / 4}`);
  let root: ZkFinalProof | undefined;
  const masks: ZkFinalProof[] = [];
  const hooks: GkrProverHooks = {
    root: (t, values) => {
      const q0 = extMul(values.subarray(8, 12), values.subarray(12, 16));
      const v = extIsZero(q0) ? ext() : extInv(q0);
      const evals = [0, 1, 2, 3].map((i) => values.subarray(4 * i, 4 * i + 4));
      root = proveZkFinal(t, w, at.root, [...evals, v], `${label}/root`);
      t.challengeExt(`${label}/root-beta`); // drawn by the verifier for its combined root check
    },
    layer: (k) => zkSumcheckHooks(w, at.layers[k - 1].rounds, 3, true),
    masks: (t, k, values) => {
      const evals = [0, 1, 2, 3].map((i) => values.subarray(4 * i, 4 * i + 4));
      masks.push(proveZkFinal(t, w, at.layers[k - 1].final!, evals, `${label}/masks`));
    },
  };
  const out = proveFractionSum(tr, { kind: 'general', p: leavesP, q: leavesQ }, label, { hooks });
  const layers = out.proof.layers.map((l, i) => ({ sumcheck: l.sumcheck, masks: masks[i] }));
  return { proof: { root: root!, layers }, point: out.claim.point, p: out.claim.p, q: out.claim.q };
}

export type ZkGkrVerifyResult = ({ ok: true; system: ConstraintSystem } & ZkGkrClaim) | { ok: false; error: VerifyError };

/**
 * Verifies a padded GKR over N leaf variables: emits the root check and every layer's
 * constraints, and returns the leaf claim (r, P, Q) as expressions, **which the caller must
 * discharge** against the leaves. Never throws.
 */
export function verifyZkGkr(tr: Transcript, proof: ZkGkrProof, at: ZkGkrAt, label = 'gkr'): ZkGkrVerifyResult {
  const n = at?.layout?.numVars;
  if (!Number.isInteger(n) || n < 1 || at.layers.length !== n - 1) return fail('BadShape', 'zk gkr: expected a zkGkrLayout placement');
  if (!proof || !Array.isArray(proof.layers) || proof.layers.length !== n - 1) {
    return fail('WrongLayerCount', `zk gkr: expected ${n - 1} layers, got ${Array.isArray(proof?.layers) ? proof.layers.length : 'none'}`);
  }
  const root = verifyZkFinal(
    tr,
    at.root,
    affineConst(ext(1)),
    (t) => {
      const beta = t.challengeExt(`${label}/root-beta`);
      return [beta, beta, ext(1)];
    },
    proof.root,
    `${label}/root`,
  );
  if (!root.ok) return fail('MalformedRoot', `zk gkr: root: ${root.error.message}`, { cause: root.error });
  const system = appendSystem(emptySystem(), root.system);
  const mu = tr.challengeExt(`${label}/mu`);
  const w = [extSub(ext(1), mu), mu];
  let claim: ZkGkrClaim = { point: mu.slice(), p: affineCombine(w, [root.evals[0], root.evals[1]]), q: affineCombine(w, [root.evals[2], root.evals[3]]) };
  for (let k = 1; k < n; k++) {
    const step = verifyZkGkrLayer(tr, claim, proof.layers[k - 1], at.layers[k - 1], label);
    if (!step.ok) return step;
    appendSystem(system, step.system);
    claim = { point: step.point, p: step.p, q: step.q };
  }
  return { ok: true, ...claim, system };
}

/** u32 N, the root's padded values (`writeZkFinalProof`), then per layer its rounds and masks. */
export function writeZkGkrProof(w: ByteWriter, proof: ZkGkrProof): void {
  w.u32(proof.layers.length + 1);
  writeZkFinalProof(w, proof.root);
  for (const l of proof.layers) {
    writeSumcheckProof(w, l.sumcheck);
    writeZkFinalProof(w, l.masks);
  }
}

/** Reads a padded GKR proof for `layout`; every length is fixed by it (bounded reader, DecodeError on bad bytes). */
export function readZkGkrProof(r: ByteReader, layout: ZkGkrLayout): ZkGkrProof {
  const n = layout.numVars;
  r.u32In(n, n, 'zk gkr leaf variables');
  const root = readZkFinalProof(r, layout.root);
  const layers: ZkGkrLayerProof[] = layout.layers.map((l, i) => {
    if (!l.final) throw new RangeError(`zk gkr: layer ${i + 1} of the layout has no final check`);
    const sumcheck = readSumcheckProof(r, l.numVars, l.degree);
    return { sumcheck, masks: readZkFinalProof(r, l.final) };
  });
  return { root, layers };
}
