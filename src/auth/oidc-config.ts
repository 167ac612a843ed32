import { z } from 'zod';
import { AirlockError } from '../errors.js';
import { isRole, ROLES, type Role } from './roles.js';

export const DEFAULT_ROLES_CLAIM = 'roles';
export const DEFAULT_USERNAME_CLAIM = 'preferred_username';
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;
export const MAX_CLOCK_TOLERANCE_SECONDS = 300;
export const DEFAULT_ALGORITHMS = ['RS256', 'ES256', 'EdDSA', 'PS256'] as const;
/**
 * The signature algorithms a key set can verify: public-key ones only. `none` and the HS* family are
 * absent on purpose: with a shared secret, whoever verifies tokens could also mint them.
 */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

/** Static setup of sign-in with OIDC bearer tokens (JWTs signed by an identity provider). */
export interface OidcConfig {
  /** Where the identity provider publishes its public keys (http or https); fetched on first use, then cached. */
  readonly jwksUrl: string;
  /** The exact `iss` a token must carry. */
  readonly issuer: string;
  /** A value `aud` must hold: the client id Airlock is registered under at the identity provider. */
  readonly audience: string;
  /** The claim listing the user's IdP roles or groups, `roles` when absent; a dotted path reaches into objects (`realm_access.roles`). */
  readonly rolesClaim?: string;
  /** The claim holding the user name, `preferred_username` when absent; `sub` is used when the token lacks it. */
  readonly usernameClaim?: string;
  /** IdP role or group name → Airlock role. Absent: claim values that are Airlock role names count as themselves. */
  readonly roleMap?: Readonly<Record<string, Role>>;
  /** Leeway on `exp` and `nbf` for clocks that disagree, 30 when absent. */
  readonly clockToleranceSeconds?: number;
  /** Signature algorithms accepted, RS256, ES256, EdDSA and PS256 when absent; only public-key ones are allowed. */
  readonly algorithms?: readonly string[];
}

/** An http(s) URL without user name or password (fetch refuses those, and they would end up in messages). */
export const jwksUrlSchema = z.string().superRefine((value, ctx) => {
  const problem = jwksUrlProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

function jwksUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an http:// or https:// URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `must be an http:// or https:// URL, not ${url.protocol}`;
  if (url.username || url.password) return 'must not hold a user name or password';
  return undefined;
}

const claimSchema = z.string().trim().min(1, { error: 'must name a claim' });

export const oidcConfigSchema = z.strictObject({
  jwksUrl: jwksUrlSchema,
  issuer: z.string().min(1, { error: 'must not be empty' }),
  audience: z.string().min(1, { error: 'must not be empty' }),
  rolesClaim: claimSchema.default(DEFAULT_ROLES_CLAIM),
  usernameClaim: claimSchema.default(DEFAULT_USERNAME_CLAIM),
  roleMap: z.record(z.string(), z.enum(ROLES, { error: `is not a role; valid roles are ${ROLES.join(', ')}` })).optional(),
  clockToleranceSeconds: z
    .number()
    .int({ error: 'must be a whole number of seconds' })
    .min(0, { error: `must be from 0 to ${MAX_CLOCK_TOLERANCE_SECONDS}` })
    .max(MAX_CLOCK_TOLERANCE_SECONDS, { error: `must be from 0 to ${MAX_CLOCK_TOLERANCE_SECONDS}` })
    .default(DEFAULT_CLOCK_TOLERANCE_SECONDS),
  algorithms: z
    .array(z.enum(ASYMMETRIC_ALGORITHMS, { error: `is not accepted; use public-key algorithms: ${ASYMMETRIC_ALGORITHMS.join(', ')}` }))
    .min(1, { error: 'must name at least one algorithm' })
    .default([...DEFAULT_ALGORITHMS]),
});

/**
 * Parses a role map as written in AIRLOCK_OIDC_ROLE_MAP: `idp-admins=admin,finance-approvers=approver`.
 * Spaces around names are ignored; the last `=` splits, so an IdP name may hold one. Throws `invalid_input`
 * naming the entry that is wrong.
 */
export function parseRoleMap(list: string): Record<string, Role> {
  const entries: [string, Role][] = [];
  for (const entry of list.split(',').map((part) => part.trim())) {
    if (entry === '') continue;
    const split = entry.lastIndexOf('=');
    const name = entry.slice(0, split).trim();
    const role = entry.slice(split + 1).trim();
    if (split < 0 || name === '') throw new AirlockError('invalid_input', `Role map entry "${entry}" must read idp-name=role.`);
    if (!isRole(role))
      throw new AirlockError('invalid_input', `Role map entry "${entry}" names no role; valid roles are ${ROLES.join(', ')}.`);
    if (entries.some(([known]) => known === name)) throw new AirlockError('invalid_input', `Role map names "${name}" twice; map it once.`);
    entries.push([name, role]);
  }
  if (entries.length === 0) throw new AirlockError('invalid_input', 'Role map is empty; write idp-name=role pairs separated by commas.');
  return Object.fromEntries(entries);
}
