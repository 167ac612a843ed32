import type { Db } from './database.js';

/** Runs `fn` in a transaction, joining the caller's when `db` already is one (Kysely does not nest). */
export function inTransaction<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}
