/**
 * Chooses the kernels the protocols use: the WebAssembly kernels (`./wasm.ts`) where they
 * instantiate synchronously (Node, workers), otherwise the TypeScript reference. `useKernels`
 * lets tests and benchmarks pin one implementation.
 */
import type { FieldKernels } from './kernels.js';
import { wasmKernels } from './wasm.js';

let active: FieldKernels = wasmKernels;

/** The kernels in use. */
export function kernels(): FieldKernels {
  return active;
}

/** Pins the kernels in use (tests, benchmarks). Returns the previous ones. */
export function useKernels(k: FieldKernels): FieldKernels {
  const prev = active;
  active = k;
  return prev;
}
