/**
 * Honest receipts and forged-witness rejection for the extremum proofs: MaxPool (2×2 stride 2, and
 * 3×3 stride 2 with padding), GlobalMaxPool, ReduceMin, element-wise Max/Min of tensors (direct and
 * through a committed accumulator), comparisons and Where. Each pooled tensor feeds a layer without
 * lookups of its own (Flatten, Gemm), so a forgery that keeps the lookups valid must be caught by
 * the pooling layer itself, which the tests check by the name in the verifier's message.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildModel, floatTensor, node } from '../../src/model/onnx-writer.js';
import { commitModel } from '../../src/prover/commit.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { prove } from '../../src/prover/prove.js';
import { verifyReceipt } from '../../src/verifier/verify.js';
import type { SumLayer, WindowLayer } from '../../src/quantize/layers.js';
import { bump, opHarness, type OpHarness, vec, rejectedBy, type Vals } from './harness.js';



function set(vals: Vals, name: string, i: number, value: number): void {
  const c = Int32Array.from(vals.get(name)!);
  c[i] = value;
  vals.set(name, c);
}

function windowLayer(h: OpHarness, out: string): WindowLayer {
  const L = h.model.layers.find((l) => l.output === out);
  assert.ok(L && L.kind === 'window', `no window layer writes '${out}'`);
  return L;
}

/** Candidate values X'[j,w] of a window layer (NaN on an invalid slot). */
function candidates(L: WindowLayer, vals: Vals): Float64Array {
  const x = vals.get(L.inputs[0])!;
  return Float64Array.from(L.map, (m) => (m >= 0 ? x[m] : NaN));
}

/** Sets y[j] = value and recomputes δ[j,·] = σ·(y − X') on the valid slots (0 elsewhere). */
function forgeOutput(L: WindowLayer, vals: Vals, j: number, value: number): void {
  const X = candidates(L, vals);
  const sign = L.mode === 'max' ? 1 : -1;
  set(vals, L.output, j, value);
  for (let w = 0; w < L.win; w++) set(vals, `${L.output}#delta`, j * L.win + w, Number.isNaN(X[j * L.win + w]) ? 0 : sign * (value - X[j * L.win + w]));
}

function moveSelector(L: WindowLayer, vals: Vals, j: number, to: number): void {
  for (let w = 0; w < L.win; w++) set(vals, `${L.output}#sel`, j * L.win + w, w === to ? 1 : 0);
}

const head = (x: string, k: number, n: number, seed: number) => ({
  nodes: [node('Flatten', [x], [`${x}_f`]), node('Gemm', [`${x}_f`, 'wh', 'bh'], ['y'], { transB: 1 })],
  inits: [floatTensor('wh', [n, k], vec(n * k, seed, 0.5)), floatTensor('bh', [n], vec(n, seed + 1, 0.2))],
});

test('MaxPool 2×2 stride 2: honest receipt; forged maxima, selectors and differences are rejected', () => {
  const hd = head('p', 8, 3, 40);
  const h = opHarness(
    {
      inputs: [{ name: 'x', dims: [1, 2, 4, 4] }],
      outputs: ['y'],
      nodes: [node('MaxPool', ['x'], ['p'], { kernel_shape: [2, 2], strides: [2, 2] }), ...hd.nodes],
      inits: hd.inits,
    },
    [{ x: vec(32, 1) }, { x: vec(32, 2) }, { x: vec(32, 3) }],
  );
  h.assertHonest();
  const L = windowLayer(h, 'p');
  const at = /MaxPool_p/;
  rejectedBy(h, 'max output + 1, differences recomputed', at, (v) => forgeOutput(L, v, 1, v.get('p')![1] + 1));
  rejectedBy(h, 'max output + 1, differences recomputed, no selector', at, (v) => {
    forgeOutput(L, v, 2, v.get('p')![2] + 1);
    moveSelector(L, v, 2, -1);
  });
  rejectedBy(h, 'max output = a smaller candidate (negative difference)', /lookups|MaxPool_p/, (v) => {
    const X = candidates(L, v);
    const j = 0;
    const vals = Array.from(X.subarray(j * L.win, (j + 1) * L.win));
    const w = vals.indexOf(Math.min(...vals));
    forgeOutput(L, v, j, X[j * L.win + w]);
    moveSelector(L, v, j, w);
  });
  rejectedBy(h, 'selector moved to a non-max entry', at, (v) => {
    const X = candidates(L, v);
    const y = v.get('p')![3];
    const w = Array.from(X.subarray(3 * L.win, 4 * L.win)).findIndex((c) => c !== y);
    moveSelector(L, v, 3, w);
  });
  rejectedBy(h, 'two selectors', at, (v) => set(v, 'p#sel', 4 * L.win + (Array.from(v.get('p#sel')!).slice(4 * L.win, 5 * L.win).indexOf(0)), 1));
  rejectedBy(h, 'selector = 2 on a max entry', /lookups|MaxPool_p/, (v) => bump(v, 'p#sel', Array.from(v.get('p#sel')!).indexOf(1), 1));
  rejectedBy(h, 'difference + 1', at, (v) => bump(v, 'p#delta', 5, 1));
  rejectedBy(h, 'pooled output − 1 with nothing recomputed', at, (v) => bump(v, 'p', 6, -1));
});

test('MaxPool 3×3 stride 2 with padding: padding cells are never selectable', () => {
  const hd = head('p', 9, 2, 50);
  const h = opHarness(
    {
      inputs: [{ name: 'x', dims: [1, 1, 5, 5] }],
      outputs: ['y'],
      nodes: [node('MaxPool', ['x'], ['p'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }), ...hd.nodes],
      inits: hd.inits,
    },
    [{ x: vec(25, 11) }, { x: vec(25, 12) }],
  );
  h.assertHonest();
  const L = windowLayer(h, 'p');
  assert.ok(L.map[0] < 0, 'the corner window starts on a padding cell');
  // output 0 (corner): slot 0 is padding, where δ = 0 honestly; a forger claims max + 1 and selects it
  rejectedBy(h, 'selector on a padding slot (max + 1)', /MaxPool_p/, (v) => {
    forgeOutput(L, v, 0, v.get('p')![0] + 1);
    moveSelector(L, v, 0, 0);
  });
  rejectedBy(h, 'selector on a padding slot (output 0 below every candidate)', /lookups|MaxPool_p/, (v) => {
    forgeOutput(L, v, 0, 0);
    moveSelector(L, v, 0, 0);
  });
  rejectedBy(h, 'output − 1 with differences recomputed', /lookups|MaxPool_p/, (v) => forgeOutput(L, v, 4, v.get('p')![4] - 1));
});

test('a window with no valid cell outputs 0, and only 0', () => {
  // windowKernel outputs 0 for an all-padding window; ONNX pads cannot produce one, so the map of a
  // compiled MaxPool is edited (both the kernel and the circuit read it) and the model re-committed
  const hd = head('p', 8, 2, 80);
  const inputs = [{ x: vec(32, 81) }, { x: vec(32, 82) }];
  const { model } = compileOnnx(
    buildModel({
      inputs: [{ name: 'x', dims: [1, 2, 4, 4] }],
      outputs: ['y'],
      nodes: [node('MaxPool', ['x'], ['p'], { kernel_shape: [2, 2], strides: [2, 2] }), ...hd.nodes],
      inits: hd.inits,
    }),
    inputs,
  );
  const L = model.layers.find((l) => l.kind === 'window') as WindowLayer;
  L.map.fill(-1, 0, L.win);
  const h = { cm: commitModel(model), input: inputs[0] };
  const { receipt } = prove(h.cm, h.input);
  const ok = verifyReceipt(receipt, h.cm.modelId, h.input);
  assert.ok(ok.ok, ok.ok ? '' : `honest receipt rejected: ${ok.error.message}`);
  rejectedBy(h, 'empty window outputs 3 (its slot-0 difference 3)', /MaxPool_p/, (v) => {
    set(v, 'p', 0, 3);
    set(v, 'p#delta', 0, 3);
  });
  rejectedBy(h, 'empty window outputs 3, selector on an invalid slot', /MaxPool_p/, (v) => {
    set(v, 'p', 0, 3);
    set(v, 'p#delta', 0, 3);
    moveSelector(L, v, 0, 1);
  });
  rejectedBy(h, 'empty window outputs −3 (negative difference)', /lookups|MaxPool_p/, (v) => {
    set(v, 'p', 0, -3);
    set(v, 'p#delta', 0, -3);
  });
});

test('GlobalMaxPool and ReduceMin (keepdims 0): honest receipts, forged extrema rejected', () => {
  const hd = head('g', 3, 2, 60);
  const h = opHarness(
    {
      inputs: [{ name: 'x', dims: [1, 3, 4, 3] }],
      outputs: ['y'],
      nodes: [node('GlobalMaxPool', ['x'], ['g']), ...hd.nodes],
      inits: hd.inits,
    },
    [{ x: vec(36, 21) }, { x: vec(36, 22) }],
  );
  h.assertHonest();
  const L = windowLayer(h, 'g');
  rejectedBy(h, 'global max + 1, differences recomputed', /GlobalMaxPool_g/, (v) => forgeOutput(L, v, 1, v.get('g')![1] + 1));

  const hm = opHarness(
    {
      inputs: [{ name: 'x', dims: [1, 4, 6] }],
      outputs: ['y'],
      nodes: [node('ReduceMin', ['x'], ['m'], { axes: [2], keepdims: 0 }), node('Gemm', ['m', 'wh', 'bh'], ['y'], { transB: 1 })],
      inits: [floatTensor('wh', [2, 4], vec(8, 70, 0.5)), floatTensor('bh', [2], vec(2, 71, 0.2))],
    },
    [{ x: vec(24, 23) }, { x: vec(24, 24) }],
  );
  hm.assertHonest();
  const M = windowLayer(hm, 'm');
  assert.equal(M.mode, 'min');
  rejectedBy(hm, 'min − 1, differences recomputed', /ReduceMin_m/, (v) => forgeOutput(M, v, 2, v.get('m')![2] - 1));
  rejectedBy(hm, 'min + 1 (above a candidate)', /lookups|ReduceMin_m/, (v) => forgeOutput(M, v, 0, v.get('m')![0] + 1));
});

for (const [scale, scale2, path] of [
  [0.5, 2, 'direct (D = 1)'],
  [0.05, 3, 'through a committed accumulator (D > 1)'],
] as const) {
  test(`Max / Min of tensors, ${path}: honest receipt; forged extrema and selectors are rejected`, () => {
    const h = opHarness(
      {
        inputs: [{ name: 'x', dims: [1, 8] }],
        outputs: ['y'],
        nodes: [
          node('Gemm', ['x', 'w1', 'b1'], ['a'], { transB: 1 }),
          node('Gemm', ['x', 'w2', 'b2'], ['b'], { transB: 1 }),
          node('Max', ['a', 'b'], ['m']),
          node('Min', ['a', 'b', 'c'], ['n']),
          node('Add', ['m', 'n'], ['s']),
          node('Gemm', ['s', 'wh', 'bh'], ['y'], { transB: 1 }),
        ],
        inits: [
          floatTensor('w1', [6, 8], vec(48, 31, scale)),
          floatTensor('b1', [6], vec(6, 32, 0.2)),
          floatTensor('w2', [6, 8], vec(48, 33, scale2)),
          floatTensor('b2', [6], vec(6, 34, 0.2)),
          floatTensor('c', [6], vec(6, 35, 0.5)),
          floatTensor('wh', [3, 6], vec(18, 36, 0.5)),
          floatTensor('bh', [3], vec(3, 37, 0.2)),
        ],
      },
      [{ x: vec(8, 41) }, { x: vec(8, 42) }, { x: vec(8, 43) }],
    );
    h.assertHonest();
    for (const o of ['m', 'n']) {
      const L = h.model.layers.find((l) => l.output === o);
      assert.ok(L && L.kind === 'sum' && (L.mode === 'max' || L.mode === 'min'));
      assert.equal(L.div === 1, scale === 0.5, `expected the ${path} path`);
      const target = L.div === 1 ? o : `${o}#acc`;
      const win = L.inputs.length;
      const sign = L.mode === 'max' ? 1 : -1;
      const at = new RegExp(`${L.name}/${L.mode}`);
      rejectedBy(h, `${L.op}: target ± 1, differences (and remainder) recomputed`, at, (v) => {
        const j = L.div === 1 ? 0 : Array.from(v.get(`${o}#rem0`)!).findIndex((r) => r + 2 * sign >= 0 && r + 2 * sign < 2 * L.div);
        set(v, target, j, v.get(target)![j] + sign);
        for (let i = 0; i < win; i++) bump(v, `${target}#delta`, j * win + i, 1);
        if (L.div !== 1) bump(v, `${o}#rem0`, j, 2 * sign);
      });
      rejectedBy(h, `${L.op}: selector moved to a non-extremal input`, at, (v) => {
        const d = Array.from(v.get(`${target}#delta`)!);
        const j = Array.from({ length: d.length / win }, (_, k) => k).find((k) => d.slice(k * win, (k + 1) * win).some((x) => x !== 0))!;
        const w = d.slice(j * win, (j + 1) * win).findIndex((x) => x !== 0);
        for (let i = 0; i < win; i++) set(v, `${target}#sel`, j * win + i, i === w ? 1 : 0);
      });
    }
  });
}

test('Comparisons and Where: honest receipt; forged comparison bits and selections are rejected', () => {
  const h = opHarness(
    {
      inputs: [{ name: 'x', dims: [1, 8] }],
      outputs: ['y'],
      nodes: [
        node('Gemm', ['x', 'w1', 'b1'], ['a'], { transB: 1 }),
        node('Gemm', ['x', 'w2', 'b2'], ['b'], { transB: 1 }),
        node('Less', ['a', 'b'], ['lt']),
        node('GreaterOrEqual', ['a', 'b'], ['ge']),
        node('Relu', ['a'], ['ra']),
        node('Equal', ['a', 'ra'], ['eq']),
        node('Where', ['lt', 'a', 'b'], ['w']),
        node('Add', ['w', 'ge'], ['s1']),
        node('Add', ['s1', 'eq'], ['s']),
        node('Gemm', ['s', 'wh', 'bh'], ['y'], { transB: 1 }),
      ],
      inits: [
        floatTensor('w1', [6, 8], vec(48, 51, 0.5)),
        floatTensor('b1', [6], vec(6, 52, 0.2)),
        floatTensor('w2', [6, 8], vec(48, 53, 0.5)),
        floatTensor('b2', [6], vec(6, 54, 0.2)),
        floatTensor('wh', [3, 6], vec(18, 56, 0.5)),
        floatTensor('bh', [3], vec(3, 57, 0.2)),
      ],
    },
    [{ x: vec(8, 61) }, { x: vec(8, 62) }, { x: vec(8, 63) }],
  );
  h.assertHonest();
  const sumLayer = (o: string): SumLayer => {
    const L = h.model.layers.find((l) => l.output === o);
    assert.ok(L && L.kind === 'sum' && L.mode, `no comparison layer writes '${o}'`);
    return L;
  };
  for (const o of ['lt', 'ge']) {
    const L = sumLayer(o);
    rejectedBy(h, `${o}: flipped bit, gap recomputed`, new RegExp(`lookups|${L.name}`), (v) => {
      const y = v.get(o)![0];
      const c = y === 0 ? 1 : 0;
      set(v, o, 0, c * L.div);
      const g = Array.from(v.get(`${o}#cmp`)!);
      const strict = L.mode === 'lt';
      // w from the honest gap: strict c=1: g = w − 1, c=0: g = −w; non-strict c=1: g = w, c=0: g = −w − 1
      const w = strict ? (y === 0 ? -g[0] : g[0] + 1) : y === 0 ? -g[0] - 1 : g[0];
      set(v, `${o}#cmp`, 0, strict ? (2 * c - 1) * w - c : (2 * c - 1) * w + c - 1);
    });
    rejectedBy(h, `${o}: output = div/2`, new RegExp(L.name), (v) => set(v, o, 1, L.div / 2));
  }
  const E = sumLayer('eq');
  rejectedBy(h, 'eq: flipped bit', new RegExp(E.name), (v) => set(v, 'eq', 2, v.get('eq')![2] === 0 ? E.div : 0));
  const W = sumLayer('w');
  rejectedBy(h, 'where: selected the other branch', new RegExp(W.name), (v) => {
    const i = 3;
    const z = v.get('w#z')![i];
    set(v, 'w#z', i, 1 - z);
    set(v, 'w', i, (z ? v.get('b')! : v.get('a')!)[i]);
  });
  rejectedBy(h, 'where: output + 1', new RegExp(W.name), (v) => bump(v, 'w', 0, 1));
});
