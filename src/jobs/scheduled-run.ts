import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { inTransaction } from '../db/in-transaction.js';
import type { TicketRow } from '../db/schema.js';
import { coerceError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { loadPipeline } from '../pipelines/pipeline-loader.js';
import { formatTicketNumber, TERMINAL_STATES } from '../tickets/states.js';
import { submitTicket, type SubmitDeps } from '../tickets/submit-ticket.js';

import { occurrenceAtOrBefore } from './schedules.js';

/** A job older than its occurrence by more than this was sent to catch up on a missed run. */
const CATCH_UP_AFTER_MS = 90_000;

export type ScheduledRunOutcome =
  | { outcome: 'started'; dueAt: Date; ticket: TicketRow; caughtUp: boolean }
  | { outcome: 'skipped' | 'failed'; dueAt: Date | undefined; reason: string }
  | { outcome: 'duplicate'; dueAt: Date };

/** The requester of a pipeline's scheduled tickets. A user of that name (if one is added) sees them. */
export function serviceIdentity(pipeline: string): string {
  return `svc.${pipeline}`;
}

/**
 * Handles one occurrence of a pipeline's schedule: creates the run's ticket (enqueued with it), unless the
 * previous scheduled run of the pipeline is still going, in which case the occurrence is recorded as
 * skipped rather than queued behind it. One row per occurrence in `schedule_runs`, written with the
 * ticket, so a job delivered twice (two workers, a retry after a crash) starts at most one ticket; the
 * check and the insert hold a per-pipeline lock, so two occurrences racing on two workers cannot both
 * find the pipeline idle.
 */
export async function runScheduledOccurrence(
  deps: SubmitDeps & { logger: Logger },
  job: { pipeline: string; createdOn: Date },
): Promise<ScheduledRunOutcome> {
  let pipeline;
  try {
    pipeline = await loadPipeline(deps.pipelinesDir, job.pipeline);
  } catch (error) {
    return recordFailure(deps, job, `the pipeline file does not load: ${coerceError(error).message}`);
  }
  if (pipeline.trigger.kind !== 'schedule') {
    return recordFailure(deps, job, 'the pipeline no longer has a schedule (run `airlock reload` to remove it)');
  }
  const dueAt = occurrenceAtOrBefore(pipeline.trigger.cron, pipeline.trigger.timezone, job.createdOn);
  const caughtUp = job.createdOn.getTime() - dueAt.getTime() > CATCH_UP_AFTER_MS;
  const log = deps.logger.child({ pipeline: pipeline.name, dueAt: dueAt.toISOString() });
  const result = await inTransaction(deps.db, async (trx): Promise<ScheduledRunOutcome> => {
    await lockPipelineSchedule(trx, pipeline.name);
    const seen = await trx
      .selectFrom('schedule_runs')
      .select('id')
      .where('pipeline', '=', pipeline.name)
      .where('due_at', '=', dueAt)
      .executeTakeFirst();
    if (seen) return { outcome: 'duplicate', dueAt };
    const running = await trx
      .selectFrom('tickets')
      .select(['number', 'state'])
      .where('pipeline', '=', pipeline.name)
      .where('trigger', '=', 'schedule')
      .where('state', 'not in', [...TERMINAL_STATES])
      .orderBy('number')
      .executeTakeFirst();
    if (running) {
      const reason = `the previous run ${formatTicketNumber(running.number)} is still ${running.state}`;
      await insertRun(trx, { pipeline: pipeline.name, dueAt, outcome: 'skipped', caughtUp, reason });
      return { outcome: 'skipped', dueAt, reason };
    }
    const when = dueAt.toISOString();
    const ticket = await submitTicket(
      { ...deps, db: trx },
      {
        pipeline: pipeline.name,
        requester: serviceIdentity(pipeline.name),
        purpose: `Scheduled run for ${when}${caughtUp ? ' (caught up after downtime)' : ''}`,
        trigger: 'schedule',
      },
      {
        reason: caughtUp ? `scheduled run for ${when}, caught up after downtime` : `scheduled run for ${when}`,
        afterInsert: (inner, row) => insertRun(inner, { pipeline: pipeline.name, dueAt, outcome: 'started', caughtUp, ticketId: row.id }),
      },
    );
    return { outcome: 'started', dueAt, ticket, caughtUp };
  });
  if (result.outcome === 'started') log.info({ ticket: result.ticket.number, caughtUp: result.caughtUp }, 'scheduled run started');
  else if (result.outcome === 'skipped') log.warn({ reason: result.reason }, 'scheduled run skipped');
  else log.info('occurrence already handled');
  return result;
}

async function recordFailure(
  deps: { db: Db; logger: Logger },
  job: { pipeline: string; createdOn: Date },
  reason: string,
): Promise<ScheduledRunOutcome> {
  // Without a loadable schedule the occurrence is unknown; the job's creation time stands in for it.
  const dueAt = new Date(Math.floor(job.createdOn.getTime() / 60_000) * 60_000);
  await inTransaction(deps.db, async (trx) => {
    await lockPipelineSchedule(trx, job.pipeline);
    await insertRun(trx, { pipeline: job.pipeline, dueAt, outcome: 'failed', caughtUp: false, reason });
  });
  deps.logger.error({ pipeline: job.pipeline, reason }, 'scheduled run failed');
  return { outcome: 'failed', dueAt, reason };
}

async function lockPipelineSchedule(trx: Db, pipeline: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`airlock schedule ${pipeline}`}))`.execute(trx);
}

async function insertRun(
  trx: Db,
  run: { pipeline: string; dueAt: Date; outcome: 'started' | 'skipped' | 'failed'; caughtUp: boolean; reason?: string; ticketId?: string },
): Promise<void> {
  await trx
    .insertInto('schedule_runs')
    .values({
      id: randomUUID(),
      pipeline: run.pipeline,
      due_at: run.dueAt,
      outcome: run.outcome,
      ticket_id: run.ticketId ?? null,
      caught_up: run.caughtUp,
      reason: run.reason ?? null,
    })
    .onConflict((oc) => oc.columns(['pipeline', 'due_at']).doNothing())
    .execute();
}
