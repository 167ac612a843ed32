import type { Db } from '../db/database.js';
import { inTransaction } from '../db/in-transaction.js';
import * as templates from '../notify/templates.js';
import { appendEvent, lockTicket, transitionTicket } from '../tickets/ticket-store.js';
import { mailOperators, tellEveryone, tellOperators, ticketFacts, type CommunicationContext } from './review-task.js';
import { remindReviewers } from './review-reminders.js';

export interface ClockSweep {
  /** Reviews whose every request to an approver failed to send: flagged, operators told, deadline suspended. */
  unreached: number;
  expired: number;
  reminded: number;
  widened: number;
  closed: number;
  slaBreached: number;
}

/**
 * One pass of the review clock, run every few seconds by `airlock serve`. Each ticket is handled in its own
 * transaction (with its row locked), so a sweep that dies half-way loses nothing and two sweeps never act
 * twice on one ticket:
 * - a review past its deadline expires: fail closed, nothing delivered, staging purged, everyone told;
 * - a review whose reminder is due reminds those who have not decided, and after the configured number of
 *   reminders asks the backup group too;
 * - tasks of tickets that left `awaiting_approval` are closed;
 * - escalations past their response SLA are marked breached and reported to operators.
 */
export async function runReviewClock(
  db: Db,
  ctx: CommunicationContext & { purge: (ticketId: string) => Promise<void> },
): Promise<ClockSweep> {
  const now = ctx.clock.now();
  const sweep: ClockSweep = { unreached: 0, expired: 0, reminded: 0, widened: 0, closed: 0, slaBreached: 0 };
  sweep.unreached = await flagUnreachedReviews(db, ctx);
  const open = await db
    .selectFrom('review_tasks as r')
    .innerJoin('tickets as t', 't.id', 'r.ticket_id')
    .select(['r.ticket_id', 'r.due_at', 'r.next_reminder_at', 'r.unreached_at', 't.state'])
    .where('r.state', '=', 'open')
    .execute();
  for (const task of open) {
    if (task.state !== 'awaiting_approval') {
      await db
        .updateTable('review_tasks')
        .set({ state: 'done' })
        .where('ticket_id', '=', task.ticket_id)
        .where('state', '=', 'open')
        .execute();
      sweep.closed++;
    } else if (task.due_at <= now && !task.unreached_at) {
      // A review that reached no approver is not timed out against them: operators were told and decide.
      if (await expireReview(db, task.ticket_id, ctx)) sweep.expired++;
    } else if (task.next_reminder_at && task.next_reminder_at <= now) {
      const reminded = await remindReviewers(db, task.ticket_id, ctx);
      if (reminded.sent > 0) sweep.reminded++;
      if (reminded.widened) sweep.widened++;
    }
  }
  // Expired reviews whose staged data could not be deleted at the time: deleting is idempotent, try again.
  const unpurged = await db
    .selectFrom('review_tasks')
    .select('ticket_id')
    .where('state', '=', 'expired')
    .where('purged_at', 'is', null)
    .execute();
  for (const { ticket_id } of unpurged) await purgeExpired(db, ticket_id, ctx);
  sweep.slaBreached = await reportSlaBreaches(db, ctx);
  return sweep;
}

/** Expiry never means proceed: the ticket ends `expired`, its staged data is deleted, and everyone is told. */
async function expireReview(
  db: Db,
  ticketId: string,
  ctx: CommunicationContext & { purge: (ticketId: string) => Promise<void> },
): Promise<boolean> {
  const expired = await inTransaction(db, async (trx) => {
    const ticket = await lockTicket(trx, ticketId);
    const task = await trx.selectFrom('review_tasks').selectAll().where('ticket_id', '=', ticketId).executeTakeFirst();
    if (ticket.state !== 'awaiting_approval' || !task || task.state !== 'open' || task.unreached_at || task.due_at > ctx.clock.now()) {
      return undefined;
    }
    const row = await transitionTicket(trx, ticketId, 'expired', {
      actor: 'system',
      from: 'awaiting_approval',
      reason: `review not completed by ${task.due_at.toISOString()}; nothing delivered`,
    });
    await trx.updateTable('review_tasks').set({ state: 'expired' }).where('ticket_id', '=', ticketId).execute();
    await tellEveryone(trx, row, 'expired', templates.expired({ ticket: ticketFacts(row), deadline: task.due_at }), ctx);
    return row;
  });
  if (!expired) return false;
  await purgeExpired(db, ticketId, ctx);
  return true;
}

async function purgeExpired(
  db: Db,
  ticketId: string,
  ctx: CommunicationContext & { purge: (ticketId: string) => Promise<void> },
): Promise<void> {
  try {
    await ctx.purge(ticketId);
    await db.updateTable('review_tasks').set({ purged_at: ctx.clock.now() }).where('ticket_id', '=', ticketId).execute();
  } catch {
    // Left for the next sweep (purged_at stays null); the ticket is already expired and delivers nothing.
  }
}

/**
 * Review requests that could not be delivered to any approver (every one `failed` in the outbox): the task is
 * marked unreached, the ticket's history says so, and operators are told. Its deadline no longer runs.
 */
async function flagUnreachedReviews(db: Db, ctx: CommunicationContext): Promise<number> {
  const candidates = await db
    .selectFrom('review_tasks as r')
    .innerJoin('tickets as t', 't.id', 'r.ticket_id')
    .innerJoin('mails as m', (join) => join.onRef('m.ticket_id', '=', 'r.ticket_id').on('m.kind', '=', 'review-request'))
    .select('r.ticket_id')
    .where('r.state', '=', 'open')
    .where('r.unreached_at', 'is', null)
    .whereRef('m.to_user', '!=', 't.requester')
    .groupBy('r.ticket_id')
    .having((eb) => eb.fn.count('m.id').filterWhere('m.state', '!=', 'failed'), '=', 0)
    .execute();
  let flagged = 0;
  for (const { ticket_id } of candidates) {
    const done = await inTransaction(db, async (trx) => {
      const ticket = await lockTicket(trx, ticket_id);
      const updated = await trx
        .updateTable('review_tasks')
        .set({ unreached_at: ctx.clock.now() })
        .where('ticket_id', '=', ticket_id)
        .where('unreached_at', 'is', null)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) return false;
      await appendEvent(trx, ticket_id, {
        actor: 'system',
        from: ticket.state,
        to: ticket.state,
        reason: 'no review request could be delivered to an approver; the deadline is suspended and operators were told',
      });
      await tellOperators(trx, ticket, 'unreached', 'no review request could be delivered to an approver', ctx);
      return true;
    });
    if (done) flagged++;
  }
  return flagged;
}

/** Escalations nobody picked up in time, and tickets past their resolution SLA: marked once, operators told. */
async function reportSlaBreaches(db: Db, ctx: CommunicationContext): Promise<number> {
  const now = ctx.clock.now();
  const due = await db
    .selectFrom('tickets')
    .select('id')
    .where((eb) => eb.or([eb('sla_due_at', '<=', now), eb('resolution_due_at', '<=', now)]))
    .where('sla_breached_at', 'is', null)
    .where('finished_at', 'is', null)
    .execute();
  let breached = 0;
  for (const { id } of due) {
    const done = await inTransaction(db, async (trx) => {
      const ticket = await lockTicket(trx, id);
      const breachedAt = [ticket.sla_due_at, ticket.resolution_due_at].filter((d): d is Date => d !== null && d <= now)[0];
      if (ticket.sla_breached_at || !breachedAt || ticket.finished_at) return false;
      const which = ticket.sla_due_at && ticket.sla_due_at <= now ? 'response' : 'resolution';
      await trx.updateTable('tickets').set({ sla_breached_at: ctx.clock.now(), severity: 'critical' }).where('id', '=', id).execute();
      const mail = templates.escalationNotice({
        ticket: ticketFacts(ticket),
        severity: 'critical',
        reason: `its ${which} SLA was breached`,
        slaDueAt: breachedAt,
      });
      await mailOperators(trx, id, 'sla-breach', mail, ctx);
      return true;
    });
    if (done) breached++;
  }
  return breached;
}
