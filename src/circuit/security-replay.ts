/**
 * The dry replay behind a receipt's security figure (`./security.ts`): every layer's own
 * `verify` runs on placeholder values, so the challenges it draws and the sumchecks it runs are
 * the ones the real verifier draws and runs, enumerated from the circuit alone.
 *
 * Why this is the verifier's exact list. A layer verifier's control flow depends on the circuit
 * (shapes, plans, maps), never on proof values: values only feed the checks, and those go through
 * `reject(ctx, …)`, which this context turns into a no-op. So the replay meets the same
 * `ctx.sumcheck(numVars, degree, …)` calls, the same `drawPoint`/`drawCombiner` draws (each with
 * its stated error degree) and the same `ctx.claim` calls as any real verification. It checks
 * that claim too: its transcript records every squeeze, and a squeeze that no `drawPoint` or
 * `drawCombiner` accounted for (a layer calling `tr.challengeExt` directly) is an error naming
 * the layer and label, never a term silently left out. A test replays real receipts and
 * compares (`test/circuit/security.test.ts`).
 *
 * Cost: one pass of the layer verifiers without the PCS, O(circuit size); `./security.ts`
 * caches the result per circuit, like the circuit itself.
 */
import { P } from '../field/babybear.js';
import type { Ext } from '../field/extension.js';
import type { Point } from '../poly/multilinear.js';
import { Transcript } from '../transcript/transcript.js';
import type { Circuit } from './circuit.js';
import { CircuitTensors, type SoundnessNotes, type VerifierContext } from './protocol.js';
import { extsOf, type Val } from './values.js';

export interface LayerChallenges {
  layer: string;
  op: string;
  /** every sumcheck: m rounds of degree d (error m·d/|K|) */
  sumchecks: { label: string; numVars: number; degree: number }[];
  /** every random point of m coordinates for a multilinear identity (error m/|K|) */
  points: { label: string; numVars: number }[];
  /** every batching challenge, with the degree of the batched identity in it (error degree/|K|) */
  combiners: { label: string; degree: number }[];
}

export interface ReplayResult {
  layers: LayerChallenges[];
  /** the tensor of every claim the layers leave, in order (routed like the verifier's) */
  claims: string[];
}

class DryReplay extends CircuitTensors implements VerifierContext, SoundnessNotes {
  readonly role = 'verifier' as const;
  readonly dryRun = true;
  readonly tr = new Transcript('zkinfer/security/dry-replay', { record: true });
  readonly claims: string[] = [];
  current: LayerChallenges | null = null;
  /** draws noted by drawPoint/drawCombiner, to match against the transcript's squeezes */
  readonly noted: { label: string; count: number }[] = [];
  private seed = 0x9e3779b9;

  constructor(c: Circuit) {
    super(c);
  }

  get soundness(): SoundnessNotes {
    return this;
  }
  point(label: string, numVars: number): void {
    this.layerNotes().points.push({ label, numVars });
    this.noted.push({ label, count: numVars });
  }
  combiner(label: string, degree: number): void {
    if (!Number.isInteger(degree) || degree < 0) throw new Error(`security replay: combiner '${label}' has degree ${degree}`);
    this.layerNotes().combiners.push({ label, degree });
    this.noted.push({ label, count: 1 });
  }
  private layerNotes(): LayerChallenges {
    if (!this.current) throw new Error('security replay: a challenge drawn outside a layer');
    return this.current;
  }
  /** Placeholder values: canonical, pseudo-random (non-zero with overwhelming probability, so no placeholder division fails). */
  private words(n: number): Uint32Array {
    const out = new Uint32Array(n);
    let s = this.seed;
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      out[i] = (s >>> 0) % P;
    }
    this.seed = s;
    return out;
  }
  publicValues(t: string): ArrayLike<number> | undefined {
    const i = this.circuit.tensors.get(t);
    return i && (i.role === 'input' || i.role === 'output') ? new Int32Array(i.layout.size) : undefined;
  }
  recv(_label: string, count: number): Ext[] {
    return extsOf(this.words(4 * count));
  }
  sumcheck(numVars: number, degree: number, _claimedSum: Val, label: string): { point: Point; finalClaim: Ext } {
    this.layerNotes().sumchecks.push({ label, numVars, degree });
    return { point: this.words(4 * numVars), finalClaim: this.words(4) };
  }
  claim(tensor: string, _point: Point, _value: Val): void {
    this.claims.push(tensor);
  }
  equal(): void {}
  finalCheck(): void {}
}

/** Replays every layer's verifier on placeholders; throws if a draw escapes the bookkeeping. */
export function replayLayers(c: Circuit): ReplayResult {
  const s = new DryReplay(c);
  const layers: LayerChallenges[] = [];
  let seen = 0;
  for (const cl of c.layers) {
    const notes: LayerChallenges = { layer: cl.layer.name, op: cl.layer.op, sumchecks: [], points: [], combiners: [] };
    s.current = notes;
    const first = s.noted.length;
    cl.protocol.verify(cl.layer, cl.plan, s);
    const squeezes = s.tr.log!.slice(seen).filter((e) => e.op === 'squeeze');
    seen = s.tr.log!.length;
    const noted = s.noted.slice(first);
    for (let i = 0; i < Math.max(squeezes.length, noted.length); i++) {
      const q = squeezes[i];
      const n = noted[i];
      if (!q || !n || q.label !== n.label || q.count !== n.count || q.kind !== 'ext') {
        const what = q ? `draws '${q.label}' (${q.count} ${q.kind})` : `notes '${n!.label}' without drawing it`;
        throw new Error(`security replay: layer '${cl.layer.name}' ${what} outside drawPoint/drawCombiner, so no soundness term accounts for it`);
      }
    }
    layers.push(notes);
  }
  s.current = null;
  return { layers, claims: s.claims };
}
