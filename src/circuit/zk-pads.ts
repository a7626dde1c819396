/**
 * Where the pads of a zero-knowledge receipt live (docs/zero-knowledge.md §2): one region of the
 * committed witness vector after the clear witness, filled in protocol order by one allocator that
 * the prover, the verifier and the layout's dry run all drive the same way. Each padded message
 * takes its pads where it is sent — four entries per K value (`send`/`recv`), the round pads of
 * every sumcheck (`zkSumcheckPadSize`), and for a final check the pads of its chain
 * intermediates followed by its product slots' X, Y and Z blocks (16 entries per product each).
 * Since a layer's sequence of messages is a function of the circuit alone (the security replay
 * relies on the same fact), the offsets are too: the layout is public, fixed before any challenge.
 *
 * The prover must fill the pads before committing: uniform entries everywhere, then each product
 * slot from its two operands' pads (`ProductFill`, recorded by the dry run).
 */
import { fillProductSlot, type ZkFinalLayout } from '../piop/zk-final.js';

export class PadAllocator {
  constructor(private next: number) {
    if (!Number.isInteger(next) || next < 0) throw new RangeError(`pad allocator: expected a start offset ≥ 0, got ${next}`);
  }
  /** Takes n entries; returns their offset. */
  take(n: number): number {
    const at = this.next;
    this.next += n;
    return at;
  }
  /** The first entry not yet taken. */
  get end(): number {
    return this.next;
  }
}

/** A final check's chain pads and its product slots' X, Y, Z regions, in that order. */
export interface FinalPlace {
  chain: number;
  x: number;
  y: number;
  z: number;
}

export function placeFinal(alloc: PadAllocator, layout: ZkFinalLayout): FinalPlace {
  const chain = alloc.take(4 * layout.chain.length);
  const n = 16 * layout.products.length;
  return { chain, x: alloc.take(n), y: alloc.take(n), z: alloc.take(n) };
}

/** One product slot (X, Y, Z blocks of 16) and the pads of its operands A and B. */
export interface ProductFill {
  x: number;
  y: number;
  z: number;
  padA: number;
  padB: number;
}

/** Every slot's X, Y, Z from its operands' pads already in w (`fillProductSlot`). */
export function fillProducts(w: Uint32Array, fills: readonly ProductFill[]): void {
  for (const f of fills) fillProductSlot(w, f, f.padA, f.padB);
}
