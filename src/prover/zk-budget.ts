/**
 * The opening budget of a zero-knowledge model's parameter commitment, kept across proofs,
 * proving threads and restarts (docs/zero-knowledge.md §4).
 *
 * The commitment's rows hide their messages while at most k of their codeword positions have
 * been revealed in all; every receipt opens t positions (drawn with replacement, so at most t new
 * ones). The zk-Ligero prover refuses a proof that would exceed k for the prover data it holds
 * (`pcs/zk-ligero.ts`), but several holders of the same commitment (proving threads that each
 * re-created it from the seed, a process restarted from the same `.zkc`) each see only their own
 * proofs. This ledger is the single record they must share:
 *  - `reserve()` before a proof: admitted only if every proof in flight, this one included, still
 *    fits when each reveals t new positions (|revealed| + t·(in flight + 1) ≤ k);
 *  - `settle(columns)` after it, before its receipt is released: records the positions the proof
 *    revealed and persists the record (a receipt whose positions could be forgotten by a restart
 *    is never handed out; if persisting fails, `settle` throws and the caller withholds it);
 *  - `release()` when a proof failed or its thread died: its receipt never left, so nothing of the
 *    commitment was revealed by it.
 * The record is the sorted list of revealed positions that the `.zkc` file stores
 * (`zkcWithRevealed`), so the budget lives with the seed it protects.
 *
 * This is the ledger of one commitment: the pool of `zkinfer serve` admits by it (its threads prove
 * against the root). `zkinfer prove` and the market operator admit by the tree of renewals
 * (`./zk-tree.ts`), which keeps one such count per commitment and renews when one is spent.
 */
export class ZkBudgetSpent extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZkBudgetSpent';
  }
}

export interface ZkBudgetInfo {
  /** random symbols per row: positions the rows hide */
  k: number;
  /** positions every receipt opens */
  t: number;
  /** positions revealed so far */
  revealed: ArrayLike<number>;
}

export class ZkOpeningLedger {
  private readonly revealed: Set<number>;
  private inFlight = 0;

  constructor(
    info: ZkBudgetInfo,
    private readonly persist: (revealed: Uint32Array) => void,
  ) {
    if (!(info.t >= 1 && info.k >= info.t)) throw new RangeError(`zk budget: need k ≥ t ≥ 1, got k = ${info.k}, t = ${info.t}`);
    this.k = info.k;
    this.t = info.t;
    this.revealed = new Set(Array.from(info.revealed));
    if (this.revealed.size > this.k) throw new RangeError(`zk budget: ${this.revealed.size} revealed positions exceed k = ${this.k}`);
  }
  readonly k: number;
  readonly t: number;

  /** receipts that can still be proved, counting t new positions for each one in flight */
  get receiptsLeft(): number {
    return Math.max(0, Math.floor((this.k - this.revealed.size) / this.t) - this.inFlight);
  }

  get revealedCount(): number {
    return this.revealed.size;
  }

  /** Admits one proof, or throws `ZkBudgetSpent` (admitting none). */
  reserve(): void {
    if (this.receiptsLeft < 1) {
      throw new ZkBudgetSpent(
        `the zero-knowledge opening budget of this model's parameter commitment is spent (${this.revealed.size} of its k = ${this.k} hidden positions revealed, ${this.inFlight} proof(s) in flight, t = ${this.t} per receipt): another receipt could reveal the weights. Commit the model again (zkinfer commit --zk, a new model ID) or with a larger --zk-openings`,
      );
    }
    this.inFlight++;
  }

  /** Records a finished proof's revealed positions and persists them (throws if that fails). */
  settle(columns: ArrayLike<number>): void {
    if (this.inFlight < 1) throw new Error('zk budget: settle without a reservation');
    this.inFlight--;
    for (let i = 0; i < columns.length; i++) this.revealed.add(columns[i]);
    this.persist(Uint32Array.from(this.revealed).sort());
  }

  /** Returns a reservation whose proof never produced a receipt. */
  release(): void {
    if (this.inFlight < 1) throw new Error('zk budget: release without a reservation');
    this.inFlight--;
  }
}
