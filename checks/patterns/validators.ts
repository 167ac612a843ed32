import { IBAN_LENGTHS } from './iban-countries.js';

/**
 * The checks that turn a plausible shape into a credible value. Each is cheap and runs only on
 * candidates, never per byte.
 */

/** Luhn (ISO/IEC 7812-1) over the digits of `bytes[start, end)`; other bytes (separators) are skipped. */
export function isLuhnValidBytes(bytes: Uint8Array, start: number, end: number): boolean {
  let sum = 0;
  let double = false;
  let digits = 0;
  for (let i = end - 1; i >= start; i--) {
    const digit = bytes[i]! - 0x30;
    if (digit < 0 || digit > 9) continue;
    digits++;
    if (double) sum += digit > 4 ? digit * 2 - 9 : digit * 2;
    else sum += digit;
    double = !double;
  }
  return digits > 1 && sum % 10 === 0;
}

/** Luhn over a string of digits (custom detectors, tests). */
export function isLuhnValid(digits: string): boolean {
  const bytes = Buffer.from(digits, 'latin1');
  return /^[0-9]+$/.test(digits) && isLuhnValidBytes(bytes, 0, bytes.length);
}

/**
 * ISO 13616 IBAN check: a known country, that country's exact length, `[A-Z0-9]` only, and the number
 * formed by moving the first four characters to the end (letters as 10..35) is 1 modulo 97.
 */
export function isValidIban(iban: string): boolean {
  const length = IBAN_LENGTHS.get(iban.slice(0, 2));
  if (length === undefined || iban.length !== length || !/^[A-Z]{2}[0-9]{2}[A-Z0-9]+$/.test(iban)) return false;
  return ibanMod97(iban) === 1;
}

/** The IBAN remainder, computed piecewise so it never leaves safe integers. */
export function ibanMod97(iban: string): number {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const code = rearranged.charCodeAt(i);
    if (code <= 0x39) remainder = (remainder * 10 + (code - 0x30)) % 97;
    else remainder = (remainder * 100 + (code - 0x41 + 10)) % 97;
  }
  return remainder;
}

/**
 * SSA rules for a US social security number (area-group-serial): no area 000, 666 or 900-999 (the
 * latter are ITINs and never issued as SSNs), no group 00, no serial 0000.
 */
export function isValidSsnParts(area: number, group: number, serial: number): boolean {
  return area !== 0 && area !== 666 && area < 900 && group !== 0 && serial !== 0;
}

/**
 * Numbers valid by the SSA rules but printed so often that they are nobody's: the Woolworth wallet-card
 * number, the 1962 advertisement, the textbook example. Still reported, with a low confidence.
 */
export const PUBLISHED_SSNS: ReadonlySet<string> = new Set(['078051120', '219099999', '123456789']);

/** Whether a JWT's first part decodes (base64url) to a JSON object with a string `alg`, as RFC 7515 requires. */
export function isJwtHeader(part: string): boolean {
  try {
    const header: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && !Array.isArray(header) && typeof (header as { alg?: unknown }).alg === 'string';
  } catch {
    return false;
  }
}
