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

export interface CommittedModel {
  model: QuantizedModel;
  description: ModelDescription;
  descriptionBytes: Uint8Array;
  params: Map<string, ArrayLike<number>>;
  circuit: Circuit;
  pcs: TensorPcs;
  paramCommitment: TensorCommitment;
  paramData: TensorProverData;
  paramCommitmentBytes: Uint8Array;
  paramRange: Uint8Array;
  modelId: string;
  timings: { commitMs: number; rangeProofMs: number };
}

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

const MAGIC = [0x5a, 0x4b, 0x43, 0x00]; // "ZKC\0"
const ZKC_VERSION = 3; // 3: parameter range proof v3 (an α per chunk, `circuit/param-range.ts`)

/** `.zkc`: "ZKC\0" | u32 version | 32-byte model ID | blob .zkm | blob range proof. */
export function encodeCommitted(cm: CommittedModel): Uint8Array {
  const w = new ByteWriter(1 << 20);
  w.bytes(Uint8Array.from(MAGIC)).u32(ZKC_VERSION).bytes(fromHex(cm.modelId)).blob(encodeZkm(cm.model)).blob(cm.paramRange);
  return w.finish();
}

/** Reads a `.zkc` file's parts without recommitting: the stored model ID, the model, the range proof. */
export function readCommitted(bytes: Uint8Array): { modelId: string; model: QuantizedModel; paramRange: Uint8Array } {
  const r = new ByteReader(bytes);
  const magic = r.bytes(4, 'magic');
  if (magic.some((b, i) => b !== MAGIC[i])) throw new DecodeError('not a zkinfer committed model (.zkc) file: wrong magic bytes (run `zkinfer commit model.zkm` first)');
  const v = r.u32('version');
  if (v !== ZKC_VERSION) throw new DecodeError(`.zkc version ${v} is not supported (this build reads ${ZKC_VERSION})`);
  const modelId = toHex(r.bytes(32, 'model ID'));
  const model = decodeZkm(r.blob(1 << 30, 'model'));
  const paramRange = r.blob(1 << 28, 'range proof');
  r.end('.zkc file');
  return { modelId, model, paramRange };
}

/** Loads a `.zkc` file: recommits the parameters and checks that they give the stored model ID. */
export function decodeCommitted(bytes: Uint8Array, opts: { onProgress?: Progress; security?: number } = {}): CommittedModel {
  const { modelId: id, model, paramRange } = readCommitted(bytes);
  const cm = commitModel(model, { paramRange, onProgress: opts.onProgress, security: opts.security });
  if (cm.modelId !== id) throw new DecodeError(`.zkc file is inconsistent: it recommits to model ID ${cm.modelId}, not the stored ${id}`);
  return cm;
}
