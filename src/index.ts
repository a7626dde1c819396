/** zkinfer's public entry point: the proof-system core, the receipt prover and verifier (re-exports only). */
export * from './field/index.js';
export * from './hash/index.js';
export * from './transcript/index.js';
export * from './poly/index.js';
export * from './piop/sumcheck.js';
export * from './piop/lookup/index.js';
export * from './piop/zk-affine.js';
export * from './piop/zk-final.js';
export * from './piop/zk-sumcheck.js';
export * from './pcs/index.js';
export type { VerifyError, VerifyResult, Result } from './util/result.js';
export { ByteReader, ByteWriter, DecodeError, toHex, fromHex } from './util/bytes.js';
export {
  verifyReceipt,
  verifyReceipt as verify,
  decodeReceipt,
  encodeReceipt,
  receiptJson,
  contextJson,
  contextBytes,
  MAX_CONTEXT_BYTES,
  RECEIPT_VERSION,
  type Receipt,
  type ReceiptVerifyResult,
  type VerifiedOutput,
  type VerifyOptions,
} from './verifier/index.js';
export { prove, type ProveResult, type ProveOptions } from './prover/prove.js';
export { commitModel, encodeCommitted, decodeCommitted, readCommitted, zkcWithTree, type CommittedModel, type CommitOptions } from './prover/commit.js';
export { ZkTreeLedger, DEFAULT_ZK_MAX_DEPTH, type ZkTreeOptions } from './prover/zk-tree.js';
export { receiptSecurity, assertSecurity, assertProfileAvailable, verifySecurity, InsufficientSecurityError, type ReceiptSecurity, type SecurityTerm } from './circuit/security.js';
