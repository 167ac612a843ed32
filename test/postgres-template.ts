import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import { openStore } from '../src/db/database.js';

/** A connection string for another database on the same server. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Builds a migrated database (Airlock's tables and pg-boss's schema) that test files clone. */
export async function prepareTemplate(url: string): Promise<void> {
  const name = `airlock_tpl_${randomBytes(4).toString('hex')}`;
  await adminQuery(url, `create database ${name}`);
  const templateUrl = withDatabase(url, name);
  const store = await openStore({ kind: 'postgres', url: templateUrl });
  await store.close();
  const boss = new PgBoss({ connectionString: templateUrl, supervise: false, schedule: false });
  boss.on('error', () => {});
  await boss.start();
  await boss.stop({ graceful: false });
  process.env.AIRLOCK_TEST_TEMPLATE = name;
}

export async function dropTemplate(url: string): Promise<void> {
  const name = process.env.AIRLOCK_TEST_TEMPLATE;
  if (name) await adminQuery(url, `drop database if exists ${name} with (force)`);
}
