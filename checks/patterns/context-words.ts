import { LETTER } from './byte-classes.js';

/**
 * Words near a match that make it more or less credible: "card" before a 16-digit number raises it,
 * "test" lowers it. Only looked at for candidates that already passed their validator, so the cost is
 * per finding, not per byte.
 */
export interface ContextWords {
  /** Lower-case; their presence raises the confidence. */
  raise: readonly string[];
  /** Lower-case; their presence lowers the confidence. */
  lower: readonly string[];
}

/** How far before a built-in detector's match context words are looked for, in bytes. */
export const CONTEXT_WINDOW = 48;

/** Confidence moves: one raising word is as good as several; a lowering word weighs more than one raising word. */
export const RAISE_DELTA = 0.15;
export const LOWER_DELTA = 0.35;

export const NEGATIVE_WORDS = ['test', 'example', 'sample', 'dummy', 'fake', 'demo', 'mock'] as const;

export interface ContextScore {
  delta: number;
  /** `+card`, `-test`: the words found, signed by their effect. */
  labels: string[];
}

/** Where to look for context words: `before` bytes before the match, `after` bytes after its end. */
export interface ContextSpan {
  start: number;
  end: number;
  before: number;
  after: number;
}

/**
 * Scores the bytes around a match. A word counts when it starts at a word boundary; words of three
 * letters or fewer (`pan`, `ssn`) must also end at one, so that "company" does not say "pan".
 */
export function scoreContext(bytes: Uint8Array, start: number, words: ContextWords, span?: Partial<ContextSpan>): ContextScore {
  const text = contextText(bytes, { start, end: span?.end ?? start, before: span?.before ?? CONTEXT_WINDOW, after: span?.after ?? 0 });
  const labels: string[] = [];
  let delta = 0;
  for (const word of words.raise) {
    if (hasWord(text, word)) {
      labels.push(`+${word}`);
      delta = RAISE_DELTA;
    }
  }
  let lowered = false;
  for (const word of words.lower) {
    if (hasWord(text, word)) {
      labels.push(`-${word}`);
      lowered = true;
    }
  }
  return { delta: lowered ? delta - LOWER_DELTA : delta, labels };
}

/** The lower-cased text around a match, the match itself replaced by one space. */
export function contextText(bytes: Uint8Array, span: ContextSpan): string {
  const before = lowerAscii(bytes, Math.max(0, span.start - span.before), span.start);
  if (span.after <= 0) return before;
  return `${before} ${lowerAscii(bytes, span.end, Math.min(bytes.length, span.end + span.after))}`;
}

/** Lower-cased ASCII text of `bytes[start, end)`; other bytes become spaces, so they act as boundaries. */
export function lowerAscii(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    text += String.fromCharCode(byte >= 0x41 && byte <= 0x5a ? byte + 32 : byte < 0x80 ? byte : 0x20);
  }
  return text;
}

/** Whether `word` occurs in `text` at a word start (and, for short words, ending at a word end). */
export function hasWord(text: string, word: string): boolean {
  const needsEnd = word.length <= 3;
  for (let at = text.indexOf(word); at !== -1; at = text.indexOf(word, at + 1)) {
    if (at > 0 && isLetter(text.charCodeAt(at - 1))) continue;
    const next = at + word.length;
    if (needsEnd && next < text.length && isLetter(text.charCodeAt(next))) continue;
    return true;
  }
  return false;
}

function isLetter(code: number): boolean {
  return code < 256 && LETTER[code] === 1;
}
