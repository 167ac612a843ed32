import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import { OPEN_QUARANTINE_STATES } from '../quarantine/quarantine-store.js';
import type { StagingArea } from '../staging/staging-area.js';
import { TERMINAL_STATES, type TicketState } from '../tickets/states.js';
import { mapConcurrent } from './map-concurrent.js';

/** Staged ticket ids looked up per query. */
const LOOKUP_BATCH = 500;
/** Purges in flight at once (S3 purges are a few round trips each). */
const PURGE_CONCURRENCY = 4;

export interface SweepOptions {
  /** Ids per ticket lookup; `LOOKUP_BATCH` by default (smaller in tests). */
  batchSize?: number;
}

/**
 * Purges staging that no ticket needs any more: what a worker killed between a ticket's final transition and
 * its purge left behind, or a ticket ended by a path that does not purge. For every staged ticket id (items,
 * wrapped key, scratch folder), the ticket is looked up, one query per batch of ids, and its staging purged
 * when it is in a terminal state (nothing moves on from there, so nothing will read it again) or does not
 * exist. Every other state keeps its staging: `awaiting_approval` holds the data for the reviewers' decision,
 * and the active states are being worked (or will be resumed). So does a terminal ticket with items still in
 * quarantine (held or with a release requested): they are read again by a release, and leave only by release or
 * expiry (`purgeExpiredQuarantine`), which settle the ticket's staging themselves. Its other items' leftovers, if
 * a crash kept them, go with that final purge. A quarantine row commits with the ticket's final transition, so
 * a terminal state read here comes with its rows, and they only ever leave the open states (never re-enter).
 *
 * Why "does not exist" is safe against a ticket being created right now: staging is written only by the fetch
 * step (`fetchItems`, the one caller of `StagingArea.stage` and `ticketRoot`), which runs for a ticket the
 * processor has read from the database and moved to `fetching`, so its row was committed before anything of
 * it was staged. Ticket ids are random uuids, never reused, so a missing ticket cannot appear later. Both
 * grounds for purging (missing, terminal) are therefore final once observed: a state read here cannot turn
 * into a needed one before the purge. The staging area must belong to this database alone (a bucket prefix
 * shared by two deployments would see the other's tickets as missing).
 *
 * Idempotent, and safe on several workers at once: purging a ticket already purged does nothing. A ticket
 * whose purge fails is counted neither swept nor kept, logged (as a count) and left for the next sweep; a
 * failure to list the staging area or to query the database rejects. Logs counts only, never ids or names.
 */
export async function sweepOrphanedStaging(
  db: Db,
  staging: StagingArea,
  logger: Logger,
  options: SweepOptions = {},
): Promise<{ swept: number; kept: number }> {
  const batchSize = Math.max(1, options.batchSize ?? LOOKUP_BATCH);
  let swept = 0;
  let kept = 0;
  let failed = 0;
  const sweepBatch = async (ids: readonly string[]) => {
    const rows = await db
      .selectFrom('tickets')
      .select((eb) => [
        'id',
        'state',
        eb
          .exists(
            eb
              .selectFrom('quarantined_items as q')
              .select('q.id')
              .whereRef('q.ticket_id', '=', 'tickets.id')
              .where('q.state', 'in', OPEN_QUARANTINE_STATES),
          )
          .as('quarantined'),
      ])
      .where('id', 'in', ids)
      .execute();
    const stateOf = new Map<string, TicketState>(rows.map((row) => [row.id, row.state]));
    const quarantined = new Set(rows.filter((row) => row.quarantined).map((row) => row.id));
    const done = ids.filter((id) => {
      const state = stateOf.get(id);
      return state === undefined || (TERMINAL_STATES.has(state) && !quarantined.has(id));
    });
    kept += ids.length - done.length;
    await mapConcurrent(done, PURGE_CONCURRENCY, async (id) => {
      try {
        await staging.purge(id);
        swept++;
      } catch {
        failed++;
      }
    });
  };
  let batch: string[] = [];
  for await (const id of staging.stagedTickets()) {
    batch.push(id);
    if (batch.length >= batchSize) {
      await sweepBatch(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await sweepBatch(batch);
  if (failed > 0) logger.warn({ swept, kept, failed }, 'orphaned staging swept; some purges failed and are left for the next sweep');
  else if (swept > 0) logger.info({ swept, kept }, 'orphaned staging swept');
  else logger.debug({ swept, kept }, 'no orphaned staging');
  return { swept, kept };
}
