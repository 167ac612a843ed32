import { describe, expect, it } from 'vitest';
import { AirlockError } from '../src/errors.js';
import { compileGlob, matchesSelector } from './glob.js';

function expectMatches(pattern: string, yes: string[], no: string[]): void {
  const matcher = compileGlob(pattern);
  for (const path of yes) expect(matcher(path), `${pattern} should match ${path}`).toBe(true);
  for (const path of no) expect(matcher(path), `${pattern} should not match ${path}`).toBe(false);
}

describe('compileGlob', () => {
  it('matches literal paths exactly, including regex-special characters', () => {
    expectMatches('a/b.txt', ['a/b.txt'], ['a/bxtxt', 'a/b.txt/c', 'x/a/b.txt', 'a']);
    expectMatches('(x)+{y}|$.txt', ['(x)+{y}|$.txt'], ['x.txt']);
  });

  it('anchors patterns to the root: `*.csv` matches only top-level files', () => {
    expectMatches('*.csv', ['a.csv', '.csv', 'x.y.csv'], ['dir/a.csv', 'a.csvx']);
  });

  it('keeps `*` and `?` within one segment', () => {
    expectMatches('a/*', ['a/b', 'a/.env'], ['a', 'a/b/c', 'b/c']);
    expectMatches('a?c', ['abc', 'a.c', 'a€c'], ['ac', 'abbc', 'a/c']);
    expectMatches('a/*/c', ['a/b/c', 'a//c'], ['a/b/d/c']);
  });

  it('lets a leading `**` match zero or more segments', () => {
    expectMatches('**/x.txt', ['x.txt', 'a/x.txt', 'a/b/c/x.txt'], ['a/y.txt', 'ax.txt']);
    expectMatches('**/*.txt', ['a.txt', 'a/b/c.txt'], ['a/b/c.txt.bak']);
  });

  it('lets a trailing `**` match everything inside a folder but not a file of that name', () => {
    expectMatches('a/**', ['a/b', 'a/b/c/d'], ['a', 'ab/c', 'b/a/c']);
    expectMatches('**', ['a', 'a/b/c'], []);
  });

  it('lets a middle `**` match zero or more segments', () => {
    expectMatches('a/**/b', ['a/b', 'a/x/b', 'a/x/y/b'], ['a/x/b/c', 'b', 'a/xb']);
    expectMatches('a/**/**/b', ['a/b', 'a/x/y/b'], ['a/x/c']);
  });

  it('treats `**` inside a segment as an ordinary `*`', () => {
    expectMatches('a**b', ['ab', 'axxb'], ['a/b']);
  });

  it('supports character classes, ranges and negation', () => {
    expectMatches('file[12].txt', ['file1.txt', 'file2.txt'], ['file3.txt', 'file12.txt']);
    expectMatches('[a-c]x', ['ax', 'cx'], ['dx', 'Ax']);
    expectMatches('[!a-c]x', ['dx', 'Ax'], ['ax', 'x']);
    expectMatches('[^.]*', ['env'], ['.env']);
    expectMatches('[]-]x', [']x', '-x'], ['ax']);
  });

  it('takes an unclosed `[` and escaped characters literally', () => {
    expectMatches('a[b', ['a[b'], ['ab']);
    expectMatches('\\*.txt', ['*.txt'], ['a.txt']);
  });

  it('does not backtrack exponentially on many `**`', () => {
    const path = `${'a/'.repeat(40)}b`;
    const matcher = compileGlob('**/a/**/a/**/a/**/a/**/a/**/c');
    expect(matcher(path)).toBe(false);
  });

  it('rejects empty, absolute and malformed patterns with invalid_input', () => {
    for (const pattern of ['', '/etc/*', 'a[z-a]']) {
      expect(() => compileGlob(pattern)).toThrowError(AirlockError);
      try {
        compileGlob(pattern);
      } catch (error) {
        expect((error as AirlockError).code).toBe('invalid_input');
        expect((error as AirlockError).message).toContain(JSON.stringify(pattern));
      }
    }
  });
});

describe('matchesSelector', () => {
  it('selects everything when include and exclude are absent or empty', () => {
    expect(matchesSelector('a/b.txt', {})).toBe(true);
    expect(matchesSelector('a/b.txt', { include: [], exclude: [] })).toBe(true);
  });

  it('selects a path matching any include pattern', () => {
    const selector = { include: ['*.csv', 'reports/**'] };
    expect(matchesSelector('a.csv', selector)).toBe(true);
    expect(matchesSelector('reports/2024/q1.pdf', selector)).toBe(true);
    expect(matchesSelector('notes.txt', selector)).toBe(false);
  });

  it('applies exclude after include', () => {
    const selector = { include: ['**/*.csv'], exclude: ['tmp/**', '**/.*'] };
    expect(matchesSelector('data/a.csv', selector)).toBe(true);
    expect(matchesSelector('tmp/a.csv', selector)).toBe(false);
    expect(matchesSelector('data/.hidden.csv', selector)).toBe(false);
  });
});
