import { describe, expect, it } from 'vitest';
import { TokenCache } from './token-cache.js';

const alice = { name: 'alice', roles: ['requester' as const], groups: [] };
const farFuture = new Date(Date.UTC(2100, 0, 1));

describe('TokenCache', () => {
  it('forgets an entry after its time to live', () => {
    let now = 1_000;
    const cache = new TokenCache(10_000, 100, () => now);
    cache.set('h1', alice, farFuture);
    now += 9_999;
    expect(cache.get('h1')).toEqual(alice);
    now += 1;
    expect(cache.get('h1')).toBeUndefined();
  });

  it("never keeps an entry past the token's expiry", () => {
    let now = 1_000;
    const cache = new TokenCache(60_000, 100, () => now);
    cache.set('h1', alice, new Date(now + 500));
    now += 500;
    expect(cache.get('h1')).toBeUndefined();
  });

  it('keeps nothing with a time to live of 0, and bounds its size oldest first', () => {
    const off = new TokenCache(0);
    off.set('h1', alice, farFuture);
    expect(off.get('h1')).toBeUndefined();
    const small = new TokenCache(60_000, 2);
    small.set('a', alice, farFuture);
    small.set('b', alice, farFuture);
    small.set('c', alice, farFuture);
    expect([small.get('a'), small.get('b'), small.get('c')].map(Boolean)).toEqual([false, true, true]);
  });
});
