/**
 * A trivial PCS that "opens" by revealing the whole vector: the commitment is the SHA-256 of
 * the vector, the proof is the vector, the verifier rehashes and evaluates. Binding (SHA-256)
 * but neither succinct nor hiding — it exists to keep protocol tests fast (STYLE §2) and to
 * run the shared PCS test suite against a second implementation.
 */
import { P } from '../field/babybear.js';
import { type Ext, extEquals } from '../field/extension.js';
import { sha256 } from '../hash/sha256.js';
import { evaluateBase, isCanonicalPoint, log2Exact, numVarsOf, type Point } from '../poly/multilinear.js';
import type { Transcript } from '../transcript/transcript.js';
import { ByteReader, ByteWriter, bytesEqual, DecodeError } from '../util/bytes.js';
import { fail, OK, type VerifyResult } from '../util/result.js';
import type { MultilinearPcs } from './types.js';

export interface ClearCommitment {
  numVars: number;
  digest: Uint8Array;
}

function digestOf(values: Uint32Array): Uint8Array {
  return sha256(new Uint8Array(Uint32Array.from(values).buffer));
}

export class ClearPcs implements MultilinearPcs<ClearCommitment, Uint32Array, Uint32Array> {
  readonly name = 'clear';

  commit(values: Uint32Array) {
    const numVars = log2Exact(values.length, 'commit');
    for (let i = 0; i < values.length; i++) if (values[i] >= P) throw new RangeError(`commit: element ${i} is not canonical`);
    return { commitment: { numVars, digest: digestOf(values) }, data: values.slice() };
  }

  committedValues(data: Uint32Array): Uint32Array {
    return data;
  }

  numVars(c: ClearCommitment): number {
    return c.numVars;
  }

  commitmentBytes(c: ClearCommitment): Uint8Array {
    return new ByteWriter(33).u8(c.numVars).bytes(c.digest).finish();
  }

  readCommitment(r: ByteReader): ClearCommitment {
    const numVars = r.u8('numVars');
    if (numVars > 24) throw new DecodeError(`clear commitment: at most 24 variables, got ${numVars}`);
    return { numVars, digest: r.bytes(32, 'digest') };
  }

  open(data: Uint32Array, point: Point, tr: Transcript) {
    const value = evaluateBase(data, point);
    tr.absorbBytes('pcs/root', digestOf(data));
    tr.absorbExt('pcs/point', point);
    tr.absorbExt('pcs/value', value);
    return { value, proof: data.slice() };
  }

  verify(c: ClearCommitment, point: Point, value: Ext, proof: Uint32Array, tr: Transcript): VerifyResult {
    if (!(proof instanceof Uint32Array) || proof.length !== 2 ** c.numVars) return fail('BadLength', `expected ${2 ** c.numVars} elements`);
    if (numVarsOf(point) !== c.numVars || !isCanonicalPoint(point)) return fail('BadPoint', `expected a point with ${c.numVars} variables`);
    for (let i = 0; i < proof.length; i++) if (proof[i] >= P) return fail('NonCanonical', `element ${i} is not canonical`);
    if (!bytesEqual(digestOf(proof), c.digest)) return fail('CommitmentMismatch', 'revealed vector does not match the commitment');
    tr.absorbBytes('pcs/root', c.digest);
    tr.absorbExt('pcs/point', point);
    tr.absorbExt('pcs/value', value);
    if (!extEquals(evaluateBase(proof, point), value)) return fail('EvaluationMismatch', 'f~(z) differs from the claim');
    return OK;
  }

  writeProof(w: ByteWriter, proof: Uint32Array): void {
    w.wordVec(proof);
  }

  readProof(r: ByteReader, c: ClearCommitment): Uint32Array {
    const n = 2 ** c.numVars;
    const len = r.u32In(n, n, 'clear proof length');
    return r.words(len, 'clear proof');
  }
}
