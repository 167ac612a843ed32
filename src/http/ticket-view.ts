import { loadApprovals, summarizeApprovals } from '../approvals/approval-store.js';
import { manifestOf } from '../tickets/manifest.js';
import { nameHash, nameScrubber as scrubber } from '../tickets/name-hash.js';

export { nameHash };
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
 * `ticketSummary` for tickets that may redact names: a failure reason can quote an item's path (a
 * connector's error), so for those tickets the item names are looked up and hashed in it.
 */
export async function ticketSummaries(db: Db, tickets: readonly TicketRow[]) {
  const redacted = tickets.filter((t) => t.redact_names && t.failure_reason !== null).map((t) => t.id);
  const items =
    redacted.length === 0
      ? []
      : await db.selectFrom('items').select(['ticket_id', 'source_path']).where('ticket_id', 'in', redacted).execute();
  return tickets.map((t) => {
    const summary = ticketSummary(t);
    if (!redacted.includes(t.id)) return summary;
    const scrub = scrubber(items.filter((i) => i.ticket_id === t.id).map((i) => i.source_path));
    return { ...summary, failureReason: scrub(summary.failureReason) };
  });
}

/**
 * A ticket as the API shows it to someone allowed to see it: metadata, items with states and progress,
 * masked findings, the decision with reasons, approvals so far and the timeline. Never content. When the
 * pipeline redacts names, every item path (and archive member path) is replaced by `sha256:<hash>` wherever
 * it would appear, messages included.
 */
export async function ticketView(db: Db, ticket: TicketRow) {
  // One round of independent queries; the manifest is computed from the items already loaded.
  const [details, rows, decision, participants] = await Promise.all([
    loadTicketDetails(db, ticket),
    loadApprovals(db, ticket.id),
    db.selectFrom('decisions').select(['policy_version', 'required_approvals']).where('ticket_id', '=', ticket.id).executeTakeFirst(),
    db.selectFrom('ticket_participants').select(['user_name', 'role']).where('ticket_id', '=', ticket.id).orderBy('user_name').execute(),
  ]);
  const manifest = manifestOf(details.items.map((i) => ({ seq: i.seq, source_path: i.path, size: i.size, sha256: i.sha256 })));
  const approvals = summarizeApprovals(rows, { decision, manifest, requesterConfirms: ticket.requester_confirms });
  const view = {
    ...details,
    ...ticketSummary(ticket),
    approvers: participants.filter((p) => p.role === 'approver').map((p) => p.user_name),
    operators: participants.filter((p) => p.role === 'operator').map((p) => p.user_name),
    approvals: approvals.approvals,
    requiredApprovals: approvals.required,
    requesterConfirmation: approvals.requesterConfirmation,
  };
  return ticket.redact_names ? redactNames(view) : view;
}

type View = Awaited<ReturnType<typeof loadTicketDetails>>;

function redactNames<T extends View>(view: T): T {
  const scrub = scrubber(view.items.map((item) => item.path));
  return {
    ...view,
    failureReason: scrub(view.failureReason),
    items: view.items.map((item) => ({
      ...item,
      path: nameHash(item.path),
      destination: item.destination === null ? null : nameHash(item.destination),
      error: scrub(item.error),
      reasons: item.reasons.map((r) => scrub(r) ?? ''),
      checks: item.checks.map((check) => ({ ...check, error: scrub(check.error) })),
    })),
    findings: view.findings.map((f) => {
      const entry = (f.location as { entry?: unknown }).entry;
      return typeof entry === 'string' ? { ...f, location: { ...f.location, entry: nameHash(entry) } } : f;
    }),
    decision: view.decision && { ...view.decision, reasons: view.decision.reasons.map((r) => scrub(r) ?? '') },
    events: view.events.map((e) => ({ ...e, reason: scrub(e.reason) })),
  };
}
