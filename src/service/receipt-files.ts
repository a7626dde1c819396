/**
 * Receipt files of the prover node's job store: `<data-dir>/receipts/<job ID>.<tag>.zkr`.
 *
 * Receipts are the bulk of what a node stores (hundreds of kilobytes each, against a few hundred
 * bytes of job row). They live in files rather than SQLite BLOBs so that writing them (and the
 * fsync that makes them durable) happens in the proving or verifying thread that produced them,
 * never on the HTTP event loop: as BLOBs, every few receipts SQLite's WAL checkpoint copied
 * megabytes on the event loop and held it for 10–20 ms (`npm run bench:serve`). The job row
 * names its file and length; a file is written completely before its row says `done`, so a
 * crash between the two leaves an unreferenced file, which the next start-up deletes.
 *
 * Each proving attempt gets its own file name (a random tag), so a late duplicate result can
 * never overwrite the receipt of a finished job.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** A receipt already written to its file by a proving or verifying thread. */
export interface StoredReceipt {
  file: string;
  bytes: number;
}

export const RECEIPT_FILE = /^[0-9a-f-]{36}\.[0-9a-f]{8}\.zkr$/;

/** A fresh file name for a receipt of job `id` (a UUID) in `dir`. */
export function receiptFileFor(dir: string, id: string): string {
  const name = `${id}.${randomBytes(4).toString('hex')}.zkr`;
  if (!RECEIPT_FILE.test(name)) throw new Error(`not a job ID: '${id.slice(0, 64)}'`);
  return path.join(dir, name);
}

/**
 * Writes `bytes` to `file` durably: a temporary file, fsync, rename, fsync of the directory.
 * Either the whole receipt is at `file` afterwards or nothing is.
 */
export function writeReceiptFile(file: string, bytes: Uint8Array): StoredReceipt {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o644);
  try {
    for (let off = 0; off < bytes.length; ) off += fs.writeSync(fd, bytes, off, bytes.length - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  if (process.platform !== 'win32') {
    const dfd = fs.openSync(path.dirname(file), 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  }
  return { file, bytes: bytes.length };
}
