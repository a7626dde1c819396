/**
 * User-facing errors of the model front end. Every failure a user can cause (bad file, unsupported
 * op, wrong input, value out of calibrated range, a relation that could wrap mod p) is a ModelError
 * with a `kind` and a message naming the cause and, where there is one, the layer. The CLI prints
 * the message without a stack trace.
 */
export type ModelErrorKind =
  | 'CorruptOnnx'
  | 'InvalidGraph'
  | 'Unsupported'
  | 'DynamicShape'
  | 'BadInput'
  | 'OutOfRange'
  | 'WrapAround'
  | 'CorruptZkm';

export class ModelError extends Error {
  readonly kind: ModelErrorKind;
  readonly layer: string | undefined;
  constructor(kind: ModelErrorKind, message: string, layer?: string) {
    super(message);
    this.name = 'ModelError';
    this.kind = kind;
    this.layer = layer;
  }
}

/** Errors raised inside an op's semantics get the node named in front. */
export function atNode(node: { name: string; opType: string }, err: unknown): ModelError {
  if (err instanceof ModelError) {
    if (err.layer !== undefined) return err;
    return new ModelError(err.kind, `${node.opType} node '${node.name}': ${err.message}`, node.name);
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new ModelError('InvalidGraph', `${node.opType} node '${node.name}': ${msg}`, node.name);
}
