import { recordAudit } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import type { ReviewSettings, TicketRow } from '../db/schema.js';
import { enqueueMail } from '../notify/outbox.js';
import * as templates from '../notify/templates.js';
import { ticketManifest } from '../tickets/manifest.js';
import { nameHash } from '../tickets/name-hash.js';
import { formatTicketNumber } from '../tickets/states.js';
import { appendEvent } from '../tickets/ticket-store.js';
import { createActionLink } from './action-links.js';
import { blindSummary } from './review-summary.js';

const HOUR = 3_600_000;
export const DEFAULT_REVIEW: ReviewSettings = { expiresAfterHours: 72, remindEveryHours: 24, escalateAfterReminders: 2 };

/** What the communication code needs besides the database: where links point, the clock, the mail domain. */
export interface CommunicationContext {
  /** Base URL of `airlock serve` as people reach it (links are `<publicUrl>/a/<token>`). */
  publicUrl: string;
  clock: Clock;
  messageIdDomain?: string | undefined;
}

export function ticketFacts(ticket: TicketRow) {
  return {
    ref: formatTicketNumber(ticket.number),
    pipeline: ticket.pipeline,
    purpose: ticket.purpose,
    requester: ticket.requester,
    state: ticket.state,
  };
}

export async function emailOf(db: Db, userName: string): Promise<string | undefined> {
  const row = await db.selectFrom('users').select(['email', 'disabled_at']).where('name', '=', userName).executeTakeFirst();
  return row && !row.disabled_at ? row.email : undefined;
}

function linkUrl(ctx: CommunicationContext, token: string): string {
  return `${ctx.publicUrl.replace(/\/+$/, '')}/a/${token}`;
}

/**
 * On submit, in the ticket's own transaction: the requester's acknowledgement with a "Talk to a human" link.
 * A requester who is no Airlock user (a scheduled or command-line run by a system account) gets none.
 */
export async function acknowledgeSubmission(trx: Db, ticket: TicketRow, ctx: CommunicationContext): Promise<void> {
  const email = await emailOf(trx, ticket.requester);
  if (!email) return;
  const settings = ticket.review_settings ?? DEFAULT_REVIEW;
  const link = await createActionLink(trx, {
    ticketId: ticket.id,
    userName: ticket.requester,
    email,
    purpose: 'escalate',
    expiresAt: new Date(ctx.clock.now().getTime() + Math.max(settings.expiresAfterHours, 24 * 7) * HOUR),
  });
  const mail = templates.acknowledgement({ ticket: ticketFacts(ticket), talkToHumanUrl: linkUrl(ctx, link.token) });
  await enqueueMail(trx, { ticketId: ticket.id, kind: 'acknowledgement', to: { address: email, user: ticket.requester }, ...mail }, ctx);
}

/**
 * When a ticket starts awaiting approval, in the same transaction: the review task with its clocks, and a
 * blind review request with single-use links to each approver the ticket names and (when the pipeline asks
 * for it) to the requester for confirmation. Returns who was asked. A request that can reach nobody marks
 * the task unreached, which is shown on the ticket.
 */
export async function openReviewTask(
  trx: Db,
  ticket: TicketRow,
  ctx: CommunicationContext & { destination: string },
): Promise<{ asked: { user: string; as: 'approver' | 'requester' }[] }> {
  const settings = ticket.review_settings ?? DEFAULT_REVIEW;
  const now = ctx.clock.now();
  const dueAt = new Date(now.getTime() + settings.expiresAfterHours * HOUR);
  await trx
    .insertInto('review_tasks')
    .values({
      ticket_id: ticket.id,
      state: 'open',
      due_at: dueAt,
      next_reminder_at: new Date(now.getTime() + settings.remindEveryHours * HOUR),
    })
    .onConflict((oc) =>
      oc.column('ticket_id').doUpdateSet({ state: 'open', due_at: dueAt, reminders_sent: 0, escalated_at: null, unreached_at: null }),
    )
    .execute();
  const approvers = await trx
    .selectFrom('ticket_participants')
    .select('user_name')
    .where('ticket_id', '=', ticket.id)
    .where('role', '=', 'approver')
    .orderBy('user_name')
    .execute();
  const people = [
    ...(ticket.requester_confirms ? [{ user: ticket.requester, as: 'requester' as const }] : []),
    ...approvers.filter((a) => a.user_name !== ticket.requester).map((a) => ({ user: a.user_name, as: 'approver' as const })),
  ];
  const asked = await sendReviewRequests(trx, ticket, people, { ...ctx, dueAt, kind: 'review-request' });
  await recordAudit(trx, {
    kind: 'approval.requested',
    actor: 'system',
    ticketId: ticket.id,
    details: { asked: asked.map((a) => `${a.as}:${a.user}`), dueAt: dueAt.toISOString() },
  });
  if (!asked.some((a) => a.as === 'approver')) {
    await trx.updateTable('review_tasks').set({ unreached_at: now }).where('ticket_id', '=', ticket.id).execute();
    await appendEvent(trx, ticket.id, {
      actor: 'system',
      from: ticket.state,
      to: ticket.state,
      reason: 'review request reached no approver',
    });
  }
  return { asked };
}

/** Review requests (or reminders) with fresh links to `people`; people without an e-mail address are skipped. */
export async function sendReviewRequests(
  trx: Db,
  ticket: TicketRow,
  people: readonly { user: string; as: 'approver' | 'requester' }[],
  ctx: CommunicationContext & { destination: string; dueAt: Date; kind: 'review-request' | 'reminder'; reminder?: number },
): Promise<{ user: string; as: 'approver' | 'requester' }[]> {
  const decision = await trx.selectFrom('decisions').select('policy_version').where('ticket_id', '=', ticket.id).executeTakeFirst();
  const manifest = await ticketManifest(trx, ticket.id);
  const review =
    ctx.kind === 'review-request' ? await blindSummary(trx, ticket, { destination: ctx.destination, nameOf: nameHash }) : undefined;
  const asked: { user: string; as: 'approver' | 'requester' }[] = [];
  for (const person of people) {
    const email = await emailOf(trx, person.user);
    if (!email) continue;
    const link = await createActionLink(trx, {
      ticketId: ticket.id,
      userName: person.user,
      email,
      purpose: person.as === 'requester' ? 'confirm' : 'approve',
      manifest,
      ...(decision ? { policyVersion: decision.policy_version } : {}),
      expiresAt: ctx.dueAt,
    });
    const url = linkUrl(ctx, link.token);
    const links = { approveUrl: `${url}?decision=approve`, rejectUrl: `${url}?decision=reject` };
    const mail = review
      ? templates.reviewRequest({ ticket: ticketFacts(ticket), to: person.as, review, links, deadline: ctx.dueAt })
      : templates.reminder({ ticket: ticketFacts(ticket), to: person.as, links, deadline: ctx.dueAt, reminder: ctx.reminder ?? 1 });
    await enqueueMail(trx, { ticketId: ticket.id, kind: ctx.kind, to: { address: email, user: person.user }, ...mail }, ctx);
    asked.push(person);
  }
  return asked;
}

/** Mails every enabled operator; returns how many were written. */
export async function mailOperators(
  trx: Db,
  ticketId: string,
  kind: string,
  mail: templates.MailContent,
  ctx: CommunicationContext,
): Promise<number> {
  const operators = await trx
    .selectFrom('users')
    .select(['name', 'email'])
    .where('disabled_at', 'is', null)
    .where((eb) => eb(eb.val('operator'), '=', eb.fn.any('roles')))
    .orderBy('name')
    .execute();
  for (const op of operators) await enqueueMail(trx, { ticketId, kind, to: { address: op.email, user: op.name }, ...mail }, ctx);
  return operators.length;
}

/** Every enabled operator, about a ticket that needs a person. */
export async function tellOperators(trx: Db, ticket: TicketRow, kind: string, reason: string, ctx: CommunicationContext): Promise<number> {
  const slaDueAt = ticket.sla_due_at ?? new Date(ctx.clock.now().getTime() + HOUR);
  const mail = templates.escalationNotice({ ticket: ticketFacts(ticket), severity: ticket.severity, reason, slaDueAt });
  return mailOperators(trx, ticket.id, kind, mail, ctx);
}

/** When a review ends approved or rejected: everyone involved is told the outcome and by whom. */
export async function announceDecision(trx: Db, ticket: TicketRow, ctx: CommunicationContext): Promise<void> {
  if (ticket.state !== 'approved' && ticket.state !== 'rejected') return;
  const outcome = ticket.state;
  const rows = await trx
    .selectFrom('approvals')
    .select(['user_name'])
    .where('ticket_id', '=', ticket.id)
    .where('decision', '=', outcome === 'approved' ? 'approve' : 'reject')
    .orderBy('id')
    .execute();
  const mail = templates.decided({ ticket: ticketFacts(ticket), outcome, by: rows.map((r) => r.user_name) });
  await tellEveryone(trx, ticket, 'decided', mail, ctx);
}

/** The requester, the ticket's approvers and its operator, each once. */
export async function tellEveryone(
  trx: Db,
  ticket: TicketRow,
  kind: string,
  mail: templates.MailContent,
  ctx: CommunicationContext,
): Promise<number> {
  const participants = await trx.selectFrom('ticket_participants').select('user_name').where('ticket_id', '=', ticket.id).execute();
  const names = [...new Set([ticket.requester, ...participants.map((p) => p.user_name)])];
  const users = await trx
    .selectFrom('users')
    .select(['name', 'email'])
    .where('name', 'in', names)
    .where('disabled_at', 'is', null)
    .execute();
  for (const user of users)
    await enqueueMail(trx, { ticketId: ticket.id, kind, to: { address: user.email, user: user.name }, ...mail }, ctx);
  return users.length;
}
