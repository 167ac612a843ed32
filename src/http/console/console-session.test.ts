// Sign-in, sessions, CSRF and headers of the web console, in-process over a real store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../../../test/api-harness.js';
import { consoleBrowser, csrfIn, signIn, textOf } from '../../../test/console-harness.js';
import { disableUser, setRoles } from '../../auth/user-store.js';
import { revokeToken } from '../../auth/token-store.js';
import { SESSION_IDLE_MS } from '../../auth/web-sessions.js';

let api: ApiHarness;
let aliceToken: string;

beforeAll(async () => {
  api = await createApiHarness({ pipelines: { plain: {} } });
  aliceToken = await api.user('alice', ['requester']);
});
afterAll(() => api?.close());

describe('signing in', () => {
  it('sends a signed-out browser to the sign-in page, and back to where it was going after signing in', async () => {
    const browser = consoleBrowser(api);
    const away = await browser.get('/ui/account?x=1');
    expect(away.status).toBe(303);
    expect(away.location).toBe('/ui/login?next=%2Fui%2Faccount%3Fx%3D1');
    const form = await browser.get(away.location!);
    expect(form.html).toContain('<label for="token">');
    expect(form.html).toContain('value="/ui/account?x=1"');
    browser.csrf = csrfIn(form.html);
    const signedIn = await browser.post('/ui/login', { token: aliceToken, next: '/ui/account?x=1' });
    expect(signedIn.status).toBe(303);
    expect(signedIn.location).toBe('/ui/account?x=1');
    const account = await browser.get('/ui/account');
    expect(account.status).toBe(200);
    expect(textOf(account.html)).toContain('Roles requester');
  });

  it('sets the session cookie HttpOnly, Secure, SameSite and host-only, and never keeps the API token in it', async () => {
    const browser = consoleBrowser(api);
    browser.csrf = csrfIn((await browser.get('/ui/login')).html);
    const signedIn = await browser.post('/ui/login', { token: aliceToken });
    const cookie = signedIn.headers.getSetCookie().find((line) => line.startsWith('__Host-airlock_session='));
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; Secure/i);
    expect(cookie).toMatch(/; SameSite=Lax/i);
    expect(cookie).toMatch(/; Path=\//i);
    expect(cookie).not.toMatch(/Domain=/i);
    expect(cookie).not.toContain(aliceToken);
    const stored = await api.db.selectFrom('web_sessions').select(['id_hash', 'csrf']).execute();
    const value = browser.cookies.get('__Host-airlock_session')!;
    expect(stored.map((s) => s.id_hash)).not.toContain(value);
  });

  it('refuses a bad token with 401, keeps the person on the form, and audits the failure', async () => {
    const browser = consoleBrowser(api);
    browser.csrf = csrfIn((await browser.get('/ui/login')).html);
    const refused = await browser.post('/ui/login', { token: 'alk_' + 'x'.repeat(43) });
    expect(refused.status).toBe(401);
    expect(refused.html).toContain('role="alert"');
    expect(textOf(refused.html)).toContain('That API token is not valid');
    expect(browser.cookies.has('__Host-airlock_session')).toBe(false);
    const failures = await api.db.selectFrom('audit_log').select('details').where('kind', '=', 'auth.failed').execute();
    expect(failures.some((f) => (f.details as { presented?: string }).presented === 'console sign-in form')).toBe(true);
  });

  it('refuses a sign-in posted without the form’s own token (login CSRF)', async () => {
    const browser = consoleBrowser(api);
    await browser.get('/ui/login');
    browser.csrf = 'forged';
    const refused = await browser.post('/ui/login', { token: aliceToken });
    expect(refused.status).toBe(403);
    expect(browser.cookies.has('__Host-airlock_session')).toBe(false);
  });

  it('never sends people to another site after signing in', async () => {
    for (const next of ['//evil.example/ui', 'https://evil.example/ui', '/\\evil.example', '/api/v1/tickets', '/ui/login']) {
      const browser = consoleBrowser(api);
      browser.csrf = csrfIn((await browser.get('/ui/login')).html);
      const signedIn = await browser.post('/ui/login', { token: aliceToken, next });
      expect(signedIn.location, next).toBe('/ui');
    }
  });
});

describe('sessions', () => {
  it('signs out: the cookie is cleared and the old cookie no longer opens pages', async () => {
    const browser = await signIn(api, 'alice', aliceToken);
    const stolen = browser.cookies.get('__Host-airlock_session')!;
    const out = await browser.post('/ui/logout');
    expect(out.status).toBe(303);
    expect(browser.cookies.has('__Host-airlock_session')).toBe(false);
    browser.cookies.set('__Host-airlock_session', stolen);
    expect((await browser.get('/ui/account')).status).toBe(303);
  });

  it('follows the user: new roles apply at once, and disabling the user or signing in again is needed after', async () => {
    await api.user('bob', ['requester']);
    const bobToken = (await import('../../auth/token-store.js')).createToken;
    const token = (await bobToken(api.db, 'bob')).token;
    const browser = await signIn(api, 'bob', token);
    await setRoles(api.db, 'bob', ['auditor']);
    expect(textOf((await browser.get('/ui/account')).html)).toContain('Roles auditor');
    // Revoking the token used to sign in does not end the session (it is not kept); disabling the user does.
    await revokeToken(api.db, token.slice(0, 12)).catch(() => undefined);
    await disableUser(api.db, 'bob');
    expect((await browser.get('/ui/account')).status).toBe(303);
  });

  it('ends the session a browser held when it signs in again', async () => {
    const browser = await signIn(api, 'alice', aliceToken);
    const first = browser.cookies.get('__Host-airlock_session')!;
    browser.csrf = csrfIn((await browser.get('/ui/login')).html);
    expect((await browser.post('/ui/login', { token: aliceToken })).status).toBe(303);
    const second = browser.cookies.get('__Host-airlock_session')!;
    expect(second).not.toBe(first);
    const stale = consoleBrowser(api);
    stale.cookies.set('__Host-airlock_session', first);
    expect((await stale.get('/ui/account')).status).toBe(303);
    expect((await browser.get('/ui/account')).status).toBe(200);
  });

  it('ends a session that was idle too long', async () => {
    const browser = await signIn(api, 'alice', aliceToken);
    await api.db
      .updateTable('web_sessions')
      .set({ idle_until: new Date(Date.now() - 1000) })
      .where('user_name', '=', 'alice')
      .execute();
    expect((await browser.get('/ui/account')).status).toBe(303);
    expect(SESSION_IDLE_MS).toBe(30 * 60_000);
  });
});

describe('forms', () => {
  it('refuses a post without the session’s CSRF token, or with another session’s', async () => {
    const alice = await signIn(api, 'alice', aliceToken);
    const other = await signIn(api, 'alice', aliceToken);
    expect((await alice.post('/ui/logout', { csrf: null })).status).toBe(403);
    expect((await alice.post('/ui/logout', { csrf: other.csrf })).status).toBe(403);
    expect((await alice.get('/ui/account')).status).toBe(200);
  });

  it('refuses a post from another site even with the right token', async () => {
    const alice = await signIn(api, 'alice', aliceToken);
    const crossSite = await alice.post('/ui/logout', {}, { 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    const otherOrigin = await alice.post('/ui/logout', {}, { 'sec-fetch-site': '', origin: 'https://evil.example' });
    expect(otherOrigin.status).toBe(403);
    expect((await alice.get('/ui/account')).status).toBe(200);
  });
});

describe('headers', () => {
  it('serves pages with a content security policy that allows no inline script or style, never cached', async () => {
    const alice = await signIn(api, 'alice', aliceToken);
    for (const path of ['/ui/login', '/ui/account', '/ui/nowhere']) {
      const page = await alice.get(path);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("style-src 'self'");
      expect(csp, path).not.toContain('unsafe-inline');
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).toContain("form-action 'self'");
      expect(page.headers.get('cache-control'), path).toBe('no-store');
      expect(page.html, path).not.toMatch(/<script>|<style|style="| on[a-z]+="/);
    }
  });

  it('answers an unknown console page with a 404 page, not problem+json', async () => {
    const alice = await signIn(api, 'alice', aliceToken);
    const missing = await alice.get('/ui/nowhere');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('serves the stylesheet and script with ETags', async () => {
    const browser = consoleBrowser(api);
    const css = await browser.get('/ui/assets/console.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    const again = await browser.get('/ui/assets/console.css', { 'if-none-match': css.headers.get('etag')! });
    expect(again.status).toBe(304);
  });
});
