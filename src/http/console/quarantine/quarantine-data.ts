import type { Db } from '../../../db/database.js';
import type { QuarantineState } from '../../../db/schema.js';
import { listQuarantine, OPEN_QUARANTINE_STATES, type QuarantineView } from '../../../quarantine/quarantine-store.js';
import { nameScrubber } from '../../../tickets/name-hash.js';
import type { Caller } from '../../../tickets/ticket-access.js';
import { visibleAmong } from '../operations/ticket-bits.js';

/** More rows than this is a backlog of its own; the page says it left some out (narrow with the filter). */
export const QUARANTINE_LIMIT = 500;

/** The states the filter offers, in the order an item passes through them. */
export const QUARANTINE_STATES = ['held', 'release_requested', 'released', 'purged'] as const satisfies readonly QuarantineState[];

/** `undefined`: the items still quarantined (held or with a release requested), the default. */
export type QuarantineFilter = QuarantineState | undefined;

/** The filter from the query string; anything unknown means the default (it is never echoed back). */
export function quarantineFilterOf(state: string | undefined): QuarantineFilter {
  return QUARANTINE_STATES.find((s) => s === state);
}

export interface QuarantineEntry {
  /** The API's view: the name is already its hash when the ticket redacts names. */
  item: QuarantineView;
  /** Whether the caller may open the ticket (need to know, as everywhere); else its number is not a link. */
  visible: boolean;
  /**
   * Whether the caller requested the ticket. Only to explain why no form is offered: the core refuses the
   * ticket's requester whatever the page shows (`requester_cannot_release`).
   */
  ownTicket: boolean;
}

/**
 * The quarantine as the list shows it, through the API's `listQuarantine`. A release reason is free text that
 * may quote an item's path, so for tickets that redact names the ticket's item names are hashed in it, as
 * `ticketView` does for every message of such a ticket.
 */
export async function loadQuarantine(
  db: Db,
  caller: Caller,
  filter: QuarantineFilter,
): Promise<{ entries: QuarantineEntry[]; more: boolean }> {
  const rows = await listQuarantine(db, { states: filter ? [filter] : OPEN_QUARANTINE_STATES, limit: QUARANTINE_LIMIT + 1 });
  const shown = rows.slice(0, QUARANTINE_LIMIT);
  const ticketIds = [...new Set(shown.map((r) => r.ticketId))];
  if (ticketIds.length === 0) return { entries: [], more: false };
  const [visible, tickets] = await Promise.all([
    visibleAmong(db, caller, ticketIds),
    db.selectFrom('tickets').select(['id', 'requester', 'redact_names']).where('id', 'in', ticketIds).execute(),
  ]);
  const redacted = tickets.filter((t) => t.redact_names).map((t) => t.id);
  const names =
    redacted.length === 0
      ? []
      : await db.selectFrom('items').select(['ticket_id', 'source_path']).where('ticket_id', 'in', redacted).execute();
  const scrubbers = new Map(
    redacted.map((id) => [id, nameScrubber(names.filter((n) => n.ticket_id === id).map((n) => n.source_path))] as const),
  );
  const own = new Set(tickets.filter((t) => t.requester === caller.name).map((t) => t.id));
  const entries = shown.map((item) => {
    const scrub = scrubbers.get(item.ticketId);
    return {
      item: scrub ? { ...item, reason: scrub(item.reason) } : item,
      visible: visible.has(item.ticketId),
      ownTicket: own.has(item.ticketId),
    };
  });
  return { entries, more: rows.length > QUARANTINE_LIMIT };
}
