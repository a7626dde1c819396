/**
 * The model a prover node serves: a `.zkm` (committed at start-up) or a `.zkc` (prover data from
 * `zkinfer commit`, recommitted and checked against its stored model ID). The main thread only
 * reads the model's description (input names, shapes, scales) to validate requests; committing
 * happens in the proving threads, or once in the main thread when proving is remote (Redis).
 */
import { commitModel, decodeCommitted, readCommitted, zkCommitmentCode, type CommittedModel, type Progress } from '../prover/commit.js';
import { zkReceiptSecurity } from '../verifier/zk-security.js';
import type { QuantizedModel } from '../quantize/layers.js';
import { decodeZkm } from '../quantize/zkm.js';
import { buildCircuit } from '../circuit/circuit.js';
import { describeModel } from '../circuit/description.js';
import { receiptSecurity } from '../circuit/security.js';
import { MAX_CONTEXT_BYTES, RECEIPT_VERSION } from '../circuit/session.js';
import { DEFAULT_TENSOR_PCS_CONFIG } from '../pcs/params.js';
import { sizeOf } from '../model/tensor.js';

const ZKC_MAGIC = [0x5a, 0x4b, 0x43, 0x00];

export interface ServedModel {
  bytes: Uint8Array;
  kind: 'zkm' | 'zkc';
  model: QuantizedModel;
  /** a zero-knowledge model (a `.zkc` from `zkinfer commit`) */
  zk: boolean;
  /** its commitment's opening budget in receipts (zero-knowledge models) */
  zkOpenings?: number;
}

export function parseServedModel(bytes: Uint8Array): ServedModel {
  if (bytes.length >= 4 && ZKC_MAGIC.every((b, i) => bytes[i] === b)) {
    const c = readCommitted(bytes);
    return { bytes, kind: 'zkc', model: c.model, zk: c.zk !== undefined, zkOpenings: c.zk?.openings };
  }
  return { bytes, kind: 'zkm', model: decodeZkm(bytes), zk: false };
}

/**
 * Why a zero-knowledge model cannot be proved by Redis workers yet: each worker process holds its
 * own copy of the parameter commitment, and nothing yet keeps one ledger of its opening budget
 * across machines (`prover/zk-budget.ts`), so together they could open it more often than it hides.
 */
export const ZK_REDIS_REFUSAL = 'zero-knowledge models cannot be proved through Redis workers yet: every worker would spend the parameter commitment\'s opening budget on its own, and together they could reveal the weights; serve it with local proving threads (without --redis)';

export function commitServed(bytes: Uint8Array, onProgress?: Progress): CommittedModel {
  if (bytes.length >= 4 && ZKC_MAGIC.every((b, i) => bytes[i] === b)) return decodeCommitted(bytes, { onProgress });
  return commitModel(decodeZkm(bytes), { onProgress });
}

export function committedParamCount(cm: CommittedModel): number {
  return cm.description.params.reduce((s, p) => s + sizeOf(p.dims), 0);
}

/** The public description served at `GET /v1/model`. */
export function modelInfo(model: QuantizedModel, modelId: string, paramCount: number, zkOpenings?: number): Record<string, unknown> {
  const circuit = buildCircuit(describeModel(model).description);
  const io = (t: { name: string; dims: number[]; exp: number; lo: number; hi: number }) => ({
    name: t.name,
    shape: t.dims,
    type: 'float32',
    quantization: { scale: 2 ** -t.exp, exponent: t.exp, min: t.lo * 2 ** -t.exp, max: t.hi * 2 ** -t.exp },
  });
  return {
    modelId,
    name: model.name,
    inputs: model.inputs.map(io),
    outputs: model.outputs.map(io),
    parameterCount: paramCount,
    layers: model.layers.length,
    quantization: { scheme: 'power-of-two fixed point', weights: 'int8 limbs', activations: 'int32 with calibrated ranges' },
    protocol: {
      receiptVersion: RECEIPT_VERSION,
      maxContextBytes: MAX_CONTEXT_BYTES,
      // the composed figure of this model's receipts (circuit/security.ts, verifier/zk-security.ts), not one opening's target
      securityBits: zkOpenings !== undefined ? zkReceiptSecurity(circuit, zkCommitmentCode(circuit, zkOpenings)).bits : receiptSecurity(circuit, DEFAULT_TENSOR_PCS_CONFIG).bits,
      pcs: { rate: `1/${2 ** DEFAULT_TENSOR_PCS_CONFIG.logBlowup}`, openingSecurityBits: DEFAULT_TENSOR_PCS_CONFIG.securityBits },
      // receipts of a zero-knowledge .zkc hide the weights; GET /v1/health states the receipts its opening budget has left
      zeroKnowledge: zkOpenings !== undefined,
    },
  };
}
