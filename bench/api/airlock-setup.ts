// The Airlock side of `bench/api/run.ts`: a fresh PostgreSQL database, a local-to-local pipeline with an
// approver, a user and an API token made with the CLI, `airlock serve`, and tickets to read.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { TERMINAL_STATES } from '../../src/tickets/states.js';

export const BENCH_PIPELINE = 'bench-local';
export const BENCH_USER = 'bench';
/** The body every POST /api/v1/tickets of the benchmark sends. */
export const NEW_TICKET_BODY = JSON.stringify({ pipeline: BENCH_PIPELINE, purpose: 'bench:api load test' });

/** States in which the workers are done with a ticket for now (terminal, or waiting for a person). */
const SETTLED_STATES: ReadonlySet<string> = new Set([...TERMINAL_STATES, 'awaiting_approval']);

/** Creates database `name` on the server of `adminUrl` (dropping a leftover of that name); returns its URL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  await adminQuery(adminUrl, [`drop database if exists ${name} with (force)`, `create database ${name}`]);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await adminQuery(adminUrl, [`drop database if exists ${name} with (force)`]);
}

/** The server's version string (`PostgreSQL 15.x …`, up to the first comma). */
export async function postgresVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: string }>('select version()');
    return rows[0]?.version.split(',')[0] ?? 'unknown';
  } finally {
    await client.end();
  }
}

async function adminQuery(adminUrl: string, statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    for (const s of statements) await client.query(s);
  } finally {
    await client.end();
  }
}

/** How many tickets are in each state. */
export async function ticketStates(url: string): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ state: string; n: number }>('select state, count(*)::int as n from tickets group by state');
    return new Map(rows.map((r) => [r.state, r.n]));
  } finally {
    await client.end();
  }
}

/**
 * A pipelines folder holding `bench-local.yaml`: local source (three small files, one with an IBAN so every
 * ticket gets a finding and waits for approval) to a local destination, approver `bench`.
 */
export async function writeBenchPipeline(work: string): Promise<{ pipelinesDir: string; sourceDir: string; destinationDir: string }> {
  const pipelinesDir = join(work, 'pipelines');
  const sourceDir = join(work, 'source');
  const destinationDir = join(work, 'destination');
  for (const dir of [pipelinesDir, sourceDir, destinationDir]) await mkdir(dir, { recursive: true });
  await writeFile(join(sourceDir, 'readme.txt'), 'Quarterly export for the partner; nothing sensitive in this file.\n'.repeat(20));
  await writeFile(
    join(sourceDir, 'totals.csv'),
    'region,units,revenue\n' + Array.from({ length: 50 }, (_, i) => `r${i},${i * 7},${i * 130}`).join('\n'),
  );
  await writeFile(join(sourceDir, 'payout.txt'), 'Payout account for the partner: DE89 3704 0044 0532 0130 00\n');
  const q = (value: string): string => JSON.stringify(value);
  await writeFile(
    join(pipelinesDir, `${BENCH_PIPELINE}.yaml`),
    [
      `name: ${BENCH_PIPELINE}`,
      'description: bench:api, local folder to local folder',
      'source:',
      '  kind: local',
      `  root: ${q(sourceDir)}`,
      'destination:',
      '  kind: local',
      `  root: ${q(destinationDir)}`,
      'policy: default',
      'delivery: per-item',
      'checks: [filetype, patterns, dlp]',
      `approvers: [{ name: ${BENCH_USER}, email: b@example.com }]`,
      'trigger: { manual: true }',
      '',
    ].join('\n'),
  );
  return { pipelinesDir, sourceDir, destinationDir };
}

/** Runs `node bin/airlock.js …` to completion and returns its stdout; throws with its stderr on failure. */
export async function runAirlockCli(repo: string, env: NodeJS.ProcessEnv, args: string[], timeoutMs = 120_000): Promise<string> {
  const child = spawn(process.execPath, [join(repo, 'bin/airlock.js'), ...args], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  }).finally(() => clearTimeout(timer));
  // The command line is safe to show; stdout is not (`tokens create` prints a secret).
  if (code !== 0) throw new Error(`airlock ${args.join(' ')} exited with ${code}:\n${stderr.trim()}`);
  return stdout;
}

/**
 * Creates `count` tickets through the API, `parallel` requests at a time, and returns their ids
 * (`T-000123`). Any answer but 201 stops the benchmark.
 */
export async function createTickets(baseUrl: string, token: string, count: number, parallel = 8): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      const res = await fetch(`${baseUrl}/api/v1/tickets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: NEW_TICKET_BODY,
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`POST /api/v1/tickets answered ${res.status}: ${text.slice(0, 500)}`);
      ids.push((JSON.parse(text) as { id: string }).id);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return ids;
}

/** GETs one ticket as the benchmark will; throws unless it answers 200. */
export async function readTicket(baseUrl: string, token: string, id: string): Promise<{ bytes: number; body: TicketShape }> {
  const res = await fetch(`${baseUrl}/api/v1/tickets/${id}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET /api/v1/tickets/${id} answered ${res.status}: ${text.slice(0, 500)}`);
  return { bytes: Buffer.byteLength(text), body: JSON.parse(text) as TicketShape };
}

/** The parts of a ticket view the benchmark reports. */
export interface TicketShape {
  id: string;
  state: string;
  items: unknown[];
  findings: unknown[];
  events: unknown[];
  approvals: unknown[];
  decision: unknown;
}

/**
 * Whether `bin/airlock.js` will run the compiled dist/ (it falls back to the TypeScript sources through tsx
 * when any source is newer than dist/src/cli/main.js): the same test as bin/airlock.js makes.
 */
export function compiledIsFresh(repo: string): boolean {
  const newest = (dir: string): number => {
    let max = 0;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) max = Math.max(max, newest(full));
      else if (entry.name.endsWith('.ts') && !/\.test(-support)?\.ts$/.test(entry.name)) max = Math.max(max, statSync(full).mtimeMs);
    }
    return max;
  };
  try {
    const built = statSync(join(repo, 'dist/src/cli/main.js')).mtimeMs;
    return ['src', 'checks', 'connectors'].every((dir) => newest(join(repo, dir)) <= built);
  } catch {
    return false;
  }
}

/** Waits until the workers are done with every ticket (bounded); says how that went. */
export async function waitForSettled(databaseUrl: string, timeoutMs: number, progress: (msg: string) => void): Promise<string> {
  const started = Date.now();
  for (;;) {
    const states = await ticketStates(databaseUrl);
    const busy = [...states].filter(([s]) => !SETTLED_STATES.has(s)).reduce((n, [, c]) => n + c, 0);
    const summary = [...states].map(([s, n]) => `${s} ${n}`).join(', ');
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (busy === 0) return `the workers had processed them all after ${seconds} s (${summary}) before any measurement`;
    if (Date.now() - started > timeoutMs) {
      progress(`warning: ${busy} tickets still in progress after ${seconds} s; measuring anyway`);
      return `${busy} were still being processed when measuring started (${summary})`;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
