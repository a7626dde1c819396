/**
 * Layer kind → proof module. A kind without a proof module is a CircuitError that names the layer
 * and its ONNX op, so `zkinfer commit` refuses the model up front instead of failing mid-proof.
 */
import { CircuitError, type LayerProtocol } from '../../circuit/protocol.js';
import type { Layer } from '../../quantize/layers.js';
import { argmaxProof } from './argmax.js';
import { convProof } from './conv.js';
import { divProof } from './div.js';
import { embeddingProof } from './embedding.js';
import { gatherProof } from './gather.js';
import { gemmProof } from './gemm.js';
import { matmulProof } from './matmul.js';
import { mulProof } from './mul.js';
import { normProof } from './norm.js';
import { preluProof } from './prelu.js';
import { softmaxProof } from './softmax.js';
import { sumProof } from './sum.js';
import { tableProof } from './table.js';
import { windowProof } from './window.js';

const PROOFS: Partial<Record<Layer['kind'], LayerProtocol<never>>> = {
  gemm: gemmProof,
  conv: convProof,
  table: tableProof,
  gather: gatherProof,
  sum: sumProof,
  mul: mulProof,
  window: windowProof,
  prelu: preluProof,
  argmax: argmaxProof,
  div: divProof,
  softmax: softmaxProof,
  norm: normProof,
  matmul: matmulProof,
  embed: embeddingProof,
};

export function layerProtocol(L: Layer): LayerProtocol {
  const p = PROOFS[L.kind];
  if (!p) throw new CircuitError(`layer '${L.name}' (${L.op}, integer kind '${L.kind}') is not supported by the prover yet`, L.name);
  return p as unknown as LayerProtocol;
}

/** Layer kinds with a proof module. */
export function provableKinds(): string[] {
  return Object.keys(PROOFS);
}
