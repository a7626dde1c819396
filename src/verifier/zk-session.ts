/**
 * The verifier's side of the layer protocols in a zero-knowledge receipt
 * (docs/zero-knowledge.md §2): every value received is hidden — the verifier holds `ṽ − P`, an
 * affine expression in the committed witness vector, P the pad the allocator gives that message
 * (`circuit/zk-pads.ts`, driven exactly as the prover drives it) — and every check the clear
 * verifier makes becomes a constraint in `system`: the round checks of each padded sumcheck
 * (`piop/zk-sumcheck.ts`), the final checks with their committed pad products
 * (`piop/zk-final.ts` `finalCheckSystem`), and each `equal`. Claims keep their hidden values;
 * the receipt links them to the committed vectors at the end. Nothing is decided here: the
 * system means something only once a zero-knowledge Ligero proof shows that the committed
 * vectors satisfy it, so a failed layer check is never an early rejection but an unsatisfiable
 * system (only malformed messages — shapes, non-canonical words — are rejected at once).
 *
 * The same session, fed placeholder words (`placeholderSource`) and marked as a dry run, is the
 * receipt's pad layout: it meets every message, sumcheck and final check of the real run in the
 * same order (a layer's message sequence depends on the circuit alone), so it gives the size of
 * the pad region and every product slot the prover must fill before committing.
 */
import { P } from '../field/babybear.js';

import type { Circuit } from '../circuit/circuit.js';
import { CircuitTensors, clearEqual, Rejected, type SoundnessNotes, type VerifierContext } from '../circuit/protocol.js';
import { extsOf, isClear, toAffine, type Val } from '../circuit/values.js';
import { placeFinal, type PadAllocator, type ProductFill } from '../circuit/zk-pads.js';
import { emptySystem, type ConstraintSystem } from '../pcs/constraints.js';
import { readSumcheckProof, type ProductTerm, type SumcheckProof } from '../piop/sumcheck.js';
import { affineConstraint, appendSystem, hidden, type Affine } from '../piop/zk-affine.js';
import { finalCheckSystem, zkFinalLayout, type Hidden, type Operand } from '../piop/zk-final.js';
import { verifyZkSumcheck, zkSumcheckPadSize } from '../piop/zk-sumcheck.js';
import type { Point } from '../poly/multilinear.js';
import type { Transcript } from '../transcript/transcript.js';
import type { ByteReader } from '../util/bytes.js';

/** Where the session's messages come from: the proof bytes, or placeholders for the layout's dry run. */
export interface ProofSource {
  /** n canonical field words. */
  words(n: number, what: string): Uint32Array;
  rounds(numVars: number, degree: number): SumcheckProof;
}

export function readerSource(r: ByteReader): ProofSource {
  return { words: (n, what) => r.words(n, what), rounds: (m, d) => readSumcheckProof(r, m, d) };
}

/** Canonical pseudo-random words (xorshift): what the dry run "receives". */
export function placeholderSource(seed = 0x9e3779b9): ProofSource {
  let s = seed >>> 0;
  const words = (n: number): Uint32Array => {
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      out[i] = (s >>> 0) % P;
    }
    return out;
  };
  return { words, rounds: (m, d) => ({ rounds: Array.from({ length: m }, () => words(4 * (d + 1))) }) };
}

/** A claim a zero-knowledge session leaves: its value is hidden. */
export interface HiddenClaim {
  tensor: string;
  point: Point;
  value: Affine;
}

const DRY_RUN: SoundnessNotes = { dryRun: true, point() {}, combiner() {} };

export class ZkVerifierSession extends CircuitTensors implements VerifierContext {
  readonly role = 'verifier' as const;
  readonly system: ConstraintSystem = emptySystem();
  readonly claims: HiddenClaim[] = [];
  /** Every product slot, with its operands' pads (what the prover fills before committing). */
  readonly fills: ProductFill[] = [];
  readonly soundness?: SoundnessNotes;
  private readonly sent = new WeakMap<Affine, Hidden>();

  constructor(
    readonly tr: Transcript,
    private readonly src: ProofSource,
    c: Circuit,
    private readonly publics: Map<string, Int32Array>,
    readonly pads: PadAllocator,
    opts: { dryRun?: boolean } = {},
  ) {
    super(c);
    if (opts.dryRun) this.soundness = DRY_RUN;
  }

  publicValues(t: string): ArrayLike<number> | undefined {
    return this.publics.get(t);
  }
  recv(label: string, count: number): Val[] {
    const v = this.src.words(4 * count, label);
    this.tr.absorbExt(label, v);
    const at = this.pads.take(4 * count);
    return extsOf(v).map((padded, i) => {
      const a = hidden(padded, at + 4 * i);
      this.sent.set(a, { padded, pad: at + 4 * i });
      return a;
    });
  }
  sumcheck(numVars: number, degree: number, claimedSum: Val, label: string): { point: Point; finalClaim: Val } {
    const proof = this.src.rounds(numVars, degree);
    const offset = this.pads.take(zkSumcheckPadSize(numVars, degree));
    const res = verifyZkSumcheck(this.tr, { numVars, degree, claimedSum: toAffine(claimedSum) }, proof, offset, label);
    if (!res.ok) throw new Rejected(res.error.kind, `${label}: ${res.error.message}`);
    appendSystem(this.system, res.system);
    return { point: res.point, finalClaim: res.finalClaim };
  }
  equal(a: Val, b: Val, kind: string, message: string): void {
    if (isClear(a) && isClear(b)) clearEqual(this, a, b, kind, message);
    else this.system.linear.push(affineConstraint(toAffine(a), toAffine(b)));
  }
  finalCheck(label: string, claim: Val, terms: readonly ProductTerm[], evals: readonly Val[], _kind: string, _message: string): void {
    const operands = evals.map((e) => {
      const h = isClear(e) ? undefined : this.sent.get(e);
      if (!h) throw new Error(`internal error: ${label}: a final-check factor is not a value received from the proof`);
      return h;
    });
    const layout = zkFinalLayout({ numEvals: evals.length, terms: terms.map((t) => t.factors) });
    const at = placeFinal(this.pads, layout);
    const n = layout.chain.length;
    const words = n > 0 ? this.src.words(4 * n, `${label}/chain`) : new Uint32Array(0);
    if (n > 0) this.tr.absorbExt(`${label}/chain`, words);
    const chain = extsOf(words).map((padded, c): Hidden => ({ padded, pad: at.chain + 4 * c }));
    appendSystem(this.system, finalCheckSystem(layout, operands, chain, at, toAffine(claim), terms.map((t) => t.coeff)));
    const padOf = (op: Operand): number => (op.kind === 'eval' ? operands[op.index].pad : chain[op.index].pad);
    layout.products.forEach((p, i) => this.fills.push({ x: at.x + 16 * i, y: at.y + 16 * i, z: at.z + 16 * i, padA: padOf(p.left), padB: padOf(p.right) }));
  }
  claim(tensor: string, point: Point, value: Val): void {
    this.claims.push({ tensor, point: point.slice(), value: toAffine(value) });
  }
}

