import { describe, expect, it } from 'vitest';
import { FailedAuthLimiter } from './failed-auth-limiter.js';

describe('FailedAuthLimiter', () => {
  it('blocks an address that failed `limit` times until its window ends, then lets it try again', () => {
    let now = 1_000_000;
    const limiter = new FailedAuthLimiter(3, 60_000, () => now);
    for (let i = 0; i < 2; i++) limiter.fail('a');
    expect(limiter.blockedFor('a')).toBe(0);
    limiter.fail('a');
    expect(limiter.blockedFor('a')).toBe(60);

    now += 59_001; // the window opened at the first failure
    expect(limiter.blockedFor('a')).toBe(1);
    now += 999;
    expect(limiter.blockedFor('a')).toBe(0);
    limiter.fail('a');
    expect(limiter.blockedFor('a')).toBe(0);
  });

  it('counts each address on its own', () => {
    const limiter = new FailedAuthLimiter(1, 60_000, () => 0);
    limiter.fail('a');
    expect(limiter.blockedFor('a')).toBe(60);
    expect(limiter.blockedFor('b')).toBe(0);
  });
});
