/**
 * The challenges a real verification of a receipt draws, layer by layer, in the shape of the
 * security dry replay (`src/circuit/security-replay.ts`), so tests can check that the replay —
 * which runs the layer verifiers on placeholder values — enumerates exactly what the verifier
 * meets on real proof bytes: every sumcheck (label, rounds, degree), every drawn point and
 * batching challenge (label, count) and every claim.
 *
 * It repeats `verifyReceipt`'s steps up to the layers (preamble, lookups) with a session that
 * reads and checks the proof like the verifier's, and records around the transcript.
 */
import assert from 'node:assert/strict';
import { buildCircuit, lookupStatements, type Circuit } from '../../src/circuit/circuit.js';
import { decodeDescription } from '../../src/circuit/description.js';
import { clearEqual, clearFinalCheck, Rejected, type VerifierContext } from '../../src/circuit/protocol.js';
import { clear, extsOf, type Val } from '../../src/circuit/values.js';
import { receiptTranscript } from '../../src/circuit/session.js';
import { replayLayers, type LayerChallenges } from '../../src/circuit/security-replay.js';
import type { Ext } from '../../src/field/extension.js';
import { drawLookupChallenges, readLookupProof, verifyLookups } from '../../src/piop/lookup/logup.js';
import { readSumcheckProof, verifySumcheck } from '../../src/piop/sumcheck.js';
import type { Point } from '../../src/poly/multilinear.js';
import type { Transcript } from '../../src/transcript/transcript.js';
import { ByteReader } from '../../src/util/bytes.js';
import { decodeReceipt } from '../../src/verifier/receipt.js';

interface Live {
  layers: { layer: string; sumchecks: LayerChallenges['sumchecks']; draws: { label: string; count: number }[] }[];
  claims: string[];
}

function liveChallenges(receipt: Uint8Array): { circuit: Circuit; live: Live } {
  const rc = decodeReceipt(receipt);
  const c = buildCircuit(decodeDescription(rc.description));
  const publics = new Map<string, Int32Array>([...rc.inputs, ...rc.outputs].map((p) => [p.name, p.values]));
  const real = receiptTranscript(rc.modelId, rc.pcs, rc.context, rc.inputs, rc.outputs, rc.witnessCommitment);
  const r = new ByteReader(rc.proof);
  const statements = lookupStatements(c);
  const ch = drawLookupChallenges(real, statements);
  const lk = verifyLookups(real, ch, statements, readLookupProof(r, statements));
  assert.ok(lk.ok, 'lookups of an honest receipt verify');
  const live: Live = { layers: [], claims: [] };
  let cur: Live['layers'][number] | null = null;
  // drawPoint / drawCombiner reach the transcript through ctx.tr: record those squeezes
  const tr = new Proxy(real, {
    get(t, k) {
      const v = (t as unknown as Record<string | symbol, unknown>)[k];
      if (k === 'challengeExts') return (label: string, n: number) => (cur!.draws.push({ label, count: n }), t.challengeExts(label, n));
      if (k === 'challengeExt') return (label: string) => (cur!.draws.push({ label, count: 1 }), t.challengeExt(label));
      if (k === 'challengeIndices' || k === 'challengeBase' || k === 'challengeBases') return () => assert.fail(`layer drew '${String(k)}'`);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  }) as Transcript;
  const s: VerifierContext = {
    role: 'verifier',
    tr,
    layout: (t) => c.tensors.get(t)!.layout,
    range: (t) => ({ lo: c.tensors.get(t)!.lo, hi: c.tensors.get(t)!.hi }),
    isParam: (t) => c.tensors.get(t)?.role === 'param',
    publicValues: (t) => publics.get(t),
    recv(label: string, count: number) {
      const v = r.words(4 * count, label);
      real.absorbExt(label, v);
      return extsOf(v);
    },
    sumcheck(numVars: number, degree: number, claimedSum: Val, label: string): { point: Point; finalClaim: Ext } {
      cur!.sumchecks.push({ label, numVars, degree });
      const res = verifySumcheck(real, { numVars, degree, claimedSum: clear(claimedSum) }, readSumcheckProof(r, numVars, degree), label);
      if (!res.ok) throw new Rejected(res.error.kind, res.error.message);
      return { point: res.point, finalClaim: res.finalClaim };
    },
    claim(tensor: string) {
      live.claims.push(tensor);
    },
    equal(a, b, kind, message) {
      clearEqual(s, a, b, kind, message);
    },
    finalCheck(_label, claim, terms, evals, kind, message) {
      clearFinalCheck(s, claim, terms, evals, kind, message);
    },
  };
  for (const cl of c.layers) {
    cur = { layer: cl.layer.name, sumchecks: [], draws: [] };
    cl.protocol.verify(cl.layer, cl.plan, s);
    live.layers.push(cur);
  }
  return { circuit: c, live };
}

/**
 * Asserts that the dry replay of the receipt's circuit lists exactly the sumchecks, draws and
 * claims a real verification of `receipt` meets (lookup claims excluded: both sides add them the
 * same way, from the circuit).
 */
export function assertReplayMatchesVerifier(receipt: Uint8Array): void {
  const { circuit, live } = liveChallenges(receipt);
  const dry = replayLayers(circuit);
  assert.equal(dry.layers.length, live.layers.length);
  dry.layers.forEach((d, i) => {
    const l = live.layers[i];
    assert.equal(d.layer, l.layer);
    assert.deepEqual(d.sumchecks, l.sumchecks, `layer '${l.layer}': sumchecks`);
    const drawn = [...d.points.map((p) => ({ label: p.label, count: p.numVars })), ...d.combiners.map((x) => ({ label: x.label, count: 1 }))];
    const key = (x: { label: string; count: number }) => `${x.label}×${x.count}`;
    assert.deepEqual(drawn.map(key).sort(), l.draws.map(key).sort(), `layer '${l.layer}': drawn challenges`);
  });
  assert.deepEqual(dry.claims, live.claims, 'claims');
}
