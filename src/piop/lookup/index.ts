export * from './gkr.js';
export * from './gkr-prover.js';
export * from './tables.js';
export * from './limbs.js';
export * from './logup.js';
export * from './zk-gkr-layer.js';
export * from './zk-gkr.js';
export * from './zk-logup.js';
