import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { inTransaction } from '../db/in-transaction.js';
import { recordAudit } from './audit-log.js';

export type ConfigKind = 'pipeline' | 'policy';

/** Versions this process has already seen recorded, so a load costs a query only when a file changed. */
const recorded = new Map<string, string>();

/**
 * Records in the audit trail that a pipeline or policy file is in use at `version` (the sha256 of its
 * bytes), once per change across every process: a record `<kind>.loaded` is appended only when the last
 * one for that name holds another version. So the trail shows which configuration decided each ticket,
 * and every edit of it, without a record per ticket.
 */
export async function auditConfigVersion(db: Db, kind: ConfigKind, name: string, version: string, actor: string): Promise<void> {
  const key = `${kind}:${name}`;
  if (recorded.get(key) === version) return;
  await inTransaction(db, async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`airlock config ${key}`}))`.execute(trx);
    const last = await trx
      .selectFrom('audit_log')
      .select(sql<string>`details->>'version'`.as('version'))
      .where('kind', '=', `${kind}.loaded`)
      .where(sql<string>`details->>'name'`, '=', name)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (last?.version === version) return;
    await recordAudit(trx, { kind: `${kind}.loaded`, actor, details: { name, version, previous: last?.version ?? null } });
  });
  recorded.set(key, version);
}
