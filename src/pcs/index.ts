export * from './types.js';
export * from './params.js';
export * from './tensor.js';
export * from './clear.js';
export * from './batch.js';
export * from './codec.js';
