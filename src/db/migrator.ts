import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import { AirlockError } from '../errors.js';
import { PACKAGE_ROOT } from '../package-root.js';

/** Read from the sources even when running compiled code: SQL is not compiled. */
const MIGRATIONS_DIR = path.join(PACKAGE_ROOT, 'src', 'db', 'migrations');

/** Numbered, forward-only SQL files; each runs as one script inside the migrator's transaction. */
class SqlFileMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const script = await readFile(path.join(MIGRATIONS_DIR, file), 'utf8');
      migrations[file.replace(/\.sql$/, '')] = {
        up: async (db) => {
          await sql.raw(script).execute(db);
        },
      };
    }
    return migrations;
  }
}

/** Applies every pending migration; returns the names applied now. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new SqlFileMigrationProvider() });
  const { error, results = [] } = await migrator.migrateToLatest();
  const failed = results.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new AirlockError(
      'store_unavailable',
      `Database migration ${failed?.migrationName ?? ''} failed: ${String((error as Error | undefined)?.message ?? error)}.`,
      { cause: error, retryable: false },
    );
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
