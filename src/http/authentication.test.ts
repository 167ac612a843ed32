// Bearer tokens at the API's door: revoked, expired, disabled and malformed credentials are all the same
// 401 (with WWW-Authenticate), and an address that keeps failing is refused with 429 and Retry-After.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { comparable, createApiHarness, type ApiHarness, type ProblemJson } from '../../test/api-harness.js';
import { createToken, revokeToken } from '../auth/token-store.js';
import { disableUser } from '../auth/user-store.js';

const DAY_MS = 86_400_000;

let api: ApiHarness;
let token: string;

beforeAll(async () => {
  api = await createApiHarness({ pipelines: {} });
  token = await api.user('ann', ['requester']);
  await api.user('gone', ['requester']);
});
afterAll(() => api?.close());

const me = (authorization: string | undefined, address?: string) =>
  api.call('/api/v1/me', { ...(authorization === undefined ? {} : { headers: { authorization } }), ...(address ? { address } : {}) });

/** The 401 every credential failure gets, whatever the reason. */
async function expectUnauthorized(authorization: string | undefined): Promise<ProblemJson> {
  const response = await me(authorization);
  expect(response.status, `${authorization}: ${response.text}`).toBe(401);
  expect(response.headers.get('www-authenticate')).toBe('Bearer realm="airlock"');
  const body = response.json<ProblemJson>();
  expect(body.code).toBe('unauthorized');
  return body;
}

describe('bearer tokens', () => {
  it('accepts a valid token, with the scheme in any case', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const response = await me(`${scheme} ${token}`);
      expect(response.status, response.text).toBe(200);
      expect(response.json()).toEqual({ name: 'ann', roles: ['requester'], groups: [] });
    }
  });

  it('refuses a revoked token with 401', async () => {
    const created = await createToken(api.db, 'ann', { name: 'to-revoke' });
    expect((await me(`Bearer ${created.token}`)).status).toBe(200);
    await revokeToken(api.db, created.id);
    await expectUnauthorized(`Bearer ${created.token}`);
  });

  it('refuses an expired token with 401', async () => {
    const expired = await createToken(api.db, 'ann', { expiresInDays: 1, now: new Date(Date.now() - 2 * DAY_MS) });
    expect(expired.expiresAt.getTime()).toBeLessThan(Date.now());
    await expectUnauthorized(`Bearer ${expired.token}`);
  });

  it("refuses a disabled user's token with 401", async () => {
    const created = await createToken(api.db, 'gone');
    expect((await me(`Bearer ${created.token}`)).status).toBe(200);
    await disableUser(api.db, 'gone');
    await expectUnauthorized(`Bearer ${created.token}`);
  });

  it('answers every malformed Authorization header with the same 401 and WWW-Authenticate', async () => {
    const malformed = [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      token, // no scheme
      `Basic ${Buffer.from(`ann:${token}`).toString('base64')}`,
      `Token ${token}`,
      `Bearer ${token} ${token}`,
      `Bearer ${token.slice(0, -1)}`, // one character short
      `Bearer ${token}x`,
      `Bearer alk_${'!'.repeat(43)}`,
      `Bearer alk_${'A'.repeat(43)}`, // well-formed, unknown
      'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbm4ifQ.', // a JWT, and OIDC is not configured
    ];
    const bodies = [];
    for (const header of malformed) bodies.push(comparable(await expectUnauthorized(header)));
    // The answer never says which check failed.
    for (const body of bodies) expect(body).toEqual(bodies[0]);
  });
});

describe('failed sign-in limit', () => {
  it('refuses an address with 429 and Retry-After once it failed the limit, even with a valid token', async () => {
    const app = api.buildApp({ authFailureLimit: 3 });
    const from = (address: string, authorization: string) => api.call('/api/v1/me', { app, address, headers: { authorization } });
    for (let i = 0; i < 3; i++) expect((await from('198.51.100.7', 'Bearer alk_wrong')).status).toBe(401);

    for (const authorization of ['Bearer alk_wrong', `Bearer ${token}`]) {
      const refused = await from('198.51.100.7', authorization);
      expect(refused.status).toBe(429);
      expect(refused.json<ProblemJson>().code).toBe('rate_limited');
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }
    // Another address is not affected, and public routes stay open to the refused one.
    expect((await from('198.51.100.8', `Bearer ${token}`)).status).toBe(200);
    expect((await api.call('/healthz', { app, address: '198.51.100.7' })).status).toBe(200);
  });

  it('does not count refusals of authenticated callers (403) as failed sign-ins', async () => {
    const app = api.buildApp({ authFailureLimit: 2 });
    for (let i = 0; i < 4; i++) {
      const forbidden = await api.call('/metrics', { app, address: '198.51.100.9', token });
      expect(forbidden.status).toBe(403);
    }
    expect((await api.call('/api/v1/me', { app, address: '198.51.100.9', token })).status).toBe(200);
  });
});
