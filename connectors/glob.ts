import { AirlockError } from '../src/errors.js';
import type { Selector } from './connector.js';

/**
 * Glob matching for connector selectors, over relative `/`-separated paths.
 *
 * A pattern is anchored: it must match the whole path relative to the connector root (the same string a
 * `ListedItem.path` holds), so `*.csv` matches only top-level files and `**\/*.csv` matches at any depth.
 * - `*` matches any run of characters within one segment, `?` exactly one; neither crosses `/`.
 * - `**` as a whole segment matches zero or more segments (`**\/x`, `a/**\/b`); trailing, as in `a/**`,
 *   it matches one or more, so it means "everything inside `a`" and not a file named `a` (as gitignore).
 *   `**` inside a segment (`a**b`) is an ordinary `*`.
 * - `[abc]`, `[a-z]`, `[!abc]` / `[^abc]` match one character; an unclosed `[` is a literal.
 * - `\` escapes the next character.
 * Dot-files get no special treatment: `*` matches `.env`. Exclude them explicitly if they must not move.
 */
export type PathMatcher = (path: string) => boolean;

const GLOBSTAR = Symbol('globstar');
type Segment = RegExp | typeof GLOBSTAR;

export function compileGlob(pattern: string): PathMatcher {
  if (pattern === '' || pattern.startsWith('/')) {
    throw new AirlockError('invalid_input', `Glob pattern ${JSON.stringify(pattern)} must be a non-empty path relative to the root.`);
  }
  let segments: Segment[];
  try {
    segments = pattern.split('/').map((part) => (part === '**' ? GLOBSTAR : segmentToRegExp(part)));
  } catch (error) {
    // Only a malformed class range such as `[z-a]` gets here.
    throw new AirlockError('invalid_input', `Glob pattern ${JSON.stringify(pattern)} is malformed; check its [...] ranges.`, {
      cause: error,
    });
  }
  return (path) => matchSegments(segments, path.split('/'));
}

/** Whether `path` is picked by a selector's include (all when empty or absent) and not by its exclude. */
export function matchesSelector(path: string, selector: Pick<Selector, 'include' | 'exclude'>): boolean {
  return compileSelector(selector)(path);
}

/** Compiles a selector's patterns once, for callers matching many paths. */
export function compileSelector(selector: Pick<Selector, 'include' | 'exclude'>): PathMatcher {
  const include = (selector.include ?? []).map(compileGlob);
  const exclude = (selector.exclude ?? []).map(compileGlob);
  return (path) => (include.length === 0 || include.some((m) => m(path))) && !exclude.some((m) => m(path));
}

function matchSegments(pattern: readonly Segment[], path: readonly string[]): boolean {
  // Memoised on (pattern index, path index): several `**` would otherwise backtrack exponentially.
  const seen = new Set<number>();
  const width = path.length + 1;
  const visit = (p: number, s: number): boolean => {
    const key = p * width + s;
    if (seen.has(key)) return false;
    seen.add(key);
    const segment = pattern[p];
    if (segment === undefined) return s === path.length;
    if (segment === GLOBSTAR) {
      const isTrailing = p === pattern.length - 1;
      if (isTrailing) return path.length - s >= 1;
      for (let next = s; next <= path.length; next++) if (visit(p + 1, next)) return true;
      return false;
    }
    const part = path[s];
    return part !== undefined && segment.test(part) && visit(p + 1, s + 1);
  };
  return visit(0, 0);
}

function segmentToRegExp(part: string): RegExp {
  let source = '';
  for (let i = 0; i < part.length; i++) {
    const char = part[i] as string;
    if (char === '*') {
      while (part[i + 1] === '*') i++;
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else if (char === '\\' && i + 1 < part.length) {
      source += escapeRegExp(part[++i] as string);
    } else if (char === '[') {
      const parsed = parseClass(part, i);
      if (parsed === undefined) source += '\\[';
      else {
        source += parsed.source;
        i = parsed.end;
      }
    } else {
      source += escapeRegExp(char);
    }
  }
  return new RegExp(`^${source}$`, 'u');
}

/** Parses `[...]` starting at `start`; undefined when unclosed, so the `[` is taken literally. */
function parseClass(part: string, start: number): { source: string; end: number } | undefined {
  let i = start + 1;
  let negate = false;
  if (part[i] === '!' || part[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  // A `]` right after the opening (or its negation) is a member, as in POSIX brackets.
  for (let first = true; i < part.length; i++, first = false) {
    const char = part[i] as string;
    if (char === ']' && !first) return { source: `[${negate ? '^/' : ''}${body}]`, end: i };
    if (char === '\\' && i + 1 < part.length) body += escapeClassChar(part[++i] as string);
    else if (char === '-' && !first && part[i + 1] !== ']') body += '-';
    else body += escapeClassChar(char);
  }
  return undefined;
}

function escapeRegExp(char: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(char) ? `\\${char}` : char;
}

function escapeClassChar(char: string): string {
  return /[\\\]^[-]/.test(char) ? `\\${char}` : char;
}

/**
 * The folder every path matching one of `patterns` lies in, from their literal leading segments (`t-01/**` and
 * `t-01/a/*.csv` → `t-01`); '' when they share none. Lets a lister start there instead of walking the root.
 */
export function commonLiteralFolder(patterns: readonly string[]): string {
  let common: string[] | undefined;
  for (const pattern of patterns) {
    const literal: string[] = [];
    for (const segment of pattern.split('/').slice(0, -1)) {
      if (/[*?[\\]/.test(segment) || segment === '' || segment === '.' || segment === '..') break;
      literal.push(segment);
    }
    let shared = 0;
    while (common === undefined ? shared < literal.length : shared < common.length && common[shared] === literal[shared]) shared++;
    common = (common ?? literal).slice(0, shared);
    if (common.length === 0) return '';
  }
  return (common ?? []).join('/');
}
