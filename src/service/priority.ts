/**
 * CPU priority of the prover node's threads. The HTTP event loop answers in a millisecond while a
 * proof takes a tenth of a second to minutes, so when the two want the same core the event loop
 * should get it: the proving threads, and V8's helper threads (garbage collection and compilation,
 * almost all of it for the provers), run at a higher nice value than the event loop. Proving
 * loses only the CPU time the event loop actually uses; the event loop stops queueing behind
 * proofs for a scheduler time slice (`npm run bench:serve`, BENCHMARKS.md).
 *
 * Linux only: there niceness belongs to each thread (`setpriority` on a thread ID). Elsewhere it
 * belongs to the process, so nothing is changed. Raising a nice value needs no privileges.
 */
import fs from 'node:fs';
import os from 'node:os';

/** nice levels below the event loop for proving threads, unless configured (`--prover-nice`) */
export const DEFAULT_PROVER_NICE = 10;

/** The kernel's ID of the calling thread (Linux), or undefined. */
export function currentThreadId(): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const id = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(id) && id > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Sets thread `tid` to the process's nice value plus `delta` (never lower than it is); true if changed. */
function renice(tid: number, delta: number): boolean {
  try {
    const target = Math.min(19, os.getPriority(process.pid) + delta);
    if (os.getPriority(tid) >= target) return false;
    os.setPriority(tid, target);
    return true;
  } catch {
    return false; // the thread exited meanwhile, or the OS refused: priorities are an optimization
  }
}

/** Lowers the calling thread's priority by `delta` nice levels (a proving thread calls this at start). */
export function lowerThisThread(delta: number): boolean {
  const tid = currentThreadId();
  return delta > 0 && tid !== undefined && renice(tid, delta);
}

/**
 * Lowers the priority of every thread of this process except the calling one (the main thread,
 * the event loop): V8's helper threads and the worker threads started so far. Returns how many
 * were changed.
 */
export function lowerOtherThreads(delta: number): number {
  if (delta <= 0 || process.platform !== 'linux') return 0;
  let n = 0;
  let tids: string[];
  try {
    tids = fs.readdirSync('/proc/self/task');
  } catch {
    return 0;
  }
  const self = currentThreadId() ?? process.pid; // the main thread's ID is the process ID
  for (const t of tids) if (Number(t) !== self && renice(Number(t), delta)) n++;
  return n;
}
