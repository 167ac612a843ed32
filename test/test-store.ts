import { randomBytes } from 'node:crypto';
import { openStore, type Store } from '../src/db/database.js';
import { adminQuery, withDatabase } from './postgres-template.js';

export interface TestStore extends Store {
  /** The PostgreSQL URL of this test's own database, when the suite runs on PostgreSQL. */
  readonly url: string | undefined;
}

/**
 * A fresh, migrated store for one test file, on the backend the suite runs on: a clone of the template
 * database when DATABASE_URL is set, an in-memory embedded PGlite otherwise. Closing it drops it.
 */
export async function createTestStore(): Promise<TestStore> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    const store = await openStore({ kind: 'embedded', dataDir: 'memory://' });
    return Object.assign(store, { url: undefined });
  }
  const template = process.env.AIRLOCK_TEST_TEMPLATE;
  if (!template) throw new Error('The PostgreSQL template database was not prepared (test/global-setup.ts did not run).');
  const name = `airlock_t_${randomBytes(6).toString('hex')}`;
  await adminQuery(base, `create database ${name} template ${template}`);
  const url = withDatabase(base, name);
  const store = await openStore({ kind: 'postgres', url });
  return {
    ...store,
    url,
    close: async () => {
      await store.close();
      await adminQuery(base, `drop database if exists ${name} with (force)`);
    },
  };
}

export const backendName = process.env.DATABASE_URL ? 'postgres' : 'embedded';
