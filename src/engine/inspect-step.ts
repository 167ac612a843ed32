import { inTransaction } from '../db/in-transaction.js';
import { AirlockError } from '../errors.js';
import { inspectItem } from '../inspect/inspect-item.js';
import { listItems, recordInspection, setItemVerdict, updateItem } from '../tickets/item-store.js';
import { decideTicket, type ItemVerdict, type TicketOutcome } from './decide-ticket.js';
import { ProgressTracker } from './progress-tracker.js';
import { itemLabel, stagedFacts, type StepContext } from './step-context.js';

/**
 * Inspects every staged item with the pipeline's checks, decides each with its policy, and rolls the
 * verdicts up to the ticket's decision. Items are inspected one after another: inspection is CPU-bound.
 */
export async function inspectItems(ctx: StepContext): Promise<TicketOutcome> {
  const { ticket, pipeline, staging } = ctx;
  const items = await listItems(ctx.db, ticket.id);
  const progress = new ProgressTracker(ctx.db, ticket.id, 'inspect', items.length, 0, ctx.onProgress);
  const verdicts: ItemVerdict[] = [];
  for (const item of items) {
    const staged = stagedFacts(item);
    if (!(await staging.has(ticket.id, item.id))) {
      throw new AirlockError('internal_error', `The staged copy of ${itemLabel(ctx, item)} is missing; the ticket cannot be inspected.`);
    }
    const inspected = await staging.withPlaintextFile(ticket.id, item.id, (file) =>
      inspectItem(
        { path: item.source_path, file },
        {
          checks: pipeline.checks,
          limits: ctx.limits,
          timeoutMs: ctx.checkTimeoutMs,
          tempRoot: staging.ticketRoot(ticket.id),
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        },
      ),
    );
    // What was inspected must be what was fetched: the staged copy is authenticated, this checks the whole.
    if (inspected.sha256 !== staged.sha256 || inspected.size !== staged.size) {
      throw new AirlockError(
        'integrity_mismatch',
        `The staged copy of ${itemLabel(ctx, item)} changed after it was fetched; the ticket cannot be inspected.`,
      );
    }
    await recordInspection(ctx.db, { id: item.id, ticketId: ticket.id }, inspected.runs);
    if (inspected.type) await updateItem(ctx.db, item.id, { mime: inspected.type.mime, detected_ext: inspected.type.ext });
    const decision = pipeline.policy.decide({
      findings: inspected.runs.flatMap((r) => r.findings),
      failedChecks: inspected.failedChecks,
      item: {
        path: item.source_path,
        size: staged.size,
        ...(inspected.type ? { mime: inspected.type.mime, ext: inspected.type.ext } : {}),
      },
      pipeline: ticket.pipeline,
      destination: pipeline.destinationKind,
    });
    await setItemVerdict(ctx.db, item.id, decision);
    verdicts.push({ itemId: item.id, ...decision });
    progress.fileDone(item.id, 0);
  }
  await progress.finish();
  const outcome = decideTicket(ticket.delivery_mode, verdicts);
  await inTransaction(ctx.db, async (trx) => {
    for (const [itemId, state] of outcome.stopped) await updateItem(trx, itemId, { state });
    const decision = {
      verdict: outcome.verdict,
      rule: outcome.rule,
      reasons: JSON.stringify(outcome.reasons),
      policy: pipeline.policy.name,
      policy_version: pipeline.policy.version,
    };
    await trx
      .insertInto('decisions')
      .values({ ticket_id: ticket.id, ...decision })
      .onConflict((oc) => oc.column('ticket_id').doUpdateSet({ ...decision, decided_at: new Date() }))
      .execute();
  });
  return outcome;
}
