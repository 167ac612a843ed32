import { VERDICT_RANK, type DeliveryMode, type Verdict } from '../tickets/states.js';

export interface ItemVerdict {
  itemId: string;
  verdict: Verdict;
  rule: string;
  reasons: readonly string[];
}

export interface TicketOutcome {
  /** The ticket-level verdict recorded as its decision. */
  verdict: Verdict;
  /** Where the ticket goes after inspection. */
  next: 'allowed' | 'awaiting_approval' | 'blocked';
  rule: string;
  reasons: string[];
  /** Items that will not be delivered whatever happens next, and why. */
  stopped: Map<string, 'blocked' | 'held'>;
}

/**
 * Rolls per-item verdicts up to the ticket.
 * - all-or-nothing: the worst item decides for all; if anything is blocked, nothing moves.
 * - per-item: blocked items stop, allowed ones go on; an item under review holds the ticket in
 *   `awaiting_approval` (its allowed siblings are delivered together with it once approved, so one
 *   ticket never delivers twice).
 */
export function decideTicket(mode: DeliveryMode, items: readonly ItemVerdict[]): TicketOutcome {
  if (items.length === 0) {
    return {
      verdict: 'allow',
      next: 'allowed',
      rule: 'empty-selection',
      reasons: ['empty-selection: no files matched the selection'],
      stopped: new Map(),
    };
  }
  const worst = items.reduce((a, b) => (VERDICT_RANK[b.verdict] > VERDICT_RANK[a.verdict] ? b : a));
  const reasons = summarize(items);
  const stopped = new Map<string, 'blocked' | 'held'>();
  for (const item of items) if (item.verdict === 'block') stopped.set(item.itemId, 'blocked');

  const count = (v: Verdict) => items.filter((i) => i.verdict === v).length;
  if (mode === 'all-or-nothing' || count('allow') + count('review') === 0) {
    if (worst.verdict === 'block') {
      for (const item of items) if (!stopped.has(item.itemId)) stopped.set(item.itemId, 'held');
      const held = items.length - count('block');
      if (held > 0) reasons.push(`all-or-nothing: ${held} other item(s) held back because the ticket is blocked`);
      return { verdict: 'block', next: 'blocked', rule: worst.rule, reasons, stopped };
    }
  }
  if (count('review') > 0) {
    const rule = items.find((i) => i.verdict === 'review')?.rule ?? worst.rule;
    return { verdict: 'review', next: 'awaiting_approval', rule, reasons, stopped };
  }
  if (count('block') > 0) reasons.push(`per-item: ${count('allow')} of ${items.length} item(s) allowed, ${count('block')} blocked`);
  return { verdict: 'allow', next: 'allowed', rule: worst.verdict === 'allow' ? worst.rule : 'per-item', reasons, stopped };
}

/** Distinct item reasons, worst verdicts first, each with how many items gave it. */
function summarize(items: readonly ItemVerdict[]): string[] {
  const counts = new Map<string, { rank: number; n: number }>();
  for (const item of items) {
    for (const reason of item.reasons) {
      const entry = counts.get(reason) ?? { rank: VERDICT_RANK[item.verdict], n: 0 };
      entry.n += 1;
      counts.set(reason, entry);
    }
  }
  return [...counts.entries()].sort((a, b) => b[1].rank - a[1].rank).map(([reason, { n }]) => (n > 1 ? `${reason} (${n} items)` : reason));
}
