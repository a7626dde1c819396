/**
 * Verifier results: verifiers never throw on hostile input, they return which check failed
 * (STYLE §3). `kind` is a stable machine-readable name; `message` is for people.
 */
export interface VerifyError {
  kind: string;
  message: string;
  [detail: string]: unknown;
}

export type VerifyResult = { ok: true } | { ok: false; error: VerifyError };

export type Result<T> = { ok: true; value: T } | { ok: false; error: VerifyError };

export const OK: VerifyResult = Object.freeze({ ok: true }) as VerifyResult;

export function fail(kind: string, message: string, detail: Record<string, unknown> = {}): { ok: false; error: VerifyError } {
  return { ok: false, error: { kind, message, ...detail } };
}
