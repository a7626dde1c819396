/**
 * Field readers for request bodies: each checks one field and throws a MarketError('BadRequest')
 * of the form "expected X, got Y" naming the field, so a malformed request never reaches the rules.
 */
import { MarketError, MAX_AMOUNT } from './types.js';

export type Body = Record<string, unknown>;

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

export function int(b: Body, key: string, opts: { min?: number; max?: number; def?: number } = {}): number {
  const v = b[key] ?? opts.def;
  const min = opts.min ?? 0;
  const max = opts.max ?? MAX_AMOUNT;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw new MarketError('BadRequest', `'${key}': expected an integer in [${min}, ${max}], got ${show(v)}`);
  return v;
}

export function str<T extends string>(b: Body, key: string, allowed?: readonly T[]): T {
  const v = b[key];
  if (typeof v !== 'string' || (allowed && !allowed.includes(v as T))) {
    throw new MarketError('BadRequest', `'${key}': expected ${allowed ? `one of ${allowed.join(', ')}` : 'a string'}, got ${show(v)}`);
  }
  return v as T;
}

export function hex64(b: Body, key: string): string {
  const v = b[key];
  if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v)) throw new MarketError('BadRequest', `'${key}': expected 64 lowercase hex characters, got ${show(v)}`);
  return v;
}

export function base64(b: Body, key: string, maxBytes: number): Uint8Array {
  const v = b[key];
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw new MarketError('BadRequest', `'${key}': expected base64 bytes`);
  if (v.length > Math.ceil(maxBytes / 3) * 4) throw new MarketError('BadRequest', `'${key}': more than ${maxBytes} bytes`);
  return new Uint8Array(Buffer.from(v, 'base64'));
}

/** A job input: {name: finite numbers[]}, at most `maxValues` values in all. */
export function inputOf(v: unknown, maxValues: number, what = 'input'): Record<string, number[]> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MarketError('BadRequest', `'${what}': expected an object {inputName: [numbers]}`);
  let total = 0;
  const out: Record<string, number[]> = {};
  for (const [k, arr] of Object.entries(v as Body)) {
    if (!Array.isArray(arr)) throw new MarketError('BadRequest', `'${what}.${k}': expected a flat array of numbers`);
    total += arr.length;
    if (total > maxValues) throw new MarketError('BadRequest', `'${what}': more than ${maxValues} values`);
    for (let i = 0; i < arr.length; i++) {
      if (typeof arr[i] !== 'number' || !Number.isFinite(arr[i])) throw new MarketError('BadRequest', `'${what}.${k}[${i}]': expected a finite number, got ${show(arr[i])}`);
    }
    out[k] = arr as number[];
  }
  return out;
}
