/**
 * Test harness for the zero-knowledge LogUp: the committed vector w holding each instance's
 * columns and multiplicities as aligned segments (each at a multiple of its length), then the
 * pads of every GKR (both draws' where a statement takes two), so that a verifier's claims can be
 * linked to their segments and `checkConstraints(w, system)` is the whole statement.
 */
import { fillZkLookupPads, statementOf, zkLookupAt, zkLookupLayout, type LookupStatement, type LookupWitness, type ZkLookupAt } from '../../src/piop/lookup/index.js';
import type { WordSource } from '../../src/piop/zk-affine.js';
import { Rng } from './random.js';
import { seededWords } from './zk.js';

/** Where each committed vector lies in w: seg.columns[k][j][i], seg.m[k]; the pads after them. */
export interface CommittedLookups {
  w: Uint32Array;
  at: ZkLookupAt;
  seg: { columns: number[][][]; m: number[] };
}

export function commitLookups(ws: LookupWitness[], sts: LookupStatement[] = ws.map(statementOf), words: WordSource = seededWords(new Rng(99))): CommittedLookups {
  let off = 0;
  const place = (len: number) => {
    off = Math.ceil(off / len) * len;
    const o = off;
    off += len;
    return o;
  };
  const seg = { columns: ws.map((x) => x.lookups.map((cols) => cols.map((c) => place(c.length)))), m: ws.map((x) => place(x.multiplicities.length)) };
  const layout = zkLookupLayout(sts);
  const at = zkLookupAt(layout, off);
  const w = new Uint32Array(off + layout.size);
  ws.forEach((x, k) => {
    x.lookups.forEach((cols, j) => cols.forEach((c, i) => w.set(c, seg.columns[k][j][i])));
    w.set(x.multiplicities, seg.m[k]);
  });
  fillZkLookupPads(w, at, words);
  return { w, at, seg };
}
