import { describe, expect, it } from 'vitest';
import { commonLiteralFolder } from '../../connectors/glob.js';
import { listingSelector } from './fetch-step.js';

describe('where a ticket listing starts', () => {
  it('finds the folder a selection lies in from the literal leading segments of its globs', () => {
    expect(commonLiteralFolder(['t-0001/**'])).toBe('t-0001');
    expect(commonLiteralFolder(['a/b/*.csv', 'a/b/c/**'])).toBe('a/b');
    expect(commonLiteralFolder(['a/b/**', 'a/c/**'])).toBe('a');
    expect(commonLiteralFolder(['a/**', 'b/**'])).toBe('');
    expect(commonLiteralFolder(['*.csv'])).toBe('');
    expect(commonLiteralFolder(['report.csv'])).toBe('');
    expect(commonLiteralFolder(['a*/x/**', 'a/[xy]/**', 'a/\\*/**'])).toBe('');
    expect(commonLiteralFolder(['a/[xy]/**'])).toBe('a');
  });

  it('narrows the pipeline selector to that folder, never outside the pipeline prefix', () => {
    const base = { include: ['**/*.csv'] };
    expect(listingSelector(base, ['t-0001/**'])).toEqual({ include: ['**/*.csv'], prefix: 't-0001' });
    expect(listingSelector(base, undefined)).toBe(base);
    expect(listingSelector(base, ['*.csv'])).toBe(base);
    expect(listingSelector({ prefix: 'in' }, ['in/t-1/**'])).toEqual({ prefix: 'in/t-1' });
    expect(listingSelector({ prefix: 'in/t-1' }, ['in/**'])).toEqual({ prefix: 'in/t-1' });
    expect(listingSelector({ prefix: 'in' }, ['out/**'])).toEqual({ prefix: 'in' });
    expect(listingSelector({ prefix: 'in' }, ['inbox/**'])).toEqual({ prefix: 'in' });
  });
});
