// `npm run bench:scale`: tickets per second of `airlock worker` processes sharing one PostgreSQL, with one
// worker and then with two, in the same run. Each round gets a fresh database and fresh folders, then 500
// tickets of one pipeline (local source folder to local destination folder, policy default, checks
// filetype, patterns and dlp), each moving its own folder of three 2-4 KiB text files (its `selection`).
// A benchmark, not a test: it prints numbers and `bench:` lines, and exits 1 only when a run is invalid
// (PostgreSQL unreachable, a worker crashed, a round over its time limit, a ticket not `delivered`, or a
// destination file missing or different).
//
// A round's time is taken from the database: from the first ticket leaving `requested` (ticket_events.at)
// to the last ticket's finished_at, so the workers' start-up is not counted; the wall time from starting
// the workers to the last ticket done is printed beside it.
//
//   --tickets N          tickets per round (default 500)
//   --concurrency N      tickets each worker works on at once, `airlock worker --concurrency N` (default 8:
//                        the best single-worker rate of a `--sweep 2,4,8,16` on the reference machine)
//   --database-url URL   admin connection to the PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres);
//                        each round creates database airlock_bench_scale_<pid>_<n> there and drops it afterwards
//   --runs N             measured rounds per worker count, interleaved (default 1); medians are reported
//   --sweep LIST         first, one-worker rounds of --sweep-tickets tickets (default 150) at each concurrency
//                        in LIST (e.g. 2,4,8,16); without --concurrency the best one is used afterwards
//   --profile            the first one-worker round's worker runs under `node --cpu-prof`, and every worker of the
//                        first round of each size counts its SQL statements (bench/scale/count-queries.ts); the
//                        top costs per ticket are printed (profiled rounds run slower: compare CPU shares)
//   --round-timeout S    a round whose tickets are not all done after S seconds fails (default 600)
//   --timeout S          time limit of the whole benchmark (default 3600); over it, everything is stopped
//   --keep               keep the temp folder (databases are dropped regardless)
//   --prefix-pipelines   diagnosis, no `bench:` lines: one pipeline per ticket whose source `prefix` is the ticket's
//                        folder (besides the same selection), so a fetch lists that folder only instead of the whole
//                        source; the difference to a normal run is the cost of listing everything per ticket
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { access, copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { useConfiguredAuditKey } from '../../src/audit/audit-key.js';
import { loadConfig } from '../../src/config/env.js';
import { openStore, type Store } from '../../src/db/database.js';
import { TicketQueue } from '../../src/jobs/ticket-queue.js';
import { createLogger } from '../../src/log/logger.js';
import { submitTicket } from '../../src/tickets/submit-ticket.js';
import { buildAirlock } from '../shared/airlock-build.js';
import { benchLine, benchRun, fmt, out } from '../shared/bench-run.js';
import { startChildServer, type ChildServer } from '../shared/child-process.js';
import { airlockVersion, machineLines, tempDisk } from '../shared/machine.js';
import { cpuSnapshot, otherCores, type CpuSnapshot } from '../shared/other-cpu.js';
import { localPipelineYaml } from '../shared/pipeline.js';
import { createDatabase, dropDatabase, postgresVersion, redactUrl } from '../shared/postgres.js';
import type { QueryLog, StatementStat } from './count-queries.js';
import { summarizeProfile, type ProfileSummary } from './cpu-profile.js';
import { destinationProblems, writeSourceTree } from './source-tree.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const PIPELINE = 'bench-scale';
const FILES_PER_TICKET = 3;
/** Chosen with `--sweep 2,4,8,16` (see the header): the best one-worker rate on the reference machine. */
const DEFAULT_CONCURRENCY = 8;
const RATE_ANCHOR = 50;
const RATE_TARGET = 1;
const SPEEDUP_TARGET = 1.7;
const READY_TIMEOUT_MS = 120_000;
const POLL_MS = 100;
const MB = 1e6;

const { values: args } = parseArgs({
  options: {
    tickets: { type: 'string', default: '500' },
    concurrency: { type: 'string' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    runs: { type: 'string', default: '1' },
    sweep: { type: 'string' },
    'sweep-tickets': { type: 'string', default: '150' },
    profile: { type: 'boolean', default: false },
    'round-timeout': { type: 'string', default: '600' },
    timeout: { type: 'string', default: '3600' },
    keep: { type: 'boolean', default: false },
    'prefix-pipelines': { type: 'boolean', default: false },
  },
});
const adminUrl = args['database-url'];
const tickets = Number(args.tickets);
const runs = Number(args.runs);
const sweepTickets = Number(args['sweep-tickets']);
const roundTimeoutSeconds = Number(args['round-timeout']);
const timeoutSeconds = Number(args.timeout);
const prefixPipelines = args['prefix-pipelines'];
const sweep = args.sweep === undefined ? [] : args.sweep.split(',').map((s) => Number(s.trim()));

const bench = benchRun({ name: 'bench:scale', stopping: 'the workers', abortGraceMs: 60_000 });
const { progress, defer } = bench;
// Typed here, not destructured: TypeScript narrows after a call only through a `never` function with a declared type.
const fail: (msg: string) => never = bench.fail;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const hrtimeUs = (): number => Number(process.hrtime.bigint() / 1000n);
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

// ---------------------------------------------------------------------------------------------------
// One round

interface RoundSpec {
  label: string;
  workers: number;
  concurrency: number;
  tickets: number;
  profile: boolean;
}

interface StepTiming {
  state: string;
  avgMs: number;
  p50Ms: number;
}

interface RoundResult {
  spec: RoundSpec;
  /** First ticket out of `requested` to the last ticket finished, from the database. */
  seconds: number;
  ticketsPerSecond: number;
  startupSeconds: number;
  submitSeconds: number;
  /** Starting the workers to the last ticket finished. */
  wallSeconds: number;
  peakRssMB: number[];
  workerCpuSeconds: number[];
  postgresCpuSeconds: number;
  /** Cores' worth of CPU the whole machine used during the round, and what of it was not ours. */
  busyCores: number;
  otherCores: number;
  steps: StepTiming[];
  inWorker: { avgMs: number; p50Ms: number };
  commitsPerTicket: number;
  profile?: ProfileReport | undefined;
}

interface ProfileReport {
  cpu: ProfileSummary | undefined;
  statements: { shape: string; count: number; ms: number }[] | undefined;
  note: string[];
}

/** The pipeline a ticket of `folder` uses: the shared one, or with --prefix-pipelines its own. */
const pipelineOf = (folder: string): string => (prefixPipelines ? `${PIPELINE}-${folder}` : PIPELINE);

function pipelineYaml(sourceDir: string, destinationDir: string, folder?: string): string {
  return localPipelineYaml({
    name: folder === undefined ? PIPELINE : pipelineOf(folder),
    description: 'bench:scale, one folder per ticket (narrowed by the ticket selection), local to local',
    sourceDir,
    sourcePrefix: folder,
    destinationDir,
  });
}

/** Peak resident set size of a live process (VmHWM), in bytes; NaN if it cannot be read. */
function peakRss(pid: number | undefined): number {
  try {
    const kib = /^VmHWM:\s*(\d+)\s*kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? NaN : Number(kib) * 1024;
  } catch {
    return NaN;
  }
}

async function waitReady(workers: ChildServer[], heartbeats: string[]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    for (const w of workers) if (w.hasExited()) fail(`${w.name} exited while starting:\n${w.stderrTail()}`);
    const ready = await Promise.all(
      heartbeats.map((f) =>
        access(f).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (ready.every(Boolean)) return;
    if (Date.now() > deadline) fail(`the workers were not ready after ${READY_TIMEOUT_MS / 1000} s (no heartbeat file)`);
    await sleep(POLL_MS);
  }
}

let roundCounter = 0;

async function runRound(work: string, spec: RoundSpec): Promise<RoundResult> {
  const n = ++roundCounter;
  const dir = join(work, `round-${n}`);
  const [sourceDir, destinationDir, stagingDir, pipelinesDir, policiesDir, profileDir] = [
    'source',
    'destination',
    'staging',
    'pipelines',
    'policies',
    'profile',
  ].map((name) => join(dir, name)) as [string, string, string, string, string, string];
  for (const d of [sourceDir, destinationDir, stagingDir, pipelinesDir, policiesDir, profileDir]) await mkdir(d, { recursive: true });
  const removeDir = defer(`removing ${dir}`, () => (args.keep ? Promise.resolve() : rm(dir, { recursive: true, force: true })));
  await copyFile(join(REPO, 'policies/default.yaml'), join(policiesDir, 'default.yaml'));
  const tree = await writeSourceTree(sourceDir, spec.tickets, FILES_PER_TICKET);
  if (prefixPipelines) {
    for (const folder of tree.folders) {
      await writeFile(join(pipelinesDir, `${pipelineOf(folder)}.yaml`), pipelineYaml(sourceDir, destinationDir, folder));
    }
  } else {
    await writeFile(join(pipelinesDir, `${PIPELINE}.yaml`), pipelineYaml(sourceDir, destinationDir));
  }

  const dbName = `airlock_bench_scale_${process.pid}_${n}`;
  const databaseUrl = await createDatabase(adminUrl, dbName);
  const dropDb = defer(`dropping database ${dbName}`, () => dropDatabase(adminUrl, dbName));

  // Every worker shares the database, the staging folder (standing for a shared staging bucket) and the
  // master key; each has its own data folder and heartbeat file (the readiness signal: it is written once
  // the worker's queue is working).
  const masterKey = randomBytes(32).toString('base64');
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(AIRLOCK_|DATABASE_URL$|LOG_LEVEL$|SMTP_URL$|MAIL_|NODE_OPTIONS$)/.test(k)),
  );
  const heartbeats = Array.from({ length: spec.workers }, (_, i) => join(dir, `worker-${i + 1}.heartbeat`));
  const queryLogs = heartbeats.map((_, i) => join(profileDir, `queries-${i + 1}.json`));
  const cpuProfile = spec.profile && spec.workers === 1;
  const envFor = (i: number): NodeJS.ProcessEnv => ({
    ...inherited,
    DATABASE_URL: databaseUrl,
    AIRLOCK_PIPELINES_DIR: pipelinesDir,
    AIRLOCK_POLICIES_DIR: policiesDir,
    AIRLOCK_STAGING_DIR: stagingDir,
    AIRLOCK_MASTER_KEY: masterKey,
    AIRLOCK_DATA_DIR: join(dir, `data-${i + 1}`),
    AIRLOCK_WORKER_HEARTBEAT_FILE: heartbeats[i] as string,
    LOG_LEVEL: 'warn',
    ...(spec.profile
      ? {
          NODE_OPTIONS: `${cpuProfile ? `--cpu-prof --cpu-prof-dir=${profileDir} ` : ''}--import tsx --import ${pathToFileURL(join(REPO, 'bench/scale/count-queries.ts')).href}`,
          BENCH_SCALE_QUERY_LOG: queryLogs[i],
        }
      : {}),
  });

  // The queue the tickets are enqueued with, configured as the workers configure theirs (same defaults).
  const config = loadConfig(envFor(0), REPO);
  const logger = createLogger({ level: 'warn', pretty: false });
  // Creating a ticket writes an audit record, signed with the key the workers derive too (as the CLI sets it up).
  useConfiguredAuditKey(config);
  let store: Store | undefined = await openStore({ kind: 'postgres', url: databaseUrl });
  let queue: TicketQueue | undefined;
  const closeStore = defer('closing the benchmark store', async () => {
    const closing = (async () => {
      await queue?.stop();
      await store?.close();
    })();
    await Promise.race([closing, sleep(15_000)]);
    queue = undefined;
    store = undefined;
  });
  queue = await TicketQueue.start(
    store,
    {
      retryLimit: config.jobRetries,
      retryDelaySeconds: config.jobRetryDelaySeconds,
      concurrency: 1,
      heartbeatSeconds: config.jobHeartbeatSeconds,
      superviseSeconds: config.queueSuperviseSeconds,
    },
    logger,
    { maintenance: false },
  );

  progress(`${spec.label}: starting ${spec.workers} worker(s) at concurrency ${spec.concurrency} (database ${dbName})`);
  const startedAt = Date.now();
  const workers: ChildServer[] = [];
  const stops: (() => Promise<void>)[] = [];
  for (let i = 0; i < spec.workers; i++) {
    const w = startChildServer({
      name: `airlock worker ${i + 1}`,
      argv: [process.execPath, join(REPO, 'bin/airlock.js'), 'worker', '--concurrency', String(spec.concurrency)],
      cwd: REPO,
      env: envFor(i),
      graceMs: 45_000,
    });
    workers.push(w);
    stops.push(defer(`stopping ${w.name}`, () => w.stop()));
  }
  const stopWorkers = () => Promise.all(stops.map((stop) => stop()));
  const pids = workers.map((w) => w.child.pid ?? -1);
  await waitReady(workers, heartbeats);
  const readyAt = Date.now();

  // The workers are started first and the tickets created afterwards in ONE transaction: every worker is
  // already polling when all jobs become visible at the same instant, so the workers of a round start on
  // equal terms, the benchmark's own submitting cannot pace them, and no worker's start-up re-enqueues
  // the backlog (`resumeStranded` finds nothing; with the tickets created first, each starting worker
  // would send a duplicate job for every one of them while the others already work).
  progress(`${spec.label}: workers ready after ${((readyAt - startedAt) / 1000).toFixed(1)} s; submitting ${spec.tickets} tickets`);
  const q = queue;
  await store.db.transaction().execute(async (trx) => {
    for (const folder of tree.folders) {
      await submitTicket(
        { db: trx, pipelinesDir, enqueue: (t, ticketId) => q.enqueue(ticketId, t) },
        { pipeline: pipelineOf(folder), requester: 'bench', purpose: 'bench:scale', selection: { include: [`${folder}/**`] } },
      );
    }
  });
  const committedAt = Date.now();
  const windowStartUs = hrtimeUs();
  if (spec.profile) for (const w of workers) w.child.kill('SIGUSR2');
  const cpuBefore = await cpuSnapshot(pids, databaseUrl);
  await closeStore();

  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  const closeClient = defer('closing the polling connection', () => client.end());
  const commits = async (): Promise<number> =>
    (
      await client.query<{ n: number }>(
        'select (xact_commit + xact_rollback)::float8 as n from pg_stat_database where datname = current_database()',
      )
    ).rows[0]?.n ?? NaN;
  const commitsBefore = await commits();

  let cpuAfter: CpuSnapshot | undefined;
  let windowEndUs: number | undefined;
  const deadline = committedAt + roundTimeoutSeconds * 1000;
  let lastReport = Date.now();
  for (;;) {
    for (const w of workers) if (w.hasExited()) fail(`${spec.label}: ${w.name} exited during the round:\n${w.stderrTail()}`);
    const { rows } = await client.query<{ done: number; waiting: number }>(
      "select count(*) filter (where finished_at is not null)::int as done, count(*) filter (where state = 'awaiting_approval')::int as waiting from tickets",
    );
    const done = rows[0]?.done ?? 0;
    // A ticket waiting for a person would hold the round until its time limit: the data must be allowed as it is.
    if ((rows[0]?.waiting ?? 0) > 0) fail(`${spec.label}: ${rows[0]?.waiting} ticket(s) await approval; every file should be allowed`);
    if (done >= spec.tickets) {
      windowEndUs = hrtimeUs();
      if (spec.profile) for (const w of workers) w.child.kill('SIGUSR2');
      cpuAfter = await cpuSnapshot(pids, databaseUrl);
      break;
    }
    if (Date.now() > deadline) fail(`${spec.label}: only ${done} of ${spec.tickets} tickets done after ${roundTimeoutSeconds} s`);
    if (Date.now() - lastReport >= 5000) {
      progress(`${spec.label}: ${done}/${spec.tickets} tickets done`);
      lastReport = Date.now();
    }
    await sleep(POLL_MS);
  }
  const rss = pids.map(peakRss);
  await stopWorkers(); // their backends exit, which flushes their statistics for `commits`
  const exitCodes = workers.map((w) => w.child.exitCode);
  const commitsAfter = await commits();

  const states = (
    await client.query<{ state: string; n: number; reason: string | null }>(
      'select state, count(*)::int as n, min(failure_reason) as reason from tickets group by state order by state',
    )
  ).rows;
  const delivered = states.find((s) => s.state === 'delivered')?.n ?? 0;
  if (delivered !== spec.tickets) {
    fail(
      `${spec.label}: ${delivered} of ${spec.tickets} tickets delivered; states: ${states.map((s) => `${s.state} ${s.n}${s.reason ? ` (${s.reason})` : ''}`).join(', ')}`,
    );
  }
  const items = (
    await client.query<{ n: number; delivered: number }>(
      "select count(*)::int as n, count(*) filter (where state = 'delivered')::int as delivered from items",
    )
  ).rows[0];
  if (items?.n !== tree.files.length || items.delivered !== tree.files.length) {
    fail(`${spec.label}: ${items?.delivered ?? 0} of ${items?.n ?? 0} items delivered, ${tree.files.length} expected`);
  }
  const problems = await destinationProblems(destinationDir, tree.files);
  if (problems.length > 0) fail(`${spec.label}: the destination is not what the source held: ${problems.join('; ')}`);

  const span = (
    await client.query<{ first: number; last: number }>(
      `select (select extract(epoch from min(at)) from ticket_events where to_state <> 'requested')::float8 as first,
            (select extract(epoch from max(finished_at)) from tickets)::float8 as last`,
    )
  ).rows[0];
  if (!span || !(span.last > span.first)) fail(`${spec.label}: no time span in the database`);
  const steps = (
    await client.query<StepTiming>(
      `with e as (select to_state, at, lead(at) over (partition by ticket_id order by seq) as next_at from ticket_events)
     select to_state as state, (avg(extract(epoch from next_at - at)) * 1000)::float8 as "avgMs",
            (percentile_cont(0.5) within group (order by extract(epoch from next_at - at)) * 1000)::float8 as "p50Ms"
       from e where next_at is not null group by to_state order by min(at)`,
    )
  ).rows;
  const inWorker = (
    await client.query<{ avgMs: number; p50Ms: number }>(
      `select (avg(extract(epoch from t.finished_at - e.at)) * 1000)::float8 as "avgMs",
            (percentile_cont(0.5) within group (order by extract(epoch from t.finished_at - e.at)) * 1000)::float8 as "p50Ms"
       from tickets t join ticket_events e on e.ticket_id = t.id and e.to_state = 'fetching'`,
    )
  ).rows[0] ?? { avgMs: NaN, p50Ms: NaN };
  await closeClient();
  if (!cpuAfter) fail(`${spec.label}: no CPU snapshot at the end of the round`);

  const seconds = span.last - span.first;
  const windowSeconds = (cpuAfter.at - cpuBefore.at) / 1000;
  const ticks = (pid: number): number => ((cpuAfter?.ours.get(pid) ?? 0) - (cpuBefore.ours.get(pid) ?? 0)) / 100;
  const workerCpuSeconds = pids.map(ticks);
  const postgresCpuSeconds = [...cpuAfter.ours.keys()].filter((pid) => !pids.includes(pid)).reduce((sum, pid) => sum + ticks(pid), 0);
  const result: RoundResult = {
    spec,
    seconds,
    ticketsPerSecond: spec.tickets / seconds,
    startupSeconds: (readyAt - startedAt) / 1000,
    submitSeconds: (committedAt - readyAt) / 1000,
    wallSeconds: span.last - startedAt / 1000,
    peakRssMB: rss.map((b) => b / MB),
    workerCpuSeconds,
    postgresCpuSeconds,
    busyCores: (cpuAfter.machineBusy - cpuBefore.machineBusy) / 100 / windowSeconds,
    otherCores: otherCores(cpuBefore, cpuAfter),
    steps,
    inWorker,
    commitsPerTicket: (commitsAfter - commitsBefore) / spec.tickets,
  };
  if (spec.profile) {
    result.profile = await readProfile(profileDir, cpuProfile, queryLogs, pids[0] ?? -1, exitCodes, {
      startUs: windowStartUs,
      endUs: windowEndUs ?? 0,
    });
  }
  progress(
    `${spec.label}: ${spec.tickets} tickets in ${seconds.toFixed(3)} s = ${result.ticketsPerSecond.toFixed(1)} tickets/s; all delivered and verified`,
  );
  await dropDb();
  await removeDir();
  return result;
}

async function readProfile(
  profileDir: string,
  cpuProfile: boolean,
  queryLogs: string[],
  pid: number,
  exitCodes: (number | null)[],
  window: { startUs: number; endUs: number },
): Promise<ProfileReport> {
  const note: string[] = [];
  exitCodes.forEach((code, i) => {
    if (code !== 0) note.push(`worker ${i + 1} exited with ${code} (killed?): its profile or counts may be missing`);
  });
  let cpu: ProfileSummary | undefined;
  if (cpuProfile) {
    // Main thread: CPU.<date>.<time>.<pid>.0.<seq>.cpuprofile (tsx's loader thread writes its own, ignored).
    const main = (await readdir(profileDir)).find((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.0.`));
    if (main) cpu = await summarizeProfile(join(profileDir, main), window, REPO);
    else note.push('no CPU profile of the main thread was written');
    if (cpu && !cpu.windowed) note.push('the round did not fall inside the profile: the whole profile is summarized');
  }
  // Statements of every worker between its two marks (the commit, the last ticket done), added up by shape.
  const sum = new Map<string, { count: number; ms: number }>();
  for (const file of queryLogs) {
    try {
      const log = JSON.parse(await readFile(file, 'utf8')) as QueryLog;
      const [first, last] = [log.marks[0]?.statements, log.marks[1]?.statements];
      if (!first || !last) {
        note.push(`${file}: the statement counter did not record both marks`);
        continue;
      }
      for (const [shape, s] of Object.entries(last) as [string, StatementStat][]) {
        const total = sum.get(shape) ?? { count: 0, ms: 0 };
        total.count += s.count - (first[shape]?.count ?? 0);
        total.ms += s.ms - (first[shape]?.ms ?? 0);
        sum.set(shape, total);
      }
    } catch (error) {
      note.push(`no statement counts: ${(error as Error).message}`);
    }
  }
  const statements = [...sum]
    .map(([shape, s]) => ({ shape, ...s }))
    .filter((s) => s.count > 0)
    .sort((a, b) => b.ms - a.ms);
  return { cpu, statements: statements.length > 0 ? statements : undefined, note };
}

// ---------------------------------------------------------------------------------------------------

function printProfile(r: RoundResult): void {
  const p = r.profile;
  if (!p) return;
  const n = r.spec.tickets;
  out(
    `## profile: ${r.spec.label}, ${r.spec.workers} worker(s) at concurrency ${r.spec.concurrency}, ${n} tickets, ${r.seconds.toFixed(3)} s (${r.ticketsPerSecond.toFixed(1)} tickets/s while profiled)`,
  );
  for (const line of p.note) out(`- note: ${line}`);
  const workerCpu = r.workerCpuSeconds.reduce((a, b) => a + b, 0);
  out(
    `- CPU per ticket (/proc, this round): workers ${((workerCpu * 1000) / n).toFixed(2)} ms, PostgreSQL ${((r.postgresCpuSeconds * 1000) / n).toFixed(2)} ms; ${r.commitsPerTicket.toFixed(1)} transactions per ticket`,
  );
  if (p.statements) {
    const total = p.statements.reduce((sum, s) => sum + s.count, 0);
    const ms = p.statements.reduce((sum, s) => sum + s.ms, 0);
    out(
      `- SQL statements sent by the worker(s) while the round ran: ${total} (${(total / n).toFixed(1)} per ticket), ${(ms / n).toFixed(1)} ms of waiting for answers per ticket (summed over concurrent tickets); by waiting time:`,
    );
    out();
    out('| statement (first 200 characters) | per ticket | avg ms | ms per ticket |');
    out('|---|---:|---:|---:|');
    for (const s of p.statements.slice(0, 25)) {
      out(
        `| \`${s.shape.replace(/\|/g, '\\|').replace(/`/g, "'")}\` | ${(s.count / n).toFixed(2)} | ${(s.ms / s.count).toFixed(2)} | ${(s.ms / n).toFixed(2)} |`,
      );
    }
  }
  if (p.cpu) {
    const c = p.cpu;
    out();
    out(
      `- main thread (V8 CPU profile, the round's window): busy ${(c.busyMs / 1000).toFixed(2)} s of ${(c.totalMs / 1000).toFixed(2)} s (${((100 * c.busyMs) / c.totalMs).toFixed(0)}%), ${(c.busyMs / n).toFixed(2)} ms per ticket`,
    );
    out();
    out('| area (self time) | ms per ticket | share of busy |');
    out('|---|---:|---:|');
    for (const a of c.byArea.filter((x) => x.name !== '(idle)').slice(0, 15)) {
      out(`| ${a.name} | ${(a.ms / n).toFixed(2)} | ${((100 * a.ms) / c.busyMs).toFixed(1)}% |`);
    }
    out();
    out('| function (self time) | ms per ticket | share of busy |');
    out('|---|---:|---:|');
    for (const f of c.topSelf.filter((x) => x.name !== '(idle)').slice(0, 20)) {
      out(`| \`${f.name}\` | ${(f.ms / n).toFixed(2)} | ${((100 * f.ms) / c.busyMs).toFixed(1)}% |`);
    }
    out();
    out('| Airlock function (time in it and below) | ms per ticket | share of busy |');
    out('|---|---:|---:|');
    for (const f of c.topInclusive.slice(0, 25)) {
      out(`| \`${f.name}\` | ${(f.ms / n).toFixed(2)} | ${((100 * f.ms) / c.busyMs).toFixed(1)}% |`);
    }
  }
  out();
}

async function main(): Promise<void> {
  for (const [name, value] of [
    ['--tickets', tickets],
    ['--runs', runs],
    ['--sweep-tickets', sweepTickets],
    ['--round-timeout', roundTimeoutSeconds],
    ['--timeout', timeoutSeconds],
    ...sweep.map((c) => ['--sweep', c] as const),
    ...(args.concurrency === undefined ? [] : [['--concurrency', Number(args.concurrency)] as const]),
  ] as const) {
    if (!Number.isInteger(value) || value < 1) fail(`${name} takes whole numbers of at least 1`);
  }
  if ([...sweep, Number(args.concurrency ?? 1)].some((c) => c > 64)) fail('--concurrency and --sweep values go up to 64 (airlock worker)');
  const postgres = await postgresVersion(adminUrl).catch((error: unknown) =>
    fail(`cannot reach PostgreSQL at --database-url ${redactUrl(adminUrl)}: ${(error as Error).message}`),
  );
  const machine = machineLines({
    coresSharedBy: 'the workers, PostgreSQL and this script',
    details: [tempDisk(), ['node', process.version], ['postgresql', postgres], ['airlock', airlockVersion(REPO)]],
  });
  for (const line of machine) out(line);

  const work = await mkdtemp(join(tmpdir(), 'airlock-bench-scale-'));
  defer(`removing ${work}`, () => (args.keep ? Promise.resolve(progress(`kept ${work}`)) : rm(work, { recursive: true, force: true })));

  const fromDist = await buildAirlock(REPO, bench);

  const sweepResults: RoundResult[] = [];
  for (const c of sweep) {
    sweepResults.push(
      await runRound(work, { label: `sweep concurrency ${c}`, workers: 1, concurrency: c, tickets: sweepTickets, profile: false }),
    );
  }
  const best = [...sweepResults].sort((a, b) => b.ticketsPerSecond - a.ticketsPerSecond)[0];
  const concurrency = args.concurrency !== undefined ? Number(args.concurrency) : (best?.spec.concurrency ?? DEFAULT_CONCURRENCY);

  const results = new Map<number, RoundResult[]>([
    [1, []],
    [2, []],
  ]);
  for (let i = 1; i <= runs; i++) {
    // Alternate which round goes first, so neither always runs on the other's warmed (or tired) machine.
    const order = i % 2 === 1 ? [1, 2] : [2, 1];
    for (const workers of order) {
      const label = `${workers} worker${workers > 1 ? 's' : ''}, run ${i}/${runs}`;
      const profile = args.profile && i === 1;
      results.get(workers)?.push(await runRound(work, { label, workers, concurrency, tickets, profile }));
    }
  }

  out('## setup');
  out(
    `- airlock: \`node bin/airlock.js worker --concurrency ${concurrency}\` (${fromDist ? 'compiled dist/' : 'sources through tsx: dist/ was older than the sources'}), LOG_LEVEL=warn, other settings default (AIRLOCK_ITEM_CONCURRENCY 4, pg pool 10 per process); one fresh PostgreSQL database per round on ${redactUrl(adminUrl)}, dropped after it`,
  );
  out(
    `- workers of a round share the database, one AIRLOCK_STAGING_DIR (standing for a shared staging bucket) and one AIRLOCK_MASTER_KEY; each has its own AIRLOCK_DATA_DIR`,
  );
  out(
    `- pipeline ${prefixPipelines ? `${PIPELINE}-t-NNNN, one per ticket with \`prefix: t-NNNN\` (--prefix-pipelines: a fetch lists the ticket's folder only)` : `${PIPELINE}`}: local source folder to local destination folder, policy default, checks [filetype, patterns, dlp] (the default), delivery all-or-nothing (the default), trigger manual`,
  );
  out(
    `- per round: ${tickets} tickets, each with \`selection: { include: ['t-NNNN/**'] }\` picking its own folder of ${FILES_PER_TICKET} text files of 2-4 KiB (lower-case prose, allowed by the policy); fresh source, destination and staging folders`,
  );
  out(
    '- order: the workers are started and waited for (heartbeat file), then all tickets are created through `submitTicket` + `TicketQueue.enqueue` in one transaction, so every job becomes visible at once to workers already polling',
  );
  out(
    "- seconds: from the first ticket leaving `requested` (ticket_events.at) to the last ticket's finished_at, from the database; start-up excluded. wall: from starting the workers to the last ticket finished (start-up, submitting and processing)",
  );
  out(
    '- checked after every round (untimed): every ticket `delivered`, every item delivered, the destination holds exactly the source files with the same size and SHA-256, nothing else',
  );
  out(
    `- CPU from /proc between the commit and the last ticket done: each worker process (all threads), PostgreSQL (the round database's backends and the server's background processes); busy cores: the whole machine (of ${availableParallelism()}); peak RSS: VmHWM of each worker before it is stopped`,
  );
  out();

  if (sweepResults.length > 0) {
    out(`## concurrency sweep (one worker, ${sweepTickets} tickets per round)`);
    out('| concurrency | tickets | seconds | tickets/s | worker CPU s | PostgreSQL CPU s | busy cores | ticket in the worker avg ms |');
    out('|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of sweepResults) {
      out(
        `| ${r.spec.concurrency} | ${r.spec.tickets} | ${r.seconds.toFixed(3)} | ${r.ticketsPerSecond.toFixed(1)} | ${r.workerCpuSeconds.map((s) => s.toFixed(2)).join(' + ')} | ${r.postgresCpuSeconds.toFixed(2)} | ${r.busyCores.toFixed(2)} | ${r.inWorker.avgMs.toFixed(0)} |`,
      );
    }
    out(
      `best: concurrency ${best?.spec.concurrency}${args.concurrency !== undefined ? ` (the rounds below use --concurrency ${concurrency})` : ', used below'}`,
    );
    out();
  }

  const rate = (workers: number): number => median((results.get(workers) ?? []).map((r) => r.ticketsPerSecond));
  const one = rate(1);
  const two = rate(2);
  out(`## results (${runs > 1 ? `median of ${runs} runs per row; ` : ''}MB = 10^6 bytes)`);
  out(
    '| workers | concurrency per worker | tickets | seconds | tickets/s | speed-up | peak RSS per worker (MB) | worker CPU s | PostgreSQL CPU s | busy cores | wall s (start-up + submit + processing) |',
  );
  out('|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---|');
  for (const workers of [1, 2]) {
    const rs = results.get(workers) ?? [];
    const seconds = median(rs.map((r) => r.seconds));
    const r = [...rs].sort((a, b) => Math.abs(a.seconds - seconds) - Math.abs(b.seconds - seconds))[0];
    if (!r) continue;
    out(
      `| ${workers} | ${concurrency} | ${tickets} | ${seconds.toFixed(3)} | ${rate(workers).toFixed(1)} | ${fmt(rate(workers) / one)} | ${r.peakRssMB.map((m) => m.toFixed(1)).join(', ')} | ${r.workerCpuSeconds.map((s) => s.toFixed(2)).join(' + ')} | ${r.postgresCpuSeconds.toFixed(2)} | ${r.busyCores.toFixed(2)} | ${r.wallSeconds.toFixed(2)} (${r.startupSeconds.toFixed(2)} + ${r.submitSeconds.toFixed(2)} + ${(r.wallSeconds - r.startupSeconds - r.submitSeconds).toFixed(2)}) |`,
    );
  }
  out();
  out('## where the time goes (per ticket; step times are wall time inside a worker, from ticket_events)');
  const all = [...(results.get(1) ?? []), ...(results.get(2) ?? [])];
  const stepNames = [...new Set(all.flatMap((r) => r.steps.map((s) => s.state)))].filter((s) => s !== 'requested');
  out(
    `| round | in a worker avg / p50 ms | ${stepNames.map((s) => `${s} avg ms`).join(' | ')} | worker CPU ms | PostgreSQL CPU ms | transactions | other processes (cores) |`,
  );
  out(`|---|---:|${stepNames.map(() => '---:|').join('')}---:|---:|---:|---:|`);
  for (const r of all) {
    const n = r.spec.tickets;
    const step = (name: string): string => r.steps.find((s) => s.state === name)?.avgMs.toFixed(1) ?? '-';
    out(
      `| ${r.spec.label} | ${r.inWorker.avgMs.toFixed(1)} / ${r.inWorker.p50Ms.toFixed(1)} | ${stepNames.map(step).join(' | ')} | ${((r.workerCpuSeconds.reduce((a, b) => a + b, 0) * 1000) / n).toFixed(2)} | ${((r.postgresCpuSeconds * 1000) / n).toFixed(2)} | ${r.commitsPerTicket.toFixed(1)} | ${r.otherCores.toFixed(2)} |`,
    );
  }
  const busiest = Math.max(...all.map((r) => r.otherCores));
  if (busiest > 0.2) {
    out();
    out(
      `note: processes other than the workers, PostgreSQL and this script used up to ${busiest.toFixed(2)} of the ${availableParallelism()} cores during a round (a shared machine, or kernel work on our behalf); tickets/s are lower than an idle machine would give, CPU per ticket less so`,
    );
  }
  out();
  for (const r of all) printProfile(r);

  if (prefixPipelines) {
    progress('--prefix-pipelines: no bench: lines (they name the one-pipeline setup)');
    return;
  }
  out(benchLine({ name: 'scale-1-worker', airlock: one, anchor: RATE_ANCHOR, unit: 'tickets/s', target: ['>=', RATE_TARGET] }));
  out(benchLine({ name: 'scale-2-workers', airlock: two, anchor: one, unit: 'tickets/s', target: ['>=', SPEEDUP_TARGET] }));
}

await bench.run(main, timeoutSeconds);
