import type { Db } from '../db/database.js';
import type { TicketRow } from '../db/schema.js';
import type { BlindReview } from '../notify/templates.js';
import { nameScrubber } from '../tickets/name-hash.js';

/** At most this many masked excerpts per detector go into a mail. */
const EXCERPTS_PER_DETECTOR = 3;

/**
 * What reviewers are shown instead of the data (see BlindReview): counts per detector with a few masked
 * excerpts, each file's type, size and hash, the kind of destination, and the rule that asked for review.
 * Built only from stored findings and metadata, which never hold content; names are hashed when the
 * pipeline redacts them.
 */
export async function blindSummary(
  db: Db,
  ticket: TicketRow,
  options: { destination: string; nameOf: (path: string) => string },
): Promise<BlindReview> {
  const [items, findings, decision] = await Promise.all([
    db.selectFrom('items').selectAll().where('ticket_id', '=', ticket.id).orderBy('seq').execute(),
    db
      .selectFrom('findings')
      .select(['check', 'detector', 'excerpt', 'value_key'])
      .where('ticket_id', '=', ticket.id)
      .orderBy('id')
      .execute(),
    db
      .selectFrom('decisions')
      .select(['rule', 'reasons', 'policy', 'policy_version'])
      .where('ticket_id', '=', ticket.id)
      .executeTakeFirst(),
  ]);
  const scrub = nameScrubber(items.map((i) => i.source_path));
  const byDetector = new Map<string, { label: string; values: Set<string>; count: number; excerpts: string[] }>();
  for (const f of findings) {
    const label = `${f.detector} (${f.check})`;
    const entry = byDetector.get(label) ?? { label, values: new Set<string>(), count: 0, excerpts: [] };
    // Distinct values where the check keyed them; otherwise each finding counts.
    if (f.value_key) entry.values.add(f.value_key);
    else entry.count++;
    if (f.excerpt && entry.excerpts.length < EXCERPTS_PER_DETECTOR && !entry.excerpts.includes(f.excerpt)) entry.excerpts.push(f.excerpt);
    byDetector.set(label, entry);
  }
  return {
    detectors: [...byDetector.values()].map((d) => ({ label: d.label, count: d.count + d.values.size, excerpts: d.excerpts })),
    files: items.map((i) => ({
      name: ticket.redact_names ? options.nameOf(i.source_path) : i.source_path,
      type: i.mime,
      size: i.size,
      sha256: i.sha256,
    })),
    destination: options.destination,
    policy: decision ? `${decision.policy}@${decision.policy_version.slice(0, 12)}` : ticket.policy,
    rule: decision?.rule ?? 'unknown',
    // A reason may quote an item's path (a check's message); hidden names stay hidden there too.
    reasons: (decision?.reasons ?? []).map((reason) => (ticket.redact_names ? (scrub(reason) ?? '') : reason)),
  };
}
