// "Sign in with your identity provider", end to end in-process: the console (a real createOidcLogin) against
// a local OpenID Connect provider on 127.0.0.1, over a real store. The browser's hop to the provider and back
// is a plain fetch that does not follow the provider's 302; its Location is then opened on the console.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../../../test/api-harness.js';
import { consoleBrowser, textOf, type ConsoleBrowser, type ConsolePage } from '../../../test/console-harness.js';
import { startOidcIdpServer, type OidcIdpServer } from '../../../test/servers/oidc-idp-server.js';
import { createOidcVerifier } from '../../auth/oidc.js';
import { disableUser } from '../../auth/user-store.js';
import { createOidcLogin } from '../../auth/oidc-login.js';

const CLIENT_ID = 'airlock-console';
const REDIRECT_URI = 'http://localhost/ui/login/oidc/callback';
const SESSION_COOKIE = '__Host-airlock_session';
const STATE_COOKIE = '__Host-airlock_oidc';
const XSS = '<script>alert(1)</script><img src=x onerror=alert(2)>';
const XSS_ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;';

let idp: OidcIdpServer;
let api: ApiHarness;

beforeAll(async () => {
  idp = await startOidcIdpServer({ clientId: CLIENT_ID });
  const oidcLogin = createOidcLogin({
    config: { authorizationUrl: idp.authorizationUrl, tokenUrl: idp.tokenUrl, clientId: CLIENT_ID, scopes: ['openid', 'profile', 'email'] },
    // An ID token's audience is the client id (see OidcLoginOptions.verifier).
    verifier: createOidcVerifier({
      jwksUrl: idp.jwksUrl,
      issuer: idp.issuer,
      audience: CLIENT_ID,
      rolesClaim: 'groups',
      roleMap: { 'idp-approvers': 'approver', 'idp-auditors': 'auditor' },
    }),
    redirectUri: REDIRECT_URI,
    key: randomBytes(32),
  });
  api = await createApiHarness({ pipelines: { plain: {} }, app: { console: { oidcLogin } } });
});

afterAll(async () => {
  await api?.close();
  await idp?.stop();
});

beforeEach(() => idp.reset());

/** Follows "Sign in with your identity provider": the console keeps the login state in a cookie and sends the browser on. */
async function leaveForIdp(browser: ConsoleBrowser, startPath = '/ui/login/oidc'): Promise<URL> {
  const start = await browser.get(startPath);
  expect(start.status, start.html).toBe(303);
  expect(browser.cookies.has(STATE_COOKIE)).toBe(true);
  return new URL(start.location ?? '');
}

/** The browser at the identity provider, which signs the user in at once: the console path it is sent back to. */
async function visitIdp(url: URL): Promise<string> {
  const response = await fetch(url, { redirect: 'manual' });
  expect(response.status).toBe(302);
  const back = new URL(response.headers.get('location') ?? '');
  expect(back.origin + back.pathname).toBe(REDIRECT_URI);
  return back.pathname + back.search;
}

/** The whole round trip: console → identity provider → the console's callback, whose answer is returned. */
async function signInWithIdp(browser: ConsoleBrowser, startPath?: string): Promise<ConsolePage> {
  return browser.get(await visitIdp(await leaveForIdp(browser, startPath)));
}

function withQuery(path: string, changes: Record<string, string>): string {
  const url = new URL(path, 'http://localhost');
  for (const [name, value] of Object.entries(changes)) url.searchParams.set(name, value);
  return url.pathname + url.search;
}

async function sessionCount(): Promise<number> {
  const { count } = await api.db
    .selectFrom('web_sessions')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(count);
}

async function oidcFailureCount(): Promise<number> {
  const rows = await api.db.selectFrom('audit_log').select('details').where('kind', '=', 'auth.failed').execute();
  return rows.filter((row) => row.details.presented === 'oidc sign-in').length;
}

/**
 * The callback answered with the sign-in page again, with `status` and the reason as an alert, and left the
 * browser signed out with its login state spent; no session was written, and the failure was audited.
 */
async function expectRefused(
  answer: ConsolePage,
  browser: ConsoleBrowser,
  expected: { status: 401 | 503; reason: string | RegExp; sessionsBefore: number; failuresBefore: number },
) {
  expect(answer.status, answer.html).toBe(expected.status);
  expect(answer.html).toContain('<label for="token">');
  expect(answer.html).toContain('role="alert"');
  expect(textOf(answer.html)).toMatch(expected.reason);
  expect(answer.html).not.toMatch(/<script>|<style|style="| on[a-z]+="/);
  expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
  expect(browser.cookies.has(STATE_COOKIE)).toBe(false);
  expect(await sessionCount()).toBe(expected.sessionsBefore);
  expect(await oidcFailureCount()).toBe(expected.failuresBefore + 1);
}

async function counts() {
  return { sessionsBefore: await sessionCount(), failuresBefore: await oidcFailureCount() };
}

describe('the sign-in page', () => {
  it('offers "Sign in with your identity provider", carrying next, when OIDC sign-in is configured', async () => {
    const page = await consoleBrowser(api).get('/ui/login?next=%2Fui%2Ftickets%3Fx%3D1');
    expect(page.status).toBe(200);
    expect(page.html).toContain('href="/ui/login/oidc?next=%2Fui%2Ftickets%3Fx%3D1"');
    expect(textOf(page.html)).toContain('Sign in with your identity provider');
  });

  it('offers no identity provider, and has no OIDC routes, when it is not configured', async () => {
    const browser = consoleBrowser({ app: api.buildApp({ console: {} }) });
    const page = await browser.get('/ui/login');
    expect(page.status).toBe(200);
    expect(page.html).toContain('<label for="token">');
    expect(page.html).not.toContain('/ui/login/oidc');
    expect(textOf(page.html)).not.toContain('identity provider');
    expect((await browser.get('/ui/login/oidc')).status).toBe(404);
    expect((await browser.get('/ui/login/oidc/callback?code=x&state=y')).status).toBe(404);
    expect(browser.cookies.has(STATE_COOKIE)).toBe(false);
  });
});

describe('signing in with the identity provider', () => {
  it('sends the browser to the provider with the code flow and PKCE, keeping the login state in a short-lived host cookie', async () => {
    const browser = consoleBrowser(api);
    const start = await browser.get('/ui/login/oidc?next=%2Fui%2Ftickets');
    expect(start.status).toBe(303);
    const url = new URL(start.location ?? '');
    expect(url.origin + url.pathname).toBe(idp.authorizationUrl);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      code_challenge_method: 'S256',
    });
    const cookie = start.headers.getSetCookie().find((line) => line.startsWith(`${STATE_COOKIE}=`)) ?? '';
    expect(cookie).toMatch(/; Max-Age=600/i);
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; Secure/i);
    expect(cookie).toMatch(/; SameSite=Lax/i);
    expect(cookie).toMatch(/; Path=\//i);
    expect(cookie).not.toMatch(/Domain=/i);
    // The sealed state hides what it guards.
    for (const name of ['state', 'nonce', 'code_challenge']) expect(cookie).not.toContain(url.searchParams.get(name));
    expect(cookie).not.toContain('tickets');
  });

  it('signs olivia in: session cookie set, state cookie cleared, her name and the roles her groups map to shown, stored and audited', async () => {
    idp.setClaims({ preferred_username: 'olivia', email: 'olivia@example.com', groups: ['idp-approvers', 'idp-auditors', 'everyone'] });
    const browser = consoleBrowser(api);
    const back = await signInWithIdp(browser);
    expect(back.status, back.html).toBe(303);
    expect(back.location).toBe('/ui');
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(true);
    expect(browser.cookies.has(STATE_COOKIE)).toBe(false);
    expect(idp.tokenRequests).toHaveLength(1);
    expect(idp.tokenRequests[0]?.body.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const account = await browser.get('/ui/account');
    expect(account.status, account.html).toBe(200);
    const text = textOf(account.html);
    expect(text).toContain('Name olivia');
    expect(text).toContain('Roles approver, auditor');
    expect(text).toContain('Signed in with your identity provider');
    // Her first role's home.
    expect((await browser.get('/ui')).location).toBe('/ui/approvals');

    const sessions = await api.db.selectFrom('web_sessions').selectAll().where('user_name', '=', 'olivia').execute();
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ via: 'oidc', roles: ['approver', 'auditor'], ended_at: null });
    const started = await api.db
      .selectFrom('audit_log')
      .select(['actor', 'details'])
      .where('kind', '=', 'session.started')
      .where('actor', '=', 'olivia')
      .execute();
    expect(started).toEqual([{ actor: 'olivia', details: { session: sessions[0]?.id, via: 'oidc' } }]);
  });

  it('keeps the page asked for across the round trip, from a signed-out visit to the page itself', async () => {
    idp.setClaims({ preferred_username: 'paul', groups: ['idp-approvers'] });
    const browser = consoleBrowser(api);
    const away = await browser.get('/ui/tickets?x=1');
    expect(away.location).toBe('/ui/login?next=%2Fui%2Ftickets%3Fx%3D1');
    const form = await browser.get(away.location ?? '');
    const link = /href="(\/ui\/login\/oidc\?[^"]*)"/.exec(form.html)?.[1] ?? '';
    expect(link).toBe('/ui/login/oidc?next=%2Fui%2Ftickets%3Fx%3D1');
    const back = await signInWithIdp(browser, link);
    expect(back.status, back.html).toBe(303);
    expect(back.location).toBe('/ui/tickets?x=1');
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(true);
  });

  it.each(['//evil.example/ui', 'https://evil.example/ui', '/\\evil.example', '/api/v1/tickets', '/ui/login/oidc'])(
    'returns to /ui, not to %j, after signing in',
    async (next) => {
      const browser = consoleBrowser(api);
      const back = await signInWithIdp(browser, `/ui/login/oidc?next=${encodeURIComponent(next)}`);
      expect(back.status, back.html).toBe(303);
      expect(back.location).toBe('/ui');
    },
  );
});

describe('refused sign-ins', () => {
  it('refuses a callback whose state is not the one in the cookie, and spends that login state', async () => {
    const before = await counts();
    const browser = consoleBrowser(api);
    const callback = await visitIdp(await leaveForIdp(browser));
    const forged = await browser.get(withQuery(callback, { state: randomBytes(32).toString('base64url') }));
    await expectRefused(forged, browser, { status: 401, reason: /state that does not match this browser/, ...before });
    expect(idp.tokenRequests).toHaveLength(0);
    // A state is good for one attempt: the genuine callback after that finds no login state.
    const genuine = await browser.get(callback);
    await expectRefused(genuine, browser, {
      status: 401,
      reason: /without its login state cookie/,
      sessionsBefore: before.sessionsBefore,
      failuresBefore: before.failuresBefore + 1,
    });
  });

  it('refuses a callback that arrives without the state cookie (another browser, or cookies off)', async () => {
    const before = await counts();
    const browser = consoleBrowser(api);
    const callback = await visitIdp(await leaveForIdp(browser));
    browser.cookies.delete(STATE_COOKIE);
    await expectRefused(await browser.get(callback), browser, { status: 401, reason: /without its login state cookie/, ...before });
    expect(idp.tokenRequests).toHaveLength(0);
  });

  it('signs nobody in a second time from a replayed callback, even with its state cookie', async () => {
    const browser = consoleBrowser(api);
    const callback = await visitIdp(await leaveForIdp(browser));
    const stateCookie = browser.cookies.get(STATE_COOKIE) ?? '';
    expect((await browser.get(callback)).status).toBe(303);
    const before = await counts();
    const thief = consoleBrowser(api);
    thief.cookies.set(STATE_COOKIE, stateCookie);
    await expectRefused(await thief.get(callback), thief, {
      status: 401,
      reason: /refused the authorization code \(HTTP 400 invalid_grant\)/,
      ...before,
    });
  });

  it('refuses when the identity provider answers access_denied, saying so', async () => {
    idp.deny({ error: 'access_denied', description: 'User is not assigned to this application' });
    const before = await counts();
    const browser = consoleBrowser(api);
    const answer = await signInWithIdp(browser);
    await expectRefused(answer, browser, {
      status: 401,
      reason: 'The identity provider refused the sign-in (access_denied: "User is not assigned to this application")',
      ...before,
    });
    expect(idp.tokenRequests).toHaveLength(0);
  });

  it('answers 503 when the token endpoint fails or the provider is temporarily unavailable', async () => {
    for (const make of [() => idp.failTokenEndpoint('server-error'), () => idp.deny({ error: 'temporarily_unavailable' })]) {
      idp.reset();
      make();
      const before = await counts();
      const browser = consoleBrowser(api);
      await expectRefused(await signInWithIdp(browser), browser, {
        status: 503,
        reason: /token endpoint at .* answered HTTP 500|could not complete the sign-in \(temporarily_unavailable\)/,
        ...before,
      });
    }
  });

  it('refuses an ID token the console cannot trust: another sign-in’s nonce, or a user name that is not one', async () => {
    for (const claims of [{ nonce: randomBytes(32).toString('base64url') }, { preferred_username: XSS }]) {
      idp.setClaims(claims);
      const before = await counts();
      const browser = consoleBrowser(api);
      await expectRefused(await signInWithIdp(browser), browser, { status: 401, reason: /nonce|did not verify/, ...before });
    }
  });

  it('shows a hostile error_description escaped, never as markup', async () => {
    idp.deny({ error: 'access_denied', description: XSS });
    const before = await counts();
    const browser = consoleBrowser(api);
    const answer = await signInWithIdp(browser);
    await expectRefused(answer, browser, { status: 401, reason: `(access_denied: "${XSS}")`, ...before });
    expect(answer.html).toContain(XSS_ESCAPED);
    expect(answer.html).not.toContain('<script>alert(1)');
    expect(answer.html).not.toContain('<img src=x');
  });

  it('does not repeat a hostile error code at all', async () => {
    idp.deny({ error: XSS, description: 'x' });
    const before = await counts();
    const browser = consoleBrowser(api);
    const answer = await signInWithIdp(browser);
    await expectRefused(answer, browser, {
      status: 401,
      reason: 'The identity provider refused the sign-in (an unrecognised error',
      ...before,
    });
    expect(answer.html).not.toContain('alert(');
  });

  // startSession refuses a disabled user before writing anything (found by this test: it used to write first).
  it('refuses a user disabled in Airlock with 401, writing no session and no session.started record', async () => {
    await api.user('dora', ['requester']);
    await disableUser(api.db, 'dora');
    idp.setClaims({ preferred_username: 'dora' });
    const before = await counts();
    const browser = consoleBrowser(api);
    await expectRefused(await signInWithIdp(browser), browser, { status: 401, reason: /disabled/, ...before });
    const started = await api.db
      .selectFrom('audit_log')
      .select('kind')
      .where('kind', '=', 'session.started')
      .where('actor', '=', 'dora')
      .execute();
    expect(started).toEqual([]);
  });
});
