import type { Db } from '../db/database.js';
import { formatTicketNumber, type Verdict } from '../tickets/states.js';
import { evaluatePolicy, type EvaluatedPolicy, type PolicyDecision, type PolicyFinding } from './evaluate-policy.js';

/**
 * Re-decides stored items with another policy (or another version of the same one), to see what a
 * policy change would do before it is deployed. Reads only what a decision needs: items' path, size and
 * type, findings' detector, severity, confidence, value key and archive entry, and how each check run
 * ended; never excerpts. Writes nothing.
 */

export interface ReplayOptions {
  /** Only tickets created at or after this instant. */
  since?: Date | undefined;
  /**
   * The destination connector kind of a pipeline, for `destinations` conditions. Tickets do not record
   * it, so the caller looks it up in the pipelines as they are now; undefined when unknown.
   */
  destinationOf?: ((pipeline: string) => string | undefined) | undefined;
}

export interface ReplayedItem {
  /** The ticket's uuid and its display number (`T-000123`). */
  ticketId: string;
  ticket: string;
  pipeline: string;
  /** The policy the ticket was decided with at the time. */
  ticketPolicy: string;
  path: string;
  before: { verdict: Verdict; rule: string | null };
  after: PolicyDecision;
  /** The verdict or the deciding rule differs. */
  changed: boolean;
}

const TICKETS_PER_BATCH = 100;

/**
 * Every decided item of the tickets in range, oldest ticket first, re-decided with `policy`. Items that
 * were never decided (still pending, or the ticket failed before inspection) are skipped.
 */
export async function* replayPolicy(db: Db, policy: EvaluatedPolicy, options: ReplayOptions = {}): AsyncGenerator<ReplayedItem> {
  let after = 0;
  for (;;) {
    let query = db
      .selectFrom('tickets')
      .select(['id', 'number', 'pipeline', 'policy'])
      .where('number', '>', after as never)
      .orderBy('number')
      .limit(TICKETS_PER_BATCH);
    if (options.since) query = query.where('created_at', '>=', options.since);
    const tickets = await query.execute();
    if (tickets.length === 0) return;
    after = tickets.at(-1)!.number;
    const ids = tickets.map((t) => t.id);
    const items = await db
      .selectFrom('items')
      .select(['id', 'ticket_id', 'source_path', 'size', 'mime', 'detected_ext', 'verdict', 'rule'])
      .where('ticket_id', 'in', ids)
      .where('verdict', 'is not', null)
      .orderBy('seq')
      .execute();
    const findings = await db
      .selectFrom('findings')
      .select(['item_id', 'detector', 'severity', 'confidence', 'location', 'value_key'])
      .where('ticket_id', 'in', ids)
      .orderBy('id')
      .execute();
    const runs =
      items.length === 0
        ? []
        : await db
            .selectFrom('check_runs')
            .select(['item_id', 'check', 'status'])
            .where(
              'item_id',
              'in',
              items.map((i) => i.id),
            )
            .execute();
    const findingsOf = groupBy(findings, (f) => f.item_id);
    const failedOf = groupBy(
      runs.filter((r) => r.status !== 'ok'),
      (r) => r.item_id,
    );
    for (const ticket of tickets) {
      const destination = options.destinationOf?.(ticket.pipeline);
      for (const item of items.filter((i) => i.ticket_id === ticket.id)) {
        const decision = evaluatePolicy(policy, {
          findings: (findingsOf.get(item.id) ?? []).map(toPolicyFinding),
          failedChecks: (failedOf.get(item.id) ?? []).map((r) => r.check),
          item: { path: item.source_path, size: item.size ?? undefined, mime: item.mime ?? undefined, ext: item.detected_ext ?? undefined },
          pipeline: ticket.pipeline,
          destination,
        });
        const before = { verdict: item.verdict!, rule: item.rule };
        yield {
          ticketId: ticket.id,
          ticket: formatTicketNumber(ticket.number),
          pipeline: ticket.pipeline,
          ticketPolicy: ticket.policy,
          path: item.source_path,
          before,
          after: decision,
          changed: decision.verdict !== before.verdict || decision.rule !== before.rule,
        };
      }
    }
  }
}

function toPolicyFinding(row: {
  detector: string;
  severity: PolicyFinding['severity'];
  confidence: number;
  location: Record<string, unknown>;
  value_key: string | null;
}): PolicyFinding {
  const entry = row.location.entry;
  return {
    detector: row.detector,
    severity: row.severity,
    confidence: row.confidence,
    valueKey: row.value_key,
    ...(typeof entry === 'string' ? { location: { entry } } : {}),
  };
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(key(row));
    if (group) group.push(row);
    else groups.set(key(row), [row]);
  }
  return groups;
}
