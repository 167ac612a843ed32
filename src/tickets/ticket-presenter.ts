import type { Db } from '../db/database.js';
import type { DecisionRow, FindingRow, ItemRow, TicketEventRow, TicketRow } from '../db/schema.js';
import { listFindings, listItems } from './item-store.js';
import { formatTicketNumber } from './states.js';
import { listEvents } from './ticket-store.js';

/** The outward shape of a ticket: what the CLI prints and (later) the API returns. Never content. */
export function presentTicket(t: TicketRow) {
  return {
    id: formatTicketNumber(t.number),
    uuid: t.id,
    pipeline: t.pipeline,
    requester: t.requester,
    purpose: t.purpose,
    state: t.state,
    severity: t.severity,
    deliveryMode: t.delivery_mode,
    policy: t.policy,
    failureReason: t.failure_reason,
    createdAt: t.created_at.toISOString(),
    updatedAt: new Date(t.updated_at).toISOString(),
    finishedAt: t.finished_at?.toISOString() ?? null,
  };
}

export function presentItem(
  i: ItemRow,
  checks: { check: string; version: string; status: string; durationMs: number; error: string | null }[],
) {
  return {
    seq: i.seq,
    path: i.source_path,
    size: i.size,
    sha256: i.sha256,
    type: i.mime ? { mime: i.mime, ext: i.detected_ext } : null,
    state: i.state,
    verdict: i.verdict,
    rule: i.rule,
    reasons: i.reasons,
    destination: i.destination_path,
    error: i.error,
    checks,
  };
}

export function presentFinding(f: FindingRow, itemSeq: number | undefined) {
  return {
    item: itemSeq,
    check: f.check,
    detector: f.detector,
    severity: f.severity,
    confidence: f.confidence,
    location: f.location,
    excerpt: f.excerpt,
  };
}

export function presentDecision(d: DecisionRow) {
  return {
    verdict: d.verdict,
    rule: d.rule,
    reasons: d.reasons,
    policy: d.policy,
    policyVersion: d.policy_version,
    decidedAt: d.decided_at.toISOString(),
  };
}

export function presentEvent(e: TicketEventRow) {
  return { seq: e.seq, at: e.at.toISOString(), actor: e.actor, from: e.from_state, to: e.to_state, reason: e.reason };
}

export type TicketDetails = ReturnType<typeof presentTicket> & {
  items: ReturnType<typeof presentItem>[];
  findings: ReturnType<typeof presentFinding>[];
  decision: ReturnType<typeof presentDecision> | null;
  events: ReturnType<typeof presentEvent>[];
};

/** Everything recorded about one ticket, in presentable form. */
export async function loadTicketDetails(db: Db, ticket: TicketRow): Promise<TicketDetails> {
  const [items, findings, decision, events, runs] = await Promise.all([
    listItems(db, ticket.id),
    listFindings(db, ticket.id),
    db.selectFrom('decisions').selectAll().where('ticket_id', '=', ticket.id).executeTakeFirst(),
    listEvents(db, ticket.id),
    db
      .selectFrom('check_runs')
      .innerJoin('items', 'items.id', 'check_runs.item_id')
      .selectAll('check_runs')
      .where('items.ticket_id', '=', ticket.id)
      .execute(),
  ]);
  const seqOf = new Map(items.map((i) => [i.id, i.seq]));
  return {
    ...presentTicket(ticket),
    items: items.map((i) =>
      presentItem(
        i,
        runs
          .filter((r) => r.item_id === i.id)
          .map((r) => ({ check: r.check, version: r.version, status: r.status, durationMs: r.duration_ms, error: r.error })),
      ),
    ),
    findings: findings.map((f) => presentFinding(f, seqOf.get(f.item_id))),
    decision: decision ? presentDecision(decision) : null,
    events: events.map(presentEvent),
  };
}
