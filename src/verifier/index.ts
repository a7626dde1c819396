/**
 * The verifier entry point (browser-safe: imports nothing Node-specific; a test bundles it for
 * the browser platform). `verify(receipt, modelId, input?)` checks a receipt against a pinned
 * model ID; `inspectReceipt` gives its JSON view.
 */
export { verifyReceipt, verifyReceipt as verify, type ReceiptVerifyResult, type VerifiedOutput } from './verify.js';
export { decodeReceipt, encodeReceipt, type Receipt } from './receipt.js';
export { receiptJson } from './json.js';
