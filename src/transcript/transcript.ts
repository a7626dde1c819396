/**
 * Fiat–Shamir transcript over SHA-256 (PROTOCOL-NOTES §6).
 *
 * State: a 32-byte chaining value s. Notation: LE32/LE64 little-endian integers,
 * lp(x) = LE32(byteLength(x)) ‖ x, label bytes = UTF-8.
 *
 *   init(protocol):          s ← SHA256("zkinfer/transcript/v1" ‖ 0x00 ‖ lp(protocol))
 *   absorb(kind, label, x):  s ← SHA256(s ‖ 0x01 ‖ kind ‖ lp(label) ‖ LE32(count) ‖ payload)
 *       kind 0x01 bytes: count = byte length,     payload = the bytes
 *            0x02 base:  count = #F elements,     payload = LE32 of each canonical value
 *            0x03 ext:   count = #K elements,     payload = LE32 of c0..c3 of each element
 *            0x04 u64:   count = 8,               payload = LE64(n)
 *            0x05 fork:  count = 0,               payload = empty   (see `fork`)
 *   squeeze(kind, label, count):
 *       block_c = SHA256(s ‖ 0x02 ‖ lp(label) ‖ LE32(c)),  c = 0, 1, 2, …   (as many as needed)
 *       each block gives eight LE u32 words w, consumed in order;
 *         F element: x = w & (2^31 − 1), accepted iff x < p (reject ≈ 1/16), else next word;
 *         K element: four accepted words, c0 first;
 *         index < n (n a power of two): w & (n − 1), one word each, with replacement;
 *       then  s ← SHA256(s ‖ 0x03 ‖ kind ‖ lp(label) ‖ LE32(count) ‖ LE32(extra))
 *       kind 0x11 base, 0x12 ext, 0x13 index; count = number of outputs (F, K elements or
 *       indices); extra = log2 n for indices, 0 otherwise.
 *
 * Why sound. Every absorb and squeeze feeds s and all its own bytes into the next s, so each
 * challenge is a hash of the whole prior transcript (no Frozen Heart by construction, as long
 * as callers absorb everything the prover controls before drawing). The encoding is injective:
 * the op byte, the kind byte, the length prefixes and the fixed-width counts determine every
 * field boundary, so two different transcripts never hash the same preimage; the 0x01/0x02/0x03
 * op bytes separate absorb, squeeze-block and squeeze-commit preimages. After a squeeze s
 * changes, so the next challenge differs even under the same label, and later absorbs are bound
 * to the challenges already drawn. Rejection sampling makes F elements exactly uniform given
 * uniform words; w & (n−1) is exactly uniform for n a power of two ≤ 2^32.
 * Non-canonical values (≥ p) are refused at absorb time: they would give two encodings of one
 * field element, and their presence means a caller bug (the verifier checks canonicity of proof
 * data before absorbing it).
 */
import { P } from '../field/babybear.js';
import { DIGEST_BYTES, sha256Into } from '../hash/sha256.js';

export const TRANSCRIPT_DOMAIN = 'zkinfer/transcript/v1';

const OP_ABSORB = 0x01;
const OP_BLOCK = 0x02;
const OP_SQUEEZE = 0x03;

const KIND_BYTES = 0x01;
const KIND_BASE = 0x02;
const KIND_EXT = 0x03;
const KIND_U64 = 0x04;
const KIND_FORK = 0x05;
const SQ_BASE = 0x11;
const SQ_EXT = 0x12;
const SQ_INDEX = 0x13;

const MASK31 = 0x7fffffff;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const utf8 = new TextEncoder();
const labelCache = new Map<string, Uint8Array>();
function labelBytes(label: string): Uint8Array {
  let b = labelCache.get(label);
  if (b === undefined) {
    if (typeof label !== 'string') throw new Error(`expected a string label, got ${typeof label}`);
    b = utf8.encode(label);
    if (labelCache.size < 4096) labelCache.set(label, b);
  }
  return b;
}

/** Little-endian bytes of a Uint32Array: a zero-copy view on LE platforms. */
function u32Bytes(a: Uint32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) dv.setUint32(4 * i, a[i], true);
  return out;
}

function putU32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v & 0xff;
  buf[off + 1] = (v >>> 8) & 0xff;
  buf[off + 2] = (v >>> 16) & 0xff;
  buf[off + 3] = (v >>> 24) & 0xff;
}

export type TranscriptLogEntry =
  | { op: 'absorb'; label: string; kind: 'bytes' | 'base' | 'ext' | 'u64' | 'fork'; count: number }
  | { op: 'squeeze'; label: string; kind: 'base' | 'ext' | 'index'; count: number };

export interface TranscriptOptions {
  /** Keep `log`, the ordered list of absorbs and squeezes (for golden label-sequence tests). */
  record?: boolean;
}

export class Transcript {
  private state: Uint8Array;
  /** Ordered operations when constructed with `{ record: true }`, else undefined. */
  readonly log: TranscriptLogEntry[] | undefined;

  constructor(protocol: string, options: TranscriptOptions = {}) {
    const p = labelBytes(protocol);
    const head = new Uint8Array(TRANSCRIPT_DOMAIN.length + 1 + 4);
    head.set(utf8.encode(TRANSCRIPT_DOMAIN), 0);
    head[TRANSCRIPT_DOMAIN.length] = 0x00;
    putU32(head, TRANSCRIPT_DOMAIN.length + 1, p.length);
    this.state = new Uint8Array(DIGEST_BYTES);
    sha256Into(this.state, 0, [head, p]);
    this.log = options.record ? [] : undefined;
  }

  // ---- absorbs --------------------------------------------------------------------------------

  private absorb(kind: number, label: string, count: number, payload: Uint8Array | null): void {
    const l = labelBytes(label);
    const head = new Uint8Array(DIGEST_BYTES + 2 + 4 + l.length + 4);
    head.set(this.state, 0);
    head[DIGEST_BYTES] = OP_ABSORB;
    head[DIGEST_BYTES + 1] = kind;
    putU32(head, DIGEST_BYTES + 2, l.length);
    head.set(l, DIGEST_BYTES + 6);
    putU32(head, DIGEST_BYTES + 6 + l.length, count);
    sha256Into(this.state, 0, payload && payload.length > 0 ? [head, payload] : [head]);
  }

  /** Absorb raw bytes (roots, digests, serialized public data). */
  absorbBytes(label: string, bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) throw new Error('expected Uint8Array bytes');
    this.absorb(KIND_BYTES, label, bytes.length, bytes);
    this.log?.push({ op: 'absorb', label, kind: 'bytes', count: bytes.length });
  }

  /** Absorb a vector of canonical base-field elements. Throws if some value is ≥ p. */
  absorbBase(label: string, values: Uint32Array): void {
    if (!(values instanceof Uint32Array)) throw new Error('expected a Uint32Array of F elements');
    checkCanonical(label, values);
    this.absorb(KIND_BASE, label, values.length, u32Bytes(values));
    this.log?.push({ op: 'absorb', label, kind: 'base', count: values.length });
  }

  /** Absorb n extension elements (Uint32Array of 4n canonical coefficients). */
  absorbExt(label: string, values: Uint32Array): void {
    if (!(values instanceof Uint32Array) || values.length % 4 !== 0) {
      throw new Error(`expected a Uint32Array of length 4n, got ${values?.length}`);
    }
    checkCanonical(label, values);
    this.absorb(KIND_EXT, label, values.length / 4, u32Bytes(values));
    this.log?.push({ op: 'absorb', label, kind: 'ext', count: values.length / 4 });
  }

  /** Absorb an unsigned 64-bit parameter (number: a safe non-negative integer; or bigint). */
  absorbU64(label: string, n: number | bigint): void {
    let v: bigint;
    if (typeof n === 'bigint') v = n;
    else if (Number.isSafeInteger(n)) v = BigInt(n);
    else throw new Error(`expected a safe integer, got ${n}`);
    if (v < 0n || v >= 1n << 64n) throw new Error(`expected 0 ≤ n < 2^64, got ${v}`);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    this.absorb(KIND_U64, label, 8, b);
    this.log?.push({ op: 'absorb', label, kind: 'u64', count: 1 });
  }

  /** Alias of `absorbU64` for non-negative safe-integer parameters. */
  absorbNumber(label: string, n: number): void {
    this.absorbU64(label, n);
  }

  // ---- squeezes -------------------------------------------------------------------------------

  /**
   * Fill `out` with accepted field words (or masked raw words for indices), from blocks
   * SHA256(s ‖ 0x02 ‖ lp(label) ‖ LE32(c)), then advance s with the squeeze descriptor.
   */
  private squeeze(
    label: string,
    sqKind: number,
    count: number,
    out: Uint32Array,
    indexMask: number | null, // null: field words by rejection; else raw words & mask
    extra: number, // LE32 appended to the descriptor (log2 n for indices, 0 otherwise)
  ): void {
    const l = labelBytes(label);
    const pre = new Uint8Array(DIGEST_BYTES + 1 + 4 + l.length + 4);
    pre.set(this.state, 0);
    pre[DIGEST_BYTES] = OP_BLOCK;
    putU32(pre, DIGEST_BYTES + 1, l.length);
    pre.set(l, DIGEST_BYTES + 5);
    const ctrOff = DIGEST_BYTES + 5 + l.length;
    const parts = [pre];
    const block = new Uint8Array(DIGEST_BYTES);
    let filled = 0;
    for (let c = 0; filled < out.length; c++) {
      if (c > 0xffffffff) throw new Error('transcript squeeze exhausted its counter');
      putU32(pre, ctrOff, c);
      sha256Into(block, 0, parts);
      for (let j = 0; j < DIGEST_BYTES && filled < out.length; j += 4) {
        const w = (block[j] | (block[j + 1] << 8) | (block[j + 2] << 16) | (block[j + 3] << 24)) >>> 0;
        if (indexMask === null) {
          const x = w & MASK31;
          if (x < P) out[filled++] = x;
        } else {
          out[filled++] = (w & indexMask) >>> 0;
        }
      }
    }
    // s ← SHA256(s ‖ 0x03 ‖ kind ‖ lp(label) ‖ LE32(count) ‖ LE32(extra))
    const d = new Uint8Array(DIGEST_BYTES + 2 + 4 + l.length + 8);
    d.set(this.state, 0);
    d[DIGEST_BYTES] = OP_SQUEEZE;
    d[DIGEST_BYTES + 1] = sqKind;
    putU32(d, DIGEST_BYTES + 2, l.length);
    d.set(l, DIGEST_BYTES + 6);
    putU32(d, DIGEST_BYTES + 6 + l.length, count);
    putU32(d, DIGEST_BYTES + 10 + l.length, extra);
    sha256Into(this.state, 0, [d]);
  }

  /** One uniform base-field challenge. */
  challengeBase(label: string): number {
    const out = new Uint32Array(1);
    this.squeeze(label, SQ_BASE, 1, out, null, 0);
    this.log?.push({ op: 'squeeze', label, kind: 'base', count: 1 });
    return out[0];
  }

  /** n uniform base-field challenges. */
  challengeBases(label: string, n: number): Uint32Array {
    checkCount(n);
    const out = new Uint32Array(n);
    this.squeeze(label, SQ_BASE, n, out, null, 0);
    this.log?.push({ op: 'squeeze', label, kind: 'base', count: n });
    return out;
  }

  /** One uniform K challenge (Uint32Array(4), c0 first). */
  challengeExt(label: string): Uint32Array {
    const out = new Uint32Array(4);
    this.squeeze(label, SQ_EXT, 1, out, null, 0);
    this.log?.push({ op: 'squeeze', label, kind: 'ext', count: 1 });
    return out;
  }

  /** n uniform K challenges as a Uint32Array of length 4n. */
  challengeExts(label: string, n: number): Uint32Array {
    checkCount(n);
    const out = new Uint32Array(4 * n);
    this.squeeze(label, SQ_EXT, n, out, null, 0);
    this.log?.push({ op: 'squeeze', label, kind: 'ext', count: n });
    return out;
  }

  /** `count` indices uniform in [0, n), with replacement; n a power of two ≤ 2^32. */
  challengeIndices(label: string, count: number, n: number): Uint32Array {
    checkCount(count);
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32 || Math.log2(n) % 1 !== 0) {
      throw new Error(`expected n a power of two in [1, 2^32], got ${n}`);
    }
    const out = new Uint32Array(count);
    // (n − 1) | 0 is −1 for n = 2^32, and `w & −1` keeps the whole word; n = 1 gives mask 0.
    this.squeeze(label, SQ_INDEX, count, out, (n - 1) | 0, Math.log2(n));
    this.log?.push({ op: 'squeeze', label, kind: 'index', count });
    return out;
  }

  // ---- copies ---------------------------------------------------------------------------------

  /** An independent copy with the same state (and a copy of the log when recording). */
  clone(): Transcript {
    const t = Object.create(Transcript.prototype) as Transcript;
    (t as unknown as { state: Uint8Array }).state = this.state.slice();
    (t as unknown as { log: TranscriptLogEntry[] | undefined }).log = this.log
      ? this.log.slice()
      : undefined;
    return t;
  }

  /** A clone that has also absorbed a fork marker under `label`, domain-separating the branch. */
  fork(label: string): Transcript {
    const t = this.clone();
    t.absorb(KIND_FORK, label, 0, null);
    t.log?.push({ op: 'absorb', label, kind: 'fork', count: 0 });
    return t;
  }

  /** A copy of the 32-byte state, e.g. to check that prover and verifier stayed in step. */
  snapshot(): Uint8Array {
    return this.state.slice();
  }
}

function checkCanonical(label: string, v: Uint32Array): void {
  for (let i = 0; i < v.length; i++) {
    if (v[i] >= P) {
      throw new Error(`expected canonical field values (< ${P}) for '${label}', got ${v[i]} at ${i}`);
    }
  }
}

function checkCount(n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new Error(`expected a count in [0, 2^32), got ${n}`);
  }
}
