import { approvalStatus, type ApprovalStatus } from '../../../approvals/approval-store.js';
import { blindSummary } from '../../../approvals/review-summary.js';
import type { Db } from '../../../db/database.js';
import type { TicketRow } from '../../../db/schema.js';
import type { BlindReview } from '../../../notify/blind-review.js';
import { loadPipelines } from '../../../pipelines/pipeline-loader.js';
import { nameHash } from '../../../tickets/name-hash.js';
import { formatTicketNumber, type TicketState } from '../../../tickets/states.js';
import { visibleTo, type Caller } from '../../../tickets/ticket-access.js';

/** An inbox longer than this is shown from its oldest; deciding those brings the next ones in. */
const MAX_INBOX = 50;
/** How many of the caller's own decisions are listed under the inbox. */
const RECENT_DECISIONS = 20;

export interface InboxEntry {
  ref: string;
  ticket: TicketRow;
  /** What the review e-mail shows instead of the data (the same `blindSummary`). */
  review: BlindReview;
  /** Approvals given so far and what each requirement still needs. */
  status: ApprovalStatus;
  /** When the review expires, if a review task runs for it. */
  deadline: Date | null;
}

/**
 * Tickets awaiting approval that name the caller as an approver and that the caller has not decided yet,
 * oldest first — the people the review mail asks: never the requester of their own ticket.
 */
export async function loadInbox(db: Db, caller: Caller, pipelinesDir: string): Promise<{ entries: InboxEntry[]; more: boolean }> {
  const rows = await db
    .selectFrom('tickets')
    .selectAll()
    .where(visibleTo(caller))
    .where('state', '=', 'awaiting_approval')
    .where('requester', '!=', caller.name)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('ticket_participants as p')
          .select('p.ticket_id')
          .whereRef('p.ticket_id', '=', 'tickets.id')
          .where('p.user_name', '=', caller.name)
          .where('p.role', '=', 'approver'),
      ),
    )
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('approvals as a')
            .select('a.ticket_id')
            .whereRef('a.ticket_id', '=', 'tickets.id')
            .where('a.user_name', '=', caller.name),
        ),
      ),
    )
    .orderBy('created_at')
    .orderBy('number')
    .limit(MAX_INBOX + 1)
    .execute();
  const shown = rows.slice(0, MAX_INBOX);
  if (shown.length === 0) return { entries: [], more: false };
  const tasks = await db
    .selectFrom('review_tasks')
    .select(['ticket_id', 'state', 'due_at', 'destination'])
    .where(
      'ticket_id',
      'in',
      shown.map((t) => t.id),
    )
    .execute();
  const recorded = new Map(tasks.filter((t) => t.destination !== null).map((t) => [t.ticket_id, t.destination!]));
  const destinationOf = shown.every((t) => recorded.has(t.id)) ? () => 'unknown' : await pipelineDestinations(pipelinesDir);
  const entries = await Promise.all(
    shown.map(async (ticket): Promise<InboxEntry> => {
      const task = tasks.find((t) => t.ticket_id === ticket.id);
      const [review, status] = await Promise.all([
        blindSummary(db, ticket, { destination: recorded.get(ticket.id) ?? destinationOf(ticket.pipeline), nameOf: nameHash }),
        approvalStatus(db, ticket.id),
      ]);
      return {
        ref: formatTicketNumber(ticket.number),
        ticket,
        review,
        status,
        deadline: task?.state === 'open' ? task.due_at : null,
      };
    }),
  );
  return { entries, more: rows.length > MAX_INBOX };
}

/**
 * The destination kind for tickets whose review task did not record one (a task opened before the column
 * existed, or none at all): the pipeline's, read only when needed.
 */
async function pipelineDestinations(pipelinesDir: string): Promise<(pipeline: string) => string> {
  const { pipelines } = await loadPipelines(pipelinesDir);
  return (name) => {
    const kind = pipelines.get(name)?.destination.kind;
    return kind === undefined ? 'unknown' : String(kind);
  };
}

export interface RecentDecision {
  ref: string;
  pipeline: string;
  decision: 'approve' | 'reject';
  decidedAt: Date;
  channel: 'api' | 'email' | 'web';
  /** Where the ticket is now. */
  state: TicketState;
}

/** The caller's last decisions as an approver, newest first. */
export async function loadRecentDecisions(db: Db, caller: Caller): Promise<RecentDecision[]> {
  const rows = await db
    .selectFrom('approvals as a')
    .innerJoin('tickets as t', 't.id', 'a.ticket_id')
    .select(['t.number', 't.pipeline', 't.state', 'a.decision', 'a.decided_at', 'a.channel'])
    .where('a.user_name', '=', caller.name)
    .where('a.as_requester', '=', false)
    .orderBy('a.decided_at', 'desc')
    .orderBy('a.id', 'desc')
    .limit(RECENT_DECISIONS)
    .execute();
  return rows.map((r) => ({
    ref: formatTicketNumber(r.number),
    pipeline: r.pipeline,
    decision: r.decision,
    decidedAt: r.decided_at,
    channel: r.channel,
    state: r.state,
  }));
}
