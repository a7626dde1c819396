/**
 * Honest receipts and forged-witness rejection for the non-linear layer proofs: PRelu, ArgMax /
 * ArgMin, Div (activation divisor), Softmax / LogSoftmax and normalization (LayerNormalization,
 * InstanceNormalization). The layer under test feeds a Flatten, so its output is a committed
 * intermediate that a cheating prover controls; every committed auxiliary value is forged at
 * least once: outputs ±1, remainders, selectors, looked-up values and multiplicities.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { floatTensor, node } from '../../src/model/onnx-writer.js';
import { runQuantized } from '../../src/quantize/infer.js';
import { bump, opHarness, type OpHarness, vec } from './harness.js';

const w = (ph: string) => ph === 'witness';

function hasKind(h: OpHarness, kind: string): void {
  assert.ok(h.model.layers.some((l) => l.kind === kind), `the model has no '${kind}' layer (lowered to: ${h.model.layers.map((l) => l.kind).join(', ')})`);
}
function aux(h: OpHarness, prefix: string): string {
  const n = h.tensors().find((t) => t.startsWith(prefix));
  assert.ok(n, `no auxiliary tensor '${prefix}…' (have: ${h.tensors().join(', ')})`);
  return n;
}
/** Every honest witness value: the trace and each layer's auxiliary tensors. */
function honestValues(h: OpHarness): Map<string, ArrayLike<number>> {
  const run = runQuantized(h.cm.model, h.input, { strict: true, trace: true });
  const vals = new Map<string, ArrayLike<number>>(run.trace);
  const get = (n: string) => vals.get(n) ?? h.cm.params.get(n)!;
  for (const cl of h.cm.circuit.layers) for (const [k, v] of cl.protocol.witness(cl.layer, cl.plan, get)) vals.set(k, v);
  return vals;
}
/**
 * The blanket soundness check: every committed value of the layer (its output and every
 * auxiliary tensor `<out>#…`) changed by +1 at its last entry, and every multiplicity vector
 * changed by +1, is rejected — all of them are functions of the layer's input.
 */
function everyValueForged(h: OpHarness, out: string): void {
  const vals = honestValues(h);
  const names = h.tensors().filter((t) => t === out || t.startsWith(`${out}#`));
  assert.ok(names.length > 1);
  for (const name of names) {
    const last = vals.get(name)!.length - 1;
    h.assertForgedRejected(`${name}[${last}] + 1`, (v, ph) => w(ph) && bump(v, name, last, 1));
  }
  for (const name of h.tensors().filter((t) => t.startsWith('#mult'))) {
    h.assertForgedRejected(`${name} + 1`, (v, ph) => ph === 'multiplicities' && bump(v, name, 0, 1));
  }
}
test('PRelu (per-channel slopes): honest receipt verifies; forged witnesses are rejected', () => {
  const h = opHarness(
    {
      inputs: [{ name: 'x', dims: [1, 3, 4] }],
      outputs: ['y'],
      nodes: [node('PRelu', ['x', 's'], ['p']), node('Flatten', ['p'], ['y'])],
      inits: [floatTensor('s', [3, 1], [0.25, -0.5, 0.75])],
    },
    [{ x: vec(12, 21) }, { x: vec(12, 22) }],
  );
  hasKind(h, 'prelu');
  h.assertHonest();
  everyValueForged(h, 'p');
  const u = Array.from(honestValues(h).get('p#neg')!);
  const neg = u.findIndex((v) => v < -3);
  const pos = u.findIndex((v) => v === 0);
  assert.ok(neg >= 0 && pos >= 0, 'test data: expected both branches');
  const rem = aux(h, 'p#rem');
  h.assertForgedRejected('output + 1 (negative branch)', (v, ph) => w(ph) && bump(v, 'p', neg, 1));
  h.assertForgedRejected('output − 1 (positive branch)', (v, ph) => w(ph) && bump(v, 'p', pos, -1));
  h.assertForgedRejected('output + 1, remainder compensated', (v, ph) => {
    if (!w(ph)) return;
    bump(v, 'p', neg, 1);
    bump(v, rem, neg, -2 * 2 ** 7);
  });
  h.assertForgedRejected('remainder + 1', (v, ph) => w(ph) && bump(v, rem, neg, 1));
  h.assertForgedRejected('negative part of a positive entry', (v, ph) => w(ph) && bump(v, 'p#neg', pos, -1));
  h.assertForgedRejected('negative part of a negative entry + 1', (v, ph) => w(ph) && bump(v, 'p#neg', neg, 1));
  h.assertForgedRejected('multiplicity + 1', (v, ph) => ph === 'multiplicities' && bump(v, '#mult0', 1, 1));
});

test('ArgMax (first index) and ArgMin (last index, ties): honest receipts verify; forgeries are rejected', () => {
  // rows with exact ties after quantization
  const x = [0.5, 0.9, 0.9, -0.3, 0.1, -0.7, 0.2, -0.7, 0.6, 0.2, 0.4, 0.4, -0.2, 0.4, -0.9];
  for (const [op, attrs] of [['ArgMax', { axis: 1 }], ['ArgMin', { axis: 1, select_last_index: 1 }], ['ArgMax', { axis: 0, keepdims: 0, select_last_index: 1 }]] as const) {
    const h = opHarness(
      {
        inputs: [{ name: 'x', dims: [3, 5] }],
        outputs: ['y'],
        nodes: [node(op, ['x'], ['a'], attrs), node('Flatten', ['a'], ['y'])],
      },
      [{ x }],
    );
    hasKind(h, 'argmax');
    h.assertHonest();
    everyValueForged(h, 'a');
    const what = `${op} ${JSON.stringify(attrs)}`;
    h.assertForgedRejected(`${what}: index + 1`, (v, ph) => w(ph) && bump(v, 'a', 0, 1));
    h.assertForgedRejected(`${what}: index − 1 (other tie)`, (v, ph) => w(ph) && bump(v, 'a', 1, -1));
    h.assertForgedRejected(`${what}: selector moved`, (v, ph) => {
      if (!w(ph)) return;
      const s = Array.from(v.get('a#sel')!);
      const k = s.indexOf(1);
      bump(v, 'a#sel', k, -1);
      bump(v, 'a#sel', k === 0 ? 1 : k - 1, 1);
    });
    h.assertForgedRejected(`${what}: selector + 1`, (v, ph) => w(ph) && bump(v, 'a#sel', 2, 1));
    h.assertForgedRejected(`${what}: prefix sum − 1`, (v, ph) => w(ph) && bump(v, 'a#cum', 4, -1));
    h.assertForgedRejected(`${what}: row max + 1`, (v, ph) => w(ph) && bump(v, 'a#max', 0, 1));
    h.assertForgedRejected(`${what}: gap + 1`, (v, ph) => w(ph) && bump(v, 'a#gap', 3, 1));
    h.assertForgedRejected(`${what}: multiplicity + 1`, (v, ph) => ph === 'multiplicities' && bump(v, '#mult0', 0, 1));
    if (attrs.axis !== 1) continue;
    // the other index of a tie, with every auxiliary value recomputed for it: only the strict
    // inequality of the tie-break (a gap of −1) can reject it
    const row = op === 'ArgMax' ? 0 : 1;
    const vals = honestValues(h);
    const kNew = op === 'ArgMax' ? 2 : 0;
    assert.equal(vals.get('a')![row], op === 'ArgMax' ? 1 : 2, 'test data: expected a tie');
    h.assertForgedRejected(`${what}: other tied index, selector/prefix/gaps recomputed`, (v, ph) => {
      if (!w(ph)) return;
      const x = vals.get('x')!;
      const sign = op === 'ArgMax' ? 1 : -1;
      const sel = Int32Array.from(vals.get('a#sel')!);
      const cum = Int32Array.from(vals.get('a#cum')!);
      const gap = Int32Array.from(vals.get('a#gap')!);
      const mx = vals.get('a#max')![row];
      for (let k = 0; k < 5; k++) {
        const j = row * 5 + k;
        sel[j] = k === kNew ? 1 : 0;
        cum[j] = k >= kNew ? 1 : 0;
        const tie = op === 'ArgMax' ? (k < kNew ? 1 : 0) : k > kNew ? 1 : 0;
        gap[j] = sign * (mx - x[j]) - tie;
      }
      v.set('a#sel', sel);
      v.set('a#cum', cum);
      v.set('a#gap', gap);
      bump(v, 'a', row, kNew - vals.get('a')![row]);
    });
  }
});

test('Div by an activation (both signs, broadcast divisor): honest receipts verify; forgeries are rejected', () => {
  const z = [0.7, -0.9, 0.5, -0.6, 0.8, -1.0];
  for (const zd of [[1, 6], [1, 1]]) {
    const zs = zd[1] === 6 ? z : [-0.8];
    const h = opHarness(
      {
        inputs: [{ name: 'x', dims: [1, 6] }, { name: 'z', dims: zd }],
        outputs: ['y'],
        nodes: [node('Div', ['x', 'z'], ['q']), node('Flatten', ['q'], ['y'])],
      },
      [{ x: vec(6, 31), z: zs }],
    );
    hasKind(h, 'div');
    h.assertHonest();
    everyValueForged(h, 'q');
    const vals = honestValues(h);
    const D = h.model.layers.find((l) => l.kind === 'div')!;
    const den = (j: number) => Math.abs(vals.get('z')![zd[1] === 6 ? j : 0]) * (D.kind === 'div' ? D.div : 1);
    h.assertForgedRejected('quotient + 1', (v, ph) => w(ph) && bump(v, 'q', 0, 1));
    h.assertForgedRejected('quotient − 1, remainder compensated', (v, ph) => {
      if (!w(ph)) return;
      bump(v, 'q', 1, -1);
      bump(v, 'q#rem0', 1, 2 * den(1));
      bump(v, 'q#remc0', 1, -2 * den(1));
    });
    h.assertForgedRejected('remainder + 1', (v, ph) => w(ph) && bump(v, 'q#rem0', 2, 1));
    h.assertForgedRejected('complementary remainder − 1', (v, ph) => w(ph) && bump(v, 'q#remc0', 2, -1));
    h.assertForgedRejected('divisor sign flipped (quotient negated)', (v, ph) => {
      if (!w(ph)) return;
      bump(v, 'q#bsign', 0, vals.get('q#bsign')![0] === 1 ? -1 : 1);
      v.set('q', Int32Array.from(vals.get('q')!, (t, j) => (j === 0 || zd[1] === 1 ? -t : t)));
    });
    h.assertForgedRejected('|divisor| + 1', (v, ph) => w(ph) && bump(v, 'q#babs', 0, 1));
    h.assertForgedRejected('multiplicity + 1', (v, ph) => ph === 'multiplicities' && bump(v, '#mult0', 0, 1));
  }
});

test('Softmax (last axis, axis 0, one row): honest receipts verify; forgeries are rejected', () => {
  for (const [dims, attrs] of [[[2, 5], {}], [[3, 4], { axis: 0 }], [[1, 10], {}]] as const) {
    const n = dims[0] * dims[1];
    const h = opHarness(
      { inputs: [{ name: 'x', dims: [...dims] }], outputs: ['y'], nodes: [node('Softmax', ['x'], ['s'], attrs), node('Flatten', ['s'], ['y'])] },
      [{ x: vec(n, 41, 3) }, { x: vec(n, 42, 3) }],
    );
    hasKind(h, 'softmax');
    h.assertHonest();
    everyValueForged(h, 's');
    const vals = honestValues(h);
    const what = `Softmax ${JSON.stringify(attrs)}`;
    const S0 = vals.get('s#sum')![0];
    // row 0's entries, its selected (max) entry k and its smallest entry
    const row = (j: number) => ('axis' in attrs ? j % dims[1] : Math.floor(j / dims[1]));
    const x = vals.get('x')!;
    const row0 = Array.from({ length: n }, (_, j) => j).filter((j) => row(j) === 0);
    const k = row0.find((j) => vals.get('s#sel')![j] === 1)!;
    const other = row0.reduce((a, j) => (x[j] < x[a] ? j : a), row0[0]);
    assert.ok(x[other] < x[k]);
    h.assertForgedRejected(`${what}: output + 1`, (v, ph) => w(ph) && bump(v, 's', 0, 1));
    h.assertForgedRejected(`${what}: output + 1, remainder compensated`, (v, ph) => {
      if (!w(ph)) return;
      bump(v, 's', 0, 1);
      bump(v, 's#rem0', 0, -2 * S0);
      bump(v, 's#remc0', 0, 2 * S0);
    });
    h.assertForgedRejected(`${what}: remainder + 1`, (v, ph) => w(ph) && bump(v, 's#rem0', 1, 1));
    h.assertForgedRejected(`${what}: exp value + 1 (row sum kept consistent)`, (v, ph) => {
      if (!w(ph)) return;
      bump(v, 's#e', 0, 1);
      bump(v, 's#sum', 0, 1);
    });
    h.assertForgedRejected(`${what}: row sum + 1`, (v, ph) => w(ph) && bump(v, 's#sum', 0, 1));
    h.assertForgedRejected(`${what}: gap + 1`, (v, ph) => w(ph) && bump(v, 's#gap', 1, 1));
    h.assertForgedRejected(`${what}: row max + 1`, (v, ph) => w(ph) && bump(v, 's#max', 0, 1));
    h.assertForgedRejected(`${what}: selector on the row's smallest entry, max and gaps recomputed`, (v, ph) => {
      if (!w(ph)) return;
      const sel = Int32Array.from(vals.get('s#sel')!);
      sel[k] = 0;
      sel[other] = 1;
      v.set('s#sel', sel);
      const d = x[other] - x[k];
      v.set('s#max', Int32Array.from(vals.get('s#max')!, (m, r) => (r === 0 ? m + d : m)));
      const gap = Int32Array.from(vals.get('s#gap')!);
      for (let j = 0; j < gap.length; j++) if (row(j) === 0) gap[j] += d;
      v.set('s#gap', gap);
    });
    h.assertForgedRejected(`${what}: multiplicity + 1`, (v, ph) => ph === 'multiplicities' && bump(v, '#mult1', 0, 1));
  }
});

test('LogSoftmax: honest receipt verifies; forgeries of the shift, the normalisation and the tables are rejected', () => {
  const h = opHarness(
    { inputs: [{ name: 'x', dims: [3, 6] }], outputs: ['y'], nodes: [node('LogSoftmax', ['x'], ['s']), node('Flatten', ['s'], ['y'])] },
    [{ x: vec(18, 51, 2) }, { x: vec(18, 52, 2) }],
  );
  hasKind(h, 'softmax');
  h.assertHonest();
  everyValueForged(h, 's');
  const vals = honestValues(h);
  const L = h.model.layers.find((l) => l.kind === 'softmax')!;
  assert.ok(L.kind === 'softmax' && L.log);
  h.assertForgedRejected('output − 1', (v, ph) => w(ph) && bump(v, 's', 2, -1));
  h.assertForgedRejected('shifted difference + 1', (v, ph) => w(ph) && bump(v, 's#dq', 2, 1));
  h.assertForgedRejected('shift remainder + 1', (v, ph) => {
    if (!w(ph)) return;
    const r = h.tensors().find((t) => t.startsWith('s#dq#rem'));
    if (r) bump(v, r, 2, 1);
    else bump(v, 's#dq', 2, 1);
  });
  h.assertForgedRejected('mantissa + 1', (v, ph) => w(ph) && bump(v, 's#mant', 0, 1));
  h.assertForgedRejected('log value + 1, output compensated', (v, ph) => {
    if (!w(ph)) return;
    bump(v, 's#mantv', 0, 1);
    for (let k = 0; k < 6; k++) bump(v, 's', k, -1);
  });
  h.assertForgedRejected('normalisation remainder + 1', (v, ph) => w(ph) && bump(v, 's#nr0', 0, 1));
  h.assertForgedRejected('exponent one step up, mantissa halved, exponent-table row consistent', (v, ph) => {
    if (!w(ph) || L.kind !== 'softmax') return;
    // honest S = m·2^k + r with m ∈ [512, 1024); forge k + 1 with m' = floor(S / 2^(k+1)) < 512
    const S = vals.get('s#sum')![0];
    const k = vals.get('s#mant')![0] === 0 ? 0 : Math.round(Math.log2(vals.get('s#P')![0]));
    const P = 2 ** (k + 1);
    const m = Math.floor(S / P);
    const set = (name: string, val: number) => bump(v, name, 0, val - vals.get(name)![0]);
    set('s#nexp', vals.get('s#nexp')![0] + 1);
    set('s#P', P);
    set('s#nexpv0', L.kTable![k + 1 + 64]);
    set('s#mant', m);
    set('s#mantv', L.logTable![Math.max(0, m - 512)]);
    set('s#nr0', S - m * P);
    set('s#nrc0', P - 1 - (S - m * P));
  });
  h.assertForgedRejected('multiplicity + 1', (v, ph) => ph === 'multiplicities' && bump(v, '#mult2', 1, 1));
});

test('LayerNormalization and InstanceNormalization: honest receipts verify; forgeries are rejected', () => {
  const specs = [
    {
      what: 'LayerNormalization',
      inputs: [{ name: 'x', dims: [3, 8] }],
      nodes: [node('LayerNormalization', ['x', 'g', 'b'], ['t'], { axis: -1, epsilon: { float: 1e-5 } }), node('Flatten', ['t'], ['y'])],
      inits: [floatTensor('g', [8], vec(8, 61, 1).map((v) => 1 + v / 2)), floatTensor('b', [8], vec(8, 62, 0.3))],
      n: 24,
    },
    {
      what: 'InstanceNormalization',
      inputs: [{ name: 'x', dims: [1, 2, 3, 4] }],
      nodes: [node('InstanceNormalization', ['x', 'g', 'b'], ['t'], { epsilon: { float: 1e-3 } }), node('Flatten', ['t'], ['y'])],
      inits: [floatTensor('g', [2], [0.8, -1.2]), floatTensor('b', [2], [0.1, -0.2])],
      n: 24,
    },
  ];
  for (const sp of specs) {
    const h = opHarness({ inputs: sp.inputs, outputs: ['y'], nodes: sp.nodes, inits: sp.inits }, [{ x: vec(sp.n, 63, 2) }, { x: vec(sp.n, 64, 2) }]);
    hasKind(h, 'norm');
    h.assertHonest();
    if (sp.what === 'LayerNormalization') everyValueForged(h, 't'); // the same module: once is enough
    const vals = honestValues(h);
    const q = (name: string, i = 0) => vals.get(name)![i];
    const { what } = sp;
    h.assertForgedRejected(`${what}: output + 1`, (v, ph) => w(ph) && bump(v, 't', 3, 1));
    h.assertForgedRejected(`${what}: output − 1, remainder compensated`, (v, ph) => {
      if (!w(ph)) return;
      bump(v, 't', 3, -1);
      bump(v, 't#rem0', 3, q('t#nexpv2'));
    });
    h.assertForgedRejected(`${what}: final remainder + 1`, (v, ph) => w(ph) && bump(v, 't#rem0', 5, 1));
    h.assertForgedRejected(`${what}: mean + 1, differences recomputed`, (v, ph) => {
      if (!w(ph)) return;
      bump(v, 't#mean', 0, 1);
      for (let k = 0; k < 8; k++) bump(v, 't#d', k, -1);
    });
    h.assertForgedRejected(`${what}: difference + 1`, (v, ph) => w(ph) && bump(v, 't#d', 1, 1));
    h.assertForgedRejected(`${what}: row sum + 1`, (v, ph) => w(ph) && bump(v, 't#s', 0, 1));
    h.assertForgedRejected(`${what}: sum of squares + 1`, (v, ph) => w(ph) && bump(v, 't#ss', 0, 1));
    h.assertForgedRejected(`${what}: variance + 1`, (v, ph) => w(ph) && bump(v, 't#v0', 0, 1));
    h.assertForgedRejected(`${what}: clamp bit set`, (v, ph) => {
      if (!w(ph)) return;
      bump(v, 't#z', 0, 1);
      bump(v, 't#v', 0, 1);
    });
    h.assertForgedRejected(`${what}: mantissa + 1`, (v, ph) => w(ph) && bump(v, 't#mant', 1, 1));
    h.assertForgedRejected(`${what}: rsqrt value + 1`, (v, ph) => w(ph) && bump(v, 't#mantv', 1, 1));
    h.assertForgedRejected(`${what}: exponent-table value (divisor) doubled`, (v, ph) => w(ph) && bump(v, 't#nexpv2', 0, q('t#nexpv2')));
    h.assertForgedRejected(`${what}: normalisation remainder + 1`, (v, ph) => w(ph) && bump(v, 't#nr0', 0, 1));
    h.assertForgedRejected(`${what}: multiplicity + 1`, (v, ph) => ph === 'multiplicities' && bump(v, '#mult0', 0, 1));
  }
});

test('edge cases: a scalar ArgMax output, and PRelu slopes beyond int8 refused up front with a CircuitError', () => {
  const h = opHarness({ inputs: [{ name: 'x', dims: [6] }], outputs: ['y'], nodes: [node('ArgMax', ['x'], ['y'], { axis: 0, keepdims: 0 })] }, [{ x: [0.1, -0.4, 0.8, 0.3, 0.8, -0.9] }]);
  hasKind(h, 'argmax');
  h.assertHonest();
  h.assertForgedRejected('scalar index + 1 (witness only)', (v, ph) => w(ph) && bump(v, 'y#cum', 2, -1));
  assert.throws(
    () =>
      opHarness(
        { inputs: [{ name: 'x', dims: [1, 2, 2] }], outputs: ['y'], nodes: [node('PRelu', ['x', 's'], ['y'])], inits: [floatTensor('s', [2, 1], [200, 0.5])] },
        [{ x: [0.5, -0.5, 0.25, -0.25] }],
      ),
    (e: Error) => e.name === 'CircuitError' && /PRelu.*integer divisor/.test(e.message),
  );
});

test('LayerNormalization of a constant row: the V ≥ 1 clamp is proven, and skipping it is rejected', () => {
  const x = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, -1, 0.25, 0.75, 1.5, -0.5, 0.1];
  const h = opHarness(
    {
      inputs: [{ name: 'x', dims: [2, 6] }],
      outputs: ['y'],
      nodes: [node('LayerNormalization', ['x', 'g', 'b'], ['t'], { axis: -1, epsilon: { float: 1e-9 } }), node('Flatten', ['t'], ['y'])],
      inits: [floatTensor('g', [6], [1, 0.5, -1, 1, 1, 0.25]), floatTensor('b', [6], [0, 0.1, 0, -0.1, 0, 0])],
    },
    [{ x }],
  );
  hasKind(h, 'norm');
  const L = h.model.layers.find((l) => l.kind === 'norm')!;
  assert.ok(L.kind === 'norm' && L.epsQ === 0, 'test data: expected epsQ = 0');
  h.assertHonest();
  const vals = honestValues(h);
  assert.equal(vals.get('t#v0')![0], 0);
  assert.equal(vals.get('t#z')![0], 1);
  h.assertForgedRejected('clamp bit cleared (V = 0)', (v, ph) => {
    if (!w(ph)) return;
    bump(v, 't#z', 0, -1);
    bump(v, 't#v', 0, -1);
  });
  h.assertForgedRejected('clamp bit on a row with V0 > 0', (v, ph) => {
    if (!w(ph)) return;
    bump(v, 't#z', 1, 1);
    bump(v, 't#v', 1, 1);
  });
});
