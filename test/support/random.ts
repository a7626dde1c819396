/** Deterministic test randomness (xorshift128+ on two 32-bit halves is enough for tests). */
import { P } from '../../src/field/babybear.js';
import { ext, type Ext } from '../../src/field/extension.js';

export class Rng {
  private s0: number;
  private s1: number;
  constructor(seed = 1) {
    this.s0 = (seed * 0x9e3779b9) >>> 0 || 1;
    this.s1 = (seed ^ 0x85ebca6b) >>> 0 || 2;
  }
  /** Uniform 32-bit word. */
  u32(): number {
    let x = this.s0;
    const y = this.s1;
    this.s0 = y;
    x ^= x << 23;
    x ^= x >>> 17;
    x ^= y ^ (y >>> 26);
    this.s1 = x >>> 0;
    return (this.s0 + this.s1) >>> 0;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 2 ** 32) * n);
  }
  field(): number {
    let x: number;
    do x = this.u32() & 0x7fffffff;
    while (x >= P);
    return x;
  }
  ext(): Ext {
    return ext(this.field(), this.field(), this.field(), this.field());
  }
  baseVec(n: number): Uint32Array {
    const v = new Uint32Array(n);
    for (let i = 0; i < n; i++) v[i] = this.field();
    return v;
  }
  extVec(n: number): Uint32Array {
    return this.baseVec(4 * n);
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
}

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n bytes from a [0, 1) generator. */
export function randomBytes(r: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (r() * 256) | 0;
  return b;
}
