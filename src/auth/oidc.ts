import {
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  type JWTVerifyResult,
} from 'jose';
import { AirlockError } from '../errors.js';
import { oidcConfigSchema, type OidcConfig } from './oidc-config.js';
import { isRole, type Role } from './roles.js';
import { emailSchema, parseInput, USER_NAME_PATTERN } from './user-schema.js';

export type { OidcConfig } from './oidc-config.js';

/** Who a valid OIDC bearer token speaks for. */
export interface OidcIdentity {
  /** The user name, under the same rules as a local user's name (lower case, 1 to 64 characters). */
  name: string;
  /** The `email` claim, when it is an address the identity provider has not marked unverified. */
  email?: string;
  /** The Airlock roles the roles claim maps to; empty when none does (the caller then grants nothing). */
  roles: Role[];
  /** The token's `sub`: the identity provider's stable id for the user. */
  subject: string;
}

export interface OidcVerifier {
  /**
   * The identity a bearer token proves, or undefined when it is not a valid token for this issuer and
   * audience: malformed, badly signed, signed by an unknown key or a refused algorithm, expired, not yet
   * valid, or without a usable user name. The reasons are not told apart and the token is never logged or
   * repeated. Throws `identity_provider_unreachable` only when the key set could not be fetched or read,
   * so that the caller answers 503 rather than 401.
   */
  verify(token: string): Promise<OidcIdentity | undefined>;
}

/** A compact JWS: three non-empty base64url parts. Anything else is refused before jose, and fetches nothing. */
const COMPACT_JWS_PATTERN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** Real tokens are a few kilobytes; a larger one is refused unread. */
const MAX_TOKEN_LENGTH = 16_384;

/**
 * jose errors out of the key set that are the token's fault (a `kid` or `alg` no key matches), as opposed
 * to the key set being unreachable, not JSON, or holding a broken key.
 */
const TOKEN_KEY_ERRORS = [errors.JWKSNoMatchingKey, errors.JWKSMultipleMatchingKeys, errors.JOSENotSupported, errors.JOSEAlgNotAllowed];

/**
 * Checks bearer tokens against an identity provider's published keys. The configuration is validated
 * here (`invalid_input` naming the field); the key set is fetched on first use, cached for 10 minutes,
 * and fetched again when a token names a key it lacks (at most every 30 s), which is how key rotation
 * is picked up.
 */
export function createOidcVerifier(config: OidcConfig): OidcVerifier {
  const valid = parseInput(oidcConfigSchema, config, 'OIDC configuration');
  const jwksUrl = new URL(valid.jwksUrl);
  // Shown in messages without query or fragment, which some providers use for tenant parameters.
  const shownUrl = jwksUrl.origin + jwksUrl.pathname;
  const roleMap = valid.roleMap ? new Map(Object.entries(valid.roleMap)) : undefined;
  const remoteKeys = createRemoteJWKSet(jwksUrl);
  const options: JWTVerifyOptions = {
    issuer: valid.issuer,
    audience: valid.audience,
    algorithms: valid.algorithms,
    clockTolerance: valid.clockToleranceSeconds,
    requiredClaims: ['exp', 'sub'],
  };

  const getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remoteKeys(header, token);
    } catch (error) {
      if (TOKEN_KEY_ERRORS.some((type) => error instanceof type)) throw error;
      throw new AirlockError(
        'identity_provider_unreachable',
        `Could not fetch or read the identity provider's keys at ${shownUrl}; OIDC sign-in fails until it answers with a valid key set.`,
        { cause: error },
      );
    }
  };

  return {
    async verify(token) {
      if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS_PATTERN.test(token)) return undefined;
      let claims: JWTPayload;
      try {
        ({ payload: claims } = await verifySignedToken(token, getKey, options));
      } catch (error) {
        if (error instanceof AirlockError) throw error;
        return undefined;
      }
      return identityFrom(claims, valid.usernameClaim, rolesFrom(claimAt(claims, valid.rolesClaim), roleMap));
    },
  };
}

async function verifySignedToken(token: string, getKey: JWTVerifyGetKey, options: JWTVerifyOptions): Promise<JWTVerifyResult> {
  try {
    return await jwtVerify(token, getKey, options);
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    // A token without `kid` while the set holds several keys of its type (common during a rotation):
    // try each key; only a bad signature moves on to the next.
    for await (const key of error) {
      try {
        return await jwtVerify(token, key, options);
      } catch (attempt) {
        if (!(attempt instanceof errors.JWSSignatureVerificationFailed)) throw attempt;
      }
    }
    throw error;
  }
}

function identityFrom(claims: JWTPayload, usernameClaim: string, roles: Role[]): OidcIdentity | undefined {
  const subject = claims.sub;
  if (typeof subject !== 'string' || subject === '') return undefined;
  // A username claim that is present but unusable is not replaced by `sub`: that would sign the user in
  // under a name nobody chose for them.
  const named = claimAt(claims, usernameClaim);
  const name = named === undefined ? subject : named;
  if (typeof name !== 'string' || !USER_NAME_PATTERN.test(name)) return undefined;
  const email = emailSchema.safeParse(claims.email);
  const hasEmail = email.success && claims.email_verified !== false;
  return { name, ...(hasEmail ? { email: email.data } : {}), roles, subject };
}

/**
 * The Airlock roles a roles claim grants: its string values (a single string counts as one), mapped through
 * the role map or, without one, taken when they are Airlock role names. Anything else is dropped.
 */
function rolesFrom(value: unknown, roleMap: ReadonlyMap<string, Role> | undefined): Role[] {
  const names = typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  const roles = names.map((name) => (roleMap ? roleMap.get(name) : isRole(name) ? name : undefined));
  return [...new Set(roles.filter((role): role is Role => role !== undefined))];
}

/**
 * A claim by name or by dotted path into nested objects (`realm_access.roles`). A claim whose whole name
 * holds dots (`https://example.com/roles`, as some providers namespace them) is found first. Only own
 * properties are read, so `constructor` or `__proto__` in a path find nothing.
 */
function claimAt(claims: JWTPayload, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let value: unknown = claims;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
