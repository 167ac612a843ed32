import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startOidcIdpServer, type OidcIdpServer } from '../../test/servers/oidc-idp-server.js';
import { resolveSecret } from '../config/secret-ref.js';
import { createOidcVerifier, type OidcConfig } from './oidc.js';
import { createOidcLogin, safeNextPath, type OidcCallbackQuery, type OidcLogin, type OidcLoginOptions } from './oidc-login.js';
import type { OidcLoginConfig } from './oidc-login-config.js';

const ISSUER = 'https://idp.example.com/realms/airlock';
const CLIENT_ID = 'airlock-console';
const REDIRECT_URI = 'https://airlock.example.com/ui/auth/callback';
const KEY = randomBytes(32);

/**
 * The local identity provider (see test/servers/oidc-idp-server.ts), reset before each test. It checks what a
 * real one checks: the code it issued (once), the redirect URI and client id it was issued for, the PKCE
 * verifier against the challenge, and the client's Basic credentials when it has a secret.
 */
let idp: OidcIdpServer;
let baseUrl: string;

beforeAll(async () => {
  idp = await startOidcIdpServer({ issuer: ISSUER, clientId: CLIENT_ID });
  baseUrl = idp.baseUrl;
});

afterAll(() => idp?.stop());

beforeEach(() => idp.reset());

function verifierConfig(overrides: Partial<OidcConfig> = {}): OidcConfig {
  return {
    jwksUrl: `${baseUrl}/certs`,
    issuer: ISSUER,
    audience: CLIENT_ID,
    rolesClaim: 'groups',
    roleMap: { 'idp-approvers': 'approver' },
    ...overrides,
  };
}

function login(options: Partial<OidcLoginOptions> = {}, config: Partial<OidcLoginConfig> = {}): OidcLogin {
  return createOidcLogin({
    config: {
      authorizationUrl: `${baseUrl}/authorize?tenant=acme`,
      tokenUrl: `${baseUrl}/token`,
      clientId: CLIENT_ID,
      scopes: ['openid', 'profile', 'email'],
      ...config,
    },
    verifier: createOidcVerifier(verifierConfig()),
    redirectUri: REDIRECT_URI,
    key: KEY,
    ...options,
  });
}

/** What a browser does between begin and finish: follows the URL to the identity provider and comes back. */
async function visitIdp(url: string): Promise<OidcCallbackQuery> {
  const response = await fetch(url, { redirect: 'manual' });
  expect(response.status).toBe(302);
  const back = new URL(response.headers.get('location') ?? '');
  expect(back.origin + back.pathname).toBe(REDIRECT_URI);
  return Object.fromEntries(back.searchParams);
}

async function signIn(flow: OidcLogin, next = '/ui/tickets/42?tab=items') {
  const { url, stateCookie } = flow.begin(next);
  return { url, stateCookie, query: await visitIdp(url) };
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; status: number; retryable: boolean; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toMatchObject({ name: 'AirlockError' });
  return error as { code: string; status: number; retryable: boolean; message: string };
}

describe('createOidcLogin', () => {
  it('sends the browser to the authorization endpoint with the code flow, PKCE S256, state and nonce, keeping its own query', () => {
    const flow = login();
    const first = new URL(flow.begin('/ui').url);
    const second = new URL(flow.begin('/ui').url);
    expect(first.origin + first.pathname).toBe(`${baseUrl}/authorize`);
    expect(Object.fromEntries(first.searchParams)).toMatchObject({
      tenant: 'acme',
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile email',
      code_challenge_method: 'S256',
    });
    for (const name of ['state', 'nonce', 'code_challenge']) {
      expect(first.searchParams.get(name), name).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(first.searchParams.get(name), name).not.toBe(second.searchParams.get(name));
    }
  });

  it('signs alice in: the code is traded with its PKCE verifier, and roles and name come out as the bearer verifier maps them', async () => {
    const flow = login();
    const { stateCookie, query } = await signIn(flow);
    expect(await flow.finish(query, stateCookie)).toEqual({
      identity: { name: 'alice', email: 'alice@example.com', roles: ['approver'], subject: idp.subject },
      next: '/ui/tickets/42?tab=items',
    });
    const [request] = idp.tokenRequests;
    expect(Object.fromEntries(request?.body ?? [])).toEqual({
      grant_type: 'authorization_code',
      code: query.code,
      redirect_uri: REDIRECT_URI,
      client_id: CLIENT_ID,
      code_verifier: expect.stringMatching(/^[A-Za-z0-9_-]{43,128}$/) as unknown,
    });
    expect(request?.authorization).toBeUndefined();
  });

  it('keeps the login state unreadable in its cookie', async () => {
    const { stateCookie, url } = await signIn(login(), '/ui/tickets/secret-ticket');
    const shown = new URL(url).searchParams;
    const decoded = Buffer.from(stateCookie.slice(3), 'base64url').toString('latin1');
    for (const text of [shown.get('state'), shown.get('nonce'), 'secret-ticket', 'expiresAt']) {
      expect(stateCookie).not.toContain(text);
      expect(decoded).not.toContain(text);
    }
  });

  it('refuses a code the identity provider bound to another PKCE challenge (an injected code)', async () => {
    const flow = login();
    const victim = new URL(flow.begin('/ui').url);
    const attacker = flow.begin('/ui');
    // The attacker's own state, but the code was obtained for the victim's challenge.
    const forged = new URL(attacker.url);
    forged.searchParams.set('code_challenge', victim.searchParams.get('code_challenge') ?? '');
    const query = await visitIdp(forged.href);
    const error = await failure(flow.finish(query, attacker.stateCookie));
    expect(error).toMatchObject({ code: 'unauthorized', status: 401 });
    expect(error.message).toBe(
      `The identity provider's token endpoint at ${baseUrl}/token refused the authorization code (HTTP 400 invalid_grant); start again from the sign-in page.`,
    );
    expect(error.message).not.toContain(query.code);
  });

  it('refuses a callback whose state is not the one in the cookie, without calling the token endpoint', async () => {
    const flow = login();
    const { stateCookie, query } = await signIn(flow);
    const other = await signIn(flow);
    for (const state of [other.query.state, undefined, '', `${query.state}x`]) {
      const error = await failure(flow.finish({ ...query, state }, stateCookie));
      expect(error.code, String(state)).toBe('unauthorized');
      expect(error.message).toMatch(/state that does not match this browser/);
    }
    expect(idp.tokenRequests).toHaveLength(0);
  });

  it('refuses a missing, altered or foreign state cookie, without calling the token endpoint', async () => {
    const flow = login();
    const { stateCookie, query } = await signIn(flow);
    const flipped = stateCookie.slice(0, 20) + (stateCookie[20] === 'A' ? 'B' : 'A') + stateCookie.slice(21);
    const foreign = (await signIn(login({ key: randomBytes(32) }))).stateCookie;
    for (const cookie of [flipped, foreign, stateCookie.slice(0, -4), 'v1.AAAA', 'garbage', `${stateCookie}.x`, 'x'.repeat(10_000)]) {
      const error = await failure(flow.finish(query, cookie));
      expect(error.code).toBe('unauthorized');
      expect(error.message).toBe('The sign-in came back with an invalid login state cookie; start again from the sign-in page.');
    }
    for (const cookie of [undefined, ''])
      expect((await failure(flow.finish(query, cookie))).message).toMatch(/without its login state cookie/);
    expect(idp.tokenRequests).toHaveLength(0);
  });

  it('refuses a callback ten minutes after the sign-in began, by the injected clock', async () => {
    let now = new Date('2030-01-01T09:00:00Z').getTime();
    const flow = login({ now: () => new Date(now) });
    const late = await signIn(flow);
    const inTime = await signIn(flow);
    now += 10 * 60_000 - 1000;
    expect((await flow.finish(inTime.query, inTime.stateCookie)).identity.name).toBe('alice');
    now += 1000;
    const error = await failure(flow.finish(late.query, late.stateCookie));
    expect(error).toMatchObject({
      code: 'unauthorized',
      message: 'The sign-in took longer than 10 minutes; start again from the sign-in page.',
    });
  });

  it("refuses an ID token that carries another sign-in's nonce", async () => {
    idp.setClaims({ nonce: randomBytes(32).toString('base64url') });
    const flow = login();
    const { stateCookie, query } = await signIn(flow);
    const error = await failure(flow.finish(query, stateCookie));
    expect(error).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/does not carry this sign-in's nonce/) as unknown });
  });

  it('refuses an ID token the verifier rejects, such as one whose audience is not the client id', async () => {
    const flow = login({ verifier: createOidcVerifier(verifierConfig({ audience: 'airlock-api' })) });
    const { stateCookie, query } = await signIn(flow);
    const error = await failure(flow.finish(query, stateCookie));
    expect(error).toMatchObject({
      code: 'unauthorized',
      message: expect.stringMatching(/ID token did not verify .*audience airlock-console/) as unknown,
    });
  });

  it("reports the identity provider's refusal as a plain sentence, its description cut to 200 safe characters", async () => {
    idp.deny({ error: 'access_denied', description: `User <b>mallory</b> said "no"\r\nSet-Cookie: x=1 ${'z'.repeat(400)}` });
    const flow = login();
    const { stateCookie, query } = await signIn(flow);
    const error = await failure(flow.finish(query, stateCookie));
    expect(error.code).toBe('unauthorized');
    const description = 'User <b>mallory</b> said noSet-Cookie: x=1 ' + 'z'.repeat(400);
    expect(error.message).toBe(
      `The identity provider refused the sign-in (access_denied: "${description.slice(0, 200)}"); try again, or ask an administrator for access.`,
    );
    expect(idp.tokenRequests).toHaveLength(0);

    const odd = await failure(flow.finish({ state: query.state, error: '<img src=x onerror=alert(1)>' }, stateCookie));
    expect(odd.message).toBe(
      'The identity provider refused the sign-in (an unrecognised error); try again, or ask an administrator for access.',
    );
    const down = await failure(flow.finish({ state: query.state, error: 'temporarily_unavailable' }, stateCookie));
    expect(down).toMatchObject({ code: 'identity_provider_unreachable', status: 503 });
    // A forged link cannot make Airlock repeat its text: the state is checked first.
    const forged = await failure(flow.finish({ state: 'forged', error: 'access_denied', error_description: 'call 555-0100' }, stateCookie));
    expect(forged.message).not.toContain('555');
  });

  it('answers identity_provider_unreachable (503, retryable) when the token endpoint fails, redirects or answers unreadably', async () => {
    for (const mode of ['server-error', 'redirect', 'html'] as const) {
      idp.failTokenEndpoint(mode);
      const flow = login();
      const { stateCookie, query } = await signIn(flow);
      const error = await failure(flow.finish(query, stateCookie));
      expect(error, mode).toMatchObject({ code: 'identity_provider_unreachable', status: 503, retryable: true });
      expect(error.message).toMatch(new RegExp(`^The identity provider's token endpoint at ${baseUrl}/token answered HTTP \\d+`));
      expect(error.message).not.toContain(query.code);
      expect(error.message).not.toContain('upstream');
    }
  });

  it('answers identity_provider_unreachable when nothing listens at the token endpoint', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const flow = login({}, { tokenUrl: `http://127.0.0.1:${port}/token?tenant=acme` });
    const { stateCookie, query } = await signIn(flow);
    const error = await failure(flow.finish(query, stateCookie));
    expect(error).toMatchObject({ code: 'identity_provider_unreachable', retryable: true });
    expect(error.message).toBe(
      `Could not reach the identity provider's token endpoint at http://127.0.0.1:${port}/token (ECONNREFUSED); sign-in fails until it answers.`,
    );
  });

  it('refuses a token answer without an ID token', async () => {
    idp.failTokenEndpoint('no-id-token');
    const flow = login();
    const { stateCookie, query } = await signIn(flow);
    expect(await failure(flow.finish(query, stateCookie))).toMatchObject({
      code: 'unauthorized',
      message: expect.stringMatching(/answered without an ID token/) as unknown,
    });
  });

  it('sends the client secret with HTTP Basic only, resolving its reference on each sign-in, and never repeats it', async () => {
    const secret = 'p@ss:w/rd +%&=é';
    idp.requireClientSecret(secret);
    const env: Record<string, string> = { OIDC_CLIENT_SECRET: secret };
    const resolve = (ref: string) => resolveSecret(ref, { env, baseDir: os.tmpdir() });
    const flow = login({ resolveSecret: resolve }, { clientSecret: '${env:OIDC_CLIENT_SECRET}' });
    const first = await signIn(flow);
    expect((await flow.finish(first.query, first.stateCookie)).identity.name).toBe('alice');
    expect(idp.tokenRequests[0]?.authorization).toMatch(/^Basic /);
    expect(idp.tokenRequests[0]?.body.has('client_secret')).toBe(false);

    const literal = login({}, { clientSecret: secret });
    const second = await signIn(literal);
    expect((await literal.finish(second.query, second.stateCookie)).identity.name).toBe('alice');

    env.OIDC_CLIENT_SECRET = 'rotated-elsewhere';
    const third = await signIn(flow);
    const error = await failure(flow.finish(third.query, third.stateCookie));
    expect(error).toMatchObject({ code: 'unauthorized' });
    expect(error.message).toBe(
      `The identity provider's token endpoint at ${baseUrl}/token refused Airlock's client credentials (HTTP 401 invalid_client); check AIRLOCK_OIDC_CLIENT_ID and AIRLOCK_OIDC_CLIENT_SECRET.`,
    );
    for (const text of [secret, 'rotated-elsewhere', third.query.code]) expect(error.message).not.toContain(text);

    expect(() => login({}, { clientSecret: '${env:OIDC_CLIENT_SECRET}' })).toThrow(
      'The OIDC client secret is a secret reference but no resolver was given to resolve it.',
    );
  });

  it('returns to /ui, not to another site, when next is not a console path', async () => {
    const flow = login();
    const { stateCookie, query } = await signIn(flow, '//evil.example.com/ui');
    expect((await flow.finish(query, stateCookie)).next).toBe('/ui');
  });

  it.each([
    '//evil.example.com',
    '/\\evil.example.com',
    '/ui\\..\\..\\evil',
    'https://evil.example.com/ui',
    'javascript:alert(1)',
    '/ui/../admin',
    '/ui/%2e%2e/%2e%2e//evil.example.com',
    '/uievil',
    '/ui\t/x',
    'ui/tickets',
    '',
    `/ui/${'a'.repeat(2000)}`,
  ])('treats next %j as /ui', (next) => {
    expect(safeNextPath(next)).toBe('/ui');
  });

  it.each([
    ['/ui', '/ui'],
    ['/ui/', '/ui/'],
    ['/ui/tickets/42?tab=items#top', '/ui/tickets/42?tab=items#top'],
    ['/ui/tickets/../approvals', '/ui/approvals'],
  ])('keeps the console path %j', (next, kept) => {
    expect(safeNextPath(next)).toBe(kept);
  });

  it('refuses bad settings at setup, naming the field', () => {
    expect(() => login({ key: randomBytes(16) })).toThrow('The OIDC login state key must be at least 32 random bytes.');
    expect(() => login({}, { tokenUrl: 'ftp://idp.example.com/token' })).toThrow(
      'Invalid OIDC sign-in configuration: tokenUrl "ftp://idp.example.com/token" must be an http:// or https:// URL, not ftp:.',
    );
    expect(() => login({}, { scopes: ['profile'] })).toThrow(/scopes must include openid/);
    expect(() => login({ redirectUri: '/ui/auth/callback' })).toThrow(
      /Invalid OIDC redirect URI: .*must be an http:\/\/ or https:\/\/ URL/,
    );
    expect(() => login({}, { clientSecret: '' })).toThrow(expect.objectContaining({ code: 'invalid_input' }));
  });
});
