export * from './multilinear.js';
export * from './univariate.js';
