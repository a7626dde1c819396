/**
 * Progress for long CLI steps: a one-line bar on stderr when it is a terminal, stage lines
 * otherwise (so logs and CI output stay readable). Silent with `quiet`.
 */
export function progressReporter(quiet = false): { update: (stage: string, done: number, total: number) => void; end: () => void } {
  const tty = Boolean(process.stderr.isTTY);
  let last = '';
  let t0 = performance.now();
  return {
    update(stage, done, total) {
      if (quiet) return;
      const base = stage.startsWith('layer ') ? 'layers' : stage;
      if (tty) {
        const w = 24;
        const f = total > 0 ? Math.min(1, done / total) : 0;
        const bar = '█'.repeat(Math.round(f * w)).padEnd(w, '·');
        process.stderr.write(`\r  ${bar} ${(f * 100).toFixed(0).padStart(3)}%  ${stage.slice(0, 50).padEnd(50)}`);
      } else if (base !== last) {
        if (last) process.stderr.write(` ${(performance.now() - t0).toFixed(0)} ms\n`);
        process.stderr.write(`  ${base}…`);
        t0 = performance.now();
      }
      last = base;
    },
    end() {
      if (quiet) return;
      if (tty) process.stderr.write('\r' + ' '.repeat(90) + '\r');
      else if (last) process.stderr.write(` ${(performance.now() - t0).toFixed(0)} ms\n`);
      last = '';
    },
  };
}
