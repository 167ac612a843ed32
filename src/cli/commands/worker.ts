import { utimes, writeFile } from 'node:fs/promises';
import type { Logger } from '../../log/logger.js';
import { createRuntime } from '../../runtime.js';
import type { CliContext } from '../cli-context.js';
import { startBackgroundWork, untilStopSignal } from './background-work.js';

/** Where the worker proves it is alive for container health checks (`docker/healthcheck.mjs worker`). */
const DEFAULT_HEARTBEAT_FILE = '/tmp/airlock-worker.heartbeat';

/**
 * `airlock worker`: ticket workers, schedules, the outbox and the review clock, without HTTP. Any number of
 * workers on any number of machines share one PostgreSQL (and a shared S3 staging bucket); pg-boss gives
 * each ticket's job to one of them at a time. SIGTERM stops taking work, lets running tickets finish for
 * AIRLOCK_SHUTDOWN_GRACE_SECONDS and hands the rest back to the queue; SIGHUP reloads the schedules.
 */
export async function workerCommand(ctx: CliContext, options: { concurrency: number | undefined }): Promise<number> {
  const config = options.concurrency === undefined ? ctx.config : { ...ctx.config, workerConcurrency: options.concurrency };
  const runtime = await createRuntime(config, ctx.logger, { queue: true, schedules: true, env: ctx.env });
  let stopBackground: (() => Promise<void>) | undefined;
  let stopHeartbeat: (() => void) | undefined;
  try {
    stopBackground = await startBackgroundWork(runtime, ctx.logger);
    stopHeartbeat = startHeartbeat(ctx.env.AIRLOCK_WORKER_HEARTBEAT_FILE ?? DEFAULT_HEARTBEAT_FILE, ctx.logger);
    if (runtime.store.kind === 'embedded') {
      ctx.logger.warn('the embedded store serves one process; to run several workers point DATABASE_URL at PostgreSQL');
    }
    ctx.logger.info({ pid: process.pid, concurrency: config.workerConcurrency, store: runtime.store.kind }, 'airlock worker started');
    const signal = await untilStopSignal(runtime, ctx.logger);
    ctx.logger.info({ signal, graceSeconds: config.shutdownGraceSeconds }, 'stopping: finishing or handing back running tickets');
    return 0;
  } finally {
    stopHeartbeat?.();
    if (stopBackground) await stopBackground();
    else await runtime.close();
  }
}

/** Touches `file` every 10 s while the worker runs; a write error is logged once, never fatal. */
function startHeartbeat(file: string, logger: Logger): () => void {
  let warned = false;
  const beat = () => {
    const now = new Date();
    utimes(file, now, now)
      .catch(() => writeFile(file, '', { mode: 0o600 }))
      .catch((error: unknown) => {
        if (!warned) logger.warn({ err: error, file }, 'cannot write the heartbeat file');
        warned = true;
      });
  };
  beat();
  const timer = setInterval(beat, 10_000);
  timer.unref();
  return () => clearInterval(timer);
}
