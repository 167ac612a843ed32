/**
 * A first-come, first-served lock. The embedded store has exactly one PostgreSQL session, so everything
 * that talks to it (Kysely queries and transactions, pg-boss) takes this lock for as long as it needs
 * the session; a transaction holds it from BEGIN to COMMIT so nothing else can slip a statement into it.
 */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();

  /** Resolves with a release function once every earlier holder has released. */
  lock(): Promise<() => void> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const acquired = this.#tail.then(() => release);
    this.#tail = this.#tail.then(() => released);
    return acquired;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.lock();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
