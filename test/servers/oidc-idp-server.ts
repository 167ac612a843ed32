import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

/**
 * A throwaway OpenID Connect identity provider (node:http, in this process) on 127.0.0.1 for sign-in tests:
 * a random free port, one ES256 signing key published at `/certs`, and the authorization code flow.
 * `/authorize` signs the user in at once (or refuses, when told to) and answers 302 back to the
 * `redirect_uri` with `code` and `state`, as a browser would be sent; `/token` checks what a real provider
 * checks: the code it issued (good once), the redirect URI and client id it was issued for, the PKCE
 * verifier against the S256 challenge, and the client's HTTP Basic credentials when it has a secret. The ID
 * token it returns carries the grant's nonce, `aud` and `azp` = the client id, and the claims set with
 * `setClaims`. What it was sent is kept in `authorizeQueries` and `tokenRequests`.
 */
export interface OidcIdpServer {
  /** `http://127.0.0.1:<port>`. */
  baseUrl: string;
  /** The `iss` of its ID tokens. */
  issuer: string;
  /** The only client id it knows. */
  clientId: string;
  /** The `sub` of its ID tokens unless `setClaims` changes it. */
  subject: string;
  /** `<baseUrl>/authorize`: the authorization endpoint. */
  authorizationUrl: string;
  /** `<baseUrl>/token`: the token endpoint. */
  tokenUrl: string;
  /** `<baseUrl>/certs`: the key set (JWKS). */
  jwksUrl: string;
  /** Queries `/authorize` was called with, in order. */
  readonly authorizeQueries: readonly URLSearchParams[];
  /** Requests to `/token`, in order: the Authorization header and the form body. */
  readonly tokenRequests: readonly OidcTokenRequest[];
  /**
   * Claims of the ID tokens issued from now on, over the defaults (`preferred_username` alice,
   * `email` alice@example.com, `groups` idp-approvers and everyone); a claim set to `undefined` is left
   * out. A `nonce` here replaces the one the browser was sent with (a token from another sign-in).
   */
  setClaims(claims: Record<string, unknown>): void;
  /** From now on `/authorize` sends the browser back with this OAuth error instead of a code (`undefined`: codes again). */
  deny(refusal: { error: string; description?: string } | undefined): void;
  /** From now on the token endpoint answers this way (`undefined`: as a working provider does). */
  failTokenEndpoint(failure: TokenEndpointFailure | undefined): void;
  /** From now on the token endpoint requires HTTP Basic client authentication with this secret (`undefined`: none). */
  requireClientSecret(secret: string | undefined): void;
  /** Forgets issued codes and recorded requests and undoes `setClaims`, `deny`, `failTokenEndpoint` and `requireClientSecret`. */
  reset(): void;
  /** Stops listening, dropping open connections. */
  stop(): Promise<void>;
}

/**
 * How the token endpoint can misbehave: `server-error` HTTP 500 with a text body, `redirect` a 307 to
 * another host, `html` a 200 maintenance page, `no-id-token` a valid token answer without `id_token`.
 */
export type TokenEndpointFailure = 'server-error' | 'redirect' | 'html' | 'no-id-token';

export interface OidcTokenRequest {
  authorization: string | undefined;
  body: URLSearchParams;
}

export interface OidcIdpServerOptions {
  /** `<baseUrl>` when absent, as a real provider's issuer is its own address. */
  issuer?: string;
  /** `airlock-console` when absent. */
  clientId?: string;
}

export const DEFAULT_ID_TOKEN_CLAIMS: Readonly<Record<string, unknown>> = Object.freeze({
  preferred_username: 'alice',
  email: 'alice@example.com',
  groups: ['idp-approvers', 'everyone'],
});
const DEFAULT_SUBJECT = 'f3a1c2d4-0000-4000-8000-000000000001';
const KEY_ID = 'idp-1';

/** What a code was issued for: the token endpoint holds the client to it. */
interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string;
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export async function startOidcIdpServer(options: OidcIdpServerOptions = {}): Promise<OidcIdpServer> {
  const clientId = options.clientId ?? 'airlock-console';
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: KEY_ID, use: 'sig', alg: 'ES256' };

  const codes = new Map<string, Grant>();
  const authorizeQueries: URLSearchParams[] = [];
  const tokenRequests: OidcTokenRequest[] = [];
  let claims: Record<string, unknown> = {};
  let refusal: { error: string; description?: string } | undefined;
  let failure: TokenEndpointFailure | undefined;
  let clientSecret: string | undefined;

  const server: Server = createServer((req, res) => {
    handle(req).then(
      ({ status, headers = {}, body = '' }) => res.writeHead(status, headers).end(body),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = options.issuer ?? baseUrl;

  async function handle(req: IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? '/', baseUrl);
    if (url.pathname === '/certs') return json(200, { keys: [jwk] });
    if (url.pathname === '/authorize') return authorize(url.searchParams);
    if (url.pathname === '/token' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      return token(req.headers.authorization, new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    }
    return { status: 404 };
  }

  /** Signs the user in at once (or refuses, as told) and sends the browser back with a code. */
  function authorize(query: URLSearchParams): Reply {
    authorizeQueries.push(query);
    const back = new URL(query.get('redirect_uri') ?? '');
    back.searchParams.set('state', query.get('state') ?? '');
    if (query.get('response_type') !== 'code' || query.get('code_challenge_method') !== 'S256' || query.get('client_id') !== clientId)
      return { status: 400 };
    if (refusal) {
      back.searchParams.set('error', refusal.error);
      if (refusal.description !== undefined) back.searchParams.set('error_description', refusal.description);
    } else {
      const code = randomBytes(16).toString('base64url');
      codes.set(code, {
        clientId,
        redirectUri: back.origin + back.pathname,
        challenge: query.get('code_challenge') ?? '',
        nonce: query.get('nonce') ?? '',
      });
      back.searchParams.set('code', code);
    }
    return { status: 302, headers: { location: back.href } };
  }

  async function token(authorization: string | undefined, body: URLSearchParams): Promise<Reply> {
    tokenRequests.push({ authorization, body });
    if (failure === 'server-error') return { status: 500, body: 'upstream database down' };
    if (failure === 'redirect') return { status: 307, headers: { location: 'https://elsewhere.example.com/token' } };
    if (failure === 'html') return { status: 200, headers: { 'content-type': 'text/html' }, body: '<html>maintenance</html>' };
    if (clientSecret !== undefined) {
      // RFC 6749 §2.3.1: both halves are form-encoded before Base64.
      const expected = `Basic ${Buffer.from(`${encodeForm(clientId)}:${encodeForm(clientSecret)}`).toString('base64')}`;
      if (authorization !== expected || body.has('client_secret')) return json(401, { error: 'invalid_client' });
    }
    const code = body.get('code') ?? '';
    const grant = codes.get(code);
    codes.delete(code);
    const challenge = createHash('sha256')
      .update(body.get('code_verifier') ?? '')
      .digest('base64url');
    if (
      body.get('grant_type') !== 'authorization_code' ||
      !grant ||
      body.get('redirect_uri') !== grant.redirectUri ||
      body.get('client_id') !== grant.clientId ||
      challenge !== grant.challenge
    )
      return json(400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
    if (failure === 'no-id-token') return json(200, { access_token: 'at', token_type: 'Bearer', expires_in: 300 });
    const idToken = await signIdToken({ sub: DEFAULT_SUBJECT, ...DEFAULT_ID_TOKEN_CLAIMS, nonce: grant.nonce, azp: clientId, ...claims });
    return json(200, { access_token: 'at', token_type: 'Bearer', expires_in: 300, id_token: idToken });
  }

  function signIdToken(payload: Record<string, unknown>): Promise<string> {
    const present = Object.fromEntries(Object.entries(payload).filter(([, value]) => value !== undefined));
    return new SignJWT(present)
      .setProtectedHeader({ alg: 'ES256', kid: KEY_ID })
      .setIssuer(issuer)
      .setAudience(clientId)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
  }

  return {
    baseUrl,
    issuer,
    clientId,
    subject: DEFAULT_SUBJECT,
    authorizationUrl: `${baseUrl}/authorize`,
    tokenUrl: `${baseUrl}/token`,
    jwksUrl: `${baseUrl}/certs`,
    authorizeQueries,
    tokenRequests,
    setClaims(next) {
      claims = { ...next };
    },
    deny(next) {
      refusal = next;
    },
    failTokenEndpoint(next) {
      failure = next;
    },
    requireClientSecret(next) {
      clientSecret = next;
    },
    reset() {
      codes.clear();
      authorizeQueries.length = 0;
      tokenRequests.length = 0;
      claims = {};
      refusal = undefined;
      failure = undefined;
      clientSecret = undefined;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function json(status: number, value: unknown): Reply {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

function encodeForm(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}
