import type { Caller } from '../tickets/ticket-access.js';

/**
 * Remembers, for a few seconds, who a token belongs to, so that a busy client does not cost a database
 * round trip per request. Keyed by the token's sha256 (the token itself is never kept). An entry never
 * outlives the token's expiry; a revocation or a disabled user made in another process (the CLI) takes
 * effect within `ttlMs`, which is why it is short, and 0 turns caching off.
 */
export class TokenCache {
  readonly #entries = new Map<string, { caller: Caller; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): Caller | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= this.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.caller;
  }

  set(key: string, caller: Caller, expiresAt: Date): void {
    if (this.ttlMs <= 0) return;
    // Oldest first out: Map keeps insertion order.
    if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(key, { caller, until: Math.min(this.now() + this.ttlMs, expiresAt.getTime()) });
  }

  clear(): void {
    this.#entries.clear();
  }
}
