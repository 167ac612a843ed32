import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeJwt } from 'jose';
import { isSecretRef } from '../config/secret-ref.js';
import { AirlockError } from '../errors.js';
import type { OidcIdentity, OidcVerifier } from './oidc.js';
import { endpointUrlSchema, oidcLoginConfigSchema, type OidcLoginConfig } from './oidc-login-config.js';
import { createLoginStateSealer } from './oidc-login-state.js';
import { parseInput } from './user-schema.js';
import { requestIdToken } from './oidc-token-request.js';

export type { OidcLoginConfig } from './oidc-login-config.js';

/** How long a browser has from being sent to the identity provider to coming back. */
export const LOGIN_STATE_TTL_MS = 10 * 60_000;
/** Where a sign-in lands when it was asked for no page, or for one outside the console. */
export const DEFAULT_NEXT_PATH = '/ui';

export interface OidcLoginOptions {
  config: OidcLoginConfig;
  /**
   * Checks the ID token's signature, issuer, expiry and audience. An ID token's `aud` is the client id, so
   * this verifier must be built with `audience` equal to `config.clientId`: the bearer verifier will do
   * when AIRLOCK_OIDC_CLIENT_ID is unset (it defaults to AIRLOCK_OIDC_AUDIENCE); otherwise build one with
   * `createOidcVerifier({ ...oidc, audience: clientId })`.
   */
  verifier: OidcVerifier;
  /** The absolute callback URL registered at the identity provider; sent on both legs, so it must match exactly. */
  redirectUri: string;
  /** At least 32 random bytes that seal the login state cookie; every server of a deployment needs the same. */
  key: Buffer;
  /** Resolves `config.clientSecret` when it is a `${env:…}`/`${file:…}` reference; called on each sign-in. */
  resolveSecret?: (ref: string) => Promise<string>;
  /** The fetch used for the token endpoint; the global one when absent. */
  fetch?: typeof fetch;
  /** The clock that stamps and checks the login state's expiry; the system clock when absent. */
  now?: () => Date;
}

export interface OidcLoginStart {
  /** The identity provider's authorization URL to redirect the browser to. */
  url: string;
  /** The sealed login state, to set as a short-lived, HttpOnly, SameSite=Lax cookie on the same response. */
  stateCookie: string;
}

/** The callback's query as the identity provider sent it (RFC 6749 §4.1.2): untrusted strings. */
export interface OidcCallbackQuery {
  code?: string;
  state?: string;
  error?: string;
  error_description?: string;
}

export interface OidcLoginResult {
  identity: OidcIdentity;
  /** The console path saved by `begin`, safe to redirect to. */
  next: string;
}

export interface OidcLogin {
  /** Starts a sign-in that will return to `next` (a console path; anything else becomes `/ui`). */
  begin(next: string): OidcLoginStart;
  /**
   * Completes a sign-in from the callback and the state cookie `begin` set. Throws `unauthorized` when the
   * cookie is missing, altered or expired, the state differs, the identity provider refused, or the ID token
   * fails; `identity_provider_unreachable` when the identity provider could not be reached or read. Messages
   * are plain text (to escape where shown) and never hold the code, a token or the client secret. The caller
   * clears the cookie whatever the outcome: a state is good for one attempt.
   */
  finish(query: OidcCallbackQuery, stateCookie: string | undefined): Promise<OidcLoginResult>;
}

/** OAuth error codes (RFC 6749 §4.1.2.1) shown as they are; anything else is not repeated. */
const ERROR_CODE_PATTERN = /^[a-z0-9_.-]{1,64}$/i;
/** Errors that say the identity provider is down rather than that the user was refused. */
const UNAVAILABLE_ERRORS = new Set(['server_error', 'temporarily_unavailable']);
const MAX_DESCRIPTION_LENGTH = 200;
/** Authorization codes are short; a longer one is refused without being sent anywhere. */
const MAX_CODE_LENGTH = 2048;

/** Browser sign-in with the OIDC authorization code flow and PKCE (S256). Bad settings throw `invalid_input` here. */
export function createOidcLogin(options: OidcLoginOptions): OidcLogin {
  const config = parseInput(oidcLoginConfigSchema, options.config, 'OIDC sign-in configuration');
  const redirectUri = parseInput(endpointUrlSchema, options.redirectUri, 'OIDC redirect URI');
  const sealer = createLoginStateSealer(options.key);
  const { verifier, resolveSecret } = options;
  const now = options.now ?? (() => new Date());
  const secret = config.clientSecret;
  if (secret !== undefined && isSecretRef(secret) && !resolveSecret)
    throw new AirlockError('invalid_input', 'The OIDC client secret is a secret reference but no resolver was given to resolve it.');

  return {
    begin(next) {
      const state = randomToken();
      const nonce = randomToken();
      const codeVerifier = randomToken();
      const url = new URL(config.authorizationUrl);
      const params = {
        response_type: 'code',
        client_id: config.clientId,
        redirect_uri: redirectUri,
        scope: config.scopes.join(' '),
        state,
        nonce,
        code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
        code_challenge_method: 'S256',
      };
      for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
      const expiresAt = now().getTime() + LOGIN_STATE_TTL_MS;
      const stateCookie = sealer.seal({ state, nonce, verifier: codeVerifier, next: safeNextPath(next), expiresAt });
      return { url: url.href, stateCookie };
    },

    async finish(query, stateCookie) {
      if (typeof stateCookie !== 'string' || stateCookie === '')
        throw refused('The sign-in came back without its login state cookie; start again from the sign-in page, with cookies allowed.');
      const saved = sealer.open(stateCookie);
      if (!saved) throw refused('The sign-in came back with an invalid login state cookie; start again from the sign-in page.');
      if (now().getTime() >= saved.expiresAt)
        throw refused(`The sign-in took longer than ${LOGIN_STATE_TTL_MS / 60_000} minutes; start again from the sign-in page.`);
      // Checked before anything else the callback says, so a forged link cannot put words in our mouth.
      if (typeof query.state !== 'string' || !sameSecret(query.state, saved.state))
        throw refused('The sign-in came back with a state that does not match this browser; start again from the sign-in page.');
      if (query.error !== undefined) throw idpRefusal(query.error, query.error_description);
      const code = query.code;
      if (typeof code !== 'string' || code === '' || code.length > MAX_CODE_LENGTH)
        throw refused('The sign-in came back without a usable authorization code; start again from the sign-in page.');

      const clientSecret = secret !== undefined && isSecretRef(secret) && resolveSecret ? await resolveSecret(secret) : secret;
      const idToken = await requestIdToken({
        tokenUrl: config.tokenUrl,
        clientId: config.clientId,
        ...(clientSecret === undefined ? {} : { clientSecret }),
        code,
        redirectUri,
        codeVerifier: saved.verifier,
        fetch: options.fetch ?? fetch,
      });
      const identity = await verifier.verify(idToken);
      if (!identity)
        throw refused(
          `The identity provider's ID token did not verify (signature, issuer, audience ${config.clientId}, expiry or user name); check the OIDC settings.`,
        );
      // Safe to read only now that the signature held.
      const claims = decodeJwt(idToken);
      if (typeof claims.nonce !== 'string' || !sameSecret(claims.nonce, saved.nonce))
        throw refused("The identity provider's ID token does not carry this sign-in's nonce; start again from the sign-in page.");
      if (claims.azp !== undefined && claims.azp !== config.clientId)
        throw refused(`The identity provider's ID token was issued to another client than ${config.clientId}; check the OIDC settings.`);
      return { identity, next: saved.next };
    },
  };
}

/**
 * `next` when it is a path inside the console (`/ui`, `/ui/…`, with any query), normalised; `/ui` for
 * anything else: absolute or scheme-relative URLs (`//evil`, `/\evil`), other paths, `..` escapes.
 */
export function safeNextPath(next: unknown): string {
  // Only printable ASCII without backslashes: browsers read `\` as `/` and drop tabs and newlines, which
  // turns harmless-looking paths into `//evil`. Console links are ASCII (anything else arrives percent-encoded).
  if (typeof next !== 'string' || next.length > 1024 || !next.startsWith('/') || /[^\x20-\x7E]|\\/.test(next)) return DEFAULT_NEXT_PATH;
  const base = 'http://airlock.invalid';
  let url: URL;
  try {
    url = new URL(next, base);
  } catch {
    return DEFAULT_NEXT_PATH;
  }
  if (url.origin !== base || (url.pathname !== '/ui' && !url.pathname.startsWith('/ui/'))) return DEFAULT_NEXT_PATH;
  return url.pathname + url.search + url.hash;
}

/** 32 random bytes as 43 base64url characters: enough for state and nonce, and a valid PKCE verifier (RFC 7636 §4.1). */
function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Compares in constant time whatever the lengths, by comparing digests. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function refused(message: string): AirlockError {
  return new AirlockError('unauthorized', message);
}

/**
 * The identity provider's own refusal, as plain text: its error code when it is one, and its description
 * cut to 200 characters of those RFC 6749 §4.1.2.1 allows (printable ASCII without `"` and `\`).
 */
function idpRefusal(error: unknown, description: unknown): AirlockError {
  const code = typeof error === 'string' && ERROR_CODE_PATTERN.test(error) ? error : undefined;
  const text =
    typeof description === 'string'
      ? description
          .replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '')
          .trim()
          .slice(0, MAX_DESCRIPTION_LENGTH)
      : '';
  const detail = `${code ?? 'an unrecognised error'}${text === '' ? '' : `: "${text}"`}`;
  if (code !== undefined && UNAVAILABLE_ERRORS.has(code))
    return new AirlockError(
      'identity_provider_unreachable',
      `The identity provider could not complete the sign-in (${detail}); try again later.`,
    );
  return refused(`The identity provider refused the sign-in (${detail}); try again, or ask an administrator for access.`);
}
