/**
 * The layer part of a zero-knowledge receipt, end to end below the Ligero proof: every layer
 * proven through the padded prover session and verified through the padded verifier session,
 * the claims settled, and the whole statement — `checkConstraints` on the committed vectors —
 * holding for an honest witness and failing for forged ones (the soundness of each layer's
 * relation carried over to its constraints). The dry-run layout must agree with both sessions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatedModel } from '../../src/model/generated.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import { commitModel, type CommittedModel } from '../../src/prover/commit.js';
import { buildWitness, type ProveOptions } from '../../src/prover/prove.js';
import { ZkProverSession } from '../../src/prover/session.js';
import { PadAllocator, fillProducts } from '../../src/circuit/zk-pads.js';
import { fillUniform } from '../../src/piop/zk-affine.js';
import { checkConstraints, type ConstraintSystem } from '../../src/pcs/constraints.js';
import { Transcript } from '../../src/transcript/transcript.js';
import { ByteReader, ByteWriter } from '../../src/util/bytes.js';
import { linkConstraints, proverZkLinks, settleZkClaims, zkLayersLayout } from '../../src/verifier/zk-layers.js';
import { readerSource, ZkVerifierSession } from '../../src/verifier/zk-session.js';
import { bump } from './harness.js';
import { Rng } from '../support/random.js';
import { seededWords } from '../support/zk.js';

interface Run {
  system: ConstraintSystem;
  /** witness vector (pads included) ‖ gap ‖ parameter vector, as the constraints address them */
  vector: Uint32Array;
  proof: Uint8Array;
}

function zkLayers(cm: CommittedModel, input: Record<string, number[]>, tamper?: ProveOptions['tamper'], seed = 1, mutate?: (proof: Uint8Array) => void): Run {
  const c = cm.circuit;
  const base = 2 ** c.witness.numVars;
  const layout = zkLayersLayout(c, base);
  const wit = buildWitness(cm, input, tamper, undefined, layout.end - base);
  fillUniform(wit.wvec, base, layout.end, seededWords(new Rng(seed)));
  fillProducts(wit.wvec, layout.fills);

  const bw = new ByteWriter(1 << 16);
  const pads = new PadAllocator(base);
  const ps = new ZkProverSession(new Transcript('zk-layers-test'), bw, c, { vals: wit.vals, params: cm.params, paramVector: cm.paramData!.values }, wit.wvec, pads);
  ps.unchecked = wit.unchecked;
  for (const cl of c.layers) cl.protocol.prove(cl.layer, cl.plan, ps);
  proverZkLinks(ps, c, cm.params);
  assert.equal(pads.end, layout.end, 'the prover used the pads the dry-run layout gave');
  const proof = bw.finish();
  mutate?.(proof);

  const publics = new Map<string, Int32Array>();
  for (const i of cm.model.inputs) publics.set(i.name, Int32Array.from(wit.run.trace.get(i.name)!));
  for (const o of wit.run.outputs) publics.set(o.name, Int32Array.from(o.q));
  const r = new ByteReader(proof);
  const vs = new ZkVerifierSession(new Transcript('zk-layers-test'), readerSource(r), c, publics, new PadAllocator(base));
  for (const cl of c.layers) cl.protocol.verify(cl.layer, cl.plan, vs);
  const links = settleZkClaims(vs, c);
  r.end('proof');
  assert.equal(vs.pads.end, layout.end, 'the verifier used the pads the dry-run layout gave');
  assert.deepEqual(vs.fills, layout.fills);

  const pSize = 2 ** c.params.numVars;
  const paramBase = Math.ceil(layout.end / pSize) * pSize;
  const vector = new Uint32Array(paramBase + pSize);
  vector.set(wit.wvec);
  vector.set(cm.paramData!.values.subarray(0, pSize), paramBase);
  vs.system.tensor.push(...linkConstraints(links, paramBase));
  return { system: vs.system, vector, proof };
}

for (const name of ['mlp-tiny', 'cnn-tiny'] as const) {
  test(`zk layers (${name}): the honest witness satisfies every constraint; forged ones do not`, () => {
    const g = generatedModel(name);
    const { model } = compileOnnx(g.onnx, g.inputs);
    const cm = commitModel(model);
    const input = g.inputs[0];
    const honest = zkLayers(cm, input);
    assert.ok(honest.system.linear.length > 0 && honest.system.tensor.length > 0 && honest.system.hadamard.length > 0);
    assert.equal(checkConstraints(honest.vector, honest.system), null);

    // different pads, same statement: the proof bytes change (nothing in them is the clear value)
    const other = zkLayers(cm, input, undefined, 2);
    assert.notDeepEqual(other.proof, honest.proof);
    assert.equal(checkConstraints(other.vector, other.system), null);

    // every layer output bumped in turn (the honest prover's checks off): some constraint fails
    const outputs = cm.circuit.layers.map((l) => l.layer.output).filter((t) => cm.circuit.tensors.get(t)!.role === 'witness');
    assert.ok(outputs.length > 0);
    for (const t of outputs) {
      const forged = zkLayers(cm, input, (v, phase) => phase === 'witness' && bump(v, t, 0, 1));
      assert.notEqual(checkConstraints(forged.vector, forged.system), null, `a forged '${t}' satisfied the layer constraints`);
    }
    // one proof word changed (a padded value, or a length: then a decode error): rejected either way
    const words = honest.proof.length / 4;
    let padded = 0;
    for (let k = 0; k < words; k += Math.max(1, Math.floor(words / 40))) {
      let forged: Run;
      try {
        forged = zkLayers(cm, input, undefined, 1, (p) => void (p[4 * k] ^= 2));
      } catch (e) {
        assert.equal((e as Error).name, 'DecodeError', `word ${k}: ${(e as Error).message}`);
        continue;
      }
      padded++;
      assert.notEqual(checkConstraints(forged.vector, forged.system), null, `a changed proof word ${k} satisfied the layer constraints`);
    }
    assert.ok(padded >= 20, `only ${padded} padded words were tried`);
  });
}
