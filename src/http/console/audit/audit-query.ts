import { sql } from 'kysely';
import type { Db } from '../../../db/database.js';
import { AirlockError } from '../../../errors.js';
import { findTicket } from '../../../tickets/ticket-store.js';
import { formatTicketNumber, parseTicketRef } from '../../../tickets/states.js';
import { parseDateField, parseInclusiveEnd } from './date-field.js';

/** Records per page of the audit log. */
export const AUDIT_PAGE_SIZE = 50;
/** The kind suggestions come from this many of the newest records: a bounded read, however long the log. */
const RECENT_KINDS_WINDOW = 5000;
const MAX_FIELD_LENGTH = 200;

/** The filter form's fields as typed (shown back in the form), and the pagination cursor of the links. */
export interface AuditQuery {
  kind: string;
  actor: string;
  ticket: string;
  from: string;
  to: string;
  before?: number | undefined;
  after?: number | undefined;
}

/** The filter the query runs with. */
export interface AuditFilter {
  /** A kind ending in `.` or `*` is a prefix (`ticket.` or `ticket*`); anything else is matched exactly. */
  kind?: { value: string; prefix: boolean } | undefined;
  actor?: string | undefined;
  /** The ticket's uuid; `null` when the ticket asked for does not exist (then nothing matches). */
  ticketId?: string | null | undefined;
  /** Inclusive. */
  from?: Date | undefined;
  /** Exclusive. */
  to?: Date | undefined;
}

export interface AuditRow {
  id: number;
  /** Null until the sealer gives the record its place in the chain. */
  seq: number | null;
  at: Date;
  kind: string;
  actor: string;
  ticketId: string | null;
  /** `T-000123`, when the record is about a ticket that still exists. */
  ticketRef: string | null;
  details: Record<string, unknown>;
}

export interface AuditPage {
  rows: AuditRow[];
  /** Cursor of the "Older" link (records with a smaller id), when there are older records. */
  older?: number | undefined;
  /** Cursor of the "Newer" link. */
  newer?: number | undefined;
}

/** The query string of `GET /ui/audit`, as typed; throws a 400 naming the first bad field. */
export function readAuditQuery(query: Record<string, string | undefined>): AuditQuery {
  const text = (field: string) => {
    const value = (query[field] ?? '').trim();
    if (value.length > MAX_FIELD_LENGTH)
      throw new AirlockError('invalid_input', `The field "${field}" is longer than ${MAX_FIELD_LENGTH} characters.`);
    return value;
  };
  return {
    kind: text('kind'),
    actor: text('actor'),
    ticket: text('ticket'),
    from: text('from'),
    to: text('to'),
    before: cursor('before', query.before),
    after: query.before === undefined ? cursor('after', query.after) : undefined,
  };
}

/** What the typed fields ask for: dates parsed, the ticket number looked up. Throws a 400 naming a bad field. */
export async function resolveAuditFilter(db: Db, query: AuditQuery): Promise<AuditFilter> {
  const filter: AuditFilter = {};
  if (query.kind) {
    const prefix = query.kind.endsWith('.') || query.kind.endsWith('*');
    filter.kind = { value: query.kind.endsWith('*') ? query.kind.slice(0, -1) : query.kind, prefix };
  }
  if (query.actor) filter.actor = query.actor;
  if (query.ticket) {
    const ref = parseTicketRef(query.ticket);
    if (!ref)
      throw new AirlockError('invalid_input', 'The field "ticket" must be a ticket number such as T-000123 (or 123, or the ticket’s id).');
    filter.ticketId = (await findTicket(db, ref))?.id ?? null;
  }
  filter.from = parseDateField('from', query.from);
  filter.to = parseInclusiveEnd('to', query.to);
  if (filter.from && filter.to && filter.from >= filter.to)
    throw new AirlockError('invalid_input', 'The field "from" must be a day before "to".');
  return filter;
}

/**
 * One page of records, newest first, sealed or not, keyset-paginated by `id` (the write order, which is
 * also the seal order, so it agrees with `seq`): `before` gives the page below an id, `after` the page above.
 */
export async function findAuditPage(db: Db, filter: AuditFilter, position: Pick<AuditQuery, 'before' | 'after'>): Promise<AuditPage> {
  if (filter.ticketId === null) return { rows: [] };
  const ascending = position.after !== undefined;
  let query = db
    .selectFrom('audit_log')
    .leftJoin('tickets', 'tickets.id', 'audit_log.ticket_id')
    .select([
      'audit_log.id',
      'audit_log.seq',
      'audit_log.at',
      'audit_log.kind',
      'audit_log.actor',
      'audit_log.ticket_id',
      'audit_log.details',
      'tickets.number as ticket_number',
    ])
    .orderBy('audit_log.id', ascending ? 'asc' : 'desc')
    .limit(AUDIT_PAGE_SIZE + 1);
  if (filter.kind?.prefix) query = query.where(sql<boolean>`starts_with(audit_log.kind, ${filter.kind.value})`);
  else if (filter.kind) query = query.where('audit_log.kind', '=', filter.kind.value);
  if (filter.actor) query = query.where('audit_log.actor', '=', filter.actor);
  if (filter.ticketId) query = query.where('audit_log.ticket_id', '=', filter.ticketId);
  if (filter.from) query = query.where('audit_log.at', '>=', filter.from);
  if (filter.to) query = query.where('audit_log.at', '<', filter.to);
  if (position.before !== undefined) query = query.where('audit_log.id', '<', position.before);
  if (position.after !== undefined) query = query.where('audit_log.id', '>', position.after);

  const fetched = await query.execute();
  const more = fetched.length > AUDIT_PAGE_SIZE;
  const page = fetched.slice(0, AUDIT_PAGE_SIZE);
  if (ascending) page.reverse();
  const rows = page.map((r) => ({
    id: Number(r.id),
    seq: r.seq === null ? null : Number(r.seq),
    at: r.at,
    kind: r.kind,
    actor: r.actor,
    ticketId: r.ticket_id,
    ticketRef: r.ticket_number === null ? null : formatTicketNumber(Number(r.ticket_number)),
    details: r.details,
  }));
  const first = rows[0]?.id;
  const last = rows.at(-1)?.id;
  // Coming from a neighbouring page means that page's records exist on the other side.
  const hasOlder = ascending ? position.after !== undefined : more;
  const hasNewer = ascending ? more : position.before !== undefined;
  return {
    rows,
    older: hasOlder ? (last ?? position.after) : undefined,
    newer: hasNewer ? (first ?? position.before) : undefined,
  };
}

/** Kinds of the newest records, for the filter's suggestions (any other kind can still be typed). */
export async function recentKinds(db: Db): Promise<string[]> {
  const recent = db.selectFrom('audit_log').select('kind').orderBy('id', 'desc').limit(RECENT_KINDS_WINDOW).as('recent');
  const rows = await db.selectFrom(recent).select('recent.kind').distinct().orderBy('recent.kind').execute();
  return rows.map((r) => r.kind);
}

/** The chain's head and what still waits for the sealer (both read through indexes). */
export async function auditLogSize(db: Db): Promise<{ headSeq: number; unsealed: number }> {
  const head = await db
    .selectFrom('audit_log')
    .select('seq')
    .where('seq', 'is not', null)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const pending = await db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('seq', 'is', null)
    .executeTakeFirstOrThrow();
  return { headSeq: Number(head?.seq ?? 0), unsealed: Number(pending.n) };
}

function cursor(field: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new AirlockError('invalid_input', `The field "${field}" must be a record number.`);
  return Number(value);
}
