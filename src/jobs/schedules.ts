import path from 'node:path';
import { CronExpressionParser } from 'cron-parser';
import type { PgBoss } from 'pg-boss';
import { recordAudit } from '../audit/audit-log.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../log/logger.js';
import { loadPipelines, type LoadedPipeline } from '../pipelines/pipeline-loader.js';
import { QUEUES } from './ticket-queue.js';

/** The queue every pipeline schedule sends to; the schedule's key is the pipeline name. */
const SCHEDULE_QUEUE = QUEUES.pipelineSchedule;

/** What a schedule's jobs carry. */
export interface ScheduleJob {
  pipeline: string;
}

/** A pipeline's schedule as this process means it to be. */
export interface WantedSchedule {
  pipeline: string;
  cron: string;
  timezone: string;
  catchUp: 'none' | 'once';
}

export interface ScheduleChange {
  pipeline: string;
  change: 'added' | 'changed' | 'removed' | 'unchanged' | 'kept';
  /** For `kept`: why a schedule whose pipeline file no longer loads was left as it was. */
  reason?: string;
}

/** The pipelines in `pipelines` that run on a schedule, in name order. */
export function wantedSchedules(pipelines: Iterable<LoadedPipeline>): WantedSchedule[] {
  const wanted: WantedSchedule[] = [];
  for (const p of pipelines) {
    if (p.trigger.kind !== 'schedule') continue;
    wanted.push({ pipeline: p.name, cron: p.trigger.cron, timezone: p.trigger.timezone, catchUp: p.trigger.catchUp });
  }
  return wanted.sort((a, b) => a.pipeline.localeCompare(b.pipeline));
}

/**
 * Makes pg-boss's schedules match the pipeline files: a schedule per pipeline with `trigger.schedule`,
 * none for the others. A pipeline whose file does not load keeps the schedule it had: a typo in a
 * nightly move's file must not silently stop the move, and its runs fail loudly on the broken file.
 * Idempotent; several processes may reconcile at once (pg-boss upserts by queue and key).
 */
export async function reconcileSchedules(
  boss: PgBoss,
  pipelinesDir: string,
  logger: Logger,
  audit?: { db: Db; actor: string },
): Promise<ScheduleChange[]> {
  const { pipelines, errors } = await loadPipelines(pipelinesDir);
  const broken = new Map<string, string>();
  for (const problem of errors) broken.set(path.basename(problem.file).replace(/\.ya?ml$/, ''), problem.text);
  const wanted = wantedSchedules(pipelines.values());
  const existing = new Map((await boss.getSchedules(SCHEDULE_QUEUE)).map((s) => [s.key, s]));
  const changes: ScheduleChange[] = [];
  for (const want of wanted) {
    const had = existing.get(want.pipeline);
    existing.delete(want.pipeline);
    const missed = want.catchUp === 'once' ? 'once' : 'skip';
    const same = had && had.cron === want.cron && had.timezone === want.timezone && (had.options?.missed ?? 'skip') === missed;
    if (!same) {
      await boss.schedule(SCHEDULE_QUEUE, want.cron, { pipeline: want.pipeline } satisfies ScheduleJob, {
        key: want.pipeline,
        tz: want.timezone,
        missed,
      });
    }
    changes.push({ pipeline: want.pipeline, change: had ? (same ? 'unchanged' : 'changed') : 'added' });
  }
  for (const key of existing.keys()) {
    const problem = broken.get(key);
    if (problem) {
      changes.push({ pipeline: key, change: 'kept', reason: problem });
      continue;
    }
    await boss.unschedule(SCHEDULE_QUEUE, key);
    changes.push({ pipeline: key, change: 'removed' });
  }
  const moved = changes.filter((c) => c.change !== 'unchanged');
  if (audit) {
    const byName = new Map(wanted.map((w) => [w.pipeline, w]));
    for (const c of moved) {
      const want = byName.get(c.pipeline);
      await recordAudit(audit.db, {
        kind: 'schedule.changed',
        actor: audit.actor,
        details: {
          pipeline: c.pipeline,
          change: c.change,
          ...(want ? { cron: want.cron, timezone: want.timezone, catchUp: want.catchUp } : {}),
        },
      });
    }
  }
  if (moved.length > 0) logger.info({ schedules: moved.map((c) => `${c.pipeline}: ${c.change}`) }, 'schedules reconciled');
  for (const c of changes.filter((c) => c.change === 'kept'))
    logger.error({ pipeline: c.pipeline, problem: c.reason }, 'pipeline file does not load; its schedule is kept as it was');
  return changes.sort((a, b) => a.pipeline.localeCompare(b.pipeline));
}

/** The occurrence a job created at `at` is for: the latest one at or before `at`, in the schedule's time zone. */
export function occurrenceAtOrBefore(cron: string, timezone: string, at: Date): Date {
  return CronExpressionParser.parse(cron, { tz: timezone, currentDate: new Date(at.getTime() + 1) })
    .prev()
    .toDate();
}

/** The next `count` occurrences strictly after `from`, in the schedule's time zone (daylight-saving shifts included). */
export function nextOccurrences(cron: string, timezone: string, from: Date, count = 1): Date[] {
  const interval = CronExpressionParser.parse(cron, { tz: timezone, currentDate: from });
  return Array.from({ length: count }, () => interval.next().toDate());
}
