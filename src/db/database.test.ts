import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { adminQuery, withDatabase } from '../../test/postgres-template.js';
import { openStore, type Store } from './database.js';

/** The real PostgreSQL these tests always use for the PostgreSQL half (CI starts it). */
const POSTGRES_URL = process.env.AIRLOCK_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const EXPECTED_TABLES = [
  'action_links',
  'api_tokens',
  'approvals',
  'audit_log',
  'audit_sinks',
  'check_runs',
  'decisions',
  'findings',
  'items',
  'mails',
  'quarantined_items',
  'review_tasks',
  'schedule_runs',
  'ticket_events',
  'ticket_participants',
  'tickets',
  'users',
  'web_sessions',
];

async function tablesOf(store: Store): Promise<string[]> {
  const { rows } = await sql<{
    table_name: string;
  }>`select table_name from information_schema.tables where table_schema = 'public' and table_name not like 'kysely_%' order by table_name`.execute(
    store.db,
  );
  return rows.map((r) => r.table_name);
}

describe('migrations', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('create the schema on the embedded store, persist it on disk, and are idempotent on reopen', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-db-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const first = await openStore({ kind: 'embedded', dataDir: dir });
    expect(await tablesOf(first)).toEqual(EXPECTED_TABLES);
    await sql`insert into tickets (id, pipeline, requester, purpose, state, delivery_mode, policy) values (gen_random_uuid(), 'p', 'r', 'x', 'requested', 'per-item', 'default')`.execute(
      first.db,
    );
    await first.close();

    const second = await openStore({ kind: 'embedded', dataDir: dir });
    const count = await second.db
      .selectFrom('tickets')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
    await second.close();
  });

  it('refuses a second process-level opener of the same embedded data directory while the first is open', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-db-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const first = await openStore({ kind: 'embedded', dataDir: dir });
    // Same pid: the lock file is ours, so simulate another live holder by writing our parent's pid.
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(dir, 'airlock.pid'), String(process.ppid));
    await expect(openStore({ kind: 'embedded', dataDir: dir })).rejects.toThrow(/in use by process/);
    await first.close();
  });

  it('create the same schema on a real PostgreSQL server', async () => {
    const name = `airlock_mig_${process.pid}_${Date.now()}`;
    await adminQuery(POSTGRES_URL, `create database ${name}`);
    cleanups.push(() => adminQuery(POSTGRES_URL, `drop database if exists ${name} with (force)`));
    const store = await openStore({ kind: 'postgres', url: withDatabase(POSTGRES_URL, name) });
    expect(await tablesOf(store)).toEqual(EXPECTED_TABLES);
    await store.close();
    // Running again applies nothing and fails nothing.
    const again = await openStore({ kind: 'postgres', url: withDatabase(POSTGRES_URL, name) });
    expect(await tablesOf(again)).toEqual(EXPECTED_TABLES);
    await again.close();
  });
});

describe('embedded store under concurrency', () => {
  it('never interleaves concurrent transactions on its single session', async () => {
    const store = await openStore({ kind: 'embedded', dataDir: 'memory://' });
    try {
      await sql`create table counter (n integer not null)`.execute(store.db);
      await sql`insert into counter values (0)`.execute(store.db);
      // Each transaction reads, yields to the event loop, then writes read+1. If any two interleaved on
      // the one session, an update would be lost (or a BEGIN would land inside another transaction).
      const workers = Array.from({ length: 50 }, (_, i) =>
        store.db.transaction().execute(async (trx) => {
          const row = await trx
            .selectFrom('counter' as never)
            .select(sql<number>`n`.as('n'))
            .executeTakeFirstOrThrow();
          await new Promise((resolve) => setTimeout(resolve, i % 3));
          await sql`update counter set n = ${(row as { n: number }).n + 1}`.execute(trx);
          if (i % 10 === 9) throw new Error('rolled back on purpose');
        }),
      );
      const results = await Promise.allSettled(workers);
      expect(results.filter((r) => r.status === 'rejected')).toHaveLength(5);
      const { rows } = await sql<{ n: number }>`select n from counter`.execute(store.db);
      expect(rows[0]?.n).toBe(45);
    } finally {
      await store.close();
    }
  });
});
