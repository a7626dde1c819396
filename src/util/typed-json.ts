/**
 * A JSON container for objects holding typed arrays (the `.zkm` model file, the public model
 * description inside receipts):
 *
 *   magic (4 bytes) | u32 version | u32 headerLength | u32 blobLength | header (UTF-8 JSON) | blobs [| trailer]
 *
 * Every Int8Array / Int32Array / Float64Array in the value becomes {"$a": type, "o": byteOffset,
 * "n": length} into the 8-byte-aligned blob section; non-finite numbers become {"$num": "…"}.
 * Decoding is bounded (every array reference is checked against the blob section before anything
 * is copied) and reports failures through the caller's error factory. Browser-safe; a caller that
 * wants a checksum reserves `trailer` bytes after the blobs and fills them itself.
 */
type TA = Int8Array | Int32Array | Float64Array;
const CTORS = { i8: Int8Array, i32: Int32Array, f64: Float64Array } as const;
type TName = keyof typeof CTORS;

export interface ContainerFormat {
  magic: readonly number[];
  version: number;
  /** bytes reserved after the blobs (e.g. a checksum), default 0 */
  trailer?: number;
  /** called once the framing is consistent, before the header is parsed (e.g. to check a checksum) */
  check?: (bytes: Uint8Array) => void;
}

export function encodeTypedJson(value: unknown, f: ContainerFormat): Uint8Array {
  const blobs: TA[] = [];
  let off = 0;
  const header = JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof Int8Array || v instanceof Int32Array || v instanceof Float64Array) {
      const o = off;
      blobs.push(v);
      off += Math.ceil(v.byteLength / 8) * 8;
      return { $a: v instanceof Int8Array ? 'i8' : v instanceof Int32Array ? 'i32' : 'f64', o, n: v.length };
    }
    if (typeof v === 'number' && !Number.isFinite(v)) return { $num: String(v) };
    return v;
  });
  const hb = new TextEncoder().encode(header);
  const out = new Uint8Array(16 + hb.length + off + (f.trailer ?? 0));
  const dv = new DataView(out.buffer);
  out.set(f.magic, 0);
  dv.setUint32(4, f.version, true);
  dv.setUint32(8, hb.length, true);
  dv.setUint32(12, off, true);
  out.set(hb, 16);
  let p = 16 + hb.length;
  for (const b of blobs) {
    out.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), p);
    p += Math.ceil(b.byteLength / 8) * 8;
  }
  return out;
}

/**
 * Decodes a container; `fail(message)` builds the error thrown for anything malformed
 * (`magicHint` is appended to the wrong-magic message).
 */
export function decodeTypedJson<T>(bytes: Uint8Array, f: ContainerFormat, fail: (message: string) => Error, magicHint = ''): T {
  const trailer = f.trailer ?? 0;
  if (bytes.length < 16 + trailer) throw fail(`${bytes.length} bytes is too short (truncated?)`);
  for (let i = 0; i < 4; i++) if (bytes[i] !== f.magic[i]) throw fail(`wrong magic bytes${magicHint}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(4, true);
  if (version !== f.version) throw fail(`format version ${version} is not supported (this build reads version ${f.version})`);
  const hl = dv.getUint32(8, true);
  const bl = dv.getUint32(12, true);
  const expect = 16 + hl + bl + trailer;
  if (expect !== bytes.length) throw fail(`expected ${expect} bytes from its header, got ${bytes.length} (truncated or padded)`);
  f.check?.(bytes);
  const blobStart = 16 + hl;
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(16, 16 + hl)), (_k, v: unknown) => {
      if (v && typeof v === 'object' && '$a' in v) {
        const { $a, o, n } = v as { $a: TName; o: number; n: number };
        const C = CTORS[$a];
        if (!C || !Number.isInteger(o) || !Number.isInteger(n) || o < 0 || n < 0 || o % 8 !== 0 || o + n * C.BYTES_PER_ELEMENT > bl) throw new Error('bad array reference');
        const copy = new Uint8Array(n * C.BYTES_PER_ELEMENT);
        copy.set(bytes.subarray(blobStart + o, blobStart + o + copy.length));
        return new C(copy.buffer);
      }
      if (v && typeof v === 'object' && '$num' in v) return Number((v as { $num: string }).$num);
      return v;
    }) as T;
  } catch (e) {
    throw fail(`header does not decode (${(e as Error).message})`);
  }
}
