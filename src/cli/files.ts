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

export function writeFileOrFail(path: string, bytes: Uint8Array | string, what: string): void {
  try {
    fs.writeFileSync(path, bytes);
  } catch (e) {
    throw new ModelError('BadInput', `cannot write ${what} '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function kib(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}
