import { recordAudit } from '../audit/audit-log.js';
import type { Db } from '../db/database.js';
import { inTransaction } from '../db/in-transaction.js';
import type { StagingArea } from '../staging/staging-area.js';
import { OPEN_QUARANTINE_STATES, itemRef, settleTicketStaging } from './quarantine-store.js';

/** Rows expired per pass; the rest wait for the next one. */
const BATCH = 500;

export interface ExpiryResult {
  /** Items marked `purged` in this pass. */
  purged: number;
  /** Tickets whose staging was purged whole because nothing of them is quarantined any more. */
  ticketsPurged: number;
  /** Staging removals that failed; the rows are `purged` already, the sweep removes the bytes later. */
  failed: number;
}

/**
 * Ends the quarantine of every item past its `until` that was not released (held, or with a release requested
 * that nobody approved in time): state `purged` with a `quarantine.purged` record (actor `system`), one
 * transaction per item under its row lock, then its staged copy is removed; a ticket with nothing quarantined
 * left has its staging purged whole. Rows being released right now are locked and skipped (`skip locked`):
 * the release re-checks `until` itself, and the next pass finds them if still due. Recorded before the bytes
 * go, so a crash in between leaves bytes nothing claims (removed with the ticket's staging once nothing of it
 * is quarantined, by a later pass or `sweepOrphanedStaging`), never a quarantine without its bytes. Safe on
 * several processes at once. Export for the background loop (hourly is plenty: `until` is in days).
 */
export async function purgeExpiredQuarantine(db: Db, staging: StagingArea, now: Date = new Date()): Promise<ExpiryResult> {
  const due = await db
    .selectFrom('quarantined_items')
    .select('id')
    .where('state', 'in', OPEN_QUARANTINE_STATES)
    .where('until', '<=', now)
    .orderBy('until')
    .limit(BATCH)
    .execute();
  const result: ExpiryResult = { purged: 0, ticketsPurged: 0, failed: 0 };
  const tickets = new Set<string>();
  for (const { id } of due) {
    const expired = await inTransaction(db, async (trx) => {
      const row = await trx
        .selectFrom('quarantined_items')
        .selectAll()
        .where('id', '=', id)
        .where('state', 'in', OPEN_QUARANTINE_STATES)
        .where('until', '<=', now)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!row) return undefined;
      const ticket = await trx
        .selectFrom('tickets')
        .select(['id', 'redact_names'])
        .where('id', '=', row.ticket_id)
        .executeTakeFirstOrThrow();
      const item = await trx
        .selectFrom('items')
        .select(['id', 'seq', 'source_path'])
        .where('id', '=', row.item_id)
        .executeTakeFirstOrThrow();
      await trx.updateTable('quarantined_items').set({ state: 'purged', purged_at: now }).where('id', '=', row.id).execute();
      await recordAudit(trx, {
        kind: 'quarantine.purged',
        actor: 'system',
        ticketId: row.ticket_id,
        details: {
          quarantineId: row.id,
          ...itemRef(ticket, item),
          until: row.until.toISOString(),
          ...(row.state === 'release_requested' ? { requestedBy: row.requested_by } : {}),
        },
      });
      return row;
    });
    if (!expired) continue;
    result.purged++;
    tickets.add(expired.ticket_id);
    try {
      await staging.removeItem(expired.ticket_id, expired.item_id);
    } catch {
      result.failed++;
    }
  }
  for (const ticketId of tickets) {
    try {
      if ((await settleTicketStaging(db, staging, ticketId)) === 'purged') result.ticketsPurged++;
    } catch {
      result.failed++;
    }
  }
  return result;
}
