/**
 * The shared PCS test suite (STYLE §7): every MultilinearPcs implementation must pass it.
 * Honest openings verify; a wrong value, another point, another commitment, a replay under
 * another transcript, truncated and random proof bytes are all rejected as error values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ext, extAdd } from '../../src/field/extension.js';
import { evaluateBase } from '../../src/poly/multilinear.js';
import { Transcript } from '../../src/transcript/transcript.js';
import type { AnyPcs } from '../../src/pcs/types.js';
import { deserializeOpening, serializeOpening } from '../../src/pcs/codec.js';
import { proveBatchOpening, verifyBatchOpening, type EvalClaim } from '../../src/pcs/batch.js';
import { Rng } from '../support/random.js';

export function testPcs(name: string, pcs: AnyPcs, sizes: number[] = [0, 1, 4, 9]): void {
  const tr = () => new Transcript('pcs-suite');

  test(`${name}: honest openings verify, and the value is f~(z)`, () => {
    const rng = new Rng(100);
    for (const n of sizes) {
      const f = rng.baseVec(1 << n);
      const { commitment, data } = pcs.commit(f);
      assert.equal(pcs.numVars(commitment), n);
      const z = rng.extVec(n);
      const { value, proof } = pcs.open(data, z, tr());
      assert.deepEqual(value, evaluateBase(f, z));
      const res = pcs.verify(commitment, z, value, proof, tr());
      assert.ok(res.ok, `n=${n}: ${JSON.stringify(!res.ok && res.error)}`);
      const bytes = serializeOpening(pcs, proof);
      const back = deserializeOpening(pcs, bytes, commitment);
      assert.ok(back.ok);
      if (back.ok) assert.ok(pcs.verify(commitment, z, value, back.value, tr()).ok, 'after a byte round trip');
    }
  });

  const n = sizes[sizes.length - 1];
  const rng = new Rng(200);
  const f = rng.baseVec(1 << n);
  const { commitment, data } = pcs.commit(f);
  const z = rng.extVec(n);
  const opened = pcs.open(data, z, tr());

  test(`${name}: a wrong claimed value is rejected`, () => {
    const res = pcs.verify(commitment, z, extAdd(opened.value, ext(1)), opened.proof, tr());
    assert.equal(res.ok, false);
  });

  test(`${name}: another point is rejected`, () => {
    const z2 = z.slice();
    z2[0] = (z2[0] + 1) % 2013265921;
    assert.equal(pcs.verify(commitment, z2, opened.value, opened.proof, tr()).ok, false);
  });

  test(`${name}: another commitment (a different vector) is rejected`, () => {
    const g = f.slice();
    g[3] = (g[3] + 1) % 2013265921;
    const other = pcs.commit(g).commitment;
    assert.equal(pcs.verify(other, z, opened.value, opened.proof, tr()).ok, false);
  });

  test(`${name}: a proof made under another transcript is rejected`, () => {
    const res = pcs.verify(commitment, z, opened.value, opened.proof, new Transcript('another-protocol'));
    // A PCS whose proof does not depend on the transcript (the clear PCS) still verifies here.
    if (pcs.name !== 'clear') assert.equal(res.ok, false);
  });

  test(`${name}: truncated, extended and random proof bytes decode to errors, never exceptions`, () => {
    const bytes = serializeOpening(pcs, opened.proof);
    for (const cut of [0, 1, 3, 4, 5, 9, bytes.length >> 1, bytes.length - 1]) {
      const r = deserializeOpening(pcs, bytes.subarray(0, cut), commitment);
      assert.equal(r.ok, false, `cut at ${cut}`);
    }
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    assert.equal(deserializeOpening(pcs, longer, commitment).ok, false, 'trailing byte');
    const rr = new Rng(7);
    for (let i = 0; i < 20; i++) {
      const junk = rr.bytes(rr.int(bytes.length + 64));
      const r = deserializeOpening(pcs, junk, commitment);
      if (r.ok) assert.equal(pcs.verify(commitment, z, opened.value, r.value, tr()).ok, false);
    }
    // random bytes after a valid magic
    for (let i = 0; i < 20; i++) {
      const junk = rr.bytes(bytes.length);
      junk.set(bytes.subarray(0, 4));
      const r = deserializeOpening(pcs, junk, commitment);
      if (r.ok) assert.equal(pcs.verify(commitment, z, opened.value, r.value, tr()).ok, false);
    }
  });

  test(`${name}: single-byte corruptions of the proof are rejected`, () => {
    const bytes = serializeOpening(pcs, opened.proof);
    const rr = new Rng(8);
    for (let i = 0; i < 40; i++) {
      const bad = bytes.slice();
      const pos = 4 + rr.int(bytes.length - 4);
      bad[pos] ^= 1 << rr.int(8);
      const r = deserializeOpening(pcs, bad, commitment);
      if (r.ok) assert.equal(pcs.verify(commitment, z, opened.value, r.value, tr()).ok, false, `flip at byte ${pos}`);
    }
  });

  test(`${name}: batch openings of many (segment) claims verify; altered claims are rejected`, () => {
    const m = Math.max(n, 3);
    const g = new Rng(300).baseVec(1 << m);
    const { commitment: c, data: d } = pcs.commit(g);
    const rr = new Rng(301);
    const claims: EvalClaim[] = [];
    for (const [k, seg] of [[m, 0], [m - 1, 1], [m - 2, 2], [m - 2, 0], [0, 5]] as const) {
      const point = rr.extVec(k);
      const segment = seg % 2 ** (m - k);
      claims.push({ point, segment, value: evaluateBase(g.subarray(segment * 2 ** k, (segment + 1) * 2 ** k), point) });
    }
    const proof = proveBatchOpening(pcs, c, d, claims, tr());
    const ok = verifyBatchOpening(pcs, c, claims, proof, tr());
    assert.ok(ok.ok, JSON.stringify(!ok.ok && ok.error));

    const swapped = claims.map((x) => ({ ...x }));
    [swapped[0].value, swapped[1].value] = [swapped[1].value, swapped[0].value];
    assert.equal(verifyBatchOpening(pcs, c, swapped, proof, tr()).ok, false, 'swapped values');

    const moved = claims.map((x) => ({ ...x, point: x.point.slice() }));
    moved[2].point[4] = (moved[2].point[4] + 1) % 2013265921;
    assert.equal(verifyBatchOpening(pcs, c, moved, proof, tr()).ok, false, 'altered point coordinate');

    assert.equal(verifyBatchOpening(pcs, c, claims.slice(0, -1), proof, tr()).ok, false, 'dropped claim');

    const shifted = claims.map((x) => ({ ...x }));
    shifted[1].segment = 0;
    assert.equal(verifyBatchOpening(pcs, c, shifted, proof, tr()).ok, false, 'segment off by one');

    const badInner = { ...proof, innerValue: extAdd(proof.innerValue, ext(1)) };
    assert.equal(verifyBatchOpening(pcs, c, claims, badInner, tr()).ok, false, 'inner value');

    const rounds = proof.sumcheck.rounds.map((s) => s.slice());
    rounds[0][0] = (rounds[0][0] + 1) % 2013265921;
    assert.equal(verifyBatchOpening(pcs, c, claims, { ...proof, sumcheck: { rounds } }, tr()).ok, false, 'sumcheck round');

    const falseClaims = claims.map((x) => ({ ...x }));
    falseClaims[3].value = extAdd(falseClaims[3].value, ext(1));
    assert.throws(() => proveBatchOpening(pcs, c, d, falseClaims, tr()), /claim 3 is false/);
  });
}
