/**
 * The tree of renewals of a zero-knowledge model's parameter commitment and the ledger that moves
 * along it (docs/zero-knowledge.md §4). The model ID binds the root commitment; every receipt opens
 * one commitment of the tree (t columns) and carries the renewal path to it from the root
 * (`verifier/zk-path.ts`). A commitment with k random symbols per row hides its vector while at most
 * k of its columns are revealed, so it has b = ⌊k/t⌋ openings; a renewal (`pcs/zk-renew.ts`) spends
 * one opening of its parent and leaves its child with ≥ b − 1.
 *
 * Policy (`maxDepth` D, default 2). Let f(D) = b − 1 and, for d < D, f(d) = (b − 1)·f(d + 1) when
 * f(d + 1) > 1, else b − 1: what a fresh commitment at depth d serves. A commitment at depth d < D
 * spends its openings on children when a child serves more than one receipt (f(d + 1) > 1), and on
 * receipts otherwise; one at depth D always on receipts. Each opening spent on a receipt yields one
 * receipt and one spent on a child yields f(d + 1), so this is the policy that serves most: with
 * b ≥ 3 every receipt is proved at depth D, and a fresh model ID serves b·(b − 1)^D receipts
 * (16·15² = 3,600 at the default b = 16, D = 2; 3·2² = 12 with 3 openings); with b ≤ 2 a child
 * would serve one receipt, so the root serves its b receipts itself (as before the tree).
 * Admission walks the tree depth first, existing children before new ones: a proof goes to the first
 * receipt-serving commitment with a spare opening; when there is none, the deepest commitment on the
 * way with a spare opening renews (down to depth D, each new child on its own), and the proof goes to
 * the new leaf. So renewals happen only when the current commitment cannot admit a proof. When no
 * commitment of the tree can, the ledger refuses (`ZkBudgetSpent`), saying how many receipts the
 * model ID served.
 *
 * Records. Every child is recorded with its seed (its randomness: `seededRandom(seed)` rebuilds its
 * prover data from the root's vector), its renewal proof, its parent and its revealed columns; a
 * renewal is persisted (the caller's `persist`: `.zkc` bytes from `zkcWithTree`, written atomically
 * under the file lock) before the proof that uses it starts, and a proof's columns before its
 * receipt is released; `reserve` and the renewal in it run synchronously, so within one process no
 * two admissions interleave. A proof that fails returns its reservation (`release`); a renewal is
 * kept (its child serves the next proofs).
 */
import { commitZkLigero, revealedColumns, zkCommitmentBytes, type ZkLigeroProverData } from '../pcs/zk-ligero.js';
import { cryptoRandom, randomBytes, seededRandom, type RandomSource } from '../pcs/zk-ligero-masks.js';
import { renewZkCommitment } from '../pcs/zk-renew.js';
import type { ReceiptRenewal } from '../verifier/receipt.js';
import type { CommittedModel, StoredChild, StoredZk } from './commit.js';
import { prove, type ProveOptions, type ProveResult, type ZkRenewalPath } from './prove.js';
import { ZkBudgetSpent } from './zk-budget.js';

/** The default maximum depth of the tree (b·(b − 1)² receipts: 3,600 for 16 openings). */
export const DEFAULT_ZK_MAX_DEPTH = 2;

interface TreeNode {
  parent: number;
  depth: number;
  children: number[];
  revealed: Set<number>;
  inFlight: number;
  /** children only: the stored record */
  stored?: StoredChild;
  /** the prover data, rebuilt from the seed when first needed */
  data?: ZkLigeroProverData;
}

/** A proof admitted by the ledger: the node it opens and, below the root, its renewal path. */
export interface ZkTicket {
  node: number;
  depth: number;
  renewal?: ZkRenewalPath;
}

export interface ZkTreeOptions {
  /** the deepest renewal a receipt may carry (default DEFAULT_ZK_MAX_DEPTH; 0: the root alone) */
  maxDepth?: number;
  /** randomness for new children's seeds (default: the system's) */
  rng?: RandomSource;
}

/** What the ledger persists: the root's revealed columns, the children and the receipts served. */
export type ZkTreePersist = (rootRevealed: Uint32Array, children: StoredChild[], served: number) => void;

/**
 * The depth at which the policy proves receipts for a code of k, t (see the header): the least d
 * whose commitments spend their openings on receipts — `maxDepth` when b ≥ 3, else 0.
 */
export function receiptDepthOf(k: number, t: number, maxDepth: number = DEFAULT_ZK_MAX_DEPTH): number {
  return new ZkTree({ k, t, rootRevealed: [] }, { children: [], served: 0 }, maxDepth).receiptDepth;
}

/** What a tree needs beyond its records: the code's k and t and the root's revealed columns. */
export interface ZkTreeInfo {
  /** random symbols per row of every commitment of the tree */
  k: number;
  /** columns each opening reveals */
  t: number;
  rootRevealed: Iterable<number>;
}

/** One commitment of the tree as `inspect` shows it. */
export interface ZkTreeNodeView {
  node: number;
  parent: number;
  depth: number;
  /** a child's commitment root (hex); null for the root (the model ID binds it) */
  root: string | null;
  revealed: number;
  openingsLeft: number;
  /** whether its openings go to receipts (else to children) */
  servesReceipts: boolean;
}

/**
 * The tree's records and the policy's arithmetic (see the header), without prover data: what
 * `zkinfer inspect model.zkc` shows, and the part of the ledger that decides where a proof goes.
 */
export class ZkTree {
  readonly k: number;
  readonly t: number;
  /** b = ⌊k/t⌋: the openings of a fresh root */
  readonly b: number;
  readonly maxDepth: number;
  protected readonly nodes: TreeNode[] = [];
  protected served: number;
  /** whether `served` counts every receipt (false: resumed from a version-4 file, a lower bound) */
  readonly servedExact: boolean;

  constructor(info: ZkTreeInfo, stored: Pick<StoredZk, 'children' | 'served'>, maxDepth: number = DEFAULT_ZK_MAX_DEPTH) {
    if (!(info.t >= 1 && info.k >= info.t)) throw new RangeError(`zk tree: need k ≥ t ≥ 1, got k = ${info.k}, t = ${info.t}`);
    this.k = info.k;
    this.t = info.t;
    this.b = Math.floor(this.k / this.t);
    if (!Number.isInteger(maxDepth) || maxDepth < 0 || maxDepth > 8) throw new RangeError(`zk tree: expected a maximum depth in [0, 8], got ${maxDepth}`);
    this.maxDepth = maxDepth;
    const rootRevealed = new Set(info.rootRevealed);
    if (rootRevealed.size > this.k) throw new RangeError(`zk tree: the root lists ${rootRevealed.size} revealed columns, more than k = ${this.k}`);
    this.nodes.push({ parent: -1, depth: 0, children: [], revealed: rootRevealed, inFlight: 0 });
    stored.children.forEach((c, i) => {
      const p = this.nodes[c.parent];
      if (!p || c.parent > i) throw new RangeError(`zk tree: renewal ${i + 1} names parent ${c.parent}, not an earlier node`);
      if (c.revealed.length > this.k) throw new RangeError(`zk tree: renewal ${i + 1} lists ${c.revealed.length} revealed columns, more than k = ${this.k}`);
      p.children.push(this.nodes.length);
      this.nodes.push({ parent: c.parent, depth: p.depth + 1, children: [], revealed: new Set(c.revealed), inFlight: 0, stored: c });
    });
    this.servedExact = stored.served !== null || rootRevealed.size === 0;
    this.served = stored.served ?? Math.ceil(rootRevealed.size / this.t);
  }

  /** the receipts recorded as served (a lower bound when resumed from a `.zkc` without a tree) */
  get receiptsServed(): number {
    return this.served;
  }

  /** the renewals made so far */
  get renewals(): number {
    return this.nodes.length - 1;
  }

  protected openingsLeft(n: TreeNode): number {
    return Math.max(0, Math.floor((this.k - n.revealed.size) / this.t) - n.inFlight);
  }

  /** f(d): the receipts a fresh commitment at depth d serves under the policy (see the header). */
  protected fresh(d: number): number {
    if (d >= this.maxDepth) return this.b - 1;
    const below = this.fresh(d + 1);
    return below > 1 ? (this.b - 1) * below : this.b - 1;
  }

  /** whether a commitment at depth d spends its openings on children */
  protected renews(d: number): boolean {
    return d < this.maxDepth && this.fresh(d + 1) > 1;
  }

  private capacity(i: number): number {
    const n = this.nodes[i];
    const own = this.openingsLeft(n) * (this.renews(n.depth) ? this.fresh(n.depth + 1) : 1);
    return n.children.reduce((s, c) => s + this.capacity(c), own);
  }

  /** the depth of the receipts the policy proves (a root that served receipts before its tree kept them at depth 0) */
  get receiptDepth(): number {
    let d = 0;
    while (this.renews(d)) d++;
    return d;
  }

  /** receipts the tree can still serve, counting one opening for each proof in flight */
  get receiptsLeft(): number {
    return this.capacity(0);
  }

  /** Every commitment of the tree, root first. */
  describe(): ZkTreeNodeView[] {
    return this.nodes.map((n, i) => ({
      node: i,
      parent: n.parent,
      depth: n.depth,
      root: n.stored ? Buffer.from(n.stored.commitment.subarray(0, 32)).toString('hex') : null,
      revealed: n.revealed.size,
      openingsLeft: this.openingsLeft(n),
      servesReceipts: !this.renews(n.depth),
    }));
  }
}

/** The ledger of a zero-knowledge committed model's tree: admits proofs, renews, records (see the header). */
export class ZkTreeLedger extends ZkTree {
  private readonly rng: RandomSource;

  constructor(
    private readonly cm: CommittedModel,
    stored: Pick<StoredZk, 'children' | 'served'>,
    private readonly persist: ZkTreePersist,
    opts: ZkTreeOptions = {},
  ) {
    if (!cm.zk) throw new Error('ZkTreeLedger: not a zero-knowledge model');
    super({ k: cm.zk.params.randomness, t: cm.zk.params.queries, rootRevealed: cm.zk.data.revealed }, stored, opts.maxDepth);
    this.nodes[0].data = cm.zk.data;
    this.rng = opts.rng ?? cryptoRandom;
  }

  /** The node's prover data: the root's, or rebuilt from the child's seed and checked against its record. */
  private dataOf(i: number): ZkLigeroProverData {
    const n = this.nodes[i];
    if (n.data) return n.data;
    const zk = this.cm.zk!;
    const c = n.stored!;
    const { commitment, data } = commitZkLigero(zk.data.values, zk.params, seededRandom(c.seed), { revealed: Array.from(n.revealed) });
    const own = zkCommitmentBytes(commitment);
    if (own.length !== c.commitment.length || own.some((x, j) => x !== c.commitment[j])) throw new Error(`zk tree: renewal ${i} does not rebuild from its seed (the .zkc's record is inconsistent)`);
    n.data = data;
    return data;
  }

  /** The links from the root to node i, root side first. */
  private pathTo(i: number): ReceiptRenewal[] {
    const out: ReceiptRenewal[] = [];
    for (let n = this.nodes[i]; n.stored; n = this.nodes[n.parent]) out.unshift({ child: n.stored.commitment, proof: n.stored.proof });
    return out;
  }

  private record(): void {
    const children = this.nodes.slice(1).map((n) => ({ ...n.stored!, revealed: Uint32Array.from(n.revealed).sort() }));
    this.persist(Uint32Array.from(this.nodes[0].revealed).sort(), children, this.served);
  }

  /** Renews node i: a fresh child commitment with its proof, recorded (persisted) before it is used. */
  private renew(i: number): number {
    const parent = this.dataOf(i);
    const seed = randomBytes(this.rng, 32);
    const { child, proof } = renewZkCommitment(parent, seededRandom(seed));
    const p = this.nodes[i];
    for (const j of parent.revealed) p.revealed.add(j);
    const stored: StoredChild = { parent: i, seed, commitment: zkCommitmentBytes(child.commitment), proof, revealed: revealedColumns(child.data) };
    const id = this.nodes.length;
    this.nodes.push({ parent: i, depth: p.depth + 1, children: [], revealed: new Set(child.data.revealed), inFlight: 0, stored, data: child.data });
    p.children.push(id);
    try {
      this.record();
    } catch (e) {
      // not persisted: forget the child (its columns of the parent stay counted: the proof exists)
      this.nodes.pop();
      p.children.pop();
      throw e;
    }
    this.dropIfSpent(i);
    return id;
  }

  /** The first receipt-serving node with a spare opening under node i, renewing where needed (see the header). */
  private pick(i: number): number | null {
    const n = this.nodes[i];
    if (!this.renews(n.depth)) return this.openingsLeft(n) >= 1 ? i : null;
    for (const c of n.children) {
      const hit = this.pick(c);
      if (hit !== null) return hit;
    }
    while (this.openingsLeft(n) >= 1) {
      const hit = this.pick(this.renew(i));
      if (hit !== null) return hit;
    }
    return null;
  }

  /** Admits one proof (renewing first if the tree must grow), or throws `ZkBudgetSpent`. */
  reserve(): ZkTicket {
    const i = this.pick(0);
    if (i === null) {
      const inFlight = this.nodes.reduce((s, n) => s + n.inFlight, 0);
      throw new ZkBudgetSpent(
        `the zero-knowledge opening budget of this model ID is spent: it has served ${this.servedExact ? '' : 'at least '}${this.served} receipt(s) from ${this.nodes.length} commitment(s) (the root and ${this.renewals} renewal(s), maximum depth ${this.maxDepth}; ${inFlight} proof(s) in flight, t = ${this.t} of k = ${this.k} columns per opening), and another receipt could reveal the weights. Commit the model again (zkinfer commit --zk, a new model ID), with a larger --zk-openings, or prove with a larger --zk-max-depth`,
      );
    }
    const n = this.nodes[i];
    n.inFlight++;
    return i === 0 ? { node: 0, depth: 0 } : { node: i, depth: n.depth, renewal: { links: this.pathTo(i), data: this.dataOf(i) } };
  }

  /** Records a finished proof's revealed columns (and one receipt served) and persists them (throws if that fails). */
  settle(ticket: ZkTicket, columns: ArrayLike<number>): void {
    const n = this.nodes[ticket.node];
    if (!n || n.inFlight < 1) throw new Error('zk tree: settle without a reservation');
    n.inFlight--;
    for (let j = 0; j < columns.length; j++) n.revealed.add(columns[j]);
    this.served++;
    this.record();
    this.dropIfSpent(ticket.node);
  }

  /** A spent child's prover data (a codeword of the whole parameter side) is never needed again. */
  private dropIfSpent(i: number): void {
    const n = this.nodes[i];
    if (i !== 0 && n.inFlight === 0 && this.openingsLeft(n) === 0) n.data = undefined;
  }

  /** Returns a reservation whose proof never produced a receipt. */
  release(ticket: ZkTicket): void {
    const n = this.nodes[ticket.node];
    if (!n || n.inFlight < 1) throw new Error('zk tree: release without a reservation');
    n.inFlight--;
  }

  /** `prove` admitted by the ledger: reserve (renewing if needed), prove against the ticket's commitment, record its columns before returning. */
  prove(input: Record<string, ArrayLike<number>>, opts: ProveOptions = {}): ProveResult & { depth: number } {
    const ticket = this.reserve();
    let res: ProveResult;
    try {
      res = prove(this.cm, input, { ...opts, renewal: ticket.renewal });
    } catch (e) {
      this.release(ticket);
      throw e;
    }
    this.settle(ticket, revealedColumns(ticket.renewal ? ticket.renewal.data : this.cm.zk!.data));
    return { ...res, depth: ticket.depth };
  }
}
