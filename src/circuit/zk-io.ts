/**
 * Committed inputs and outputs of a zero-knowledge receipt (issue 15 item 4, docs/zero-knowledge.md
 * §7 "Private inputs and committed outputs"): a receipt may carry, in place of some input or
 * output values, one hiding commitment to them — the *io commitment* — that the requester, who
 * holds its opening (the values and a 32-byte seed), recomputes and compares, while anyone else
 * verifies the receipt against the commitment and learns nothing of those values.
 *
 * Visibility. An input is public (its values in the receipt, the default) or private (committed);
 * an output is public or committed. "Hashed", as EZKL users know it, is the same commitment: the
 * root is a binding, hiding hash of the values, and whoever is handed the opening can check it.
 * (A deterministic, seedless hash would be re-opened at fresh columns by every receipt of the same
 * input, which the code's k = t hiding does not allow; so there is one committed form.)
 *
 * The io vector (one commitment, code of the witness commitment: k = t, one receipt per opening):
 *   [0, 2^a)          the private inputs' segments (`placeSegments`, each a tensor's padded layout)
 *   [O, O + 2^b)      the committed outputs' segments, O = 2^max(a, b) when both kinds are present
 *                     (so every segment stays aligned), else 0; [0, 2^s) covers both
 *   from M            with private inputs: the multiplicities of each range check (2^b entries
 *                     each, largest first from M = max(2^s, largest 2^b), each aligned to its size)
 *   then              the pads of the range checks' padded LogUp (`piop/lookup/zk-logup.ts`).
 * Everything in it is a function of the values, the seed and the receipt's witness commitment (a
 * nonce: a reused seed still gives fresh randomness) (`zkIoVector`, `commitZkIo`), so the
 * requester rebuilds the commitment bit for bit from its opening and the receipt. In the receipt's address space it is the third
 * vector, at `ioBase` (a multiple of `align`), after the witness vector.
 *
 * What the receipt proves about it (constraints of the receipt's one Ligero proof):
 *   - every claim a layer makes on a committed tensor is a link to its segment, batched into one
 *     TensorLinear by a third padded batch (`pcs/zk-batch.ts`, label `zk-batch/io`, its pads in
 *     the witness vector): the claims settle against the committed values exactly as claims on a
 *     public tensor settle against the receipt's values;
 *   - a private input takes values in its tensor's range [lo, hi], as the verifier checks of a
 *     public input: b = ⌈log2(hi − lo + 1)⌉, one padded LogUp instance of e = x − lo into the range
 *     table [0, 2^b) over its segment and, unless hi − lo + 1 = 2^b, a second of e' = hi − x
 *     (x = lo + u with u < 2^b, and hi − lo − u ∈ [0, 2^b) only for u ≤ hi − lo: together
 *     lo ≤ x ≤ hi, as 2^b ≪ p). An int8 input ([−128, 127]) needs the first alone, an int64 token
 *     id feeding an embedding ([0, V − 1]) both. The ranges must contain 0 (the padding entries,
 *     zero, pass) and span at most 2^16 values. All instances share one (α, β), challenges
 *     `io-range/…` drawn after all three commitments. Every padding entry of each input's layout
 *     is zero (one exact linear constraint each), as the verifier's zero padding of a public input
 *     would force;
 *   - a committed output needs neither: its claims come from the layer that produces it, which
 *     covers its padding and range as for any public output.
 * Soundness: each range instance's error (N + 2^b)/|K| with N its lookup leaves, plus its GKR's, the io
 * batch's ((N_c − 1) + 2s)/|K|, both charged by `verifier/zk-security.ts`. Hiding: the segments
 * and multiplicities are only committed; every message about them is padded.
 */
import { P } from '../field/babybear.js';
import { ext } from '../field/extension.js';
import { sha256 } from '../hash/sha256.js';
import { emptySystem, type ConstraintSystem } from '../pcs/constraints.js';
import { commitZkLigero, type ZkLigeroCommitment, type ZkLigeroProverData } from '../pcs/zk-ligero.js';
import { MIN_SEED_BYTES, seededRandom, wordsOf } from '../pcs/zk-ligero-masks.js';
import type { ZkLigeroParams } from '../pcs/zk-ligero-params.js';
import { computeMultiplicities, drawLookupChallenges, type LookupStatement } from '../piop/lookup/logup.js';
import { rangeTable } from '../piop/lookup/tables.js';
import { fillZkLookupPads, proveZkLookups, proveZkLookupsUnchecked, readZkLookupProof, verifyZkLookups, writeZkLookupProof, zkLookupAt, zkLookupLayout, type ZkLookupAt, type ZkLookupLayout } from '../piop/lookup/zk-logup.js';
import { affineAddConst, affineScale, appendSystem } from '../piop/zk-affine.js';
import { linkToSegment } from '../piop/zk-final.js';
import type { Transcript } from '../transcript/transcript.js';
import type { ByteReader, ByteWriter } from '../util/bytes.js';
import { Rejected } from './protocol.js';
import type { Circuit, TensorInfo } from './circuit.js';
import { paddedIndex, toField } from './layout.js';
import { placeSegments, type Segment } from './params.js';
import { pushAll } from '../util/arrays.js';

/** The tensors a zero-knowledge receipt binds by commitment, each list in the model's order. */
export interface ZkVisibility {
  /** private inputs */
  inputs: readonly string[];
  /** committed outputs */
  outputs: readonly string[];
}

export const ALL_PUBLIC: ZkVisibility = Object.freeze({ inputs: Object.freeze([]), outputs: Object.freeze([]) });

export function isAllPublic(v: ZkVisibility): boolean {
  return v.inputs.length === 0 && v.outputs.length === 0;
}

export const IO_RANGE_LABEL = 'io-range';
/** The widest range a private input may have: 2^16 values (a range table's size). */
export const MAX_PRIVATE_RANGE_BITS = 16;

/**
 * Why `v` is not a visibility of `c`'s tensors (unknown or repeated names, a list out of the
 * model's order, an input whose range is not the int8 one the range check proves), or null.
 */
export function visibilityIssue(c: Circuit, v: ZkVisibility): string | null {
  if (!v || !Array.isArray(v.inputs) || !Array.isArray(v.outputs)) return 'expected { inputs: string[], outputs: string[] }';
  for (const role of ['input', 'output'] as const) {
    const list = role === 'input' ? v.inputs : v.outputs;
    const order = [...c.tensors.values()].filter((t) => t.role === role).map((t) => t.name);
    let last = -1;
    for (const name of list) {
      const k = order.indexOf(name);
      if (typeof name !== 'string' || k < 0) return `'${String(name)}' is not a model ${role} (the model's ${role}s: ${order.join(', ')})`;
      if (k <= last) return `${role}s must be listed once each, in the model's order (${order.join(', ')})`;
      last = k;
    }
  }
  for (const name of v.inputs) {
    const t = c.tensors.get(name)!;
    if (!(t.lo <= 0 && t.hi >= 0) || t.hi - t.lo + 1 > 2 ** MAX_PRIVATE_RANGE_BITS) {
      return `input '${name}' takes values in [${t.lo}, ${t.hi}]; a private input's range must contain 0 and span at most 2^${MAX_PRIVATE_RANGE_BITS} values`;
    }
  }
  return null;
}

export interface ZkIoLayout {
  /** every committed tensor's segment, offsets inside the io vector */
  segments: Map<string, Segment>;
  /** the segments' region [0, 2^numVars) (the io batch's region) */
  numVars: number;
  /** with private inputs: their range checks (one LogUp instance each), the LogUp's layout and its pads' offset */
  range: { checks: IoRangeCheck[]; lookup: ZkLookupLayout; pads: number } | null;
  /** the io vector's length */
  length: number;
  /** the io vector's base in the receipt's address space must be a multiple of this */
  align: number;
}

/** One range check of a private input: e = x − lo (or hi − x, `upper`) into [0, 2^bits) over its segment. */
export interface IoRangeCheck {
  input: string;
  /** the input's segment in the io vector */
  offset: number;
  numVars: number;
  bits: number;
  upper: boolean;
  lo: number;
  hi: number;
  /** its 2^bits multiplicities' offset in the io vector */
  multiplicities: number;
}

/** The LogUp statements of the range checks, in order. */
export function ioRangeStatements(checks: readonly IoRangeCheck[]): LookupStatement[] {
  return checks.map((ch) => ({ table: rangeTable(ch.bits), numLookups: 1, logLen: ch.numVars }));
}

const LAYOUTS = new WeakMap<Circuit, Map<string, ZkIoLayout>>();

const keyOf = (v: ZkVisibility): string => JSON.stringify([v.inputs, v.outputs]);

/** The io vector's layout (see the header); `v` must have no `visibilityIssue`. Cached per circuit. */
export function zkIoLayout(c: Circuit, v: ZkVisibility): ZkIoLayout {
  let m = LAYOUTS.get(c);
  if (!m) LAYOUTS.set(c, (m = new Map()));
  const key = keyOf(v);
  let hit = m.get(key);
  if (hit) return hit;
  const place = (names: readonly string[]) => (names.length ? placeSegments(new Map(names.map((n) => [n, c.tensors.get(n)!.layout.numVars]))) : null);
  const ins = place(v.inputs);
  const outs = place(v.outputs);
  const segments = new Map<string, Segment>(ins?.segments ?? []);
  let numVars = ins?.numVars ?? 0;
  if (outs) {
    const base = ins ? 2 ** Math.max(ins.numVars, outs.numVars) : 0;
    for (const [n, s] of outs.segments) segments.set(n, { offset: base + s.offset, numVars: s.numVars });
    numVars = ins ? Math.max(ins.numVars, outs.numVars) + 1 : outs.numVars;
  }
  let range: ZkIoLayout['range'] = null;
  let length = 2 ** numVars;
  let align = 2 ** numVars;
  if (ins) {
    const checks: IoRangeCheck[] = [];
    for (const input of v.inputs) {
      const t = c.tensors.get(input)!;
      const seg = segments.get(input)!;
      const bits = Math.max(0, Math.ceil(Math.log2(t.hi - t.lo + 1)));
      const check = { input, offset: seg.offset, numVars: seg.numVars, bits, lo: t.lo, hi: t.hi, multiplicities: 0 };
      checks.push({ ...check, upper: false });
      if (t.hi - t.lo + 1 < 2 ** bits) checks.push({ ...check, upper: true });
    }
    // multiplicities largest first from max(2^numVars, the largest table), each aligned to its size
    let at = Math.max(2 ** numVars, ...checks.map((ch) => 2 ** ch.bits));
    for (const ch of [...checks].sort((a, b) => b.bits - a.bits)) {
      ch.multiplicities = at;
      at += 2 ** ch.bits;
      align = Math.max(align, 2 ** ch.bits);
    }
    const lookup = zkLookupLayout(ioRangeStatements(checks));
    range = { checks, lookup, pads: at };
    length = at + lookup.size;
  }
  hit = { segments, numVars, range, length, align };
  m.set(key, hit);
  return hit;
}

/** The range check's pads placed at the io vector's base `ioBase`. */
function rangeAt(lay: ZkIoLayout, ioBase: number): ZkLookupAt {
  return zkLookupAt(lay.range!.lookup, ioBase + lay.range!.pads);
}

/** e = x − lo (or hi − x) over the check's segment of the io vector at `ioBase` in `w`. */
function rangeColumn(w: Uint32Array, ch: IoRangeCheck, ioBase: number): Uint32Array {
  const out = new Uint32Array(2 ** ch.numVars);
  const c = ch.upper ? ch.hi : -ch.lo;
  for (let i = 0; i < out.length; i++) {
    const x = w[ioBase + ch.offset + i];
    const e = (ch.upper ? c + P - x : x + c) % P;
    out[i] = e;
  }
  return out;
}

function rangeWitnesses(w: Uint32Array, lay: ZkIoLayout, ioBase: number): { table: ReturnType<typeof rangeTable>; lookups: Uint32Array[][]; multiplicities: Uint32Array }[] {
  return lay.range!.checks.map((ch) => ({
    table: rangeTable(ch.bits),
    lookups: [[rangeColumn(w, ch, ioBase)]],
    multiplicities: w.subarray(ioBase + ch.multiplicities, ioBase + ch.multiplicities + 2 ** ch.bits),
  }));
}

/**
 * Independent streams from an opening's seed and the receipt's nonce (its witness commitment,
 * fresh per receipt): SHA-256(domain ‖ seed ‖ nonce). With the nonce, a seed a caller reuses still
 * gives each receipt its own io randomness; the requester has both in the opening and the receipt.
 */
function subSeed(seed: Uint8Array, nonce: Uint8Array, what: string): Uint8Array {
  return sha256(new TextEncoder().encode(`zkinfer/zk-io-seed/${what}`), seed, nonce);
}

function checkSeed(seed: Uint8Array): void {
  if (!(seed instanceof Uint8Array) || seed.length !== MIN_SEED_BYTES) throw new RangeError(`io commitment: expected a ${MIN_SEED_BYTES}-byte seed, got ${seed instanceof Uint8Array ? `${seed.length} bytes` : typeof seed}`);
}

/** What the requester keeps of a receipt with committed tensors: the seed and the committed values. */
export interface ZkIoOpening {
  /** 32 secret bytes: the io commitment's randomness */
  seed: Uint8Array;
  /** every committed tensor's integer (quantized) values, row-major */
  values: Map<string, Int32Array>;
}

/**
 * The io vector from the committed tensors' integer values (each in its row-major real order)
 * and the seed (pads). Throws a RangeError naming the tensor on a missing tensor, a wrong
 * length or a value outside its tensor's range. `unchecked` (FOR FORGED-WITNESS TESTS ONLY):
 * accept any integer and count only table members as multiplicities, as a cheating prover may.
 */
export function zkIoVector(c: Circuit, v: ZkVisibility, values: ReadonlyMap<string, ArrayLike<number>>, seed: Uint8Array, nonce: Uint8Array, unchecked = false): Uint32Array {
  checkSeed(seed);
  const lay = zkIoLayout(c, v);
  const vec = new Uint32Array(lay.length);
  for (const [name, seg] of lay.segments) {
    const t = c.tensors.get(name)!;
    const vals = values.get(name);
    if (!vals) throw new RangeError(`io commitment: no values for committed ${t.role} '${name}'`);
    if (vals.length !== t.layout.size) throw new RangeError(`io commitment: ${t.role} '${name}' has ${vals.length} values, expected ${t.layout.size}`);
    for (let i = 0; i < vals.length; i++) {
      const x = vals[i];
      if (!Number.isInteger(x) || (!unchecked && (x < t.lo || x > t.hi))) throw new RangeError(`io commitment: ${t.role} '${name}': value ${x} at ${i} is not an integer in [${t.lo}, ${t.hi}]`);
    }
    vec.set(toField(t.layout, vals), seg.offset);
  }
  if (lay.range) {
    for (const ch of lay.range.checks) {
      const col = rangeColumn(vec, ch, 0);
      vec.set(unchecked ? memberCounts(col, 2 ** ch.bits) : computeMultiplicities(rangeTable(ch.bits), [[col]]), ch.multiplicities);
    }
    fillZkLookupPads(vec, zkLookupAt(lay.range.lookup, lay.range.pads), wordsOf(seededRandom(subSeed(seed, nonce, 'pads'))));
  }
  return vec;
}

/** Multiplicities of the range table's members only (a forged column may hold others). */
function memberCounts(col: Uint32Array, size: number): Uint32Array {
  const m = new Uint32Array(size);
  for (const e of col) if (e < size) m[e]++;
  return m;
}

/**
 * The io commitment of the committed tensors under `seed` and `nonce` (the receipt's witness
 * commitment bytes), with the witness commitment's code `params`: what the prover commits and
 * what the requester recomputes from its opening and the receipt.
 */
export function commitZkIo(
  c: Circuit,
  v: ZkVisibility,
  values: ReadonlyMap<string, ArrayLike<number>>,
  seed: Uint8Array,
  nonce: Uint8Array,
  params: ZkLigeroParams,
  opts: { unchecked?: boolean } = {},
): { commitment: ZkLigeroCommitment; data: ZkLigeroProverData } {
  const vec = zkIoVector(c, v, values, seed, nonce, opts.unchecked);
  return commitZkLigero(vec, params, seededRandom(subSeed(seed, nonce, 'commitment')));
}

/**
 * Prover: the padded range check of the private inputs (nothing without any), on `w` (the whole
 * address space, the io vector at `ioBase`), written to `out`. `unchecked` (forged-witness
 * tests): skip the prover's own membership check.
 */
export function proveZkIoRange(tr: Transcript, c: Circuit, v: ZkVisibility, w: Uint32Array, ioBase: number, out: ByteWriter, unchecked = false): void {
  const lay = zkIoLayout(c, v);
  if (!lay.range) return;
  const ch = drawLookupChallenges(tr, ioRangeStatements(lay.range.checks), IO_RANGE_LABEL);
  const prove = unchecked ? proveZkLookupsUnchecked : proveZkLookups;
  writeZkLookupProof(out, prove(tr, ch, rangeWitnesses(w, lay, ioBase), w, rangeAt(lay, ioBase), IO_RANGE_LABEL).proof);
}

/**
 * Verifier: reads the range check and returns its constraints with their links, and the zero
 * constraints on every padding entry of each private input (see the header). Throws `Rejected`
 * on a failed check.
 */
export function readZkIoRange(tr: Transcript, c: Circuit, v: ZkVisibility, r: ByteReader, ioBase: number): ConstraintSystem {
  const lay = zkIoLayout(c, v);
  const system = emptySystem();
  if (!lay.range) return system;
  const st = ioRangeStatements(lay.range.checks);
  const ch = drawLookupChallenges(tr, st, IO_RANGE_LABEL);
  const at = rangeAt(lay, ioBase);
  const res = verifyZkLookups(tr, ch, st, readZkLookupProof(r, st, at.layout), at, IO_RANGE_LABEL);
  if (!res.ok) throw new Rejected(res.error.kind, `private inputs' range check: ${res.error.message}`);
  appendSystem(system, res.system);
  lay.range.checks.forEach((check, k) => {
    const cl = res.claims[k];
    const e = cl.columns[0][0];
    // x~(x*) = e + lo, or hi − e for the upper check (Σ_x eq(x*, x) = 1)
    const x = check.upper ? affineAddConst(affineScale(e.value, MINUS_ONE), fieldConst(check.hi)) : affineAddConst(e.value, fieldConst(check.lo));
    system.tensor.push(linkToSegment(x, ioBase + check.offset, e.point));
    system.tensor.push(linkToSegment(cl.multiplicities.value, ioBase + check.multiplicities, cl.multiplicities.point));
  });
  const one = Uint32Array.of(1, 0, 0, 0);
  for (const name of v.inputs) pushAll(system.linear, paddingZeros(c.tensors.get(name)!, ioBase + lay.segments.get(name)!.offset, one));
  return system;
}

const MINUS_ONE = ext(P - 1);

/** An integer as a K constant. */
function fieldConst(x: number): Uint32Array {
  return ext(((x % P) + P) % P);
}

/** w[base + j] = 0 for every padding position j of the tensor's layout. */
function paddingZeros(t: TensorInfo, base: number, one: Uint32Array): ConstraintSystem['linear'] {
  const real = new Uint8Array(2 ** t.layout.numVars);
  for (const j of paddedIndex(t.layout)) real[j] = 1;
  const out: ConstraintSystem['linear'] = [];
  for (let j = 0; j < real.length; j++) if (!real[j]) out.push({ index: Uint32Array.of(base + j), coeffs: one, rhs: ext() });
  return out;
}
