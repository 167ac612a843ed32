import { Transform } from 'node:stream';
import type { ItemRow } from '../db/schema.js';
import { AirlockError, coerceError } from '../errors.js';
import { metrics } from '../metrics/airlock-metrics.js';
import { listItems, updateItem } from '../tickets/item-store.js';
import { mapConcurrent } from './map-concurrent.js';
import { ProgressTracker } from './progress-tracker.js';
import { itemLabel, stagedFacts, type StepContext } from './step-context.js';

export interface DeliveryResult {
  state: 'delivered' | 'partially_delivered' | 'failed';
  reason: string;
}

/**
 * Writes every allowed (or, after approval, reviewed) item to the destination, several at once, each
 * through the staging verifier, then checks what the destination reports against the staged hash. An
 * item already delivered by an interrupted run is skipped; a retryable failure is rethrown so the job
 * is retried, a permanent one fails that item only. The source's `after` handling runs only once an
 * item's delivery is verified.
 */
export async function deliverItems(ctx: StepContext): Promise<DeliveryResult> {
  const { ticket } = ctx;
  const approved =
    (await ctx.db
      .selectFrom('ticket_events')
      .select('id')
      .where('ticket_id', '=', ticket.id)
      .where('to_state', '=', 'approved')
      .executeTakeFirst()) !== undefined;
  const items = await listItems(ctx.db, ticket.id);
  const eligible = items.filter((i) => i.verdict === 'allow' || (approved && i.verdict === 'review'));
  const todo = eligible.filter((i) => i.state !== 'delivered' && i.state !== 'failed');
  const progress = new ProgressTracker(
    ctx.db,
    ticket.id,
    'deliver',
    eligible.length,
    eligible.reduce((sum, i) => sum + (i.size ?? 0), 0),
    ctx.onProgress,
  );
  for (const done of eligible.filter((i) => !todo.includes(i))) progress.fileDone(done.id, done.size ?? 0);

  await mapConcurrent(todo, ctx.itemConcurrency, async (item) => {
    const started = performance.now();
    let moved = 0;
    try {
      await deliverOne(ctx, item, (bytes) => progress.bytes(item.id, (moved = bytes)));
      metrics().observeTransfer('deliver', (performance.now() - started) / 1000, moved, true);
    } catch (error) {
      metrics().observeTransfer('deliver', (performance.now() - started) / 1000, moved, false);
      const failure = coerceError(error);
      if (failure.retryable) throw failure;
      ctx.logger.warn({ itemId: item.id, code: failure.code }, 'item not delivered');
      await updateItem(ctx.db, item.id, { state: 'failed', error: failure.message });
    }
    progress.fileDone(item.id, item.size ?? 0);
  });
  await progress.finish();

  for (const item of items)
    if (item.state === 'inspected' && !eligible.includes(item)) await updateItem(ctx.db, item.id, { state: 'held' });
  const after = await listItems(ctx.db, ticket.id);
  const delivered = after.filter((i) => i.state === 'delivered').length;
  if (delivered === after.length) return { state: 'delivered', reason: `${delivered} file(s) delivered` };
  if (delivered === 0 && eligible.length > 0)
    return { state: 'failed', reason: `none of ${eligible.length} allowed file(s) could be delivered` };
  return { state: 'partially_delivered', reason: `${delivered} of ${after.length} file(s) delivered` };
}

async function deliverOne(ctx: StepContext, item: ItemRow, onBytes: (bytes: number) => void): Promise<void> {
  const staged = stagedFacts(item);
  const verified = ctx.staging.openVerified(ctx.ticket.id, item.id, staged, itemLabel(ctx, item));
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes((bytes += chunk.length));
      callback(null, chunk);
    },
  });
  verified.on('error', (error) => meter.destroy(error));
  meter.on('close', () => verified.destroy());
  // The item's id names the temporary file, so a retry after a crash replaces what the killed attempt left.
  const options = { attempt: item.id, ...(ctx.signal ? { signal: ctx.signal } : {}) };
  const written = await ctx.pipeline.destination.write(item.source_path, verified.pipe(meter), options);
  if (written.size !== staged.size || written.sha256 !== staged.sha256) {
    throw new AirlockError(
      'integrity_mismatch',
      `The destination reported ${written.size} bytes with a different checksum for ${itemLabel(ctx, item)}; it is not counted as delivered.`,
      {
        retryable: true,
      },
    );
  }
  await updateItem(ctx.db, item.id, { state: 'delivered', destination_path: written.path, error: null });
  await ctx.pipeline.source.afterDelivered?.(item.source_path);
}

/**
 * Removes what killed delivery attempts may have left at the destination (temporary files of a write cut
 * off by a crash) for every item of the ticket that was not delivered; called once the ticket has failed.
 * Best effort per item: a failure is logged with the item id and error code only, never thrown.
 */
export async function discardPartialDeliveries(ctx: StepContext): Promise<void> {
  const { destination } = ctx.pipeline;
  if (destination.discardPartial === undefined) return;
  const items = (await listItems(ctx.db, ctx.ticket.id)).filter((i) => i.state !== 'delivered');
  await mapConcurrent(items, ctx.itemConcurrency, async (item) => {
    try {
      await destination.discardPartial?.(item.source_path, item.id);
    } catch (error) {
      ctx.logger.warn({ itemId: item.id, code: coerceError(error).code }, 'partial delivery not removed');
    }
  });
}
