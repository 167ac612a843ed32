import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AirlockError } from '../src/errors.js';
import { withRetry, type RetryEvent } from './retry.js';

const transient = (): AirlockError => new AirlockError('connector_unreachable', 'The service is briefly away.');
const permanent = (): AirlockError => new AirlockError('connector_failed', 'The bucket does not exist.');

/** A function failing with the given errors in turn, then resolving with 'done'; counts its calls. */
function failingThen(...errors: Error[]): { fn: (attempt: number) => Promise<string>; attempts: number[] } {
  const attempts: number[] = [];
  const fn = (attempt: number): Promise<string> => {
    attempts.push(attempt);
    const error = errors[attempts.length - 1];
    return error === undefined ? Promise.resolve('done') : Promise.reject(error);
  };
  return { fn, attempts };
}

describe('withRetry', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves with the first success without waiting', async () => {
    const { fn, attempts } = failingThen();
    await expect(withRetry(fn)).resolves.toBe('done');
    expect(attempts).toEqual([1]);
  });

  it('retries a retryable failure after a backoff and resolves with the later success', async () => {
    const { fn, attempts } = failingThen(transient(), transient());
    const result = withRetry(fn, { attempts: 3, baseMs: 100, random: () => 0.5 });
    await vi.advanceTimersByTimeAsync(49);
    expect(attempts).toEqual([1]);
    await vi.advanceTimersByTimeAsync(1); // first wait: 0.5 * 100
    expect(attempts).toEqual([1, 2]);
    await vi.advanceTimersByTimeAsync(100); // second wait: 0.5 * 200
    await expect(result).resolves.toBe('done');
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('throws a non-retryable failure at once, unchanged', async () => {
    const failure = permanent();
    const { fn, attempts } = failingThen(failure);
    await expect(withRetry(fn, { attempts: 5 })).rejects.toBe(failure);
    expect(attempts).toEqual([1]);
  });

  it('gives up after the configured number of tries with the last error', async () => {
    const last = transient();
    const { fn, attempts } = failingThen(transient(), transient(), last);
    const result = withRetry(fn, { attempts: 3, baseMs: 10 });
    const settled = expect(result).rejects.toBe(last);
    await vi.runAllTimersAsync();
    await settled;
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('draws each wait uniformly below an exponential ceiling capped at maxMs (full jitter)', async () => {
    const events: RetryEvent[] = [];
    const { fn } = failingThen(transient(), transient(), transient(), transient(), transient());
    const result = withRetry(fn, { attempts: 6, baseMs: 100, maxMs: 500, random: () => 0.999, onRetry: (e) => events.push(e) });
    await vi.runAllTimersAsync();
    await expect(result).resolves.toBe('done');
    // Ceilings 100, 200, 400, 500, 500: the cap holds from the fourth retry on.
    expect(events.map((e) => e.delayMs)).toEqual([99, 199, 399, 499, 499]);
    expect(events.map((e) => e.attempt)).toEqual([1, 2, 3, 4, 5]);
    expect(events[0]?.error).toBeInstanceOf(AirlockError);
  });

  it('may retry immediately when the jitter draws zero', async () => {
    const { fn, attempts } = failingThen(transient());
    const result = withRetry(fn, { random: () => 0 });
    await vi.advanceTimersByTimeAsync(0);
    await expect(result).resolves.toBe('done');
    expect(attempts).toEqual([1, 2]);
  });

  it('uses the caller’s isRetryable instead of the AirlockError flag', async () => {
    const odd = Object.assign(new Error('SlowDown'), { name: 'SlowDown' });
    const { fn, attempts } = failingThen(odd);
    const result = withRetry(fn, { isRetryable: (e) => (e as Error).name === 'SlowDown', baseMs: 1 });
    await vi.runAllTimersAsync();
    await expect(result).resolves.toBe('done');
    expect(attempts).toEqual([1, 2]);
  });

  it('retries Node socket errors such as ECONNRESET by default', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const { fn, attempts } = failingThen(reset);
    const result = withRetry(fn, { baseMs: 1 });
    await vi.runAllTimersAsync();
    await expect(result).resolves.toBe('done');
    expect(attempts).toEqual([1, 2]);
  });

  it('stops waiting when aborted and rejects with the abort reason, without another try', async () => {
    const controller = new AbortController();
    const { fn, attempts } = failingThen(transient(), transient());
    const result = withRetry(fn, { baseMs: 10_000, random: () => 0.5, signal: controller.signal });
    const settled = expect(result).rejects.toMatchObject({ name: 'AbortError' });
    await vi.advanceTimersByTimeAsync(1_000);
    controller.abort();
    await settled;
    await vi.runAllTimersAsync();
    expect(attempts).toEqual([1]);
  });

  it('does not start when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled by the engine'));
    const { fn, attempts } = failingThen();
    await expect(withRetry(fn, { signal: controller.signal })).rejects.toThrow('cancelled by the engine');
    expect(attempts).toEqual([]);
  });

  it('does not retry a failure that happened because the signal was aborted', async () => {
    const controller = new AbortController();
    const fn = vi.fn(() => {
      controller.abort();
      return Promise.reject(transient());
    });
    await expect(withRetry(fn, { signal: controller.signal })).rejects.toMatchObject({ code: 'connector_unreachable' });
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
