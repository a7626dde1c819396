/** File helpers for the CLI: read with a clear error naming the file, write atomically-ish. */
import fs from 'node:fs';
import { ModelError } from '../model/errors.js';

export function readFileOrFail(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(fs.readFileSync(path));
  } catch (e) {
    throw new ModelError('BadInput', `cannot read ${what} '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Writes the file; `mode` (e.g. 0o600 for a secret) also applies when the file already existed. */
export function writeFileOrFail(path: string, bytes: Uint8Array | string, what: string, mode?: number): void {
  try {
    fs.writeFileSync(path, bytes, mode === undefined ? undefined : { mode });
    if (mode !== undefined) fs.chmodSync(path, mode);
  } catch (e) {
    throw new ModelError('BadInput', `cannot write ${what} '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function kib(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}
