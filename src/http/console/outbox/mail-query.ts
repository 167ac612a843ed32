import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Database } from '../../../db/schema.js';
import type { Role } from '../../../auth/roles.js';
import type { Db } from '../../../db/database.js';
import type { MailState } from '../../../db/schema.js';
import { findMail, type ListedMail } from '../../../notify/outbox-store.js';
import { formatTicketNumber } from '../../../tickets/states.js';
import { visibleTo, type Caller } from '../../../tickets/ticket-access.js';

/** Mails per page of the outbox. */
export const MAIL_PAGE_SIZE = 50;
/** Auditors read every mail (they oversee everything and change nothing). */
export const SEES_ALL_MAIL: readonly Role[] = ['auditor'];
/** Operators and admins run Airlock: they also read mails about no ticket (system mails). */
export const SEES_SYSTEM_MAIL: readonly Role[] = ['operator', 'admin'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Who is reading the outbox: their name and address decide which mails are theirs. */
export interface MailReader {
  name: string;
  /** The address on the caller's user record; undefined for a name with no user record. */
  email: string | undefined;
  /** Every mail (auditors). */
  seesAll: boolean;
  /** Mails about no ticket (operators, admins), besides their own and those about tickets they may see. */
  seesSystemMail: boolean;
  caller: Caller;
}

/** A mail as the list shows it (no bodies). */
export interface MailSummary {
  id: string;
  createdAt: Date;
  toAddress: string;
  toUser: string | null;
  subject: string;
  kind: string;
  state: MailState;
  ticketRef: string | null;
}

export interface MailPage {
  mails: MailSummary[];
  /** The last mail's id, for the "Older" link, when older mails exist. */
  older?: string | undefined;
  /** The first mail's id, for the "Newer" link. */
  newer?: string | undefined;
}

export async function mailReaderFor(db: Db, caller: Caller): Promise<MailReader> {
  const user = await db.selectFrom('users').select('email').where('name', '=', caller.name).executeTakeFirst();
  return {
    name: caller.name,
    email: user?.email,
    seesAll: SEES_ALL_MAIL.some((role) => caller.roles.includes(role)),
    seesSystemMail: SEES_SYSTEM_MAIL.some((role) => caller.roles.includes(role)),
    caller,
  };
}

/**
 * Need to know, for mail: a mail is readable by its recipient; by anyone who may see its ticket through a
 * role that runs or answers for tickets (operators handling it) — never through being a requester, since
 * a review mail to an approver is the approver's; by operators and admins when it is about no ticket; and
 * by auditors, all of it.
 */
function readableBy(reader: MailReader) {
  return (eb: ExpressionBuilder<Database, 'mails'>) => {
    if (reader.seesAll) return eb.lit(true);
    const conditions: Expression<SqlBool>[] = [];
    if (reader.email !== undefined) {
      conditions.push(
        eb.and([
          sql<boolean>`lower(mails.to_address) = lower(${reader.email})`,
          eb.or([eb('mails.to_user', 'is', null), eb('mails.to_user', '=', reader.name)]),
        ]),
      );
    }
    if (reader.seesSystemMail) conditions.push(eb('mails.ticket_id', 'is', null));
    if (reader.caller.roles.includes('operator')) {
      const handled = { ...reader.caller, roles: reader.caller.roles.filter((role) => role === 'operator') };
      conditions.push(eb('mails.ticket_id', 'in', eb.selectFrom('tickets').select('tickets.id').where(visibleTo(handled))));
    }
    return conditions.length > 0 ? eb.or(conditions) : eb.lit(false);
  };
}

/**
 * Whether the mail went to this reader: to their address and, when it names an Airlock user, to them by
 * name too (an address shared by two users does not make one the recipient of the other's links).
 */
export function isRecipient(mail: { to_address: string; to_user: string | null }, reader: MailReader): boolean {
  if (reader.email === undefined || mail.to_address.toLowerCase() !== reader.email.toLowerCase()) return false;
  return mail.to_user === null || mail.to_user === reader.name;
}

/**
 * A page of the mails the reader may see, newest first (the CLI's order: created, then id), keyset by the
 * mail id of the neighbouring page's edge: `before` gives the older page, `after` the newer one.
 */
export async function listVisibleMails(db: Db, reader: MailReader, position: { before?: string; after?: string }): Promise<MailPage> {
  const ascending = position.after !== undefined;
  const direction = ascending ? 'asc' : 'desc';
  let query = db
    .selectFrom('mails')
    .leftJoin('tickets', 'tickets.id', 'mails.ticket_id')
    .select([
      'mails.id',
      'mails.created_at',
      'mails.to_address',
      'mails.to_user',
      'mails.subject',
      'mails.kind',
      'mails.state',
      'tickets.number as ticket_number',
    ])
    .orderBy('mails.created_at', direction)
    .orderBy('mails.id', direction)
    .limit(MAIL_PAGE_SIZE + 1);
  query = query.where(readableBy(reader));
  // Compared as a pair with the edge mail's own columns: timestamps keep microseconds a JS Date would lose.
  if (position.before !== undefined) {
    query = query.where(
      sql<boolean>`(mails.created_at, mails.id) < (select m.created_at, m.id from mails m where m.id = ${position.before})`,
    );
  }
  if (position.after !== undefined) {
    query = query.where(
      sql<boolean>`(mails.created_at, mails.id) > (select m.created_at, m.id from mails m where m.id = ${position.after})`,
    );
  }
  const fetched = await query.execute();
  const more = fetched.length > MAIL_PAGE_SIZE;
  const rows = fetched.slice(0, MAIL_PAGE_SIZE);
  if (ascending) rows.reverse();
  const mails = rows.map((r) => ({
    id: r.id,
    createdAt: r.created_at,
    toAddress: r.to_address,
    toUser: r.to_user,
    subject: r.subject,
    kind: r.kind,
    state: r.state,
    ticketRef: r.ticket_number === null ? null : formatTicketNumber(Number(r.ticket_number)),
  }));
  const hasOlder = ascending ? true : more;
  const hasNewer = ascending ? more : position.before !== undefined;
  return {
    mails,
    older: hasOlder ? (mails.at(-1)?.id ?? position.after) : undefined,
    newer: hasNewer ? (mails[0]?.id ?? position.before) : undefined,
  };
}

/** One mail the reader may see, by id; undefined both when there is none and when it is someone else's. */
export async function findVisibleMail(db: Db, reader: MailReader, id: string): Promise<ListedMail | undefined> {
  if (!UUID.test(id)) return undefined;
  const readable = await db.selectFrom('mails').select('id').where('id', '=', id).where(readableBy(reader)).executeTakeFirst();
  return readable ? findMail(db, id) : undefined;
}

/** A mail id given as a cursor, or undefined when it is not one. */
export function mailCursor(value: string | undefined): string | undefined {
  return value !== undefined && UUID.test(value) ? value : undefined;
}
