/** The op table: ONNX op type → module. Ops absent here are reported as unsupported, by node. */
import type { OpDef } from './op.js';
import { Gemm } from './Gemm.js';
import { MatMul } from './MatMul.js';
import { Conv } from './Conv.js';
import { ConvTranspose } from './ConvTranspose.js';
import { GatherElements } from './GatherElements.js';
import { ScatterElements, Scatter } from './ScatterElements.js';
import { GatherND, ScatterND } from './nd.js';
import { Transpose } from './Transpose.js';
import { MaxPool } from './MaxPool.js';
import { AveragePool } from './AveragePool.js';
import { GlobalAveragePool } from './GlobalAveragePool.js';
import { GlobalMaxPool } from './GlobalMaxPool.js';
import * as reduce from './reduce.js';
import { Softmax, LogSoftmax } from './Softmax.js';
import { LayerNormalization, InstanceNormalization } from './LayerNormalization.js';
import { BatchNormalization } from './BatchNormalization.js';
import { PRelu } from './PRelu.js';
import { ArgMax, ArgMin } from './ArgMax.js';
import * as unary from './unary.js';
import * as layout from './layout.js';
import * as shape from './shape.js';
import * as quantized from './quantized.js';
import { addOp, subOp, mulOp, divOp, powOp, sumOp, meanOp, maxOp, minOp } from './binary.js';

/** The OpDef exports of a module (helpers are skipped). */
function defs(mod: Record<string, unknown>): Record<string, OpDef> {
  const r: Record<string, OpDef> = {};
  for (const [k, v] of Object.entries(mod)) if (v && typeof v === 'object' && 'float' in v) r[k] = v as OpDef;
  return r;
}

export const OPS: Record<string, OpDef> = {
  Gemm, MatMul, Conv, ConvTranspose, GatherElements, ScatterElements, Scatter, GatherND, ScatterND, Transpose, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool,
  ...defs(reduce), Softmax, LogSoftmax, LayerNormalization, InstanceNormalization, BatchNormalization, PRelu, ArgMax, ArgMin,
  ...defs(unary), ...defs(layout), ...defs(shape), ...defs(quantized),
  Add: addOp, Sub: subOp, Mul: mulOp, Div: divOp, Pow: powOp, Sum: sumOp, Mean: meanOp, Max: maxOp, Min: minOp,
};

/** Control flow: If, Loop and Scan are inlined or unrolled by `model/prepare.ts` when their parts are constant. */
export const CONTROL_FLOW = new Set(['If', 'Loop', 'Scan', 'SequenceMap']);

/** Why a known op has no integer semantics yet (shown in the unsupported-op error). */
export const UNSUPPORTED_WHY: Record<string, string> = {
  TopK: 'selects and sorts values at run time: proving it needs a sort (permutation) argument, which the prover does not have yet; a constant k with ArgMax (k = 1) or ReduceMax is supported',
  OneHot: 'its depth and values must be constants (run-time indices are supported)',
  NonZero: 'its output shape depends on the data',
  Unique: 'its output shape depends on the data',
  MaxUnpool: 'scatters to run-time indices; not supported',
  DynamicQuantizeLinear: 'its scale and zero point are computed from the data at run time; export with static quantization (QuantizeLinear with constant scales) or the float model',
};

export function opDef(opType: string): OpDef | undefined {
  return Object.prototype.hasOwnProperty.call(OPS, opType) ? OPS[opType] : undefined;
}
