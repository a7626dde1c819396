import { test } from 'node:test';
import assert from 'node:assert/strict';
import { P, inv, mul, sub } from '../../src/field/babybear.js';
import { type Ext, ext, extEquals, extInv, extSub } from '../../src/field/extension.js';
import { evaluateBase } from '../../src/poly/multilinear.js';
import { Transcript } from '../../src/transcript/transcript.js';
import { ByteReader, ByteWriter, DecodeError } from '../../src/util/bytes.js';
import {
  computeMultiplicities,
  drawLookupChallenges,
  evaluateTable,
  functionTable,
  LookupMembershipError,
  proveLookups,
  proveLookupsUnchecked,
  rangeTable,
  readLookupProof,
  recombineLimbs,
  splitLimbs,
  statementOf,
  verifyGkr,
  verifyLookups,
  writeLookupProof,
  type LookupClaims,
  type LookupProof,
  type LookupStatement,
  type LookupTable,
  type LookupWitness,
} from '../../src/piop/lookup/index.js';
import { Rng } from '../support/random.js';

const ROOT = new Uint8Array(32).fill(7); // stands in for the PCS root of the columns and m

/** Commit (absorb the witness root), draw α, β, prove — the real order. */
function prove(ws: LookupWitness[], unchecked = false) {
  const tr = new Transcript('test/lookup');
  tr.absorbBytes('witness-root', ROOT);
  const ch = drawLookupChallenges(tr, ws.map(statementOf));
  return (unchecked ? proveLookupsUnchecked : proveLookups)(tr, ch, ws);
}

function verify(sts: LookupStatement[], proof: LookupProof) {
  const tr = new Transcript('test/lookup');
  tr.absorbBytes('witness-root', ROOT);
  const ch = drawLookupChallenges(tr, sts);
  return verifyLookups(tr, ch, sts, proof);
}

/** The claims the caller would open hold on the actual vectors. */
function checkClaims(ws: LookupWitness[], claims: LookupClaims[]): void {
  ws.forEach((w, k) => {
    w.lookups.forEach((cols, j) =>
      cols.forEach((c, i) => {
        const cl = claims[k].columns[j][i];
        assert.ok(extEquals(evaluateBase(c, cl.point), cl.value), `column claim ${k}/${j}/${i}`);
      }),
    );
    const mc = claims[k].multiplicities;
    assert.ok(extEquals(evaluateBase(w.multiplicities, mc.point), mc.value), `m claim ${k}`);
  });
}

function values(rng: Rng, n: number, bound: number): Uint32Array {
  const v = new Uint32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.int(bound);
  return v;
}

const square = (t: number) => (t * t) % 1009;
function sqTable(bits: number): LookupTable {
  const inputs = new Uint32Array(2 ** bits).map((_, i) => i);
  return functionTable('square-mod-1009', inputs, square);
}

function sqLookup(rng: Rng, n: number, bits: number): Uint32Array[] {
  const a = values(rng, n, 2 ** bits);
  return [a, a.map(square)];
}

function witness(table: LookupTable, lookups: Uint32Array[][]): LookupWitness {
  return { table, lookups, multiplicities: computeMultiplicities(table, lookups) };
}

function assertRejects(sts: LookupStatement[], proof: LookupProof, kind?: string): void {
  const r = verify(sts, proof);
  assert.equal(r.ok, false);
  if (!r.ok && kind) assert.equal(r.error.kind, kind, r.error.message);
}

test('honest range lookups verify, and the returned claims hold', () => {
  const rng = new Rng(1);
  for (const [logLen, bits] of [[8, 6], [4, 8], [0, 0], [3, 3]] as const) {
    const ws = [witness(rangeTable(bits), [[values(rng, 2 ** logLen, 2 ** bits)]])];
    const { proof, claims } = prove(ws);
    const r = verify(ws.map(statementOf), proof);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    checkClaims(ws, claims);
    if (r.ok) assert.deepEqual(r.claims, claims);
  }
});

test('range MLE evaluated in O(log size) matches the explicit table', () => {
  const rng = new Rng(2);
  const x = rng.extVec(10);
  const explicit = new Uint32Array(1024).map((_, i) => i);
  assert.ok(extEquals(evaluateTable(rangeTable(10), x, ext()), evaluateBase(explicit, x)));
});

test('honest function-table lookups, batched (3 lookups into one table), verify', () => {
  const rng = new Rng(3);
  const ws = [witness(sqTable(6), [sqLookup(rng, 32, 6), sqLookup(rng, 32, 6), sqLookup(rng, 32, 6)])];
  const { proof, claims } = prove(ws);
  const r = verify(ws.map(statementOf), proof);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  checkClaims(ws, claims);
});

test('several tables in one proof (range, function, limbs of a 24-bit range) verify', () => {
  const rng = new Rng(4);
  const wide = values(rng, 64, 2 ** 24);
  const limbs = splitLimbs(wide, 24);
  const ws = [
    witness(rangeTable(8), [[values(rng, 16, 256)], [values(rng, 16, 256)]]),
    witness(sqTable(5), [sqLookup(rng, 128, 5)]),
    ...limbs.groups.map((g) => witness(g.table, g.lookups)),
  ];
  assert.equal(limbs.groups.length, 2);
  const { proof, claims } = prove(ws);
  const r = verify(ws.map(statementOf), proof);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  checkClaims(ws, claims);
  // The caller ties the wide column to its limbs: v~(x) = Σ 2^{16j} l~_j(x).
  const x = claims[2].columns[0][0].point;
  assert.ok(extEquals(claims[2].columns[1][0].point, x));
  const v = recombineLimbs([claims[2].columns[0][0].value, claims[2].columns[1][0].value]);
  assert.ok(extEquals(v, evaluateBase(wide, x)));
});

test('honest prover refuses a value outside the table, naming table and position', () => {
  const bad = new Uint32Array(16).fill(3);
  bad[9] = 300;
  assert.throws(
    () => computeMultiplicities(rangeTable(8, 'relu-rem'), [[new Uint32Array(16)], [bad]]),
    (e: unknown) => e instanceof LookupMembershipError && /relu-rem/.test(e.message) && e.lookup === 1 && e.position === 9,
  );
  const rng = new Rng(5);
  const [a, g] = sqLookup(rng, 8, 4);
  g[5] = (g[5] + 1) % P;
  assert.throws(() => computeMultiplicities(sqTable(4), [[a, g]]), /square-mod-1009.*position 5/);
  assert.throws(() => splitLimbs(new Uint32Array([1, 2 ** 20]), 20), /position 1/);
  const w = witness(rangeTable(4), [[new Uint32Array(4)]]);
  w.multiplicities[1]++;
  assert.throws(() => prove([w]), /multiplicities/);
});

test('proof serialization round-trips; truncated or padded bytes are refused', () => {
  const rng = new Rng(6);
  const ws = [witness(rangeTable(5), [[values(rng, 64, 32)]]), witness(sqTable(4), [sqLookup(rng, 8, 4)])];
  const sts = ws.map(statementOf);
  const { proof } = prove(ws);
  const w = new ByteWriter();
  writeLookupProof(w, proof);
  const bytes = w.finish();
  const back = readLookupProof(new ByteReader(bytes), sts);
  assert.deepEqual(back, proof);
  assert.ok(verify(sts, back).ok);
  assert.throws(() => readLookupProof(new ByteReader(bytes.subarray(0, bytes.length - 3)), sts), DecodeError);
  const nonCanon = bytes.slice();
  new DataView(nonCanon.buffer).setUint32(8, P, true);
  assert.throws(() => readLookupProof(new ByteReader(nonCanon), sts), DecodeError);
});

// ---- soundness: one forged thing each ----------------------------------------------------------

test('rejects a value outside the range, with m rebalanced onto a table row', () => {
  const rng = new Rng(7);
  const v = values(rng, 64, 64);
  v[10] = 64; // outside [0, 64)
  const m = computeMultiplicities(rangeTable(6), [[v.map((x) => x % 64)]]); // counts 64 as row 0
  const ws = [{ table: rangeTable(6), lookups: [[v]], multiplicities: m }];
  assertRejects(ws.map(statementOf), prove(ws, true).proof, 'NonZeroSum');
});

test('rejects a wrong f(t), and swapped tuple columns', () => {
  const rng = new Rng(8);
  const [a, g] = sqLookup(rng, 32, 5);
  const m = computeMultiplicities(sqTable(5), [[a, g]]);
  const g2 = g.slice();
  g2[3] = (g2[3] + 1) % P;
  const wrongF = [{ table: sqTable(5), lookups: [[a, g2]], multiplicities: m }];
  assertRejects(wrongF.map(statementOf), prove(wrongF, true).proof, 'NonZeroSum');
  const swapped = [{ table: sqTable(5), lookups: [[g, a]], multiplicities: m }];
  assertRejects(swapped.map(statementOf), prove(swapped, true).proof, 'NonZeroSum');
});

test('rejects a wrong multiplicity', () => {
  const rng = new Rng(9);
  const w = witness(rangeTable(4), [[values(rng, 32, 16)]]);
  w.multiplicities[0] -= 1;
  w.multiplicities[1] += 1;
  assertRejects([statementOf(w)], prove([w], true).proof, 'NonZeroSum');
});

function honest() {
  const rng = new Rng(10);
  const ws = [witness(rangeTable(5), [[values(rng, 64, 32)]])];
  return { sts: ws.map(statementOf), proof: prove(ws).proof };
}

test('rejects a tampered GKR layer message (a0..b1) in any layer, and a tampered sumcheck round', () => {
  const { sts, proof } = honest();
  const layers = proof.instances[0].gkr.layers;
  for (let k = 0; k < layers.length; k++) {
    for (const word of [0, 5, 10, 15]) {
      const t = structuredClone(proof);
      const mk = t.instances[0].gkr.layers[k].masks;
      mk[word] = (mk[word] + 1) % P;
      assertRejects(sts, t, 'LayerCheckFailed');
    }
  }
  for (let k = 1; k < layers.length; k++) {
    const t = structuredClone(proof);
    const rd = t.instances[0].gkr.layers[k].sumcheck.rounds[k - 1];
    rd[4] = (rd[4] + 1) % P;
    assertRejects(sts, t, 'LayerSumcheckFailed');
  }
  // A tampered claimed evaluation fails the leaf check.
  const t = structuredClone(proof);
  t.instances[0].multiplicityEval[0] = (t.instances[0].multiplicityEval[0] + 1) % P;
  assertRejects(sts, t, 'LeafNumeratorMismatch');
  const t2 = structuredClone(proof);
  t2.instances[0].columnEvals[1] = (t2.instances[0].columnEvals[1] + 1) % P;
  assertRejects(sts, t2, 'LeafDenominatorMismatch');
});

test('rejects p_0 ≠ 0 and a crafted q_0 = 0', () => {
  const { sts, proof } = honest();
  const t = structuredClone(proof);
  t.instances[0].gkr.root[0] = (t.instances[0].gkr.root[0] + 1) % P;
  assertRejects(sts, t, 'NonZeroSum');
  // 0/0 + p/q: p_0 = 0·q + p·0 = 0 but q_0 = 0 — must not pass as a zero sum.
  const crafted = { root: new Uint32Array(16), layers: [] };
  crafted.root.set(ext(5), 4);
  crafted.root.set(ext(9), 12);
  const r = verifyGkr(new Transcript('x'), 1, crafted);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.kind, 'ZeroDenominator');
});

test('rejects a table swapped for another of the same shape', () => {
  const rng = new Rng(11);
  const ws = [witness(sqTable(4), [sqLookup(rng, 16, 4)])];
  const { proof } = prove(ws);
  const other = functionTable('square-mod-1009', new Uint32Array(16).map((_, i) => i), (t) => (t * t + 1) % 1009);
  assertRejects([{ ...statementOf(ws[0]), table: other }], proof);
  assertRejects([{ ...statementOf(ws[0]), table: rangeTable(4) }], proof);
  // Same transcript, other table: the leaf check (t~ at x*) alone catches it.
  const tr = new Transcript('test/lookup');
  tr.absorbBytes('witness-root', ROOT);
  const ch = drawLookupChallenges(tr, [statementOf(ws[0])]);
  const r = verifyLookups(tr, ch, [{ ...statementOf(ws[0]), table: other }], proof);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.kind, 'LeafDenominatorMismatch');
});

/** Solves Σ_j δ_j·c_j = target for δ ∈ F^4, c_j ∈ K seen as F^4 (Gaussian elimination). */
function solve4(cs: Ext[], target: Ext): number[] {
  const M = [0, 1, 2, 3].map((r) => [...cs.map((c) => c[r]), target[r]]);
  for (let col = 0; col < 4; col++) {
    const piv = M.findIndex((row, i) => i >= col && row[col] !== 0);
    [M[col], M[piv]] = [M[piv], M[col]];
    const iv = inv(M[col][col]);
    M[col] = M[col].map((x) => mul(x, iv));
    for (let r = 0; r < 4; r++) {
      if (r !== col && M[r][col] !== 0) {
        const f = M[r][col];
        M[r] = M[r].map((x, k) => sub(x, mul(f, M[col][k])));
      }
    }
  }
  return M.map((row) => row[4]);
}

test('Frozen Heart harness: α drawn before m is fixed admits a forgery; the real order rejects it', () => {
  const rng = new Rng(12);
  const table = rangeTable(4);
  const v = values(rng, 16, 16);
  v[7] = 1000; // outside [0, 16)
  const honestPart = v.slice();
  honestPart[7] = 0; // counts nothing for v[7]…
  const base = computeMultiplicities(table, [[honestPart]]);
  base[0] -= 1; // …so remove its count
  const st = [{ table, numLookups: 1, logLen: 4 }];
  // Broken order: only the column root is absorbed, α drawn, then m chosen to balance 1/(α − 1000).
  const broken = () => {
    const tr = new Transcript('test/lookup');
    tr.absorbBytes('column-root', ROOT);
    return tr;
  };
  const trP = broken();
  const ch = drawLookupChallenges(trP, st);
  const cs = [1, 2, 3, 4].map((t) => extInv(extSub(ch.alpha, ext(t))));
  const delta = solve4(cs, extInv(extSub(ch.alpha, ext(1000))));
  const m = base.slice();
  delta.forEach((d, j) => (m[j + 1] = (m[j + 1] + d) % P));
  const forged = [{ table, lookups: [[v]], multiplicities: m }];
  const { proof } = proveLookupsUnchecked(trP, ch, forged);
  const trV = broken();
  assert.ok(verifyLookups(trV, drawLookupChallenges(trV, st), st, proof).ok, 'the harness forgery verifies under the broken order');
  // Real order: m's root is absorbed before α, so the prover had to fix m without knowing α.
  const real = () => {
    const tr = new Transcript('test/lookup');
    tr.absorbBytes('column-root', ROOT);
    tr.absorbBytes('multiplicity-root', new Uint8Array(32).fill(m[1] & 0xff));
    return tr;
  };
  const trP2 = real();
  const { proof: p2 } = proveLookupsUnchecked(trP2, drawLookupChallenges(trP2, st), forged);
  const trV2 = real();
  const r = verifyLookups(trV2, drawLookupChallenges(trV2, st), st, p2);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.error.kind, 'NonZeroSum');
});
