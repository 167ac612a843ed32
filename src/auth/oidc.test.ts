import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOidcVerifier, type OidcConfig } from './oidc.js';

const ISSUER = 'https://idp.example.com/realms/airlock';
const AUDIENCE = 'airlock';

interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

async function newKey(kid: string, alg = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, use: 'sig' } };
}

/** The key sets the local identity provider publishes, by path; `/broken` answers 500 and `/not-json` HTML. */
const keySets = new Map<string, SigningKey[]>();
const requests = new Map<string, number>();
let server: Server;
let baseUrl: string;
let rsa: SigningKey;
let ec: SigningKey;
let ed: SigningKey;
let ps: SigningKey;
/** A key the identity provider never published. */
let stranger: SigningKey;

beforeAll(async () => {
  [rsa, ec, ed, ps, stranger] = await Promise.all([
    newKey('rsa-1'),
    newKey('ec-1', 'ES256'),
    newKey('ed-1', 'EdDSA'),
    newKey('ps-1', 'PS256'),
    newKey('rsa-1'),
  ]);
  keySets.set('/certs', [rsa, ec, ed, ps]);
  server = createServer((req, res) => {
    const path = req.url ?? '';
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const keys = keySets.get(path);
    if (path === '/not-json') res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
    else if (!keys) res.writeHead(500).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

afterEach(() => {
  vi.useRealTimers();
});

function verifier(overrides: Partial<OidcConfig> = {}) {
  return createOidcVerifier({ jwksUrl: `${baseUrl}/certs`, issuer: ISSUER, audience: AUDIENCE, ...overrides });
}

interface SignOptions {
  key?: SigningKey;
  /** The `kid` header; the key's own when absent, none at all when null. */
  kid?: string | null;
  /** Seconds from now; a token lives an hour by default. */
  expiresIn?: number | null;
  notBefore?: number;
}

/** A token as the identity provider would issue it for alice; claims override or (as undefined) remove the defaults. */
async function sign(claims: JWTPayload = {}, { key = rsa, kid, expiresIn = 3600, notBefore }: SignOptions = {}) {
  const now = Math.floor(Date.now() / 1000);
  const defaults: JWTPayload = { iss: ISSUER, aud: AUDIENCE, sub: 'f3a1c2d4-0000-4000-8000-000000000001', preferred_username: 'alice' };
  const payload = Object.fromEntries(Object.entries({ ...defaults, ...claims }).filter(([, value]) => value !== undefined));
  const jwt = new SignJWT({ ...payload, iat: now, ...(expiresIn === null ? {} : { exp: now + expiresIn }) });
  if (notBefore !== undefined) jwt.setNotBefore(now + notBefore);
  const header = kid === null ? { alg: key.alg } : { alg: key.alg, kid: kid ?? key.kid };
  return jwt.setProtectedHeader(header).sign(key.privateKey);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('createOidcVerifier', () => {
  it('turns a valid token into an identity whose roles are the Airlock role names in the roles claim', async () => {
    const token = await sign({ roles: ['requester', 'approver'], email: 'alice@example.com' });
    expect(await verifier().verify(token)).toEqual({
      name: 'alice',
      email: 'alice@example.com',
      roles: ['requester', 'approver'],
      subject: 'f3a1c2d4-0000-4000-8000-000000000001',
    });
  });

  it('accepts each default algorithm (RS256, ES256, EdDSA, PS256) and an audience list holding ours', async () => {
    const v = verifier();
    for (const key of [rsa, ec, ed, ps]) expect(await v.verify(await sign({}, { key })), key.alg).toMatchObject({ name: 'alice' });
    expect(await v.verify(await sign({ aud: ['account', AUDIENCE] }))).toMatchObject({ name: 'alice' });
    expect(await verifier({ algorithms: ['ES256'] }).verify(await sign())).toBeUndefined();
  });

  it('refuses an expired token, allowing the clock tolerance', async () => {
    const v = verifier();
    expect(await v.verify(await sign({}, { expiresIn: -300 }))).toBeUndefined();
    expect(await v.verify(await sign({}, { expiresIn: -10 }))).toMatchObject({ name: 'alice' });
    expect(await verifier({ clockToleranceSeconds: 0 }).verify(await sign({}, { expiresIn: -10 }))).toBeUndefined();
  });

  it('refuses a token without exp, or without sub', async () => {
    expect(await verifier().verify(await sign({}, { expiresIn: null }))).toBeUndefined();
    expect(await verifier().verify(await sign({ sub: undefined }))).toBeUndefined();
  });

  it('refuses a token that is not yet valid', async () => {
    expect(await verifier().verify(await sign({}, { notBefore: 300 }))).toBeUndefined();
    expect(await verifier().verify(await sign({}, { notBefore: 10 }))).toMatchObject({ name: 'alice' });
  });

  it('refuses a wrong issuer or audience, and a token missing either', async () => {
    const v = verifier();
    for (const claims of [{ iss: 'https://evil.example.com/realms/airlock' }, { iss: `${ISSUER}/` }, { iss: undefined }])
      expect(await v.verify(await sign(claims)), String(claims.iss)).toBeUndefined();
    for (const claims of [{ aud: 'another-client' }, { aud: ['account'] }, { aud: undefined }])
      expect(await v.verify(await sign(claims)), String(claims.aud)).toBeUndefined();
  });

  it('refuses a token signed by a key the key set does not hold, under a known kid or a new one', async () => {
    const v = verifier();
    expect(await v.verify(await sign({}, { key: stranger }))).toBeUndefined();
    expect(await v.verify(await sign({}, { key: stranger, kid: 'rsa-2' }))).toBeUndefined();
  });

  it('refuses alg "none", with or without a signature part', async () => {
    const unsigned = `${b64({ alg: 'none', kid: rsa.kid })}.${b64({ iss: ISSUER, aud: AUDIENCE, sub: 's', preferred_username: 'mallory', exp: 4e9 })}`;
    const valid = await sign();
    const v = verifier();
    expect(await v.verify(`${unsigned}.`)).toBeUndefined();
    expect(await v.verify(`${unsigned}.${valid.split('.')[2]}`)).toBeUndefined();
    expect(() => verifier({ algorithms: ['none'] })).toThrow(/^Invalid OIDC configuration: algorithms\[0\] "none" is not accepted/);
  });

  it('refuses HS256, including one keyed with the public key itself (key confusion)', async () => {
    const claims = { iss: ISSUER, aud: AUDIENCE, sub: 's', preferred_username: 'mallory' };
    const secret = new TextEncoder().encode('shared-secret');
    const pem = new TextEncoder().encode(await exportSPKI(rsa.publicKey));
    const v = verifier();
    for (const key of [secret, pem]) {
      const token = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: rsa.kid }).setExpirationTime('1h').sign(key);
      expect(await v.verify(token)).toBeUndefined();
    }
    expect(() => verifier({ algorithms: ['RS256', 'HS256'] })).toThrow(
      /^Invalid OIDC configuration: algorithms\[1\] "HS256" is not accepted; use public-key algorithms: /,
    );
  });

  it('reads roles at a dotted path, and a claim whose own name holds dots', async () => {
    const keycloak = await sign({ realm_access: { roles: ['offline_access', 'operator'] }, roles: ['admin'] });
    expect((await verifier({ rolesClaim: 'realm_access.roles' }).verify(keycloak))?.roles).toEqual(['operator']);
    const namespaced = await sign({ 'https://airlock.example/roles': ['auditor'] });
    expect((await verifier({ rolesClaim: 'https://airlock.example/roles' }).verify(namespaced))?.roles).toEqual(['auditor']);
    const v = verifier({ rolesClaim: 'realm_access.roles' });
    for (const realm of [undefined, 'operator', ['operator'], { roles: 'operator' }]) {
      const roles = (await v.verify(await sign({ realm_access: realm })))?.roles;
      expect(roles, JSON.stringify(realm)).toEqual(typeof realm === 'object' && !Array.isArray(realm) ? ['operator'] : []);
    }
    expect((await verifier({ rolesClaim: 'constructor.name' }).verify(await sign()))?.roles).toEqual([]);
  });

  it('maps IdP groups through the role map, dropping names it does not map, Airlock role names included', async () => {
    const v = verifier({
      rolesClaim: 'groups',
      roleMap: { 'idp-admins': 'admin', 'finance-approvers': 'approver', 'finance-staff': 'approver' },
    });
    const token = await sign({ groups: ['finance-staff', 'idp-admins', 'finance-approvers', 'requester', 'constructor', 'toString'] });
    expect((await v.verify(token))?.roles).toEqual(['approver', 'admin']);
  });

  it('drops unknown roles and non-string values without failing, keeping the identity', async () => {
    const token = await sign({ roles: ['superuser', 'Admin', 'approver', 42, null, { role: 'admin' }, 'approver'] });
    expect(await verifier().verify(token)).toMatchObject({ name: 'alice', roles: ['approver'] });
    expect(await verifier().verify(await sign({ roles: { admin: true } }))).toMatchObject({ name: 'alice', roles: [] });
  });

  it('takes the name from sub when the username claim is missing, and refuses a token with no usable name', async () => {
    const v = verifier();
    expect(await v.verify(await sign({ preferred_username: undefined, sub: 'bob' }))).toMatchObject({ name: 'bob', subject: 'bob' });
    expect(await v.verify(await sign({ preferred_username: undefined, sub: 'Bob|auth0' }))).toBeUndefined();
    for (const name of ['Bob Smith', 'bob@example.com', '', '-bob', 'a'.repeat(65), 42, null, ['alice']])
      expect(await v.verify(await sign({ preferred_username: name, sub: 'fallback' })), JSON.stringify(name)).toBeUndefined();
    const byLogin = verifier({ usernameClaim: 'login' });
    expect(await byLogin.verify(await sign({ login: 'carol' }))).toMatchObject({ name: 'carol' });
    expect(await byLogin.verify(await sign({ sub: 'Not A Name' }))).toBeUndefined();
  });

  it('keeps the e-mail only when it is an address the identity provider did not mark unverified', async () => {
    const v = verifier();
    expect((await v.verify(await sign({ email: 'alice@example.com', email_verified: true })))?.email).toBe('alice@example.com');
    expect(await v.verify(await sign({ email: 'alice@example.com', email_verified: false }))).not.toHaveProperty('email');
    expect(await v.verify(await sign({ email: 'not an address' }))).not.toHaveProperty('email');
  });

  it('refuses malformed strings without fetching the key set, even when it is unreachable', async () => {
    const v = verifier({ jwksUrl: `${baseUrl}/broken` });
    const valid = await sign();
    const malformed = [
      'abc',
      '',
      '...',
      'a.b.c.d',
      `${valid}.`,
      `Bearer ${valid}`,
      ` ${valid}`,
      'e30.e30.e30',
      `${b64('just a string')}.e30.e30`,
      `${valid.split('.')[0]}.!!!.${valid.split('.')[2]}`,
      `${valid.slice(0, 40)}${'A'.repeat(20_000)}`,
      undefined as unknown as string,
      42 as unknown as string,
    ];
    for (const token of malformed) expect(await v.verify(token), String(token).slice(0, 40)).toBeUndefined();
    expect(requests.get('/broken') ?? 0).toBe(0);
  });

  it('throws identity_provider_unreachable (503, retryable) when the key set cannot be fetched or read, without the token', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const token = await sign();
    for (const jwksUrl of [`http://127.0.0.1:${port}/certs?tenant=x`, `${baseUrl}/broken`, `${baseUrl}/not-json`]) {
      const error = await verifier({ jwksUrl })
        .verify(token)
        .catch((e: unknown) => e);
      expect(error, jwksUrl).toMatchObject({ name: 'AirlockError', code: 'identity_provider_unreachable', status: 503, retryable: true });
      expect((error as Error).message).toMatch(
        /^Could not fetch or read the identity provider's keys at http:\/\/127\.0\.0\.1:\d+\/[a-z-]+;/,
      );
      expect((error as Error).message).not.toContain(token);
      expect((error as Error).message).not.toContain('tenant');
    }
  });

  it('picks up a rotated key: a new kid is refused during the 30 s refetch cooldown, then accepted', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const first = await newKey('rot-1');
    const second = await newKey('rot-2');
    keySets.set('/rotating', [first]);
    const v = verifier({ jwksUrl: `${baseUrl}/rotating` });
    expect(await v.verify(await sign({}, { key: first }))).toMatchObject({ name: 'alice' });
    keySets.set('/rotating', [first, second]);
    expect(await v.verify(await sign({}, { key: second }))).toBeUndefined();
    vi.advanceTimersByTime(31_000);
    expect(await v.verify(await sign({}, { key: second }))).toMatchObject({ name: 'alice' });
    expect(await v.verify(await sign({}, { key: first }))).toMatchObject({ name: 'alice' });
    expect(requests.get('/rotating')).toBe(2);
  });

  it('tries each matching key for a token without kid while two keys of its type are published', async () => {
    const older = await newKey('old');
    const newer = await newKey('new');
    keySets.set('/two-rsa', [older, newer]);
    const v = verifier({ jwksUrl: `${baseUrl}/two-rsa` });
    expect(await v.verify(await sign({}, { key: newer, kid: null }))).toMatchObject({ name: 'alice' });
    expect(await v.verify(await sign({}, { key: older, kid: null }))).toMatchObject({ name: 'alice' });
    expect(await v.verify(await sign({}, { key: stranger, kid: null }))).toBeUndefined();
  });

  it('refuses a bad configuration at once, naming the field', () => {
    const base = { jwksUrl: `${baseUrl}/certs`, issuer: ISSUER, audience: AUDIENCE };
    expect(() => createOidcVerifier({ ...base, jwksUrl: 'ftp://idp.example.com/certs' })).toThrow(
      'Invalid OIDC configuration: jwksUrl "ftp://idp.example.com/certs" must be an http:// or https:// URL, not ftp:.',
    );
    expect(() => createOidcVerifier({ ...base, jwksUrl: 'certs.json' })).toThrow(
      /jwksUrl "certs.json" must be an http:\/\/ or https:\/\/ URL/,
    );
    expect(() => createOidcVerifier({ ...base, issuer: '' })).toThrow(expect.objectContaining({ code: 'invalid_input' }));
    expect(() => createOidcVerifier({ ...base, roleMap: { admins: 'root' as never } })).toThrow(/roleMap\.admins "root" is not a role/);
    expect(() => createOidcVerifier({ ...base, algorithms: [] })).toThrow(/algorithms must name at least one algorithm/);
    expect(() => createOidcVerifier({ ...base, clockToleranceSeconds: -1 })).toThrow(/clockToleranceSeconds -1 must be from 0 to 300/);
  });
});
