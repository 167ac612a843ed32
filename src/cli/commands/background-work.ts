import { runReviewClock } from '../../approvals/review-clock.js';
import type { Logger } from '../../log/logger.js';
import { createMailTransport } from '../../notify/mail-sender.js';
import { OutboxWorker } from '../../notify/outbox-worker.js';
import type { Runtime } from '../../runtime.js';
import { pruneSessions } from '../../auth/web-sessions.js';
import { sweepOrphanedStaging } from '../../engine/sweep-staging.js';
import { sealAudit } from '../../audit/audit-log.js';
import { purgeExpiredQuarantine } from '../../quarantine/expire.js';
import { checkpointIfDue } from '../../audit/checkpoint.js';
import { SiemPusher } from '../../audit/siem-push.js';

/**
 * What every long-running process (`serve`, `worker`) does besides answering requests: ticket workers and
 * schedules, the mail outbox, the review clock, the sweep of orphaned staging, the daily audit checkpoint and
 * the SIEM push. Every part is safe to run in several processes at once (jobs, mails and SIEM batches are
 * claimed with row locks, the review clock locks each ticket it changes, checkpoints decide under the audit lock).
 * Returns the function that stops them all, letting in-flight work finish or handing it back.
 */
export async function startBackgroundWork(runtime: Runtime, logger: Logger): Promise<() => Promise<void>> {
  await runtime.startWorkers();
  const outbox = new OutboxWorker({
    db: runtime.store.db,
    transport: createMailTransport(runtime.config.mail),
    from: runtime.config.mail.from,
    logger,
  });
  outbox.start(2_000);
  const stopReviewClock = every(15_000, logger, 'review clock', async () => {
    const sweep = await runReviewClock(runtime.store.db, { ...runtime.communication, purge: (id) => runtime.staging.purge(id) });
    if (sweep.expired + sweep.reminded + sweep.widened + sweep.slaBreached > 0) logger.info(sweep, 'review clock');
  });
  // Staging left by a worker killed between a ticket's last transition and its purge: at start, then hourly.
  const stopSweeper = every(3_600_000, logger, 'staging sweep', () => sweepOrphanedStaging(runtime.store.db, runtime.staging, logger), {
    now: true,
  });
  // Quarantined items past their time are purged (hourly; `until` was fixed when each was blocked).
  const stopQuarantine = every(3_600_000, logger, 'quarantine expiry', () => purgeExpiredQuarantine(runtime.store.db, runtime.staging), {
    now: true,
  });
  // Console sessions that ended or expired a day ago are deleted (the audit log keeps their start and end).
  const stopSessionPrune = every(3_600_000, logger, 'session prune', () => pruneSessions(runtime.store.db), { now: true });
  // Records written in ticket transactions join the hash chain here, every second, one process at a time.
  const stopSealer = every(1_000, logger, 'audit seal', () => sealAudit(runtime.store.db, { wait: false }));
  // The audit chain's head, checkpointed daily (in the log, in the checkpoint file, and so to the SIEM).
  const stopCheckpoints = every(
    3_600_000,
    logger,
    'audit checkpoint',
    () => checkpointIfDue(runtime.store.db, { file: runtime.config.auditCheckpointFile, actor: 'system' }),
    { now: true },
  );
  const siemConfig = runtime.config.siem;
  const siem = siemConfig ? new SiemPusher({ store: runtime.store, ...siemConfig, logger }) : undefined;
  siem?.start(5_000);
  return async () => {
    await siem?.stop();
    await stopCheckpoints();
    await stopSealer();
    await stopQuarantine();
    await stopSessionPrune();
    await stopSweeper();
    await stopReviewClock();
    await outbox.stop();
    await runtime.close();
  };
}

/**
 * Resolves with the signal that asks the process to stop (SIGINT, SIGTERM). SIGHUP meanwhile reloads the
 * pipeline schedules without stopping anything.
 */
export function untilStopSignal(runtime: Runtime, logger: Logger): Promise<string> {
  const reload = () => {
    runtime
      .reloadSchedules()
      .then((changes) => logger.info({ schedules: changes.map((c) => `${c.pipeline}: ${c.change}`) }, 'reloaded on SIGHUP'))
      .catch((error: unknown) => logger.error({ err: error }, 'reload on SIGHUP failed'));
  };
  process.on('SIGHUP', reload);
  return new Promise<string>((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGHUP', reload);
      resolve(signal);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

/**
 * Runs `task` every `intervalMs` (and once at once with `now`), one pass at a time, until stopped; a failed
 * pass is logged and the next one runs as usual. The returned function stops it and waits for a running pass.
 */
function every(
  intervalMs: number,
  logger: Logger,
  name: string,
  task: () => Promise<unknown>,
  options: { now?: boolean } = {},
): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  const run = () => {
    running = running.then(task).catch((error: unknown) => logger.error({ err: error }, `${name} pass failed`));
  };
  if (options.now) run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
