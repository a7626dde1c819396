/**
 * Messages between the prover pool (main thread) and its worker threads (`prove-worker.ts`).
 * Inputs travel as flat float arrays per input name, with the context (bytes) the receipt is
 * bound to; receipts come back as transferred bytes. A zero-knowledge model's thread reports its
 * commitment's budget when ready and the columns it has revealed with every receipt: the pool's
 * ledger (`prover/zk-budget.ts`) admits and records every proof.
 */
import type { PrivateInputs } from './idempotency.js';
import type { JobOutput } from './store.js';
import type { ZkBudgetInfo } from '../prover/zk-budget.js';

export interface WorkerInit {
  /** `.zkm` or `.zkc` bytes of the served model; absent for a verify-only worker */
  modelBytes?: Uint8Array;
  /** nice levels below the event loop this thread runs at (`priority.ts`) */
  nice?: number;
}

export type ToWorker =
  | { type: 'prove'; task: number; input: Record<string, number[]>; context: Uint8Array; private?: PrivateInputs }
  | { type: 'verify'; task: number; receipt: Uint8Array; modelId: string; input: Record<string, number[]>; context: Uint8Array };

export type FromWorker =
  | { type: 'ready'; modelId: string; paramCount: number; commitMs: number; zk?: ZkBudgetInfo }
  | { type: 'init-error'; message: string }
  | { type: 'progress'; task: number; stage: string; fraction: number }
  | { type: 'proved'; task: number; output: JobOutput[]; receipt: Uint8Array; timings: Record<string, number>; revealed?: Uint32Array }
  | { type: 'verified'; task: number; ok: boolean; error?: string; output?: JobOutput[] }
  | { type: 'error'; task: number; message: string; userError: boolean };

/** Rough overall completion of a proof from the prover's stage reports (for progress bars). */
export function proveFraction(stage: string, done: number, total: number): number {
  if (stage.startsWith('layer ')) return 0.45 + (0.4 * done) / Math.max(1, total);
  const at: Record<string, number> = { inference: 0, witness: 0.05, 'commit witness': 0.15, lookups: 0.3, openings: 0.85, done: 1 };
  return at[stage] ?? 0;
}
