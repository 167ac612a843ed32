import { serve, type ServerType } from '@hono/node-server';
import { AirlockError } from '../../errors.js';
import { hkdfSync } from 'node:crypto';
import { auditKey } from '../../audit/audit-key.js';
import { createOidcLogin, type OidcLogin } from '../../auth/oidc-login.js';
import { createOidcVerifier } from '../../auth/oidc.js';
import { resolveSecret } from '../../config/secret-ref.js';
import { createApp } from '../../http/app.js';
import { AirlockMetrics, setMetrics } from '../../metrics/airlock-metrics.js';
import { CONTENT_TYPE } from '../../metrics/registry.js';
import { createRuntime } from '../../runtime.js';
import type { CliContext } from '../cli-context.js';
import { AIRLOCK_VERSION } from '../version.js';
import { startBackgroundWork, untilStopSignal } from './background-work.js';

/**
 * `airlock serve`: the HTTP server plus ticket workers and schedules in one process. It listens first and
 * starts workers only once the port is ours, so a taken port stops everything cleanly. Runs until SIGINT
 * or SIGTERM, then stops listening, lets in-flight jobs finish (or hands them back) and closes the store;
 * SIGHUP reloads the schedules.
 */
export async function serveCommand(ctx: CliContext, options: { port: number; host: string }): Promise<number> {
  const runtime = await createRuntime(ctx.config, ctx.logger, { queue: true, schedules: true, env: ctx.env });
  let server: ServerType | undefined;
  let stopBackground: (() => Promise<void>) | undefined;
  try {
    const queue = runtime.queue;
    const metrics = new AirlockMetrics({ db: runtime.store.db, ...(queue ? { queueDepth: () => queue.depth() } : {}) });
    setMetrics(metrics);
    const oidc = ctx.config.oidc ? createOidcVerifier(ctx.config.oidc) : undefined;
    const oidcLogin = browserSignIn(ctx, runtime.linkSecret);
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
      quarantine: { staging: runtime.staging, resolvePipeline: runtime.resolvePipeline },
      console: { auditKey: await auditKey(), oidcLogin },
    });
    server = await listen(app.fetch, options);
    stopBackground = await startBackgroundWork(runtime, ctx.logger);
    ctx.logger.info({ host: options.host, port: options.port, store: runtime.store.kind }, 'airlock listening');
    const signal = await untilStopSignal(runtime, ctx.logger);
    ctx.logger.info({ signal }, 'stopping');
    return 0;
  } finally {
    const open = server;
    if (open) await new Promise<void>((resolve) => open.close(() => resolve()));
    if (stopBackground) await stopBackground();
    else await runtime.close();
  }
}

/**
 * The console's "Sign in with your identity provider" (authorization code + PKCE), when AIRLOCK_OIDC_AUTHORIZATION_URL
 * and AIRLOCK_OIDC_TOKEN_URL are set. The ID token's audience is the client id, which may differ from the
 * audience API bearer tokens carry, so it gets its own verifier. The login state is sealed with a key of its own.
 */
function browserSignIn(ctx: CliContext, linkSecret: Buffer): OidcLogin | undefined {
  const login = ctx.config.oidcLogin;
  const base = ctx.config.oidc;
  if (!login || !base) return undefined;
  const verifier = createOidcVerifier({ ...base, audience: login.clientId });
  return createOidcLogin({
    config: login,
    verifier,
    redirectUri: new URL('/ui/login/oidc/callback', ctx.config.publicUrl).toString(),
    key: Buffer.from(hkdfSync('sha256', linkSecret, Buffer.alloc(0), 'airlock oidc login state', 32)),
    resolveSecret: (ref) => resolveSecret(ref, { env: ctx.env, baseDir: process.cwd() }),
  });
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
