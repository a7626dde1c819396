/**
 * Differential tests of the WebAssembly workspace (`src/field/wasm-workspace.ts`, kernels in
 * `assembly/rounds.ts`) against the reference workspace: every kernel on random and edge inputs,
 * odd and tiny sizes, sub-buffer views, in-place folds; plus the buffer discipline (zeroed
 * allocations, nesting, release order, NTTs while buffers are held).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { P } from '../../src/field/babybear.js';
import { ext } from '../../src/field/extension.js';
import { wsLoad, type Workspace, type WsBuf } from '../../src/field/kernels.js';
import { referenceKernels } from '../../src/field/reference.js';
import { wasmKernels } from '../../src/field/wasm.js';
import { rng, randVec, constVec, arr } from './helpers.js';

const R = referenceKernels;
const W = wasmKernels;

/** Runs `body` on a fresh reference and wasm workspace and releases both. */
function both(body: (ws: Workspace, tag: string) => void): void {
  for (const [k, tag] of [[R, 'ref'], [W, 'wasm']] as const) {
    const ws = k.workspace();
    try {
      body(ws, tag);
    } finally {
      ws.release();
    }
  }
}

const inputs = (seed: number, words: number): Uint32Array[] => {
  const rand = rng(seed);
  return [randVec(rand, words), randVec(rand, words, false), constVec(words, P - 1), constVec(words, 0)];
};
const extScalars = (seed: number): Uint32Array[] => {
  const rand = rng(seed);
  return [ext(0), ext(1), ext(P - 1, P - 1, P - 1, P - 1), randVec(rand, 4, false), randVec(rand, 4)];
};

test('workspace: wasm is the default implementation', () => {
  assert.equal(W.name, 'wasm');
});

test('workspace eqTableAdd: wasm = reference for every k ≤ 7 and every limit, accumulating', () => {
  const rand = rng(1);
  for (let k = 0; k <= 7; k++) {
    for (let limit = 0; limit <= 2 ** k; limit += k < 5 ? 1 : 7) {
      const z = randVec(rand, 4 * k, k % 2 === 0);
      const s = randVec(rand, 4);
      const init = randVec(rand, 4 * 2 ** k);
      const got: number[][] = [];
      both((ws) => {
        const o = wsLoad(ws, init);
        ws.eqTableAdd(o, z, s, limit);
        ws.eqTableAdd(o, z, ext(1), Math.min(limit, 3));
        got.push(arr(ws.read(o)));
      });
      assert.deepEqual(got[1], got[0], `k=${k} limit=${limit}`);
    }
  }
});

test('workspace eqTableAdd: the full table at s = 1 is eq(z, ·)', () => {
  const z = randVec(rng(2), 4 * 9);
  const ws = W.workspace();
  try {
    const o = ws.alloc(4 << 9);
    ws.eqTableAdd(o, z, ext(1), 1 << 9);
    assert.deepEqual(arr(ws.read(o)), arr(R.eqTable(z)));
  } finally {
    ws.release();
  }
});

test('workspace folds, extMulAdd and pairSum: wasm = reference, in place and through views', () => {
  for (const n of [1, 2, 3, 7, 64, 101]) {
    for (const t of inputs(n, 8 * n)) {
      for (const r of extScalars(n + 3)) {
        const got: number[][] = [];
        both((ws) => {
          const tb = wsLoad(ws, t);
          const out = ws.alloc(4 * n);
          ws.foldBase(out, ws.view(tb, 0, 2 * n), r, n);
          const res = [...ws.read(out)];
          ws.foldExt(ws.view(tb, 4), ws.view(tb, 4), r, n - 1); // in place, offset view
          res.push(...ws.read(tb));
          ws.extMulAdd(out, ws.view(tb, 8 * n - 4 * n), r, n);
          res.push(...ws.read(out));
          ws.pairSum(tb, tb, n);
          res.push(...ws.read(tb));
          got.push(res);
        });
        assert.deepEqual(got[1], got[0], `n=${n}`);
      }
    }
  }
});

test('workspace ipRound: wasm = reference for base and ext f', () => {
  for (const pairs of [1, 2, 5, 64, 333]) {
    const [g, g2] = inputs(pairs, 8 * pairs);
    for (const f of inputs(pairs + 1, 8 * pairs)) {
      for (const fBase of [true, false]) {
        for (const withOne of [true, false]) {
          const got: number[][] = [];
          both((ws) => {
            const gb = wsLoad(ws, (fBase ? g : g2).slice());
            const fb = wsLoad(ws, fBase ? f.subarray(0, 2 * pairs) : f);
            got.push(arr(ws.ipRound(gb, fb, pairs, fBase, withOne)));
          });
          assert.deepEqual(got[1], got[0], `pairs=${pairs} base=${fBase} withOne=${withOne}`);
        }
      }
    }
  }
});

test('workspace GKR rounds (fracRound, fracRoundUnit on ext and base): wasm = reference', () => {
  for (const pairs of [1, 3, 16, 129]) {
    const rand = rng(pairs);
    const tabs = Array.from({ length: 4 }, () => randVec(rand, 8 * pairs));
    const w = randVec(rand, 4 * pairs);
    const base = [randVec(rand, 2 * pairs), constVec(2 * pairs, P - 1)];
    for (const withOne of [false, true]) {
      const got: number[][] = [];
      both((ws) => {
        const [a, b, c, d] = tabs.map((t) => wsLoad(ws, t));
        const wb = wsLoad(ws, w);
        const res = [...ws.fracRound(a, b, c, d, wb, pairs, withOne)];
        res.push(...ws.fracRoundUnit(a, b, wb, pairs, withOne, false));
        res.push(...ws.fracRoundUnit(wsLoad(ws, base[0]), wsLoad(ws, base[1]), wb, pairs, withOne, true));
        got.push(res);
      });
      assert.deepEqual(got[1], got[0], `pairs=${pairs} withOne=${withOne}`);
      if (!withOne) assert.deepEqual(got[0].slice(4, 8), [0, 0, 0, 0]);
    }
  }
});

test('workspace layer kernels (fracParent, unitParent): wasm = reference', () => {
  for (const n of [1, 2, 9, 100]) {
    const rand = rng(40 + n);
    const p = randVec(rand, 8 * n), q = randVec(rand, 8 * n), e = randVec(rand, 2 * n);
    for (const alpha of extScalars(n)) {
      const got: number[][] = [];
      both((ws) => {
        const np = ws.alloc(4 * n), nq = ws.alloc(4 * n), mp = ws.alloc(4 * n), mq = ws.alloc(4 * n);
        ws.fracParent(np, nq, wsLoad(ws, p), wsLoad(ws, q), n);
        ws.unitParent(mp, mq, wsLoad(ws, e), n, alpha);
        got.push([...ws.read(np), ...ws.read(nq), ...ws.read(mp), ...ws.read(mq)]);
      });
      assert.deepEqual(got[1], got[0], `n=${n}`);
    }
  }
});

test('workspace buffers: zero-filled, nested workspaces release in order, NTTs still work', () => {
  const outer = W.workspace();
  const a = outer.alloc(1000);
  outer.write(a, constVec(1000, 7));
  const inner = W.workspace();
  assert.throws(() => outer.alloc(10), /newer workspace/);
  assert.throws(() => outer.release(), /out of order/);
  const b = inner.alloc(5000);
  assert.deepEqual(arr(inner.read(b)), new Array(5000).fill(0));
  // an NTT larger than the twiddle table while buffers are held falls back to the oracle
  const v = randVec(rng(5), 1 << 14);
  const expect = v.slice();
  R.nttBatch(expect, 1, 14, false);
  const got = v.slice();
  W.nttBatch(got, 1, 14, false);
  assert.deepEqual(arr(got), arr(expect));
  inner.release();
  assert.deepEqual(arr(outer.read(a)), new Array(1000).fill(7));
  outer.release();
  outer.release(); // idempotent
  assert.throws(() => outer.alloc(1), /after release/);
});
