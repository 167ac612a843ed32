import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/audit-log.js';
import type { Db } from '../db/database.js';
import type { ItemRow, QuarantinedItemRow, QuarantineState, TicketRow } from '../db/schema.js';
import type { StagingArea } from '../staging/staging-area.js';
import { nameHash } from '../tickets/name-hash.js';
import { formatTicketNumber, TERMINAL_STATES } from '../tickets/states.js';

/** States in which an item is still quarantined: its staged copy is kept. */
export const OPEN_QUARANTINE_STATES: readonly QuarantineState[] = ['held', 'release_requested'];

const DAY_MS = 24 * 3_600_000;

/**
 * Quarantines the ticket's blocked items (those staged: size and hash known) until `now + days`, one row and one
 * `quarantine.held` audit record each. Runs in the transaction of the ticket's final transition (`trx`), so the
 * ticket is never `blocked` or `partially_delivered` without the rows that keep its blocked data: the staging
 * purge that follows reads them. Idempotent: an item already quarantined keeps its row and its `until`.
 */
export async function holdBlockedItems(
  trx: Db,
  ticket: Pick<TicketRow, 'id' | 'number' | 'redact_names'>,
  settings: { days: number; actor: string },
  now: Date = new Date(),
): Promise<QuarantinedItemRow[]> {
  const blocked = await trx
    .selectFrom('items')
    .selectAll()
    .where('ticket_id', '=', ticket.id)
    .where('state', '=', 'blocked')
    .where('sha256', 'is not', null)
    .orderBy('seq')
    .execute();
  if (blocked.length === 0) return [];
  const until = new Date(now.getTime() + settings.days * DAY_MS);
  const held = await trx
    .insertInto('quarantined_items')
    .values(blocked.map((item) => ({ id: randomUUID(), ticket_id: ticket.id, item_id: item.id, until })))
    .onConflict((oc) => oc.column('item_id').doNothing())
    .returningAll()
    .execute();
  const byItem = new Map(blocked.map((item) => [item.id, item]));
  for (const row of held.sort((a, b) => byItem.get(a.item_id)!.seq - byItem.get(b.item_id)!.seq)) {
    await recordAudit(trx, {
      kind: 'quarantine.held',
      actor: settings.actor,
      ticketId: ticket.id,
      details: { quarantineId: row.id, ...itemRef(ticket, byItem.get(row.item_id)!), until: until.toISOString(), days: settings.days },
    });
  }
  return held;
}

/**
 * Brings a finished ticket's staging in line with its quarantine: with no item still quarantined it is purged
 * whole (key and scratch folder included); otherwise every staged item but the quarantined ones is removed.
 * Does nothing for a ticket that is not in a terminal state (its staging is still being worked). Called after
 * the final transition, after a release and after expiry; idempotent, so a crash before it only delays it (the
 * next call, or the staging sweep once nothing is quarantined, finishes it).
 */
export async function settleTicketStaging(db: Db, staging: StagingArea, ticketId: string): Promise<'purged' | 'kept' | 'active'> {
  const ticket = await db.selectFrom('tickets').select('state').where('id', '=', ticketId).executeTakeFirst();
  if (ticket && !TERMINAL_STATES.has(ticket.state)) return 'active';
  const kept = new Set(await openQuarantinedItemIds(db, ticketId));
  if (kept.size === 0) {
    await staging.purge(ticketId);
    return 'purged';
  }
  const items = await db.selectFrom('items').select('id').where('ticket_id', '=', ticketId).execute();
  for (const item of items) if (!kept.has(item.id)) await staging.removeItem(ticketId, item.id);
  return 'kept';
}

/** The ticket's items still quarantined (held or with a release requested). */
export async function openQuarantinedItemIds(db: Db, ticketId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('quarantined_items')
    .select('item_id')
    .where('ticket_id', '=', ticketId)
    .where('state', 'in', OPEN_QUARANTINE_STATES)
    .execute();
  return rows.map((r) => r.item_id);
}

/**
 * How audit records name an item: its id and seq always, its path only when the ticket shows names (with
 * `redactNames` the path is left out, as everywhere else it would appear).
 */
export function itemRef(
  ticket: Pick<TicketRow, 'redact_names'>,
  item: Pick<ItemRow, 'id' | 'seq' | 'source_path'>,
): { itemId: string; seq: number; path?: string } {
  return { itemId: item.id, seq: item.seq, ...(ticket.redact_names ? {} : { path: item.source_path }) };
}

/** Where a released item is written under the release destination: `T-000123/<item path>`, or `T-000123/item-<seq>` when names are redacted. */
export function releasePath(ticket: Pick<TicketRow, 'number' | 'redact_names'>, item: Pick<ItemRow, 'seq' | 'source_path'>): string {
  return `${formatTicketNumber(ticket.number)}/${ticket.redact_names ? `item-${item.seq}` : item.source_path}`;
}

/** A quarantined item as the API shows it: never content; the name as its hash when the ticket redacts names. */
export interface QuarantineView {
  id: string;
  ticket: string;
  ticketId: string;
  pipeline: string;
  seq: number;
  name: string;
  size: number | null;
  sha256: string | null;
  rule: string | null;
  detectors: { check: string; detector: string; count: number }[];
  until: string;
  state: QuarantineState;
  requestedBy: string | null;
  requestedAt: string | null;
  reason: string | null;
  releasedBy: string | null;
  releasedAt: string | null;
  destination: string | null;
  purgedAt: string | null;
}

/** Quarantined items, soonest `until` first: those still quarantined by default, or those in `states`. */
export async function listQuarantine(
  db: Db,
  filter: { states?: readonly QuarantineState[]; ids?: readonly string[]; limit?: number } = {},
): Promise<QuarantineView[]> {
  let query = db
    .selectFrom('quarantined_items as q')
    .innerJoin('items as i', 'i.id', 'q.item_id')
    .innerJoin('tickets as t', 't.id', 'q.ticket_id')
    .selectAll('q')
    .select(['i.seq', 'i.source_path', 'i.size', 'i.sha256', 'i.rule', 't.number', 't.pipeline', 't.redact_names'])
    .orderBy('q.until')
    .orderBy('q.id')
    .limit(filter.limit ?? 500);
  if (filter.ids) {
    if (filter.ids.length === 0) return [];
    query = query.where('q.id', 'in', filter.ids);
  } else {
    query = query.where('q.state', 'in', filter.states ?? OPEN_QUARANTINE_STATES);
  }
  const rows = await query.execute();
  if (rows.length === 0) return [];
  const findings = await db
    .selectFrom('findings')
    .select(['item_id', 'check', 'detector', (eb) => eb.fn.countAll<string>().as('count')])
    .where(
      'item_id',
      'in',
      rows.map((r) => r.item_id),
    )
    .groupBy(['item_id', 'check', 'detector'])
    .orderBy('check')
    .orderBy('detector')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    ticket: formatTicketNumber(r.number),
    ticketId: r.ticket_id,
    pipeline: r.pipeline,
    seq: r.seq,
    name: r.redact_names ? nameHash(r.source_path) : r.source_path,
    size: r.size === null ? null : Number(r.size),
    sha256: r.sha256,
    rule: r.rule,
    detectors: findings
      .filter((f) => f.item_id === r.item_id)
      .map((f) => ({ check: f.check, detector: f.detector, count: Number(f.count) })),
    until: r.until.toISOString(),
    state: r.state,
    requestedBy: r.requested_by,
    requestedAt: r.requested_at?.toISOString() ?? null,
    reason: r.reason,
    releasedBy: r.released_by,
    releasedAt: r.released_at?.toISOString() ?? null,
    destination: r.destination_path,
    purgedAt: r.purged_at?.toISOString() ?? null,
  }));
}

/** One quarantined item as the API shows it, or undefined. */
export async function getQuarantineView(db: Db, id: string): Promise<QuarantineView | undefined> {
  if (!isUuid(id)) return undefined;
  return (await listQuarantine(db, { ids: [id] }))[0];
}

export function isUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}
