/**
 * SHA-256, the only hash of zkinfer v1, with Merkle domain-separated fast paths.
 *
 *   sha256(a ‖ b ‖ …)          plain SHA-256 (FIPS 180-4) of the concatenated parts
 *   hashLeaf(x)   = SHA256(0x00 ‖ x)         Merkle leaf   (PROTOCOL-NOTES §1)
 *   hashNode(l,r) = SHA256(0x01 ‖ l ‖ r)     Merkle node
 *
 * The 0x00 / 0x01 prefixes make leaf and node preimages disjoint, so a node can never be passed
 * off as a leaf (the second-preimage trick against unprefixed trees, RFC 6962 §2.1).
 *
 * Backend. In Node the native OpenSSL implementation is reached through
 * `globalThis.process.getBuiltinModule('node:crypto')` (Node ≥ 20.16) — never a static
 * `node:crypto` import, so the verifier still bundles for browsers, where `@noble/hashes`
 * (audited, zero-dependency, pure JS) takes over. Both compute the same function; the tests
 * check them against each other and against FIPS vectors.
 *
 * Performance (Fragile: benchmark any change). Per-call overhead dominates small inputs:
 * `crypto.hash('sha256', buf, 'buffer')` (one native call) beats `createHash().update().digest()`
 * (three calls, one hasher object) by ~20–30%, so leaf hashing assembles each preimage in one
 * reusable scratch buffer (copying ≤ a few KB is cheaper than an extra native call) and writes
 * digests straight into the caller's output. For the 65-byte node preimage even one native
 * call costs more than the hash itself, so nodes go through the specialised pure-JS routine in
 * `./sha256-node.ts` (~2× faster than native there) on every backend.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { hashNodeJs } from './sha256-node.js';

/** Byte length of a SHA-256 digest. */
export const DIGEST_BYTES = 32;
/** Merkle leaf domain tag. */
export const LEAF_PREFIX = 0x00;
/** Merkle inner-node domain tag. */
export const NODE_PREFIX = 0x01;

/** The slice of `node:crypto` used here (declared locally: no type import of Node modules). */
interface NativeCrypto {
  hash?: (algorithm: string, data: Uint8Array, outputEncoding: 'buffer') => Uint8Array;
  createHash(algorithm: string): { update(d: Uint8Array): unknown; digest(): Uint8Array };
}

function loadNative(): NativeCrypto | undefined {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
      .process;
    const mod = proc?.getBuiltinModule?.('node:crypto') as NativeCrypto | undefined;
    if (mod && typeof mod.createHash === 'function') return mod;
  } catch {
    // not Node, or a sandbox that forbids builtins: fall through to noble
  }
  return undefined;
}

const NATIVE = loadNative();
/** True when the native Node implementation is available on this platform. */
export const NATIVE_SHA256_AVAILABLE = NATIVE !== undefined;

// ---------------------------------------------------------------------------------------------
// Backend: one-shot digest of a single contiguous buffer, written into out[off..off+32).

type DigestInto = (data: Uint8Array, out: Uint8Array, off: number) => void;

function makeNativeDigest(c: NativeCrypto): DigestInto {
  const h = c.hash;
  if (typeof h === 'function') {
    return (data, out, off) => out.set(h('sha256', data, 'buffer'), off);
  }
  return (data, out, off) => {
    const x = c.createHash('sha256');
    x.update(data);
    out.set(x.digest(), off);
  };
}

const nobleDigest: DigestInto = (data, out, off) => out.set(nobleSha256(data), off);

let digestInto: DigestInto = NATIVE ? makeNativeDigest(NATIVE) : nobleDigest;
let backend: 'native' | 'portable' = NATIVE ? 'native' : 'portable';

/**
 * Select the backend ('native' needs Node; 'portable' is @noble/hashes). For tests and
 * benchmarks that compare the two; returns the previous choice. Both compute the same function.
 */
export function useSha256Backend(kind: 'native' | 'portable'): 'native' | 'portable' {
  const prev = backend;
  if (kind === 'native') {
    if (!NATIVE) throw new Error('expected a Node runtime with node:crypto, got none');
    digestInto = makeNativeDigest(NATIVE);
  } else if (kind === 'portable') {
    digestInto = nobleDigest;
  } else {
    throw new Error(`expected 'native' or 'portable', got ${String(kind)}`);
  }
  backend = kind;
  return prev;
}

/** The backend currently in use. */
export function sha256Backend(): 'native' | 'portable' {
  return backend;
}

// ---------------------------------------------------------------------------------------------
// Scratch space. All functions here are synchronous and non-reentrant, so one growable buffer
// is safe to share.

let scratch = new Uint8Array(4096);
function scratchOf(n: number): Uint8Array {
  if (scratch.length < n) scratch = new Uint8Array(Math.max(n, 2 * scratch.length));
  return scratch;
}

/** Above this many bytes `sha256(...parts)` streams instead of copying into scratch. */
const STREAM_THRESHOLD = 1 << 16;

/** SHA-256 of the concatenation of `parts`; returns a fresh 32-byte Uint8Array. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(DIGEST_BYTES);
  sha256Into(out, 0, parts);
  return out;
}

/** SHA-256 of the concatenation of `parts`, written to out[off..off+32). */
export function sha256Into(out: Uint8Array, off: number, parts: readonly Uint8Array[]): void {
  if (parts.length === 1) {
    digestInto(parts[0], out, off);
    return;
  }
  let total = 0;
  for (let i = 0; i < parts.length; i++) total += parts[i].length;
  if (total > STREAM_THRESHOLD) {
    // Large input: stream, to avoid a copy as large as the input.
    if (backend === 'native' && NATIVE) {
      const x = NATIVE.createHash('sha256');
      for (let i = 0; i < parts.length; i++) x.update(parts[i]);
      out.set(x.digest(), off);
    } else {
      const x = nobleSha256.create();
      for (let i = 0; i < parts.length; i++) x.update(parts[i]);
      out.set(x.digest(), off);
    }
    return;
  }
  const buf = scratchOf(total);
  let pos = 0;
  for (let i = 0; i < parts.length; i++) {
    buf.set(parts[i], pos);
    pos += parts[i].length;
  }
  digestInto(buf.subarray(0, total), out, off);
}

/** SHA-256 through @noble/hashes regardless of the backend (reference for tests). */
export function sha256Portable(...parts: Uint8Array[]): Uint8Array {
  const x = nobleSha256.create();
  for (const p of parts) x.update(p);
  return x.digest();
}

// ---------------------------------------------------------------------------------------------
// Merkle preimages.

/** Merkle leaf hash SHA256(0x00 ‖ bytes); fresh 32-byte array. */
export function hashLeaf(bytes: Uint8Array): Uint8Array {
  const buf = scratchOf(bytes.length + 1);
  buf[0] = LEAF_PREFIX;
  buf.set(bytes, 1);
  const out = new Uint8Array(DIGEST_BYTES);
  digestInto(buf.subarray(0, bytes.length + 1), out, 0);
  return out;
}

/** Merkle node hash SHA256(0x01 ‖ l ‖ r) of two 32-byte children; fresh 32-byte array. */
export function hashNode(l: Uint8Array, r: Uint8Array): Uint8Array {
  if (l.length !== DIGEST_BYTES || r.length !== DIGEST_BYTES) {
    throw new Error(`expected two ${DIGEST_BYTES}-byte children, got ${l.length} and ${r.length}`);
  }
  const buf = scratchOf(64);
  buf.set(l, 0);
  buf.set(r, 32);
  const out = new Uint8Array(DIGEST_BYTES);
  hashNodeJs(out, 0, buf, 0);
  return out;
}

/**
 * out[outOff..+32) = SHA256(0x01 ‖ src[srcOff..srcOff+64)), i.e. the parent of two adjacent
 * children. Hot path of tree building: no allocation. Trusts its offsets (internal callers
 * only); `out` and `src` may alias.
 */
export const hashNodeAt: (out: Uint8Array, outOff: number, src: Uint8Array, srcOff: number) => void =
  hashNodeJs;

/**
 * Hash n = data.length / leafSize consecutive leaves: out[32i..32i+32) =
 * SHA256(0x00 ‖ data[i·leafSize .. (i+1)·leafSize)). `out` must hold exactly 32·n bytes.
 */
export function hashLeavesInto(out: Uint8Array, data: Uint8Array, leafSize: number): void {
  if (!Number.isInteger(leafSize) || leafSize <= 0) {
    throw new Error(`expected a positive integer leafSize, got ${leafSize}`);
  }
  if (data.length % leafSize !== 0) {
    throw new Error(`expected data length a multiple of ${leafSize}, got ${data.length}`);
  }
  const n = data.length / leafSize;
  if (out.length !== DIGEST_BYTES * n) {
    throw new Error(`expected out of ${DIGEST_BYTES * n} bytes, got ${out.length}`);
  }
  const buf = scratchOf(leafSize + 1);
  buf[0] = LEAF_PREFIX;
  const pre = buf.subarray(0, leafSize + 1);
  const d = digestInto;
  for (let i = 0, src = 0; i < n; i++, src += leafSize) {
    buf.set(data.subarray(src, src + leafSize), 1);
    d(pre, out, DIGEST_BYTES * i);
  }
}
