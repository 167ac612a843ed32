/**
 * Counts failed authentications per client address in a fixed window. Once an address has failed `limit`
 * times in a window, it is refused (429) until the window ends, even with a valid token, so guessing tokens
 * costs a window per `limit` guesses. In memory, per process: enough to slow guessing down, and it needs no
 * shared state.
 */
export class FailedAuthLimiter {
  readonly #failures = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until `key` may try again, or 0 when it may now. */
  blockedFor(key: string): number {
    const entry = this.#live(key);
    return entry && entry.count >= this.limit ? Math.ceil((entry.resetAt - this.now()) / 1000) : 0;
  }

  fail(key: string): void {
    const entry = this.#live(key);
    if (entry) entry.count++;
    else this.#failures.set(key, { count: 1, resetAt: this.now() + this.windowMs });
    if (this.#failures.size > 10_000) this.#sweep();
  }

  #live(key: string) {
    const entry = this.#failures.get(key);
    if (entry && entry.resetAt <= this.now()) {
      this.#failures.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Bounds memory under a spray of addresses: expired windows go first. */
  #sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.#failures) if (entry.resetAt <= now) this.#failures.delete(key);
  }
}
