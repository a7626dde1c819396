/**
 * Model commitment (`zkinfer commit`): done once per model, reported apart from proving.
 * Splits the quantized model into its public description and its parameters, writes every
 * parameter as int8 limbs into one vector (segments from the circuit), commits it with the tensor
 * PCS, proves that every entry is int8 (`circuit/param-range.ts`), and derives the model ID
 * = H(description ‖ parameter commitment ‖ PCS parameters). Building the circuit here also means
 * a model the prover cannot handle is refused now, naming the layer, not at the first proof — and
 * so is one whose receipts would miss the security profile's composed target (`circuit/security.ts`:
 * an InsufficientSecurityError naming the largest terms), before any work is spent on it.
 *
 * The `.zkc` file stores the model and the range proof; loading it recomputes the commitment
 * (deterministic) and checks that it reproduces the stored model ID.
 */
import { buildCircuit, limbName, type Circuit } from '../circuit/circuit.js';
import { describeModel, encodeDescription, type ModelDescription } from '../circuit/description.js';
import { layoutOf, toField } from '../circuit/layout.js';
import { proveParamRange } from '../circuit/param-range.js';
import { segmentsEnd, splitParam } from '../circuit/params.js';
import { computeModelId } from '../circuit/session.js';
import { TensorPcs, type TensorCommitment, type TensorProverData } from '../pcs/tensor.js';
import { DEFAULT_SECURITY_PROFILE, profileConfig, type TensorPcsConfig } from '../pcs/params.js';
import { assertProfileAvailable, assertSecurity } from '../circuit/security.js';
import type { QuantizedModel } from '../quantize/layers.js';
import { decodeZkm, encodeZkm } from '../quantize/zkm.js';
import { ByteReader, ByteWriter, DecodeError, fromHex, toHex } from '../util/bytes.js';
import { commitZkLigero, revealedColumns, zkCommitmentBytes, type ZkLigeroCommitment, type ZkLigeroProverData } from '../pcs/zk-ligero.js';
import { chooseZkLigeroParams, type ZkLigeroParams } from '../pcs/zk-ligero-params.js';
import { cryptoRandom, randomBytes, seededRandom, wordsOf } from '../pcs/zk-ligero-masks.js';
import { proveZkParamRange, zkParamVector } from '../circuit/zk-param-range.js';
import { zkReceiptLayout } from '../verifier/zk-receipt.js';
import { assertZkSecurity } from '../verifier/zk-security.js';
import { sha256 } from '../hash/sha256.js';
import { MAX_RENEWAL_PROOF_BYTES } from '../pcs/zk-renew.js';

/** Independent streams from one seed: SHA-256(domain ‖ seed). */
function subSeed(seed: Uint8Array, what: string): Uint8Array {
  return sha256(new TextEncoder().encode(`zkinfer/zk-model-seed/${what}`), seed);
}

export interface CommittedModel {
  model: QuantizedModel;
  description: ModelDescription;
  descriptionBytes: Uint8Array;
  params: Map<string, ArrayLike<number>>;
  circuit: Circuit;
  pcs: TensorPcs;
  /** A clear model's tensor-PCS commitment and prover data (absent for a zero-knowledge model, whose parameters are only under `zk.commitment`). */
  paramCommitment?: TensorCommitment;
  paramData?: TensorProverData;
  paramCommitmentBytes: Uint8Array;
  paramRange: Uint8Array;
  modelId: string;
  timings: { commitMs: number; rangeProofMs: number };
  /**
   * A zero-knowledge model: its parameters under a hiding commitment (the model ID's), receipts
   * zero knowledge (`prover/zk-prove.ts`). Absent: a clear model.
   */
  zk?: ZkModelSide;
}

/** The parameter side of a zero-knowledge model (docs/zero-knowledge.md §4). */
export interface ZkModelSide {
  /** the code of the parameter commitment (k = openings·t) */
  params: ZkLigeroParams;
  /** the code of every receipt's witness commitment (same C, N, t; k = t) */
  witnessParams: ZkLigeroParams;
  /** receipts the parameter commitment can serve while its columns stay hidden (k = openings·t) */
  openings: number;
  /** SECRET, as secret as the weights: reproduces the commitment's randomness */
  seed: Uint8Array;
  commitment: ZkLigeroCommitment;
  data: ZkLigeroProverData;
}

/** Default opening budget of a zero-knowledge model's parameter commitment. */
export const DEFAULT_ZK_OPENINGS = 16;

export type Progress = (stage: string, done: number, total: number) => void;

export interface CommitOptions {
  paramRange?: Uint8Array;
  onProgress?: Progress;
  /** The security profile, as composed target bits: 100 (the default); 128 is refused with the reason (`assertProfileAvailable`). */
  security?: number;
  /**
   * FOR SOUNDNESS TESTS ONLY: a PCS configuration other than the profile's, committed without the
   * security refusal. Receipts made with weaker parameters must be rejected by the verifier
   * (`InsufficientSecurity`).
   */
  insecurePcs?: Partial<TensorPcsConfig>;
  /**
   * Commit for zero-knowledge receipts: the parameters under a hiding commitment made from
   * `seed` (32 secret bytes; fresh random ones by default) that serves `openings` receipts
   * (default DEFAULT_ZK_OPENINGS) before its columns could reveal the weights.
   */
  zk?: { seed?: Uint8Array; openings?: number; revealed?: Uint32Array };
}

export function commitModel(model: QuantizedModel, opts: CommitOptions = {}): CommittedModel {
  const { description, values } = describeModel(model);
  const circuit = buildCircuit(description);
  const security = opts.security ?? DEFAULT_SECURITY_PROFILE;
  let cfg = profileConfig(security);
  if (opts.insecurePcs) cfg = { ...cfg, ...opts.insecurePcs };
  else {
    assertProfileAvailable(security, circuit);
    assertSecurity(circuit, cfg);
  }
  const descriptionBytes = encodeDescription(description);
  const params = new Map<string, ArrayLike<number>>();
  description.params.forEach((p, i) => params.set(p.name, values[i]));
  opts.onProgress?.('commit parameters', 0, 2);
  let t0 = performance.now();
  const vec = new Uint32Array(2 ** circuit.params.numVars);
  for (const p of description.params) {
    const l = layoutOf(p.dims);
    const limbs = splitParam(params.get(p.name)!, p.limbs);
    limbs.forEach((lv, k) => vec.set(toField(l, lv), circuit.params.segments.get(limbName(p.name, k))!.offset));
  }
  const pcs = new TensorPcs(cfg);
  // a zero-knowledge model commits its parameters only under the hiding commitment
  if (opts.zk) return commitZkSide(model, description, descriptionBytes, params, circuit, pcs, vec, opts.zk, opts.onProgress, t0, opts.paramRange);
  const { commitment, data } = pcs.commit(vec);
  const paramCommitmentBytes = pcs.commitmentBytes(commitment);
  const commitMs = performance.now() - t0;
  opts.onProgress?.('parameter range proof', 1, 2);
  t0 = performance.now();
  const paramRange = opts.paramRange ?? proveParamRange(paramCommitmentBytes, vec, segmentsEnd(circuit.params.segments));
  const rangeProofMs = opts.paramRange ? 0 : performance.now() - t0;
  opts.onProgress?.('done', 2, 2);
  const modelId = computeModelId(descriptionBytes, paramCommitmentBytes, pcs.config);
  return { model, description, descriptionBytes, params, circuit, pcs, paramCommitment: commitment, paramData: data, paramCommitmentBytes, paramRange, modelId, timings: { commitMs, rangeProofMs } };
}

/**
 * The code of a zero-knowledge model's parameter commitment serving `openings` receipts, chosen
 * for the parameter side and a receipt's witness vector together: every receipt's Ligero proof
 * opens the commitment once (the range proof's constraints ride along).
 */
export function zkCommitmentCode(c: Circuit, openings: number = DEFAULT_ZK_OPENINGS): ZkLigeroParams {
  return chooseZkLigeroParams(zkReceiptLayout(c).end, { openings });
}

/**
 * The zero-knowledge side: the parameter side's vector (parameters, range multiplicities, pads:
 * `circuit/zk-param-range.ts`) under a hiding commitment from the seed, and its range proof.
 * The code is chosen for the parameter side and a receipt's witness vector together (one
 * Ligero proof covers both), with k = openings·t for the long-lived parameter commitment.
 */
function commitZkSide(
  model: QuantizedModel,
  description: ModelDescription,
  descriptionBytes: Uint8Array,
  params: Map<string, ArrayLike<number>>,
  circuit: Circuit,
  pcs: TensorPcs,
  vec: Uint32Array,
  zk: NonNullable<CommitOptions['zk']>,
  onProgress: Progress | undefined,
  t0: number,
  storedRange?: Uint8Array,
): CommittedModel {
  const openings = zk.openings ?? DEFAULT_ZK_OPENINGS;
  if (!Number.isInteger(openings) || openings < 1 || openings > 1024) throw new RangeError(`zk openings: expected an integer in [1, 1024], got ${openings}`);
  const seed = zk.seed ?? randomBytes(cryptoRandom, 32);
  const side = zkParamVector(circuit, vec, wordsOf(seededRandom(subSeed(seed, 'pads'))));
  const zkParams = zkCommitmentCode(circuit, openings);
  assertZkSecurity(circuit, zkParams);
  const witnessParams: ZkLigeroParams = { ...zkParams, randomness: zkParams.queries };
  const { commitment: zc, data: zd } = commitZkLigero(side, zkParams, seededRandom(subSeed(seed, 'commitment')), { revealed: zk.revealed });
  const commitMs = performance.now() - t0;
  onProgress?.('parameter range proof', 1, 2);
  const t1 = performance.now();
  // a stored proof is reused: proving again would open the commitment again
  const paramRange = storedRange ?? proveZkParamRange(circuit, zd);
  const rangeProofMs = storedRange ? 0 : performance.now() - t1;
  onProgress?.('done', 2, 2);
  const paramCommitmentBytes = zkCommitmentBytes(zc);
  const modelId = computeModelId(descriptionBytes, paramCommitmentBytes, pcs.config, true);
  return {
    model,
    description,
    descriptionBytes,
    params,
    circuit,
    pcs,
    paramCommitmentBytes,
    paramRange,
    modelId,
    timings: { commitMs, rangeProofMs },
    zk: { params: zkParams, witnessParams, openings, seed, commitment: zc, data: zd },
  };
}

const MAGIC = [0x5a, 0x4b, 0x43, 0x00]; // "ZKC\0"
const ZKC_VERSION = 3; // 3: parameter range proof v3 (an α per chunk, `circuit/param-range.ts`)
const ZKC_ZK_VERSION = 4; // 4: a zero-knowledge model (its seed, opening budget and revealed columns follow)
const ZKC_TREE_VERSION = 5; // 5: version 4 and the tree of renewals of its parameter commitment (`zk-tree.ts`)
/** The most renewals a `.zkc` records (a tree of depth 2 with 16 openings has 16 + 16·15 = 256). */
const MAX_ZKC_CHILDREN = 1 << 16;

/**
 * `.zkc`: "ZKC\0" | u32 version | 32-byte model ID | blob .zkm | blob range proof, and for a
 * zero-knowledge model (version 4) | 32-byte seed | u32 openings | u32 count, revealed columns,
 * and (version 5, a model whose commitment was renewed) | u32 receipts served | u32 count, children:
 * u32 parent node (0 = the root, i + 1 = child i; a parent comes before its children) | 32-byte
 * seed | blob child commitment | blob renewal proof | u32 count, revealed columns.
 * The seeds are as secret as the weights (the file holds both).
 */
export function encodeCommitted(cm: CommittedModel): Uint8Array {
  const w = new ByteWriter(1 << 20);
  w.bytes(Uint8Array.from(MAGIC)).u32(cm.zk ? ZKC_ZK_VERSION : ZKC_VERSION).bytes(fromHex(cm.modelId)).blob(encodeZkm(cm.model)).blob(cm.paramRange);
  if (cm.zk) {
    const cols = revealedColumns(cm.zk.data);
    w.bytes(cm.zk.seed).u32(cm.zk.openings).u32(cols.length);
    for (const j of cols) w.u32(j);
  }
  return w.finish();
}

/** A renewal of a zero-knowledge model's parameter commitment, as the `.zkc` records it (`zk-tree.ts`). */
export interface StoredChild {
  /** the parent node: 0 the root, i + 1 child i (always an earlier node) */
  parent: number;
  /** SECRET: the child commitment's randomness (`seededRandom(seed)`) */
  seed: Uint8Array;
  /** the child's `zkCommitmentBytes` */
  commitment: Uint8Array;
  /** its renewal proof against the parent (`pcs/zk-renew.ts`) */
  proof: Uint8Array;
  /** its columns revealed so far (the renewal's own, then its receipts' or children's) */
  revealed: Uint32Array;
}

export interface StoredZk {
  seed: Uint8Array;
  openings: number;
  /** the root commitment's revealed columns */
  revealed: Uint32Array;
  /** the renewals (version 5; empty for a version-4 file: migration to a tree of one node) */
  children: StoredChild[];
  /** receipts served, counted from version 5 on (null for a version-4 file, which did not count them) */
  served: number | null;
}

function readColumns(r: ByteReader, what: string): Uint32Array {
  const n = r.u32In(0, 1 << 24, `${what} count`);
  if (4 * n > r.remaining) throw new DecodeError(`truncated input: ${n} ${what}s need ${4 * n} bytes`);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = r.u32(what);
  return out;
}

function writeColumns(w: ByteWriter, cols: ArrayLike<number>): void {
  w.u32(cols.length);
  for (let i = 0; i < cols.length; i++) w.u32(cols[i]);
}

/** Reads a `.zkc` file's parts without recommitting: the stored model ID, the model, the range proof (and a zk model's secrets). */
export function readCommitted(bytes: Uint8Array): { modelId: string; model: QuantizedModel; paramRange: Uint8Array; zk?: StoredZk } {
  const r = new ByteReader(bytes);
  const magic = r.bytes(4, 'magic');
  if (magic.some((b, i) => b !== MAGIC[i])) throw new DecodeError('not a zkinfer committed model (.zkc) file: wrong magic bytes (run `zkinfer commit model.zkm` first)');
  const v = r.u32('version');
  if (v !== ZKC_VERSION && v !== ZKC_ZK_VERSION && v !== ZKC_TREE_VERSION) throw new DecodeError(`.zkc version ${v} is not supported (this build reads ${ZKC_VERSION} to ${ZKC_TREE_VERSION})`);
  const modelId = toHex(r.bytes(32, 'model ID'));
  const model = decodeZkm(r.blob(1 << 30, 'model'));
  const paramRange = r.blob(1 << 28, 'range proof');
  let zk: StoredZk | undefined;
  if (v !== ZKC_VERSION) {
    const seed = r.bytes(32, 'zk seed');
    const openings = r.u32In(1, 1024, 'zk openings');
    const revealed = readColumns(r, 'revealed column');
    zk = { seed, openings, revealed, children: [], served: null };
    if (v === ZKC_TREE_VERSION) {
      zk.served = r.u32('receipts served');
      const n = r.u32In(1, MAX_ZKC_CHILDREN, 'renewal count');
      for (let i = 0; i < n; i++) {
        const parent = r.u32In(0, i, `renewal ${i + 1} parent`);
        zk.children.push({ parent, seed: r.bytes(32, 'renewal seed'), commitment: r.blob(4096, 'renewal commitment'), proof: r.blob(MAX_RENEWAL_PROOF_BYTES, 'renewal proof'), revealed: readColumns(r, 'renewal revealed column') });
      }
    }
  }
  r.end('.zkc file');
  return { modelId, model, paramRange, zk };
}

/** Where a zero-knowledge `.zkc`'s secrets start (after the range proof), and its version. */
function zkSectionAt(bytes: Uint8Array): number {
  const r = new ByteReader(bytes);
  r.bytes(4 + 4 + 32, 'header');
  r.blob(1 << 30, 'model');
  r.blob(1 << 28, 'range proof');
  return bytes.length - r.remaining;
}

/**
 * The `.zkc` bytes of a zero-knowledge model with its opening record replaced: the root's revealed
 * columns, the tree of renewals and the receipts served (`zk-tree.ts`); the model, its range proof
 * and its seed unchanged. Version 4 while there is no renewal (so a file never renewed keeps its
 * format), else version 5. Refuses a record that forgets a column or a renewal the file has.
 */
export function zkcWithTree(bytes: Uint8Array, rootRevealed: ArrayLike<number>, children: readonly StoredChild[], served: number): Uint8Array {
  const { zk } = readCommitted(bytes);
  if (!zk) throw new Error('zkcWithTree: not a zero-knowledge .zkc');
  const forgets = (old: ArrayLike<number>, now: ArrayLike<number>, what: string) => {
    const set = new Set(Array.from(now));
    for (const j of Array.from(old)) if (!set.has(j)) throw new Error(`zkcWithTree: the new record forgets revealed column ${j} of ${what}`);
  };
  forgets(zk.revealed, rootRevealed, 'the root');
  if (children.length < zk.children.length) throw new Error(`zkcWithTree: the new record forgets renewals (${children.length} < ${zk.children.length})`);
  zk.children.forEach((c, i) => {
    const n = children[i];
    if (n.parent !== c.parent || !bytesEqual(n.commitment, c.commitment)) throw new Error(`zkcWithTree: the new record changes renewal ${i + 1}`);
    forgets(c.revealed, n.revealed, `renewal ${i + 1}`);
  });
  const head = bytes.subarray(0, zkSectionAt(bytes));
  const w = new ByteWriter(head.length + (1 << 16));
  w.bytes(head);
  w.bytes(zk.seed).u32(zk.openings);
  writeColumns(w, Uint32Array.from(new Set(Array.from(rootRevealed))).sort());
  if (children.length > 0) {
    w.u32(served).u32(children.length);
    for (const c of children) {
      w.u32(c.parent).bytes(c.seed).blob(c.commitment).blob(c.proof);
      writeColumns(w, Uint32Array.from(new Set(Array.from(c.revealed))).sort());
    }
  }
  const out = w.finish();
  new DataView(out.buffer, out.byteOffset + 4, 4).setUint32(0, children.length > 0 ? ZKC_TREE_VERSION : ZKC_ZK_VERSION, true);
  return out;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The `.zkc` bytes of a zero-knowledge model with its record of revealed columns replaced by
 * `revealed` (the opening budget it has spent: `zk-budget.ts`); everything else unchanged.
 * Refuses a record that forgets a column the file already lists.
 */
export function zkcWithRevealed(bytes: Uint8Array, revealed: ArrayLike<number>): Uint8Array {
  const { zk } = readCommitted(bytes);
  if (!zk) throw new Error('zkcWithRevealed: not a zero-knowledge .zkc');
  return zkcWithTree(bytes, revealed, zk.children, zk.served ?? 0);
}

/** Loads a `.zkc` file: recommits the parameters and checks that they give the stored model ID. */
export function decodeCommitted(bytes: Uint8Array, opts: { onProgress?: Progress; security?: number } = {}): CommittedModel {
  const { modelId: id, model, paramRange, zk } = readCommitted(bytes);
  const cm = commitModel(model, { paramRange, onProgress: opts.onProgress, security: opts.security, zk });
  if (cm.modelId !== id) throw new DecodeError(`.zkc file is inconsistent: it recommits to model ID ${cm.modelId}, not the stored ${id}`);
  return cm;
}
