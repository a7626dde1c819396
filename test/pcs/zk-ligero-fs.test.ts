/**
 * Fiat–Shamir order of zero-knowledge Ligero (PROTOCOL-NOTES §6, Frozen Heart).
 *
 * 1. If the column indices J were drawn before Q_lin is absorbed, a prover who knows J adds
 *    δ = λ·Π_{j∈J}(X − x_j) to Q_lin: δ vanishes at every queried position (the column checks
 *    are untouched) and shifts Σ_H Q_lin by λ·Σ_H Π(X − x_j), which pays for a false rhs. The
 *    harness's flawed transcript (which skips the test polynomials' absorbs) accepts that forgery;
 *    the real one rejects it.
 * 2. Without the scale β in the weights ω = β·eq(τ), a constraint system whose weights sum to a
 *    constant (one constraint: ω_0 = eq() = 1) lets a committed linear mask with Σ_H a = δ pay
 *    for a false rhs: a harness forcing β = 1 accepts it, the real transcript rejects it.
 * 3. The golden label sequence, and every absorb of the proof dropped in turn on the verifier side.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add, inv, mul, sub } from '../../src/field/babybear.js';
import { type Ext, ext, extAdd, extMul, extMulBase, extSub } from '../../src/field/extension.js';
import { Transcript } from '../../src/transcript/transcript.js';
import type { ConstraintSystem } from '../../src/pcs/constraints.js';
import { absorbZkCommitment, commitZkLigero, proveZkLigero, treeBRows, verifyZkLigero } from '../../src/pcs/zk-ligero.js';
import { codePoint } from '../../src/pcs/zk-ligero-code.js';
import { ROW_LIN_A, sampleMasks, MASK_ROWS } from '../../src/pcs/zk-ligero-masks.js';
import { codeShape } from '../../src/pcs/zk-ligero-params.js';
import { Rng } from '../support/random.js';
import { FlawedTranscript, freshTranscript, GOLDEN_LABELS, PROTOCOL, RecordingTranscript, satisfiedSystem, seeded, smallParams, verifyFresh } from './zk-ligero-support.js';

const params = smallParams(4, 8);
const shape = codeShape(params);
const n = 400;
const r = new Rng(4242);
const w = r.baseVec(n);
const sys = satisfiedSystem(r, w, { linear: 3, tensor: [[5, 3]], hadamard: [[0, 50, 100, 20]] });
const lie: ConstraintSystem = { ...sys, linear: sys.linear.map((c, i) => (i === 0 ? { ...c, rhs: extAdd(c.rhs, ext(1)) } : c)) };

/** Coefficients of Π_{j∈J}(X − x_j) (base field, |J| + 1 of them). */
function vanishing(J: Uint32Array): Uint32Array {
  let poly = Uint32Array.of(1);
  for (const j of J) {
    const x = codePoint(shape.logN, j);
    const next = new Uint32Array(poly.length + 1);
    for (let i = 0; i < poly.length; i++) {
      next[i + 1] = add(next[i + 1], poly[i]);
      next[i] = sub(next[i], mul(x, poly[i]));
    }
    poly = next;
  }
  return poly;
}

/**
 * The forger's edit of Q_lin, made when Q_lin is due, from a prediction of J by the transcript
 * `tr` (cloned and advanced as if Q_lin and Q_quad were not absorbed): add λ·Z_J with
 * Σ_H(λ·Z_J) = ω_0·Δ, Δ = 1 (the lie in constraint 0). ω_0 = β·eq(τ)_0.
 */
function forgeQLin(tr: Transcript, drawn: () => { beta: Ext; tau: Uint32Array }) {
  return (q: Uint32Array): Uint32Array => {
    const triples = (treeBRows(sys, shape.logC) - MASK_ROWS) / 3;
    const ahead = tr.clone();
    ahead.challengeExts('zkl/quadratic', triples);
    const J = Uint32Array.from(new Set(ahead.challengeIndices('zkl/columns', shape.t, shape.N))).sort();
    const { beta, tau } = drawn();
    let eq0: Ext = ext(1);
    for (let k = 0; k < tau.length >>> 2; k++) eq0 = extMul(eq0, extSub(ext(1), tau.subarray(4 * k, 4 * k + 4)));
    const omega0 = extMul(beta, eq0);
    const Z = vanishing(J);
    let s = 0;
    for (let i = 0; i < Z.length; i += shape.C) s = add(s, Z[i]);
    s = mul(s, shape.C);
    const lambda = extMulBase(omega0, inv(s));
    const out = q.slice();
    for (let i = 0; i < Z.length; i++) out.set(extAdd(out.subarray(4 * i, 4 * i + 4), extMulBase(lambda, Z[i])), 4 * i);
    return out;
  };
}

test('indices drawn before the test polynomials are absorbed let a false rhs pass; the real order rejects it', () => {
  const { commitment, data } = commitZkLigero(w, params, seeded(1));
  // the forgery under the flawed order
  const flawed = new FlawedTranscript(PROTOCOL);
  absorbZkCommitment(flawed, commitment);
  const forged = proveZkLigero(data, lie, flawed, {
    unchecked: true,
    edit: { qLin: forgeQLin(flawed, () => ({ beta: flawed.drawn.get('zkl/linear-scale')!, tau: flawed.drawn.get('zkl/linear')! })) },
  });
  const fooled = new FlawedTranscript(PROTOCOL);
  absorbZkCommitment(fooled, commitment);
  const res = verifyZkLigero(commitment, lie, forged, fooled, { minBits: 0 });
  assert.ok(res.ok, `the flawed order accepts the forgery: ${JSON.stringify(!res.ok && res.error)}`);
  // the same proof against the real transcript
  const real = verifyFresh(commitment, lie, forged);
  assert.equal(real.ok, false, 'the real order rejects it');
  // and the same strategy played against the real transcript: its prediction of J is wrong,
  // because the real transcript absorbs the forged Q_lin before drawing J
  const { commitment: c2, data: d2 } = commitZkLigero(w, params, seeded(2));
  const realTr = new RecordingTranscript(PROTOCOL);
  absorbZkCommitment(realTr, c2);
  const drawn = () => ({ beta: realTr.drawn.get('zkl/linear-scale')!, tau: realTr.drawn.get('zkl/linear')! });
  const played = proveZkLigero(d2, lie, realTr, { unchecked: true, edit: { qLin: forgeQLin(realTr, drawn) } });
  const res2 = verifyFresh(c2, lie, played);
  assert.equal(res2.ok, false);
  if (!res2.ok) assert.equal(res2.error.kind, 'LinearCheckFailed');
});

/** β forced to 1: the weights of a one-constraint system are then the constant eq() = 1. */
class NoScaleTranscript extends Transcript {
  override challengeExt(label: string): Uint32Array {
    const v = super.challengeExt(label);
    return label === 'zkl/linear-scale' ? ext(1) : v;
  }
}

test('a linear mask whose sum cancels a violated constraint: accepted without the scale β, rejected with it', () => {
  const one: ConstraintSystem = { linear: [sys.linear[1]], tensor: [], hadamard: [] };
  const delta = ext(3, 0, 7, 0);
  const false1: ConstraintSystem = { linear: [{ ...one.linear[0], rhs: extAdd(one.linear[0].rhs, delta) }], tensor: [], hadamard: [] };
  const masks = sampleMasks(shape, seeded(5));
  // Σ_H a = C·a_0 (+ C·a_C …): add δ/C to a_0, component-wise
  const cInv = inv(shape.C);
  for (let c = 0; c < 4; c++) masks[(ROW_LIN_A + c) * shape.L] = add(masks[(ROW_LIN_A + c) * shape.L], mul(delta[c], cInv));
  const { commitment, data } = commitZkLigero(w, params, seeded(6));
  const tNo = new NoScaleTranscript(PROTOCOL);
  absorbZkCommitment(tNo, commitment);
  const forged = proveZkLigero(data, false1, tNo, { unchecked: true, masks });
  const vNo = new NoScaleTranscript(PROTOCOL);
  absorbZkCommitment(vNo, commitment);
  const fooled = verifyZkLigero(commitment, false1, forged, vNo, { minBits: 0 });
  assert.ok(fooled.ok, `without β the forgery passes: ${JSON.stringify(!fooled.ok && fooled.error)}`);
  const { commitment: c2, data: d2 } = commitZkLigero(w, params, seeded(7));
  const real = proveZkLigero(d2, false1, freshTranscript(c2), { unchecked: true, masks });
  const res = verifyFresh(c2, false1, real);
  assert.equal(res.ok, false);
  if (!res.ok) assert.equal(res.error.kind, 'LinearSumMismatch');
});


test('golden label sequence: commitment (by the caller), system digest and root B before any challenge, every test polynomial before the columns', () => {
  const { commitment, data } = commitZkLigero(w, params, seeded(8));
  const tp = new Transcript(PROTOCOL, { record: true });
  absorbZkCommitment(tp, commitment);
  const proof = proveZkLigero(data, sys, tp);
  assert.deepEqual(tp.log!.map((e) => `${e.op}:${e.label}`), GOLDEN_LABELS);
  const tv = new Transcript(PROTOCOL, { record: true });
  absorbZkCommitment(tv, commitment);
  assert.ok(verifyZkLigero(commitment, sys, proof, tv, { minBits: 0 }).ok);
  assert.deepEqual(tv.log!.map((e) => `${e.op}:${e.label}`), GOLDEN_LABELS);
  assert.deepEqual(tp.snapshot(), tv.snapshot(), 'prover and verifier end in the same state');
  const counts = tp.log!.filter((e) => e.op === 'squeeze').map((e) => `${e.label}:${e.count}`);
  const rows = Math.ceil(n / shape.C) + treeBRows(sys, shape.logC);
  assert.deepEqual(counts, [`zkl/proximity:${rows - 4}`, 'zkl/linear-scale:1', `zkl/linear:${Math.ceil(Math.log2(3 + 1 + 3 * 20))}`, `zkl/quadratic:${(treeBRows(sys, shape.logC) - MASK_ROWS) / 3}`, `zkl/columns:${shape.t}`]);
});

test('each absorb of the proof, dropped on the verifier side, makes it reject', () => {
  const { commitment, data } = commitZkLigero(w, params, seeded(9));
  const proof = proveZkLigero(data, sys, freshTranscript(commitment));
  const labels = GOLDEN_LABELS.filter((l) => l.startsWith('absorb:')).map((l) => l.slice(7));
  for (const drop of labels) {
    class Dropping extends Transcript {
      override absorbBytes(label: string, b: Uint8Array): void {
        if (label !== drop) super.absorbBytes(label, b);
      }
      override absorbExt(label: string, v: Uint32Array): void {
        if (label !== drop) super.absorbExt(label, v);
      }
      override absorbU64(label: string, x: number | bigint): void {
        if (label !== drop) super.absorbU64(label, x);
      }
    }
    const tv = new Dropping(PROTOCOL);
    absorbZkCommitment(tv, commitment);
    assert.equal(verifyZkLigero(commitment, sys, proof, tv, { minBits: 0 }).ok, false, `absorb '${drop}' dropped`);
  }
});
