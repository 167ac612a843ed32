import { serve } from '@hono/node-server';
import { createApp } from '../../http/app.js';
import { createRuntime } from '../../runtime.js';
import type { CliContext } from '../cli-context.js';
import { AIRLOCK_VERSION } from '../version.js';

/**
 * `airlock serve`: the HTTP server plus ticket workers in one process. Runs until SIGINT/SIGTERM,
 * then stops taking work, lets in-flight jobs finish (or hands them back) and closes the store.
 */
export async function serveCommand(ctx: CliContext, options: { port: number; host: string }): Promise<number> {
  const runtime = await createRuntime(ctx.config, ctx.logger, { queue: true, env: ctx.env });
  await runtime.startWorkers();
  const app = createApp({
    db: runtime.store.db,
    logger: ctx.logger,
    version: AIRLOCK_VERSION,
    queueReady: async () => runtime.queue !== undefined && (await runtime.queue.boss.isInstalled()),
  });
  const server = serve({ fetch: app.fetch, port: options.port, hostname: options.host });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  ctx.logger.info({ host: options.host, port: options.port, store: runtime.store.kind }, 'airlock listening');
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      ctx.logger.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await runtime.close();
  return 0;
}
