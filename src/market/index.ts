/**
 * The proof-of-inference market core (re-exports only). The HTTP side lives in `server.ts`
 * (coordinator service), `client.ts` (signed HTTP client) and `roles.ts` (agents over HTTP).
 */
export * from './types.js';
export * from './sign.js';
export * from './ledger.js';
export * from './policy.js';
export * from './trace.js';
export * from './dispute.js';
export * from './store.js';
export * from './settle.js';
export * from './coordinator.js';
export * from './agents.js';
