import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AirlockError } from '../errors.js';

export const PROBLEM_TYPE = 'application/problem+json';

/**
 * RFC 9457 problem details. `code` is the stable machine-readable error code, `title` its short form,
 * `detail` the one operator sentence; `instance` is the request path and `requestId` ties it to the logs.
 * Never content, never a secret: AirlockError messages are written that way, and anything else is reduced
 * to `internal_error` before it gets here.
 */
export function problem(c: Context, failure: AirlockError, extra: Record<string, unknown> = {}): Response {
  const body = {
    type: 'about:blank',
    title: failure.code.replaceAll('_', ' '),
    status: failure.status,
    code: failure.code,
    detail: failure.message,
    instance: c.req.path,
    requestId: c.get('requestId') as string | undefined,
    ...extra,
  };
  return c.body(JSON.stringify(body), failure.status as ContentfulStatusCode, { 'content-type': PROBLEM_TYPE });
}

export function notFound(what: string): AirlockError {
  return new AirlockError('not_found', `${what} does not exist or is not visible to you.`);
}
