import { commonLiteralFolder, compileSelector } from '../../connectors/glob.js';
import type { Selector } from '../../connectors/connector.js';
import { ItemInspection } from '../inspect/inspect-item.js';
import type { ItemRow } from '../db/schema.js';
import { metrics } from '../metrics/airlock-metrics.js';
import { recordInspectedItem, replaceItems } from '../tickets/item-store.js';
import { mapConcurrent } from './map-concurrent.js';
import { ProgressTracker } from './progress-tracker.js';
import type { StepContext } from './step-context.js';

/**
 * Lists the source, then stages every item (encrypted, hashed on the way), several at once, inspecting each
 * in the same read: the bytes pass the checks' scanners on their way into staging, and only containers are
 * opened again from the staged copy afterwards. Each item's policy verdict is stored with its findings.
 * Starts over from scratch when resumed: whatever an interrupted run staged is dropped first.
 */
export async function fetchItems(ctx: StepContext): Promise<void> {
  const { ticket, pipeline, staging } = ctx;
  await staging.purge(ticket.id);
  // A ticket's own selection narrows the pipeline's, never widens it: both must match.
  const narrowed = ticket.selection ? compileSelector({ include: ticket.selection.include }) : () => true;
  const listed = [];
  for await (const entry of pipeline.source.list(listingSelector(pipeline.selector, ticket.selection?.include))) {
    if (narrowed(entry.path)) listed.push(entry);
  }
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
    const size = await fetchAndInspect(ctx, item, (bytes) => progress.bytes(item.id, bytes));
    progress.fileDone(item.id, size);
  });
  await progress.finish();
}

async function fetchAndInspect(ctx: StepContext, item: ItemRow, onBytes: (bytes: number) => void): Promise<number> {
  const { ticket, pipeline } = ctx;
  const started = performance.now();
  let moved = 0;
  // Only staging and inspection count as the transfer: failing to store the verdict afterwards is not a fetch failure.
  const { staged, inspected } = await stageAndInspect(ctx, item, (bytes) => onBytes((moved = bytes))).catch((error: unknown) => {
    metrics().observeTransfer('fetch', (performance.now() - started) / 1000, moved, false);
    throw error;
  });
  for (const run of inspected.runs) metrics().observeCheck(run.check, run.durationMs);
  metrics().observeTransfer('fetch', (performance.now() - started) / 1000, staged.size, true);
  const verdict = pipeline.policy.decide({
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
  await recordInspectedItem(ctx.db, {
    id: item.id,
    ticketId: ticket.id,
    size: staged.size,
    sha256: staged.sha256,
    type: inspected.type,
    runs: inspected.runs,
    verdict,
    actor: ctx.actor,
  });
  return staged.size;
}

async function stageAndInspect(ctx: StepContext, item: ItemRow, onBytes: (bytes: number) => void) {
  const { ticket, pipeline, staging } = ctx;
  const inspection = new ItemInspection(item.source_path, {
    checks: pipeline.checks,
    limits: ctx.limits,
    timeoutMs: ctx.checkTimeoutMs,
    tempRoot: staging.ticketRoot(ticket.id),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  const stream = await pipeline.source.open(item.source_path);
  const staged = await staging.stage(ticket.id, item.id, stream, {
    onBytes,
    onChunk: (chunk) => inspection.write(chunk),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  const inspected = await inspection.finish({
    open: () => staging.open(ticket.id, item.id),
    withFile: (fn) => staging.withPlaintextFile(ticket.id, item.id, fn),
  });
  return { staged, inspected };
}

/**
 * The pipeline's selector, started in the folder the ticket's selection lies in when it names one: a ticket
 * for `t-0001/**` lists that folder, not the whole source. Never wider than the pipeline's own prefix.
 */
export function listingSelector(selector: Selector, include: readonly string[] | undefined): Selector {
  const folder = include ? commonLiteralFolder(include) : '';
  if (folder === '') return selector;
  const own = selector.prefix?.replace(/^\/+|\/+$/g, '') ?? '';
  if (own !== '' && folder !== own && !folder.startsWith(`${own}/`)) return selector;
  return { ...selector, prefix: folder };
}
