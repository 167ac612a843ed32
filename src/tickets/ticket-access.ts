import type { ExpressionBuilder } from 'kysely';
import type { Role } from '../auth/roles.js';
import type { Db } from '../db/database.js';
import type { Database, TicketRow } from '../db/schema.js';
import { parseTicketRef } from './states.js';

/** Who is asking: a user's name, roles and approver groups. */
export interface Caller {
  name: string;
  roles: readonly Role[];
  groups: readonly string[];
}

/**
 * Need to know. A ticket is visible to its requester, to the approvers its pipeline named, to the operator
 * handling its escalation, and to auditors; each only while they hold the role that makes them that.
 * Nobody else learns that it exists: callers answer 404, not 403. Admins see no tickets through `admin`.
 */
export function visibleTo(caller: Caller) {
  return (eb: ExpressionBuilder<Database, 'tickets'>) => {
    if (caller.roles.includes('auditor')) return eb.lit(true);
    const roles: ('approver' | 'operator')[] = [];
    if (caller.roles.includes('approver')) roles.push('approver');
    if (caller.roles.includes('operator')) roles.push('operator');
    const asRequester = caller.roles.includes('requester') || caller.roles.includes('operator');
    const conditions = [];
    if (asRequester) conditions.push(eb('tickets.requester', '=', caller.name));
    if (roles.length > 0) {
      conditions.push(
        eb.exists(
          eb
            .selectFrom('ticket_participants as p')
            .select('p.ticket_id')
            .whereRef('p.ticket_id', '=', 'tickets.id')
            .where('p.user_name', '=', caller.name)
            .where('p.role', 'in', roles),
        ),
      );
    }
    return conditions.length > 0 ? eb.or(conditions) : eb.lit(false);
  };
}

/** The ticket named by `ref` (`T-000123`, its number or uuid) if the caller may see it; undefined otherwise. */
export async function findVisibleTicket(db: Db, caller: Caller, ref: string): Promise<TicketRow | undefined> {
  const parsed = parseTicketRef(ref);
  if (!parsed) return undefined;
  const query = db.selectFrom('tickets').selectAll().where(visibleTo(caller));
  return ('id' in parsed ? query.where('id', '=', parsed.id) : query.where('number', '=', parsed.number as never)).executeTakeFirst();
}

/** The caller's part in a ticket besides requester: approver, operator, both or none. */
export async function participation(db: Db, ticketId: string, userName: string): Promise<Set<'approver' | 'operator'>> {
  const rows = await db
    .selectFrom('ticket_participants')
    .select('role')
    .where('ticket_id', '=', ticketId)
    .where('user_name', '=', userName)
    .execute();
  return new Set(rows.map((r) => r.role));
}
