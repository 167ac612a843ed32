import { isRetryable as isRetryableAirlockError } from '../src/errors.js';

/**
 * Retries for connector calls that failed for a passing reason (a reset socket, a throttled or briefly
 * unavailable service). Only one request is retried, never a whole transfer: a call whose input cannot be
 * replayed (a consumed stream) must not be wrapped.
 */
export interface RetryOptions {
  /** Tries in all, the first included; 1 means no retry. Default 4. */
  attempts?: number;
  /** Ceiling of the first wait in milliseconds; it doubles each retry. Default 200. */
  baseMs?: number;
  /** Largest ceiling a wait may have in milliseconds. Default 5,000. */
  maxMs?: number;
  /** Whether a failure is worth another try; anything else is thrown at once. Default: `isRetryable` of src/errors.ts. */
  isRetryable?: (error: unknown) => boolean;
  /** Stops retrying: an abort during a wait rejects with the signal's reason, and no further try starts. */
  signal?: AbortSignal;
  /** Called before each wait, e.g. to log; must not throw. */
  onRetry?: (event: RetryEvent) => void;
  /** Source of randomness in [0, 1) for the jitter; tests pass a fixed one. Default `Math.random`. */
  random?: () => number;
}

export interface RetryEvent {
  /** The try that just failed, from 1. */
  attempt: number;
  /** How long the wait before the next try is. */
  delayMs: number;
  error: unknown;
}

export const RETRY_DEFAULTS = { attempts: 4, baseMs: 200, maxMs: 5_000 } as const;

/**
 * Calls `fn` until it resolves, it throws something not retryable, or `attempts` tries have failed; then
 * rethrows the last error unchanged. Waits use exponential backoff with full jitter (a uniformly random
 * delay between 0 and `min(maxMs, baseMs * 2^(attempt-1))`), so clients that failed together do not
 * retry together. `fn` receives the number of the try, from 1.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, Math.floor(options.attempts ?? RETRY_DEFAULTS.attempts));
  const baseMs = options.baseMs ?? RETRY_DEFAULTS.baseMs;
  const maxMs = options.maxMs ?? RETRY_DEFAULTS.maxMs;
  const isRetryable = options.isRetryable ?? isRetryableAirlockError;
  const random = options.random ?? Math.random;
  const { signal } = options;
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (error) {
      // An abort during the call is the caller's decision, not a failure to retry.
      if (signal?.aborted || attempt >= attempts || !isRetryable(error)) throw error;
      const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
      const delayMs = Math.floor(random() * ceiling);
      options.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs, signal);
    }
  }
}

/** A wait on the global timer (so tests can move a fake clock) that an abort cuts short. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
