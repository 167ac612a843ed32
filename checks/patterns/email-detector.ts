import { ALNUM, latin1, LETTER } from './byte-classes.js';
import { clampConfidence, type Candidate } from './candidate.js';
import { NEGATIVE_WORDS, scoreContext, type ContextWords } from './context-words.js';
import { maskEmail } from './masking.js';

/**
 * E-mail addresses, found from their `@`: a local part of common characters before it (at most 64, RFC
 * 5321), a domain of at least two labels after it, ending in an alphabetic top-level label. Quoted local
 * parts and address literals are not looked for.
 */

const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;

/** Bytes read before and after the `@`, at most. */
export const EMAIL_LOOKBEHIND = MAX_LOCAL + 1;
export const EMAIL_LOOKAHEAD = MAX_DOMAIN + 2;

/** `[A-Za-z0-9._%+-]` */
const LOCAL = (() => {
  const table = new Uint8Array(256);
  for (let b = 0; b < 256; b++) table[b] = ALNUM[b] === 1 || b === 0x2e || b === 0x5f || b === 0x25 || b === 0x2b || b === 0x2d ? 1 : 0;
  return table;
})();

/** Top-level labels that are file types: `logo@2x.png` is an image name, not an address. */
const FILE_SUFFIXES = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'bmp', 'ico', 'tif', 'tiff', 'avif']);

/** Domains reserved for documentation and testing (RFC 2606, RFC 6761). */
const RESERVED_DOMAIN = /(^|\.)(example\.(com|org|net)|example|test|invalid|localhost)$/;

const EMAIL_WORDS: ContextWords = { raise: ['email', 'e-mail', 'mail', 'contact'], lower: NEGATIVE_WORDS };

export function detectEmail(bytes: Uint8Array, at: number, end: number, out: Candidate[]): void {
  let start = at;
  const floor = Math.max(0, at - MAX_LOCAL);
  while (start > floor && LOCAL[bytes[start - 1]!] === 1) start--;
  if (start === floor && start > 0 && LOCAL[bytes[start - 1]!] === 1) return;
  while (start < at && bytes[start] === 0x2e) start++;
  if (start === at || bytes[at - 1] === 0x2e) return;

  const limit = Math.min(end, at + 1 + MAX_DOMAIN + 1);
  let stop = at + 1;
  while (stop < limit && (ALNUM[bytes[stop]!] === 1 || bytes[stop] === 0x2e || bytes[stop] === 0x2d)) stop++;
  if (stop === limit && limit < end) return;
  while (stop > at + 1 && (bytes[stop - 1] === 0x2e || bytes[stop - 1] === 0x2d)) stop--;
  if (!isDomain(bytes, at + 1, stop)) return;

  const local = latin1(bytes, start, at);
  const domain = latin1(bytes, at + 1, stop);
  const normalized = `${local}@${domain}`.toLowerCase();
  const isReserved = RESERVED_DOMAIN.test(domain.toLowerCase());
  const context = scoreContext(bytes, start, EMAIL_WORDS);
  out.push({
    detector: 'email_address',
    severity: 'low',
    start,
    normalized,
    excerpt: maskEmail(local, domain),
    pattern: 'email',
    validator: 'email-domain',
    confidence: clampConfidence((isReserved ? 0.3 : 0.85) + context.delta),
    context: isReserved ? [...context.labels, '-reserved-domain'] : context.labels,
  });
}

/** At least two dot-separated labels of 1-63 characters, none starting or ending with `-`, the last alphabetic (or IDNA `xn--`). */
function isDomain(bytes: Uint8Array, start: number, stop: number): boolean {
  let labels = 0;
  let labelStart = start;
  for (let i = start; i <= stop; i++) {
    if (i < stop && bytes[i] !== 0x2e) continue;
    const length = i - labelStart;
    if (length < 1 || length > 63 || bytes[labelStart] === 0x2d || bytes[i - 1] === 0x2d) return false;
    labels++;
    if (i === stop) return labels >= 2 && isTopLevel(bytes, labelStart, stop);
    labelStart = i + 1;
  }
  return false;
}

function isTopLevel(bytes: Uint8Array, start: number, stop: number): boolean {
  const length = stop - start;
  const text = latin1(bytes, start, stop).toLowerCase();
  if (text.startsWith('xn--')) return length > 4;
  if (length < 2 || length > 24 || FILE_SUFFIXES.has(text)) return false;
  for (let i = start; i < stop; i++) if (LETTER[bytes[i]!] !== 1) return false;
  return true;
}
