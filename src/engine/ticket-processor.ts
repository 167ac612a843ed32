import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import { inTransaction } from '../db/in-transaction.js';
import type { ItemRow, TicketRow } from '../db/schema.js';
import { AirlockError, coerceError } from '../errors.js';
import type { StagingArea } from '../staging/staging-area.js';
import { listItems, recordInspection, replaceItems, setItemVerdict, updateItem } from '../tickets/item-store.js';
import { getTicketRow, transitionTicket } from '../tickets/ticket-store.js';
import type { TicketState } from '../tickets/states.js';
import { decideTicket } from './decide-ticket.js';
import type { ProgressListener } from './progress.js';
import type { PipelineResolver, ResolvedPipeline } from './resolved-pipeline.js';
import { inspectItem } from '../inspect/inspect-item.js';
import type { InspectionLimits } from '../inspect/inspection-limits.js';

export interface TicketProcessorDeps {
  db: Db;
  staging: StagingArea;
  resolvePipeline: PipelineResolver;
  logger: Logger;
  checkTimeoutMs: number;
  limits: InspectionLimits;
  /** Who the processor acts as in ticket events (`worker:<host>:<pid>`). */
  actor: string;
}

export interface ProcessOptions {
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

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
    const log = this.deps.logger.child({ ticketId, ticket: ticket.number, pipeline: ticket.pipeline });
    if (!STEPS.has(ticket.state)) return ticket;
    const pipeline = await this.deps.resolvePipeline(ticket.pipeline);
    try {
      for (let state = ticket.state; STEPS.has(state); state = ticket.state) {
        options.signal?.throwIfAborted();
        log.debug({ step: state }, 'step');
        ticket = await this.step(ticket, pipeline, options, log);
      }
      if (['delivered', 'partially_delivered', 'blocked'].includes(ticket.state)) await this.deps.staging.purge(ticket.id);
      log.info({ state: ticket.state }, 'ticket settled');
      return ticket;
    } finally {
      await pipeline.close();
    }
  }

  /** Marks a ticket failed (from any active state) and drops its staged data. */
  async fail(ticketId: string, reason: string): Promise<void> {
    const ticket = await getTicketRow(this.deps.db, ticketId);
    if (!STEPS.has(ticket.state)) return;
    await transitionTicket(this.deps.db, ticketId, 'failed', { actor: this.deps.actor, from: ticket.state, reason });
    await this.deps.staging.purge(ticketId);
  }

  private async step(ticket: TicketRow, pipeline: ResolvedPipeline, options: ProcessOptions, log: Logger): Promise<TicketRow> {
    const move = (from: TicketState, to: TicketState, reason?: string) =>
      transitionTicket(this.deps.db, ticket.id, to, { actor: this.deps.actor, from, ...(reason ? { reason } : {}) });
    switch (ticket.state) {
      case 'requested':
        return move('requested', 'fetching');
      case 'fetching':
        await this.fetch(ticket, pipeline, options);
        return move('fetching', 'inspecting');
      case 'inspecting': {
        const outcome = await this.inspect(ticket, pipeline, options);
        return move('inspecting', outcome.next, outcome.reasons.join('; '));
      }
      case 'allowed':
      case 'approved':
        return move(ticket.state, 'delivering');
      case 'delivering': {
        const final = await this.deliver(ticket, pipeline, options, log);
        return move('delivering', final.state, final.reason);
      }
      default:
        throw new AirlockError('internal_error', `No processing step for state ${ticket.state}.`);
    }
  }

  private async fetch(ticket: TicketRow, pipeline: ResolvedPipeline, options: ProcessOptions): Promise<void> {
    await this.deps.staging.purge(ticket.id);
    const listed = [];
    for await (const entry of pipeline.source.list(pipeline.selector)) listed.push(entry);
    const items = await replaceItems(
      this.deps.db,
      ticket.id,
      listed.map((l) => l.path),
    );
    const bytesTotal = listed.reduce((sum, l) => sum + l.size, 0);
    let bytesBefore = 0;
    for (const [index, item] of items.entries()) {
      const report = (bytes: number) =>
        options.onProgress?.({
          ticketId: ticket.id,
          phase: 'fetch',
          filesDone: index,
          filesTotal: items.length,
          bytesDone: bytesBefore + bytes,
          bytesTotal,
        });
      const stream = await pipeline.source.open(item.source_path);
      const staged = await this.deps.staging.stage(ticket.id, item.id, stream, {
        onBytes: report,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      await updateItem(this.deps.db, item.id, { state: 'staged', size: staged.size, sha256: staged.sha256 });
      bytesBefore += staged.size;
      report(0);
    }
    options.onProgress?.({
      ticketId: ticket.id,
      phase: 'fetch',
      filesDone: items.length,
      filesTotal: items.length,
      bytesDone: bytesBefore,
      bytesTotal: bytesBefore,
    });
  }

  private async inspect(ticket: TicketRow, pipeline: ResolvedPipeline, options: ProcessOptions) {
    const items = await listItems(this.deps.db, ticket.id);
    const verdicts = [];
    for (const [index, item] of items.entries()) {
      const staged = stagedFacts(item);
      if (!(await this.deps.staging.has(ticket.id, item.id))) {
        throw new AirlockError(
          'internal_error',
          `The staged copy of item ${item.seq} of ticket T-${ticket.number} is missing; the ticket cannot be inspected.`,
        );
      }
      const inspected = await inspectItem(
        { path: item.source_path, file: this.deps.staging.pathOf(ticket.id, item.id) },
        {
          checks: pipeline.checks,
          limits: this.deps.limits,
          timeoutMs: this.deps.checkTimeoutMs,
          tempRoot: this.deps.staging.root,
          ...(options.signal ? { signal: options.signal } : {}),
        },
      );
      // The inspection read the staged copy once more; it must be the copy that was fetched.
      if (inspected.sha256 !== staged.sha256 || inspected.size !== staged.size) {
        throw new AirlockError(
          'integrity_mismatch',
          `The staged copy of item ${item.seq} of T-${ticket.number} changed after it was fetched; the ticket cannot be inspected.`,
        );
      }
      await recordInspection(this.deps.db, { id: item.id, ticketId: ticket.id }, inspected.runs);
      if (inspected.type) await updateItem(this.deps.db, item.id, { mime: inspected.type.mime, detected_ext: inspected.type.ext });
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
      await setItemVerdict(this.deps.db, item.id, decision);
      verdicts.push({ itemId: item.id, ...decision });
      options.onProgress?.({
        ticketId: ticket.id,
        phase: 'inspect',
        filesDone: index + 1,
        filesTotal: items.length,
        bytesDone: 0,
        bytesTotal: 0,
      });
    }
    const outcome = decideTicket(ticket.delivery_mode, verdicts);
    await inTransaction(this.deps.db, async (trx) => {
      for (const [itemId, state] of outcome.stopped) await updateItem(trx, itemId, { state });
      await trx
        .insertInto('decisions')
        .values({
          ticket_id: ticket.id,
          verdict: outcome.verdict,
          rule: outcome.rule,
          reasons: JSON.stringify(outcome.reasons),
          policy: pipeline.policy.name,
          policy_version: pipeline.policy.version,
        })
        .onConflict((oc) =>
          oc.column('ticket_id').doUpdateSet({
            verdict: outcome.verdict,
            rule: outcome.rule,
            reasons: JSON.stringify(outcome.reasons),
            policy: pipeline.policy.name,
            policy_version: pipeline.policy.version,
            decided_at: new Date(),
          }),
        )
        .execute();
    });
    return outcome;
  }

  private async deliver(ticket: TicketRow, pipeline: ResolvedPipeline, options: ProcessOptions, log: Logger) {
    const approved =
      (await this.deps.db
        .selectFrom('ticket_events')
        .select('id')
        .where('ticket_id', '=', ticket.id)
        .where('to_state', '=', 'approved')
        .executeTakeFirst()) !== undefined;
    const items = await listItems(this.deps.db, ticket.id);
    const eligible = items.filter((i) => i.verdict === 'allow' || (approved && i.verdict === 'review'));
    const bytesTotal = eligible.reduce((sum, i) => sum + (i.size ?? 0), 0);
    let bytesDone = 0;
    for (const [index, item] of eligible.entries()) {
      if (item.state === 'delivered' || item.state === 'failed') {
        bytesDone += item.size ?? 0;
        continue;
      }
      try {
        const staged = stagedFacts(item);
        const stream = this.deps.staging.openVerified(ticket.id, item.id, staged, `item ${item.seq} of T-${ticket.number}`);
        const written = await pipeline.destination.write(item.source_path, stream, options.signal ? { signal: options.signal } : {});
        if (written.size !== staged.size || written.sha256 !== staged.sha256) {
          throw new AirlockError(
            'integrity_mismatch',
            `The destination reported ${written.size} bytes with a different checksum for item ${item.seq} of T-${ticket.number}; it is not counted as delivered.`,
            { retryable: true },
          );
        }
        await updateItem(this.deps.db, item.id, { state: 'delivered', destination_path: written.path, error: null });
      } catch (error) {
        const failure = coerceError(error);
        if (failure.retryable) throw failure;
        log.warn({ itemId: item.id, code: failure.code }, 'item not delivered');
        await updateItem(this.deps.db, item.id, { state: 'failed', error: failure.message });
      }
      bytesDone += item.size ?? 0;
      options.onProgress?.({
        ticketId: ticket.id,
        phase: 'deliver',
        filesDone: index + 1,
        filesTotal: eligible.length,
        bytesDone,
        bytesTotal,
      });
    }
    for (const item of items)
      if (item.state === 'inspected' && !eligible.includes(item)) await updateItem(this.deps.db, item.id, { state: 'held' });
    const after = await listItems(this.deps.db, ticket.id);
    const delivered = after.filter((i) => i.state === 'delivered').length;
    if (delivered === after.length) return { state: 'delivered' as const, reason: `${delivered} file(s) delivered` };
    if (delivered === 0 && eligible.length > 0)
      return { state: 'failed' as const, reason: `none of ${eligible.length} allowed file(s) could be delivered` };
    return { state: 'partially_delivered' as const, reason: `${delivered} of ${after.length} file(s) delivered` };
  }
}

/** States in which the processor has work to do. */
const STEPS: ReadonlySet<TicketState> = new Set(['requested', 'fetching', 'inspecting', 'allowed', 'approved', 'delivering']);

function stagedFacts(item: ItemRow): { size: number; sha256: string } {
  if (item.size === null || item.sha256 === null) throw new AirlockError('internal_error', `Item ${item.seq} was never staged.`);
  return { size: item.size, sha256: item.sha256 };
}
