/**
 * Globs on item paths, as written in policies (`paths:` conditions and the allow-list). Paths are
 * relative, with `/` between segments, compared case-sensitively.
 *
 * - `*` matches any characters within one segment, `?` exactly one; `[abc]`, `[a-z]`, `[!abc]` one of
 *   (or none of) a set; `{csv,tsv}` one of the alternatives (not nested); `\` takes the next character
 *   literally.
 * - `**` as a whole segment matches any number of segments, including none (`reports/**` is everything under `reports`).
 * - A glob without `/` matches the last segment at any depth, as in `.gitignore`: `*.csv` matches
 *   `a/b/x.csv`. A glob with `/` must match the whole path.
 *
 * Our own small matcher rather than a dependency: the syntax is exactly what is documented here, and a
 * malformed glob is reported at load with a reason instead of silently matching nothing.
 */

export type CompiledGlob = { ok: true; regex: RegExp; baseNameOnly: boolean } | { ok: false; problem: string };

/** Compiles a glob, or says what is wrong with it. */
export function compileGlob(glob: string): CompiledGlob {
  if (glob.length === 0) return { ok: false, problem: 'is empty' };
  if (glob.startsWith('/')) return { ok: false, problem: 'must be relative (item paths never start with "/")' };
  const segments = glob.split('/');
  if (segments.some((s) => s === '..' || s === '.')) return { ok: false, problem: 'must not contain "." or ".." segments' };
  if (segments.some((s) => s === '')) return { ok: false, problem: 'must not contain empty segments ("//" or a trailing "/")' };
  const parts: string[] = [];
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    if (segment === '**') {
      // Zero or more whole segments; the slash belongs to the segments matched.
      parts.push(last ? '.*' : '(?:[^/]+/)*');
      continue;
    }
    const compiled = compileSegment(segment);
    if (typeof compiled !== 'string') return { ok: false, problem: compiled.problem };
    parts.push(last ? compiled : `${compiled}/`);
  }
  return { ok: true, regex: new RegExp(`^${parts.join('')}$`, 'u'), baseNameOnly: segments.length === 1 };
}

/** Whether `path` matches `glob`; a malformed glob matches nothing (the schema refuses those at load). */
export function matchesGlob(glob: string, path: string): boolean {
  let compiled = cache.get(glob);
  if (!compiled) {
    compiled = compileGlob(glob);
    cache.set(glob, compiled);
  }
  if (!compiled.ok) return false;
  const subject = compiled.baseNameOnly ? path.slice(path.lastIndexOf('/') + 1) : path;
  return compiled.regex.test(subject);
}

// Policies are few and small; compiled globs are kept for the life of the process.
const cache = new Map<string, CompiledGlob>();

function compileSegment(segment: string): string | { problem: string } {
  let out = '';
  let inBraces = false;
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '\\') {
      const next = segment[i + 1];
      if (next === undefined) return { problem: 'ends with a lone "\\"' };
      out += escapeRegex(next);
      i++;
    } else if (c === '*') {
      if (segment[i + 1] === '*') return { problem: '"**" must be a whole path segment, as in "a/**/b"' };
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end === -1) return { problem: 'has a "[" without its closing "]"' };
      let body = segment.slice(i + 1, end);
      const negated = body.startsWith('!');
      if (negated) body = body.slice(1);
      if (body.length === 0) return { problem: 'has an empty "[]" set' };
      out += `[${negated ? '^/' : ''}${body.replace(/[\\\]^[]/g, '\\$&')}]`;
      i = end;
    } else if (c === '{') {
      if (inBraces) return { problem: 'has nested "{"; alternatives cannot be nested' };
      inBraces = true;
      out += '(?:';
    } else if (c === ',' && inBraces) {
      out += '|';
    } else if (c === '}') {
      if (!inBraces) return { problem: 'has a "}" without its opening "{"' };
      inBraces = false;
      out += ')';
    } else {
      out += escapeRegex(c);
    }
  }
  if (inBraces) return { problem: 'has a "{" without its closing "}"' };
  return out;
}

function escapeRegex(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
