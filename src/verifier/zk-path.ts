/**
 * The renewal path of a version-5 zero-knowledge receipt (docs/zero-knowledge.md §4, §7): the
 * links from the model ID's parameter commitment (the root) to the commitment the receipt's
 * Ligero proof opens. Each link is a child commitment and a renewal proof against the commitment
 * before it (`pcs/zk-renew.ts`: the child commits the same vector, with the parent's parameters and
 * a different root). By induction every commitment of the path holds the root's vector, so a proof
 * against the last one is a proof about the weights the model ID names; a receipt at depth D is
 * sound only if all D links are, which `./zk-security.ts` charges as D·ε_link.
 *
 * Cache. A link's validity depends on (parent, child, proof) alone, never on the receipt, and many
 * receipts share their path's links; so a verified link is remembered under SHA-256(domain ‖
 * parent ‖ child ‖ proof) — the two commitments in their canonical fixed-length encoding
 * (`zkCommitmentBytes`), so the triple is unambiguous — in a bounded map (oldest first out). Only
 * successes are cached, and the key holds all three: a cached link can make no other parent, child
 * or proof pass.
 */
import { sha256 } from '../hash/sha256.js';
import { readZkCommitment, zkCommitmentBytes, type ZkLigeroCommitment } from '../pcs/zk-ligero.js';
import { verifyZkRenewal } from '../pcs/zk-renew.js';
import { ByteReader, DecodeError, toHex } from '../util/bytes.js';
import { fail, type Result } from '../util/result.js';
import type { ReceiptRenewal } from './receipt.js';

/** The most verified links kept (a link is ~3 MB of proof for mlp-4m; only its 32-byte key is kept). */
export const RENEWAL_CACHE_SIZE = 1024;

const DOMAIN = new TextEncoder().encode('zkinfer/renewal-link-cache/v1');
const VERIFIED = new Set<string>();
const stats = { checked: 0, cached: 0 };

function linkKey(parent: ZkLigeroCommitment, child: ZkLigeroCommitment, proof: Uint8Array): string {
  return toHex(sha256(DOMAIN, zkCommitmentBytes(parent), zkCommitmentBytes(child), proof));
}

/** Links verified in full and links accepted from the cache since the process started (or `clearRenewalCache`). */
export function renewalCacheStats(): { checked: number; cached: number; size: number } {
  return { ...stats, size: VERIFIED.size };
}

/** Forgets every verified link (tests and benchmarks: the next verification pays each link again). */
export function clearRenewalCache(): void {
  VERIFIED.clear();
  stats.checked = 0;
  stats.cached = 0;
}

/**
 * Checks the path from `root` link by link and returns the commitment the receipt's proof must
 * open (`root` itself for an empty path); each link must give `minBits` on its own
 * (`verifyZkRenewal`'s default, 103, unless given; the receipt's composed bound charges D·ε_link
 * besides). Never throws: malformed bytes and failed links come back as errors naming the link.
 */
export function verifyRenewalPath(root: ZkLigeroCommitment, links: readonly ReceiptRenewal[], minBits?: number): Result<ZkLigeroCommitment> {
  let parent = root;
  for (let i = 0; i < links.length; i++) {
    const where = `renewal link ${i + 1} of ${links.length}`;
    let child: ZkLigeroCommitment;
    try {
      const r = new ByteReader(links[i].child);
      child = readZkCommitment(r);
      r.end('child commitment');
    } catch (e) {
      if (e instanceof DecodeError) return fail('MalformedReceipt', `${where}: ${e.message}`);
      throw e;
    }
    const key = `${minBits ?? 'default'}:${linkKey(parent, child, links[i].proof)}`;
    if (VERIFIED.has(key)) stats.cached++;
    else {
      const res = verifyZkRenewal(parent, child, links[i].proof, { minBits });
      if (!res.ok) return fail(res.error.kind, `${where}: ${res.error.message}`, { link: i + 1 });
      stats.checked++;
      if (VERIFIED.size >= RENEWAL_CACHE_SIZE) VERIFIED.delete(VERIFIED.values().next().value!);
      VERIFIED.add(key);
    }
    parent = child;
  }
  return { ok: true, value: parent };
}
