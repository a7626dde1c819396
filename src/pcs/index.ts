export * from './types.js';
export * from './params.js';
export * from './tensor.js';
export * from './clear.js';
export * from './batch.js';
export * from './codec.js';
export * from './zk-ligero.js';
export * from './zk-ligero-params.js';
export { cryptoRandom, isReproducible, seededRandom, type RandomSource } from './zk-ligero-masks.js';
