import { ALNUM, bytesEqual, latin1, UPPER, WORD } from './byte-classes.js';
import { clampConfidence, type Candidate } from './candidate.js';
import { NEGATIVE_WORDS, scoreContext, type ContextWords } from './context-words.js';
import { REDACTED } from './masking.js';

/**
 * Credentials with a fixed, documented prefix: AWS access key ids (tried at each `A` of an uppercase
 * region), GitHub tokens (at underscores, or `gh` and `_pat_`), Slack tokens (at `xox`). Each must be
 * bounded by non-word characters on both sides. Excerpts show the prefix only.
 */

const TOKEN_WORDS: ContextWords = { raise: ['token', 'secret', 'key', 'password', 'credential', 'auth'], lower: NEGATIVE_WORDS };

const SLACK_MAX_LENGTH = 255;

/** Bytes read after a trigger, at most (a Slack token of the longest kind, and one byte past it). */
export const TOKEN_LOOKAHEAD = SLACK_MAX_LENGTH + 2;
/** Bytes read before a token's start, at most (the boundary byte). */
export const TOKEN_LOOKBEHIND = 1;

/** `[A-Z2-7]`: the base32 alphabet of AWS key ids. */
const isBase32 = (byte: number): boolean => UPPER[byte] === 1 || (byte >= 0x32 && byte <= 0x37);

/** AWS access key id at `start` (an `A`): `AKIA` (long-term) or `ASIA` (temporary) and 16 base32 characters. */
export function detectAwsAccessKey(bytes: Uint8Array, start: number, end: number, out: Candidate[]): void {
  const kind = bytes[start + 1];
  if ((kind !== 0x4b && kind !== 0x53) || bytes[start + 2] !== 0x49 || bytes[start + 3] !== 0x41) return;
  if (start > 0 && WORD[bytes[start - 1]!] === 1) return;
  const stop = start + 20;
  if (stop > end) return;
  for (let i = start + 4; i < stop; i++) if (!isBase32(bytes[i]!)) return;
  if (stop < end && WORD[bytes[stop]!] === 1) return;
  const normalized = latin1(bytes, start, stop);
  // AWS documents AKIAIOSFODNN7EXAMPLE; keys ending in EXAMPLE are documentation, not credentials.
  const isDocumented = normalized.endsWith('EXAMPLE');
  pushToken(out, bytes, start, {
    detector: 'aws_access_key',
    normalized,
    prefix: normalized.slice(0, 4),
    pattern: kind === 0x4b ? 'aws-akia' : 'aws-asia',
    confidence: isDocumented ? 0.2 : 0.95,
    extra: isDocumented ? ['-documented-example'] : [],
  });
}

/**
 * GitHub token at `start` (the `g` of `gh`): classic `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` and 36
 * alphanumerics, or fine-grained `github_pat_` and 82 of `[A-Za-z0-9_]`.
 */
export function detectGithubToken(bytes: Uint8Array, start: number, end: number, out: Candidate[]): void {
  if (start < 0 || bytes[start] !== 0x67) return;
  const kind = bytes[start + 2];
  if (
    bytes[start + 1] === 0x68 &&
    bytes[start + 3] === 0x5f &&
    (kind === 0x70 || kind === 0x6f || kind === 0x75 || kind === 0x73 || kind === 0x72)
  ) {
    const stop = start + 4 + 36;
    if (isBounded(bytes, start, stop, end) && isRunOf(bytes, start + 4, stop, ALNUM)) {
      const prefix = latin1(bytes, start, start + 4);
      pushToken(out, bytes, start, {
        detector: 'github_token',
        normalized: latin1(bytes, start, stop),
        prefix,
        pattern: `github-${prefix.slice(0, 3)}`,
      });
    }
  } else if (bytesEqual(bytes, start, 'github_pat_')) {
    const stop = start + 11 + 82;
    if (isBounded(bytes, start, stop, end) && isRunOf(bytes, start + 11, stop, WORD)) {
      pushToken(out, bytes, start, {
        detector: 'github_token',
        normalized: latin1(bytes, start, stop),
        prefix: 'github_pat_',
        pattern: 'github-fine-grained',
      });
    }
  }
}

/**
 * Slack token at `start` (an `x`): `xoxb-`, `xoxp-`, `xoxa-`, `xoxr-` or `xoxs-`, then dash-separated
 * groups of digits, then a final alphanumeric group (`xoxb-123456789012-1234567890123-AbCdEf…`).
 */
export function detectSlackToken(bytes: Uint8Array, start: number, end: number, out: Candidate[]): void {
  const kind = bytes[start + 3];
  if (bytes[start + 1] !== 0x6f || bytes[start + 2] !== 0x78 || bytes[start + 4] !== 0x2d) return;
  if (kind !== 0x62 && kind !== 0x70 && kind !== 0x61 && kind !== 0x72 && kind !== 0x73) return;
  if (start > 0 && ALNUM[bytes[start - 1]!] === 1) return;
  const limit = Math.min(end, start + SLACK_MAX_LENGTH + 1);
  let i = start + 5;
  let digitGroups = 0;
  for (;;) {
    const groupStart = i;
    let isDigits = true;
    while (i < limit && ALNUM[bytes[i]!] === 1) {
      if (bytes[i]! > 0x39) isDigits = false;
      i++;
    }
    if (i >= limit && limit < end) return; // longer than any Slack token
    const groupLength = i - groupStart;
    if (groupLength === 0) return;
    const isLastGroup = !(i + 1 < limit && bytes[i] === 0x2d && ALNUM[bytes[i + 1]!] === 1);
    if (isLastGroup) {
      if (digitGroups === 0 || groupLength < 4 || i - start < 20) return;
      break;
    }
    if (!isDigits) return;
    digitGroups++;
    i++;
  }
  const prefix = latin1(bytes, start, start + 5);
  pushToken(out, bytes, start, {
    detector: 'slack_token',
    normalized: latin1(bytes, start, i),
    prefix,
    pattern: `slack-${prefix.slice(0, 4)}`,
  });
}

/** Whether `[start, stop)` fits and is bounded by non-word bytes (or the stream's edges). */
function isBounded(bytes: Uint8Array, start: number, stop: number, end: number): boolean {
  if (stop > end) return false;
  if (start > 0 && WORD[bytes[start - 1]!] === 1) return false;
  return stop === end || WORD[bytes[stop]!] !== 1;
}

function isRunOf(bytes: Uint8Array, start: number, stop: number, kind: Uint8Array): boolean {
  for (let i = start; i < stop; i++) if (kind[bytes[i]!] !== 1) return false;
  return true;
}

interface TokenMatch {
  detector: string;
  normalized: string;
  /** The documented, non-secret prefix shown in the excerpt. */
  prefix: string;
  pattern: string;
  confidence?: number;
  extra?: string[];
}

function pushToken(out: Candidate[], bytes: Uint8Array, start: number, match: TokenMatch): void {
  const context = scoreContext(bytes, start, TOKEN_WORDS);
  out.push({
    detector: match.detector,
    severity: 'critical',
    start,
    normalized: match.normalized,
    excerpt: `${match.prefix}${REDACTED}`,
    pattern: match.pattern,
    confidence: clampConfidence((match.confidence ?? 0.9) + context.delta),
    context: [...context.labels, ...(match.extra ?? [])],
  });
}
