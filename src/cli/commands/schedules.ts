import { scheduleReport } from '../../jobs/schedule-report.js';
import { createRuntime } from '../../runtime.js';
import { cliActor, type CliContext } from '../cli-context.js';

/** `airlock schedules [--json]`: scheduled pipelines with their next and last runs. */
export async function schedulesCommand(ctx: CliContext, options: { json: boolean }): Promise<number> {
  const runtime = await createRuntime(ctx.config, ctx.logger, { queue: true, env: ctx.env });
  try {
    const rows = await scheduleReport(runtime.store.db, runtime.queue!.boss, ctx.config.pipelinesDir, new Date());
    if (options.json) {
      for (const row of rows) ctx.stdout.write(JSON.stringify(row) + '\n');
      return 0;
    }
    if (rows.length === 0) ctx.stdout.write('No pipeline has a schedule.\n');
    for (const r of rows) {
      const last = r.lastRun
        ? `${r.lastRun.dueAt} ${r.lastRun.outcome}${r.lastRun.ticket ? ` ${r.lastRun.ticket} (${r.lastRun.ticketState})` : ''}${r.lastRun.caughtUp ? ' caught up' : ''}${r.lastRun.reason ? `: ${r.lastRun.reason}` : ''}`
        : 'never';
      ctx.stdout.write(
        `${r.pipeline}  "${r.cron}" ${r.timezone}  catchUp ${r.catchUp}${r.registered ? '' : '  NOT LOADED (run airlock reload)'}\n` +
          `  next ${r.nextRun ?? 'none'}\n  last ${last}\n`,
      );
    }
    return 0;
  } finally {
    await runtime.close();
  }
}

/**
 * `airlock reload`: makes the schedules in the database match the pipeline files. Schedules live in the
 * database, so every running worker follows at its next check; nothing needs restarting.
 */
export async function reloadCommand(ctx: CliContext): Promise<number> {
  const runtime = await createRuntime(ctx.config, ctx.logger, { queue: true, env: ctx.env, reloadActor: cliActor() });
  try {
    const changes = await runtime.reloadSchedules();
    if (changes.length === 0) ctx.stdout.write('No pipeline has a schedule.\n');
    for (const c of changes) ctx.stdout.write(`${c.change.padEnd(9)} ${c.pipeline}${c.reason ? `: ${c.reason}` : ''}\n`);
    return changes.some((c) => c.change === 'kept') ? 1 : 0;
  } finally {
    await runtime.close();
  }
}
