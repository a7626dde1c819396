/**
 * Policy arithmetic, all exact (integers, BigInt where products could pass 2^53).
 *
 * Honesty condition (sampled). An operator that cheats saves C (the cost of the work) and is
 * audited with probability p; caught, it loses the stake S and is not paid the reward R. Honest
 * play earns R − C, cheating earns (1 − p)·R − p·S, so honesty strictly pays iff
 *     R − C > (1 − p)·R − p·S   ⇔   p·(R + S) > C.
 * With p in parts per million: ppm·(R + S) > C·10^6. The market refuses sampled jobs that break it.
 *
 * Audit draw (commit-reveal). For each job the coordinator derives a secret seed
 * s = H("seed" ‖ master secret ‖ job) and publishes H(s) when the job is posted. After the
 * operator has submitted, subHash = H("submission" ‖ job ‖ operator ‖ trace root ‖ h_{N−1}) fixes
 * the submission (h_{N−1}, checked against the root, commits to the output: trace.ts), and the
 * draw is
 *     x = first 6 bytes of H("audit" ‖ s ‖ job ‖ subHash) as a big-endian integer < 2^48,
 *     audited ⇔ x·10^6 < ppm·2^48,
 * so P[audit] = ppm/10^6 up to 2^-48. s is revealed with the draw; anyone can check H(s) against
 * the commitment and recompute the draw. The operator cannot predict it (s is secret until its
 * submission is fixed) and the coordinator cannot steer it per submission (s is committed before
 * the submission exists). The coordinator itself is trusted not to leak s early.
 *
 * Receipt context. A receipt proves output = model(input) for a public context bound into its
 * transcript (verifier/receipt.ts); the market demands its own: this market, this job, this
 * operator (`receiptContext`). A receipt made for another job — or by another operator for the
 * same input — does not verify for it, so nobody is paid for a receipt they did not make.
 */
import { sha256 } from '../hash/index.js';
import { bytesEqual, fromHex, toHex } from '../util/bytes.js';
import { MarketError, PPM } from './types.js';

const ENC = new TextEncoder();

/** Refuses parameters violating p·(R + S) > C, with the numbers and what would fix them. */
export function checkHonesty(auditPpm: number, reward: number, stake: number, cheatGain: number): void {
  const lhs = BigInt(auditPpm) * BigInt(reward + stake);
  const rhs = BigInt(cheatGain) * BigInt(PPM);
  if (lhs > rhs) return;
  const p = auditPpm / PPM;
  const minP = cheatGain / (reward + stake);
  const minS = auditPpm > 0 ? Math.floor((cheatGain * PPM) / auditPpm) - reward + 1 : Infinity;
  throw new MarketError(
    'HonestyCondition',
    `refused: sampled jobs need p·(R + S) > C so that cheating does not pay, got p = ${p}, R = ${reward}, S = ${stake}, C = ${cheatGain}: ` +
      `p·(R + S) = ${(p * (reward + stake)).toPrecision(6)} ≤ ${cheatGain} (raise p above ${minP.toPrecision(6)}, or the stake S to at least ${minS})`,
    { p, reward, stake, cheatGain },
  );
}

export function jobSeed(master: Uint8Array, job: number): Uint8Array {
  return sha256(ENC.encode('zkinfer-market/v1/seed'), master, ENC.encode(String(job)));
}

export function seedCommitment(seed: Uint8Array): string {
  return toHex(sha256(ENC.encode('zkinfer-market/v1/seed-commit'), seed));
}

/** subHash of the header: what the draw is bound to. */
export function submissionHash(job: number, operator: string, trace: { root: string; last: readonly string[] }): string {
  return toHex(sha256(ENC.encode(`zkinfer-market/v1/submission\0${job}\0${operator}\0${trace.root}\0${trace.last[1]}`)));
}

/** The audit draw of the header. */
export function auditDraw(seed: Uint8Array, job: number, subHash: string, auditPpm: number): boolean {
  const h = sha256(ENC.encode('zkinfer-market/v1/audit'), seed, ENC.encode(`${job}\0${subHash}`));
  let x = 0n;
  for (let i = 0; i < 6; i++) x = (x << 8n) | BigInt(h[i]);
  return x * BigInt(PPM) < BigInt(auditPpm) << 48n;
}

/** What anyone can check once a job's seed is revealed: the commitment and the draw. */
export function checkDraw(seedHex: string, commitment: string, job: number, subHash: string, auditPpm: number, audited: boolean): boolean {
  const seed = fromHex(seedHex);
  return bytesEqual(fromHex(seedCommitment(seed)), fromHex(commitment)) && auditDraw(seed, job, subHash, auditPpm) === audited;
}

/** The context every receipt settling `job` must be bound to (header: "Receipt context"). */
export function receiptContext(marketId: string, job: number, operator: string): string {
  return `zkinfer-market/v1/receipt\0market ${marketId}\0job ${job}\0operator ${operator}`;
}
