/**
 * A zero-knowledge `.zkc` file is also the record of its commitment's spent opening budget
 * (`prover/zk-budget.ts`): whoever proves with it must write the record back, and only one
 * process may do so at a time. `holdZkc` takes an exclusive lock file beside it (`<file>.lock`,
 * holding the owner's PID; a lock whose process is gone is taken over) and returns a writer that
 * replaces the file durably (`writeFileDurableSync`: a temporary file, fsync, rename, fsync of the
 * directory), so a crash leaves either the old record or the new one, never a torn file.
 */
import fs from 'node:fs';
import { ModelError } from '../model/errors.js';
import { writeFileDurableSync } from '../service/receipt-files.js';

export interface HeldZkc {
  /** replaces the file's bytes atomically (throws a clear error if it cannot) */
  save(bytes: Uint8Array): void;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function holdZkc(path: string): HeldZkc {
  const lock = `${path}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new ModelError('BadInput', `cannot lock '${path}' (${lock}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      const owner = Number.parseInt(fs.readFileSync(lock, 'utf8'), 10);
      if (attempt === 0 && Number.isInteger(owner) && owner > 0 && owner !== process.pid && !alive(owner)) {
        fs.rmSync(lock, { force: true }); // its process is gone
        continue;
      }
      throw new ModelError('BadInput', `'${path}' is in use by another zkinfer process (PID ${Number.isInteger(owner) ? owner : '?'}; lock file ${lock}): a zero-knowledge model's opening budget must be spent by one process at a time`);
    }
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    try {
      if (fs.readFileSync(lock, 'utf8') === String(process.pid)) fs.rmSync(lock, { force: true });
    } catch {
      // already gone
    }
  };
  process.on('exit', release);
  return {
    save(bytes) {
      if (!held) throw new Error(`holdZkc: '${path}' was released`);
      try {
        writeFileDurableSync(path, bytes);
      } catch (e) {
        fs.rmSync(`${path}.tmp`, { force: true });
        throw new ModelError('BadInput', `cannot record the opening budget in '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    },
    release,
  };
}
