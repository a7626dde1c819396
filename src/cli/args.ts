/** Tiny argv parser for the model commands: positionals, `--flag value`, `-o value`, boolean flags. */
import { contextBytes } from '../circuit/session.js';
import { fromHex } from '../util/bytes.js';
import { contextJson } from '../verifier/json.js';

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

/**
 * `--context <text>` (UTF-8) or `--context-hex <hex>` (raw bytes) as bytes; undefined when
 * neither is given. Both at once, a repeated flag or bad hex is an error naming the flag.
 */
/** The integer value of `flag` (undefined when absent); throws "expected" errors outside [min, max]. */
export function intOption(a: Parsed, flag: string, min: number, max: number): number | undefined {
  const v = a.opts.get(flag)?.[0];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${flag} must be an integer from ${min} to ${max}, got '${v}'`);
  return n;
}

export function contextOption(a: Parsed): Uint8Array | undefined {
  const text = a.opts.get('--context');
  const hex = a.opts.get('--context-hex');
  if (text && hex) throw new Error('give either --context or --context-hex, not both');
  if ((text?.length ?? 0) > 1 || (hex?.length ?? 0) > 1) throw new Error('give the context once');
  if (text) return contextBytes(text[0]);
  if (hex) {
    const h = hex[0].startsWith('0x') ? hex[0].slice(2) : hex[0];
    if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) throw new Error(`--context-hex: expected an even number of hex digits, got '${hex[0].slice(0, 40)}'`);
    return contextBytes(fromHex(h));
  }
  return undefined;
}

/** A context as one line: its text (JSON-quoted) when it is UTF-8, else 0x-hex; with its length. */
export function describeContext(c: Uint8Array): string {
  const j = contextJson(c);
  return j.text !== undefined ? `${JSON.stringify(j.text)} (${j.bytes} bytes)` : `0x${j.hex} (${j.bytes} bytes)`;
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
