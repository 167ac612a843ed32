import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AirlockError } from '../errors.js';

/**
 * What a browser carries from the start of an OIDC sign-in to its callback, in a cookie it can neither
 * read nor forge: the server keeps nothing between the two requests.
 */
export interface LoginState {
  /** Sent as `state` and expected back on the callback (CSRF protection, RFC 6749 §10.12). */
  state: string;
  /** Sent as `nonce` and expected in the ID token (replay protection, OIDC Core §3.1.2.1). */
  nonce: string;
  /** The PKCE `code_verifier` (RFC 7636); only its S256 hash went to the browser's address bar. */
  verifier: string;
  /** The console path to return to, already checked by `safeNextPath`. */
  next: string;
  /** Milliseconds since the epoch after which the callback is refused. */
  expiresAt: number;
}

export interface LoginStateSealer {
  seal(state: LoginState): string;
  /** The state a sealed string holds, or undefined when it is malformed, altered or sealed under another key. */
  open(sealed: string): LoginState | undefined;
}

export const MIN_LOGIN_STATE_KEY_BYTES = 32;
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** A sealed state is a few hundred characters; anything much longer is refused unread. */
const MAX_SEALED_LENGTH = 4096;
const SEALED_PATTERN = /^v1\.[A-Za-z0-9_-]+$/;
/** Bound into every seal, so a ciphertext made under the same key for another purpose does not open. */
const AAD = Buffer.from('airlock oidc login state v1');

const loginStateSchema = z.strictObject({
  state: z.string().min(1),
  nonce: z.string().min(1),
  verifier: z.string().min(43),
  next: z.string().startsWith('/ui'),
  expiresAt: z.number().int(),
});

/**
 * Seals login states with AES-256-GCM. The cipher key is derived from `key` with HKDF, so the same secret
 * can back other uses (session cookies, links) without the two ever sharing a key.
 */
export function createLoginStateSealer(key: Buffer): LoginStateSealer {
  if (!Buffer.isBuffer(key) || key.length < MIN_LOGIN_STATE_KEY_BYTES)
    throw new AirlockError('invalid_input', `The OIDC login state key must be at least ${MIN_LOGIN_STATE_KEY_BYTES} random bytes.`);
  const cipherKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'airlock oidc login state', 32));

  return {
    seal(state) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', cipherKey, iv).setAAD(AAD);
      const body = Buffer.concat([cipher.update(JSON.stringify(state), 'utf8'), cipher.final()]);
      return `${VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
    },

    open(sealed) {
      if (typeof sealed !== 'string' || sealed.length > MAX_SEALED_LENGTH || !SEALED_PATTERN.test(sealed)) return undefined;
      const raw = Buffer.from(sealed.slice(VERSION.length + 1), 'base64url');
      if (raw.length <= IV_BYTES + TAG_BYTES) return undefined;
      let text: string;
      try {
        const decipher = createDecipheriv('aes-256-gcm', cipherKey, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES }).setAAD(AAD);
        decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
        text = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        return undefined;
      }
      try {
        const parsed = loginStateSchema.safeParse(JSON.parse(text));
        return parsed.success ? parsed.data : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
