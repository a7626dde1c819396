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
 * and the proof bytes can never diverge. A failed check throws `Rejected`, which the verifier
 * entry point turns into `{ ok: false, error }`.
 */
import type { Ext } from '../field/extension.js';
import type { LookupTable } from '../piop/lookup/tables.js';
import type { Point } from '../poly/multilinear.js';
import type { SumcheckInstance, SumcheckProverOutput } from '../piop/sumcheck.js';
import type { Layer } from '../quantize/layers.js';
import type { Transcript } from '../transcript/transcript.js';
import type { Layout } from './layout.js';

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
  layout(tensor: string): Layout;
  range(tensor: string): { lo: number; hi: number };
  isParam(tensor: string): boolean;
  /** Registers the claim tensor~(point) = value, settled at the end. */
  claim(tensor: string, point: Point, value: Ext): void;
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
}

export interface VerifierContext extends Common {
  readonly role: 'verifier';
  /** Public values of a model input or output (undefined for private tensors). */
  publicValues(tensor: string): ArrayLike<number> | undefined;
  /** Reads `count` ext elements from the proof and absorbs them. */
  recv(label: string, count: number): Uint32Array;
  /**
   * Reads and checks a sumcheck proof of `claimedSum` (a value the verifier derived, never read
   * from the proof); returns the point and the final claim, **which the caller must discharge**.
   */
  sumcheck(numVars: number, degree: number, claimedSum: Ext, label: string): { point: Point; finalClaim: Ext };
}

export type Context = ProverContext | VerifierContext;

export interface LayerProtocol<L extends Layer = Layer> {
  plan(L: L, c: PlanContext): LayerPlan;
  /** Auxiliary values (real entries, row-major) for `plan.aux`, from the layer's inputs and output. */
  witness(L: L, plan: LayerPlan, values: (tensor: string) => ArrayLike<number>): Map<string, Int32Array>;
  prove(L: L, plan: LayerPlan, ctx: ProverContext): void;
  verify(L: L, plan: LayerPlan, ctx: VerifierContext): void;
}
