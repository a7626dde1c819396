/** Tiny argv parser for the model commands: positionals, `--flag value`, `-o value`, boolean flags. */
export interface Parsed {
  pos: string[];
  opts: Map<string, string[]>;
  flags: Set<string>;
}

export function parseArgs(args: string[], valued: string[], booleans: string[]): Parsed {
  const pos: string[] = [];
  const opts = new Map<string, string[]>();
  const flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (booleans.includes(a)) flags.add(a);
    else if (valued.includes(a)) {
      const v = args[++i];
      if (v === undefined) throw new Error(`option ${a} needs a value`);
      opts.set(a, [...(opts.get(a) ?? []), v]);
    } else if (a.startsWith('-') && a !== '-') throw new Error(`unknown option '${a}'`);
    else pos.push(a);
  }
  return { pos, opts, flags };
}

/** Run a command body; user errors print one line (no stack trace) and exit 1. */
export async function guard(cmd: string, body: () => Promise<number> | number): Promise<number> {
  try {
    return await body();
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    console.error(`zkinfer ${cmd}: ${msg}`);
    return 1;
  }
}

export function fmtExp(v: number): string {
  return Number.isFinite(v) ? v.toExponential(2) : String(v);
}

/** Resolves after the first SIGTERM or SIGINT, once `stop` (the graceful shutdown) has finished. */
export function untilSignal(log: (msg: string) => void, what: string, stop: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const on = (sig: string) => {
      log(`${sig}: ${what}…`);
      stop().then(
        () => (log('stopped'), resolve()),
        (e: Error) => (log(`shutdown error: ${e.message}`), resolve()),
      );
    };
    process.once('SIGTERM', () => on('SIGTERM'));
    process.once('SIGINT', () => on('SIGINT'));
  });
}
