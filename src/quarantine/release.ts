import type { Role } from '../auth/roles.js';
import { recordAudit } from '../audit/audit-log.js';
import type { Db } from '../db/database.js';
import { inTransaction } from '../db/in-transaction.js';
import type { ItemRow, QuarantinedItemRow, TicketRow } from '../db/schema.js';
import type { PipelineResolver } from '../engine/resolved-pipeline.js';
import { AirlockError, coerceError } from '../errors.js';
import type { StagingArea } from '../staging/staging-area.js';
import { formatTicketNumber } from '../tickets/states.js';
import type { Caller } from '../tickets/ticket-access.js';
import { QuarantineError } from './quarantine-errors.js';
import { getQuarantineView, isUuid, itemRef, releasePath, settleTicketStaging, type QuarantineView } from './quarantine-store.js';

/**
 * Who may ask for, approve or withdraw a release: operators. Auditors see the quarantine list but change
 * nothing (src/auth/roles.ts), and releasing blocked data is the largest change there is.
 */
export const RELEASE_ROLES: readonly Role[] = ['operator'];

/** What a release needs besides the database: the staged bytes and the pipeline's release destination. */
export interface ReleaseContext {
  staging: StagingArea;
  resolvePipeline: PipelineResolver;
}

export interface ReleaseOutcome {
  /** `release_requested`: the first person asked; `released`: the second approved and the item was written. */
  outcome: 'release_requested' | 'released';
  item: QuarantineView;
}

/**
 * One person's call to release a quarantined item; two different people are needed. The first call (state
 * `held`) records the request; a call by anyone else while it is `release_requested` approves it and performs the
 * release: the staged copy is written through the staging verifier to the pipeline's `quarantine.releaseTo`
 * (`T-000123/<item path>`, or `T-000123/item-<seq>` with redacted names), the destination's size and hash are
 * checked against the staged ones, and only then is the item `released`; its staged copy goes afterwards.
 *
 * Enforced here, not only by the route: the caller must hold a RELEASE_ROLES role, must not be the ticket's
 * requester (whatever roles they hold: `requester_cannot_release`), and must not be the person who asked
 * (`same_person`; the table's check constraint refuses it too). Everything happens in one transaction that holds
 * the item's row lock from the first read to the commit, the write to the destination included, so of two
 * concurrent approvals exactly one releases and the other then finds it `released` (`already_released`). A write
 * that fails (or a crash) rolls back: the item stays `release_requested`, nothing is recorded as released, and
 * the next approval replaces whatever temporary file the attempt left (the write's attempt name is the item's
 * quarantine id). The audit record is appended after the write, so the audit trail's append lock is never held
 * while bytes move. Trade-off: on the embedded store, whose one session is held by an open transaction, other
 * database work waits while the item is written.
 */
export async function releaseQuarantinedItem(
  db: Db,
  ctx: ReleaseContext,
  quarantineId: string,
  caller: Caller,
  input: { reason: string },
  now: Date = new Date(),
): Promise<ReleaseOutcome> {
  let attempted: { ticketId: string; ref: Record<string, unknown> } | undefined;
  let outcome: ReleaseOutcome['outcome'];
  let ticketId: string;
  try {
    ({ outcome, ticketId } = await inTransaction(db, async (trx) => {
      const { row, ticket, item } = await lockForAction(trx, quarantineId, caller, now);
      const label = `item ${item.seq} of ${formatTicketNumber(ticket.number)}`;
      if (row.state === 'held') {
        await trx
          .updateTable('quarantined_items')
          .set({ state: 'release_requested', requested_by: caller.name, requested_at: now, reason: input.reason })
          .where('id', '=', row.id)
          .execute();
        await recordAudit(trx, {
          kind: 'quarantine.release_requested',
          actor: caller.name,
          ticketId: ticket.id,
          details: { quarantineId: row.id, ...itemRef(ticket, item), reason: input.reason },
        });
        return { outcome: 'release_requested' as const, ticketId: ticket.id };
      }
      if (row.requested_by === caller.name) {
        throw new QuarantineError(
          'same_person',
          `${caller.name} asked for the release of ${label}; a different person must approve it (two persons, always).`,
        );
      }
      attempted = { ticketId: ticket.id, ref: { quarantineId: row.id, ...itemRef(ticket, item) } };
      const target = releasePath(ticket, item);
      const written = await writeRelease(ctx, ticket, item, row, target, label);
      await trx
        .updateTable('quarantined_items')
        .set({
          state: 'released',
          released_by: caller.name,
          released_at: now,
          release_reason: input.reason,
          destination_path: written.path,
        })
        .where('id', '=', row.id)
        .execute();
      await recordAudit(trx, {
        kind: 'quarantine.released',
        actor: caller.name,
        ticketId: ticket.id,
        details: {
          ...attempted.ref,
          requestedBy: row.requested_by,
          releasedBy: caller.name,
          reason: input.reason,
          destination: written.path,
          destinationKind: written.kind,
          size: written.size,
          sha256: written.sha256,
        },
      });
      return { outcome: 'released' as const, ticketId: ticket.id };
    }));
  } catch (error) {
    // A write that failed left no release behind (rolled back); the attempt itself is still worth a record.
    if (attempted) {
      const failure = coerceError(error);
      await recordAudit(db, {
        kind: 'quarantine.release_failed',
        actor: caller.name,
        ticketId: attempted.ticketId,
        details: { ...attempted.ref, code: failure instanceof QuarantineError ? failure.problem : failure.code },
      }).catch(() => undefined);
    }
    throw error;
  }
  // The release is committed; its staged copy (and the ticket's staging, once nothing else is held) can go. A
  // failure here only delays that: the staging sweep purges a finished ticket that holds nothing.
  if (outcome === 'released') await settleTicketStaging(db, ctx.staging, ticketId).catch(() => undefined);
  return { outcome, item: (await getQuarantineView(db, quarantineId))! };
}

/**
 * Withdraws a release request: `release_requested` → `held`, by the person who asked or any other operator
 * (never the ticket's requester), under the row's lock. `quarantine.release_cancelled` records it.
 */
export async function cancelReleaseRequest(
  db: Db,
  quarantineId: string,
  caller: Caller,
  input: { reason?: string | undefined } = {},
  now: Date = new Date(),
): Promise<QuarantineView> {
  await inTransaction(db, async (trx) => {
    const { row, ticket, item } = await lockForAction(trx, quarantineId, caller, now);
    if (row.state !== 'release_requested') {
      throw new QuarantineError(
        'not_requested',
        `Nobody has asked for the release of item ${item.seq} of ${formatTicketNumber(ticket.number)}; there is nothing to withdraw.`,
      );
    }
    await trx
      .updateTable('quarantined_items')
      .set({ state: 'held', requested_by: null, requested_at: null, reason: null })
      .where('id', '=', row.id)
      .execute();
    await recordAudit(trx, {
      kind: 'quarantine.release_cancelled',
      actor: caller.name,
      ticketId: ticket.id,
      details: {
        quarantineId: row.id,
        ...itemRef(ticket, item),
        requestedBy: row.requested_by,
        ...(input.reason ? { reason: input.reason } : {}),
      },
    });
  });
  return (await getQuarantineView(db, quarantineId))!;
}

/**
 * Locks the quarantine row (until the transaction ends) and checks what every action needs: it exists, the
 * caller holds a release role and is not the ticket's requester, and the item is still quarantined and not past
 * its `until`.
 */
async function lockForAction(
  trx: Db,
  quarantineId: string,
  caller: Caller,
  now: Date,
): Promise<{ row: QuarantinedItemRow; ticket: TicketRow; item: ItemRow }> {
  const row = isUuid(quarantineId)
    ? await trx.selectFrom('quarantined_items').selectAll().where('id', '=', quarantineId).forUpdate().executeTakeFirst()
    : undefined;
  if (!row) throw new AirlockError('not_found', `Quarantined item ${quarantineId} does not exist.`);
  if (!RELEASE_ROLES.some((role) => caller.roles.includes(role))) {
    throw new AirlockError('forbidden', `Releasing quarantined items needs one of the roles ${RELEASE_ROLES.join(', ')}.`);
  }
  const ticket = await trx.selectFrom('tickets').selectAll().where('id', '=', row.ticket_id).executeTakeFirstOrThrow();
  const item = await trx.selectFrom('items').selectAll().where('id', '=', row.item_id).executeTakeFirstOrThrow();
  const label = `item ${item.seq} of ${formatTicketNumber(ticket.number)}`;
  if (ticket.requester === caller.name) {
    throw new QuarantineError(
      'requester_cannot_release',
      `${caller.name} requested ${formatTicketNumber(ticket.number)}; its requester never releases its blocked items.`,
    );
  }
  if (row.state === 'released') throw new QuarantineError('already_released', `${label} was already released.`);
  if (row.state === 'purged') throw new QuarantineError('quarantine_purged', `${label} was purged when its quarantine ended.`);
  if (row.until <= now) {
    throw new QuarantineError('quarantine_expired', `The quarantine of ${label} ended at ${row.until.toISOString()}; it is being purged.`);
  }
  return { row, ticket, item };
}

/** Writes the staged item to the release destination through the verifier and checks what the destination reports. */
async function writeRelease(
  ctx: ReleaseContext,
  ticket: TicketRow,
  item: ItemRow,
  row: QuarantinedItemRow,
  target: string,
  label: string,
): Promise<{ path: string; size: number; sha256: string; kind: string }> {
  if (item.size === null || item.sha256 === null) throw new AirlockError('internal_error', `${label} was never staged.`);
  const staged = { size: item.size, sha256: item.sha256 };
  const pipeline = await ctx.resolvePipeline(ticket.pipeline).catch((error: unknown) => {
    throw new QuarantineError(
      'no_release_destination',
      `Pipeline "${ticket.pipeline}" of ${formatTicketNumber(ticket.number)} does not load (${coerceError(error).code}); it names where releases go.`,
    );
  });
  try {
    const quarantine = pipeline.quarantine;
    if (!quarantine) {
      throw new QuarantineError(
        'no_release_destination',
        `Pipeline "${ticket.pipeline}" no longer has quarantine.releaseTo; ${label} cannot be released until it does.`,
      );
    }
    const verified = ctx.staging.openVerified(ticket.id, item.id, staged, label);
    try {
      // The quarantine id names the temporary file: a later attempt replaces what a failed one left.
      const written = await quarantine.releaseTo.write(target, verified, { attempt: row.id });
      if (written.size !== staged.size || written.sha256 !== staged.sha256) {
        throw new AirlockError(
          'integrity_mismatch',
          `The release destination reported ${written.size} bytes with a different checksum for ${label}; it is not counted as released.`,
        );
      }
      return { ...written, kind: quarantine.releaseToKind };
    } finally {
      verified.destroy();
    }
  } finally {
    await pipeline.close();
  }
}
