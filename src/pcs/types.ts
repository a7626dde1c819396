/**
 * The multilinear polynomial commitment interface every protocol codes against (STYLE §2):
 * `commit / open / verify` with opaque prover data. A commitment binds a base-field vector f
 * of length 2^n; an opening proves f~(z) = y for a point z ∈ K^n.
 *
 * Implementations: the tensor (Ligero/Brakedown) PCS in `./tensor.ts`, and `ClearPcs` in
 * `./clear.ts`, which opens by revealing the vector and keeps protocol tests fast. A hiding
 * variant (salted leaves, blinding rows) slots in behind the same interface: prover data and
 * proofs are opaque to callers, and randomness is drawn inside `commit`/`open`.
 */
import type { Ext } from '../field/extension.js';
import type { Point } from '../poly/multilinear.js';
import type { Transcript } from '../transcript/transcript.js';
import type { ByteReader, ByteWriter } from '../util/bytes.js';
import type { VerifyResult } from '../util/result.js';

export interface OpenOptions {
  /**
   * The point was drawn from the transcript after this commitment was absorbed. Required by
   * PCS modes whose soundness relies on a random point (the merged proximity test).
   */
  pointIsChallenge?: boolean;
}

export interface MultilinearPcs<Commitment, ProverData, Proof> {
  readonly name: string;
  commit(values: Uint32Array): { commitment: Commitment; data: ProverData };
  /** The committed vector itself, from the prover data (the prover side of batch openings). */
  committedValues(data: ProverData): Uint32Array;
  /** Number of variables n of a committed vector (its length is 2^n). */
  numVars(commitment: Commitment): number;
  /** The bytes that identify a commitment in transcripts and receipts. */
  commitmentBytes(commitment: Commitment): Uint8Array;
  /** Parses `commitmentBytes` output; throws DecodeError on malformed input. */
  readCommitment(r: ByteReader): Commitment;
  /** Opens f~ at z: absorbs the commitment, z and y itself before drawing anything. */
  open(data: ProverData, point: Point, tr: Transcript, opts?: OpenOptions): { value: Ext; proof: Proof };
  /** Checks an opening; never throws on hostile input. */
  verify(commitment: Commitment, point: Point, value: Ext, proof: Proof, tr: Transcript, opts?: OpenOptions): VerifyResult;
  writeProof(w: ByteWriter, proof: Proof): void;
  /** Reads a proof for `commitment`, bounded by its shape; throws DecodeError on malformed input. */
  readProof(r: ByteReader, commitment: Commitment): Proof;
}

/** Any PCS, for generic code (batch openings, the shared test suite). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPcs = MultilinearPcs<any, any, any>;
