import { recordAudit } from '../audit/audit-log.js';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { authenticateToken, hashToken } from '../auth/token-store.js';
import type { Db } from '../db/database.js';
import { AirlockError } from '../errors.js';
import type { Caller } from '../tickets/ticket-access.js';
import type { FailedAuthLimiter } from './failed-auth-limiter.js';
import { problem } from './problem.js';
import type { TokenCache } from './token-cache.js';

/** Verifies a non-Airlock bearer token (an OIDC JWT); undefined when it is not valid. */
export type ExternalVerifier = (token: string) => Promise<{ name: string; roles: Caller['roles'] } | undefined>;

export interface AuthenticateDeps {
  db: Db;
  limiter: FailedAuthLimiter;
  oidc?: ExternalVerifier | undefined;
  /** Recently verified API tokens; absent: every request looks its token up. */
  cache?: TokenCache | undefined;
}

/**
 * Resolves `Authorization: Bearer …` to a caller: an Airlock API token (`alk_…`, looked up by its hash) or,
 * when OIDC is configured, a JWT checked against the identity provider's keys. A missing or bad token is a
 * 401 problem that does not say which check failed; repeated failures from one address are refused with 429.
 */
export function authenticate(deps: AuthenticateDeps): MiddlewareHandler {
  return async (c, next) => {
    const client = clientAddress(c);
    const wait = deps.limiter.blockedFor(client);
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      return problem(c, new AirlockError('rate_limited', `Too many failed sign-ins from this address; try again in ${wait} s.`));
    }
    const header = c.req.header('authorization');
    const caller = await resolve(header, deps);
    if (!caller) {
      deps.limiter.fail(client);
      await recordAudit(deps.db, { kind: 'auth.failed', actor: 'anonymous', details: { peer: client, presented: presented(header) } });
      c.header('WWW-Authenticate', 'Bearer realm="airlock"');
      return problem(c, new AirlockError('unauthorized', 'A valid bearer token is required (Authorization: Bearer <token>).'));
    }
    c.set('caller', caller);
    await next();
  };
}

async function resolve(header: string | undefined, deps: AuthenticateDeps): Promise<Caller | undefined> {
  const match = /^Bearer ([^\s]+)$/i.exec(header?.trim() ?? '');
  const token = match?.[1];
  if (!token) return undefined;
  if (token.startsWith('alk_')) {
    const key = hashToken(token);
    const cached = deps.cache?.get(key);
    if (cached) return cached;
    const found = await authenticateToken(deps.db, token);
    if (!found) return undefined;
    const caller = { name: found.user.name, roles: found.user.roles, groups: found.user.groups };
    deps.cache?.set(key, caller, found.expiresAt);
    return caller;
  }
  if (!deps.oidc) return undefined;
  const identity = await deps.oidc(token);
  return identity ? { name: identity.name, roles: identity.roles, groups: [] } : undefined;
}

/**
 * What kind of credential a failed request presented, for the audit trail: never the credential itself, only
 * an API token's display prefix (as `airlock tokens list` shows it), which names a token without opening it.
 */
function presented(header: string | undefined): string {
  const token = /^Bearer ([^\s]+)$/i.exec(header?.trim() ?? '')?.[1];
  if (!token) return header ? 'malformed authorization header' : 'no credentials';
  if (token.startsWith('alk_')) return /^alk_[A-Za-z0-9_-]{8}/.test(token) ? `api token ${token.slice(0, 12)}…` : 'malformed api token';
  return 'bearer token (not an api token)';
}

/** The peer address of the connection (not a header a client could set). */
export function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function callerOf(c: Context): Caller {
  const caller = c.get('caller') as Caller | undefined;
  if (!caller) throw new AirlockError('internal_error', 'Route reached without authentication.');
  return caller;
}
