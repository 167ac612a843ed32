import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './env.js';

const OIDC = {
  AIRLOCK_OIDC_JWKS_URL: 'https://idp.example.com/realms/airlock/protocol/openid-connect/certs',
  AIRLOCK_OIDC_ISSUER: 'https://idp.example.com/realms/airlock',
  AIRLOCK_OIDC_AUDIENCE: 'airlock',
};

const load = (env: NodeJS.ProcessEnv) => loadConfig(env, os.tmpdir());

describe('AIRLOCK_OIDC_*', () => {
  it('leaves OIDC off when no AIRLOCK_OIDC_* variable is set', () => {
    expect(load({}).oidc).toBeUndefined();
  });

  it('reads the three required variables, with the default claims and no role map', () => {
    const { oidc } = load(OIDC);
    expect(oidc).toEqual({
      jwksUrl: OIDC.AIRLOCK_OIDC_JWKS_URL,
      issuer: OIDC.AIRLOCK_OIDC_ISSUER,
      audience: 'airlock',
      rolesClaim: 'roles',
      usernameClaim: 'preferred_username',
    });
    expect(Object.isFrozen(oidc)).toBe(true);
  });

  it('reads the claims and the role map', () => {
    const { oidc } = load({
      ...OIDC,
      AIRLOCK_OIDC_ROLES_CLAIM: 'realm_access.roles',
      AIRLOCK_OIDC_USERNAME_CLAIM: 'email',
      AIRLOCK_OIDC_ROLE_MAP: ' idp-admins=admin, finance-approvers = approver,,/finance/staff=requester ',
    });
    expect(oidc).toMatchObject({ rolesClaim: 'realm_access.roles', usernameClaim: 'email' });
    expect(oidc?.roleMap).toEqual({ 'idp-admins': 'admin', 'finance-approvers': 'approver', '/finance/staff': 'requester' });
    expect(Object.isFrozen(oidc?.roleMap)).toBe(true);
  });

  it('is all or nothing: any OIDC variable needs the JWKS URL, issuer and audience, naming each one missing', () => {
    expect(() => load({ AIRLOCK_OIDC_JWKS_URL: OIDC.AIRLOCK_OIDC_JWKS_URL })).toThrow(
      /AIRLOCK_OIDC_ISSUER: must be set when AIRLOCK_OIDC_JWKS_URL is .*; AIRLOCK_OIDC_AUDIENCE: must be set when AIRLOCK_OIDC_JWKS_URL is/,
    );
    const withoutAudience = () => load({ ...OIDC, AIRLOCK_OIDC_AUDIENCE: undefined });
    expect(withoutAudience).toThrow(/^Invalid environment: AIRLOCK_OIDC_AUDIENCE: must be set when AIRLOCK_OIDC_JWKS_URL is/);
    expect(withoutAudience).toThrow(expect.objectContaining({ code: 'invalid_input' }));
    expect(() => load({ AIRLOCK_OIDC_ROLE_MAP: 'admins=admin' })).toThrow(
      /AIRLOCK_OIDC_JWKS_URL: must be set when AIRLOCK_OIDC_ROLE_MAP is/,
    );
  });

  it('lists an OIDC problem together with the other invalid variables', () => {
    expect(() => load({ PORT: 'eighty', AIRLOCK_OIDC_ISSUER: 'https://idp.example.com' })).toThrow(
      /PORT: .*AIRLOCK_OIDC_JWKS_URL: must be set when AIRLOCK_OIDC_ISSUER is/,
    );
  });

  it.each([
    ['ftp://idp.example.com/certs', 'must be an http:// or https:// URL, not ftp:'],
    ['file:///etc/jwks.json', 'must be an http:// or https:// URL, not file:'],
    ['idp.example.com/certs', 'must be an http:// or https:// URL'],
    ['https://user:secret@idp.example.com/certs', 'must not hold a user name or password'],
  ])('refuses the JWKS URL %s', (url, message) => {
    expect(() => load({ ...OIDC, AIRLOCK_OIDC_JWKS_URL: url })).toThrow(`Invalid environment: AIRLOCK_OIDC_JWKS_URL: ${message}.`);
  });

  it('accepts an http:// JWKS URL (an identity provider on the same host or network)', () => {
    expect(load({ ...OIDC, AIRLOCK_OIDC_JWKS_URL: 'http://127.0.0.1:8081/certs' }).oidc?.jwksUrl).toBe('http://127.0.0.1:8081/certs');
  });

  it.each([
    ['admins=root', 'Role map entry "admins=root" names no role; valid roles are requester, approver, operator, auditor, admin.'],
    ['admins', 'Role map entry "admins" must read idp-name=role.'],
    ['=admin', 'Role map entry "=admin" must read idp-name=role.'],
    ['admins=admin,admins=auditor', 'Role map names "admins" twice; map it once.'],
    [' , ', 'Role map is empty; write idp-name=role pairs separated by commas.'],
  ])('refuses the role map %j, saying why', (map, message) => {
    expect(() => load({ ...OIDC, AIRLOCK_OIDC_ROLE_MAP: map })).toThrow(`Invalid environment: AIRLOCK_OIDC_ROLE_MAP: ${message}`);
  });

  it('refuses empty values rather than treating them as unset', () => {
    expect(() => load({ ...OIDC, AIRLOCK_OIDC_ISSUER: '' })).toThrow(/AIRLOCK_OIDC_ISSUER: /);
    expect(() => load({ ...OIDC, AIRLOCK_OIDC_ROLES_CLAIM: '' })).toThrow(/AIRLOCK_OIDC_ROLES_CLAIM: /);
  });
});

const LOGIN = {
  ...OIDC,
  AIRLOCK_OIDC_AUTHORIZATION_URL: 'https://idp.example.com/realms/airlock/protocol/openid-connect/auth',
  AIRLOCK_OIDC_TOKEN_URL: 'https://idp.example.com/realms/airlock/protocol/openid-connect/token',
};

describe('AIRLOCK_OIDC_* for browser sign-in', () => {
  it('leaves browser sign-in off while the endpoints are unset, bearer tokens still on', () => {
    const config = load(OIDC);
    expect(config.oidc).toBeDefined();
    expect(config.oidcLogin).toBeUndefined();
  });

  it('reads the endpoints, with the audience as client id, the default scopes and no client secret', () => {
    const { oidcLogin } = load(LOGIN);
    expect(oidcLogin).toEqual({
      authorizationUrl: LOGIN.AIRLOCK_OIDC_AUTHORIZATION_URL,
      tokenUrl: LOGIN.AIRLOCK_OIDC_TOKEN_URL,
      clientId: 'airlock',
      scopes: ['openid', 'profile', 'email'],
    });
    expect(Object.isFrozen(oidcLogin)).toBe(true);
    expect(Object.isFrozen(oidcLogin?.scopes)).toBe(true);
  });

  it('reads the client id, the client secret as written (reference or value) and scopes separated by spaces or commas', () => {
    const { oidcLogin } = load({
      ...LOGIN,
      AIRLOCK_OIDC_CLIENT_ID: 'airlock-console',
      AIRLOCK_OIDC_CLIENT_SECRET: '${file:/run/secrets/oidc-client-secret}',
      AIRLOCK_OIDC_SCOPES: 'openid, groups offline_access openid',
    });
    expect(oidcLogin).toMatchObject({
      clientId: 'airlock-console',
      clientSecret: '${file:/run/secrets/oidc-client-secret}',
      scopes: ['openid', 'groups', 'offline_access'],
    });
    expect(load({ ...LOGIN, AIRLOCK_OIDC_CLIENT_SECRET: 's3cr3t-value' }).oidcLogin?.clientSecret).toBe('s3cr3t-value');
  });

  it('needs the JWKS URL, issuer and audience for the endpoints, listing each one missing', () => {
    const endpoints = {
      AIRLOCK_OIDC_AUTHORIZATION_URL: LOGIN.AIRLOCK_OIDC_AUTHORIZATION_URL,
      AIRLOCK_OIDC_TOKEN_URL: LOGIN.AIRLOCK_OIDC_TOKEN_URL,
    };
    expect(() => load(endpoints)).toThrow(
      /AIRLOCK_OIDC_JWKS_URL: must be set when AIRLOCK_OIDC_AUTHORIZATION_URL is .*; AIRLOCK_OIDC_ISSUER: must be set when AIRLOCK_OIDC_AUTHORIZATION_URL is .*; AIRLOCK_OIDC_AUDIENCE: must be set when AIRLOCK_OIDC_AUTHORIZATION_URL is/,
    );
  });

  it('needs both endpoints once any browser sign-in variable is set, listed with the other problems', () => {
    expect(() => load({ ...OIDC, AIRLOCK_OIDC_CLIENT_ID: 'airlock-console' })).toThrow(
      'Invalid environment: AIRLOCK_OIDC_AUTHORIZATION_URL: must be set when AIRLOCK_OIDC_CLIENT_ID is (browser sign-in needs AIRLOCK_OIDC_AUTHORIZATION_URL, AIRLOCK_OIDC_TOKEN_URL); AIRLOCK_OIDC_TOKEN_URL: must be set when AIRLOCK_OIDC_CLIENT_ID is (browser sign-in needs AIRLOCK_OIDC_AUTHORIZATION_URL, AIRLOCK_OIDC_TOKEN_URL).',
    );
    expect(() => load({ ...LOGIN, AIRLOCK_OIDC_TOKEN_URL: undefined, PORT: 'eighty' })).toThrow(
      /PORT: .*AIRLOCK_OIDC_TOKEN_URL: must be set when AIRLOCK_OIDC_AUTHORIZATION_URL is/,
    );
    expect(() => load({ AIRLOCK_OIDC_SCOPES: 'openid' })).toThrow(
      /AIRLOCK_OIDC_JWKS_URL: must be set when AIRLOCK_OIDC_SCOPES is .*AIRLOCK_OIDC_AUTHORIZATION_URL: must be set when AIRLOCK_OIDC_SCOPES is/,
    );
  });

  it.each([
    ['ftp://idp.example.com/auth', 'must be an http:// or https:// URL, not ftp:'],
    ['idp.example.com/auth', 'must be an http:// or https:// URL'],
    ['https://client:secret@idp.example.com/auth', 'must not hold a user name or password'],
    ['https://idp.example.com/auth#fragment', 'must not hold a #fragment'],
  ])('refuses the endpoint %s', (url, message) => {
    expect(() => load({ ...LOGIN, AIRLOCK_OIDC_AUTHORIZATION_URL: url })).toThrow(
      `Invalid environment: AIRLOCK_OIDC_AUTHORIZATION_URL: ${message}.`,
    );
    expect(() => load({ ...LOGIN, AIRLOCK_OIDC_TOKEN_URL: url })).toThrow(`Invalid environment: AIRLOCK_OIDC_TOKEN_URL: ${message}.`);
  });

  it('keeps the query of an http:// endpoint (an identity provider on the same network)', () => {
    const url = 'http://127.0.0.1:8081/authorize?tenant=acme';
    expect(load({ ...LOGIN, AIRLOCK_OIDC_AUTHORIZATION_URL: url }).oidcLogin?.authorizationUrl).toBe(url);
  });

  it('refuses scopes without openid, or with characters a scope may not have', () => {
    expect(() => load({ ...LOGIN, AIRLOCK_OIDC_SCOPES: 'profile email' })).toThrow(
      'Invalid environment: AIRLOCK_OIDC_SCOPES: must include openid.',
    );
    expect(() => load({ ...LOGIN, AIRLOCK_OIDC_SCOPES: 'openid "quoted"' })).toThrow(
      'Invalid environment: AIRLOCK_OIDC_SCOPES: holds scopes with characters a scope may not have: "\\"quoted\\"".',
    );
    expect(() => load({ ...LOGIN, AIRLOCK_OIDC_SCOPES: ' , ' })).toThrow(/AIRLOCK_OIDC_SCOPES: must include openid/);
  });

  it('refuses a broken secret reference and an empty secret without repeating the value', () => {
    for (const secret of ['${env:}', '${vault:oidc}', '${env:OIDC_SECRET']) {
      const attempt = () => load({ ...LOGIN, AIRLOCK_OIDC_CLIENT_SECRET: secret });
      expect(attempt, secret).toThrow(
        'Invalid environment: AIRLOCK_OIDC_CLIENT_SECRET: starts like a secret reference but is not one; write ${env:NAME} or ${file:/path/to/secret}.',
      );
    }
    expect(() => load({ ...LOGIN, AIRLOCK_OIDC_CLIENT_SECRET: '' })).toThrow(/AIRLOCK_OIDC_CLIENT_SECRET: /);
    const secret = 'hunter2-client-secret';
    const attempt = () => load({ ...LOGIN, AIRLOCK_OIDC_CLIENT_SECRET: secret, AIRLOCK_OIDC_TOKEN_URL: 'ftp://x', PORT: 'eighty' });
    expect(attempt).toThrow(/PORT: .*AIRLOCK_OIDC_TOKEN_URL: /);
    expect(attempt).not.toThrow(secret);
  });
});
