/** The proof-of-inference market (re-exports only). */
export * from './types.js';
export * from './sign.js';
export * from './ledger.js';
export * from './policy.js';
export * from './trace.js';
export * from './dispute.js';
export * from './store.js';
export * from './settle.js';
export * from './coordinator.js';
