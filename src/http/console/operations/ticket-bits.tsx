import type { Db } from '../../../db/database.js';
import { visibleTo, type Caller } from '../../../tickets/ticket-access.js';

/** Where a ticket's console page is. */
export function ticketHref(ref: string): string {
  return `/ui/tickets/${ref}`;
}

/**
 * Which of these tickets the caller may open (need to know, as everywhere). The operations page lists every
 * open escalation and failure, because they are the operators' shared work, but shows a ticket's purpose and
 * requester, and links it, only to an operator who may see it (the one its escalation assigned).
 */
export async function visibleAmong(db: Db, caller: Caller, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom('tickets')
    .select('id')
    .where('id', 'in', [...ids])
    .where(visibleTo(caller))
    .execute();
  return new Set(rows.map((r) => r.id));
}

/** The first cell of a row: the ticket number, linked with its purpose when the caller may see it. */
export function TicketCell(props: { ref: string; visible: boolean; purpose: string }) {
  return props.visible ? (
    <>
      <a href={ticketHref(props.ref)}>{props.ref}</a>
      <span class="purpose">{props.purpose}</span>
    </>
  ) : (
    <>
      {props.ref}
      <span class="purpose muted">not assigned to you: purpose and requester hidden</span>
    </>
  );
}
