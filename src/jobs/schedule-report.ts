import type { PgBoss } from 'pg-boss';
import type { Db } from '../db/database.js';
import { loadPipelines } from '../pipelines/pipeline-loader.js';
import { formatTicketNumber } from '../tickets/states.js';
import { nextOccurrences, wantedSchedules } from './schedules.js';
import { QUEUES } from './ticket-queue.js';

export interface ScheduleReport {
  pipeline: string;
  cron: string;
  timezone: string;
  catchUp: 'none' | 'once';
  /** pg-boss holds this schedule as the file says (false: `airlock reload` or a restart is due). */
  registered: boolean;
  nextRun: string | null;
  lastRun: {
    dueAt: string;
    outcome: 'started' | 'skipped' | 'failed';
    ticket: string | null;
    ticketState: string | null;
    reason: string | null;
    caughtUp: boolean;
  } | null;
}

/** Every scheduled pipeline (from its file), whether pg-boss has it, its next occurrence and what its last one did. */
export async function scheduleReport(db: Db, boss: PgBoss, pipelinesDir: string, now: Date): Promise<ScheduleReport[]> {
  const { pipelines } = await loadPipelines(pipelinesDir);
  const registered = new Map((await boss.getSchedules(QUEUES.pipelineSchedule)).map((s) => [s.key, s]));
  const report: ScheduleReport[] = [];
  for (const want of wantedSchedules(pipelines.values())) {
    const held = registered.get(want.pipeline);
    const last = await db
      .selectFrom('schedule_runs as r')
      .leftJoin('tickets as t', 't.id', 'r.ticket_id')
      .select(['r.due_at', 'r.outcome', 'r.reason', 'r.caught_up', 't.number', 't.state'])
      .where('r.pipeline', '=', want.pipeline)
      .orderBy('r.due_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    report.push({
      ...want,
      registered: held !== undefined && held.cron === want.cron && held.timezone === want.timezone,
      nextRun: nextOccurrences(want.cron, want.timezone, now)[0]?.toISOString() ?? null,
      lastRun: last
        ? {
            dueAt: last.due_at.toISOString(),
            outcome: last.outcome,
            ticket: last.number === null ? null : formatTicketNumber(last.number),
            ticketState: last.state,
            reason: last.reason,
            caughtUp: last.caught_up,
          }
        : null,
    });
  }
  return report;
}
