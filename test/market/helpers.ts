/**
 * Test support for the market: the small generated model (mlp-tiny: 16→32→10, 3 layers) compiled
 * once, a coordinator on a virtual clock, deterministic agents (ed25519 keys from their names)
 * with minted funds, `call` / `attempt` helpers that sign and send requests, and receipts bound
 * to a job's receipt context.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { generatedModel } from '../../src/model/generated.js';
import { compileOnnx } from '../../src/quantize/compile.js';
import type { QuantizedModel } from '../../src/quantize/layers.js';
import { encodeZkm } from '../../src/quantize/zkm.js';
import { commitModel, type CommittedModel } from '../../src/prover/commit.js';
import { prove, type ProveResult } from '../../src/prover/prove.js';
import { receiptContext } from '../../src/market/policy.js';
import { Coordinator, type CoordinatorOptions } from '../../src/market/coordinator.js';
import { Signer } from '../../src/market/agents.js';
import { generateKeyPair } from '../../src/market/sign.js';
import type { VerifyError } from '../../src/util/result.js';

export interface Tiny {
  model: QuantizedModel;
  zkm: Uint8Array;
  inputs: Record<string, number[]>[];
  committed(): CommittedModel;
}

let tiny: Tiny | undefined;

export function tinyModel(): Tiny {
  if (!tiny) {
    const g = generatedModel('mlp-tiny', { inputCount: 8 });
    const { model } = compileOnnx(g.onnx, g.inputs);
    let cm: CommittedModel | undefined;
    tiny = { model, zkm: encodeZkm(model), inputs: g.inputs, committed: () => (cm ??= commitModel(model)) };
  }
  return tiny;
}

const receipts = new Map<string, ProveResult>();

/**
 * A receipt for `job` served by `operator` on `input`, bound to the market's receipt context
 * (policy.ts). Cached: test markets share their market ID and job IDs repeat across them.
 */
export function receiptFor(marketId: string, job: number, operator: string, input: Record<string, number[]>): ProveResult {
  const key = `${marketId}/${job}/${operator}/${JSON.stringify(input)}`;
  let r = receipts.get(key);
  if (!r) {
    r = prove(tinyModel().committed(), input, { context: receiptContext(marketId, job, operator) });
    receipts.set(key, r);
  }
  return r;
}

export function keyFor(name: string) {
  return generateKeyPair(createHash('sha256').update(`market-test/${name}`).digest());
}

export class TestMarket {
  time = 1_000_000;
  coord: Coordinator;
  private readonly agents = new Map<string, Signer>();

  constructor(readonly opts: Omit<CoordinatorOptions, 'now'> = {}) {
    this.coord = Coordinator.open({ marketId: 'test-market', seedSecret: new Uint8Array(32).fill(7), ...opts, now: () => this.time });
  }

  /** Simulated crash: drop the connection without closing and open the file again. */
  reopen(): void {
    if (!this.opts.file) throw new Error('reopen needs a file store');
    this.coord = Coordinator.open({ ...this.opts, now: () => this.time });
  }

  agent(name: string, funds = 1_000_000): Signer {
    let s = this.agents.get(name);
    if (!s) {
      s = new Signer(keyFor(name), this.coord.marketId);
      this.agents.set(name, s);
      if (funds > 0) this.coord.mint(s.account, funds, `fund/${name}`);
    }
    return s;
  }

  attempt(who: Signer, action: string, body: Record<string, unknown>): { ok: true; value: any } | { ok: false; error: VerifyError } {
    return this.coord.handle(who.sign(action, body)) as { ok: true; value: any } | { ok: false; error: VerifyError };
  }

  call(who: Signer, action: string, body: Record<string, unknown>): any {
    const r = this.attempt(who, action, body);
    assert.ok(r.ok, r.ok ? '' : `${action} refused: ${r.error.kind}: ${r.error.message}`);
    return r.value;
  }

  refused(who: Signer, action: string, body: Record<string, unknown>, kind: string, message?: RegExp): VerifyError {
    const r = this.attempt(who, action, body);
    assert.equal(r.ok, false, `${action} was accepted, expected ${kind}`);
    if (r.ok) throw new Error('unreachable');
    assert.equal(r.error.kind, kind, `expected ${kind}, got ${r.error.kind}: ${r.error.message}`);
    if (message) assert.match(r.error.message, message);
    return r.error;
  }

  /** A receipt for `job` by `operator` on `input` (default: the job's own), bound to this market's context. */
  receipt(job: number, operator: Signer, input?: Record<string, number[]>): ProveResult {
    return receiptFor(this.coord.marketId, job, operator.account, input ?? (JSON.parse(this.coord.job(job)!.input) as Record<string, number[]>));
  }

  registerTiny(owner: Signer, price = 10): string {
    const { zkm } = tinyModel();
    return this.call(owner, 'model.register', { visibility: 'public', price, zkm: Buffer.from(zkm).toString('base64') }).modelId;
  }

  advance(ms: number): void {
    this.time += ms;
    this.coord.tick();
  }

  assertBalanced(): void {
    const r = this.coord.checkBalanced();
    assert.ok(r.ok, `ledger not balanced: ${r.problems.join('; ')}`);
  }
}
