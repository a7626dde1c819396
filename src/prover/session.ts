/**
 * The prover's side of the layer protocols (`circuit/protocol.ts`): values and field vectors of
 * every tensor, messages written to the proof and absorbed, sumchecks, claims.
 *
 * `ProverSession` sends every value in the clear (a clear receipt). `ZkProverSession` sends
 * every value plus its pad from the committed witness vector (docs/zero-knowledge.md §2): each
 * `send` of k values takes 4k pad entries, each sumcheck its round pads (`piop/zk-sumcheck.ts`,
 * with the claimed sum never absorbed: the verifier holds it as an expression), each final check
 * the pads of its intermediate products (`piop/zk-final.ts`), all from one `PadAllocator` that the
 * verifier drives the same way. Layer code is the same for both.
 */
import type { Ext } from '../field/extension.js';
import { extAdd } from '../field/extension.js';
import { toField } from '../circuit/layout.js';
import { limbName, type Circuit } from '../circuit/circuit.js';
import { CircuitTensors, type ProverContext } from '../circuit/protocol.js';
import type { TensorClaim } from '../circuit/session.js';
import { clear, type Val } from '../circuit/values.js';
import { placeFinal, type PadAllocator } from '../circuit/zk-pads.js';
import { proveSumcheck, writeSumcheckProof, type ProductTerm, type SumcheckInstance, type SumcheckProverOutput } from '../piop/sumcheck.js';
import { proveZkSumcheck, zkSumcheckPadSize } from '../piop/zk-sumcheck.js';
import { chainValues, zkFinalLayout } from '../piop/zk-final.js';
import { padAt } from '../piop/zk-affine.js';
import type { Point } from '../poly/multilinear.js';
import type { Transcript } from '../transcript/transcript.js';
import type { ByteWriter } from '../util/bytes.js';

/** Where the prover finds values: activations and auxiliary values by name, the committed parameter vector. */
export interface ProverValues {
  vals: Map<string, ArrayLike<number>>;
  params: Map<string, ArrayLike<number>>;
  /** The committed parameter vector (int8 parameters are read from it without a copy). */
  paramVector: Uint32Array;
}

export class ProverSession extends CircuitTensors implements ProverContext {
  readonly role = 'prover' as const;
  unchecked = false;
  readonly claims: TensorClaim[] = [];
  private readonly fields = new Map<string, Uint32Array>();

  constructor(
    readonly tr: Transcript,
    readonly w: ByteWriter,
    circuit: Circuit,
    private readonly src: ProverValues,
  ) {
    super(circuit);
  }

  values(t: string): ArrayLike<number> {
    const v = this.src.vals.get(t) ?? this.src.params.get(t);
    if (!v) throw new Error(`no values for tensor '${t}'`);
    return v;
  }
  field(t: string): Uint32Array {
    let f = this.fields.get(t);
    if (!f) {
      const info = this.circuit.tensors.get(t);
      if (info?.role === 'param' && info.limbs === 1) {
        // int8 parameters are already in the committed vector, in this layout: a view, no copy
        const seg = this.circuit.params.segments.get(limbName(t, 0))!;
        f = this.src.paramVector.subarray(seg.offset, seg.offset + 2 ** seg.numVars);
      } else {
        f = toField(this.layout(t), this.values(t));
      }
      this.fields.set(t, f);
    }
    return f;
  }
  send(label: string, v: Uint32Array): void {
    this.tr.absorbExt(label, v);
    this.w.words(v);
  }
  assert(ok: boolean, message: string): void {
    if (!ok && !this.unchecked) throw new Error(message);
  }
  sumcheck(inst: SumcheckInstance, label: string): SumcheckProverOutput {
    const out = proveSumcheck(this.tr, inst, label);
    writeSumcheckProof(this.w, out.proof);
    return out;
  }
  claim(tensor: string, point: Point, value: Val): void {
    this.claims.push({ tensor, point: point.slice(), value: clear(value).slice() });
  }
  finalCheck(_label: string, _terms: readonly ProductTerm[], _evals: readonly Ext[]): void {
    // a clear receipt sends no intermediate products
  }
}

/** The zero-knowledge prover session: every message padded from `wvec` (the committed witness vector, pads filled). */
export class ZkProverSession extends ProverSession {
  constructor(
    tr: Transcript,
    w: ByteWriter,
    circuit: Circuit,
    src: ProverValues,
    private readonly wvec: Uint32Array,
    private readonly pads: PadAllocator,
  ) {
    super(tr, w, circuit, src);
  }

  private padded(v: Uint32Array, at: number): Uint32Array {
    const out = new Uint32Array(v.length);
    for (let i = 0; i < v.length; i += 4) out.set(extAdd(v.subarray(i, i + 4), padAt(this.wvec, at + i)), i);
    return out;
  }
  override send(label: string, v: Uint32Array): void {
    super.send(label, this.padded(v, this.pads.take(v.length)));
  }
  override sumcheck(inst: SumcheckInstance, label: string): SumcheckProverOutput {
    const offset = this.pads.take(zkSumcheckPadSize(inst.numVars, inst.degree));
    const out = proveZkSumcheck(this.tr, inst, this.wvec, offset, { label, hiddenSum: true });
    writeSumcheckProof(this.w, out.proof);
    return out;
  }
  override finalCheck(label: string, terms: readonly ProductTerm[], evals: readonly Ext[]): void {
    const layout = zkFinalLayout({ numEvals: evals.length, terms: terms.map((t) => t.factors) });
    const at = placeFinal(this.pads, layout);
    const chain = chainValues(layout, evals);
    if (chain.length === 0) return;
    const words = new Uint32Array(4 * chain.length);
    chain.forEach((t, c) => words.set(t, 4 * c));
    const sent = this.padded(words, at.chain);
    this.tr.absorbExt(`${label}/chain`, sent);
    this.w.words(sent);
  }
}
