/**
 * Test harness for the padded batch (`src/pcs/zk-batch.ts`): a committed address space
 * (other data ‖ region of tensors ‖ pads of the claimed values ‖ the batch's pads), claims of
 * mixed sizes on aligned slices of the tensors, each value hidden as ṽ − P (its pad in w, ṽ
 * absorbed before the batch as an earlier protocol step would), the honest prover and the
 * verifier, so that `checkConstraints(w, system)` is the whole statement.
 */
import { type Ext, extAdd, extSub } from '../../src/field/extension.js';
import { checkConstraints } from '../../src/pcs/constraints.js';
import {
  fillZkBatchPads,
  proveZkBatch,
  verifyZkBatch,
  zkBatchAt,
  zkBatchLayout,
  type ZkBatchAt,
  type ZkBatchClaim,
  type ZkBatchProof,
  type ZkBatchRegion,
  type ZkBatchVerifyResult,
} from '../../src/pcs/zk-batch.js';
import { evaluateBase, numVarsOf } from '../../src/poly/multilinear.js';
import { type Affine, fillUniform, hidden, padAt } from '../../src/piop/zk-affine.js';
import { Transcript } from '../../src/transcript/transcript.js';
import { Rng } from './random.js';
import { seededWords } from './zk.js';

export const PROTOCOL = 'zk-batch-test';
export const LABEL = 'zb';

/** An aligned slice w[offset, offset + 2^k). */
export interface Slice {
  offset: number;
  k: number;
}

export interface BatchCase {
  region: ZkBatchRegion;
  at: ZkBatchAt;
  /** The committed vector (the batch's pads filled by `fillPads`). */
  w: Uint32Array;
  tensors: Slice[];
  /** Clear values (prover). */
  prover: ZkBatchClaim<Ext>[];
  /** ṽ_i − P_i (verifier). */
  verifier: ZkBatchClaim<Affine>[];
  /** ṽ_i, absorbed before the batch. */
  padded: Ext[];
  /** Offset of P_i. */
  valuePads: number[];
}

export interface CaseOptions {
  numVars: number;
  /** Region base in units of 2^numVars (default 1: other data before the region). */
  baseBlocks?: number;
  numClaims: number;
}

/** Tensors tiling most of the region (descending sizes, so each is aligned), the tail left zero. */
function tensorsOf(region: ZkBatchRegion): Slice[] {
  const n = region.numVars;
  const end = region.base + 2 ** n;
  const ks = n < 3 ? [n] : [n - 1, n - 2, n - 3, n - 5, n - 5, 2, 0, 0].filter((k) => k >= 0);
  const out: Slice[] = [];
  let cursor = region.base;
  for (const k of ks) {
    if (cursor + 2 ** k > end) continue;
    out.push({ offset: cursor, k });
    cursor += 2 ** k;
  }
  return out;
}

/** Claim shapes: a random tensor, a quarter of the time an aligned sub-slice of it, a fifth a repeat of an earlier slice (new point); plus the whole region. */
function claimSlices(rng: Rng, region: ZkBatchRegion, tensors: Slice[], numClaims: number): Slice[] {
  const out: Slice[] = [{ offset: region.base, k: region.numVars }];
  while (out.length < numClaims) {
    if (out.length > 1 && rng.int(5) === 0) {
      out.push(out[1 + rng.int(out.length - 1)]);
      continue;
    }
    const t = tensors[rng.int(tensors.length)];
    if (t.k > 0 && rng.int(4) === 0) {
      const k = rng.int(t.k);
      out.push({ offset: t.offset + rng.int(2 ** (t.k - k)) * 2 ** k, k });
    } else out.push(t);
  }
  return out.slice(0, numClaims);
}

/** Base entries before the region, in it, the value pads and the batch pads. */
export function batchCase(seed: number, opts: CaseOptions): BatchCase {
  const rng = new Rng(seed);
  const n = opts.numVars;
  const region = { base: (opts.baseBlocks ?? 1) * 2 ** n, numVars: n };
  const tensors = tensorsOf(region);
  const slices = claimSlices(rng, region, tensors, opts.numClaims);
  const valueBase = region.base + 2 ** n;
  const layout = zkBatchLayout(n);
  const at = zkBatchAt(layout, valueBase + 4 * slices.length);
  const w = new Uint32Array(at.rounds + layout.size);
  w.set(rng.baseVec(region.base), 0);
  for (const t of tensors) w.set(rng.baseVec(2 ** t.k), t.offset);
  fillUniform(w, valueBase, valueBase + 4 * slices.length, seededWords(rng));
  const points = slices.map((s) => rng.extVec(s.k));
  const c: BatchCase = { region, at, w, tensors, prover: [], verifier: [], padded: [], valuePads: slices.map((_, i) => valueBase + 4 * i) };
  setClaims(c, slices, points);
  fillPads(c, rng);
  return c;
}

/** Claims at the given slices and points, their values read from w, each ṽ_i = v_i + P_i. */
function setClaims(c: BatchCase, slices: Slice[], points: Uint32Array[]): void {
  c.prover = slices.map((s, i) => ({ offset: s.offset, point: points[i], value: evaluateBase(c.w.subarray(s.offset, s.offset + 2 ** s.k), points[i]) }));
  c.padded = c.prover.map((p, i) => extAdd(p.value, padAt(c.w, c.valuePads[i])));
  c.verifier = c.prover.map((p, i) => ({ offset: p.offset, point: p.point, value: hidden(c.padded[i], c.valuePads[i]) }));
}

/** Fresh uniform batch pads from `rng`. */
export function fillPads(c: BatchCase, rng: Rng): void {
  fillZkBatchPads(c.w, c.at, seededWords(rng));
}

/**
 * A second witness of the same public statement: new tensor contents, the same shapes, points and
 * padded values ṽ_i — its value pads are solved for (P_i = ṽ_i − v_i).
 */
export function twinOf(c: BatchCase, seed: number): BatchCase {
  const rng = new Rng(seed);
  const w = c.w.slice();
  for (const t of c.tensors) w.set(rng.baseVec(2 ** t.k), t.offset);
  const prover = c.prover.map((p) => ({ ...p, value: evaluateBase(w.subarray(p.offset, p.offset + 2 ** numVarsOf(p.point)), p.point) }));
  prover.forEach((p, i) => w.set(extSub(c.padded[i], p.value), c.valuePads[i]));
  return { ...c, w, prover };
}

export function absorbValues(tr: Transcript, padded: Ext[]): void {
  for (const v of padded) tr.absorbExt(`${LABEL}/value`, v);
}

export function proveCase(c: BatchCase, opts: { unchecked?: boolean; claims?: ZkBatchClaim<Ext>[]; w?: Uint32Array } = {}): { proof: ZkBatchProof | null; tr: Transcript } {
  const tr = new Transcript(PROTOCOL);
  absorbValues(tr, c.padded);
  const { proof } = proveZkBatch(tr, c.region, opts.claims ?? c.prover, opts.w ?? c.w, c.at, LABEL, { unchecked: opts.unchecked });
  return { proof, tr };
}

export function verifyCase(c: BatchCase, proof: ZkBatchProof | null, claims: ZkBatchClaim<Affine>[] = c.verifier): { res: ZkBatchVerifyResult; tr: Transcript } {
  const tr = new Transcript(PROTOCOL);
  absorbValues(tr, c.padded);
  return { res: verifyZkBatch(tr, c.region, claims, proof, c.at, LABEL), tr };
}

/** Null when the verifier accepts and w satisfies its system; else what failed. */
export function holds(c: BatchCase, proof: ZkBatchProof | null, claims?: ZkBatchClaim<Affine>[], w: Uint32Array = c.w): string | null {
  const { res } = verifyCase(c, proof, claims);
  if (!res.ok) return `verifier: ${res.error.kind}`;
  return checkConstraints(w, res.system);
}

export function cloneProof(p: ZkBatchProof): ZkBatchProof {
  return { sumcheck: { rounds: p.sumcheck.rounds.map((s) => s.slice()) }, final: { evals: p.final.evals.slice(), chain: p.final.chain.slice() } };
}
