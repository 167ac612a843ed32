import type { Db } from '../../../db/database.js';
import type { TicketRow } from '../../../db/schema.js';
import type { ItemState, TicketState } from '../../../tickets/states.js';
import { isTerminal, itemStep, progressOf, progressRatio, progressText, type ProgressCounts } from './ticket-format.js';

/**
 * What the ticket page's script refreshes, and nothing else: the state, the progress counts (with the
 * `<progress>` value and the sentence the page prints) and each item's state and size, keyed by its number.
 * No names, so nothing here needs redacting.
 */
export interface TicketLive {
  state: TicketState;
  progress: (ProgressCounts & { value: number; max: number; text: string }) | null;
  items: { seq: number; state: ItemState; size?: number; step: { value: number; max: number; label: string } }[];
  terminal: boolean;
}

export async function ticketLive(db: Db, ticket: TicketRow): Promise<TicketLive> {
  const items = await db.selectFrom('items').select(['seq', 'state', 'size']).where('ticket_id', '=', ticket.id).orderBy('seq').execute();
  const counts = progressOf(ticket.progress);
  return {
    state: ticket.state,
    progress: counts && { ...counts, ...progressRatio(counts), text: progressText(counts) },
    items: items.map((i) => ({
      seq: i.seq,
      state: i.state,
      step: itemStep(i.state),
      ...(i.size === null ? {} : { size: Number(i.size) }),
    })),
    terminal: isTerminal(ticket.state),
  };
}
