import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { Role } from '../auth/roles.js';
import { PROBLEM_TYPE } from './problem.js';
import { Problem } from './api-schemas.js';

/**
 * Who may call a route.
 * - `public`: anyone (health, documentation, and the pages of e-mailed action links, whose token is the
 *   credential).
 * - `roles`: an authenticated caller holding one of `roles`; others get 403.
 * - `ticket`: an authenticated caller who may see the ticket (need to know, see ticket-access.ts); everyone
 *   else gets 404 whatever their roles, so a ticket's existence is never confirmed. The handler then checks
 *   the caller's part in the ticket for actions (403 when visible but not theirs to act on).
 */
export type Access = { kind: 'public' } | { kind: 'roles'; roles: readonly Role[] } | { kind: 'ticket' } | { kind: 'authenticated' };

export interface RouteEntry {
  method: string;
  /** OpenAPI path, `{param}` style. */
  path: string;
  access: Access;
}

/** Every route the app serves, with its access rule: the source of the role × route test matrix. */
export const ROUTES: RouteEntry[] = [];

const problem = (description: string) => ({ description, content: { [PROBLEM_TYPE]: { schema: Problem } } });

/** The error responses every authenticated route can give, documented once. */
export const ERRORS = {
  400: problem('Invalid input: malformed JSON, wrong types, unknown fields'),
  401: problem('Missing or invalid bearer token'),
  403: problem('The caller lacks the role or part this needs'),
  404: problem('No such thing, or not visible to the caller'),
  409: problem('Conflicts with the current state'),
  413: problem('Body over 64 KB'),
  429: problem('Too many failed sign-ins from this address'),
} as const;

/** `createRoute` plus an access rule, recorded in ROUTES. */
export function defineRoute<R extends RouteConfig>(config: R, access: Access): R & { getRoutingPath(): string } {
  ROUTES.push({ method: config.method.toUpperCase(), path: config.path, access });
  const security = access.kind === 'public' ? [] : [{ bearer: [] }];
  return createRoute({ ...config, security, 'x-airlock-access': describe(access) });
}

function describe(access: Access): string {
  switch (access.kind) {
    case 'public':
      return 'public';
    case 'authenticated':
      return 'any authenticated caller';
    case 'roles':
      return `roles: ${access.roles.join(', ')}`;
    case 'ticket':
      return 'ticket participants and auditors (others: 404)';
  }
}
