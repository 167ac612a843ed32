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
