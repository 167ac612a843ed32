import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import type { ItemRow, TicketRow } from '../db/schema.js';
import { AirlockError } from '../errors.js';
import type { InspectionLimits } from '../inspect/inspection-limits.js';
import type { StagingArea } from '../staging/staging-area.js';
import type { ProgressListener } from './progress.js';
import type { ResolvedPipeline } from './resolved-pipeline.js';

/** What every processing step works with: one ticket, its resolved pipeline, and the shared services. */
export interface StepContext {
  db: Db;
  staging: StagingArea;
  logger: Logger;
  ticket: TicketRow;
  pipeline: ResolvedPipeline;
  checkTimeoutMs: number;
  limits: InspectionLimits;
  /** Items moved at once in fetch and delivery. */
  itemConcurrency: number;
  /** Who the processor acts as in ticket events and the audit trail (`worker:<host>:<pid>`). */
  actor: string;
  onProgress?: ProgressListener | undefined;
  signal?: AbortSignal | undefined;
}

/** The size and hash recorded when an item was staged. */
export function stagedFacts(item: ItemRow): { size: number; sha256: string } {
  if (item.size === null || item.sha256 === null) throw new AirlockError('internal_error', `Item ${item.seq} was never staged.`);
  return { size: item.size, sha256: item.sha256 };
}

/** `item 3 of T-000042`: how messages name an item without its file name. */
export function itemLabel(ctx: StepContext, item: ItemRow): string {
  return `item ${item.seq} of T-${String(ctx.ticket.number).padStart(6, '0')}`;
}
