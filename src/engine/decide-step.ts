import { inTransaction } from '../db/in-transaction.js';
import type { ItemRow } from '../db/schema.js';
import type { RequiredApprovals } from '../policy/evaluate-policy.js';
import { AirlockError } from '../errors.js';
import { listItems, updateItem } from '../tickets/item-store.js';
import type { Verdict } from '../tickets/states.js';
import { decideTicket, type ItemVerdict, type TicketOutcome } from './decide-ticket.js';
import { itemLabel, type StepContext } from './step-context.js';

/**
 * Rolls the items' verdicts, stored as each item was fetched and inspected, up to the ticket's decision,
 * and records it. Pure over stored rows, so a crash here is resumed by simply deciding again.
 */
export async function decideItems(ctx: StepContext): Promise<TicketOutcome> {
  const { ticket, pipeline } = ctx;
  const items = await listItems(ctx.db, ticket.id);
  const verdicts: ItemVerdict[] = items.map((item) => {
    // A verdict is written only by inspection. The item's state may already say `blocked` or `held`: a decision
    // made before a crash stopped it, and deciding again stops it the same way.
    if (item.verdict === null || item.rule === null) {
      throw new AirlockError('internal_error', `${itemLabel(ctx, item)} was never inspected; the ticket cannot be decided.`);
    }
    return { itemId: item.id, verdict: item.verdict as Verdict, rule: item.rule, reasons: item.reasons };
  });
  const outcome = decideTicket(ticket.delivery_mode, verdicts);
  await inTransaction(ctx.db, async (trx) => {
    for (const [itemId, state] of outcome.stopped) await updateItem(trx, itemId, { state });
    const decision = {
      verdict: outcome.verdict,
      rule: outcome.rule,
      reasons: JSON.stringify(outcome.reasons),
      policy: pipeline.policy.name,
      policy_version: pipeline.policy.version,
      required_approvals: outcome.next === 'awaiting_approval' ? JSON.stringify(requirementsOf(items, outcome.stopped)) : null,
    };
    await trx
      .insertInto('decisions')
      .values({ ticket_id: ticket.id, ...decision })
      .onConflict((oc) => oc.column('ticket_id').doUpdateSet({ ...decision, decided_at: new Date() }))
      .execute();
  });
  return outcome;
}

/**
 * What approvers must satisfy for the ticket: every distinct requirement of its items under review (each must
 * be met by the same set of approvals), or one approver when no rule said more.
 */
function requirementsOf(items: readonly ItemRow[], stopped: ReadonlyMap<string, string>): RequiredApprovals[] {
  const distinct = new Map<string, RequiredApprovals>();
  for (const item of items) {
    if (item.verdict !== 'review' || stopped.has(item.id)) continue;
    const required = item.required_approvals ?? ONE_APPROVER;
    distinct.set(JSON.stringify(required), required);
  }
  return distinct.size > 0 ? [...distinct.values()] : [ONE_APPROVER];
}

const ONE_APPROVER: RequiredApprovals = { count: 1, groups: [], distinctGroups: false };
