/**
 * The contract between the receipt prover/verifier and the per-layer proof modules
 * (`src/ops/proofs/<kind>.ts`, STYLE §6).
 *
 * Commit-and-prove (DESIGN §3): every layer output and every auxiliary value (remainders,
 * selectors, …) is committed in one witness vector before any challenge, so each layer is proven
 * on its own: it draws its own random point after the commitment and reduces its relation to
 * evaluation claims on committed, public or parameter tensors (`claim`), which are settled at the
 * end by batch openings (or evaluated directly for public tensors). Range and function relations
 * are declared as lookups in `plan`; the lookup argument runs once for the whole circuit.
 *
 * Both sides run the same code path shape: the prover `send`s values (written to the proof and
 * absorbed), the verifier `recv`s them (read and absorbed) in the same order, so the transcript
 * and the proof bytes can never diverge. A failed check throws `Rejected` (through `reject`), which
 * the verifier entry point turns into `{ ok: false, error }`.
 *
 * Soundness bookkeeping. Every challenge a layer draws goes through `drawPoint` (a random point
 * r ∈ K^m for a multilinear identity: Schwartz–Zippel error m/|K|) or `drawCombiner` (one λ that
 * batches claims as a polynomial of the stated degree in λ: error degree/|K|). They draw exactly
 * what `tr.challengeExts`/`tr.challengeExt` would and, when the context carries `soundness` (the
 * dry replay of `circuit/security.ts`; never while proving or verifying), record the term. The
 * replay checks that every squeeze of its transcript was recorded, so a draw that bypasses these
 * helpers fails loudly instead of being left out of a receipt's security figure.
 */
import { type Ext, extEquals, extToString } from '../field/extension.js';
import type { LookupTable } from '../piop/lookup/tables.js';
import type { Point } from '../poly/multilinear.js';
import { combineFinalEvals, type ProductTerm, type SumcheckInstance, type SumcheckProverOutput } from '../piop/sumcheck.js';
import type { Layer } from '../quantize/layers.js';
import type { Transcript } from '../transcript/transcript.js';
import type { Circuit } from './circuit.js';
import type { Layout } from './layout.js';
import { isClear, type Val } from './values.js';

/** A verification failure inside a layer protocol. */
export class Rejected extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
    this.name = 'Rejected';
  }
}

/**
 * Fails a verifier check: throws `Rejected`, except in the dry replay of `circuit/security.ts`,
 * which runs the layer verifiers on placeholder values to enumerate their challenges and must
 * go on past checks those values cannot pass. Layer code calls it as `if (!ok) reject(ctx, …)`.
 */
export function reject(ctx: Context, kind: string, message: string): void {
  if (ctx.soundness?.dryRun === true) return;
  throw new Rejected(kind, message);
}

function clearValue(v: Val, what: string): Ext {
  if (!isClear(v)) throw new Error(`internal error: a hidden value reached a clear verifier (${what})`);
  return v;
}

/** `VerifierContext.equal` on clear values (the clear verifier and the security replay). */
export function clearEqual(ctx: Context, a: Val, b: Val, kind: string, message: string): void {
  const x = clearValue(a, message);
  const y = clearValue(b, message);
  if (!extEquals(x, y)) reject(ctx, kind, `${message} (${extToString(x)} ≠ ${extToString(y)})`);
}

/** `VerifierContext.finalCheck` on clear values. */
export function clearFinalCheck(ctx: Context, claim: Val, terms: readonly ProductTerm[], evals: readonly Val[], kind: string, message: string): void {
  const got = combineFinalEvals(terms as ProductTerm[], evals.map((e) => clearValue(e, message)));
  clearEqual(ctx, got, claim, kind, message);
}

/**
 * What a context records about its challenges (present only in the security dry replay).
 * `point`: a random point of `numVars` coordinates for an identity multilinear in it;
 * `combiner`: one challenge batching claims as a polynomial of degree `degree` in it.
 */
export interface SoundnessNotes {
  readonly dryRun: boolean;
  point(label: string, numVars: number): void;
  combiner(label: string, degree: number): void;
}

/** A random point r ∈ K^numVars (Schwartz–Zippel error numVars/|K| for a multilinear identity in r). */
export function drawPoint(ctx: Context, label: string, numVars: number): Point {
  const r = ctx.tr.challengeExts(label, numVars);
  ctx.soundness?.point(label, numVars);
  return r;
}

/** One batching challenge λ; the batched identity is a polynomial of degree `degree` in λ (error degree/|K|). */
export function drawCombiner(ctx: Context, label: string, degree: number): Ext {
  const x = ctx.tr.challengeExt(label);
  ctx.soundness?.combiner(label, degree);
  return x;
}

/**
 * What every context (prover, verifier, the security dry replay) answers from the circuit alone:
 * a tensor's layout, value range and role. An unknown tensor is `Rejected` (`UnknownTensor`).
 */
export class CircuitTensors {
  constructor(protected readonly circuit: Circuit) {}
  layout(t: string): Layout {
    const i = this.circuit.tensors.get(t);
    if (!i) throw new Rejected('UnknownTensor', `unknown tensor '${t}'`);
    return i.layout;
  }
  range(t: string): { lo: number; hi: number } {
    const i = this.circuit.tensors.get(t)!;
    return { lo: i.lo, hi: i.hi };
  }
  isParam(t: string): boolean {
    return this.circuit.tensors.get(t)?.role === 'param';
  }
}

/** A circuit that cannot be built soundly (wrap-around, unsupported layer): names the layer. */
export class CircuitError extends Error {
  constructor(
    message: string,
    readonly layer?: string,
  ) {
    super(message);
    this.name = 'CircuitError';
  }
}

/**
 * A lookup column: sign·tensor + constOffset + chiOffset·χ (an affine image of a committed or
 * public tensor; χ is the tensor's real-entry indicator). Claims on it become claims on the tensor.
 */
export interface ColumnSpec {
  tensor: string;
  sign?: 1 | -1;
  constOffset?: number;
  chiOffset?: number;
}

/** One looked-up tuple: all columns over the same tensor layout. */
export interface LookupSpec {
  table: LookupTable;
  columns: ColumnSpec[];
}

export interface AuxSpec {
  name: string;
  dims: number[];
}

export interface LayerPlan {
  aux: AuxSpec[];
  lookups: LookupSpec[];
  /** layer-specific data computed once from the description (both sides) */
  data?: unknown;
}

/** What a layer module sees of the circuit while planning (no values). */
export interface PlanContext {
  dims(tensor: string): number[];
  /** value range [lo, hi] of an activation, or of a parameter from its limb count */
  range(tensor: string): { lo: number; hi: number };
  isParam(tensor: string): boolean;
}

interface Common {
  readonly tr: Transcript;
  /** Soundness bookkeeping of the security dry replay; absent while proving and verifying. */
  readonly soundness?: SoundnessNotes;
  layout(tensor: string): Layout;
  range(tensor: string): { lo: number; hi: number };
  isParam(tensor: string): boolean;
  /** Registers the claim tensor~(point) = value, settled at the end. */
  claim(tensor: string, point: Point, value: Val): void;
}

export interface ProverContext extends Common {
  readonly role: 'prover';
  /** Real (unpadded) integer values of any tensor: activation, auxiliary or parameter. */
  values(tensor: string): ArrayLike<number>;
  /** Padded field vector of a tensor (zeros on padding). */
  field(tensor: string): Uint32Array;
  /** Writes ext elements to the proof and absorbs them. */
  send(label: string, v: Uint32Array): void;
  /**
   * The honest prover's consistency check: throws `message` unless `ok`. Test harnesses that
   * forge witnesses turn these off (`unchecked`) to get the proof a cheating prover would send.
   */
  assert(ok: boolean, message: string): void;
  /** Runs and records a sumcheck (the statement is absorbed by the sumcheck itself). */
  sumcheck(inst: SumcheckInstance, label: string): SumcheckProverOutput;
  /**
   * The prover's half of `VerifierContext.finalCheck`, called right after the evaluations were
   * sent, with the same terms over the same (clear) evaluations: a zero-knowledge receipt sends
   * the intermediate products of terms with three or more factors here.
   */
  finalCheck(label: string, terms: readonly ProductTerm[], evals: readonly Ext[]): void;
}

export interface VerifierContext extends Common {
  readonly role: 'verifier';
  /** Public values of a model input or output (undefined for private tensors). */
  publicValues(tensor: string): ArrayLike<number> | undefined;
  /** Reads `count` ext elements from the proof and absorbs them (hidden values in a zero-knowledge receipt). */
  recv(label: string, count: number): Val[];
  /**
   * Reads and checks a sumcheck proof of `claimedSum` (a value the verifier derived, never read
   * from the proof); returns the point and the final claim, **which the caller must discharge**.
   */
  sumcheck(numVars: number, degree: number, claimedSum: Val, label: string): { point: Point; finalClaim: Val };
  /** Checks a = b: compared when both are clear, a constraint on the committed vector when either is hidden. */
  equal(a: Val, b: Val, kind: string, message: string): void;
  /**
   * Checks claim = Σ_j coeff_j·Π_{l ∈ factors_j} evals[l], where every eval is a value received
   * from the proof (public factors folded into the coefficients: `foldPublic`). The prover calls
   * its `finalCheck` with the same terms at the same place.
   */
  finalCheck(label: string, claim: Val, terms: readonly ProductTerm[], evals: readonly Val[], kind: string, message: string): void;
}

export type Context = ProverContext | VerifierContext;

export interface LayerProtocol<L extends Layer = Layer> {
  plan(L: L, c: PlanContext): LayerPlan;
  /** Auxiliary values (real entries, row-major) for `plan.aux`, from the layer's inputs and output. */
  witness(L: L, plan: LayerPlan, values: (tensor: string) => ArrayLike<number>): Map<string, Int32Array>;
  prove(L: L, plan: LayerPlan, ctx: ProverContext): void;
  verify(L: L, plan: LayerPlan, ctx: VerifierContext): void;
}
