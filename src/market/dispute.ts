/**
 * Disputes: bisection over two trace commitments (src/market/trace.ts) to the first step where
 * they differ, then a one-step settlement. Pure state transitions; the coordinator stores the
 * state, runs the deadlines and moves the money.
 *
 * Both parties committed a root over chained leaves h_0..h_{N−1} and revealed their last two
 * leaves (a submission / challenge does). Invariant: both opened the same leaf at `lo` (lo = −1:
 * before the first step) and different leaves at `hi`. Because leaves are chained, agreeing at lo
 * means agreeing on every tensor up to step lo. Each round the operator, then the challenger,
 * opens leaf mid = ⌊(lo + hi)/2⌋ against its own root; equal → lo = mid, different → hi = mid.
 * When hi = lo + 1, step hi is the first disputed step: hi = 0 (the input) is settled from the
 * job's input alone; otherwise either party opens step hi (prefix digests that chain to the agreed
 * h_lo and the tensors the layer reads) and the coordinator re-executes that one layer. The party
 * whose leaf at hi equals the recomputed one is right; if neither is, both lose. ⌈log2 N⌉ rounds.
 *
 * Private models (weights not public) cannot be re-executed, and zkinfer has no per-layer slice
 * proofs yet, so their disputes skip the bisection (it would localize a layer nothing can settle)
 * and demand a FULL receipt from the operator (`mode: 'receipt'`): a receipt that verifies for the
 * job's input and the submitted output settles for the operator; anything else, or none before
 * the deadline, for the challenger. A receipt proves the output, not the committed trace.
 *
 * Deadlines (coordinator): the party whose turn it is loses when its move is late; in the opening
 * (`turn: 'either'`) and the receipt modes the operator carries the burden of proof and loses.
 */
import { bytesEqual, fromHex } from '../util/bytes.js';
import { checkLeaf, type TraceClaim } from './trace.js';
import { MarketError } from './types.js';

export type Party = 'operator' | 'challenger';

export interface DisputeState {
  mode: 'bisect' | 'open' | 'receipt';
  steps: number;
  opRoot: string;
  chRoot: string;
  lo: number;
  /** the agreed leaf h_lo (null while lo = −1) */
  loLeaf: string | null;
  hi: number;
  opHi: string;
  chHi: string;
  /** the leaf being bisected and the operator's opening of it, once made */
  mid: number;
  opMid: string | null;
  turn: Party | 'either';
  rounds: number;
}

export interface DisputeOutcome {
  /** whose claim at the disputed step was right */
  operatorRight: boolean;
  challengerRight: boolean;
  step: number;
}

/** Starts a bisection between a submission's and a challenge's trace claims (both already checked). */
export function startBisection(op: TraceClaim, ch: TraceClaim): DisputeState {
  const N = op.steps;
  if (ch.steps !== N) throw new MarketError('BadRequest', `challenge trace has ${ch.steps} steps, the submission ${N}`);
  if (op.last[1] === ch.last[1]) {
    throw new MarketError('BadRequest', 'nothing to dispute: the challenge opens the same last leaf as the submission (same trace, same output)');
  }
  // Both already opened leaf N−2: agreement there leaves only the output step.
  const agreeAtN2 = op.last[0] === ch.last[0];
  const s: DisputeState = {
    mode: 'bisect',
    steps: N,
    opRoot: op.root,
    chRoot: ch.root,
    lo: agreeAtN2 ? N - 2 : -1,
    loLeaf: agreeAtN2 ? op.last[0] : null,
    hi: agreeAtN2 ? N - 1 : N - 2,
    opHi: agreeAtN2 ? op.last[1] : op.last[0],
    chHi: agreeAtN2 ? ch.last[1] : ch.last[0],
    mid: -1,
    opMid: null,
    turn: 'operator',
    rounds: 0,
  };
  return narrowed(s);
}

/** A receipt-mode dispute (private model). */
export function startReceiptDispute(steps: number): DisputeState {
  return { mode: 'receipt', steps, opRoot: '', chRoot: '', lo: -1, loLeaf: null, hi: steps - 1, opHi: '', chHi: '', mid: -1, opMid: null, turn: 'operator', rounds: 0 };
}

function narrowed(s: DisputeState): DisputeState {
  if (s.hi === s.lo + 1) return { ...s, mode: 'open', mid: -1, opMid: null, turn: 'either' };
  return { ...s, mid: Math.floor((s.lo + s.hi) / 2), opMid: null, turn: 'operator' };
}

/**
 * A bisection move: `party` opens leaf `index` (must be the current mid) against its own root.
 * Throws (state unchanged) on a move out of turn, a wrong index or an opening that does not verify.
 */
export function reveal(s: DisputeState, party: Party, index: unknown, opening: unknown): DisputeState {
  if (s.mode !== 'bisect') throw new MarketError('BadState', `dispute is in its '${s.mode}' phase, not bisecting`);
  if (party !== s.turn) throw new MarketError('Forbidden', `it is the ${s.turn}'s move, not the ${party}'s`);
  if (index !== s.mid) throw new MarketError('BadRequest', `expected an opening of leaf ${s.mid}, got ${JSON.stringify(index)}`);
  const leaf = checkLeaf(party === 'operator' ? s.opRoot : s.chRoot, s.steps, s.mid, opening);
  if (party === 'operator') return { ...s, opMid: leaf, turn: 'challenger' };
  const agree = leaf === s.opMid;
  const next: DisputeState = agree
    ? { ...s, lo: s.mid, loLeaf: leaf, rounds: s.rounds + 1 }
    : { ...s, hi: s.mid, opHi: s.opMid!, chHi: leaf, rounds: s.rounds + 1 };
  return narrowed(next);
}

/** The first disputed step, once the bisection has narrowed to it (mode 'open'). */
export function disputedStep(s: DisputeState): number {
  if (s.mode !== 'open') throw new MarketError('BadState', `dispute is in its '${s.mode}' phase, not opening a step`);
  return s.hi;
}

/**
 * Decides the disputed step given its correct leaf (from the job's input when hi = 0, else from a
 * checked opening; null when the step has no valid value).
 */
export function decide(s: DisputeState, correct: Uint8Array | null): DisputeOutcome {
  const step = disputedStep(s);
  return {
    step,
    operatorRight: correct !== null && bytesEqual(fromHex(s.opHi), correct),
    challengerRight: correct !== null && bytesEqual(fromHex(s.chHi), correct),
  };
}
