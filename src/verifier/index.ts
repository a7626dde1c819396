/**
 * The verifier entry point (browser-safe: imports nothing Node-specific; a test bundles it for
 * the browser platform). `verify(receipt, modelId, input?, { context? })` checks a receipt
 * against a pinned model ID (and input and context); `receiptJson` gives its JSON view;
 * `contextBytes` is the context conversion the prover uses too.
 */
export { verifyReceipt, verifyReceipt as verify, type ReceiptVerifyResult, type VerifiedOutput, type VerifyOptions } from './verify.js';
export { decodeReceipt, encodeReceipt, type Receipt } from './receipt.js';
export { receiptJson, contextJson } from './json.js';
export { contextBytes, MAX_CONTEXT_BYTES, RECEIPT_VERSION } from '../circuit/session.js';
