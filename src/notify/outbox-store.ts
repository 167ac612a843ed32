import type { Db } from '../db/database.js';
import type { MailRow } from '../db/schema.js';
import { formatTicketNumber } from '../tickets/states.js';

/** A stored mail with its ticket's `T-000123`, as listings show it. */
export type ListedMail = MailRow & { ticketRef: string | null };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The outbox, newest first; only one ticket's mails when asked. */
export async function listMails(db: Db, filter: { ticketId?: string; limit?: number } = {}): Promise<ListedMail[]> {
  let query = db
    .selectFrom('mails')
    .leftJoin('tickets', 'tickets.id', 'mails.ticket_id')
    .selectAll('mails')
    .select('tickets.number as ticket_number')
    .orderBy('mails.created_at', 'desc')
    .orderBy('mails.id', 'desc')
    .limit(filter.limit ?? 500);
  if (filter.ticketId !== undefined) query = query.where('mails.ticket_id', '=', filter.ticketId);
  const rows = await query.execute();
  return rows.map(({ ticket_number, ...mail }) => ({
    ...mail,
    ticketRef: ticket_number === null ? null : formatTicketNumber(ticket_number),
  }));
}

/** One mail by its id (a uuid) or its Message-ID, angle brackets optional. */
export async function findMail(db: Db, ref: string): Promise<ListedMail | undefined> {
  const trimmed = ref.trim();
  const messageId = trimmed.startsWith('<') ? trimmed : `<${trimmed}>`;
  const query = db
    .selectFrom('mails')
    .leftJoin('tickets', 'tickets.id', 'mails.ticket_id')
    .selectAll('mails')
    .select('tickets.number as ticket_number');
  const row = await (
    UUID.test(trimmed) ? query.where('mails.id', '=', trimmed.toLowerCase()) : query.where('mails.message_id', '=', messageId)
  ).executeTakeFirst();
  if (!row) return undefined;
  const { ticket_number, ...mail } = row;
  return { ...mail, ticketRef: ticket_number === null ? null : formatTicketNumber(ticket_number) };
}
