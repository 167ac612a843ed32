import { DIGIT, LETTER } from './byte-classes.js';
import { clampConfidence, type Candidate } from './candidate.js';
import { cardBrand, MAX_CARD_DIGITS, MIN_CARD_DIGITS } from './card-issuers.js';
import { NEGATIVE_WORDS, scoreContext, type ContextWords } from './context-words.js';
import { maskCardNumber, maskSsn } from './masking.js';
import { isLuhnValidBytes, isValidSsnParts, PUBLISHED_SSNS } from './validators.js';

/**
 * Card numbers and SSNs, from "digit runs": digit groups joined by single spaces or dashes
 * (`4111 1111 1111 1111`, `123-45-6789`, `2024-05-06 12`). A value must be a whole run, never part of
 * a longer one: 16 digits inside 20, or the last four groups of five, are not cards.
 */

/** The longest run worth classifying: 19 digits and 4 separators, with room to spare. */
export const MAX_RUN_BYTES = 32;

/** What the run scanner reads beyond a run's first digit, at most (the run and one byte either side). */
export const DIGIT_RUN_LOOKAHEAD = MAX_RUN_BYTES + 4;

const CARD_WORDS: ContextWords = {
  raise: ['card', 'credit', 'debit', 'visa', 'mastercard', 'amex', 'payment', 'pan', 'cc', 'ccn', 'cvv', 'expiry'],
  lower: NEGATIVE_WORDS,
};
const SSN_WORDS: ContextWords = {
  raise: ['ssn', 'social security', 'social_security', 'social-security', 'ss#', 'taxpayer'],
  lower: [...NEGATIVE_WORDS, 'phone', 'tel', 'fax'],
};

// Group lengths of the run being classified; module scratch so that the hot path allocates nothing.
const groupLengths = new Int32Array(8);

/**
 * Reads the digit run that starts at `start` (a digit not continuing an earlier run), reports a card or
 * an SSN when the whole run is one, and returns where the run ends (or where reading stopped, for runs
 * too long to be either), so the caller can skip it.
 */
export function scanDigitRun(bytes: Uint8Array, start: number, end: number, out: Candidate[]): number {
  const cap = start + MAX_RUN_BYTES;
  let i = start;
  let groups = 0;
  let digits = 0;
  let separator = 0;
  let isMixed = false;
  for (;;) {
    const groupStart = i;
    while (i < end && DIGIT[bytes[i]!] === 1) if (++i > cap) return i;
    if (groups < groupLengths.length) groupLengths[groups] = i - groupStart;
    groups++;
    digits += i - groupStart;
    if (i + 1 >= end) break;
    const next = bytes[i]!;
    if ((next !== 0x20 && next !== 0x2d) || DIGIT[bytes[i + 1]!] !== 1) break;
    if (separator === 0) separator = next;
    else if (separator !== next) isMixed = true;
    i++;
  }
  if (digits < 9) return i;
  const isCard = digits >= MIN_CARD_DIGITS && digits <= MAX_CARD_DIGITS && (groups === 1 || (!isMixed && isCardGrouping(groups, digits)));
  const isSsn = !isCard && groups === 3 && !isMixed && groupLengths[0] === 3 && groupLengths[1] === 2 && groupLengths[2] === 4;
  if ((!isCard && !isSsn) || !isStandalone(bytes, start, i, end)) return i;
  if (isCard) detectCard(bytes, start, i, digits, groups > 1, out);
  else detectSsn(bytes, start, i, separator, out);
  return i;
}

/**
 * Whether a run stands alone: no letter glued to either end (hex digests, base64, identifiers like
 * `INV4111…`), and not the fractional or integer part of a decimal number (`0.4532015112830366`, the
 * way JSON writes a double). A letter after a backslash is an escape (`\n4111…` in a JSON string).
 */
function isStandalone(bytes: Uint8Array, start: number, runEnd: number, end: number): boolean {
  if (start > 0) {
    const before = bytes[start - 1]!;
    if (LETTER[before] === 1 && !(start > 1 && bytes[start - 2] === 0x5c)) return false;
    if (before === 0x2e && start > 1 && DIGIT[bytes[start - 2]!] === 1) return false;
  }
  if (runEnd < end) {
    const after = bytes[runEnd]!;
    if (LETTER[after] === 1) return false;
    if (after === 0x2e && runEnd + 1 < end && DIGIT[bytes[runEnd + 1]!] === 1) return false;
  }
  return true;
}

/** How cards are written in groups: fours with a shorter last group (4-4-4-4, 4-4-4-4-3), or 4-6-5 / 4-6-4. */
function isCardGrouping(groups: number, digits: number): boolean {
  if (groups === 3 && groupLengths[0] === 4 && groupLengths[1] === 6) return digits === 15 || digits === 14;
  if (groups !== 4 && groups !== 5) return false;
  for (let g = 0; g < groups - 1; g++) if (groupLengths[g] !== 4) return false;
  return groupLengths[groups - 1]! >= 1 && groupLengths[groups - 1]! <= 4;
}

function detectCard(bytes: Uint8Array, start: number, runEnd: number, digits: number, isGrouped: boolean, out: Candidate[]): void {
  const brand = cardBrand(leadingDigits(bytes, start, 4), digits);
  if (brand === undefined || !isLuhnValidBytes(bytes, start, runEnd)) return;
  let normalized = '';
  for (let i = start; i < runEnd; i++) if (DIGIT[bytes[i]!] === 1) normalized += String.fromCharCode(bytes[i]!);
  const context = scoreContext(bytes, start, CARD_WORDS);
  out.push({
    detector: 'credit_card',
    severity: 'high',
    start,
    normalized,
    excerpt: maskCardNumber(bytes, start, runEnd, digits),
    pattern: isGrouped ? `${brand}-grouped` : brand,
    validator: 'luhn',
    confidence: clampConfidence((isGrouped ? 0.85 : 0.75) + context.delta),
    context: context.labels,
  });
}

/** The first `count` digits of a run as a number, separators skipped. */
function leadingDigits(bytes: Uint8Array, start: number, count: number): number {
  let value = 0;
  for (let i = start; count > 0; i++) {
    const digit = bytes[i]! - 0x30;
    if (digit >= 0 && digit <= 9) {
      value = value * 10 + digit;
      count--;
    }
  }
  return value;
}

function detectSsn(bytes: Uint8Array, start: number, runEnd: number, separator: number, out: Candidate[]): void {
  const digit = (offset: number): number => bytes[start + offset]! - 0x30;
  const area = digit(0) * 100 + digit(1) * 10 + digit(2);
  const group = digit(4) * 10 + digit(5);
  const serial = digit(7) * 1000 + digit(8) * 100 + digit(9) * 10 + digit(10);
  if (!isValidSsnParts(area, group, serial)) return;
  const normalized = `${area.toString().padStart(3, '0')}${group.toString().padStart(2, '0')}${serial.toString().padStart(4, '0')}`;
  const context = scoreContext(bytes, start, SSN_WORDS);
  const isPublished = PUBLISHED_SSNS.has(normalized);
  const base = separator === 0x2d ? 0.6 : 0.4;
  out.push({
    detector: 'us_ssn',
    severity: 'high',
    start,
    normalized,
    excerpt: maskSsn(bytes, start, runEnd),
    pattern: separator === 0x2d ? 'ssn-dashed' : 'ssn-spaced',
    validator: 'ssa-rules',
    confidence: clampConfidence(isPublished ? 0.2 : base + context.delta * 2),
    context: isPublished ? [...context.labels, '-published'] : context.labels,
  });
}
