import { AirlockError } from '../errors.js';

/** How long the token endpoint has to answer, body included. */
export const TOKEN_REQUEST_TIMEOUT_MS = 10_000;

/** One authorization code grant (RFC 6749 §4.1.3) with its PKCE verifier (RFC 7636 §4.5). */
export interface TokenRequest {
  tokenUrl: string;
  clientId: string;
  /** Sent with HTTP Basic (RFC 6749 §2.3.1) when present; a public client has none. */
  clientSecret?: string;
  code: string;
  redirectUri: string;
  codeVerifier: string;
  fetch: typeof fetch;
}

/** OAuth error codes from the token endpoint (RFC 6749 §5.2) repeated as they are; anything else is not. */
const ERROR_CODE_PATTERN = /^[a-z0-9_.-]{1,64}$/i;

/**
 * Trades an authorization code for the identity provider's ID token (still unverified). Throws
 * `identity_provider_unreachable` when the endpoint cannot be reached, times out, fails (5xx) or answers
 * unreadably, and `unauthorized` when it refuses the grant or answers without an ID token. Messages name
 * the endpoint without its query and never hold the code, the verifier, a token or the secret.
 */
export async function requestIdToken(request: TokenRequest): Promise<string> {
  const url = new URL(request.tokenUrl);
  const shown = url.origin + url.pathname;
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: request.code,
    redirect_uri: request.redirectUri,
    client_id: request.clientId,
    code_verifier: request.codeVerifier,
  });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (request.clientSecret !== undefined) {
    const credentials = `${formEncode(request.clientId)}:${formEncode(request.clientSecret)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }

  let status: number;
  let text: string;
  try {
    // Not following redirects: a 307 would resend the code and verifier to wherever it points.
    const response = await request.fetch(url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(TOKEN_REQUEST_TIMEOUT_MS),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    throw unreachable(`Could not reach the identity provider's token endpoint at ${shown} (${failureReason(error)})`, error);
  }

  if (status >= 300 && status < 400)
    throw unreachable(`The identity provider's token endpoint at ${shown} answered HTTP ${status}, a redirect, which is not followed`);
  if (status >= 500) throw unreachable(`The identity provider's token endpoint at ${shown} answered HTTP ${status}`);
  const json = parseJson(text);
  if (status >= 400) {
    const code = typeof json?.error === 'string' && ERROR_CODE_PATTERN.test(json.error) ? json.error : undefined;
    const answer = `HTTP ${status}${code === undefined ? '' : ` ${code}`}`;
    if (code === 'invalid_client' || status === 401)
      throw refused(
        `The identity provider's token endpoint at ${shown} refused Airlock's client credentials (${answer}); check AIRLOCK_OIDC_CLIENT_ID and AIRLOCK_OIDC_CLIENT_SECRET.`,
      );
    throw refused(
      `The identity provider's token endpoint at ${shown} refused the authorization code (${answer}); start again from the sign-in page.`,
    );
  }
  if (json === undefined)
    throw unreachable(`The identity provider's token endpoint at ${shown} answered HTTP ${status} without a JSON body`);
  const idToken = json.id_token;
  if (typeof idToken !== 'string' || idToken === '')
    throw refused(
      `The identity provider's token endpoint at ${shown} answered without an ID token; check that the client is set up for OpenID Connect.`,
    );
  return idToken;
}

/** The `application/x-www-form-urlencoded` form RFC 6749 §2.3.1 asks for inside Basic credentials. */
function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Why a fetch failed, in words safe to show: a timeout, or the system's error code (ECONNREFUSED…). */
function failureReason(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return `no answer within ${TOKEN_REQUEST_TIMEOUT_MS / 1000} s`;
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : 'network error';
}

function unreachable(sentence: string, cause?: unknown): AirlockError {
  return new AirlockError('identity_provider_unreachable', `${sentence}; sign-in fails until it answers.`, { cause });
}

function refused(message: string): AirlockError {
  return new AirlockError('unauthorized', message);
}
