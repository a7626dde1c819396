/**
 * The parameter range proof: every entry of the committed parameter vector f lies in [−128, 127]
 * (PROTOCOL-NOTES §7: "weights once at model commit"), which every no-wrap bound relies on.
 * One LogUp-GKR lookup of the column f + 128 into the range table [0, 2^8), with its own
 * transcript seeded by the parameter commitment; the 256 multiplicities are sent in the clear and
 * absorbed before α, β. It is computed once by `commitModel`, carried in every receipt, and
 * re-verified by the verifier, which receives one claim f~(x*) = v − 128 to settle in the same
 * batch opening as the receipt's other parameter claims.
 */
import { ext, extSub } from '../field/extension.js';
import type { EvalClaim } from '../pcs/batch.js';
import { computeMultiplicities, drawLookupChallenges, proveLookups, readLookupProof, verifyLookups, writeLookupProof, type LookupProof, type LookupStatement } from '../piop/lookup/logup.js';
import { evaluateBase } from '../poly/multilinear.js';
import { rangeTable } from '../piop/lookup/tables.js';
import { Transcript } from '../transcript/transcript.js';
import { ByteReader, ByteWriter } from '../util/bytes.js';
import { Rejected } from './protocol.js';

const LABEL = 'zkinfer/param-range/v1';

function statement(numVars: number): LookupStatement {
  return { table: rangeTable(8), numLookups: 1, logLen: numVars };
}

function transcript(commitment: Uint8Array, m: Uint32Array): Transcript {
  const tr = new Transcript(LABEL);
  tr.absorbBytes('param/commitment', commitment);
  tr.absorbBase('param/multiplicities', m);
  return tr;
}

/** Proves the range of `values` (canonical field elements of int8 parameters); returns proof bytes. */
export function proveParamRange(commitment: Uint8Array, values: Uint32Array): Uint8Array {
  const n = Math.log2(values.length);
  const col = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] + 128;
    col[i] = v >= 2013265921 ? v - 2013265921 : v;
  }
  const table = rangeTable(8);
  const m = computeMultiplicities(table, [[col]]);
  const tr = transcript(commitment, m);
  const ch = drawLookupChallenges(tr, [statement(n)], 'range');
  const { proof } = proveLookups(tr, ch, [{ table, lookups: [[col]], multiplicities: m }], 'range');
  const w = new ByteWriter();
  w.words(m);
  writeLookupProof(w, proof);
  return w.finish();
}

/** Verifies the range proof; returns the claim on the parameter vector, or throws Rejected. */
export function verifyParamRange(commitment: Uint8Array, numVars: number, bytes: Uint8Array): EvalClaim {
  const r = new ByteReader(bytes);
  const m = r.words(256, 'parameter range multiplicities');
  const st = statement(numVars);
  const proof: LookupProof = readLookupProof(r, [st]);
  r.end('parameter range proof');
  const tr = transcript(commitment, m);
  const ch = drawLookupChallenges(tr, [st], 'range');
  const res = verifyLookups(tr, ch, [st], proof, 'range');
  if (!res.ok) throw new Rejected('ParamRangeRejected', `parameter range proof: ${res.error.message}`);
  const cl = res.claims[0];
  const mv = evaluateBase(m, cl.multiplicities.point);
  if (mv.some((x, i) => x !== cl.multiplicities.value[i])) throw new Rejected('ParamRangeRejected', 'parameter range proof: multiplicity evaluation does not match the multiplicities');
  const col = cl.columns[0][0];
  return { point: col.point, value: extSub(col.value, ext(128)) };
}
