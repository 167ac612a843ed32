import { ALNUM, DIGIT, UPPER, UPPER_ALNUM } from './byte-classes.js';
import { clampConfidence, type Candidate } from './candidate.js';
import { NEGATIVE_WORDS, scoreContext, type ContextWords } from './context-words.js';
import { IBAN_LENGTH_BY_CODE, MAX_IBAN_LENGTH } from './iban-countries.js';
import { maskIban } from './masking.js';
import { ibanMod97 } from './validators.js';

/**
 * IBANs, in electronic form (`DE89370400440532013000`) or printed in groups of four separated by single
 * spaces (`DE89 3704 0044 0532 0130 00`). The length must be exactly the country's: a value never
 * borrows a neighbouring character, and one that a following letter or digit would lengthen is not one.
 */

/** Bytes read from the country code on: the longest IBAN, its group spaces, and a look at what follows. */
export const IBAN_LOOKAHEAD = MAX_IBAN_LENGTH + 9 + 2;

const IBAN_WORDS: ContextWords = {
  raise: ['iban', 'account', 'bank', 'konto', 'bic', 'swift', 'transfer', 'beneficiary', 'payee'],
  lower: NEGATIVE_WORDS,
};

/**
 * Tries an IBAN whose country code starts at `start`. The caller has seen two uppercase letters there,
 * followed by a digit that starts a digit run; most such pairs (`HTTP2`, `SHA256`) are not countries
 * and cost one table read.
 */
export function detectIban(bytes: Uint8Array, start: number, end: number, out: Candidate[]): void {
  if (start > 0 && ALNUM[bytes[start - 1]!] === 1) return;
  const c0 = bytes[start]!;
  const c1 = bytes[start + 1]!;
  if (UPPER[c0] !== 1 || UPPER[c1] !== 1) return;
  const length = IBAN_LENGTH_BY_CODE[(c0 - 0x41) * 26 + (c1 - 0x41)]!;
  if (length === 0 || start + 4 > end || DIGIT[bytes[start + 2]!] !== 1 || DIGIT[bytes[start + 3]!] !== 1) return;

  const isGrouped = start + 4 < end && bytes[start + 4] === 0x20;
  let i = start + 4;
  for (let count = 4; count < length; count++) {
    if (isGrouped && count % 4 === 0) {
      if (i >= end || bytes[i] !== 0x20) return;
      i++;
    }
    if (i >= end || UPPER_ALNUM[bytes[i]!] !== 1) return;
    i++;
  }
  if (i < end && ALNUM[bytes[i]!] === 1) return;
  // A full last group followed by a space and a digit reads as a longer grouped number, not this IBAN.
  if (isGrouped && length % 4 === 0 && i + 1 < end && bytes[i] === 0x20 && DIGIT[bytes[i + 1]!] === 1) return;

  let normalized = '';
  for (let j = start; j < i; j++) if (bytes[j] !== 0x20) normalized += String.fromCharCode(bytes[j]!);
  if (ibanMod97(normalized) !== 1) return;

  const context = scoreContext(bytes, start, IBAN_WORDS);
  out.push({
    detector: 'iban',
    severity: 'medium',
    start,
    normalized,
    excerpt: maskIban(bytes, start, i, length),
    pattern: isGrouped ? 'iban-grouped' : 'iban',
    validator: 'iban-mod97',
    confidence: clampConfidence(0.85 + context.delta),
    context: context.labels,
  });
}
