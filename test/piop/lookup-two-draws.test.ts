/**
 * LogUp instances checked at two draws (`fingerprints: 2`, `piop/lookup/logup.ts`), clear and
 * zero-knowledge: honest proofs verify and both GKRs' claims hold on the committed vectors; a
 * forgery balanced at the first draw's α (the Frozen Heart harness: m chosen after the draw) passes
 * the first GKR and is caught by the second alone; a changed message of either repetition is
 * rejected; without the flag nothing is drawn twice; the bytes round-trip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { P, inv, mul, sub } from '../../src/field/babybear.js';
import { type Ext, ext, extEquals, extInv, extSub } from '../../src/field/extension.js';
import { checkConstraints } from '../../src/pcs/constraints.js';
import { evaluateBase } from '../../src/poly/multilinear.js';
import {
  computeMultiplicities,
  drawLookupChallenges,
  functionTable,
  lookupRuns,
  proveLookups,
  proveLookupsUnchecked,
  proveZkLookups,
  proveZkLookupsUnchecked,
  rangeTable,
  readLookupProof,
  readZkLookupProof,
  statementOf,
  verifyLookups,
  verifyZkLookups,
  writeLookupProof,
  writeZkLookupProof,
  zkLookupLayout,
  type LookupClaims,
  type LookupProof,
  type LookupStatement,
  type LookupWitness,
  type ZkLookupProof,
} from '../../src/piop/lookup/index.js';
import { linkToSegment } from '../../src/piop/zk-final.js';
import { Transcript } from '../../src/transcript/transcript.js';
import { ByteReader, ByteWriter } from '../../src/util/bytes.js';
import { Rng } from '../support/random.js';
import { bump } from '../support/zk.js';
import { commitLookups, type CommittedLookups } from '../support/zk-lookup.js';

const ROOT = new Uint8Array(32).fill(7); // stands in for the commitment of the columns and m

function values(rng: Rng, n: number, bound: number): Uint32Array {
  const v = new Uint32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.int(bound);
  return v;
}

function witness(table: LookupWitness['table'], lookups: Uint32Array[][]): LookupWitness {
  return { table, lookups, multiplicities: computeMultiplicities(table, lookups) };
}

const square = (t: number) => (t * t) % 1009;
const sqTable = functionTable('square-mod-1009', new Uint32Array(16).map((_, i) => i), square);

/** A range instance and a 2-wide function instance, the second checked at two draws, and a third range instance, also at two. */
function instances(rng: Rng): { ws: LookupWitness[]; sts: LookupStatement[] } {
  const a = values(rng, 32, 16);
  const ws = [witness(rangeTable(5), [[values(rng, 64, 32)]]), witness(sqTable, [[a, a.map(square)], [a.slice().reverse(), a.slice().reverse().map(square)]]), witness(rangeTable(3), [[values(rng, 16, 8)]])];
  return { ws, sts: [statementOf(ws[0]), { ...statementOf(ws[1]), fingerprints: 2 }, { ...statementOf(ws[2]), fingerprints: 2 }] };
}

function transcript(root = ROOT): Transcript {
  const tr = new Transcript('test/lookup-two-draws', { record: true });
  tr.absorbBytes('witness-root', root);
  return tr;
}

function verify(sts: LookupStatement[], proof: LookupProof) {
  const tr = transcript();
  return verifyLookups(tr, drawLookupChallenges(tr, sts), sts, proof);
}

/** Every claim (both draws') holds on the vectors. */
function checkClaims(ws: LookupWitness[], claims: LookupClaims[]): number {
  let sets = 0;
  ws.forEach((w, k) => {
    for (let cl: LookupClaims | undefined = claims[k]; cl; cl = cl.second, sets++) {
      w.lookups.forEach((cols, j) => cols.forEach((c, i) => assert.ok(extEquals(evaluateBase(c, cl!.columns[j][i].point), cl!.columns[j][i].value), `column claim ${k}/${j}/${i}`)));
      assert.ok(extEquals(evaluateBase(w.multiplicities, cl.multiplicities.point), cl.multiplicities.value), `m claim ${k}`);
    }
  });
  return sets;
}

test('two draws: honest proofs verify, both GKRs’ claims hold, the second draw is drawn with the first and only when flagged', () => {
  const { ws, sts } = instances(new Rng(1));
  const tr = transcript();
  const ch = drawLookupChallenges(tr, sts);
  const squeezes = tr.log!.filter((e) => e.op === 'squeeze').map((e) => e.label);
  assert.deepEqual(squeezes, ['logup/alpha', 'logup/beta', 'logup/alpha-2', 'logup/beta-2'], 'α₂, β₂ right after α, β: one round');
  assert.deepEqual(ch.second?.instances, [1, 2]);
  const { proof, claims } = proveLookups(tr, ch, ws);
  assert.equal(proof.instances.length, 5);
  assert.deepEqual(lookupRuns(sts), [{ k: 0, second: false }, { k: 1, second: false }, { k: 2, second: false }, { k: 1, second: true }, { k: 2, second: true }]);
  const r = verify(sts, proof);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  if (r.ok) assert.deepEqual(r.claims, claims);
  assert.equal(checkClaims(ws, claims), 5);
  // the second GKR runs at other points
  assert.ok(!extEquals(claims[1].multiplicities.point.slice(0, 4), claims[1].second!.multiplicities.point.slice(0, 4)));
  // without the flag: one draw, no second GKR
  const plain = ws.map(statementOf);
  const tr1 = transcript();
  const ch1 = drawLookupChallenges(tr1, plain);
  assert.equal(ch1.second, undefined);
  assert.ok(!tr1.log!.some((e) => /-2$|fingerprints/.test(e.label)));
  assert.equal(proveLookups(tr1, ch1, ws).proof.instances.length, 3);
  // a proof with one draw is not one with two, and the other way round
  assert.equal(verify(sts, proveLookups(transcript(), drawLookupChallenges(transcript(), plain), ws).proof).ok, false);
  const tr2 = transcript();
  assert.equal(verifyLookups(tr2, drawLookupChallenges(tr2, plain), plain, proof).ok, false);
});

test('two draws: the bytes round-trip, with the second GKRs after the first', () => {
  const { ws, sts } = instances(new Rng(2));
  const tr = transcript();
  const { proof } = proveLookups(tr, drawLookupChallenges(tr, sts), ws);
  const w = new ByteWriter();
  writeLookupProof(w, proof);
  const bytes = w.finish();
  const back = readLookupProof(new ByteReader(bytes), sts);
  assert.ok(verify(sts, back).ok);
  assert.throws(() => readLookupProof(new ByteReader(bytes), ws.map(statementOf)), /instance count/);
});

test('two draws: a changed message of either repetition is rejected', () => {
  const { ws, sts } = instances(new Rng(3));
  const tr = transcript();
  const { proof } = proveLookups(tr, drawLookupChallenges(tr, sts), ws);
  for (const i of [1, 3]) {
    const what = i === 1 ? 'first' : 'second';
    const edits: [string, (p: LookupProof) => void, string][] = [
      ['root', (p) => (p.instances[i].gkr.root[0] = bump(p.instances[i].gkr.root[0])), 'NonZeroSum'],
      ['layer mask', (p) => (p.instances[i].gkr.layers[2].masks[5] = bump(p.instances[i].gkr.layers[2].masks[5])), 'LayerCheckFailed'],
      ['layer round', (p) => (p.instances[i].gkr.layers[3].sumcheck.rounds[1][4] = bump(p.instances[i].gkr.layers[3].sumcheck.rounds[1][4])), 'LayerSumcheckFailed'],
      ['column evaluation', (p) => (p.instances[i].columnEvals[5] = bump(p.instances[i].columnEvals[5])), 'LeafDenominatorMismatch'],
      ['multiplicity evaluation', (p) => (p.instances[i].multiplicityEval[0] = bump(p.instances[i].multiplicityEval[0])), 'LeafNumeratorMismatch'],
    ];
    for (const [name, edit, kind] of edits) {
      const t = structuredClone(proof);
      edit(t);
      const r = verify(sts, t);
      assert.equal(r.ok ? '' : r.error.kind, kind, `${what} repetition: ${name}`);
      if (!r.ok) assert.equal(/second fingerprint/.test(r.error.message), i === 3, r.error.message);
    }
  }
});

/** Solves Σ_j δ_j·c_j = target over F_p for δ ∈ F_p^n, the c_j and target in K^r seen as F_p^{4r} (n = 4r; Gaussian elimination). */
function solve(cs: Ext[][], target: Ext[]): number[] {
  const n = cs.length;
  const M = Array.from({ length: n }, (_, row) => [...cs.map((c) => c[row >> 2][row & 3]), target[row >> 2][row & 3]]);
  for (let col = 0; col < n; col++) {
    const piv = M.findIndex((row, i) => i >= col && row[col] !== 0);
    [M[col], M[piv]] = [M[piv], M[col]];
    const iv = inv(M[col][col]);
    M[col] = M[col].map((x) => mul(x, iv));
    for (let r = 0; r < n; r++) {
      if (r !== col && M[r][col] !== 0) {
        const f = M[r][col];
        M[r] = M[r].map((x, k) => sub(x, mul(f, M[col][k])));
      }
    }
  }
  return M.map((row) => row[n]);
}

test('two draws: a forgery balanced at the first draw passes its GKR and the second draw alone rejects it; balanced at both it passes (m chosen after the draws: the harness)', () => {
  const rng = new Rng(4);
  const table = rangeTable(4);
  const v = values(rng, 16, 16);
  v[7] = 1000; // outside [0, 16)
  const honestPart = v.slice();
  honestPart[7] = 0;
  const base = computeMultiplicities(table, [[honestPart]]);
  base[0] -= 1; // v[7] is counted nowhere
  const sts: LookupStatement[] = [{ table, numLookups: 1, logLen: 4, fingerprints: 2 }];
  // the harness prover sees the draws before fixing m (no commitment binds m here)
  const forge = (alphas: Ext[]) => {
    const rows = Array.from({ length: 4 * alphas.length }, (_, j) => j + 1);
    const delta = solve(
      rows.map((t) => alphas.map((a) => extInv(extSub(a, ext(t))))),
      alphas.map((a) => extInv(extSub(a, ext(1000)))),
    );
    const m = base.slice();
    delta.forEach((d, j) => (m[rows[j]] = (m[rows[j]] + d) % P));
    const tr = transcript();
    const ch = drawLookupChallenges(tr, sts);
    return proveLookupsUnchecked(tr, ch, [{ table, lookups: [[v]], multiplicities: m }]).proof;
  };
  const ch = drawLookupChallenges(transcript(), sts);
  const first = verify(sts, forge([ch.alpha]));
  assert.equal(first.ok ? '' : first.error.kind, 'NonZeroSum');
  assert.match(first.ok ? '' : first.error.message, /instance 0 \(second fingerprint\)/, 'the first GKR and leaf checks passed');
  assert.ok(verify(sts, forge([ch.alpha, ch.second!.alpha])).ok, 'balanced at both α: the harness forgery verifies');
});

/** w = the columns and m as aligned segments, then the pads of every GKR (both draws'). */
const commit = (ws: LookupWitness[], sts: LookupStatement[]): CommittedLookups => commitLookups(ws, sts);

/** The zk verifier with every claim of both draws linked to its segment: the first failure, or null. */
function checkZk(sts: LookupStatement[], proof: ZkLookupProof, c: ReturnType<typeof commit>): string | null {
  const tr = transcript();
  const v = verifyZkLookups(tr, drawLookupChallenges(tr, sts), sts, proof, c.at);
  if (!v.ok) return v.error.kind;
  v.claims.forEach((first, k) => {
    for (let cl: typeof first | undefined = first; cl; cl = cl.second) {
      cl.columns.forEach((row, j) => row.forEach((x, i) => v.system.tensor.push(linkToSegment(x.value, c.seg.columns[k][j][i], x.point))));
      v.system.tensor.push(linkToSegment(cl.multiplicities.value, c.seg.m[k], cl.multiplicities.point));
    }
  });
  return checkConstraints(c.w, v.system);
}

test('two draws, zero knowledge: pads for both GKRs; honest proofs hold, a changed padded value of either repetition and a wrong multiplicity fail', () => {
  const { ws, sts } = instances(new Rng(5));
  const c = commit(ws, sts);
  assert.equal(c.at.instances.length, 5);
  assert.equal(zkLookupLayout(ws.map(statementOf)).instances.length, 3, 'no pads for a second draw without the flag');
  const tr = transcript();
  const { proof } = proveZkLookups(tr, drawLookupChallenges(tr, sts), ws, c.w, c.at);
  assert.equal(checkZk(sts, proof, c), null);
  const w = new ByteWriter();
  writeZkLookupProof(w, proof);
  assert.equal(checkZk(sts, readZkLookupProof(new ByteReader(w.finish()), sts, c.at.layout), c), null, 'the bytes round-trip');
  for (const i of [1, 4]) {
    const edits: [string, (p: ZkLookupProof) => void][] = [
      ['column evaluation', (p) => (p.instances[i].columnEvals[2] = bump(p.instances[i].columnEvals[2]))],
      ['multiplicity evaluation', (p) => (p.instances[i].multiplicityEval[1] = bump(p.instances[i].multiplicityEval[1]))],
      ['root value', (p) => (p.instances[i].gkr.root.evals[3] = bump(p.instances[i].gkr.root.evals[3]))],
      ['layer mask', (p) => (p.instances[i].gkr.layers[1].masks.evals[9] = bump(p.instances[i].gkr.layers[1].masks.evals[9]))],
    ];
    for (const [name, edit] of edits) {
      const t = structuredClone(proof);
      edit(t);
      assert.notEqual(checkZk(sts, t, c), null, `${i === 1 ? 'first' : 'second'} repetition: ${name}`);
    }
  }
  // a multiplicity moved from one row to another: both draws' constraints bind m
  const x = ws.map((wi) => ({ ...wi, multiplicities: wi.multiplicities.slice() }));
  x[2].multiplicities[0] -= 1;
  x[2].multiplicities[1] += 1;
  const cx = commit(x, sts);
  const trx = transcript();
  const chx = drawLookupChallenges(trx, sts);
  assert.throws(() => proveZkLookups(trx, chx, x, cx.w, cx.at), /multiplicities/);
  const try2 = transcript();
  assert.notEqual(checkZk(sts, proveZkLookupsUnchecked(try2, drawLookupChallenges(try2, sts), x, cx.w, cx.at).proof, cx), null, 'm_0 − 1, m_1 + 1');
});
