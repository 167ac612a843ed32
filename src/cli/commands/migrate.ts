import { PgBoss } from 'pg-boss';
import { openStore, storeConfigFrom } from '../../db/database.js';
import { migrateToLatest } from '../../db/migrator.js';
import type { CliContext } from '../cli-context.js';

/** `airlock migrate`: brings Airlock's tables and the job queue's schema up to date, then exits. */
export async function migrateCommand(ctx: CliContext): Promise<number> {
  const store = await openStore(storeConfigFrom(ctx.config), { migrate: false });
  try {
    const applied = await migrateToLatest(store.db as never);
    const boss = new PgBoss({ ...store.bossOptions, supervise: false, schedule: false, migrate: true });
    boss.on('error', (error) => ctx.logger.error({ err: error }, 'job queue error'));
    await boss.start();
    await boss.stop({ graceful: false });
    ctx.stdout.write(applied.length ? `Applied ${applied.join(', ')}.\n` : 'Database is up to date.\n');
    ctx.stdout.write(`Store: ${store.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `embedded, ${ctx.config.dataDir}`}.\n`);
    return 0;
  } finally {
    await store.close();
  }
}
