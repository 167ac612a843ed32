import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { recordAudit } from '../../audit/audit-log.js';
import { DEFAULT_NEXT_PATH, safeNextPath } from '../../auth/oidc-login.js';
import { authenticateToken } from '../../auth/token-store.js';
import { endSession, resolveSession, startSession } from '../../auth/web-sessions.js';
import { AirlockError } from '../../errors.js';
import { clientAddress } from '../authenticate.js';
import type { ConsoleDeps } from './console-deps.js';
import type { ConsoleApp } from './console-env.js';
import { clearSessionCookie, requireCsrf, requireSession, sameOrigin, sessionCookieOf, setSessionCookie } from './console-auth.js';
import { page, readForm, seeOther } from './respond.js';

/** Double-submit token of the sign-in form (there is no session yet to hold one). */
const LOGIN_COOKIE = 'airlock_login';
/** The sealed OIDC login state between leaving for the identity provider and coming back. */
const OIDC_COOKIE = 'airlock_oidc';

/**
 * Sign-in and sign-out. An API token typed into the sign-in form proves who someone is once; from then on
 * the browser holds only a session cookie (the token is not kept). With OIDC configured, "Sign in with your
 * identity provider" runs the authorization code flow with PKCE.
 */
export function registerLoginRoutes(ui: ConsoleApp, deps: ConsoleDeps): void {
  ui.get('/login', (c) => loginPage(c, deps));

  ui.post('/login', async (c) => {
    const form = await readForm(c);
    const expected = getCookie(c, LOGIN_COOKIE, 'host');
    if (!sameOrigin(c) || !expected || !equal(expected, form.csrf ?? '')) {
      return loginPage(c, deps, { status: 403, error: 'The sign-in form was out of date; it has been reloaded, please try again.' });
    }
    const peer = clientAddress(c);
    const wait = deps.limiter.blockedFor(peer);
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      return loginPage(c, deps, { status: 429, error: `Too many failed sign-ins from this address; try again in ${wait} s.` });
    }
    const token = (form.token ?? '').trim();
    const found = token === '' ? undefined : await authenticateToken(deps.db, token, deps.now());
    if (!found) {
      deps.limiter.fail(peer);
      await recordAudit(deps.db, { kind: 'auth.failed', actor: 'anonymous', details: { peer, presented: 'console sign-in form' } });
      return loginPage(c, deps, {
        status: 401,
        error: 'That API token is not valid (unknown, expired, revoked, or its user is disabled).',
      });
    }
    await endPreviousSession(c, deps);
    const started = await startSession(deps.db, { name: found.user.name, via: 'token' }, deps.now());
    setSessionCookie(c, started.cookie);
    deleteCookie(c, LOGIN_COOKIE, { prefix: 'host', secure: true, path: '/' });
    return seeOther(c, safeNext(form.next));
  });

  ui.get('/login/oidc', (c) => {
    if (!deps.oidcLogin) throw new AirlockError('not_found', 'Sign-in with an identity provider is not configured here.');
    const { url, stateCookie } = deps.oidcLogin.begin(safeNext(c.req.query('next')));
    setCookie(c, OIDC_COOKIE, stateCookie, { prefix: 'host', httpOnly: true, secure: true, sameSite: 'Lax', path: '/', maxAge: 600 });
    return c.redirect(url, 303);
  });

  ui.get('/login/oidc/callback', async (c) => {
    if (!deps.oidcLogin) throw new AirlockError('not_found', 'Sign-in with an identity provider is not configured here.');
    const saved = getCookie(c, OIDC_COOKIE, 'host');
    deleteCookie(c, OIDC_COOKIE, { prefix: 'host', secure: true, path: '/' });
    try {
      const { identity, next } = await deps.oidcLogin.finish(c.req.query(), saved);
      await endPreviousSession(c, deps);
      const started = await startSession(deps.db, { name: identity.name, via: 'oidc', roles: identity.roles }, deps.now());
      setSessionCookie(c, started.cookie);
      deleteCookie(c, LOGIN_COOKIE, { prefix: 'host', secure: true, path: '/' });
      return seeOther(c, next);
    } catch (error) {
      if (!(error instanceof AirlockError)) throw error;
      const details = { peer: clientAddress(c), presented: 'oidc sign-in', code: error.code };
      await recordAudit(deps.db, { kind: 'auth.failed', actor: 'anonymous', details });
      return loginPage(c, deps, { status: error.status === 503 ? 503 : 401, error: error.message });
    }
  });

  ui.post('/logout', requireSession(deps.db, deps.now), requireCsrf(), async (c) => {
    await endSession(deps.db, c.get('session'), deps.now());
    clearSessionCookie(c);
    return seeOther(c, '/ui/login?signed_out=1');
  });
}

/** Signing in again (as someone else, say) ends the session this browser held: one browser, one session. */
async function endPreviousSession(c: Context, deps: ConsoleDeps): Promise<void> {
  const previous = await resolveSession(deps.db, sessionCookieOf(c), deps.now());
  if (previous) await endSession(deps.db, previous, deps.now());
}

function loginPage(c: Context, deps: ConsoleDeps, options: { status?: 401 | 403 | 429 | 503; error?: string } = {}) {
  const csrf = randomBytes(32).toString('base64url');
  setCookie(c, LOGIN_COOKIE, csrf, { prefix: 'host', httpOnly: true, secure: true, sameSite: 'Strict', path: '/', maxAge: 3600 });
  const next = safeNext(c.req.query('next') ?? undefined);
  const signedOut = c.req.query('signed_out') === '1';
  return page(
    c,
    'Sign in',
    <section class="narrow">
      <h1>Sign in to Airlock</h1>
      <form method="post" action="/ui/login">
        <input type="hidden" name="csrf" value={csrf} />
        <input type="hidden" name="next" value={next} />
        <label for="token">
          API token
          <span class="hint">
            Create one with `airlock tokens create &lt;your name&gt;`. It is checked once and not kept by your browser.
          </span>
        </label>
        <input id="token" name="token" type="password" autocomplete="off" spellcheck={false} required />
        <div class="buttons">
          <button type="submit">Sign in</button>
        </div>
      </form>
      {deps.oidcLogin && (
        <p>
          <a class="button secondary" href={`/ui/login/oidc?next=${encodeURIComponent(next)}`}>
            Sign in with your identity provider
          </a>
        </p>
      )}
    </section>,
    { status: options.status ?? 200, error: options.error, notice: signedOut ? 'You are signed out.' : undefined },
  );
}

/** Where to go after signing in: a console path of ours (never another site), and never back to sign-in. */
function safeNext(next: string | undefined): string {
  const path = safeNextPath(next);
  return path.startsWith('/ui/login') ? DEFAULT_NEXT_PATH : path;
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
