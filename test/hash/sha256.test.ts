/**
 * SHA-256 backends: FIPS 180-4 vectors, native vs portable agreement, Merkle preimage helpers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  sha256,
  sha256Portable,
  hashLeaf,
  hashNode,
  hashLeavesInto,
  hashNodeAt,
  useSha256Backend,
  sha256Backend,
  NATIVE_SHA256_AVAILABLE,
} from '../../src/hash/index.js';
import { randomBytes, rng } from '../support/random.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const enc = (s: string) => new TextEncoder().encode(s);


const VECTORS: [string, string][] = [
  ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  [
    'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  ],
];

for (const kind of ['native', 'portable'] as const) {
  test(`sha256 ${kind}: FIPS vectors, split parts`, { skip: kind === 'native' && !NATIVE_SHA256_AVAILABLE }, () => {
    const prev = useSha256Backend(kind);
    try {
      assert.equal(sha256Backend(), kind);
      for (const [msg, want] of VECTORS) {
        assert.equal(hex(sha256(enc(msg))), want);
        const m = enc(msg);
        const cut = m.length >> 1;
        assert.equal(hex(sha256(m.subarray(0, cut), m.subarray(cut))), want);
        assert.equal(hex(sha256()), VECTORS[0][1]);
      }
      // the output is a plain Uint8Array, not a Buffer
      assert.equal(Object.getPrototypeOf(sha256(enc('abc'))), Uint8Array.prototype);
    } finally {
      useSha256Backend(prev);
    }
  });
}

test('sha256Portable matches the FIPS vectors', () => {
  for (const [msg, want] of VECTORS) assert.equal(hex(sha256Portable(enc(msg))), want);
});

test('native and portable agree on random inputs (incl. streamed sizes)', { skip: !NATIVE_SHA256_AVAILABLE }, () => {
  const r = rng(1);
  const sizes = [0, 1, 31, 32, 55, 56, 63, 64, 65, 127, 1000, 4097, 70000, 200000];
  for (const n of sizes) {
    const m = randomBytes(r, n);
    const a = m.subarray(0, n >> 2);
    const b = m.subarray(n >> 2);
    useSha256Backend('native');
    const x1 = sha256(m);
    const x2 = sha256(a, b);
    useSha256Backend('portable');
    const y1 = sha256(m);
    const y2 = sha256(a, b);
    useSha256Backend('native');
    assert.deepEqual(x1, y1, `size ${n}`);
    assert.deepEqual(x2, y1, `size ${n} split native`);
    assert.deepEqual(y2, y1, `size ${n} split portable`);
    assert.deepEqual(sha256Portable(m), y1);
  }
});

test('hashLeaf / hashNode are the prefixed preimages; both backends', () => {
  const r = rng(2);
  const kinds = NATIVE_SHA256_AVAILABLE ? (['native', 'portable'] as const) : (['portable'] as const);
  for (const kind of kinds) {
    const prev = useSha256Backend(kind);
    try {
      const leaf = randomBytes(r, 100);
      assert.deepEqual(hashLeaf(leaf), sha256Portable(new Uint8Array([0]), leaf));
      const l = randomBytes(r, 32);
      const rr = randomBytes(r, 32);
      assert.deepEqual(hashNode(l, rr), sha256Portable(new Uint8Array([1]), l, rr));
      assert.throws(() => hashNode(l, rr.subarray(1)), /expected two 32-byte children/);
    } finally {
      useSha256Backend(prev);
    }
  }
});

test('hashLeavesInto hashes each leaf; checks its arguments', () => {
  const r = rng(3);
  const leafSize = 37;
  const n = 9;
  const data = randomBytes(r, leafSize * n);
  const out = new Uint8Array(32 * n);
  hashLeavesInto(out, data, leafSize);
  for (let i = 0; i < n; i++) {
    assert.deepEqual(out.subarray(32 * i, 32 * i + 32), hashLeaf(data.subarray(i * leafSize, (i + 1) * leafSize)));
  }
  assert.throws(() => hashLeavesInto(out, data.subarray(1), leafSize), /multiple of 37/);
  assert.throws(() => hashLeavesInto(out.subarray(32), data, leafSize), /expected out of 288 bytes/);
  assert.throws(() => hashLeavesInto(out, data, 0), /positive integer leafSize/);
});

test('specialised node hasher (hashNodeAt) equals SHA256(0x01 ‖ 64 bytes): every last byte, aliasing', () => {
  const r = rng(4);
  const src = randomBytes(r, 64 * 300);
  for (let i = 0; i < 256; i++) src[64 * i + 63] = i; // every block-2 schedule
  const out = new Uint8Array(32 * 300);
  for (let i = 0; i < 300; i++) {
    hashNodeAt(out, 32 * i, src, 64 * i);
    const want = sha256Portable(new Uint8Array([1]), src.subarray(64 * i, 64 * i + 64));
    assert.deepEqual(out.subarray(32 * i, 32 * i + 32), want);
    if (NATIVE_SHA256_AVAILABLE) {
      const prev = useSha256Backend('native');
      assert.deepEqual(sha256(new Uint8Array([1]), src.subarray(64 * i, 64 * i + 64)), want);
      useSha256Backend(prev);
    }
  }
  // output overlapping the input (parent written over its left child)
  const buf = src.slice(0, 64);
  const want = sha256Portable(new Uint8Array([1]), buf);
  hashNodeAt(buf, 0, buf, 0);
  assert.deepEqual(buf.subarray(0, 32), want);
});
