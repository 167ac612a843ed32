import type { Db } from '../db/database.js';
import type { TicketRow } from '../db/schema.js';
import type { Caller } from '../tickets/ticket-access.js';
import { decideApproval, type ApprovalStatus, type DecisionInput } from './approval-store.js';
import { announceDecision, type CommunicationContext } from './review-task.js';

export interface DecideDeps {
  /** Enqueues delivery in the transaction of the approval that completes the quorum. */
  enqueue: (trx: Db, ticketId: string) => Promise<void>;
  /** Removes a rejected ticket's staged data. */
  purge: (ticketId: string) => Promise<void>;
  /** Absent: no mail announces the outcome. */
  communication?: CommunicationContext | undefined;
  /** Told how long the ticket waited, once a decision settles it (the approval latency metric). */
  onApprovalSettled?: ((seconds: number) => void) | undefined;
  now?: () => Date;
}

/**
 * One person's decision on a ticket awaiting approval, with everything that follows from it, the same from
 * the API and the console: delivery enqueued when the quorum is met, the outcome announced, a rejected
 * ticket's staging purged, and the wait measured.
 */
export async function decideTicketApproval(
  db: Db,
  ticket: TicketRow,
  caller: Caller,
  input: DecisionInput,
  deps: DecideDeps,
): Promise<{ ticket: TicketRow; status: ApprovalStatus }> {
  const communication = deps.communication;
  const result = await decideApproval(db, ticket.id, caller, input, {
    onApproved: (trx) => deps.enqueue(trx, ticket.id),
    ...(communication ? { onSettled: (trx: Db, settled: TicketRow) => announceDecision(trx, settled, communication) } : {}),
  });
  if (result.ticket.state === 'rejected') await deps.purge(ticket.id);
  if (result.ticket.state !== 'awaiting_approval') {
    const now = deps.now?.() ?? new Date();
    deps.onApprovalSettled?.((now.getTime() - new Date(ticket.updated_at).getTime()) / 1000);
  }
  return result;
}
