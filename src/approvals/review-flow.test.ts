// The review by e-mail, end to end: a real processor puts a ticket with a card number up for review, the
// outbox worker mails a real SMTP server, and the links parsed out of the received mails drive the
// in-process app. Opening a link changes nothing; a POST from its page decides.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CANARY,
  CARD,
  createReviewHarness,
  CSV,
  HOUR,
  linkOf,
  mailTo,
  MASKED_CARD,
  PIPELINE,
  SLA_MINUTES,
  sentTo,
  USERS,
  type ReviewHarness,
} from '../../test/review-harness.js';
import { backendName } from '../../test/test-store.js';
import { listItems } from '../tickets/item-store.js';
import { formatTicketNumber } from '../tickets/states.js';
import { approvalStatus } from './approval-store.js';

let h: ReviewHarness;
afterEach(() => h?.close());

async function stagedCount(ticketId: string): Promise<number> {
  const items = await listItems(h.db, ticketId);
  const staged = await Promise.all(items.map((item) => h.staging.has(ticketId, item.id)));
  return staged.filter(Boolean).length;
}

describe(`review by e-mail links (${backendName} store, real SMTP)`, () => {
  it('submit → review requests → alice confirms and mona approves by link → approved → delivered; every mail threads on the first', async () => {
    h = await createReviewHarness();
    const submitted = await h.submit();
    const ref = formatTicketNumber(submitted.number);
    const ticket = await h.processor.process(submitted.id);
    expect(ticket.state).toBe('awaiting_approval');
    expect(await stagedCount(ticket.id)).toBe(2);
    const mails = await h.flush();
    expect(sentTo(mails)).toEqual(['acknowledgement@alice', 'review-request@alice', 'review-request@mona']);

    const ack = mailTo(mails, 'acknowledgement', 'alice');
    expect(ack.subject).toBe(`[Airlock ${ref}] Request received: ${PIPELINE}`);
    expect(ack.text).toContain(`Airlock received your transfer request ${ref}.`);
    expect(ack.text).toMatch(/^State: +requested$/m);
    expect([...ack.links.keys()]).toEqual(['Talk to a human']);
    const confirm = mailTo(mails, 'review-request', 'alice');
    expect(confirm.subject).toBe(`[Airlock ${ref}] Please confirm your transfer: ${PIPELINE}`);
    expect([...confirm.links.keys()]).toEqual(['Confirm', 'Stop']);
    const review = mailTo(mails, 'review-request', 'mona');
    expect(review.subject).toBe(`[Airlock ${ref}] Review needed: ${PIPELINE}`);
    expect([...review.links.keys()]).toEqual(['Approve', 'Reject']);
    expect(review.text).toContain(`credit_card (patterns): 1 found, e.g. ${MASKED_CARD}`);
    expect(review.text).toMatch(/^Destination: +local$/m);
    expect(review.text).toMatch(/^Rule: +review-sensitive$/m);

    // Threading: the acknowledgement starts the thread, every later mail answers it.
    expect(ack.inReplyTo).toBeUndefined();
    expect(ack.references).toEqual([]);
    for (const mail of [confirm, review]) {
      expect(mail.messageId).toMatch(/^<[0-9a-f-]{36}@airlock\.test>$/);
      expect(mail.inReplyTo).toBe(ack.messageId);
      expect(mail.references).toEqual([ack.messageId]);
    }

    // Mail scanners fetch every link: that changes nothing but opened_at.
    const before = await h.snapshot(ticket.id);
    const urls = [linkOf(ack, 'Talk to a human'), ...[confirm, review].flatMap((m) => [...m.links.values()])];
    expect(urls).toHaveLength(5);
    for (const url of urls) expect((await h.open(url)).status).toBe(200);
    expect(await h.snapshot(ticket.id)).toEqual(before);
    const opened = await h.db.selectFrom('action_links').select('opened_at').where('ticket_id', '=', ticket.id).execute();
    expect(opened.map((l) => l.opened_at)).toEqual([expect.any(Date), expect.any(Date), expect.any(Date)]);

    const confirmed = await h.answer(linkOf(confirm, 'Confirm'), 'approve');
    expect(confirmed.status, confirmed.text).toBe(200);
    expect(confirmed.text).toContain(`Your confirmation of ${ref} is recorded. It still waits for other answers`);
    expect((await h.ticket(ticket.id)).state).toBe('awaiting_approval');
    const approved = await h.answer(linkOf(review, 'Approve'), 'approve');
    expect(approved.status, approved.text).toBe(200);
    expect(approved.text).toContain(`Your approval of ${ref} is recorded. Every answer it needs is in`);
    expect((await h.ticket(ticket.id)).state).toBe('approved');
    expect(h.enqueued).toEqual([ticket.id, ticket.id]);

    const approvals = await h.db.selectFrom('approvals').selectAll().where('ticket_id', '=', ticket.id).orderBy('id').execute();
    expect(approvals.map((a) => [a.user_name, a.decision, a.as_requester, a.channel])).toEqual([
      ['alice', 'approve', true, 'email'],
      ['mona', 'approve', false, 'email'],
    ]);
    const events = await h.db.selectFrom('ticket_events').select('reason').where('ticket_id', '=', ticket.id).execute();
    expect(events.map((e) => e.reason)).toEqual(
      expect.arrayContaining(['confirmed by requester alice via email', 'approved by approver mona via email', 'approved by mona']),
    );

    expect((await h.processor.process(ticket.id)).state).toBe('delivered');
    expect(await h.delivered()).toEqual(['payments.csv', 'summary.txt']);
    expect(await readFile(path.join(h.outbox, 'payments.csv'), 'utf8')).toBe(CSV);
    expect(await stagedCount(ticket.id)).toBe(0);
    const outcome = await h.flush();
    // Everyone involved is told the outcome, naming who approved.
    expect(sentTo(outcome)).toEqual(['decided@alice', 'decided@mona']);
    expect(mailTo(outcome, 'decided', 'alice').text).toContain('mona');
    for (const mail of h.mails.filter((m) => m !== ack)) expect(mail.references).toEqual([ack.messageId]);
  });

  it('a manager rejecting by link ends the ticket rejected: staging purged, nothing delivered, no answer counts after', async () => {
    h = await createReviewHarness();
    const { ticket, mails } = await h.awaitingReview();
    const ref = formatTicketNumber(ticket.number);
    const page = await h.answer(linkOf(mailTo(mails, 'review-request', 'mona'), 'Reject'), 'reject');
    expect(page.status, page.text).toBe(200);
    expect(page.text).toContain(`${ref} is rejected. Nothing will be delivered`);
    expect((await h.ticket(ticket.id)).state).toBe('rejected');
    expect(h.purged).toEqual([ticket.id]);
    expect(await stagedCount(ticket.id)).toBe(0);
    expect(h.enqueued).toEqual([ticket.id]);
    expect((await h.processor.process(ticket.id)).state).toBe('rejected');
    expect(await h.delivered()).toEqual([]);

    const before = await h.snapshot(ticket.id);
    const late = await h.open(linkOf(mailTo(mails, 'review-request', 'alice'), 'Confirm'));
    expect(late.status).toBe(409);
    expect(late.text).toContain(`${ref} is rejected; it no longer awaits this answer.`);
    expect(await h.snapshot(ticket.id)).toEqual(before);
  });

  it('the requester fills only the confirmation place, even as a manager herself: her confirmation alone approves nothing', async () => {
    const managerAlice = USERS.map((u) =>
      u.name === 'alice' ? { ...u, roles: ['requester' as const, 'approver' as const], groups: ['managers'] } : u,
    );
    h = await createReviewHarness({ users: managerAlice });
    const { ticket, mails } = await h.awaitingReview();
    const participants = await h.db.selectFrom('ticket_participants').select('user_name').where('ticket_id', '=', ticket.id).execute();
    expect(participants.map((p) => p.user_name).sort()).toEqual(['alice', 'mona']);
    // One request to her, as requester: she is never handed an Approve link.
    expect(sentTo(mails)).toEqual(['acknowledgement@alice', 'review-request@alice', 'review-request@mona']);
    const confirm = mailTo(mails, 'review-request', 'alice');
    expect([...confirm.links.keys()]).toEqual(['Confirm', 'Stop']);
    const links = await h.db.selectFrom('action_links').select(['user_name', 'purpose']).where('ticket_id', '=', ticket.id).execute();
    expect(links.map((l) => `${l.purpose}:${l.user_name}`).sort()).toEqual(['approve:mona', 'confirm:alice', 'escalate:alice']);

    const form = await h.form(linkOf(confirm, 'Confirm'));
    expect((await h.press(form, 'approve')).status).toBe(200);
    expect((await h.ticket(ticket.id)).state).toBe('awaiting_approval');
    const status = await approvalStatus(h.db, ticket.id);
    expect(status.requesterConfirmation).toEqual({ required: true, given: true });
    expect(status.required).toEqual([{ count: 1, groups: [], distinctGroups: false, missing: 1 }]);
    expect(status.approvals.map((a) => [a.user, a.asRequester])).toEqual([['alice', true]]);
    // Her page, posted again, is a used link.
    const again = await h.press(form, 'approve');
    expect(again.status).toBe(410);
    expect(h.enqueued).toEqual([ticket.id]);

    expect((await h.answer(linkOf(mailTo(mails, 'review-request', 'mona'), 'Approve'), 'approve')).status).toBe(200);
    expect((await h.ticket(ticket.id)).state).toBe('approved');
  });

  it('no mail ever holds a planted value of the transferred files, whatever its kind; the masked excerpt may show', async () => {
    h = await createReviewHarness();
    const submitted = await h.submit();
    await h.flush();
    const ack = mailTo(h.mails, 'acknowledgement', 'alice');
    expect((await h.answer(linkOf(ack, 'Talk to a human'))).status).toBe(200);
    expect((await h.processor.process(submitted.id)).state).toBe('awaiting_approval');
    await h.flush();
    h.clock.advance(24 * HOUR);
    // One sweep: the reminder, and the breach of the escalation's response SLA.
    expect(await h.runClock()).toMatchObject({ reminded: 1, slaBreached: 1 });
    h.clock.advance(48 * HOUR);
    expect(await h.runClock()).toMatchObject({ expired: 1 });
    await h.flush();
    expect(new Set(h.mails.map((m) => m.kind))).toEqual(
      new Set(['acknowledgement', 'escalation', 'review-request', 'reminder', 'sla-breach', 'expired']),
    );

    expect(mailTo(h.mails, 'review-request', 'mona').html).toContain(MASKED_CARD);
    expect(mailTo(h.mails, 'review-request', 'alice').text).toContain(MASKED_CARD);
    for (const mail of h.mails) {
      for (const part of [mail.subject, mail.text, mail.html, mail.raw]) {
        expect(part).not.toContain(CARD);
        expect(part).not.toContain(CANARY);
      }
    }
  });

  it('"Talk to a human" by link: severity high, an operator assigned, operators and the requester told who owns it', async () => {
    h = await createReviewHarness();
    const submitted = await h.submit();
    const ref = formatTicketNumber(submitted.number);
    const ack = mailTo(await h.flush(), 'acknowledgement', 'alice');
    const url = linkOf(ack, 'Talk to a human');
    const before = await h.snapshot(submitted.id);
    const form = await h.form(url);
    expect(await h.snapshot(submitted.id)).toEqual(before);

    const page = await h.press(form);
    expect(page.status, page.text).toBe(200);
    expect(page.text).toContain(`${ref} is escalated: its severity is high and olga owns it now.`);
    const ticket = await h.ticket(submitted.id);
    expect(ticket.severity).toBe('high');
    expect(ticket.state).toBe('requested');
    expect(ticket.sla_due_at!.getTime() - ticket.escalated_at!.getTime()).toBe(SLA_MINUTES * 60_000);
    const operators = await h.db
      .selectFrom('ticket_participants')
      .select('user_name')
      .where('ticket_id', '=', ticket.id)
      .where('role', '=', 'operator')
      .execute();
    expect(operators).toEqual([{ user_name: 'olga' }]);

    const mails = await h.flush();
    expect(sentTo(mails)).toEqual(['escalation@alice', 'escalation@olga', 'escalation@oscar']);
    for (const mail of mails) {
      expect(mail.subject).toBe(`[Airlock ${ref}] Escalated (high): ${PIPELINE}`);
      expect(mail.text).toMatch(/^Assigned to: +olga$/m);
      expect(mail.inReplyTo).toBe(ack.messageId);
    }
    expect(mailTo(mails, 'escalation', 'alice').text).toContain('escalated: you asked to talk to a human; olga now owns it.');
    expect(mailTo(mails, 'escalation', 'oscar').text).toContain('escalated: the requester asked to talk to a human.');

    // Single use; automation goes on meanwhile.
    expect((await h.press(form)).status).toBe(410);
    expect((await h.processor.process(ticket.id)).state).toBe('awaiting_approval');
    expect((await h.ticket(ticket.id)).severity).toBe('high');
  });
});
