/**
 * Idempotency keys of `POST /v1/infer`, scoped to the caller and bound to the request.
 *
 * - **Scope.** The node has no authentication of its own; the gateway in front of it does, and
 *   the request's `Authorization` header is the identity it vouched for. The scope is
 *   H("scope" ‖ Authorization), or `anonymous` without the header. A key names a job only
 *   within its scope: the same key sent with another `Authorization` is another key, so one
 *   client can never reach another client's job by guessing or reusing its key.
 * - **Request.** Each key is stored with H(the job's input and context), the canonical form the
 *   prover proves: one flat array per input name, names sorted, numbers as JSON writes them,
 *   then the context's bytes in hex. A request nested to the input's shape, flat, or as EZKL's
 *   `input_data` with the same values is the same request; `1`, `1.0` and `1e0` are the same
 *   value; `"context": "ab"` and `"contextHex": "6162"` are the same context, and no context is
 *   the empty one. The job is determined by its input, its context and its private inputs with
 *   their seed (`wait`/`timeoutMs` only shape the answer), so nothing else enters the hash; an
 *   option that changes the job must be added here. The same key with another request is refused
 *   (422), and the refusal says nothing about the first request or its job. In the anonymous
 *   scope this is what protects clients from one another: a key is honoured only for the
 *   identical request, which reveals nothing the caller did not send itself.
 * - **Storage.** Only H(scope ‖ key) is stored, never the key or the header, so the data
 *   directory holds no bearer material. SHA-256 with a label per use and NUL separators (a
 *   scope never contains NUL), so no two (scope, key) pairs share a preimage.
 */
import { createHash } from 'node:crypto';
import { toHex } from '../util/bytes.js';

export const ANONYMOUS_SCOPE = 'anonymous';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** The scope of a request: a hash of its `Authorization` header, or the anonymous scope. */
export function idempotencyScope(authorization: string | undefined): string {
  return authorization ? sha256(`zkinfer/idempotency/scope/v1\0${authorization}`) : ANONYMOUS_SCOPE;
}

/** What the job store keeps for (scope, key): 64 hex digits. */
export function storedIdempotencyKey(scope: string, key: string): string {
  return sha256(`zkinfer/idempotency/key/v1\0${scope}\0${key}`);
}

/**
 * The hash of a job's request: its input (flat arrays per input name, independent of key order)
 * and its context (bytes; empty when the request has none). Version 2 of the label: version 1
 * (schema 3 data directories) hashed the input alone; the schema-4 migration rehashes them.
 * Neither the canonical JSON nor hex contains NUL, so the separator is unambiguous.
 */
export function requestHash(input: Record<string, number[]>, context: Uint8Array = new Uint8Array(0), priv?: PrivateInputs): string {
  const canonical = JSON.stringify(Object.keys(input).sort().map((k) => [k, input[k]]));
  // a job with private inputs: their names and the requester's seed (they change the receipt)
  const p = priv ? `\0private\0${JSON.stringify(priv.inputs)}\0${toHex(priv.seed)}` : '';
  return sha256(`zkinfer/idempotency/request/v2\0${canonical}\0${toHex(context)}${p}`);
}

/** A job's private inputs (`validate.ts`): their names in the model's order and the requester's 32-byte seed of the io commitment. */
export interface PrivateInputs {
  inputs: string[];
  seed: Uint8Array;
}
