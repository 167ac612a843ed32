import { serve, type ServerType } from '@hono/node-server';
import { AirlockError } from '../../errors.js';
import { createOidcVerifier } from '../../auth/oidc.js';
import { createApp } from '../../http/app.js';
import { AirlockMetrics, setMetrics } from '../../metrics/airlock-metrics.js';
import { CONTENT_TYPE } from '../../metrics/registry.js';
import { runReviewClock } from '../../approvals/review-clock.js';
import type { Logger } from '../../log/logger.js';
import { createMailTransport } from '../../notify/mail-sender.js';
import { OutboxWorker } from '../../notify/outbox-worker.js';
import { createRuntime, type Runtime } from '../../runtime.js';
import type { CliContext } from '../cli-context.js';
import { AIRLOCK_VERSION } from '../version.js';

/**
 * `airlock serve`: the HTTP server plus ticket workers in one process. It listens first and starts
 * workers only once the port is ours, so a taken port stops everything cleanly. Runs until SIGINT or
 * SIGTERM, then stops listening, lets in-flight jobs finish (or hands them back) and closes the store.
 */
export async function serveCommand(ctx: CliContext, options: { port: number; host: string }): Promise<number> {
  const runtime = await createRuntime(ctx.config, ctx.logger, { queue: true, env: ctx.env });
  let server: ServerType | undefined;
  let outbox: OutboxWorker | undefined;
  let reviewClock: (() => Promise<void>) | undefined;
  try {
    const queue = runtime.queue;
    const metrics = new AirlockMetrics({ db: runtime.store.db, ...(queue ? { queueDepth: () => queue.depth() } : {}) });
    setMetrics(metrics);
    const oidc = ctx.config.oidc ? createOidcVerifier(ctx.config.oidc) : undefined;
    const app = createApp({
      db: runtime.store.db,
      logger: ctx.logger,
      version: AIRLOCK_VERSION,
      queueReady: async () => queue !== undefined && (await queue.boss.isInstalled()),
      pipelinesDir: ctx.config.pipelinesDir,
      enqueue: async (trx, ticketId) => {
        if (!queue) throw new AirlockError('internal_error', 'This process has no job queue.');
        await queue.enqueue(ticketId, trx);
      },
      purge: (ticketId) => runtime.staging.purge(ticketId),
      metrics: {
        render: () => metrics.render(),
        contentType: CONTENT_TYPE,
        observeApproval: (seconds) => metrics.observeApproval(seconds),
      },
      ...(oidc ? { oidc: (token: string) => oidc.verify(token) } : {}),
      escalationSlaMinutes: ctx.config.escalationSlaMinutes,
      tokenCacheTtlMs: ctx.config.tokenCacheSeconds * 1000,
      communication: runtime.communication,
      linkSecret: runtime.linkSecret,
    });
    server = await listen(app.fetch, options);
    await runtime.startWorkers();
    outbox = new OutboxWorker({
      db: runtime.store.db,
      transport: createMailTransport(ctx.config.mail),
      from: ctx.config.mail.from,
      logger: ctx.logger,
    });
    outbox.start(2_000);
    reviewClock = startReviewClock(runtime, ctx.logger);
    ctx.logger.info({ host: options.host, port: options.port, store: runtime.store.kind }, 'airlock listening');
    const signal = await new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    ctx.logger.info({ signal }, 'stopping');
    return 0;
  } finally {
    const open = server;
    if (open) await new Promise<void>((resolve) => open.close(() => resolve()));
    await reviewClock?.();
    await outbox?.stop();
    await runtime.close();
  }
}

function listen(fetch: Parameters<typeof serve>[0]['fetch'], options: { port: number; host: string }): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port: options.port, hostname: options.host });
    server.once('listening', () => resolve(server));
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${options.host}:${options.port}`;
      reject(
        error.code === 'EADDRINUSE'
          ? new AirlockError('invalid_input', `Port ${where} is already in use; stop what listens there or choose another with --port.`)
          : new AirlockError('internal_error', `Could not listen on ${where}: ${error.code ?? error.message}.`, { cause: error }),
      );
    });
  });
}

/** Runs the review clock (reminders, expiry, SLA breaches) every 15 s until stopped; a failed pass is logged and retried. */
function startReviewClock(runtime: Runtime, logger: Logger): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running
      .then(() => runReviewClock(runtime.store.db, { ...runtime.communication, purge: (id) => runtime.staging.purge(id) }))
      .then((sweep) => {
        if (sweep.expired + sweep.reminded + sweep.widened + sweep.slaBreached > 0) logger.info(sweep, 'review clock');
      })
      .catch((error: unknown) => logger.error({ err: error }, 'review clock pass failed'));
  }, 15_000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
