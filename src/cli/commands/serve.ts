import { serve, type ServerType } from '@hono/node-server';
import { AirlockError } from '../../errors.js';
import { createApp } from '../../http/app.js';
import { createRuntime } from '../../runtime.js';
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
  try {
    const app = createApp({
      db: runtime.store.db,
      logger: ctx.logger,
      version: AIRLOCK_VERSION,
      queueReady: async () => runtime.queue !== undefined && (await runtime.queue.boss.isInstalled()),
    });
    server = await listen(app.fetch, options);
    await runtime.startWorkers();
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
