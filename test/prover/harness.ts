/**
 * Soundness-test harness for receipts: build a tiny ONNX model in code, compile and commit it,
 * prove honestly, and prove with a forged witness (the honest prover's checks turned off through
 * `ProveOptions.tamper`). Every per-op test file uses it the same way:
 *
 *   const h = opHarness(spec, inputs);           // compile + commit once
 *   h.assertHonest();                              // the honest receipt verifies
 *   h.assertForgedRejected('y+1', (v) => bump(v, 'y', 0, 1));   // a forged witness is rejected
 */
import assert from 'node:assert/strict';
import { buildModel, type ModelSpec } from '../../src/model/onnx-writer.js';
import { compileOnnx, type CompileOptions } from '../../src/quantize/compile.js';
import { commitModel, type CommittedModel } from '../../src/prover/commit.js';
import { prove, type ProveOptions } from '../../src/prover/prove.js';
import { verifyReceipt } from '../../src/verifier/verify.js';
import type { QuantizedModel } from '../../src/quantize/layers.js';
import { receiptJson } from '../../src/verifier/json.js';
import { decodeReceipt } from '../../src/verifier/receipt.js';
import { assertReplayMatchesVerifier } from '../support/live-replay.js';

export interface OpHarness {
  cm: CommittedModel;
  /** the same model committed for zero-knowledge receipts (made on first use) */
  zkModel(): CommittedModel;
  model: QuantizedModel;
  input: Record<string, number[]>;
  /**
   * proves honestly and asserts the receipt verifies, reports ≥ 100 composed security bits, and
   * that the security dry replay lists exactly the challenges its verification meets; returns it
   */
  assertHonest(): Uint8Array;
  /** proves with `tamper` applied and asserts the verifier rejects, in clear and in zero-knowledge receipts */
  assertForgedRejected(what: string, tamper: NonNullable<ProveOptions['tamper']>): void;
  /** names of the layer outputs and auxiliary tensors of the circuit, for tampering */
  tensors(): string[];
}

export function opHarness(spec: ModelSpec | Uint8Array, inputs: Record<string, number[]>[], opts: CompileOptions = {}): OpHarness {
  const bytes = spec instanceof Uint8Array ? spec : buildModel(spec);
  const { model } = compileOnnx(bytes, inputs, opts);
  const cm = commitModel(model);
  const input = inputs[0];
  let zcm: CommittedModel | undefined;
  const zkModel = (): CommittedModel => (zcm ??= commitModel(model, { zk: { openings: 1 } }));
  return {
    cm,
    zkModel,
    model,
    input,
    assertHonest() {
      const { receipt } = prove(cm, input);
      const v = verifyReceipt(receipt, cm.modelId, input);
      assert.ok(v.ok, v.ok ? '' : `honest receipt rejected: ${v.error.kind}: ${v.error.message}`);
      assertSecure(receipt);
      const z = zkModel();
      const zr = proveZkForTest(z, input).receipt;
      const zv = verifyReceipt(zr, z.modelId, input);
      assert.ok(zv.ok, zv.ok ? '' : `honest zero-knowledge receipt rejected: ${zv.error.kind}: ${zv.error.message}`);
      assert.deepEqual(zv.outputs.map((o) => Array.from(o.q)), v.outputs.map((o) => Array.from(o.q)));
      return receipt;
    },
    assertForgedRejected(what, tamper) {
      for (const m of [cm, zkModel()]) forgedRejected(m, input, what, tamper);
    },
    tensors() {
      return [...cm.circuit.tensors.values()].filter((t) => t.role === 'witness' || t.role === 'output').map((t) => t.name);
    },
  };
}

/**
 * Proves a receipt of a zero-knowledge model. The harness proves many receipts of one parameter
 * commitment, far beyond its opening budget (docs/zero-knowledge.md §4): these tests check
 * soundness, not hiding, so the budget's counter is reset first.
 */
export function proveZkForTest(cm: CommittedModel, input: Record<string, number[]>, opts: ProveOptions = {}) {
  cm.zk!.data.revealed.clear();
  return prove(cm, input, opts);
}

function forgedRejected(cm: CommittedModel, input: Record<string, number[]>, what: string, tamper: NonNullable<ProveOptions['tamper']>): void {
  let touched = false;
  const run = cm.zk ? proveZkForTest : prove;
  const { receipt } = run(cm, input, {
    tamper: (vals, phase) => {
      const before = new Map([...vals].map(([k, v]) => [k, Array.from(v)]));
      tamper(vals, phase);
      for (const [k, v] of vals) {
        const b = before.get(k);
        if (!b || b.length !== v.length || b.some((x, i) => x !== v[i])) touched = true;
      }
    },
  });
  assert.ok(touched, `forgery '${what}' did not change the witness (the test would prove nothing)`);
  const v = verifyReceipt(receipt, cm.modelId, input);
  assert.equal(v.ok, false, `forged witness '${what}' was ACCEPTED${cm.zk ? ' in a zero-knowledge receipt' : ''} — an under-constrained relation`);
}

/** The receipt reports ≥ 100 composed bits, and the security replay matches its real verification. */
export function assertSecure(receipt: Uint8Array): void {
  const bits = receiptJson(decodeReceipt(receipt)).securityBits as number;
  assert.ok(bits >= 100, `receipt reports ${bits} composed security bits`);
  assertReplayMatchesVerifier(receipt);
}

/** Returns a copy of tensor `name` in `vals` with entry `i` increased by `delta` (installs it). */
export function bump(vals: Map<string, ArrayLike<number>>, name: string, i: number, delta: number): void {
  const v = vals.get(name);
  if (!v) throw new Error(`no tensor '${name}' to tamper (have: ${[...vals.keys()].join(', ')})`);
  const c = Int32Array.from(v);
  c[i] += delta;
  vals.set(name, c);
}

/** A deterministic uniform stream in [−0.5, 0.5) (LCG), for model weights and inputs. */
export function rnd(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/** n values uniform in [−scale, scale). */
export function vec(n: number, seed: number, scale = 1): number[] {
  const r = rnd(seed);
  return Array.from({ length: n }, () => r() * 2 * scale);
}

export type Vals = Map<string, ArrayLike<number>>;

/**
 * A forged witness (applied in the 'witness' phase) is rejected, and by the check whose message
 * matches `where` (a layer's name, or 'lookups'), so the test pins which relation catches it.
 */
export function rejectedBy(h: Pick<OpHarness, 'cm' | 'input'> & Partial<Pick<OpHarness, 'zkModel'>>, what: string, where: RegExp, tamper: (v: Vals) => void): void {
  let touched = false;
  const { receipt } = prove(h.cm, h.input, {
    tamper: (vals, phase) => {
      if (phase !== 'witness') return;
      tamper(vals);
      touched = true;
    },
  });
  assert.ok(touched, `forgery '${what}' was never applied`);
  const v = verifyReceipt(receipt, h.cm.modelId, h.input);
  assert.equal(v.ok, false, `forged witness '${what}' was ACCEPTED — an under-constrained relation`);
  if (!v.ok) assert.match(v.error.message, where, `forged witness '${what}' was rejected for another reason: ${v.error.kind}: ${v.error.message}`);
  // a zero-knowledge receipt cannot say which relation failed (every check is one constraint system)
  if (h.zkModel) forgedRejected(h.zkModel(), h.input, what, (vals, phase) => phase === 'witness' && tamper(vals));
}
