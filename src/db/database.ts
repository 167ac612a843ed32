import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { fromPglite } from 'pg-boss';
import type { Db as BossDatabase } from 'pg-boss';
import { AirlockError } from '../errors.js';
import { lockDataDir } from './embedded-lock.js';
import { migrateToLatest } from './migrator.js';
import { Mutex } from './mutex.js';
import { PGliteDialect } from './pglite-dialect.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

/** Where the store lives: a PostgreSQL server, or an embedded PGlite (a directory, or `memory://`). */
export type StoreConfig = { kind: 'postgres'; url: string } | { kind: 'embedded'; dataDir: string };

/** An open store: Kysely for Airlock's tables, and how pg-boss reaches the same database. */
export interface Store {
  readonly db: Db;
  readonly kind: StoreConfig['kind'];
  /** pg-boss constructor options that put its queue on this same database. */
  readonly bossOptions: { connectionString: string } | { db: BossDatabase; backend: 'pglite' };
  close(): Promise<void>;
}

// PostgreSQL bigint (int8) and numeric arrive as strings by default; sizes and counts fit in a double.
const INT8_OID = 20;
pg.types.setTypeParser(INT8_OID, (value) => Number(value));

/** Opens the store and brings its schema up to date. */
export async function openStore(config: StoreConfig, options: { migrate?: boolean } = {}): Promise<Store> {
  const store = config.kind === 'postgres' ? openPostgres(config.url) : await openEmbedded(config.dataDir);
  if (options.migrate !== false) {
    try {
      await migrateToLatest(store.db as Kysely<unknown>);
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  return store;
}

function openPostgres(url: string): Store {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, kind: 'postgres', bossOptions: { connectionString: url }, close: () => db.destroy() };
}

async function openEmbedded(dataDir: string): Promise<Store> {
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const unlock = inMemory ? async () => {} : await lockDataDir(dataDir);
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(inMemory ? dataDir : `${dataDir}/pgdata`, {
      parsers: { [INT8_OID]: (value: string) => Number(value) },
    });
  } catch (error) {
    await unlock();
    throw new AirlockError('store_unavailable', `Could not open the embedded database in ${dataDir}: ${(error as Error).message}.`, {
      cause: error,
    });
  }
  const session = new Mutex();
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite, session) });
  const boss = fromPglite(pglite);
  // pg-boss must queue behind open Kysely transactions on the single session, not run inside them.
  const bossDb: BossDatabase = {
    ...boss,
    executeSql: (text, values) => session.run(() => boss.executeSql(text, values)),
  };
  return {
    db,
    kind: 'embedded',
    bossOptions: { db: bossDb, backend: 'pglite' },
    close: async () => {
      await db.destroy();
      await session.run(() => pglite.close());
      await unlock();
    },
  };
}

/** The store the environment asks for: PostgreSQL when DATABASE_URL is set, the embedded one otherwise. */
export function storeConfigFrom(config: { databaseUrl: string | undefined; dataDir: string }): StoreConfig {
  return config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl } : { kind: 'embedded', dataDir: config.dataDir };
}
