/**
 * Bounded binary encoding for proofs and receipts: little-endian fixed-width integers,
 * LEB128-free (every count is a u32 with an explicit cap), field vectors as LE32 words.
 *
 * `ByteReader` never reads past its buffer and refuses counts above the caller's cap before
 * allocating, so hostile bytes cannot make a decoder allocate unboundedly or loop; every
 * failure is a `DecodeError` that decoders turn into an error value at the API boundary.
 */
import { P } from '../field/babybear.js';

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private len = 0;

  constructor(initial = 1024) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.len++] = v;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.view.setUint32(this.len, v >>> 0, true);
    this.len += 4;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** A u32 length followed by the bytes. */
  blob(b: Uint8Array): this {
    return this.u32(b.length).bytes(b);
  }

  /** Field words as LE32, without a length prefix. */
  words(v: Uint32Array): this {
    this.reserve(4 * v.length);
    for (let i = 0; i < v.length; i++) {
      this.view.setUint32(this.len, v[i], true);
      this.len += 4;
    }
    return this;
  }

  /** A u32 element count followed by the words. */
  wordVec(v: Uint32Array): this {
    return this.u32(v.length).words(v);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export class ByteReader {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.remaining) {
      throw new DecodeError(`truncated input: ${what} needs ${n} bytes at offset ${this.pos}, only ${this.remaining} left`);
    }
  }

  u8(what = 'u8'): number {
    this.need(1, what);
    return this.buf[this.pos++];
  }

  u32(what = 'u32'): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A u32 that must lie in [min, max]. */
  u32In(min: number, max: number, what: string): number {
    const v = this.u32(what);
    if (v < min || v > max) throw new DecodeError(`${what}: expected a value in [${min}, ${max}], got ${v}`);
    return v;
  }

  bytes(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  blob(maxLen: number, what = 'blob'): Uint8Array {
    const n = this.u32In(0, maxLen, `${what} length`);
    return this.bytes(n, what);
  }

  /** `n` canonical field words (each < p). */
  words(n: number, what = 'field elements'): Uint32Array {
    this.need(4 * n, what);
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const v = this.view.getUint32(this.pos, true);
      if (v >= P) throw new DecodeError(`${what}: element ${i} is not canonical (${v} ≥ p)`);
      out[i] = v;
      this.pos += 4;
    }
    return out;
  }

  /** A u32 count (≤ maxLen) followed by that many canonical words. */
  wordVec(maxLen: number, what = 'field vector'): Uint32Array {
    const n = this.u32In(0, maxLen, `${what} length`);
    return this.words(n, what);
  }

  /** Requires that the whole buffer was consumed. */
  end(what = 'input'): void {
    if (this.remaining !== 0) throw new DecodeError(`${what}: ${this.remaining} trailing bytes`);
  }
}

export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i].toString(16).padStart(2, '0');
  return s;
}

export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new DecodeError(`expected an even-length hex string`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}
