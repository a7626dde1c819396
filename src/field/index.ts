export * from './babybear.js';
export * from './extension.js';
export type { FieldKernels } from './kernels.js';
export { referenceKernels } from './reference.js';
export { kernels, useKernels } from './active.js';
export { ntt, intt, rsEncodeRows } from './ntt.js';
export { wasmKernels, loadWasmKernels } from './wasm.js';
