/** Fiat–Shamir transcript (re-exports only). */
export * from './transcript.js';
