// The Airlock side of `bench/api/run.ts`: a local-to-local pipeline with an approver, a user and an API token
// made with the CLI, and tickets to read (the database, the build and the servers: bench/shared/).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TERMINAL_STATES } from '../../src/tickets/states.js';
import { runCaptured } from '../shared/child-process.js';
import { localPipelineYaml } from '../shared/pipeline.js';
import { withClient } from '../shared/postgres.js';

export const BENCH_PIPELINE = 'bench-local';
export const BENCH_USER = 'bench';
/** The body every POST /api/v1/tickets of the benchmark sends. */
export const NEW_TICKET_BODY = JSON.stringify({ pipeline: BENCH_PIPELINE, purpose: 'bench:api load test' });

/** States in which the workers are done with a ticket for now (terminal, or waiting for a person). */
const SETTLED_STATES: ReadonlySet<string> = new Set([...TERMINAL_STATES, 'awaiting_approval']);

/** How many tickets are in each state. */
export async function ticketStates(url: string): Promise<Map<string, number>> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ state: string; n: number }>('select state, count(*)::int as n from tickets group by state');
    return new Map(rows.map((r) => [r.state, r.n]));
  });
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
  await writeFile(
    join(pipelinesDir, `${BENCH_PIPELINE}.yaml`),
    localPipelineYaml({
      name: BENCH_PIPELINE,
      description: 'bench:api, local folder to local folder',
      sourceDir,
      destinationDir,
      settings: ['delivery: per-item', 'checks: [filetype, patterns, dlp]', `approvers: [{ name: ${BENCH_USER}, email: b@example.com }]`],
    }),
  );
  return { pipelinesDir, sourceDir, destinationDir };
}

/** Runs `node bin/airlock.js …` to completion and returns its stdout; throws with its stderr on failure. */
export async function runAirlockCli(repo: string, env: NodeJS.ProcessEnv, args: string[], timeoutMs = 120_000): Promise<string> {
  const { code, stdout, stderr } = await runCaptured([process.execPath, join(repo, 'bin/airlock.js'), ...args], {
    cwd: repo,
    env,
    timeoutMs,
  });
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
