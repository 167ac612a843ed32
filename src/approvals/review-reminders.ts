import type { Db } from '../db/database.js';
import { inTransaction } from '../db/in-transaction.js';
import { appendEvent, lockTicket } from '../tickets/ticket-store.js';
import { DEFAULT_REVIEW, sendReviewRequests, type CommunicationContext } from './review-task.js';

const HOUR = 3_600_000;

/**
 * Reminds everyone asked who has not decided yet (with fresh links; the earlier ones stay valid until the
 * deadline, and one person still decides once). Once the configured number of reminders has gone out
 * without a decision, the pipeline's backup group is asked too: its members become approvers of the ticket.
 */
export async function remindReviewers(
  db: Db,
  ticketId: string,
  ctx: CommunicationContext & { destination?: string },
): Promise<{ sent: number; widened: boolean }> {
  return inTransaction(db, async (trx) => {
    const ticket = await lockTicket(trx, ticketId);
    const task = await trx.selectFrom('review_tasks').selectAll().where('ticket_id', '=', ticketId).executeTakeFirst();
    const now = ctx.clock.now();
    if (ticket.state !== 'awaiting_approval' || !task || task.state !== 'open' || !task.next_reminder_at || task.next_reminder_at > now) {
      return { sent: 0, widened: false };
    }
    const settings = ticket.review_settings ?? DEFAULT_REVIEW;
    const [participants, decided] = await Promise.all([
      trx.selectFrom('ticket_participants').select('user_name').where('ticket_id', '=', ticketId).where('role', '=', 'approver').execute(),
      trx.selectFrom('approvals').select(['user_name', 'as_requester']).where('ticket_id', '=', ticketId).execute(),
    ]);
    const done = new Set(decided.map((d) => d.user_name));
    const pending = [
      ...(ticket.requester_confirms && !done.has(ticket.requester) ? [{ user: ticket.requester, as: 'requester' as const }] : []),
      ...participants
        .filter((p) => p.user_name !== ticket.requester && !done.has(p.user_name))
        .map((p) => ({ user: p.user_name, as: 'approver' as const })),
    ];
    const reminder = task.reminders_sent + 1;
    const destination = task.destination ?? ctx.destination ?? 'unknown';
    const sent = await sendReviewRequests(trx, ticket, pending, { ...ctx, destination, dueAt: task.due_at, kind: 'reminder', reminder });
    await trx
      .updateTable('review_tasks')
      .set({ reminders_sent: reminder, next_reminder_at: new Date(now.getTime() + settings.remindEveryHours * HOUR) })
      .where('ticket_id', '=', ticketId)
      .execute();
    let widened = false;
    if (settings.backupGroup && !task.escalated_at && reminder >= settings.escalateAfterReminders) {
      const members = await trx
        .selectFrom('users')
        .select('name')
        .where('disabled_at', 'is', null)
        .where((eb) => eb(eb.val(settings.backupGroup), '=', eb.fn.any('groups')))
        .where((eb) => eb(eb.val('approver'), '=', eb.fn.any('roles')))
        .where('name', '!=', ticket.requester)
        .orderBy('name')
        .execute();
      const added = members.map((m) => m.name).filter((name) => !participants.some((p) => p.user_name === name));
      if (added.length > 0) {
        await trx
          .insertInto('ticket_participants')
          .values(added.map((user_name) => ({ ticket_id: ticketId, user_name, role: 'approver' as const })))
          .onConflict((oc) => oc.doNothing())
          .execute();
        await sendReviewRequests(
          trx,
          ticket,
          added.map((user) => ({ user, as: 'approver' as const })),
          {
            ...ctx,
            destination,
            dueAt: task.due_at,
            kind: 'review-request',
          },
        );
      }
      await trx.updateTable('review_tasks').set({ escalated_at: now }).where('ticket_id', '=', ticketId).execute();
      await appendEvent(trx, ticketId, {
        actor: 'system',
        from: ticket.state,
        to: ticket.state,
        reason: `no decision after ${reminder} reminder(s): backup group ${settings.backupGroup} asked (${added.length} approver(s))`,
        audit: { kind: 'approval.widened', details: { backupGroup: settings.backupGroup, asked: added.length } },
      });
      widened = true;
    }
    return { sent: sent.length, widened };
  });
}
