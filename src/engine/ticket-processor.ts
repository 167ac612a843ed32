import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import type { TicketRow } from '../db/schema.js';
import { openReviewTask, type CommunicationContext } from '../approvals/review-task.js';
import { inTransaction } from '../db/in-transaction.js';
import { AirlockError, coerceError } from '../errors.js';
import type { InspectionLimits } from '../inspect/inspection-limits.js';
import { holdBlockedItems, settleTicketStaging } from '../quarantine/quarantine-store.js';
import type { StagingArea } from '../staging/staging-area.js';
import type { TicketState } from '../tickets/states.js';
import { getTicketRow, transitionTicket } from '../tickets/ticket-store.js';
import { deliverItems, discardPartialDeliveries } from './deliver-step.js';
import { fetchItems } from './fetch-step.js';
import { decideItems } from './decide-step.js';
import type { ProgressListener } from './progress.js';
import type { PipelineResolver } from './resolved-pipeline.js';
import type { StepContext } from './step-context.js';

export interface TicketProcessorDeps {
  db: Db;
  staging: StagingArea;
  resolvePipeline: PipelineResolver;
  logger: Logger;
  checkTimeoutMs: number;
  limits: InspectionLimits;
  /** Items fetched or delivered at once per ticket. */
  itemConcurrency: number;
  /** Who the processor acts as in ticket events (`worker:<host>:<pid>`). */
  actor: string;
  /** Where review requests' links point and which clock they run on; absent: no mails are written. */
  communication?: CommunicationContext | undefined;
}

export interface ProcessOptions {
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

/** States in which the processor has work to do. */
const STEPS: ReadonlySet<TicketState> = new Set(['requested', 'fetching', 'inspecting', 'allowed', 'approved', 'delivering']);

/** States after which nothing staged is needed any more, but what is quarantined. */
const DONE_WITH_STAGING: ReadonlySet<TicketState> = new Set(['delivered', 'partially_delivered', 'blocked']);

/** Final states that can leave blocked items behind: kept in quarantine when the pipeline has one. */
const LEAVES_BLOCKED: ReadonlySet<TicketState> = new Set(['blocked', 'partially_delivered']);

/**
 * Drives one ticket from wherever it is to the next state where it rests (terminal, or waiting for
 * people). Each step is chosen by the ticket's current state, so running it again after a crash
 * resumes rather than repeats: fetch starts over, inspection re-reads staging, delivery skips items
 * already delivered and rewrites the rest atomically.
 */
export class TicketProcessor {
  constructor(private readonly deps: TicketProcessorDeps) {}

  async process(ticketId: string, options: ProcessOptions = {}): Promise<TicketRow> {
    let ticket = await getTicketRow(this.deps.db, ticketId);
    if (!STEPS.has(ticket.state)) return ticket;
    const logger = this.deps.logger.child({ ticketId, ticket: ticket.number, pipeline: ticket.pipeline });
    const pipeline = await this.deps.resolvePipeline(ticket.pipeline);
    try {
      while (STEPS.has(ticket.state)) {
        options.signal?.throwIfAborted();
        logger.debug({ step: ticket.state }, 'step');
        const ctx: StepContext = { ...this.deps, logger, ticket, pipeline, onProgress: options.onProgress, signal: options.signal };
        ticket = await this.step(ctx);
      }
      // Everything staged goes but the quarantined items (with none, the ticket's staging is purged whole).
      if (DONE_WITH_STAGING.has(ticket.state)) await settleTicketStaging(this.deps.db, this.deps.staging, ticket.id);
      logger.info({ state: ticket.state }, 'ticket settled');
      return ticket;
    } finally {
      await pipeline.close();
    }
  }

  /**
   * Marks a ticket failed (from any active state) and drops its staged data. A ticket that failed while
   * delivering may have left temporary files of killed writes at the destination: they are removed too.
   */
  async fail(ticketId: string, reason: string): Promise<void> {
    const ticket = await getTicketRow(this.deps.db, ticketId);
    if (!STEPS.has(ticket.state)) return;
    const failed = await transitionTicket(this.deps.db, ticketId, 'failed', { actor: this.deps.actor, from: ticket.state, reason });
    if (ticket.state === 'delivering') await this.discardPartials(failed);
    await this.deps.staging.purge(ticketId);
  }

  private async discardPartials(ticket: TicketRow): Promise<void> {
    const logger = this.deps.logger.child({ ticketId: ticket.id, ticket: ticket.number, pipeline: ticket.pipeline });
    try {
      const pipeline = await this.deps.resolvePipeline(ticket.pipeline);
      try {
        await discardPartialDeliveries({ ...this.deps, logger, ticket, pipeline });
      } finally {
        await pipeline.close();
      }
    } catch (error) {
      logger.warn({ code: coerceError(error).code }, 'could not check the destination for partial deliveries');
    }
  }

  private async step(ctx: StepContext): Promise<TicketRow> {
    const from = ctx.ticket.state;
    const quarantine = ctx.pipeline.quarantine;
    const move = (to: TicketState, reason?: string, db: Db = this.deps.db) => {
      const options = { actor: this.deps.actor, from, ...(reason ? { reason } : {}) };
      if (!quarantine || !LEAVES_BLOCKED.has(to)) return transitionTicket(db, ctx.ticket.id, to, options);
      // The quarantine rows commit with the final transition: no finished ticket whose blocked data the purge
      // that follows could take. `until` is fixed now, from the pipeline as it is now.
      return inTransaction(db, async (trx) => {
        const row = await transitionTicket(trx, ctx.ticket.id, to, options);
        await holdBlockedItems(trx, row, { days: quarantine.days, actor: this.deps.actor });
        return row;
      });
    };
    switch (from) {
      case 'requested':
        return move('fetching');
      case 'fetching':
        await fetchItems(ctx);
        return move('inspecting');
      case 'inspecting':
        // The items a decision stops, the decision, the transition and (for a review) its mails commit in one
        // transaction: a worker killed anywhere here leaves all of them or none, and deciding again is the same.
        return inTransaction(this.deps.db, async (trx) => {
          const outcome = await decideItems({ ...ctx, db: trx });
          const communication = this.deps.communication;
          if (outcome.next !== 'awaiting_approval' || !communication) return move(outcome.next, outcome.reasons.join('; '), trx);
          const row = await transitionTicket(trx, ctx.ticket.id, 'awaiting_approval', {
            actor: this.deps.actor,
            from,
            reason: outcome.reasons.join('; '),
          });
          await openReviewTask(trx, row, { ...communication, destination: ctx.pipeline.destinationKind });
          return row;
        });
      case 'allowed':
      case 'approved':
        return move('delivering');
      case 'delivering': {
        const result = await deliverItems(ctx);
        return move(result.state, result.reason);
      }
      default:
        throw new AirlockError('internal_error', `No processing step for state ${from}.`);
    }
  }
}
