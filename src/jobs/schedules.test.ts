import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName, createTestStore, type TestStore } from '../../test/test-store.js';
import { runScheduledOccurrence, serviceIdentity } from './scheduled-run.js';
import { scheduleReport } from './schedule-report.js';
import { nextOccurrences, occurrenceAtOrBefore, reconcileSchedules } from './schedules.js';
import { QUEUES, TicketQueue } from './ticket-queue.js';

const silent = pino({ level: 'silent' });
let store: TestStore;
let dir: string;
let pipelinesDir: string;
let queue: TicketQueue;
const enqueued: string[] = [];

/** Writes a pipeline file; `trigger` is the YAML of its trigger. */
async function writePipeline(name: string, trigger: string): Promise<void> {
  const yaml = [
    `name: ${name}`,
    'source: { kind: local, root: ../inbox }',
    'destination: { kind: local, root: ../outbox }',
    'policy: default',
    `trigger: ${trigger}`,
  ].join('\n');
  await writeFile(path.join(pipelinesDir, `${name}.yaml`), yaml + '\n');
}

function deps() {
  return {
    db: store.db,
    pipelinesDir,
    logger: silent,
    enqueue: async (_trx: unknown, ticketId: string) => void enqueued.push(ticketId),
  };
}

async function bossSchedules(): Promise<Record<string, string>> {
  const rows = await queue.boss.getSchedules(QUEUES.pipelineSchedule);
  return Object.fromEntries(rows.map((s) => [s.key, `${s.cron} ${s.timezone} ${s.options?.missed ?? 'skip'}`]));
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, seconds = 20): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  store = await createTestStore();
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-schedules-'));
  pipelinesDir = path.join(dir, 'pipelines');
  await mkdir(pipelinesDir);
  await mkdir(path.join(dir, 'inbox'));
  await mkdir(path.join(dir, 'outbox'));
  queue = await TicketQueue.start(store, { retryLimit: 1, retryDelaySeconds: 1, concurrency: 1 }, silent, { maintenance: false });
}, 60_000);

afterAll(async () => {
  await queue?.stop();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

describe(`pipeline schedules (${backendName})`, () => {
  it('reconciles pg-boss schedules with the pipeline files: added, changed, unchanged, removed, kept when the file breaks', async () => {
    await writePipeline('nightly', '{ schedule: { cron: "0 2 * * *", timezone: Europe/Berlin } }');
    await writePipeline('hourly', '{ schedule: { cron: "15 * * * *", catchUp: once } }');
    await writePipeline('by-hand', '{ manual: true }');
    const first = await reconcileSchedules(queue.boss, pipelinesDir, silent);
    expect(first).toEqual([
      { pipeline: 'hourly', change: 'added' },
      { pipeline: 'nightly', change: 'added' },
    ]);
    expect(await bossSchedules()).toEqual({ nightly: '0 2 * * * Europe/Berlin skip', hourly: '15 * * * * UTC once' });

    await writePipeline('nightly', '{ schedule: { cron: "30 1 * * *", timezone: Europe/Berlin } }');
    await writePipeline('hourly', '{ manual: true }');
    const second = await reconcileSchedules(queue.boss, pipelinesDir, silent);
    expect(second).toEqual([
      { pipeline: 'hourly', change: 'removed' },
      { pipeline: 'nightly', change: 'changed' },
    ]);
    expect(await bossSchedules()).toEqual({ nightly: '30 1 * * * Europe/Berlin skip' });
    expect(await reconcileSchedules(queue.boss, pipelinesDir, silent)).toEqual([{ pipeline: 'nightly', change: 'unchanged' }]);

    // A broken edit keeps the schedule it had (and says why) instead of silently dropping the nightly move.
    await writeFile(path.join(pipelinesDir, 'nightly.yaml'), 'name: nightly\nsource: [oops\n');
    const broken = await reconcileSchedules(queue.boss, pipelinesDir, silent);
    expect(broken).toEqual([{ pipeline: 'nightly', change: 'kept', reason: expect.stringContaining('nightly.yaml') }]);
    expect(await bossSchedules()).toEqual({ nightly: '30 1 * * * Europe/Berlin skip' });

    await rm(path.join(pipelinesDir, 'nightly.yaml'));
    expect(await reconcileSchedules(queue.boss, pipelinesDir, silent)).toEqual([{ pipeline: 'nightly', change: 'removed' }]);
    expect(await bossSchedules()).toEqual({});
  });

  it('a run creates a ticket for the service identity; the next occurrence is skipped while it is still going; a repeat is a no-op', async () => {
    await writePipeline('moves', '{ schedule: { cron: "0 * * * *" } }');
    const at = new Date('2026-11-20T10:00:03Z');
    const first = await runScheduledOccurrence(deps(), { pipeline: 'moves', createdOn: at });
    expect(first).toMatchObject({ outcome: 'started', dueAt: new Date('2026-11-20T10:00:00Z'), caughtUp: false });
    const ticket = first.outcome === 'started' ? first.ticket : undefined;
    expect(ticket).toMatchObject({ pipeline: 'moves', requester: serviceIdentity('moves'), trigger: 'schedule', state: 'requested' });
    expect(enqueued).toContain(ticket!.id);

    // The same occurrence delivered again (a second worker, a retry after a crash) starts nothing.
    expect(await runScheduledOccurrence(deps(), { pipeline: 'moves', createdOn: new Date('2026-11-20T10:00:09Z') })).toMatchObject({
      outcome: 'duplicate',
    });
    // The next hour comes while the first run is still in `requested`: recorded as skipped, not queued.
    const next = await runScheduledOccurrence(deps(), { pipeline: 'moves', createdOn: new Date('2026-11-20T11:00:02Z') });
    expect(next).toEqual({
      outcome: 'skipped',
      dueAt: new Date('2026-11-20T11:00:00Z'),
      reason: expect.stringMatching(/^the previous run T-\d{6} is still requested$/),
    });

    // Once the run has finished, the following occurrence starts a new ticket.
    await store.db.updateTable('tickets').set({ state: 'delivered' }).where('id', '=', ticket!.id).execute();
    const later = await runScheduledOccurrence(deps(), { pipeline: 'moves', createdOn: new Date('2026-11-20T12:00:01Z') });
    expect(later.outcome).toBe('started');
    const runs = await store.db
      .selectFrom('schedule_runs')
      .select(['due_at', 'outcome'])
      .where('pipeline', '=', 'moves')
      .orderBy('due_at')
      .execute();
    expect(runs.map((r) => `${r.due_at.toISOString()} ${r.outcome}`)).toEqual([
      '2026-11-20T10:00:00.000Z started',
      '2026-11-20T11:00:00.000Z skipped',
      '2026-11-20T12:00:00.000Z started',
    ]);
    const tickets = await store.db.selectFrom('tickets').select('id').where('pipeline', '=', 'moves').execute();
    expect(tickets).toHaveLength(2);
  });

  it('two occurrences racing on two workers start exactly one run', async () => {
    await writePipeline('racing', '{ schedule: { cron: "*/5 * * * *" } }');
    const results = await Promise.all([
      runScheduledOccurrence(deps(), { pipeline: 'racing', createdOn: new Date('2026-11-21T08:00:01Z') }),
      runScheduledOccurrence(deps(), { pipeline: 'racing', createdOn: new Date('2026-11-21T08:05:01Z') }),
      runScheduledOccurrence(deps(), { pipeline: 'racing', createdOn: new Date('2026-11-21T08:00:02Z') }),
    ]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['duplicate', 'skipped', 'started']);
  });

  it('records a failed run, with the reason, when the pipeline file no longer loads', async () => {
    await writeFile(path.join(pipelinesDir, 'gone-bad.yaml'), 'name: gone-bad\ntrigger: {}\n');
    const result = await runScheduledOccurrence(deps(), { pipeline: 'gone-bad', createdOn: new Date('2026-11-22T02:00:00Z') });
    expect(result).toMatchObject({ outcome: 'failed', reason: expect.stringContaining('the pipeline file does not load') });
    await rm(path.join(pipelinesDir, 'gone-bad.yaml'));
  });

  it('reads occurrences in the pipeline time zone, across daylight-saving changes', () => {
    // 03:00 in Berlin is 02:00 UTC in winter and 01:00 UTC in summer: the spring night has 23 hours.
    expect(nextOccurrences('0 3 * * *', 'Europe/Berlin', new Date('2027-03-27T00:00:00Z'), 3).map((d) => d.toISOString())).toEqual([
      '2027-03-27T02:00:00.000Z',
      '2027-03-28T01:00:00.000Z',
      '2027-03-29T01:00:00.000Z',
    ]);
    expect(nextOccurrences('0 3 * * *', 'Europe/Berlin', new Date('2027-10-30T00:00:00Z'), 2).map((d) => d.toISOString())).toEqual([
      '2027-10-30T01:00:00.000Z',
      '2027-10-31T02:00:00.000Z',
    ]);
    expect(occurrenceAtOrBefore('0 2 * * *', 'America/New_York', new Date('2026-11-27T07:00:30Z')).toISOString()).toBe(
      '2026-11-27T07:00:00.000Z',
    );
  });
});

describe(`pipeline schedules firing through pg-boss (${backendName})`, () => {
  let firing: TicketQueue;

  /** Starts a scheduling queue whose workers run occurrences for real, checking every second. */
  async function startFiring(): Promise<TicketQueue> {
    const q = await TicketQueue.start(store, { retryLimit: 1, retryDelaySeconds: 1, concurrency: 1 }, silent, {
      maintenance: false,
      schedules: true,
      cronIntervalSeconds: 1,
    });
    await q.work({
      process: async () => {},
      fail: async () => {},
      scheduled: async (job) => void (await runScheduledOccurrence(deps(), job)),
    });
    return q;
  }

  afterAll(async () => {
    await firing?.stop();
  });

  it('an occurrence that is due fires and creates a ticket', async () => {
    await writePipeline('every-minute', '{ schedule: { cron: "* * * * *" } }');
    await reconcileSchedules(queue.boss, pipelinesDir, silent);
    firing = await startFiring();
    const ticket = await until('the scheduled ticket', () =>
      store.db.selectFrom('tickets').selectAll().where('pipeline', '=', 'every-minute').executeTakeFirst(),
    );
    expect(ticket).toMatchObject({ trigger: 'schedule', requester: 'svc.every-minute' });
    const [report] = (await scheduleReport(store.db, queue.boss, pipelinesDir, new Date())).filter((r) => r.pipeline === 'every-minute');
    expect(report).toMatchObject({ registered: true, lastRun: { outcome: 'started', caughtUp: false } });
    expect(new Date(report!.nextRun!).getTime()).toBeGreaterThan(Date.now());
    await firing.stop();
    await rm(path.join(pipelinesDir, 'every-minute.yaml'));
    await reconcileSchedules(queue.boss, pipelinesDir, silent);
  }, 60_000);

  it('catchUp: once runs the latest occurrence missed while nothing ran; catchUp: none lets it go', async () => {
    // A minute of the hour that was 20 minutes ago: never due now, always missed during a 2-hour outage.
    const minute = (new Date().getUTCMinutes() + 40) % 60;
    await writePipeline('catch-once', `{ schedule: { cron: "${minute} * * * *", catchUp: once } }`);
    await writePipeline('catch-none', `{ schedule: { cron: "${minute} * * * *", catchUp: none } }`);
    await reconcileSchedules(queue.boss, pipelinesDir, silent);
    // The outage: the schedules and the last cron pass are two hours old.
    await sql`update pgboss.schedule set created_on = now() - interval '3 hours' where name = ${QUEUES.pipelineSchedule}`.execute(store.db);
    await sql`update pgboss.version set cron_on = now() - interval '2 hours'`.execute(store.db);
    firing = await startFiring();
    const run = await until('the caught-up run', () =>
      store.db.selectFrom('schedule_runs').selectAll().where('pipeline', '=', 'catch-once').executeTakeFirst(),
    );
    expect(run).toMatchObject({ outcome: 'started', caught_up: true });
    expect(Date.now() - run.due_at.getTime()).toBeGreaterThan(60_000);
    // Give the pass that handled catch-once time to have handled catch-none too.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await store.db.selectFrom('schedule_runs').select('id').where('pipeline', '=', 'catch-none').execute()).toEqual([]);
  }, 60_000);
});
