/** SHA-256 and the Merkle tree (re-exports only). */
export * from './sha256.js';
export * from './merkle.js';
