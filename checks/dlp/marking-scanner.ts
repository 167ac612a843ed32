import type { ContentScanner, Finding, FindingSeverity, StreamInfo } from '../check.js';

interface Marking {
  severity: FindingSeverity;
  /** Upper-case whole words are deliberate markings more often than not, but prose can shout too. */
  confidence: number;
  pattern: string;
}

const MARKINGS: Record<string, Marking> = {
  'TOP SECRET': { severity: 'critical', confidence: 0.9, pattern: 'marking-top-secret' },
  SECRET: { severity: 'high', confidence: 0.8, pattern: 'marking-secret' },
  CONFIDENTIAL: { severity: 'medium', confidence: 0.8, pattern: 'marking-confidential' },
  // Also found in licence boilerplate ("RESTRICTED RIGHTS"), hence the lower confidence.
  RESTRICTED: { severity: 'medium', confidence: 0.6, pattern: 'marking-restricted' },
};

/** A banner's control suffix (`SECRET//NOFORN`) makes a marking near certain. */
const BANNER_CONFIDENCE = 0.95;

/** The words searched for with `Buffer.indexOf` (native, memchr-fast); `TOP` is looked for before `SECRET`. */
const NEEDLES = ['SECRET', 'CONFIDENTIAL', 'RESTRICTED'].map((word) => ({ word, bytes: Buffer.from(word, 'latin1') }));
const TOP = Buffer.from('TOP', 'latin1');
/** Up to 8 blanks (or one hyphen) may separate TOP from SECRET. */
const MAX_GAP = 8;
/** Bytes looked at around a match: a UTF-8 character either side, or the `//` of a banner. */
const NEIGHBOUR_BYTES = 4;
/** The longest marking, `TOP` + 8 blanks + `SECRET`. */
const LONGEST_MATCH = 3 + MAX_GAP + 6;
/** Bytes of a chunk's end left undecided until more arrive, so a marking cut by a chunk is seen whole. */
const HOLD_BACK = 12 + NEIGHBOUR_BYTES;
/** Bytes kept before the undecided tail, so `TOP` and a left neighbour before a match are still there. */
const KEEP_BEFORE = LONGEST_MATCH + NEIGHBOUR_BYTES;
/** Per stream: a document with a banner on every page is reported this many times, then not again. */
export const MAX_MARKINGS_PER_STREAM = 100;

/**
 * Finds upper-case classification markings in a stream of bytes (UTF-8 or any ASCII-compatible text;
 * UTF-16 text is not read). Case-sensitive on purpose: "secret" in prose and "Confidential" in a sentence
 * are not markings. `TOP SECRET` may be written with up to 8 blanks or a hyphen between the words and
 * counts once, as TOP SECRET, never also as SECRET. Whole words are checked on the bytes around a hit, so
 * accented letters and digits count as word characters too. Between chunks it keeps a few dozen bytes
 * and one reused buffer.
 */
export class MarkingScanner implements ContentScanner {
  /**
   * Reused for every chunk: the undecided bytes of the previous chunk (with a little context before
   * them) at its front, then the new chunk copied in. No allocation per chunk.
   */
  #window: Buffer = Buffer.allocUnsafeSlow(128 * 1024);
  /** Bytes of `#window` carried over from the previous chunk. */
  #carryLength = 0;
  /** Stream offset of the first byte of `#carry`. */
  #carryStart = 0;
  /** Window index (in the next window) from which hits are still undecided. */
  #pendingFrom = 0;
  /** Newlines in the stream before `#carryStart`. */
  #linesBefore = 0;
  readonly #findings: Finding[] = [];

  constructor(
    private readonly checkId: string,
    private readonly stream: StreamInfo,
  ) {}

  write(chunk: Buffer): void {
    const length = this.#carryLength + chunk.length;
    if (length > this.#window.length) {
      const grown = Buffer.allocUnsafeSlow(length);
      this.#window.copy(grown, 0, 0, this.#carryLength);
      this.#window = grown;
    }
    chunk.copy(this.#window, this.#carryLength);
    const window = this.#window.subarray(0, length);
    const decideTo = Math.max(this.#pendingFrom, length - HOLD_BACK);
    this.#scan(window, this.#pendingFrom, decideTo);
    const keepFrom = Math.max(0, decideTo - KEEP_BEFORE);
    this.#linesBefore += countNewlines(window, 0, keepFrom);
    this.#window.copyWithin(0, keepFrom, length);
    this.#carryLength = length - keepFrom;
    this.#carryStart += keepFrom;
    this.#pendingFrom = decideTo - keepFrom;
  }

  end(): Finding[] {
    this.#scan(this.#window.subarray(0, this.#carryLength), this.#pendingFrom, this.#carryLength);
    this.#carryLength = 0;
    return this.#findings;
  }

  /** Decides every marking whose word starts in `[from, to)` of `window`. */
  #scan(window: Buffer, from: number, to: number): void {
    if (to <= from || this.#findings.length >= MAX_MARKINGS_PER_STREAM) return;
    const hits: { start: number; end: number; word: string }[] = [];
    for (const { word, bytes } of NEEDLES) {
      for (let at = window.indexOf(bytes, from); at !== -1 && at < to; at = window.indexOf(bytes, at + 1)) {
        const end = at + bytes.length;
        if (isWordByte(window, end, 'after')) continue;
        const top = word === 'SECRET' ? topBefore(window, at) : -1;
        if (top >= 0 && !isWordByte(window, top - 1, 'before')) hits.push({ start: top, end, word: 'TOP SECRET' });
        else if (!isWordByte(window, at - 1, 'before')) hits.push({ start: at, end, word });
      }
    }
    hits.sort((a, b) => a.start - b.start);
    let line = this.#linesBefore + 1;
    let cursor = 0;
    for (const hit of hits) {
      if (this.#findings.length >= MAX_MARKINGS_PER_STREAM) break;
      line += countNewlines(window, cursor, hit.start);
      cursor = hit.start;
      const isBanner = window[hit.end] === 0x2f && window[hit.end + 1] === 0x2f;
      this.#report(hit.word, this.#carryStart + hit.start, line, isBanner);
    }
  }

  #report(word: string, offset: number, line: number, isBanner: boolean): void {
    const marking = MARKINGS[word]!;
    this.#findings.push({
      check: this.checkId,
      detector: 'classification_marking',
      severity: marking.severity,
      confidence: isBanner ? BANNER_CONFIDENCE : marking.confidence,
      location: { ...(this.stream.entry !== undefined ? { entry: this.stream.entry } : {}), line, offset },
      excerpt: `marking ${word}`,
      valueKey: this.stream.values.key('classification_marking', word),
      trace: { pattern: marking.pattern, ...(isBanner ? { context: ['+banner'] } : {}) },
    });
  }
}

/** Where `TOP` starts when `SECRET` at `at` is preceded by `TOP` and 1 to 8 blanks or one hyphen; else -1. */
function topBefore(window: Buffer, at: number): number {
  let gapStart = at;
  if (window[at - 1] === 0x2d) gapStart = at - 1;
  else while (gapStart > 0 && at - gapStart < MAX_GAP && (window[gapStart - 1] === 0x20 || window[gapStart - 1] === 0x09)) gapStart--;
  if (gapStart === at) return -1;
  const top = gapStart - TOP.length;
  return top >= 0 && window.subarray(top, gapStart).equals(TOP) ? top : -1;
}

function countNewlines(bytes: Buffer, from: number, to: number): number {
  let count = 0;
  for (let at = bytes.indexOf(0x0a, from); at !== -1 && at < to; at = bytes.indexOf(0x0a, at + 1)) count++;
  return count;
}

/**
 * Whether the character touching a match at byte `index` (the byte before it, or the byte after it) is a
 * letter, digit, mark or underscore. Outside the window counts as a boundary (the stream's start or end;
 * the window always keeps a few bytes before any undecided hit). A multi-byte UTF-8 character is decoded.
 */
function isWordByte(window: Buffer, index: number, side: 'before' | 'after'): boolean {
  if (index < 0 || index >= window.length) return false;
  const byte = window[index]!;
  if (byte < 0x80)
    return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x5f;
  let start = index;
  if (side === 'before') {
    // Walk back over continuation bytes (10xxxxxx) to the character's lead byte.
    while (start > 0 && index - start < 3 && (window[start]! & 0xc0) === 0x80) start -= 1;
  }
  const char = window.subarray(start, start + 4).toString('utf8');
  return /^[\p{L}\p{N}\p{M}_]/u.test(char);
}
