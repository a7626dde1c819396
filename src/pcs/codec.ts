/**
 * Standalone (de)serialization of single PCS openings: a 4-byte magic, then the PCS's own
 * proof encoding. Decoding never throws: malformed, truncated or trailing bytes come back as
 * an error value.
 */
import { ByteReader, ByteWriter, DecodeError } from '../util/bytes.js';
import { fail, type Result } from '../util/result.js';
import type { MultilinearPcs } from './types.js';

const MAGIC = Uint8Array.of(0x7a, 0x6b, 0x6f, 0x70); // "zkop"

export function serializeOpening<C, D, Pf>(pcs: MultilinearPcs<C, D, Pf>, proof: Pf): Uint8Array {
  const w = new ByteWriter(1 << 16);
  w.bytes(MAGIC);
  pcs.writeProof(w, proof);
  return w.finish();
}

export function deserializeOpening<C, D, Pf>(pcs: MultilinearPcs<C, D, Pf>, bytes: Uint8Array, commitment: C): Result<Pf> {
  try {
    if (!(bytes instanceof Uint8Array)) return fail('DecodeError', 'expected bytes');
    const r = new ByteReader(bytes);
    const magic = r.bytes(4, 'magic');
    if (magic.some((b, i) => b !== MAGIC[i])) return fail('DecodeError', 'not a zkinfer opening proof (bad magic)');
    const proof = pcs.readProof(r, commitment);
    r.end('opening proof');
    return { ok: true, value: proof };
  } catch (e) {
    if (e instanceof DecodeError || e instanceof RangeError) return fail('DecodeError', e.message);
    return fail('DecodeError', `malformed opening proof: ${(e as Error).message}`);
  }
}
