import { DIGIT, UPPER_ALNUM } from './byte-classes.js';

/**
 * Masked excerpts. Each keeps enough for an operator to recognise the kind of value and tell two apart
 * at a glance (shape, a few edge characters), never enough to use it.
 */

/** Redaction marker after a token's non-secret prefix (`AKIA[redacted]`). */
export const REDACTED = '[redacted]';

/**
 * A card number with its grouping kept and every digit but the first four and the last four starred:
 * `4111 **** **** 1111`, `4111********1111`.
 */
export function maskCardNumber(bytes: Uint8Array, start: number, end: number, digits: number): string {
  return maskCharacters(bytes, start, end, DIGIT, (index) => index < 4 || index >= digits - 4);
}

/** An SSN showing only its serial, with the original separator: `***-**-6789`, `*** ** 6789`. */
export function maskSsn(bytes: Uint8Array, start: number, end: number): string {
  return maskCharacters(bytes, start, end, DIGIT, (index) => index >= 5);
}

/**
 * An IBAN showing its country code, its check digits and its last two characters, grouping kept:
 * `DE89 **** **** **** **** 00`. Six real characters at most, none of them the account number proper.
 */
export function maskIban(bytes: Uint8Array, start: number, end: number, length: number): string {
  return maskCharacters(bytes, start, end, UPPER_ALNUM, (index) => index < 4 || index >= length - 2);
}

/** An e-mail address with the local part reduced to its first character: `j***@example.com`. */
export function maskEmail(local: string, domain: string): string {
  return `${local.charAt(0)}***@${domain}`;
}

/**
 * Any other value (custom detectors): its first and last two characters with the middle starred, and
 * never more than a third of it visible, so a short value shows fewer edge characters or none.
 */
export function maskGeneric(value: string): string {
  const chars = Array.from(value, (char) => (char < ' ' || char === '\u007f' ? ' ' : char));
  const visible = Math.min(2, Math.floor(chars.length / 6));
  const hidden = Math.max(1, Math.min(chars.length - 2 * visible, 24));
  return `${chars.slice(0, visible).join('')}${'*'.repeat(hidden)}${visible > 0 ? chars.slice(-visible).join('') : ''}`;
}

/**
 * Copies `bytes[start, end)` as text, replacing each byte of class `kind` by `*` unless `keep(n)` says
 * to show it (n counts the bytes of that class from 0); other bytes (separators) are kept as they are.
 */
function maskCharacters(bytes: Uint8Array, start: number, end: number, kind: Uint8Array, keep: (index: number) => boolean): string {
  let text = '';
  let index = 0;
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (kind[byte] === 1) text += keep(index++) ? String.fromCharCode(byte) : '*';
    else text += String.fromCharCode(byte);
  }
  return text;
}
