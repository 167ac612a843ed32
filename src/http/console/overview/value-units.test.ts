import { describe, expect, it } from 'vitest';
import { BYTES, COUNT, formatBytes, formatCount, formatDuration, formatShare, niceTicks, SECONDS } from './value-units.js';

describe('value units', () => {
  it('writes counts, shares, sizes and durations the way the page shows them', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatShare(6500, 6525)).toBe('99.6%');
    expect(formatShare(3, 3)).toBe('100%');
    expect(formatShare(0, 0)).toBe('—');
    expect([0, 512, 1536, 200 * 1024 ** 2, 3.25 * 1024 ** 3].map(formatBytes)).toEqual(['0 B', '512 B', '1.5 KiB', '200 MiB', '3.3 GiB']);
    expect([0, 45.4, 60, 89, 600, 5400, 86_400, 2 * 86_400 + 3 * 3600].map(formatDuration)).toEqual([
      '0 s',
      '45 s',
      '1 min',
      '1 min 29 s',
      '10 min',
      '1 h 30 min',
      '1 d',
      '2 d 3 h',
    ]);
  });

  it('puts ticks on round numbers of the unit people read, from 0 to at least the maximum', () => {
    expect(niceTicks(0)).toEqual([0, 1]);
    expect(niceTicks(0.3)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(COUNT.ticks(3)).toEqual([0, 1, 2, 3]);
    expect(COUNT.ticks(1000)).toEqual([0, 500, 1000]);
    expect(COUNT.ticks(7)).toEqual([0, 2, 4, 6, 8]);
    expect(BYTES.ticks(3.2 * 1024 ** 3).map(formatBytes)).toEqual(['0 B', '1 GiB', '2 GiB', '3 GiB', '4 GiB']);
    expect(SECONDS.ticks(7000).map(formatDuration)).toEqual(['0 s', '30 min', '1 h', '1 h 30 min', '2 h']);
    expect(SECONDS.ticks(50).map(formatDuration)).toEqual(['0 s', '20 s', '40 s', '1 min']);
  });
});
