// Searching for planted values (a canary, whole sensitive values) in what Airlock writes outside the data path:
// log lines, mails, API responses, database rows. Every hit is reported with where it was and a short excerpt
// in which every planted value is replaced by its label, so a failing test never prints one.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import type { Db } from '../src/db/database.js';

/** One exact string to look for, and the label a hit on it is reported (and masked) with. */
export interface Needle {
  label: string;
  text: string;
}

/** A text that must hold none of the needles, and where it came from (shown with each hit). */
export interface Haystack {
  where: string;
  text: string;
}

export interface Hit {
  where: string;
  needle: string;
  /** The text around the hit, every needle in it replaced by `‹label›`, control characters escaped. */
  excerpt: string;
}

export interface PlantedValue {
  label: string;
  /** The forms the value was planted in (`4539148803436467`, `4539 1488 0343 6467`…). */
  forms: readonly string[];
  /** Also look for its hexadecimal form (how a bytea column shows bytes). */
  hex?: boolean;
}

/**
 * The needles of planted values: each form as is, and its base64 and base64url forms at each of the three
 * alignments it can take inside a longer base64 text (a mail part, a serialised buffer), so a value encoded
 * anywhere in such a text is still found.
 */
export function needlesOf(values: readonly PlantedValue[]): Needle[] {
  const needles = new Map<string, string>();
  const add = (text: string, label: string) => {
    if (text.length >= 8 && !needles.has(text)) needles.set(text, label);
  };
  for (const value of values) {
    for (const form of value.forms) {
      add(form, value.label);
      for (const core of base64Cores(form)) {
        add(core, `${value.label} (base64)`);
        add(core.replaceAll('+', '-').replaceAll('/', '_'), `${value.label} (base64url)`);
      }
      if (value.hex) {
        const hex = Buffer.from(form, 'utf8').toString('hex');
        add(hex, `${value.label} (hex)`);
        add(hex.toUpperCase(), `${value.label} (hex)`);
      }
    }
  }
  return [...needles].map(([text, label]) => ({ label, text }));
}

/**
 * The part of `value`'s base64 encoding that does not depend on the bytes around it, for each of the three
 * offsets (mod 3) it can start at inside a longer encoded text.
 */
export function base64Cores(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const cores: string[] = [];
  for (let lead = 0; lead < 3; lead++) {
    const encoded = Buffer.concat([Buffer.alloc(lead), bytes]).toString('base64');
    // Skip the group holding the leading filler; keep only whole groups made of the value's bytes.
    const start = lead === 0 ? 0 : 4;
    const end = Math.floor((lead + bytes.length) / 3) * 4;
    if (end > start) cores.push(encoded.slice(start, end));
  }
  return cores;
}

/** Every occurrence of every needle in every haystack, each with a masked excerpt. */
export function findLeaks(haystacks: Iterable<Haystack>, needles: readonly Needle[], radius = 32): Hit[] {
  const hits: Hit[] = [];
  for (const haystack of haystacks) {
    const ranges = rangesIn(haystack.text, needles);
    for (const range of ranges) {
      hits.push({ where: haystack.where, needle: range.label, excerpt: excerptAround(haystack.text, ranges, range, radius) });
    }
  }
  return hits;
}

/** Replaces every needle in `text` by its label: for diagnostics that must not print a planted value. */
export function scrub(text: string, needles: readonly Needle[]): string {
  const ranges = rangesIn(text, needles);
  let out = '';
  let at = 0;
  for (const range of ranges) {
    if (range.end <= at) continue;
    out += text.slice(at, Math.max(at, range.start)) + `‹${range.label}›`;
    at = Math.max(at, range.end);
  }
  return out + text.slice(at);
}

/** One line per hit, for a failure message. */
export function describeHits(hits: readonly Hit[]): string[] {
  return hits.map((h) => `${h.where}: ${h.needle} in "${h.excerpt}"`);
}

interface Range {
  start: number;
  end: number;
  label: string;
}

function rangesIn(text: string, needles: readonly Needle[]): Range[] {
  const ranges: Range[] = [];
  for (const needle of needles) {
    for (let at = text.indexOf(needle.text); at !== -1; at = text.indexOf(needle.text, at + 1)) {
      ranges.push({ start: at, end: at + needle.text.length, label: needle.label });
    }
  }
  ranges.sort((a, b) => a.start - b.start || b.end - a.end);
  // A needle inside a longer one (a base64 core inside a longer core) is the same hit.
  const outer: Range[] = [];
  for (const range of ranges) {
    const last = outer.at(-1);
    if (last && range.end <= last.end) continue;
    outer.push(range);
  }
  return outer;
}

function excerptAround(text: string, ranges: readonly Range[], hit: Range, radius: number): string {
  const from = Math.max(0, hit.start - radius);
  const to = Math.min(text.length, hit.end + radius);
  let out = '';
  let at = from;
  for (const range of ranges) {
    if (range.end <= at || range.start >= to) continue;
    out += text.slice(at, Math.max(at, range.start)) + `‹${range.label}›`;
    at = Math.max(at, range.end);
  }
  if (at < to) out += text.slice(at, to);
  return `${from > 0 ? '…' : ''}${JSON.stringify(out).slice(1, -1)}${to < text.length ? '…' : ''}`;
}

export interface DatabaseDump {
  /** `pg_dump` or `select` (every row of every table of the schemas, as JSON). */
  method: 'pg_dump' | 'select';
  /** Why pg_dump was not used, when it was not. */
  note?: string;
  /** One haystack per column value (`select`) or per COPY field (`pg_dump`), named `schema.table.column (row …)`. */
  haystacks: Haystack[];
  /** The tables that held at least one row. */
  tables: Set<string>;
}

const SCHEMAS = ['public', 'pgboss'] as const;

/**
 * Everything in the store's own schemas: on PostgreSQL a data-only `pg_dump` of the database at `url` when
 * the tool is there and works, otherwise every row of every table of `public` and `pgboss` listed by
 * information_schema, each column as text.
 */
export async function dumpDatabase(db: Db, url: string | undefined): Promise<DatabaseDump> {
  let note: string | undefined;
  if (url) {
    try {
      const { stdout } = await promisify(execFile)(
        'pg_dump',
        ['--data-only', '--no-owner', '--no-privileges', ...SCHEMAS.flatMap((s) => ['--schema', s]), '--dbname', url],
        { maxBuffer: 512 * 1024 * 1024 },
      );
      return { method: 'pg_dump', ...parseDump(stdout) };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      note = code === 'ENOENT' ? 'pg_dump is not installed' : `pg_dump failed (${String(code ?? 'error')})`;
    }
  }
  return { method: 'select', ...(note ? { note } : {}), ...(await selectEverything(db)) };
}

/** Splits a data-only dump into haystacks per field of each COPY row; anything else is kept by line. */
function parseDump(dump: string): Omit<DatabaseDump, 'method'> {
  const haystacks: Haystack[] = [];
  const tables = new Set<string>();
  let copy: { table: string; columns: string[] } | undefined;
  for (const [index, line] of dump.split('\n').entries()) {
    if (copy) {
      if (line === '\\.') {
        copy = undefined;
        continue;
      }
      tables.add(copy.table);
      const fields = line.split('\t');
      const row = `${copy.columns[0]}=${fields[0]}`;
      for (const [i, field] of fields.entries()) {
        if (field === '\\N') continue;
        const where = `${copy.table}.${copy.columns[i] ?? `#${i + 1}`} (row ${row})`;
        // A json or jsonb field by each string in it, unescaped; any other field as dumped.
        const json = jsonHaystacks(`${copy.table}.${copy.columns[i] ?? `#${i + 1}`}`, ` (row ${row})`, unescapeCopy(field));
        haystacks.push(...(json.length > 0 ? json : [{ where, text: field }]));
      }
      continue;
    }
    const header = /^COPY (\S+) \((.*)\) FROM stdin;$/.exec(line);
    if (header) {
      copy = { table: header[1]!.replaceAll('"', ''), columns: header[2]!.split(', ').map((c) => c.replaceAll('"', '')) };
      continue;
    }
    if (line !== '' && !line.startsWith('--')) haystacks.push({ where: `pg_dump line ${index + 1}`, text: line });
  }
  return { haystacks, tables };
}

/** COPY's text format: backslash escapes for backslash, newline, tab and the like. */
function unescapeCopy(field: string): string {
  const named: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v' };
  return field.replace(/\\(.)/g, (_, char: string) => named[char] ?? char);
}

function jsonHaystacks(path: string, suffix: string, text: string): Haystack[] {
  if (!/^[[{]/.test(text)) return [];
  try {
    return valueHaystacks(path, JSON.parse(text) as unknown, suffix);
  } catch {
    return [];
  }
}

const ROW_IDS = ['id', 'seq', 'name', 'message_id', 'ticket_id', 'item_id', 'version', 'key'] as const;

/** One haystack per column of a row (each string inside a JSON column on its own), named `table.column (row …)`. */
export function rowHaystacks(table: string, row: Record<string, unknown>, fallbackId: string): Haystack[] {
  const idColumn = ROW_IDS.find((c) => row[c] !== undefined && row[c] !== null);
  const rowId = idColumn ? `${idColumn}=${String(row[idColumn])}` : fallbackId;
  return Object.entries(row).flatMap(([column, value]) => valueHaystacks(`${table}.${column}`, value, ` (row ${rowId})`));
}

/** Every string, number and key inside `value`, each named by its path (`….output.cause.message`). */
function valueHaystacks(path: string, value: unknown, suffix = ''): Haystack[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => valueHaystacks(`${path}[${i}]`, v, suffix));
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return [
      { where: `${path} keys${suffix}`, text: entries.map(([k]) => k).join('\n') },
      ...entries.flatMap(([k, v]) => valueHaystacks(`${path}.${k}`, v, suffix)),
    ];
  }
  return [{ where: `${path}${suffix}`, text: String(value) }];
}

async function selectEverything(db: Db): Promise<Omit<DatabaseDump, 'method'>> {
  const listed = await sql<{ table_schema: string; table_name: string }>`
    select table_schema, table_name from information_schema.tables
    where table_schema in (${sql.join([...SCHEMAS])}) and table_type = 'BASE TABLE'
    order by table_schema, table_name`.execute(db);
  const haystacks: Haystack[] = [];
  const tables = new Set<string>();
  for (const { table_schema: schema, table_name: name } of listed.rows) {
    const table = `${schema}.${name}`;
    // `only`: a partitioned table's rows are read once, from its partitions (listed themselves).
    const rows = await sql<{ row: Record<string, unknown> }>`select to_jsonb(t) as row from only ${sql.table(table)} t`.execute(db);
    for (const [index, { row }] of rows.rows.entries()) {
      tables.add(table);
      haystacks.push(...rowHaystacks(table, row, `#${index + 1}`));
    }
  }
  return { haystacks, tables };
}
