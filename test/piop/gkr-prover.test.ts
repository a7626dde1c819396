/**
 * The GKR prover (`src/piop/lookup/gkr-prover.ts`): the eq-split rounds produce proofs the plain
 * verifier accepts; unit leaves give exactly the proof of the general leaves p = 1, q = α − e;
 * deriving h(1) from the previous claim gives exactly the messages of computing it; the WebAssembly
 * and reference workspaces agree; the root fraction is what `rootFree` returns.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { P } from '../../src/field/babybear.js';
import { type Ext, ext, extAdd, extEquals, extInv, extMul, extSub } from '../../src/field/extension.js';
import { useKernels } from '../../src/field/active.js';
import { referenceKernels } from '../../src/field/reference.js';
import { evaluateBase, evaluateExt } from '../../src/poly/multilinear.js';
import { Transcript } from '../../src/transcript/transcript.js';
import { proveFractionSum, proveGkr, verifyGkr, type GkrLeaves, type GkrProof } from '../../src/piop/lookup/index.js';
import { Rng } from '../support/random.js';

const tr = () => new Transcript('test/gkr');

function unitLeaves(rng: Rng, n: number): { e: Uint32Array; alpha: Ext } {
  const e = new Uint32Array(2 ** n);
  for (let i = 0; i < e.length; i++) e[i] = rng.int(4) === 0 ? rng.field() : rng.int(256);
  return { e, alpha: rng.ext() };
}

/** The general form of unit leaves: p = 1, q = α − e. */
function asGeneral(e: Uint32Array, alpha: Ext): GkrLeaves {
  const p = new Uint32Array(4 * e.length);
  const q = new Uint32Array(4 * e.length);
  for (let i = 0; i < e.length; i++) {
    p[4 * i] = 1;
    q.set(extSub(alpha, ext(e[i])), 4 * i);
  }
  return { kind: 'general', p, q };
}

const words = (pf: GkrProof): number[] => [...pf.root, ...pf.layers.flatMap((l) => [...l.sumcheck.rounds.flatMap((s) => [...s]), ...l.masks])];

test('unit leaves: the same proof as general leaves p = 1, q = α − e, verified with rootFree', () => {
  const rng = new Rng(1);
  for (let n = 1; n <= 7; n++) {
    const { e, alpha } = unitLeaves(rng, n);
    const unit = proveFractionSum(tr(), { kind: 'unit', e, alpha }, 'g');
    const general = proveFractionSum(tr(), asGeneral(e, alpha), 'g');
    assert.deepEqual(words(unit.proof), words(general.proof), `n=${n}`);
    const v = verifyGkr(tr(), n, unit.proof, 'g', { rootFree: true });
    assert.ok(v.ok, `n=${n}: ${!v.ok && v.error.message}`);
    if (!v.ok) continue;
    // the root fraction is Σ 1/(α − e_i), the leaf claim is p~ = 1, q~ = α − e~
    let sum = ext();
    for (const x of e) sum = extAdd(sum, extInv(extSub(alpha, ext(x))));
    assert.ok(extEquals(extMul(v.root.p, extInv(v.root.q)), sum));
    assert.ok(extEquals(v.p, ext(1)));
    assert.ok(extEquals(v.q, extSub(alpha, evaluateBase(e, v.point))));
    // without rootFree the non-zero sum is refused
    const strict = verifyGkr(tr(), n, unit.proof, 'g');
    assert.equal(strict.ok, false);
  }
});

test('derived h(1) = computed h(1): identical proofs, general and unit leaves', () => {
  const rng = new Rng(2);
  for (const n of [2, 5, 8]) {
    const { e, alpha } = unitLeaves(rng, n);
    const p = rng.extVec(2 ** n);
    const q = rng.extVec(2 ** n);
    for (const leaves of [{ kind: 'unit', e, alpha } as GkrLeaves, { kind: 'general', p, q } as GkrLeaves]) {
      const a = proveFractionSum(tr(), leaves, 'g');
      const b = proveFractionSum(tr(), leaves, 'g', { directH1: true });
      assert.deepEqual(words(a.proof), words(b.proof), `n=${n} ${leaves.kind}`);
    }
  }
});

test('general leaves summing to zero: accepted by the plain verifier, with the leaf claim on p~ and q~', () => {
  const rng = new Rng(3);
  for (const n of [1, 3, 6]) {
    // pairs a/b and −a/b cancel
    const half = 2 ** (n - 1);
    const p = new Uint32Array(4 << n), q = new Uint32Array(4 << n);
    for (let i = 0; i < half; i++) {
      const a = rng.ext(), b = rng.ext();
      p.set(a, 4 * i);
      q.set(b, 4 * i);
      p.set(extSub(ext(), a), 4 * (i + half));
      q.set(b, 4 * (i + half));
    }
    const { proof, claim } = proveGkr(tr(), p, q, 'g');
    const v = verifyGkr(tr(), n, proof, 'g');
    assert.ok(v.ok, `n=${n}: ${!v.ok && v.error.message}`);
    if (!v.ok) continue;
    assert.deepEqual([...v.point], [...claim.point]);
    assert.ok(extEquals(v.p, evaluateExt(p, v.point)));
    assert.ok(extEquals(v.q, evaluateExt(q, v.point)));
  }
});

test('the WebAssembly and reference workspaces give identical GKR proofs', () => {
  const rng = new Rng(4);
  const { e, alpha } = unitLeaves(rng, 6);
  const p = rng.extVec(64), q = rng.extVec(64);
  for (const leaves of [{ kind: 'unit', e, alpha } as GkrLeaves, { kind: 'general', p, q } as GkrLeaves]) {
    const w = proveFractionSum(tr(), leaves, 'g');
    const prev = useKernels(referenceKernels);
    try {
      const r = proveFractionSum(tr(), leaves, 'g');
      assert.deepEqual(words(w.proof), words(r.proof));
    } finally {
      useKernels(prev);
    }
  }
});

test('a changed leaf changes the claim the verifier reaches (so the opening fails)', () => {
  const rng = new Rng(5);
  const { e, alpha } = unitLeaves(rng, 5);
  const { proof } = proveFractionSum(tr(), { kind: 'unit', e, alpha }, 'g');
  const v = verifyGkr(tr(), 5, proof, 'g', { rootFree: true });
  assert.ok(v.ok);
  const e2 = e.slice();
  e2[7] = (e2[7] + 1) % P;
  if (v.ok) assert.ok(!extEquals(v.q, extSub(alpha, evaluateBase(e2, v.point))));
});
