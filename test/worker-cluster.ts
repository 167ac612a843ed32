// Several real `airlock worker` processes on one PostgreSQL database, a shared staging folder (standing in
// for the shared staging bucket) and local source and destination folders: what the scale-out and crash
// tests run against, and the invariants they check afterwards.
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { TicketQueue } from '../src/jobs/ticket-queue.js';
import { TERMINAL_STATES, type TicketState } from '../src/tickets/states.js';
import { submitTicket } from '../src/tickets/submit-ticket.js';
import { REPO_ROOT, startCli, type CliProcess } from './run-cli.js';
import { createTestStore, type TestStore } from './test-store.js';

export const PIPELINE = 'cluster';

/** One file of a ticket's folder in the source. */
export interface SourceFile {
  name: string;
  content: Buffer;
}

export interface WorkerCluster {
  readonly store: TestStore;
  readonly inbox: string;
  readonly outbox: string;
  readonly staging: string;
  /** Creates a ticket per entry, each moving its own source folder `t-<n>/`; returns the ticket ids in order. */
  submit(tickets: readonly SourceFile[][]): Promise<string[]>;
  /** Starts one `airlock worker` (concurrency `AIRLOCK_WORKER_CONCURRENCY`, default 4). */
  startWorker(env?: Record<string, string>): CliProcess;
  /** Waits until every ticket rests (terminal or awaiting approval); fails after `limitMs` naming those still moving. */
  waitUntilSettled(ids: readonly string[], limitMs: number): Promise<void>;
  /** Everything that must hold after any run, crashes included; returns the problems found (none: empty). */
  checkInvariants(ids: readonly string[]): Promise<string[]>;
  cleanup(): Promise<void>;
}

/** States in which a ticket rests: nothing more happens until a person acts (or nothing ever does). */
export function isResting(state: TicketState): boolean {
  return TERMINAL_STATES.has(state) || state === 'awaiting_approval';
}

export async function createWorkerCluster(): Promise<WorkerCluster> {
  if (!process.env.DATABASE_URL) throw new Error('The worker cluster needs PostgreSQL (DATABASE_URL).');
  const dir = await mkdtemp(path.join(tmpdir(), 'airlock-cluster-'));
  const inbox = path.join(dir, 'inbox');
  const outbox = path.join(dir, 'outbox');
  const staging = path.join(dir, 'staging');
  const pipelinesDir = path.join(dir, 'pipelines');
  await Promise.all([inbox, outbox, staging, pipelinesDir].map((d) => mkdir(d, { recursive: true })));
  await cp(path.join(REPO_ROOT, 'policies'), path.join(dir, 'policies'), { recursive: true });
  await writeFile(
    path.join(pipelinesDir, `${PIPELINE}.yaml`),
    [
      `name: ${PIPELINE}`,
      'source: { kind: local, root: ../inbox }',
      'destination: { kind: local, root: ../outbox }',
      'policy: default',
      'delivery: per-item',
      'trigger: { manual: true }',
    ].join('\n') + '\n',
  );
  const store = await createTestStore();
  const logger = pino({ level: 'silent' });
  // Jobs keep the retry limit of the queue they were sent to: as many retries as the chaos workers allow, so
  // kills alone never use a ticket's retries up.
  const queue = await TicketQueue.start(store, { retryLimit: 20, retryDelaySeconds: 1, concurrency: 1 }, logger, { maintenance: false });
  const masterKey = randomBytes(32).toString('base64');
  const workers: CliProcess[] = [];
  let submitted = 0;

  const baseEnv = (n: number): Record<string, string> => ({
    DATABASE_URL: store.url!,
    AIRLOCK_PIPELINES_DIR: pipelinesDir,
    AIRLOCK_POLICIES_DIR: path.join(dir, 'policies'),
    AIRLOCK_STAGING_DIR: staging,
    AIRLOCK_DATA_DIR: path.join(dir, `worker-${n}`),
    AIRLOCK_MASTER_KEY: masterKey,
    AIRLOCK_WORKER_CONCURRENCY: '4',
    AIRLOCK_WORKER_HEARTBEAT_FILE: path.join(dir, `worker-${n}.heartbeat`),
    AIRLOCK_SHUTDOWN_GRACE_SECONDS: '20',
    LOG_LEVEL: 'info',
  });

  return {
    store,
    inbox,
    outbox,
    staging,
    async submit(tickets) {
      const ids: string[] = [];
      for (const files of tickets) {
        const folder = `t-${String(++submitted).padStart(4, '0')}`;
        await mkdir(path.join(inbox, folder));
        for (const file of files) {
          await mkdir(path.dirname(path.join(inbox, folder, file.name)), { recursive: true });
          await writeFile(path.join(inbox, folder, file.name), file.content);
        }
        const row = await submitTicket(
          { db: store.db, pipelinesDir, enqueue: (trx, ticketId) => queue.enqueue(ticketId, trx) },
          { pipeline: PIPELINE, requester: 'alice', purpose: `cluster ${folder}`, selection: { include: [`${folder}/**`] } },
        );
        ids.push(row.id);
      }
      return ids;
    },
    startWorker(env = {}) {
      const worker = startCli(['worker'], { cwd: dir, env: { ...baseEnv(workers.length + 1), ...env } });
      workers.push(worker);
      return worker;
    },
    async waitUntilSettled(ids, limitMs) {
      const deadline = Date.now() + limitMs;
      for (;;) {
        const moving = await store.db
          .selectFrom('tickets')
          .select(['number', 'state'])
          .where('id', 'in', ids)
          .where('state', 'not in', [...TERMINAL_STATES, 'awaiting_approval'])
          .execute();
        if (moving.length === 0) return;
        if (Date.now() > deadline) {
          const sample = moving.slice(0, 10).map((t) => `T-${t.number} ${t.state}`);
          throw new Error(`${moving.length} ticket(s) still moving after ${limitMs / 1000} s: ${sample.join(', ')}`);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async checkInvariants(ids) {
      const problems: string[] = [];
      const tickets = await store.db.selectFrom('tickets').select(['id', 'number', 'state']).where('id', 'in', ids).execute();
      const events = await store.db
        .selectFrom('ticket_events')
        .select(['ticket_id', 'seq', 'from_state', 'to_state'])
        .where('ticket_id', 'in', ids)
        .orderBy('ticket_id')
        .orderBy('seq')
        .execute();
      const items = await store.db
        .selectFrom('items')
        .select(['ticket_id', 'source_path', 'state', 'sha256'])
        .where('ticket_id', 'in', ids)
        .execute();
      for (const t of tickets) {
        const label = `T-${t.number}`;
        if (!isResting(t.state)) problems.push(`${label} is still ${t.state}`);
        const chain = events.filter((e) => e.ticket_id === t.id);
        chain.forEach((e, i) => {
          if (e.seq !== i + 1) problems.push(`${label}: event ${i + 1} has seq ${e.seq} (a gap or a duplicate)`);
          const expectedFrom = i === 0 ? null : chain[i - 1]!.to_state;
          if (e.from_state !== expectedFrom)
            problems.push(`${label}: event ${e.seq} moves from ${e.from_state}, but the ticket was ${expectedFrom}`);
        });
        if (chain.at(-1)?.to_state !== t.state)
          problems.push(`${label}: last event says ${chain.at(-1)?.to_state}, ticket says ${t.state}`);
      }
      // The destination holds exactly the delivered items, each whole, and nothing else (no temporary file).
      const expected = new Map(items.filter((i) => i.state === 'delivered').map((i) => [i.source_path, i.sha256]));
      const found = await listFiles(outbox);
      for (const file of found) {
        const want = expected.get(file);
        if (want === undefined) problems.push(`destination holds ${file}, which no delivered item accounts for`);
        else if (sha256(await readFile(path.join(outbox, file))) !== want)
          problems.push(`destination file ${file} differs from what was inspected`);
      }
      for (const file of expected.keys()) if (!found.includes(file)) problems.push(`delivered item ${file} is missing at the destination`);
      // Staging keeps only what a resting ticket still needs (the data awaiting a decision).
      const waiting = new Set(tickets.filter((t) => t.state === 'awaiting_approval').map((t) => t.id));
      for (const staged of await readdir(staging)) {
        if (!waiting.has(staged))
          problems.push(`staging still holds ${staged} (${tickets.find((t) => t.id === staged)?.state ?? 'no such ticket'})`);
      }
      return problems;
    },
    async cleanup() {
      for (const worker of workers) {
        if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
        await worker.exited.catch(() => undefined);
      }
      await queue.stop();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Every file under `root`, as `/`-separated relative paths, sorted; hidden temporary files included. */
async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Resolves once the worker has logged that it started (or rejects if it exits first). */
export async function workerStarted(worker: CliProcess, limitMs = 45_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!worker.stderr().includes('airlock worker started') && !worker.stdout().includes('airlock worker started')) {
    if (worker.child.exitCode !== null) throw new Error(`worker exited (${worker.child.exitCode}) before starting:\n${worker.stderr()}`);
    if (Date.now() > deadline) throw new Error(`worker did not start within ${limitMs / 1000} s:\n${worker.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
