import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { AirlockError, coerceError } from '../errors.js';
import type { Logger } from '../log/logger.js';

export interface AppDeps {
  db: Db;
  logger: Logger;
  /** Whether the job queue is running and reachable. */
  queueReady(): Promise<boolean>;
  version: string;
}

/** The HTTP surface. For now: liveness and readiness; the API and console mount here later. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();

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

  app.notFound((c) => problem(c, new AirlockError('not_found', `No route for ${c.req.method} ${c.req.path}.`)));

  app.onError((error, c) => {
    const failure = coerceError(error);
    if (!(error instanceof AirlockError)) deps.logger.error({ err: error, path: c.req.path }, 'unhandled error');
    return problem(c, failure);
  });

  return app;
}

/** RFC 9457 problem details; `title` is the stable error code, `detail` the operator sentence. */
function problem(c: Context, failure: AirlockError): Response {
  const body = { type: 'about:blank', title: failure.code, status: failure.status, detail: failure.message };
  return c.body(JSON.stringify(body), failure.status as ContentfulStatusCode, { 'content-type': 'application/problem+json' });
}
