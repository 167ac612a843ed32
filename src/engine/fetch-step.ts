import { replaceItems, updateItem } from '../tickets/item-store.js';
import { mapConcurrent } from './map-concurrent.js';
import { ProgressTracker } from './progress-tracker.js';
import type { StepContext } from './step-context.js';

/**
 * Lists the source and stages every item (encrypted, hashed on the way), several at once. Starts over
 * from scratch when resumed: whatever an interrupted run staged is dropped first.
 */
export async function fetchItems(ctx: StepContext): Promise<void> {
  const { ticket, pipeline, staging } = ctx;
  await staging.purge(ticket.id);
  const listed = [];
  for await (const entry of pipeline.source.list(pipeline.selector)) listed.push(entry);
  const items = await replaceItems(
    ctx.db,
    ticket.id,
    listed.map((l) => l.path),
  );
  const progress = new ProgressTracker(
    ctx.db,
    ticket.id,
    'fetch',
    items.length,
    listed.reduce((sum, l) => sum + l.size, 0),
    ctx.onProgress,
  );
  await mapConcurrent(items, ctx.itemConcurrency, async (item) => {
    const stream = await pipeline.source.open(item.source_path);
    const staged = await staging.stage(ticket.id, item.id, stream, {
      onBytes: (bytes) => progress.bytes(item.id, bytes),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    await updateItem(ctx.db, item.id, { state: 'staged', size: staged.size, sha256: staged.sha256 });
    progress.fileDone(item.id, staged.size);
  });
  await progress.finish();
}
