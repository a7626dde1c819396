/**
 * The honest agents' side of the protocol, as functions from what an agent knows (its key, its
 * computed trace, the job as the coordinator shows it) to the next signed request. The simulation
 * calls the coordinator with these requests directly; the CLI agents send them over HTTP; the
 * tests use both. Nothing here decides money or validity — the coordinator checks everything.
 *
 * Operators compute with `executeTrace` (the market's reference semantics, trace.ts) and, for jobs
 * that may need a receipt (policy `proof`, private models), refuse a job whose strict inference
 * fails (a value outside the calibrated range cannot be proven, so locking it would only lose the
 * stake). Auditors and challengers re-execute and compare the last leaf of the trace.
 */
import { toHex } from '../util/bytes.js';
import type { DisputeState, Party } from './dispute.js';
import { signRequest, type KeyPair, type SignedRequest } from './sign.js';
import { openLeaf, openStep, outputsToWire, traceClaim, type ExecutedTrace } from './trace.js';
import type { QuantizedModel } from '../quantize/layers.js';

/** Signs requests with strictly increasing nonces. */
export class Signer {
  constructor(
    readonly key: KeyPair,
    readonly marketId: string,
    private nonce = 0,
  ) {}

  get account(): string {
    return this.key.account;
  }

  /** Continue above a nonce the coordinator reports (e.g. after a restart of the agent). */
  resumeAfter(lastNonce: number): void {
    this.nonce = Math.max(this.nonce, lastNonce);
  }

  sign(action: string, body: Record<string, unknown>): SignedRequest {
    return signRequest(this.marketId, this.key, action, ++this.nonce, body);
  }
}

/** A request an agent wants sent. */
export interface Move {
  action: string;
  body: Record<string, unknown>;
}

/** The body of a submission (sampled / optimistic) or of an audit report / challenge: outputs and trace claim. */
export function traceBody(job: number, t: ExecutedTrace): Record<string, unknown> {
  return { job, outputs: outputsToWire(t.outputs), trace: traceClaim(t.commitment) };
}

/** A proof-policy submission. */
export function receiptBody(job: number, t: { outputs: { name: string; q: Int32Array }[] }, receipt: Uint8Array): Record<string, unknown> {
  return { job, outputs: outputsToWire(t.outputs), receipt: Buffer.from(receipt).toString('base64') };
}

/**
 * The next dispute move of `party`, which holds trace `t`, or null when it is not its turn (or the
 * dispute needs a receipt, which the caller proves). Honest play: open the asked leaf; in the
 * opening phase, open the disputed step.
 */
export function disputeMove(job: number, d: DisputeState, party: Party, model: QuantizedModel, t: ExecutedTrace): Move | null {
  if (d.mode === 'bisect' && d.turn === party) return { action: 'dispute.reveal', body: { job, index: d.mid, ...openLeaf(t.commitment, d.mid) } };
  if (d.mode === 'open') return { action: 'dispute.open', body: { job, ...openStep(model, t, d.hi) } };
  return null;
}

/** Whether an auditor's / challenger's own trace disagrees with a submission's claim. */
export function disagrees(claimLastLeaf: string, t: ExecutedTrace): boolean {
  return toHex(t.commitment.leaves[t.commitment.leaves.length - 1]) !== claimLastLeaf;
}
