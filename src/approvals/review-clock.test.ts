// The review clock with a moved ManualClock: expiry fails closed and tells everyone, reminders go to those who
// have not answered and widen the review to the backup group, and a missed response SLA is reported once.
// Mails go through the outbox worker to a real SMTP server.
import { afterEach, describe, expect, it } from 'vitest';
import {
  createReviewHarness,
  HOUR,
  linkOf,
  mailTo,
  MASKED_CARD,
  PIPELINE,
  SLA_MINUTES,
  sentTo,
  type ReviewHarness,
} from '../../test/review-harness.js';
import { backendName } from '../../test/test-store.js';
import { listItems } from '../tickets/item-store.js';
import { formatTicketNumber } from '../tickets/states.js';
import { escalateAndNotify } from './escalate-and-notify.js';

const IDLE = { unreached: 0, expired: 0, reminded: 0, widened: 0, closed: 0, slaBreached: 0 };
const MINUTE = 60_000;

let h: ReviewHarness;
afterEach(() => h?.close());

async function task(ticketId: string) {
  return h.db.selectFrom('review_tasks').selectAll().where('ticket_id', '=', ticketId).executeTakeFirstOrThrow();
}

async function lastEvent(ticketId: string) {
  return h.db
    .selectFrom('ticket_events')
    .select(['actor', 'from_state', 'to_state', 'reason'])
    .where('ticket_id', '=', ticketId)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
}

describe(`review clock (${backendName} store, real SMTP)`, () => {
  it('expires a review at its deadline, not a minute before, whatever was answered: fail closed, staging purged, everyone told', async () => {
    h = await createReviewHarness();
    const start = h.clock.now().getTime();
    const { ticket, mails } = await h.awaitingReview();
    const ref = formatTicketNumber(ticket.number);
    expect((await task(ticket.id)).due_at).toEqual(new Date(start + 72 * HOUR));
    // mona approves; alice opens her page but never presses its button before the deadline.
    expect((await h.answer(linkOf(mailTo(mails, 'review-request', 'mona'), 'Approve'), 'approve')).status).toBe(200);
    const form = await h.form(linkOf(mailTo(mails, 'review-request', 'alice'), 'Confirm'));

    h.clock.advance(72 * HOUR - MINUTE);
    expect(await h.runClock()).toEqual({ ...IDLE, reminded: 1 });
    expect((await h.ticket(ticket.id)).state).toBe('awaiting_approval');
    const reminders = await h.flush();
    expect(sentTo(reminders)).toEqual(['reminder@alice']);
    expect(reminders[0]!.subject).toBe(`[Airlock ${ref}] Reminder 1: please confirm`);
    expect(h.purged).toEqual([]);

    h.clock.advance(MINUTE);
    expect(await h.runClock()).toEqual({ ...IDLE, expired: 1 });
    const expired = await h.ticket(ticket.id);
    expect(expired.state).toBe('expired');
    expect(expired.finished_at).toBeInstanceOf(Date);
    expect(await lastEvent(ticket.id)).toEqual({
      actor: 'system',
      from_state: 'awaiting_approval',
      to_state: 'expired',
      reason: `review not completed by ${new Date(start + 72 * HOUR).toISOString()}; nothing delivered`,
    });
    expect((await task(ticket.id)).state).toBe('expired');
    expect(h.purged).toEqual([ticket.id]);
    for (const item of await listItems(h.db, ticket.id)) expect(await h.staging.has(ticket.id, item.id)).toBe(false);

    const told = await h.flush();
    expect(sentTo(told)).toEqual(['expired@alice', 'expired@mona']);
    for (const mail of told) {
      expect(mail.subject).toBe(`[Airlock ${ref}] Expired, nothing delivered: ${PIPELINE}`);
      expect(mail.text).toContain('nothing was delivered and the staged files were deleted');
    }
    expect((await h.processor.process(ticket.id)).state).toBe('expired');
    expect(await h.delivered()).toEqual([]);

    // Nothing more happens, and no link brings it back: alice's button now (her link expired with the review),
    // mona's used link, the acknowledgement's (the ticket is finished).
    expect(await h.runClock()).toEqual(IDLE);
    const before = await h.snapshot(ticket.id);
    const pressed = await h.press(form, 'approve');
    expect(pressed.status).toBe(410);
    expect((await h.open(linkOf(mailTo(mails, 'review-request', 'mona'), 'Reject'))).status).toBe(410);
    expect((await h.open(linkOf(mailTo(mails, 'acknowledgement', 'alice'), 'Talk to a human'))).status).toBe(409);
    expect(await h.snapshot(ticket.id)).toEqual(before);
    expect(await h.flush()).toEqual([]);
  });

  it('reminds only those who have not answered, then asks the backup group, whose approver can settle it', async () => {
    h = await createReviewHarness({ review: { remindEveryHours: 1, escalateAfterReminders: 1, backupGroup: 'backup' } });
    const { ticket, mails } = await h.awaitingReview();
    const ref = formatTicketNumber(ticket.number);
    expect((await h.answer(linkOf(mailTo(mails, 'review-request', 'alice'), 'Confirm'), 'approve')).status).toBe(200);

    h.clock.advance(HOUR - 1);
    expect(await h.runClock()).toEqual(IDLE);
    expect(await h.flush()).toEqual([]);

    h.clock.advance(1);
    const remindedAt = h.clock.now();
    expect(await h.runClock()).toEqual({ ...IDLE, reminded: 1, widened: 1 });
    const first = await h.flush();
    expect(sentTo(first)).toEqual(['reminder@mona', 'review-request@bob']);
    const reminder = mailTo(first, 'reminder', 'mona');
    expect(reminder.subject).toBe(`[Airlock ${ref}] Reminder 1: review needed`);
    expect([...reminder.links.keys()]).toEqual(['Approve', 'Reject']);
    const backup = mailTo(first, 'review-request', 'bob');
    expect(backup.subject).toBe(`[Airlock ${ref}] Review needed: ${PIPELINE}`);
    expect(backup.text).toContain(`credit_card (patterns): 1 found, e.g. ${MASKED_CARD}`);
    expect([...backup.links.keys()]).toEqual(['Approve', 'Reject']);

    const participants = await h.db
      .selectFrom('ticket_participants')
      .select(['user_name', 'role'])
      .where('ticket_id', '=', ticket.id)
      .orderBy('user_name')
      .execute();
    expect(participants).toEqual([
      { user_name: 'bob', role: 'approver' },
      { user_name: 'mona', role: 'approver' },
    ]);
    expect(await task(ticket.id)).toMatchObject({
      state: 'open',
      reminders_sent: 1,
      escalated_at: remindedAt,
      next_reminder_at: new Date(remindedAt.getTime() + HOUR),
    });
    expect(await lastEvent(ticket.id)).toEqual({
      actor: 'system',
      from_state: 'awaiting_approval',
      to_state: 'awaiting_approval',
      reason: 'no decision after 1 reminder(s): backup group backup asked (1 approver(s))',
    });

    // The same sweep again does nothing; an hour later the second reminder also reaches bob, without widening again.
    expect(await h.runClock()).toEqual(IDLE);
    h.clock.advance(HOUR);
    expect(await h.runClock()).toEqual({ ...IDLE, reminded: 1 });
    const second = await h.flush();
    expect(sentTo(second)).toEqual(['reminder@bob', 'reminder@mona']);
    expect(second.map((m) => m.subject)).toEqual([
      `[Airlock ${ref}] Reminder 2: review needed`,
      `[Airlock ${ref}] Reminder 2: review needed`,
    ]);

    const page = await h.answer(linkOf(backup, 'Approve'), 'approve');
    expect(page.status, page.text).toBe(200);
    expect((await h.ticket(ticket.id)).state).toBe('approved');
    expect(await h.runClock()).toEqual({ ...IDLE, closed: 1 });
    expect((await task(ticket.id)).state).toBe('done');
  });

  it('marks a missed response SLA once: severity critical, operators mailed, a second sweep sends nothing', async () => {
    h = await createReviewHarness();
    const { ticket } = await h.awaitingReview();
    const ref = formatTicketNumber(ticket.number);
    const escalation = await escalateAndNotify(h.db, ticket.id, 'alice', { slaMinutes: SLA_MINUTES, communication: h.communication });
    expect(escalation).toMatchObject({ operator: 'olga', created: true });
    expect(escalation.ticket.sla_due_at).toEqual(new Date(h.clock.now().getTime() + SLA_MINUTES * MINUTE));
    expect(sentTo(await h.flush())).toEqual(['escalation@alice', 'escalation@olga', 'escalation@oscar']);

    h.clock.advance(SLA_MINUTES * MINUTE - 1);
    expect(await h.runClock()).toEqual(IDLE);
    expect((await h.ticket(ticket.id)).sla_breached_at).toBeNull();

    h.clock.advance(1);
    expect(await h.runClock()).toEqual({ ...IDLE, slaBreached: 1 });
    const breached = await h.ticket(ticket.id);
    expect(breached).toMatchObject({ sla_breached_at: h.clock.now(), severity: 'critical', state: 'awaiting_approval' });
    const mails = await h.flush();
    expect(sentTo(mails)).toEqual(['sla-breach@olga', 'sla-breach@oscar']);
    for (const mail of mails) {
      expect(mail.subject).toBe(`[Airlock ${ref}] Escalated (critical): ${PIPELINE}`);
      expect(mail.text).toContain(`Ticket ${ref} was escalated: its response SLA was breached.`);
    }

    h.clock.advance(HOUR);
    expect(await h.runClock()).toEqual(IDLE);
    expect(await h.flush()).toEqual([]);
    expect((await h.ticket(ticket.id)).sla_breached_at).toEqual(breached.sla_breached_at);
  });

  it('flags a review whose requests to every approver failed: operators told, no expiry against the approvers; the resolution SLA still reports', async () => {
    h = await createReviewHarness();
    const { ticket } = await h.awaitingReview();
    const ref = formatTicketNumber(ticket.number);
    // The relay rejected mona's review request for good (the outbox gave up on it).
    await h.db
      .updateTable('mails')
      .set({ state: 'failed', last_error: '550 mailbox unavailable' })
      .where('ticket_id', '=', ticket.id)
      .where('to_user', '=', 'mona')
      .execute();

    expect(await h.runClock()).toEqual({ ...IDLE, unreached: 1 });
    const told = await h.flush();
    expect(sentTo(told)).toEqual(['unreached@olga', 'unreached@oscar']);
    expect(mailTo(told, 'unreached', 'olga').text).toContain('no review request could be delivered to an approver');
    expect(await lastEvent(ticket.id)).toMatchObject({ actor: 'system', reason: expect.stringContaining('the deadline is suspended') });
    expect(await h.runClock()).toEqual(IDLE);

    h.clock.advance(73 * HOUR);
    const sweep = await h.runClock();
    expect(sweep).toMatchObject({ expired: 0, slaBreached: 1 });
    expect((await h.ticket(ticket.id)).state).toBe('awaiting_approval');
    // Reminders still go out; the breach goes to every operator.
    const breach = (await h.flush()).filter((m) => m.kind === 'sla-breach');
    expect(sentTo(breach)).toEqual(['sla-breach@olga', 'sla-breach@oscar']);
    expect(mailTo(breach, 'sla-breach', 'oscar').text).toContain(`Ticket ${ref} was escalated: its resolution SLA was breached.`);
  });
});
