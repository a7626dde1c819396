/**
 * Input quantization — the ONE rule by which a caller's real-valued model input becomes the
 * integers a receipt carries. The prover (`quantize/infer.ts`), the verifier's input binding
 * (`verifier/verify.ts`) and the market (`market/trace.ts`) all call `quantizeInputValues`, so
 * what one accepts the others accept, bit for bit:
 *
 *   q_i = floor(x_i · 2^exp + 0.5)   (round half up at the input's calibrated exponent),
 *   and q_i must lie in the calibrated range [lo, hi].
 * An integer input (`int`: int64/int32 token ids, exp 0) takes its values as they are: a value
 * that is not an integer is refused (never rounded), and [lo, hi] is its declared range (e.g.
 * [0, V − 1] for the ids of an embedding of V rows, `quantize/quantize.ts`).
 *
 * Refused, in index order (the first offending value is reported, naming the input and index):
 * - a list that is not a list (a string, a number, null, …) or has the wrong length;
 * - an entry that is not a JS number — null, a string, a boolean, a nested array, a BigInt.
 *   JavaScript would coerce these (null·s = 0, '1'·s = s, [1]·s = s), so without this check a
 *   receipt for input 0 "matches" the input null; no value is coerced, no user code runs;
 * - NaN and ±Infinity;
 * - a value whose q_i is outside [lo, hi] (mode 'strict'), which also catches huge values such
 *   as 1e300 or 2^31 before any 32-bit conversion could wrap them. Mode 'saturate' (the
 *   non-strict integer inference, `--saturate`) clamps q_i to [lo, hi] instead.
 * Exactness: q_i is computed in doubles and stored only after the range test, so the Int32Array
 * store never truncates or wraps. Imports nothing (the browser verifier bundle includes it).
 */

export interface InputInfo {
  name: string;
  dims: readonly number[];
  exp: number;
  lo: number;
  hi: number;
  /** an integer input: exp 0, non-integers refused */
  int?: boolean;
}

export type InputProblem =
  | { kind: 'NotAList'; input: string; message: string }
  | { kind: 'WrongLength'; input: string; expected: number; actual: number; message: string }
  | { kind: 'NotANumber'; input: string; index: number; message: string }
  | { kind: 'NotFinite'; input: string; index: number; value: number; message: string }
  | { kind: 'NotAnInteger'; input: string; index: number; value: number; message: string }
  | { kind: 'OutOfRange'; input: string; index: number; value: number; q: number; lo: number; hi: number; message: string };

export type QuantizeResult = { ok: true; q: Int32Array } | { ok: false; problem: InputProblem };

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v)}`;
  if (typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${String(v)}`;
  return typeof v;
}

/** The length of a list of input values (an array or array-like object, not a string), or −1. */
function listLength(data: unknown): number {
  if (typeof data !== 'object' || data === null) return -1;
  const n = (data as { length?: unknown }).length;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : -1;
}

/** Quantizes one model input (see the header); never throws, never coerces. */
export function quantizeInputValues(info: InputInfo, data: unknown, mode: 'strict' | 'saturate'): QuantizeResult {
  const { name, lo, hi } = info;
  let size = 1;
  for (const d of info.dims) size *= d;
  const len = listLength(data);
  if (len < 0) return { ok: false, problem: { kind: 'NotAList', input: name, message: `input '${name}': expected a flat list of ${size} numbers, got ${describe(data)}` } };
  if (len !== size) {
    return { ok: false, problem: { kind: 'WrongLength', input: name, expected: size, actual: len, message: `input '${name}': expected ${size} values for shape [${info.dims}], got ${len}` } };
  }
  const a = data as ArrayLike<unknown>;
  const q = new Int32Array(size);
  const sc = 2 ** info.exp;
  // Hot loop: bounded by q.length, r a plain number (V8 keeps it tight; see infer.ts history).
  // typeof first, so a non-number is never multiplied (no coercion, no valueOf call).
  for (let i = 0; i < q.length; i++) {
    const v = a[i];
    if (typeof v !== 'number') return { ok: false, problem: { kind: 'NotANumber', input: name, index: i, message: `input '${name}': value at index ${i} is not a number (got ${describe(v)})` } };
    let r = Math.floor(v * sc + 0.5);
    if (info.int && r !== v && Number.isFinite(v)) {
      return { ok: false, problem: { kind: 'NotAnInteger', input: name, index: i, value: v, message: `input '${name}': value ${v} at index ${i} is not an integer (an integer input takes integers in [${lo}, ${hi}])` } };
    }
    if (!(r >= lo && r <= hi)) {
      if (!Number.isFinite(v)) return { ok: false, problem: { kind: 'NotFinite', input: name, index: i, value: v, message: `input '${name}': value at index ${i} is ${v}` } };
      if (info.int) {
        // an integer input's range is declared by the model, never saturated
        return { ok: false, problem: { kind: 'OutOfRange', input: name, index: i, value: v, q: r, lo, hi, message: `input '${name}': value ${v} at index ${i} is outside the declared integer range [${lo}, ${hi}]` } };
      }
      if (mode === 'strict') {
        return {
          ok: false,
          problem: { kind: 'OutOfRange', input: name, index: i, value: v, q: r, lo, hi, message: `input '${name}': value ${v} at index ${i} is outside the calibrated range [${lo / sc}, ${hi / sc}]` },
        };
      }
      r = r < lo ? lo : hi;
    }
    q[i] = r;
  }
  return { ok: true, q };
}
