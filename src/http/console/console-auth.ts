import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { Role } from '../../auth/roles.js';
import { csrfMatches, resolveSession, SESSION_MAX_MS, type WebSession } from '../../auth/web-sessions.js';
import type { Db } from '../../db/database.js';
import { AirlockError } from '../../errors.js';
import type { ConsoleEnv } from './console-env.js';
import { readForm } from './respond.js';

/**
 * The session cookie: `__Host-` (Secure, path /, no Domain: no other host or path can set or read it),
 * HttpOnly (no script reads it), SameSite=Lax (sent when a person follows a link from an e-mail to a
 * console page; every state change is a POST that also needs the form's CSRF token and a same-origin request).
 */
const SESSION_COOKIE = 'airlock_session';

export function setSessionCookie(c: Context, value: string): void {
  setCookie(c, SESSION_COOKIE, value, {
    prefix: 'host',
    httpOnly: true,
    secure: true,
    sameSite: 'Lax',
    path: '/',
    maxAge: Math.floor(SESSION_MAX_MS / 1000),
  });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { prefix: 'host', secure: true, path: '/' });
}

export function sessionCookieOf(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE, 'host');
}

/**
 * Pages behind sign-in. Without a live session a GET goes to the sign-in page, which comes back here after;
 * any other method is refused (what it carried is not replayed after signing in).
 */
export function requireSession(db: Db, now: () => Date): MiddlewareHandler<ConsoleEnv> {
  return createMiddleware<ConsoleEnv>(async function requireSession(c, next) {
    const session = await resolveSession(db, sessionCookieOf(c), now());
    if (!session) {
      if (c.req.method === 'GET' || c.req.method === 'HEAD') {
        const url = new URL(c.req.url);
        return c.redirect(`/ui/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
      }
      throw new AirlockError('unauthorized', 'Your session has ended; sign in again and repeat what you were doing.');
    }
    c.set('session', session);
    c.set('caller', session.caller);
    await next();
  });
}

/**
 * Every state-changing request must come from a console page: same origin (Sec-Fetch-Site, else Origin) and
 * the session's CSRF token in the form. A request from another site is refused even with the right token.
 */
export function requireCsrf(): MiddlewareHandler<ConsoleEnv> {
  return createMiddleware<ConsoleEnv>(async function requireCsrf(c, next) {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    if (!sameOrigin(c))
      throw new AirlockError('forbidden', 'This form was sent from another site; open the page in Airlock and send it from there.');
    const form = await readForm(c);
    if (!csrfMatches(c.get('session'), form.csrf)) {
      throw new AirlockError(
        'forbidden',
        'This form is out of date (its security token does not match your session); reload the page and try again.',
      );
    }
    await next();
  });
}

/** Pages for some roles only: others get a 403 page that names the roles. */
export function requireRole(...roles: Role[]): MiddlewareHandler<ConsoleEnv> {
  return createMiddleware<ConsoleEnv>(async function requireRole(c, next) {
    const caller = c.get('caller');
    if (!roles.some((role) => caller.roles.includes(role))) {
      throw new AirlockError('forbidden', `This page is for the roles ${roles.join(', ')}; you hold ${caller.roles.join(', ') || 'none'}.`);
    }
    await next();
  });
}

/**
 * Whether the request came from our own pages. Browsers send `Sec-Fetch-Site`; older ones at least `Origin` on
 * a POST, compared by host (a proxy in front may terminate TLS, so the scheme seen here can differ).
 */
export function sameOrigin(c: Context): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined) return site === 'same-origin';
  const origin = c.req.header('origin');
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === (c.req.header('host') ?? new URL(c.req.url).host);
  } catch {
    return false;
  }
}

export type { WebSession };
