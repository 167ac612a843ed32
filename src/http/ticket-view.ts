import { createHash } from 'node:crypto';
import { approvalStatus } from '../approvals/approval-store.js';
import type { Db } from '../db/database.js';
import type { TicketRow } from '../db/schema.js';
import { loadTicketDetails, presentTicket } from '../tickets/ticket-presenter.js';

/** A ticket as the API lists it: metadata and progress, no items. */
export function ticketSummary(t: TicketRow) {
  return {
    ...presentTicket(t),
    progress: t.progress,
    escalatedAt: t.escalated_at?.toISOString() ?? null,
    slaDueAt: t.sla_due_at?.toISOString() ?? null,
  };
}

/**
 * A ticket as the API shows it to someone allowed to see it: metadata, items with states and progress,
 * masked findings, the decision with reasons, approvals so far and the timeline. Never content. When the
 * pipeline redacts names, every item path (and archive member path) is replaced by `sha256:<hash>` wherever
 * it would appear, messages included.
 */
export async function ticketView(db: Db, ticket: TicketRow) {
  const [details, approvals, participants] = await Promise.all([
    loadTicketDetails(db, ticket),
    approvalStatus(db, ticket.id),
    db.selectFrom('ticket_participants').select(['user_name', 'role']).where('ticket_id', '=', ticket.id).orderBy('user_name').execute(),
  ]);
  const view = {
    ...details,
    ...ticketSummary(ticket),
    approvers: participants.filter((p) => p.role === 'approver').map((p) => p.user_name),
    operators: participants.filter((p) => p.role === 'operator').map((p) => p.user_name),
    approvals: approvals.approvals,
    requiredApprovals: approvals.required,
  };
  return ticket.redact_names ? redactNames(view) : view;
}

type View = Awaited<ReturnType<typeof loadTicketDetails>>;

function redactNames<T extends View>(view: T): T {
  const names = new Map<string, string>();
  for (const item of view.items) names.set(item.path, nameHash(item.path));
  const scrub = (text: string | null): string | null => {
    if (text === null) return null;
    let out = text;
    for (const [name, hash] of names) out = out.split(name).join(hash);
    return out;
  };
  return {
    ...view,
    items: view.items.map((item) => ({
      ...item,
      path: nameHash(item.path),
      destination: item.destination === null ? null : nameHash(item.destination),
      error: scrub(item.error),
      reasons: item.reasons.map((r) => scrub(r) ?? ''),
    })),
    findings: view.findings.map((f) => {
      const entry = (f.location as { entry?: unknown }).entry;
      return typeof entry === 'string' ? { ...f, location: { ...f.location, entry: nameHash(entry) } } : f;
    }),
    events: view.events.map((e) => ({ ...e, reason: scrub(e.reason) })),
  };
}

/** Stable, so the same name shows as the same hash across tickets, and not reversible for names worth hiding. */
export function nameHash(name: string): string {
  return `sha256:${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
}
