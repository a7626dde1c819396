/**
 * Receipt files of the prover node's job store: `<data-dir>/receipts/<job ID>.<tag>.zkr`.
 *
 * Receipts are the bulk of what a node stores (hundreds of kilobytes each, against a few hundred
 * bytes of job row). They live in files rather than SQLite BLOBs so that the HTTP event loop
 * never copies or fsyncs them: `writeReceiptFile` runs every step (write, fsync, rename, fsync of
 * the directory) in libuv's thread pool. As BLOBs, every few receipts SQLite's WAL checkpoint
 * copied megabytes and fsynced them on the event loop, holding it for 10–20 ms
 * (`npm run bench:serve`, BENCHMARKS.md). The job row names its file and length; a file is
 * complete on disk before its row says `done`, so a crash between the two leaves an
 * unreferenced file, which the next start-up deletes.
 *
 * Each write gets its own file name (a random tag), so a late duplicate result can never
 * overwrite the receipt of a finished job.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const RECEIPT_FILE = /^[0-9a-f-]{36}\.[0-9a-f]{8}\.zkr$/;

/** A fresh file name for a receipt of job `id` (a UUID) in `dir`. */
export function receiptFileFor(dir: string, id: string): string {
  const name = `${id}.${randomBytes(4).toString('hex')}.zkr`;
  if (!RECEIPT_FILE.test(name)) throw new Error(`not a job ID: '${id.slice(0, 64)}'`);
  return path.join(dir, name);
}

/** Writes `bytes` to `file` durably, off the event loop: either all of it is there afterwards or nothing. */
export async function writeReceiptFile(file: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${file}.tmp`;
  const fh = await fs.promises.open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.promises.rename(tmp, file);
  if (process.platform === 'win32') return; // directories cannot be opened for fsync there
  const dir = await fs.promises.open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/**
 * The same, blocking (for a one-off migration at start-up, and for a zero-knowledge `.zkc`'s
 * opening record, which must be on disk before its receipt leaves: `cli/zkc-file.ts`). The
 * temporary file is `<file>.tmp`: callers serialise writes to one file.
 */
export function writeFileDurableSync(file: string, bytes: Uint8Array): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o644);
  try {
    fs.writeFileSync(fd, bytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  if (process.platform === 'win32') return;
  const dir = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
}
