import { BASE64URL, bytesEqual, latin1, UPPER } from './byte-classes.js';
import { clampConfidence, type Candidate } from './candidate.js';
import { NEGATIVE_WORDS, scoreContext, type ContextWords } from './context-words.js';
import { REDACTED } from './masking.js';
import { isJwtHeader } from './validators.js';

/** Private keys by their PEM (or OpenPGP armor) header, and JSON Web Tokens by their decoded header. */

/** Longest JWT matched, in bytes; a longer one is reported by its first `JWT_MAX_LENGTH` bytes. */
export const JWT_MAX_LENGTH = 4096;

/** Base64 characters of a key's body that identify it (for `valueKey`); the rest is not read. */
const KEY_BODY_CHARS = 256;
/** How far past the header the body is read for those characters, at most. */
const KEY_BODY_BYTES = 1024;
/** The longest label between `BEGIN ` and the closing dashes read (`ENCRYPTED PRIVATE KEY` is 21 bytes). */
const MAX_LABEL = 48;

/** Bytes read after a trigger, at most. */
export const KEY_LOOKAHEAD = Math.max(JWT_MAX_LENGTH + 2, 6 + MAX_LABEL + 5 + KEY_BODY_BYTES);
/** Bytes read before a trigger, at most (`-----` before `BEGIN`; `ey` and a boundary byte before the `J` of `eyJ`). */
export const KEY_LOOKBEHIND = 6;

const KEY_WORDS: ContextWords = { raise: [], lower: NEGATIVE_WORDS };
const JWT_WORDS: ContextWords = { raise: ['bearer', 'token', 'authorization', 'jwt', 'session'], lower: NEGATIVE_WORDS };

const isBase64 = (byte: number): boolean => BASE64URL[byte] === 1 || byte === 0x2b || byte === 0x2f || byte === 0x3d;

/**
 * A private key header around the `B` of `BEGIN` at `b`: `-----BEGIN [A-Z ]*PRIVATE KEY-----` (PKCS#1
 * RSA, EC, DSA, OpenSSH, PKCS#8 plain or encrypted) or an OpenPGP `PRIVATE KEY BLOCK`. The header is not
 * secret and is kept in the excerpt; the key's first base64 characters tell distinct keys apart.
 */
export function detectPrivateKey(bytes: Uint8Array, b: number, end: number, out: Candidate[]): void {
  if (b < 5 || !bytesEqual(bytes, b - 5, '-----BEGIN ')) return;
  const start = b - 5;
  const labelStart = b + 6;
  const labelLimit = Math.min(end, labelStart + MAX_LABEL);
  let i = labelStart;
  while (i < labelLimit && (UPPER[bytes[i]!] === 1 || bytes[i] === 0x20)) i++;
  if (!bytesEqual(bytes, i, '-----')) return;
  const label = latin1(bytes, labelStart, i);
  const suffix = label.endsWith('PRIVATE KEY') ? 'PRIVATE KEY' : label.endsWith('PRIVATE KEY BLOCK') ? 'PRIVATE KEY BLOCK' : undefined;
  if (suffix === undefined) return;

  const bodyStart = i + 5;
  const bodyLimit = Math.min(end, bodyStart + KEY_BODY_BYTES);
  let body = '';
  for (let j = bodyStart; j < bodyLimit && body.length < KEY_BODY_CHARS; j++) {
    if (bytes[j] === 0x2d && bytesEqual(bytes, j, '-----')) break;
    if (isBase64(bytes[j]!)) body += String.fromCharCode(bytes[j]!);
  }
  const kind = label.slice(0, -suffix.length).trim().toLowerCase().replace(/ +/g, '-');
  const pattern = suffix === 'PRIVATE KEY BLOCK' ? 'pgp-private-key-block' : kind ? `pem-${kind}` : 'pem-pkcs8';
  const context = scoreContext(bytes, start, KEY_WORDS);
  out.push({
    detector: 'private_key',
    severity: 'critical',
    start,
    normalized: `${label}:${body}`,
    excerpt: `-----BEGIN ${label}----- ${REDACTED}`,
    pattern,
    // A header with no body is usually documentation about keys rather than a key.
    confidence: clampConfidence((body.length >= 64 ? 0.95 : 0.6) + context.delta),
    context: context.labels,
  });
}

/**
 * A JWT around the `J` of `eyJ` at `j` (`{"` in base64url, how every JOSE header starts): three
 * base64url parts separated by dots, the first decoding to a JSON object with an `alg` member. The
 * signature may be empty (`alg: none`).
 */
export function detectJwt(bytes: Uint8Array, j: number, end: number, out: Candidate[]): void {
  const start = j - 2;
  if (start < 0 || bytes[start] !== 0x65 || bytes[start + 1] !== 0x79) return;
  if (start > 0 && (BASE64URL[bytes[start - 1]!] === 1 || bytes[start - 1] === 0x2e)) return;
  const limit = Math.min(end, start + JWT_MAX_LENGTH);
  const headerEnd = skipBase64Url(bytes, j + 1, limit);
  if (headerEnd >= limit || bytes[headerEnd] !== 0x2e || headerEnd - start < 12) return;
  const payloadEnd = skipBase64Url(bytes, headerEnd + 1, limit);
  if (payloadEnd - headerEnd - 1 < 2) return;
  let stop = payloadEnd;
  if (payloadEnd < limit) {
    if (bytes[payloadEnd] !== 0x2e) return;
    stop = skipBase64Url(bytes, payloadEnd + 1, limit);
  } else if (limit === end) {
    return; // the stream ends inside the payload: two parts only
  }
  if (!isJwtHeader(latin1(bytes, start, headerEnd))) return;
  const context = scoreContext(bytes, start, JWT_WORDS);
  out.push({
    detector: 'jwt',
    severity: 'high',
    start,
    normalized: latin1(bytes, start, stop),
    excerpt: `eyJ${REDACTED}`,
    pattern: stop - start >= JWT_MAX_LENGTH ? 'jwt-truncated' : 'jwt',
    validator: 'jwt-header',
    confidence: clampConfidence(0.9 + context.delta),
    context: context.labels,
  });
}

function skipBase64Url(bytes: Uint8Array, from: number, limit: number): number {
  let i = from;
  while (i < limit && BASE64URL[bytes[i]!] === 1) i++;
  return i;
}
