import { describe, expect, it } from 'vitest';
import { compileGlob, matchesGlob } from './path-glob.js';

describe('matchesGlob', () => {
  const cases: [string, string, boolean][] = [
    ['reports/*.csv', 'reports/q3.csv', true],
    ['reports/*.csv', 'reports/2024/q3.csv', false],
    ['reports/**', 'reports/2024/q3/x.csv', true],
    ['reports/**', 'reports', false],
    ['reports/**/*.csv', 'reports/q3.csv', true],
    ['reports/**/*.csv', 'reports/a/b/q3.csv', true],
    ['**/secret/*', 'a/b/secret/x', true],
    ['**/secret/*', 'secret/x', true],
    ['*.csv', 'deep/down/x.csv', true],
    ['*.csv', 'x.csv.gz', false],
    ['q?.csv', 'q3.csv', true],
    ['q?.csv', 'q33.csv', false],
    ['[a-c]*.txt', 'b1.txt', true],
    ['[!a-c]*.txt', 'b1.txt', false],
    ['*.{csv,tsv}', 'x.tsv', true],
    ['*.{csv,tsv}', 'x.json', false],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['data.csv', 'data_csv', false],
    ['Reports/*', 'reports/x', false],
  ];
  it.each(cases)('%s against %s is %s', (glob, path, expected) => {
    expect(matchesGlob(glob, path)).toBe(expected);
  });
});

describe('compileGlob', () => {
  it.each([
    ['', 'is empty'],
    ['/etc/*', 'must be relative'],
    ['a/../b', 'must not contain "." or ".." segments'],
    ['a//b', 'must not contain empty segments'],
    ['a**/b', '"**" must be a whole path segment'],
    ['[abc', 'has a "[" without its closing "]"'],
    ['*.{csv', 'has a "{" without its closing "}"'],
    ['x}', 'has a "}" without its opening "{"'],
    ['{a,{b,c}}', 'nested'],
    ['a\\', 'lone'],
  ])('refuses %j: %s', (glob, problem) => {
    const compiled = compileGlob(glob);
    expect(compiled.ok).toBe(false);
    expect(!compiled.ok && compiled.problem).toContain(problem);
  });
});
