/**
 * Zero-knowledge LogUp end to end: the columns and m committed as aligned segments of w beside the
 * pads, the padded proof, the verifier's system plus a link of every returned claim to its segment
 * — `checkConstraints(w, system)` is then the whole statement. Honest instances of every shape
 * hold; each forgery (a value outside its table, a wrong multiplicity, a changed padded value, other
 * statements, a changed committed entry) fails; the bytes round-trip and refuse hostile input; every
 * absorbed value moves the challenges; the padded values are uniform whatever the looked-up data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { P, sub } from '../../src/field/babybear.js';
import { extEquals } from '../../src/field/extension.js';
import { checkConstraints } from '../../src/pcs/constraints.js';
import { evaluateBase } from '../../src/poly/multilinear.js';
import {
  computeMultiplicities,
  drawLookupChallenges,
  functionTable,
  proveZkLookups,
  proveZkLookupsUnchecked,
  rangeTable,
  readZkLookupProof,
  splitLimbs,
  statementOf,
  verifyZkLookups,
  writeZkLookupProof,
  zkLookupLayout,
  type LookupStatement,
  type LookupTable,
  type LookupWitness,
  type ZkLookupProof,
} from '../../src/piop/lookup/index.js';
import { evalAffine, type WordSource } from '../../src/piop/zk-affine.js';
import { linkToSegment } from '../../src/piop/zk-final.js';
import { Transcript } from '../../src/transcript/transcript.js';
import { ByteReader, ByteWriter, DecodeError } from '../../src/util/bytes.js';
import { Rng } from '../support/random.js';
import { screenTwoSamples } from '../support/stats.js';
import { bump, seededWords } from '../support/zk.js';
import { commitLookups, type CommittedLookups } from '../support/zk-lookup.js';

const ROOT = new Uint8Array(32).fill(7); // stands in for the ZK-PCS root of w

function values(rng: Rng, n: number, bound: number): Uint32Array {
  const v = new Uint32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.int(bound);
  return v;
}

const square = (t: number) => (t * t) % 1009;
function sqTable(bits: number): LookupTable {
  return functionTable('square-mod-1009', new Uint32Array(2 ** bits).map((_, i) => i), square);
}

function sqLookup(rng: Rng, n: number, bits: number): Uint32Array[] {
  const a = values(rng, n, 2 ** bits);
  return [a, a.map(square)];
}

/** A 3-wide table (t, t² mod 1009, t³ mod 1009) over 8 rows: tuples folded with 1, β, β². */
const cubeTable: LookupTable = (() => {
  const t = new Uint32Array(8).map((_, i) => 3 * i + 1);
  return { kind: 'function', name: 'square-cube', columns: [t, t.map(square), t.map((x) => (x * x * x) % 1009)] };
})();

function cubeLookup(rng: Rng, n: number): Uint32Array[] {
  const rows = values(rng, n, 8);
  return cubeTable.kind === 'function' ? cubeTable.columns.map((c) => rows.map((r) => c[r])) : [];
}

function witness(table: LookupTable, lookups: Uint32Array[][]): LookupWitness {
  return { table, lookups, multiplicities: computeMultiplicities(table, lookups) };
}

type Committed = CommittedLookups;
const commit = (ws: LookupWitness[], words?: WordSource): Committed => commitLookups(ws, undefined, words);

function transcript(): Transcript {
  const tr = new Transcript('test/zk-lookup');
  tr.absorbBytes('witness-root', ROOT);
  return tr;
}

function prove(ws: LookupWitness[], c: Committed, unchecked = false) {
  const tr = transcript();
  const ch = drawLookupChallenges(tr, ws.map(statementOf));
  return (unchecked ? proveZkLookupsUnchecked : proveZkLookups)(tr, ch, ws, c.w, c.at);
}

/** The verifier with every claim linked to its segment; returns the first failure, or null. */
function check(sts: LookupStatement[], proof: ZkLookupProof, c: Committed, w = c.w, tr = transcript()): string | null {
  const ch = drawLookupChallenges(tr, sts);
  const v = verifyZkLookups(tr, ch, sts, proof, c.at);
  if (!v.ok) return v.error.kind;
  v.claims.forEach((cl, k) => {
    cl.columns.forEach((row, j) => row.forEach((x, i) => v.system.tensor.push(linkToSegment(x.value, c.seg.columns[k][j][i], x.point))));
    v.system.tensor.push(linkToSegment(cl.multiplicities.value, c.seg.m[k], cl.multiplicities.point));
  });
  return checkConstraints(w, v.system);
}

/** Range lookups (one column; two), batched 2-wide function lookups (3 tuples: a padding slot), 3-wide tuples, limbs, b > ℓ and b < ℓ, a single lookup. */
function instances(rng: Rng): LookupWitness[] {
  const wide = values(rng, 32, 2 ** 20);
  return [
    witness(rangeTable(6), [[values(rng, 16, 64)]]),
    witness(rangeTable(3), [[values(rng, 64, 8)], [values(rng, 64, 8)]]),
    witness(sqTable(4), [sqLookup(rng, 8, 4), sqLookup(rng, 8, 4), sqLookup(rng, 8, 4)]),
    witness(cubeTable, [cubeLookup(rng, 32), cubeLookup(rng, 32)]),
    ...splitLimbs(wide, 20).groups.map((g) => witness(g.table, g.lookups)),
    witness(rangeTable(0), [[new Uint32Array(1)]]),
  ];
}

test('honest padded lookups: the system plus the links holds on w, and the claims are the committed vectors’ MLEs', () => {
  const rng = new Rng(1);
  const all = instances(rng);
  for (const ws of [...all.map((x) => [x]), all]) {
    const c = commit(ws);
    const { proof, claims } = prove(ws, c);
    assert.equal(check(ws.map(statementOf), proof, c), null, ws.map((x) => x.table.name).join(', '));
    const tr = transcript();
    const v = verifyZkLookups(tr, drawLookupChallenges(tr, ws.map(statementOf)), ws.map(statementOf), proof, c.at);
    assert.ok(v.ok);
    if (!v.ok) continue;
    ws.forEach((x, k) => {
      x.lookups.forEach((cols, j) =>
        cols.forEach((col, i) => {
          const [hid, clear] = [v.claims[k].columns[j][i], claims[k].columns[j][i]];
          assert.deepEqual(hid.point, clear.point);
          assert.ok(extEquals(evalAffine(hid.value, c.w), clear.value));
          assert.ok(extEquals(clear.value, evaluateBase(col, clear.point)));
        }),
      );
      assert.deepEqual(v.claims[k].multiplicities.point, claims[k].multiplicities.point);
      assert.ok(extEquals(evalAffine(v.claims[k].multiplicities.value, c.w), evaluateBase(x.multiplicities, claims[k].multiplicities.point)));
    });
  }
});

test('the layout is a function of the statements alone: N = n + 1 GKR variables, one pad per column evaluation and one for m~', () => {
  const rng = new Rng(2);
  const ws = instances(rng);
  const sts = ws.map(statementOf);
  const layout = zkLookupLayout(sts);
  const other = instances(new Rng(3));
  assert.deepEqual(zkLookupLayout(other.map(statementOf)), layout);
  assert.equal(layout.instances[2].numColumnEvals, 6);
  assert.equal(layout.instances[2].gkr.numVars, 6); // ℓ = 3, c' = 2, b = 4: n = 5, N = n + 1
  assert.equal(layout.instances[3].numColumnEvals, 6); // 2 tuples of 3 columns
  assert.equal(layout.instances[3].gkr.numVars, 7); // ℓ = 5, c' = 1, b = 3: n = 6
  assert.equal(layout.instances[0].size, layout.instances[0].gkr.size + 4 + 4);
  assert.equal(layout.size, layout.instances.reduce((s, l) => s + l.size, 0));
  assert.throws(() => zkLookupLayout([{ table: rangeTable(4), numLookups: 0, logLen: 2 }]), /numLookups/);
});

// ---- soundness: one forged thing each ----------------------------------------------------------

test('rejects a value outside the range with honest-looking multiplicities (unchecked prover)', () => {
  const rng = new Rng(4);
  const v = values(rng, 64, 64);
  v[10] = 64; // outside [0, 64)
  const ws = [{ table: rangeTable(6), lookups: [[v]], multiplicities: computeMultiplicities(rangeTable(6), [[v.map((x) => x % 64)]]) }];
  assert.throws(() => prove(ws, commit(ws)), /not in the table/);
  const c = commit(ws);
  assert.notEqual(check(ws.map(statementOf), prove(ws, c, true).proof, c), null);
});

test('rejects a wrong f(t) in a 2-column function table, and a wrong multiplicity', () => {
  const rng = new Rng(5);
  const [a, g] = sqLookup(rng, 16, 4);
  const m = computeMultiplicities(sqTable(4), [[a, g]]);
  const g2 = g.slice();
  g2[3] = (g2[3] + 1) % P;
  const wrongF = [{ table: sqTable(4), lookups: [[a, g2]], multiplicities: m }];
  const c1 = commit(wrongF);
  assert.notEqual(check(wrongF.map(statementOf), prove(wrongF, c1, true).proof, c1), null, 'f(t) + 1');
  const x = witness(rangeTable(4), [[values(rng, 32, 16)]]);
  x.multiplicities[0] -= 1;
  x.multiplicities[1] += 1;
  assert.throws(() => prove([x], commit([x])), /multiplicities/);
  const c2 = commit([x]);
  assert.notEqual(check([statementOf(x)], prove([x], c2, true).proof, c2), null, 'm_0 − 1, m_1 + 1');
});

test('the leaf discharge is what ties the GKR to the columns: a GKR over other leaves passes without it and fails with it', () => {
  const rng = new Rng(11);
  const bad = values(rng, 16, 16);
  bad[4] = 99; // outside [0, 16)
  const good = bad.map((x) => x % 16);
  const ws = [witness(rangeTable(4), [[good]])];
  const st = statementOf(ws[0]);
  const forgedW = commit([{ table: rangeTable(4), lookups: [[bad]], multiplicities: ws[0].multiplicities }]);
  const honestW = { ...forgedW, w: forgedW.w.slice() };
  honestW.w.set(good, forgedW.seg.columns[0][0][0]);
  // the GKR (and x*) of the good column, then the bad column's evaluation at x*, padded as sent
  const { proof, claims } = prove(ws, honestW);
  const x = claims[0].columns[0][0].point;
  const ia = forgedW.at.instances[0];
  const forged = cloneProof(proof);
  const e = evaluateBase(bad, x);
  for (let i = 0; i < 4; i++) forged.instances[0].columnEvals[i] = (e[i] + forgedW.w[ia.columnPads + i]) % P;
  assert.notEqual(check([st], forged, forgedW), null, 'with the leaf discharge');
  const tr = transcript();
  const v = verifyZkLookups(tr, drawLookupChallenges(tr, [st]), [st], forged, forgedW.at);
  assert.ok(v.ok);
  if (!v.ok) return;
  v.system.linear.splice(-2); // drop P's and Q's leaf constraints (the last two)
  v.system.tensor.push(linkToSegment(v.claims[0].columns[0][0].value, forgedW.seg.columns[0][0][0], x), linkToSegment(v.claims[0].multiplicities.value, forgedW.seg.m[0], v.claims[0].multiplicities.point));
  assert.equal(checkConstraints(forgedW.w, v.system), null, 'without it the forgery passes');
});

function cloneProof(p: ZkLookupProof): ZkLookupProof {
  return structuredClone(p);
}

test('rejects every changed padded value: column and m evaluations, root values and intermediate, layer rounds and masks', () => {
  const rng = new Rng(6);
  const ws = [witness(sqTable(3), [sqLookup(rng, 8, 3), sqLookup(rng, 8, 3)])];
  const sts = ws.map(statementOf);
  const c = commit(ws);
  const { proof } = prove(ws, c);
  assert.equal(check(sts, proof, c), null);
  const edits: [string, (p: ZkLookupProof) => void][] = [];
  for (let i = 0; i < proof.instances[0].columnEvals.length; i += 3) edits.push([`column eval word ${i}`, (p) => (p.instances[0].columnEvals[i] = bump(p.instances[0].columnEvals[i]))]);
  for (let i = 0; i < 4; i++) edits.push([`m eval word ${i}`, (p) => (p.instances[0].multiplicityEval[i] = bump(p.instances[0].multiplicityEval[i]))]);
  for (let i = 0; i < 20; i += 5) edits.push([`root word ${i}`, (p) => (p.instances[0].gkr.root.evals[i] = bump(p.instances[0].gkr.root.evals[i]))]);
  edits.push(['root intermediate', (p) => (p.instances[0].gkr.root.chain[1] = bump(p.instances[0].gkr.root.chain[1]))]);
  proof.instances[0].gkr.layers.forEach((l, k) => {
    edits.push([`layer ${k + 1} round 0`, (p) => (p.instances[0].gkr.layers[k].sumcheck.rounds[0][5] = bump(l.sumcheck.rounds[0][5]))]);
    edits.push([`layer ${k + 1} mask`, (p) => (p.instances[0].gkr.layers[k].masks.evals[9] = bump(l.masks.evals[9]))]);
  });
  for (const [what, edit] of edits) {
    const t = cloneProof(proof);
    edit(t);
    assert.notEqual(check(sts, t, c), null, what);
  }
});

test('rejects a proof for other statements, a changed committed entry and pads chosen for another proof', () => {
  const rng = new Rng(7);
  const ws = [witness(sqTable(4), [sqLookup(rng, 16, 4)])];
  const st = statementOf(ws[0]);
  const c = commit(ws);
  const { proof } = prove(ws, c);
  assert.equal(check([st], proof, c), null);
  const other = functionTable('square-mod-1009', new Uint32Array(16).map((_, i) => i), (t) => (t * t + 1) % 1009);
  assert.notEqual(check([{ ...st, table: other }], proof, c), null, 'another function table of the same shape');
  assert.notEqual(check([{ ...st, table: rangeTable(4) }], proof, c), null, 'a range table');
  assert.equal(check([{ ...st, numLookups: 2 }], proof, c), 'BadShape', 'a layout of other statements');
  assert.equal(check([st, st], proof, c), 'MalformedProof');
  // the same transcript and other t: only the leaf discharge (t~ at x*) can catch it
  const tr = transcript();
  const ch = drawLookupChallenges(tr, [st]);
  const v = verifyZkLookups(tr, ch, [{ ...st, table: other }], proof, c.at);
  assert.ok(v.ok);
  if (v.ok) assert.notEqual(checkConstraints(c.w, v.system), null);
  for (const i of [c.seg.columns[0][0][0] + 3, c.seg.columns[0][0][1] + 15, c.seg.m[0] + 2, c.at.instances[0].columnPads, c.at.instances[0].multiplicityPad + 1]) {
    const u = c.w.slice();
    u[i] = bump(u[i]);
    assert.notEqual(check([st], proof, c, u), null, `w[${i}]`);
  }
  const fresh = commit(ws, seededWords(new Rng(1234)));
  assert.notEqual(check([st], proof, fresh, fresh.w), null, 'the proof against another draw of the pads');
});

test('never throws on malformed proofs: wrong lengths, non-canonical words, missing parts', () => {
  const rng = new Rng(8);
  const ws = [witness(rangeTable(4), [[values(rng, 8, 16)]])];
  const sts = ws.map(statementOf);
  const c = commit(ws);
  const { proof } = prove(ws, c);
  const bad: [string, ZkLookupProof, string][] = [];
  const t1 = cloneProof(proof);
  t1.instances[0].columnEvals = t1.instances[0].columnEvals.subarray(0, 4 * 0);
  bad.push(['no column evaluations', t1, 'MalformedProof']);
  const t2 = cloneProof(proof);
  t2.instances[0].columnEvals[0] = P;
  bad.push(['non-canonical column evaluation', t2, 'NonCanonical']);
  const t3 = cloneProof(proof);
  t3.instances[0].multiplicityEval[2] = P + 1;
  bad.push(['non-canonical m~', t3, 'MalformedProof']);
  const t4 = cloneProof(proof);
  t4.instances[0].gkr.layers.pop();
  bad.push(['a layer missing', t4, 'WrongLayerCount']);
  bad.push(['no instances', { instances: [] }, 'MalformedProof']);
  for (const [what, p, kind] of bad) assert.equal(check(sts, p, c), kind, what);
  assert.equal(check(sts, null as unknown as ZkLookupProof, c), 'MalformedProof');
});

// ---- bytes ---------------------------------------------------------------------------------------

test('byte encoding round-trips; truncated, trailing, non-canonical and miscounted bytes are a DecodeError', () => {
  const rng = new Rng(9);
  const ws = [witness(rangeTable(5), [[values(rng, 32, 32)]]), witness(sqTable(3), [sqLookup(rng, 4, 3), sqLookup(rng, 4, 3)])];
  const sts = ws.map(statementOf);
  const layout = zkLookupLayout(sts);
  const c = commit(ws);
  const { proof } = prove(ws, c);
  const out = new ByteWriter();
  writeZkLookupProof(out, proof);
  const bytes = out.finish();
  const r = new ByteReader(bytes);
  const back = readZkLookupProof(r, sts, layout);
  r.end();
  assert.deepEqual(back, proof);
  assert.equal(check(sts, back, c), null);
  const read = (b: Uint8Array) => {
    const rd = new ByteReader(b);
    readZkLookupProof(rd, sts, layout);
    rd.end();
  };
  assert.throws(() => read(bytes.subarray(0, bytes.length - 1)), DecodeError, 'truncated');
  assert.throws(() => read(Uint8Array.from([...bytes, 0])), DecodeError, 'trailing');
  for (const pos of [0, 4, 12, bytes.length - 4]) {
    const b = bytes.slice();
    new DataView(b.buffer).setUint32(pos, pos === 0 ? 3 : pos === 4 ? 99 : P, true);
    assert.throws(() => read(b), DecodeError, `word at ${pos}`);
  }
  assert.throws(() => readZkLookupProof(new ByteReader(bytes), sts.slice(0, 1), layout), RangeError, 'a layout of other statements');
});

// ---- Fiat–Shamir -------------------------------------------------------------------------------

/** Every word of the proof, as (get, set) on a clone. */
function proofWords(p: ZkLookupProof): Uint32Array[] {
  const out: Uint32Array[] = [];
  for (const ip of p.instances) {
    out.push(ip.gkr.root.evals, ip.gkr.root.chain);
    for (const l of ip.gkr.layers) out.push(...l.sumcheck.rounds, l.masks.evals, l.masks.chain);
    out.push(ip.columnEvals, ip.multiplicityEval);
  }
  return out;
}

test('Fiat–Shamir: the verifier absorbs every padded word, in the prover’s order, and each one moves the next challenge', () => {
  const rng = new Rng(10);
  const ws = [witness(rangeTable(3), [[values(rng, 4, 8)], [values(rng, 4, 8)], [values(rng, 4, 8)]])];
  const sts = ws.map(statementOf);
  const c = commit(ws);
  const trP = new Transcript('test/zk-lookup', { record: true });
  trP.absorbBytes('witness-root', ROOT);
  const { proof } = proveZkLookups(trP, drawLookupChallenges(trP, sts), ws, c.w, c.at);
  const trV = new Transcript('test/zk-lookup', { record: true });
  trV.absorbBytes('witness-root', ROOT);
  assert.ok(verifyZkLookups(trV, drawLookupChallenges(trV, sts), sts, proof, c.at).ok);
  assert.deepEqual(trV.log, trP.log, 'same absorbs and draws, same labels, same order');
  const absorbed = trV.log!.filter((e) => e.op === 'absorb' && e.kind === 'ext').reduce((s, e) => s + e.count, 0);
  const words = proofWords(proof).reduce((s, a) => s + a.length, 0);
  assert.equal(4 * absorbed, words, 'every padded word is absorbed, nothing else as ext');
  const after = (p: ZkLookupProof): Uint32Array | null => {
    const tr = transcript();
    const v = verifyZkLookups(tr, drawLookupChallenges(tr, sts), sts, p, c.at);
    return v.ok ? tr.challengeExt('next') : null;
  };
  const base = after(proof)!;
  const arrays = proofWords(proof).length;
  for (let a = 0; a < arrays; a++) {
    for (let i = 0; i < proofWords(proof)[a].length; i += 3) {
      const t = cloneProof(proof);
      const arr = proofWords(t)[a];
      arr[i] = bump(arr[i]);
      const got = after(t);
      assert.ok(got !== null && !extEquals(got, base), `array ${a}, word ${i}`);
    }
  }
});

// ---- zero knowledge ------------------------------------------------------------------------------

/** Two witnesses of one statement (range table, 2 tuples of 8): different values and multiplicities; B's first column is constant. */
function twins(): [LookupWitness[], LookupWitness[]] {
  const rng = new Rng(77);
  const a = [witness(rangeTable(3), [[values(rng, 8, 8)], [values(rng, 8, 8)]])];
  const b = [witness(rangeTable(3), [[new Uint32Array(8).fill(5)], [values(rng, 8, 2)]])];
  assert.deepEqual(a.map(statementOf), b.map(statementOf));
  assert.notDeepEqual(a[0].multiplicities, b[0].multiplicities);
  return [a, b];
}

type Padding = 'uniform' | 'none' | 'evals-none' | 'short';

/**
 * w with its pads uniform; all zero; uniform except the column and m~ pads of this module, zero
 * (B's constant column then shows through); or all short (2²⁰-range). Only the sent values matter
 * here, so the product slots are left as they are.
 */
function committedAs(ws: LookupWitness[], padding: Padding, seed: number): Committed {
  const c = commit(ws, seededWords(new Rng(seed)));
  const ia = c.at.instances[0];
  const pads = c.w.length - c.at.layout.size;
  if (padding === 'none') c.w.fill(0, pads);
  if (padding === 'evals-none') c.w.fill(0, ia.columnPads, ia.multiplicityPad + 4);
  if (padding === 'short') for (let i = pads; i < c.w.length; i++) c.w[i] &= (1 << 20) - 1;
  return c;
}

/** Features: words 0 and 3 of every column evaluation and of m~, root words, a difference within round 0 of the last layer. */
function features(p: ZkLookupProof): number[] {
  const ip = p.instances[0];
  const f: number[] = [];
  for (let i = 0; i < ip.columnEvals.length; i += 4) f.push(ip.columnEvals[i], ip.columnEvals[i + 3]);
  f.push(ip.multiplicityEval[0], ip.multiplicityEval[3]);
  for (let i = 0; i < ip.gkr.root.evals.length; i += 4) f.push(ip.gkr.root.evals[i]);
  const last = ip.gkr.layers[ip.gkr.layers.length - 1];
  f.push(sub(last.sumcheck.rounds[0][0], last.sumcheck.rounds[0][4]), last.masks.evals[8]);
  return f;
}

const RUNS = 400;

/** The smallest p-value over all features and tests, and the Bonferroni level it is compared with. */
function screen(padding: Padding): { minP: number; level: number; where: string } {
  const [a, b] = twins();
  const fa: number[][] = [], fb: number[][] = [];
  for (let i = 0; i < RUNS; i++) {
    fa.push(features(prove(a, committedAs(a, padding, 10_000 + i)).proof));
    fb.push(features(prove(b, committedAs(b, padding, 20_000 + i)).proof));
  }
  return screenTwoSamples(fa, fb);
}

test(`with uniform pads the padded values of two witnesses of one statement are uniform and indistinguishable (${RUNS} runs each, family-wise α = 10⁻³)`, () => {
  const r = screen('uniform');
  assert.ok(r.minP >= r.level, `min p = ${r.minP} < ${r.level} (${r.where})`);
});

for (const padding of ['none', 'evals-none', 'short'] as const) {
  test(`the same decision rule flags broken padding: ${padding}`, () => {
    const r = screen(padding);
    assert.ok(r.minP < r.level, `min p = ${r.minP} ≥ ${r.level}: ${padding} padding went unnoticed`);
  });
}
