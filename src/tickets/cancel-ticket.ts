import type { Db } from '../db/database.js';
import type { TicketRow } from '../db/schema.js';
import { AirlockError } from '../errors.js';
import { formatTicketNumber } from './states.js';
import { participation, type Caller } from './ticket-access.js';
import { transitionTicket } from './ticket-store.js';

/**
 * Cancels a ticket that has not started moving data or awaits approval, for its requester or the operator
 * handling its escalation (403 for anyone else who can see it), then drops its staged data. The same from the
 * API and the console.
 */
export async function cancelTicket(
  db: Db,
  ticket: TicketRow,
  caller: Caller,
  purge: (ticketId: string) => Promise<void>,
): Promise<TicketRow> {
  const handling = caller.roles.includes('operator') && (await participation(db, ticket.id, caller.name)).has('operator');
  if (ticket.requester !== caller.name && !handling) {
    throw new AirlockError('forbidden', `Only the requester of ${formatTicketNumber(ticket.number)} or its operator can cancel it.`);
  }
  const cancelled = await transitionTicket(db, ticket.id, 'cancelled', {
    actor: caller.name,
    from: ['requested', 'awaiting_approval'],
    reason: `cancelled by ${caller.name}`,
  });
  await purge(ticket.id);
  return cancelled;
}
