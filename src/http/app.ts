import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { sql } from 'kysely';
import type { CommunicationContext } from '../approvals/review-task.js';
import type { Role } from '../auth/roles.js';
import type { Db } from '../db/database.js';
import { AirlockError, coerceError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { AppEnv } from './app-env.js';
import { authenticate, callerOf, type ExternalVerifier } from './authenticate.js';
import { registerDocs } from './docs.js';
import { FailedAuthLimiter } from './failed-auth-limiter.js';
import { problem } from './problem.js';
import { TokenCache } from './token-cache.js';
import { defineRoute, ROUTES } from './route-access.js';
import { loggablePath, registerLinkRoutes } from './routes/link-routes.js';
import { registerPipelineRoutes } from './routes/pipeline-routes.js';
import { registerQuarantineRoutes } from './routes/quarantine-routes.js';
import { registerTicketRoutes } from './routes/ticket-routes.js';
import { Me } from './api-schemas.js';
import { QuarantineError } from '../quarantine/quarantine-errors.js';
import type { ReleaseContext } from '../quarantine/release.js';
import type { OidcLogin } from '../auth/oidc-login.js';
import { createConsole } from './console/console-app.js';
import { CONSOLE_PAGES } from './console/console-pages.js';

export interface AppDeps {
  db: Db;
  logger: Logger;
  /** Whether the job queue is running and reachable. */
  queueReady(): Promise<boolean>;
  version: string;
  pipelinesDir: string;
  /** Enqueues a ticket's processing job inside the caller's transaction. */
  enqueue: (trx: Db, ticketId: string) => Promise<void>;
  purge: (ticketId: string) => Promise<void>;
  /** Prometheus exposition text. */
  metrics?: { render(): Promise<string>; contentType: string; observeApproval?(seconds: number): void } | undefined;
  oidc?: ExternalVerifier | undefined;
  escalationSlaMinutes?: number;
  /** Failed sign-ins per address per minute before it is refused (429). */
  authFailureLimit?: number;
  /** How long a verified API token is remembered in this process; 0 (the default here) looks it up every time. */
  tokenCacheTtlMs?: number;
  /** Link base and clock for mails (acknowledgements, escalations); absent: the API writes no mails. */
  communication?: CommunicationContext | undefined;
  /**
   * Keys the CSRF tokens of the e-mailed action links' confirmation pages (`/a/{token}`). Without it those
   * pages are not mounted (404): a link could not be checked, so none is accepted.
   */
  linkSecret?: Buffer | undefined;
  /**
   * Staging and the pipeline resolver, for releasing quarantined items (the approval writes the staged copy to
   * the pipeline's `quarantine.releaseTo`). Absent: the quarantine can be listed, but releases answer 404.
   */
  quarantine?: ReleaseContext | undefined;
  /** The web console's own settings (it is always served, under /ui). */
  console?: { auditKey?: Buffer | undefined; oidcLogin?: OidcLogin | undefined; now?: () => Date } | undefined;
}

/** Request bodies above this are refused before they are parsed. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * The HTTP surface: the versioned API under /api/v1 (bearer tokens, roles, need to know), its OpenAPI
 * document and reference, health, readiness and metrics. Every error is RFC 9457 problem+json.
 */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    // zod validation failures: a 400 problem naming each field and what is wrong with it.
    defaultHook: (result, c) => {
      if (result.success) return undefined;
      const issues = result.error.issues.map((i) => `${result.target}${i.path.length ? '.' + i.path.join('.') : ''}: ${i.message}`);
      return problem(c, new AirlockError('invalid_input', `Invalid request: ${issues.join('; ')}.`), { issues });
    },
  });
  const limiter = new FailedAuthLimiter(deps.authFailureLimit ?? 20, 60_000);
  const cache = new TokenCache(deps.tokenCacheTtlMs ?? 0);
  const guard = authenticate({ db: deps.db, limiter, oidc: deps.oidc, cache });

  app.use('*', requestId());
  app.use(
    '*',
    secureHeaders({
      // Nothing inline, nothing from elsewhere: console and link pages load one stylesheet and one script of ours.
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
    }),
  );
  // Swagger UI (the /docs reference) sets styles inline; only its pages allow that.
  app.use('/docs', relaxStylesForDocs);
  app.use('/docs/*', relaxStylesForDocs);
  app.use('*', async (c, next) => {
    // Request lines are debug-level; building them for nothing costs a busy server measurably.
    if (!deps.logger.isLevelEnabled('debug')) return next();
    const started = performance.now();
    await next();
    deps.logger.debug(
      {
        requestId: c.get('requestId'),
        method: c.req.method,
        path: loggablePath(c.req.path),
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    );
  });
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => problem(c, new AirlockError('payload_too_large', `Request bodies are limited to ${MAX_BODY_BYTES / 1024} KB.`)),
    }),
  );
  app.use('/api/*', guard);
  app.use('/metrics', guard);
  // Role-gated routes answer 403 to authenticated callers without the role; ticket routes decide themselves (404).
  for (const route of ROUTES) {
    if (route.access.kind !== 'roles') continue;
    const roles = route.access.roles;
    app.on(route.method, honoPath(route.path), async (c, next) => {
      requireRole(c, roles);
      await next();
    });
  }

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An Airlock API token (`airlock tokens create`) or, when configured, an OIDC JWT',
  });

  const enqueue = deps.enqueue;
  registerTicketRoutes(app, {
    db: deps.db,
    pipelinesDir: deps.pipelinesDir,
    enqueue,
    purge: deps.purge,
    escalationSlaMinutes: deps.escalationSlaMinutes ?? 240,
    communication: deps.communication,
    ...(deps.metrics?.observeApproval ? { onApprovalSettled: deps.metrics.observeApproval.bind(deps.metrics) } : {}),
  });
  registerPipelineRoutes(app, { db: deps.db, pipelinesDir: deps.pipelinesDir, enqueue, communication: deps.communication });
  registerQuarantineRoutes(app, { db: deps.db, release: deps.quarantine });
  if (deps.linkSecret) {
    registerLinkRoutes(app, {
      db: deps.db,
      logger: deps.logger,
      secret: deps.linkSecret,
      escalationSlaMinutes: deps.escalationSlaMinutes ?? 240,
      communication: deps.communication,
      ...(deps.communication ? { now: () => deps.communication!.clock.now() } : {}),
      enqueue,
      purge: deps.purge,
      maxBodyBytes: MAX_BODY_BYTES,
      ...(deps.metrics?.observeApproval ? { onApprovalSettled: deps.metrics.observeApproval.bind(deps.metrics) } : {}),
    });
  }
  registerSystemRoutes(app, deps);
  registerDocs(app, deps.version);
  const ui = createConsole(
    {
      db: deps.db,
      logger: deps.logger,
      pipelinesDir: deps.pipelinesDir,
      enqueue,
      purge: deps.purge,
      escalationSlaMinutes: deps.escalationSlaMinutes ?? 240,
      communication: deps.communication,
      onApprovalSettled: deps.metrics?.observeApproval?.bind(deps.metrics),
      limiter,
      auditKey: deps.console?.auditKey,
      oidcLogin: deps.console?.oidcLogin,
      quarantine: deps.quarantine,
      now: deps.console?.now ?? (() => new Date()),
    },
    CONSOLE_PAGES,
  );
  app.route('/ui', ui as unknown as OpenAPIHono<AppEnv>);
  app.get('/', (c) => c.redirect('/ui', 303));

  app.notFound((c) => problem(c, new AirlockError('not_found', `No route for ${c.req.method} ${c.req.path}.`)));
  app.onError((error, c) => {
    if (error instanceof HTTPException) {
      // Hono's own validators: malformed JSON and the like.
      const code = error.status === 413 ? 'payload_too_large' : 'invalid_input';
      const message =
        error.status === 400
          ? 'Malformed request: the body is not valid JSON.'
          : error.status === 415
            ? 'Request bodies must be JSON, sent with Content-Type: application/json.'
            : error.message;
      return problem(c, new AirlockError(code, message));
    }
    const failure = coerceError(error);
    if (!(error instanceof AirlockError))
      deps.logger.error({ err: error, path: loggablePath(c.req.path), requestId: c.get('requestId') }, 'unhandled error');
    // A quarantine refusal names its reason as the problem's code (`same_person`), under the general status.
    if (failure instanceof QuarantineError)
      return problem(c, failure, { code: failure.problem, title: failure.problem.replaceAll('_', ' ') });
    return problem(c, failure);
  });
  return app;
}

const me = defineRoute(
  {
    method: 'get',
    path: '/api/v1/me',
    summary: 'Who the token belongs to',
    tags: ['identity'],
    responses: { 200: { description: 'The caller', content: { 'application/json': { schema: Me } } } },
  },
  { kind: 'authenticated' },
);

ROUTES.push(
  { method: 'GET', path: '/healthz', access: { kind: 'public' } },
  { method: 'GET', path: '/readyz', access: { kind: 'public' } },
  { method: 'GET', path: '/metrics', access: { kind: 'roles', roles: ['operator', 'auditor', 'admin'] } },
);

function registerSystemRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  app.openapi(me, (c) => {
    const caller = callerOf(c);
    return c.json({ name: caller.name, roles: [...caller.roles], groups: [...caller.groups] }, 200);
  });

  app.get('/healthz', (c) => c.json({ status: 'ok', version: deps.version }));

  app.get('/readyz', async (c) => {
    const database = await sql`select 1`.execute(deps.db).then(
      () => true,
      () => false,
    );
    const queue = database && (await deps.queueReady().catch(() => false));
    const ready = database && queue;
    return c.json({ status: ready ? 'ready' : 'not_ready', checks: { database, queue } }, ready ? 200 : 503);
  });

  app.get('/metrics', async (c) => {
    if (!deps.metrics) throw new AirlockError('not_found', 'Metrics are not enabled in this process.');
    return c.body(await deps.metrics.render(), 200, { 'content-type': deps.metrics.contentType });
  });
}

async function relaxStylesForDocs(c: Context, next: () => Promise<void>): Promise<void> {
  await next();
  const policy = c.res.headers.get('content-security-policy');
  if (policy) c.res.headers.set('content-security-policy', policy.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"));
}

function requireRole(c: Context<AppEnv>, roles: readonly Role[]): void {
  const caller = callerOf(c);
  if (!roles.some((r) => caller.roles.includes(r))) {
    throw new AirlockError('forbidden', `${c.req.method} ${c.req.path} needs one of the roles ${roles.join(', ')}.`);
  }
}

/** `/api/v1/tickets/{id}` → `/api/v1/tickets/:id`. */
function honoPath(openApiPath: string): string {
  return openApiPath.replace(/\{(\w+)\}/g, ':$1');
}
