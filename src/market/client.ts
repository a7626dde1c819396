/**
 * An HTTP client of the market coordinator (server.ts) for one account: it signs every request
 * with the account's key and numbers them from the account's last nonce (read from the server at
 * connect). A request refused as a Replay — another process used the same key — did nothing, so
 * the client re-reads the nonce and sends it once more. Errors come back as MarketError with the
 * server's kind and message. Key files are JSON {account, seed} (mode 0600).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Signer } from './agents.js';
import { generateKeyPair, keySeed, type KeyPair } from './sign.js';
import { MarketError, type MarketErrorKind } from './types.js';

export class MarketClient {
  private constructor(
    readonly url: string,
    readonly signer: Signer,
  ) {}

  static async connect(url: string, key: KeyPair): Promise<MarketClient> {
    const base = url.replace(/\/+$/, '');
    const info = await getJson<{ marketId: string }>(base, '/v1/market');
    const c = new MarketClient(base, new Signer(key, info.marketId));
    await c.syncNonce();
    return c;
  }

  get account(): string {
    return this.signer.account;
  }

  async syncNonce(): Promise<void> {
    const a = await this.get<{ nonce: number }>(`/v1/accounts/${this.account}`);
    this.signer.resumeAfter(a.nonce);
  }

  /** Sends a signed request; returns its value or throws the server's MarketError. */
  async send(action: string, body: Record<string, unknown>): Promise<any> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.post(action, body);
      } catch (e) {
        if (!(e instanceof MarketError) || e.kind !== 'Replay' || attempt > 0) throw e;
        await this.syncNonce();
      }
    }
  }

  private async post(action: string, body: Record<string, unknown>): Promise<unknown> {
    const res = await fetchOrFail(`${this.url}/v1/requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(this.signer.sign(action, body)) });
    const j = (await res.json().catch(() => null)) as { value?: unknown; error?: { kind: string; message: string } } | null;
    if (!res.ok || !j || j.error) throw new MarketError((j?.error?.kind ?? 'BadRequest') as MarketErrorKind, j?.error?.message ?? `HTTP ${res.status}`);
    return j.value;
  }

  get<T>(p: string): Promise<T> {
    return getJson<T>(this.url, p);
  }

  async bytes(p: string): Promise<Uint8Array> {
    const res = await fetchOrFail(`${this.url}${p}`);
    if (!res.ok) throw await errorOf(res);
    return new Uint8Array(await res.arrayBuffer());
  }
}

/** Why a fetch failed, as precisely as Node says (ECONNREFUSED, bad port, …). */
export function networkReason(e: unknown): string {
  const c = (e as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
  return c?.code ?? c?.errors?.[0]?.code ?? c?.message ?? (e as Error).message;
}

async function fetchOrFail(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    throw new MarketError('BadRequest', `cannot reach the market at ${url}: ${networkReason(e)}`);
  }
}

async function errorOf(res: Response): Promise<MarketError> {
  const j = (await res.json().catch(() => null)) as { error?: { kind: string; message: string } } | null;
  return new MarketError((j?.error?.kind ?? 'BadRequest') as MarketErrorKind, j?.error?.message ?? `HTTP ${res.status}`);
}

async function getJson<T>(base: string, p: string): Promise<T> {
  const res = await fetchOrFail(`${base}${p}`);
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

/** Loads a key file, or creates one (mode 0600) when `create` and it does not exist. */
export function loadKey(file: string, create: boolean): { key: KeyPair; created: boolean } {
  if (!fs.existsSync(file)) {
    if (!create) throw new MarketError('BadRequest', `no key file '${file}'`);
    const key = generateKeyPair();
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ account: key.account, seed: Buffer.from(keySeed(key)).toString('hex') }) + '\n', { mode: 0o600 });
    return { key, created: true };
  }
  let j: { account?: unknown; seed?: unknown };
  try {
    j = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof j;
  } catch (e) {
    throw new MarketError('BadRequest', `key file '${file}' is not valid JSON (${(e as Error).message})`);
  }
  if (typeof j.seed !== 'string' || !/^[0-9a-f]{64}$/.test(j.seed)) throw new MarketError('BadRequest', `key file '${file}': expected {"account": …, "seed": 64 hex characters}`);
  const key = generateKeyPair(Buffer.from(j.seed, 'hex'));
  if (j.account !== undefined && j.account !== key.account) throw new MarketError('BadRequest', `key file '${file}': its seed belongs to account ${key.account}, not ${String(j.account)}`);
  return { key, created: false };
}
