/**
 * Transcript: golden challenges (pinned literals, cross-checked against an independent Python
 * implementation of the header's rule), an in-test reference of the sampling rule, binding of
 * every label and value, canonicity, recording mode, clone/fork.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Transcript, TRANSCRIPT_DOMAIN } from '../../src/transcript/index.js';
import { sha256Portable } from '../../src/hash/index.js';
import { P } from '../../src/field/babybear.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const enc = (s: string) => new TextEncoder().encode(s);
const le32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};
const lp = (b: Uint8Array) => new Uint8Array([...le32(b.length), ...b]);

/** The fixed script whose outputs are pinned below. */
function goldenScript(t: Transcript) {
  t.absorbU64('version', 1);
  t.absorbBytes('root', Uint8Array.from({ length: 32 }, (_, i) => i));
  t.absorbBase('input', Uint32Array.from([0, 1, P - 1, 12345]));
  t.absorbExt('claim', Uint32Array.from([1, 2, 3, 4, P - 1, 0, 0, 7]));
  const base = t.challengeBase('alpha');
  const ext = t.challengeExt('r');
  const exts = t.challengeExts('rs', 3);
  t.absorbU64('big', (1n << 64n) - 1n);
  const idx = t.challengeIndices('cols', 10, 1024);
  const base2 = t.challengeBase('alpha');
  return { base, ext, exts, idx, base2 };
}

test('golden bytes: pinned challenges of a fixed script', () => {
  const t = new Transcript('zkinfer/v1');
  const g = goldenScript(t);
  assert.equal(g.base, 621992208);
  assert.deepEqual([...g.ext], [1481395688, 101641691, 659975448, 661839713]);
  assert.deepEqual(
    [...g.exts],
    [1178971286, 1330736374, 669705070, 430683355, 1012306897, 1261066056, 1508311489, 1759853057, 532406076, 1744174132, 1944299137, 323240340],
  );
  assert.deepEqual([...g.idx], [559, 255, 480, 67, 229, 981, 524, 855, 312, 861]);
  assert.equal(g.base2, 264122099);
  assert.equal(hex(t.snapshot()), 'e6cd76246ec97c9253bb63b1e1fd74cdff6a4bb55b2b2a334d6d3399202de186');
});

test('initial state and one absorb follow the documented preimages', () => {
  const t = new Transcript('zkinfer/v1');
  const s0 = sha256Portable(enc(TRANSCRIPT_DOMAIN), new Uint8Array([0]), lp(enc('zkinfer/v1')));
  assert.deepEqual(t.snapshot(), s0);
  t.absorbBytes('x', enc('hello'));
  const s1 = sha256Portable(s0, new Uint8Array([1, 1]), lp(enc('x')), le32(5), enc('hello'));
  assert.deepEqual(t.snapshot(), s1);
});

/** Reference sampler written from PROTOCOL-NOTES §6 and the module header. */
function refFieldWords(state: Uint8Array, label: string, count: number): number[] {
  const out: number[] = [];
  for (let c = 0; out.length < count; c++) {
    const block = sha256Portable(state, new Uint8Array([2]), lp(enc(label)), le32(c));
    const dv = new DataView(block.buffer, block.byteOffset, 32);
    for (let j = 0; j < 8 && out.length < count; j++) {
      const x = dv.getUint32(4 * j, true) & 0x7fffffff;
      if (x < P) out.push(x);
    }
  }
  return out;
}

test('sampling matches the reference over many blocks (rejection and counters exercised)', () => {
  const t = new Transcript('zkinfer/v1');
  t.absorbBytes('seed', enc('many'));
  const s = t.snapshot();
  const n = 1000; // 4000 words: ~500 blocks, ~250 rejections expected
  const got = t.clone().challengeExts('big', n);
  const want = refFieldWords(s, 'big', 4 * n);
  assert.deepEqual([...got], want);
  // rejections actually happened: fewer words were accepted than drawn
  let raw = 0;
  for (let c = 0; c < 500; c++) {
    const block = sha256Portable(s, new Uint8Array([2]), lp(enc('big')), le32(c));
    const dv = new DataView(block.buffer, block.byteOffset, 32);
    for (let j = 0; j < 8; j++) if ((dv.getUint32(4 * j, true) & 0x7fffffff) >= P) raw++;
  }
  assert.ok(raw > 100, `expected rejections, saw ${raw}`);
  // state after the squeeze is the documented descriptor hash
  const t2 = t.clone();
  t2.challengeExts('big', n);
  const desc = sha256Portable(s, new Uint8Array([3, 0x12]), lp(enc('big')), le32(n), le32(0));
  assert.deepEqual(t2.snapshot(), desc);
});

test('determinism and clone', () => {
  const a = goldenScript(new Transcript('zkinfer/v1'));
  const b = goldenScript(new Transcript('zkinfer/v1'));
  assert.deepEqual(a, b);
  const t = new Transcript('p');
  t.absorbU64('n', 5);
  const c = t.clone();
  assert.deepEqual(t.challengeExt('z'), c.challengeExt('z'));
  c.absorbU64('m', 1);
  assert.notDeepEqual(t.snapshot(), c.snapshot(), 'clones are independent');
});

test('fork is domain separated from the parent and from other forks', () => {
  const t = new Transcript('p');
  const f1 = t.fork('a');
  const f2 = t.fork('b');
  const x = t.clone().challengeBase('c');
  assert.notEqual(f1.challengeBase('c'), x);
  assert.notEqual(f1.clone().challengeBase('d'), f2.challengeBase('d'));
});

test('every label and value change changes the next challenge', () => {
  type Step = (t: Transcript) => void;
  const base: Step[] = [
    (t) => t.absorbU64('version', 1),
    (t) => t.absorbBytes('root', enc('r00t')),
    (t) => t.absorbBase('vec', Uint32Array.from([1, 2, 3])),
    (t) => t.absorbExt('ext', Uint32Array.from([1, 2, 3, 4])),
    (t) => void t.challengeExt('alpha'),
    (t) => t.absorbBase('after', Uint32Array.from([9])),
  ];
  const variants: Step[][] = [
    // protocol label is tested separately; here each step is changed in turn
    [(t) => t.absorbU64('versioN', 1)],
    [(t) => t.absorbU64('version', 2)],
    [(t) => t.absorbBytes('rooT', enc('r00t'))],
    [(t) => t.absorbBytes('root', enc('r00u'))],
    [(t) => t.absorbBytes('root', enc('r00t\0'))],
    [(t) => t.absorbBase('vec', Uint32Array.from([1, 2, 4]))],
    [(t) => t.absorbBase('vec', Uint32Array.from([1, 2]))],
    [(t) => t.absorbBase('ve', Uint32Array.from([1, 2, 3]))],
    [(t) => t.absorbExt('ext', Uint32Array.from([1, 2, 3, 5]))],
    [(t) => t.absorbExt('exT', Uint32Array.from([1, 2, 3, 4]))],
    [(t) => t.absorbBase('ext', Uint32Array.from([1, 2, 3, 4]))], // same words, other kind
    [(t) => void t.challengeExt('alphA')],
    [(t) => void t.challengeBase('alpha')], // other squeeze kind
    [(t) => t.absorbBase('after', Uint32Array.from([8]))],
  ];
  const run = (steps: Step[], label = 'zkinfer/v1') => {
    const t = new Transcript(label);
    for (const s of steps) s(t);
    return [...t.challengeExts('final', 2)];
  };
  const ref = run(base);
  assert.notDeepEqual(run(base, 'zkinfer/v2'), ref, 'protocol label');
  for (let v = 0; v < variants.length; v++) {
    // substitute the step whose label prefix matches (the variant replaces index k)
    const k = [0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5][v];
    const steps = base.slice();
    steps[k] = variants[v][0];
    assert.notDeepEqual(run(steps), ref, `variant ${v}`);
  }
  // removing any step changes the result (a missing absorb is never silent)
  for (let k = 0; k < base.length; k++) {
    assert.notDeepEqual(run(base.filter((_, i) => i !== k)), ref, `removed step ${k}`);
  }
  // swapping the order of two absorbs changes it
  const swapped = base.slice();
  [swapped[1], swapped[2]] = [swapped[2], swapped[1]];
  assert.notDeepEqual(run(swapped), ref, 'order');
  // concatenation ambiguity: ('ab', 'c') vs ('a', 'bc')
  const t1 = new Transcript('p');
  t1.absorbBytes('ab', enc('c'));
  const t2 = new Transcript('p');
  t2.absorbBytes('a', enc('bc'));
  assert.notEqual(t1.challengeBase('x'), t2.challengeBase('x'));
});

test('consecutive squeezes under one label differ; later absorbs bind to them', () => {
  const t = new Transcript('p');
  const a = t.challengeExt('r');
  const b = t.challengeExt('r');
  assert.notDeepEqual(a, b);
  const i1 = t.challengeIndices('q', 4, 2 ** 20);
  const i2 = t.challengeIndices('q', 4, 2 ** 20);
  assert.notDeepEqual(i1, i2);
  // same words, different request: the state after differs
  const u = new Transcript('p');
  const v = new Transcript('p');
  u.challengeExts('r', 1);
  v.challengeExts('r', 2);
  assert.notDeepEqual(u.snapshot(), v.snapshot());
});

test('challenge ranges: ext coefficients < p, indices < n (incl. n = 1 and 2^32)', () => {
  const t = new Transcript('ranges');
  const e = t.challengeExts('e', 500);
  assert.equal(e.length, 2000);
  for (const x of e) assert.ok(x < P);
  for (const n of [1, 2, 8, 1 << 14, 2 ** 31, 2 ** 32]) {
    const idx = t.challengeIndices('i', 300, n);
    assert.equal(idx.length, 300);
    for (const j of idx) assert.ok(j < n, `${j} < ${n}`);
    if (n >= 8) assert.ok(new Set(idx).size > 1);
  }
  const bs = t.challengeBases('b', 100);
  for (const x of bs) assert.ok(x < P);
  assert.equal(t.challengeExts('none', 0).length, 0);
});

test('caller bugs throw: non-canonical values, bad counts, bad n', () => {
  const t = new Transcript('p');
  assert.throws(() => t.absorbBase('v', Uint32Array.from([1, P])), /expected canonical field values .* got 2013265921 at 1/);
  assert.throws(() => t.absorbBase('v', Uint32Array.from([0xffffffff])), /canonical/);
  assert.throws(() => t.absorbExt('v', Uint32Array.from([0, 0, 0, P + 5])), /canonical/);
  assert.throws(() => t.absorbExt('v', new Uint32Array(3)), /length 4n/);
  assert.throws(() => t.absorbU64('n', -1), /2\^64/);
  assert.throws(() => t.absorbU64('n', 1n << 64n), /2\^64/);
  assert.throws(() => t.absorbNumber('n', 0.5), /safe integer/);
  assert.throws(() => t.challengeIndices('i', 3, 6), /power of two/);
  assert.throws(() => t.challengeIndices('i', 3, 2 ** 33), /power of two/);
  assert.throws(() => t.challengeExts('e', -1), /count/);
  // a refused absorb leaves the state untouched
  const u = new Transcript('p');
  assert.deepEqual(t.snapshot(), u.snapshot());
});

test('recording mode lists operations in order (golden label sequence)', () => {
  const t = new Transcript('zkinfer/v1', { record: true });
  goldenScript(t);
  assert.deepEqual(t.log, [
    { op: 'absorb', label: 'version', kind: 'u64', count: 1 },
    { op: 'absorb', label: 'root', kind: 'bytes', count: 32 },
    { op: 'absorb', label: 'input', kind: 'base', count: 4 },
    { op: 'absorb', label: 'claim', kind: 'ext', count: 2 },
    { op: 'squeeze', label: 'alpha', kind: 'base', count: 1 },
    { op: 'squeeze', label: 'r', kind: 'ext', count: 1 },
    { op: 'squeeze', label: 'rs', kind: 'ext', count: 3 },
    { op: 'absorb', label: 'big', kind: 'u64', count: 1 },
    { op: 'squeeze', label: 'cols', kind: 'index', count: 10 },
    { op: 'squeeze', label: 'alpha', kind: 'base', count: 1 },
  ]);
  // recording does not change the challenges; no log without it
  const plain = new Transcript('zkinfer/v1');
  goldenScript(plain);
  assert.equal(plain.log, undefined);
  assert.deepEqual(plain.snapshot(), t.snapshot());
  const c = t.clone();
  c.absorbU64('x', 1);
  assert.equal(c.log!.length, 11);
  assert.equal(t.log!.length, 10);
});

test('absorbing a subarray view uses only its own bytes', () => {
  const big = Uint32Array.from([7, 1, 2, 3, 9]);
  const a = new Transcript('p');
  a.absorbBase('v', big.subarray(1, 4));
  const b = new Transcript('p');
  b.absorbBase('v', Uint32Array.from([1, 2, 3]));
  assert.deepEqual(a.snapshot(), b.snapshot());
});
