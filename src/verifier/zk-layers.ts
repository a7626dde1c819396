/**
 * The layer part of a zero-knowledge receipt (docs/zero-knowledge.md §2, §5 step 3): every
 * layer's protocol run through a padded session, then the claims it leaves settled as
 * constraints — a public tensor's claim against its values, a parameter claim split into its
 * limbs (the limb evaluations sent padded and recombined by a constraint), and every claim on a
 * committed vector linked to its segment (`linkToSegment`). Prover and verifier (and the
 * layout's dry run) call the same steps in the same order, so the pads line up.
 *
 * Vectors. Claims address two committed vectors: the witness vector and the parameter vector
 * (offsets inside each). A receipt batches each vector's links into one TensorLinear
 * (`pcs/zk-batch.ts`, `./zk-receipt.ts`); `linkConstraints` states them one by one, placing the
 * parameter vector at `paramBase` (a multiple of its power-of-two size, so every segment stays
 * aligned), for tests that check the layer constraints alone.
 */
import { type Ext, ext } from '../field/extension.js';
import { P } from '../field/babybear.js';
import { limbName, type Circuit } from '../circuit/circuit.js';
import { evalPublic } from '../circuit/layout.js';
import { splitParam } from '../circuit/params.js';
import { toField } from '../circuit/layout.js';
import { toAffine, vCombine } from '../circuit/values.js';
import { PadAllocator, type ProductFill } from '../circuit/zk-pads.js';
import type { TensorLinear } from '../pcs/constraints.js';
import { linkToSegment } from '../piop/zk-final.js';
import { evaluateBase } from '../poly/multilinear.js';
import { Transcript } from '../transcript/transcript.js';
import type { ProverSession } from '../prover/session.js';
import { placeholderSource, ZkVerifierSession, type HiddenClaim } from './zk-session.js';
import { ALL_PUBLIC, isAllPublic, zkIoLayout, type ZkVisibility } from '../circuit/zk-io.js';

/** The padded message label of a parameter's limb evaluations (as in clear receipts). */
const limbsLabel = (t: string): string => `param/${t}/limbs`;

/** 256^l mod p for the limbs of a parameter. */
function limbWeights(L: number) {
  return Array.from({ length: L }, (_, l) => ext(256 ** l % P));
}

/** The committed vectors a claim may address: witness, parameters, and the io vector (`circuit/zk-io.ts`). */
export type ZkVector = 'witness' | 'params' | 'io';

/** A segment claim on one of the committed vectors. */
export interface SegmentLink {
  vector: ZkVector;
  /** offset inside its vector */
  offset: number;
  claim: HiddenClaim;
}

/**
 * Verifier: settles the session's claims — public ones and limb recombinations as constraints
 * in `s.system` — and returns the segment links left on the committed vectors (a committed
 * input or output, `vis`, links to its segment of the io vector).
 */
export function settleZkClaims(s: ZkVerifierSession, c: Circuit, vis: ZkVisibility = ALL_PUBLIC): SegmentLink[] {
  const links: SegmentLink[] = [];
  const io = isAllPublic(vis) ? null : zkIoLayout(c, vis).segments;
  for (const cl of s.claims) {
    const t = c.tensors.get(cl.tensor)!;
    const seg = io?.get(t.name);
    if (seg) {
      links.push({ vector: 'io', offset: seg.offset, claim: cl });
    } else if (t.role === 'input' || t.role === 'output') {
      const pub = s.publicValues(t.name);
      s.equal(evalPublic(t.layout, pub ?? new Int32Array(t.layout.size), cl.point), cl.value, 'PublicMismatch', `a claim on public tensor '${t.name}' does not match its values`);
    } else if (t.role === 'witness') {
      links.push({ vector: 'witness', offset: c.witness.segments.get(t.name)!.offset, claim: cl });
    } else if (t.limbs === 1) {
      links.push({ vector: 'params', offset: c.params.segments.get(limbName(t.name, 0))!.offset, claim: cl });
    } else {
      const limbs = s.recv(limbsLabel(t.name), t.limbs);
      s.equal(vCombine(limbWeights(t.limbs), limbs), cl.value, 'LimbMismatch', `parameter '${t.name}': limb evaluations do not recombine to the claimed value`);
      limbs.forEach((v, l) => links.push({ vector: 'params', offset: c.params.segments.get(limbName(t.name, l))!.offset, claim: { tensor: limbName(t.name, l), point: cl.point, value: toAffine(v) } }));
    }
  }
  return links;
}

/** A segment link with the prover's clear value. */
export interface ClearLink {
  vector: ZkVector;
  offset: number;
  point: Uint32Array;
  value: Ext;
}

/**
 * Prover: sends what `settleZkClaims` reads (the limb evaluations of wide parameters), in its
 * order, and returns the same segment links with clear values.
 */
export function proverZkLinks(s: ProverSession, c: Circuit, params: Map<string, ArrayLike<number>>, vis: ZkVisibility = ALL_PUBLIC): ClearLink[] {
  const links: ClearLink[] = [];
  const io = isAllPublic(vis) ? null : zkIoLayout(c, vis).segments;
  for (const cl of s.claims) {
    const t = c.tensors.get(cl.tensor)!;
    const seg = io?.get(t.name);
    if (seg) links.push({ vector: 'io', offset: seg.offset, point: cl.point, value: cl.value });
    else if (t.role === 'input' || t.role === 'output') continue;
    else if (t.role === 'witness') {
      links.push({ vector: 'witness', offset: c.witness.segments.get(t.name)!.offset, point: cl.point, value: cl.value });
    } else if (t.limbs === 1) {
      links.push({ vector: 'params', offset: c.params.segments.get(limbName(t.name, 0))!.offset, point: cl.point, value: cl.value });
    } else {
      const evs = splitParam(params.get(t.name)!, t.limbs).map((lv) => evaluateBase(toField(t.layout, lv), cl.point));
      s.send(limbsLabel(t.name), Uint32Array.from(evs.flatMap((e) => [...e])));
      evs.forEach((e, l) => links.push({ vector: 'params', offset: c.params.segments.get(limbName(t.name, l))!.offset, point: cl.point, value: e }));
    }
  }
  return links;
}

/** The links (witness and parameters only) as TensorLinear constraints, the parameter vector placed at `paramBase`. */
export function linkConstraints(links: readonly SegmentLink[], paramBase: number): TensorLinear[] {
  if (links.some((l) => l.vector === 'io')) throw new RangeError('linkConstraints: io links are placed by the receipt (zk-receipt.ts)');
  return links.map((l) => linkToSegment(l.claim.value, (l.vector === 'params' ? paramBase : 0) + l.offset, l.claim.point));
}

export interface ZkLayersLayout {
  /** first entry after the layers' pads */
  end: number;
  fills: ProductFill[];
}

const LAYOUTS = new WeakMap<Circuit, Map<number, ZkLayersLayout>>();

/**
 * The pad layout of the layers and claim messages from `base`: a dry run of the verifier steps
 * on placeholders (see `./zk-session.ts`). Cached per circuit and base.
 */
export function zkLayersLayout(c: Circuit, base: number): ZkLayersLayout {
  let m = LAYOUTS.get(c);
  if (!m) LAYOUTS.set(c, (m = new Map()));
  let hit = m.get(base);
  if (!hit) {
    const publics = new Map<string, Int32Array>();
    for (const t of c.tensors.values()) if (t.role === 'input' || t.role === 'output') publics.set(t.name, new Int32Array(t.layout.size));
    const s = new ZkVerifierSession(new Transcript('zkinfer/zk-layout/dry-run'), placeholderSource(), c, publics, new PadAllocator(base), { dryRun: true });
    for (const cl of c.layers) cl.protocol.verify(cl.layer, cl.plan, s);
    settleZkClaims(s, c);
    hit = { end: s.pads.end, fills: s.fills };
    m.set(base, hit);
  }
  return hit;
}
