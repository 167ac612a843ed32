import type { Db } from '../db/database.js';
import type { TicketRow } from '../db/schema.js';
import { AirlockError } from '../errors.js';
import { formatTicketNumber } from './states.js';
import { submitTicket, type SubmitDeps } from './submit-ticket.js';
import { appendEvent, lockTicket } from './ticket-store.js';

/**
 * An operator's "Retry" of a failed ticket: a new ticket for the same pipeline, requester, purpose and
 * selection (and trigger, so a scheduled run stays one), made and enqueued by `submitTicket` exactly like
 * any other, naming the failed one in `retry_of`. The failed ticket gets an event ("retried as T-…") and the
 * audit trail a `ticket.retried` record by the operator, in the new ticket's transaction. The operator
 * becomes the new ticket's operator participant: they took it in hand, and that is what lets them follow it.
 *
 * A ticket that is not failed, or was retried already, is refused (409) — checked again under the failed
 * ticket's row lock, so of two operators pressing Retry at once exactly one makes a ticket.
 */
export async function retryTicket(deps: SubmitDeps, failedId: string, operator: string): Promise<TicketRow> {
  const failed = await deps.db.selectFrom('tickets').selectAll().where('id', '=', failedId).executeTakeFirst();
  if (!failed) throw new AirlockError('not_found', `Ticket ${failedId} does not exist.`);
  await refuseUnlessRetryable(deps.db, failed);
  const label = formatTicketNumber(failed.number);
  const row = await submitTicket(
    deps,
    {
      pipeline: failed.pipeline,
      requester: failed.requester,
      purpose: failed.purpose,
      selection: failed.selection ?? undefined,
      trigger: failed.trigger,
      retryOf: failed.id,
    },
    {
      reason: `retry of ${label} by ${operator}`,
      afterInsert: async (trx, created) => {
        await refuseUnlessRetryable(trx, await lockTicket(trx, failed.id), created.id);
        await trx
          .insertInto('ticket_participants')
          .values({ ticket_id: created.id, user_name: operator, role: 'operator' })
          .onConflict((oc) => oc.doNothing())
          .execute();
        const retry = formatTicketNumber(created.number);
        await appendEvent(trx, failed.id, {
          actor: operator,
          from: 'failed',
          to: 'failed',
          reason: `retried as ${retry} by ${operator}`,
          audit: { kind: 'ticket.retried', details: { retry, retryId: created.id } },
        });
      },
    },
  ).catch(async (error: unknown) => {
    // Two retries at once: the second insert waits on the unique index (one retry per ticket) and then
    // fails; it is the same conflict as the check above, said the same way.
    if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) await refuseUnlessRetryable(deps.db, failed);
    throw error;
  });
  return row;
}

/** PostgreSQL's SQLSTATE for a unique index refusing a row. */
const UNIQUE_VIOLATION = '23505';

async function refuseUnlessRetryable(db: Db, ticket: TicketRow, retry?: string): Promise<void> {
  const label = formatTicketNumber(ticket.number);
  if (ticket.state !== 'failed') {
    throw new AirlockError('invalid_transition', `${label} is ${ticket.state}; only a failed ticket can be retried.`);
  }
  let query = db.selectFrom('tickets').select('number').where('retry_of', '=', ticket.id);
  if (retry !== undefined) query = query.where('id', '<>', retry);
  const earlier = await query.orderBy('number').executeTakeFirst();
  if (earlier) {
    throw new AirlockError(
      'conflict',
      `${label} was already retried as ${formatTicketNumber(earlier.number)}; retry that one if it failed too.`,
    );
  }
}
