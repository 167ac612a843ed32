import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { AirlockError } from '../errors.js';

/**
 * Reading YAML config files (pipelines, policies) so that every problem points at a line: the YAML is
 * parsed keeping node positions, validated with zod, and each zod issue is mapped back to the node it
 * is about. Operators fix files in an editor, so `file:line:col` matters more than the schema path.
 */

/** 1-based, as editors count. */
export interface SourcePosition {
  line: number;
  column: number;
}

/** One problem found in a config file. */
export interface SourceProblem {
  /** The file as read (absolute when the folder was given absolute). */
  file: string;
  line: number;
  column: number;
  /** The field's path, `destination.kind` or `rules[2].then`; '' for a syntax error or the whole file. */
  field: string;
  message: string;
  /** `file:line:col: field: message` with the file shortened to the working directory: the line shown to operators. */
  text: string;
}

/** The part of a zod issue we need; zod's issues fit it, and loaders add their own. */
export interface IssueLike {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code?: string;
  /** Set on `unrecognized_keys` issues: each key becomes its own problem at its own line. */
  readonly keys?: readonly string[];
}

export interface ParsedYaml {
  doc: Document;
  lineCounter: LineCounter;
  /** Syntax errors (including duplicate keys and multiple documents); empty when the YAML is well-formed. */
  problems: SourceProblem[];
}

export type Validated<T> = { ok: true; data: T; nameAt: SourcePosition } | { ok: false; problems: SourceProblem[] };

export const YAML_EXTENSIONS = ['.yaml', '.yml'] as const;

/** Pipeline and policy names: they are file names and appear in URLs, so lower-case and dashes only. */
export const CONFIG_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const configName = z
  .string()
  .regex(CONFIG_NAME_PATTERN, { error: 'must be lower-case letters, digits and dashes (at most 63), starting with a letter or digit' });

/** Parses YAML text keeping positions; never throws on bad YAML, it reports it. */
export function parseYamlSource(file: string, text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  // prettyErrors off: its messages embed a multi-line excerpt of the file, which we position ourselves.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems = doc.errors.map((error) => {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    return makeProblem(file, { line, column: col }, '', error.message.split('\n')[0] ?? error.code);
  });
  return { doc, lineCounter, problems };
}

/**
 * Finds the node a zod issue path is about. Map entries point at their key (where the field is written),
 * sequence entries at the item. A path that leaves the document (a missing key) stops at the nearest
 * existing parent, which is where the operator has to add it.
 */
export function positionOf(doc: Document, lineCounter: LineCounter, issuePath: readonly PropertyKey[]): SourcePosition {
  let node: unknown = doc.contents;
  let offset = isNode(node) ? (node.range?.[0] ?? 0) : 0;
  for (const key of issuePath) {
    if (isAlias(node)) node = node.resolve(doc);
    let next: unknown;
    let at: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      next = pair?.value;
      at = pair?.key;
    } else if (isSeq(node) && typeof key === 'number') {
      next = at = node.items[key];
    }
    if (!isNode(at) || !at.range) break;
    offset = at.range[0];
    node = next;
  }
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

/** `destination.kind`, `rules[2].then`. */
export function fieldName(issuePath: readonly PropertyKey[]): string {
  return issuePath.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    return acc ? `${acc}.${String(key)}` : String(key);
  }, '');
}

/** Turns issues into positioned problems, one per problem (an unknown-keys issue becomes one per key), in file order. */
export function toProblems(file: string, doc: Document, lineCounter: LineCounter, issues: readonly IssueLike[]): SourceProblem[] {
  const split = issues.flatMap((issue): IssueLike[] =>
    issue.code === 'unrecognized_keys' && issue.keys?.length
      ? issue.keys.map((key) => ({ path: [...issue.path, key], message: issue.message }))
      : [issue],
  );
  const problems = split.map((issue) => makeProblem(file, positionOf(doc, lineCounter, issue.path), fieldName(issue.path), issue.message));
  return problems.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** `pipelines/bad.yaml:7:3: destination.kind: Invalid option: expected one of "local"`, one string per problem. */
export function formatIssues(file: string, doc: Document, lineCounter: LineCounter, issues: readonly IssueLike[]): string[] {
  return toProblems(file, doc, lineCounter, issues).map((p) => p.text);
}

/**
 * Parses and validates one file's text. Every problem is reported at once: syntax errors first (the
 * schema is not run on broken YAML), otherwise all schema issues plus, when `expectedName` is given, a
 * `name` that differs from the file's name (so a file can be found from the name it declares).
 */
export function validateYaml<S extends z.ZodType>(
  file: string,
  text: string,
  schema: S,
  options: { expectedName?: string } = {},
): Validated<z.output<S>> {
  const { doc, lineCounter, problems } = parseYamlSource(file, text);
  if (problems.length > 0) return { ok: false, problems };
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  const result = schema.safeParse(raw, { error: requiredMessage });
  const issues: IssueLike[] = result.success ? [] : [...result.error.issues];
  const declared = (raw as { name?: unknown } | null)?.name;
  const nameFlagged = issues.some((i) => i.path.length === 1 && i.path[0] === 'name');
  if (options.expectedName !== undefined && typeof declared === 'string' && declared !== options.expectedName && !nameFlagged) {
    issues.push({ path: ['name'], message: `is "${declared}" but must equal the file name "${options.expectedName}"` });
  }
  if (!result.success || issues.length > 0) return { ok: false, problems: toProblems(file, doc, lineCounter, issues) };
  return { ok: true, data: result.data, nameAt: positionOf(doc, lineCounter, ['name']) };
}

/** zod's default for a missing field reads "expected string, received undefined"; operators read "is required". */
function requiredMessage(issue: z.core.$ZodRawIssue): string | undefined {
  return issue.code === 'invalid_type' && issue.input === undefined ? `is required (${issue.expected})` : undefined;
}

/** A strict object whose unknown-key message lists the allowed keys, so a typo is fixed without the docs. */
export function strictConfigObject<S extends z.core.$ZodLooseShape>(shape: S) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, { error: (iss) => (iss.code === 'unrecognized_keys' ? `unknown key (allowed: ${allowed})` : undefined) });
}

export function makeProblem(file: string, at: SourcePosition, field: string, message: string): SourceProblem {
  const where = `${displayPath(file)}:${at.line}:${at.column}`;
  return {
    file,
    line: at.line,
    column: at.column,
    field,
    message,
    text: field ? `${where}: ${field}: ${message}` : `${where}: ${message}`,
  };
}

/** A path relative to the working directory when it is inside it (`pipelines/x.yaml`), else as given. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** The name a config file declares itself under: its base name without `.yaml`/`.yml`. */
export function yamlBaseName(file: string): string {
  const base = path.basename(file);
  const ext = YAML_EXTENSIONS.find((e) => base.endsWith(e));
  return ext ? base.slice(0, -ext.length) : base;
}

/** The `*.yaml`/`*.yml` files directly in `dir`, sorted so loading order (and duplicate reports) are stable. */
export async function listYamlFiles(dir: string, label: string): Promise<string[]> {
  let names: string[];
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    names = entries.filter((e) => !e.isDirectory() && YAML_EXTENSIONS.some((ext) => e.name.endsWith(ext))).map((e) => e.name);
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unknown error';
    throw new AirlockError('invalid_input', `The ${label} folder ${displayPath(dir)} could not be read (${code}); check that it exists.`, {
      cause: error,
    });
  }
  return names.sort().map((name) => path.join(dir, name));
}

export type ConfigKind = 'pipeline' | 'policy';

/**
 * The one file in `dir` that holds config `name`. Throws `not_found` listing the names available, or
 * `<kind>_invalid` when both `name.yaml` and `name.yml` exist (neither can be trusted to be the one meant).
 */
export async function findConfigFile(dir: string, kind: ConfigKind, name: string): Promise<string> {
  const files = await listYamlFiles(dir, kind === 'policy' ? 'policies' : 'pipelines');
  // Checked before matching so a name like `../x` can never select a file outside the folder.
  const candidates = CONFIG_NAME_PATTERN.test(name) ? files.filter((f) => yamlBaseName(f) === name) : [];
  const noun = kind === 'policy' ? 'Policy' : 'Pipeline';
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length > 1) {
    const where = candidates.map((f) => path.basename(f)).join(', ');
    throw new AirlockError(
      `${kind}_invalid`,
      `${noun} "${name}" is defined more than once (${where}) in ${displayPath(dir)}; keep one file.`,
    );
  }
  const available = [...new Set(files.map(yamlBaseName))].join(', ') || 'none';
  throw new AirlockError('not_found', `${noun} "${name}" was not found in ${displayPath(dir)}; available: ${available}.`);
}

/** The error for a config file that failed validation: a headline, then one `file:line:col: field: message` line per problem. */
export function invalidConfigError(kind: ConfigKind, name: string, problems: readonly SourceProblem[]): AirlockError {
  const noun = kind === 'policy' ? 'Policy' : 'Pipeline';
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return new AirlockError(`${kind}_invalid`, `${noun} "${name}" is invalid (${count}):\n${problems.map((p) => `  ${p.text}`).join('\n')}`);
}

/** Reads a config file; `version` (sha256 of the bytes) lets a decision be traced to the exact file it used. */
export async function readYamlFile(file: string): Promise<{ text: string; version: string } | { problem: SourceProblem }> {
  try {
    const bytes = await readFile(file);
    return { text: bytes.toString('utf8'), version: createHash('sha256').update(bytes).digest('hex') };
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unknown error';
    return { problem: makeProblem(file, { line: 1, column: 1 }, '', `could not be read (${code})`) };
  }
}

/** Freezes loaded config so nothing downstream can change what was validated. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
