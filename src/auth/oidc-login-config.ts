import { z } from 'zod';
import { jwksUrlSchema } from './oidc-config.js';

export const DEFAULT_OIDC_SCOPES = ['openid', 'profile', 'email'] as const;

/**
 * Static setup of browser sign-in with the OIDC authorization code flow and PKCE. It rides on the bearer
 * setup (`OidcConfig`): the ID token it yields is checked by the same verifier, whose audience must then
 * be `clientId`.
 */
export interface OidcLoginConfig {
  /** The identity provider's authorization endpoint, where the browser is sent; its own query is kept. */
  readonly authorizationUrl: string;
  /** The identity provider's token endpoint, which Airlock calls to trade the code for an ID token. */
  readonly tokenUrl: string;
  /** The client id Airlock is registered under; the ID token's `aud`. */
  readonly clientId: string;
  /**
   * As written in AIRLOCK_OIDC_CLIENT_SECRET: a `${env:…}`/`${file:…}` reference or the secret itself.
   * Absent for a public client, which proves itself with PKCE alone. Never logged or put in a message.
   */
  readonly clientSecret?: string;
  /** Scopes asked for; always holds `openid`. */
  readonly scopes: readonly string[];
}

/** An http(s) endpoint as the JWKS URL is checked, and without a fragment (RFC 6749 §3.1 forbids one). */
export const endpointUrlSchema = jwksUrlSchema.refine((value) => !value.includes('#'), { error: 'must not hold a #fragment' });

/** A scope token as RFC 6749 §3.3 allows: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export const scopesSchema = z.array(z.string()).superRefine((scopes, ctx) => {
  const bad = scopes.filter((scope) => !SCOPE_TOKEN.test(scope));
  if (bad.length > 0)
    ctx.addIssue({
      code: 'custom',
      message: `holds scopes with characters a scope may not have: ${bad.map((s) => JSON.stringify(s)).join(', ')}`,
    });
  // Without openid the identity provider answers with an access token only, and there is no one to sign in.
  if (!scopes.includes('openid')) ctx.addIssue({ code: 'custom', message: 'must include openid' });
});

/** Scopes as written in AIRLOCK_OIDC_SCOPES: separated by spaces or commas, repeats dropped. */
export function splitScopes(list: string): string[] {
  return [...new Set(list.split(/[\s,]+/).filter((scope) => scope !== ''))];
}

export const oidcLoginConfigSchema = z.strictObject({
  authorizationUrl: endpointUrlSchema,
  tokenUrl: endpointUrlSchema,
  clientId: z.string().min(1, { error: 'must not be empty' }),
  // Only emptiness is checked: a failing value is then "", so a message that shows the input shows no secret.
  clientSecret: z.string().min(1, { error: 'must not be empty' }).optional(),
  scopes: scopesSchema,
});
