import type { Db } from '../db/database.js';
import { inTransaction } from '../db/in-transaction.js';
import type { TicketRow } from '../db/schema.js';
import { AirlockError } from '../errors.js';
import { formatTicketNumber, TERMINAL_STATES } from './states.js';
import { appendEvent, lockTicket } from './ticket-store.js';

export interface Escalation {
  ticket: TicketRow;
  operator: string;
  /** False when the ticket was already escalated: asking again changes nothing. */
  created: boolean;
}

/**
 * "Talk to a human": raises the ticket's severity to high, assigns the operator with the fewest open
 * escalations (ties by name, so the choice is reproducible), makes them a participant, starts the SLA
 * clock and records it in the ticket's history. Automation goes on untouched. Only the requester asks.
 */
export async function escalateTicket(
  db: Db,
  ticketId: string,
  requester: string,
  options: { slaMinutes: number; now?: Date },
): Promise<Escalation> {
  return inTransaction(db, async (trx) => {
    const ticket = await lockTicket(trx, ticketId);
    const label = formatTicketNumber(ticket.number);
    if (ticket.requester !== requester) throw new AirlockError('forbidden', `Only the requester of ${label} can ask for a human.`);
    const assigned = await trx
      .selectFrom('ticket_participants')
      .select('user_name')
      .where('ticket_id', '=', ticket.id)
      .where('role', '=', 'operator')
      .executeTakeFirst();
    if (ticket.escalated_at && assigned) return { ticket, operator: assigned.user_name, created: false };
    if (TERMINAL_STATES.has(ticket.state)) {
      throw new AirlockError('invalid_transition', `${label} is ${ticket.state}; a finished ticket cannot be escalated.`);
    }
    const operator = await leastBusyOperator(trx);
    if (!operator)
      throw new AirlockError(
        'conflict',
        `No enabled user holds the operator role, so ${label} cannot be escalated; ask an admin to add one.`,
      );
    const now = options.now ?? new Date();
    const updated = await trx
      .updateTable('tickets')
      .set({ severity: 'high', escalated_at: now, sla_due_at: new Date(now.getTime() + options.slaMinutes * 60_000), updated_at: now })
      .where('id', '=', ticket.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx.insertInto('ticket_participants').values({ ticket_id: ticket.id, user_name: operator, role: 'operator' }).execute();
    await appendEvent(trx, ticket.id, {
      actor: requester,
      from: ticket.state,
      to: ticket.state,
      reason: `escalated: severity high, operator ${operator} assigned, SLA ${options.slaMinutes} min`,
      audit: { kind: 'ticket.escalated', details: { operator, slaMinutes: options.slaMinutes } },
    });
    return { ticket: updated, operator, created: true };
  });
}

async function leastBusyOperator(db: Db): Promise<string | undefined> {
  const row = await db
    .selectFrom('users as u')
    .leftJoin('ticket_participants as p', (join) => join.onRef('p.user_name', '=', 'u.name').on('p.role', '=', 'operator'))
    .leftJoin('tickets as t', (join) => join.onRef('t.id', '=', 'p.ticket_id').on('t.finished_at', 'is', null))
    .select(['u.name', (eb) => eb.fn.count<number>('t.id').as('open')])
    .where('u.disabled_at', 'is', null)
    .where((eb) => eb(eb.val('operator'), '=', eb.fn.any('u.roles')))
    .groupBy('u.name')
    .orderBy('open')
    .orderBy('u.name')
    .executeTakeFirst();
  return row?.name;
}
