import { describe, expect, it } from 'vitest';
import { formatByteSize, parseByteSize } from './byte-size.js';

describe('parseByteSize', () => {
  it('reads whole numbers as bytes', () => {
    expect(parseByteSize(0)).toBe(0);
    expect(parseByteSize(1048576)).toBe(1048576);
    expect(parseByteSize('2048')).toBe(2048);
  });

  it('reads decimal and binary units, case-insensitively, with or without a space', () => {
    expect(parseByteSize('10MB')).toBe(10_000_000);
    expect(parseByteSize('10 mb')).toBe(10_000_000);
    expect(parseByteSize('1.5 GiB')).toBe(1_610_612_736);
    expect(parseByteSize('4KiB')).toBe(4096);
    expect(parseByteSize('2 TB')).toBe(2e12);
    expect(parseByteSize('512 B')).toBe(512);
  });

  it('refuses negative, fractional byte counts, unknown units and nonsense', () => {
    for (const bad of [-1, 1.5, Number.NaN, '', '-5MB', '10 MBs', '10 XB', 'ten MB', '1e3', '10 M B']) {
      expect(parseByteSize(bad), String(bad)).toBeUndefined();
    }
  });
});

describe('formatByteSize', () => {
  it('uses decimal units with at most one decimal', () => {
    expect([999, 1000, 1_572_864, 12_600_000, 2e12].map(formatByteSize)).toEqual(['999 B', '1 kB', '1.6 MB', '12.6 MB', '2 TB']);
  });
});
