import { clampConfidence, type Candidate } from './candidate.js';
import { contextText, hasWord, RAISE_DELTA } from './context-words.js';
import { maskGeneric } from './masking.js';
import type { CompiledCustomDetector } from './patterns-check-config.js';
import { isLuhnValid, isValidIban } from './validators.js';

/**
 * Runs one custom detector over a stream, window by window, with the same results as one RE2 pass over
 * the whole stream: matches do not overlap (a search resumes after the previous match, even when that
 * match ended in an earlier window), and a match longer than `maxLength` is dropped, including its
 * remainder when it was still going on at a window's end.
 */
export class CustomDetectorScan {
  readonly detector: CompiledCustomDetector;
  /** Stream offset where the next search may start: the end of the last match. */
  #resumeAt = 0;
  /** Stream offset where a too-long match was cut by a window's end; a match starting there continues it. */
  #cutAt = -1;

  constructor(detector: CompiledCustomDetector) {
    this.detector = detector;
  }

  /** Bytes needed before a match (context, and one character for `\b` and `^`). */
  get lookbehind(): number {
    return (this.detector.context?.window ?? 0) + 4;
  }

  /** Bytes needed after a match's start (the longest match, context after it, one character for `\b` and `$`). */
  get lookahead(): number {
    return this.detector.maxLength + (this.detector.context?.window ?? 0) + 4;
  }

  /**
   * Reports matches that start in `[from, to)` of `bytes`, whose first byte is at stream offset `base`.
   * `isFinal`: `bytes` runs to the end of the stream.
   */
  scan(bytes: Buffer, base: number, from: number, to: number, isFinal: boolean, out: Candidate[]): void {
    const { regex, maxLength } = this.detector;
    let position = Math.max(from, this.#resumeAt - base);
    while (position < to) {
      regex.lastIndex = position;
      const match = regex.exec(bytes);
      if (match === null || match.index >= to) return;
      const start = match.index;
      const stop = start + match[0].length;
      if (stop === start) {
        position = start + 1; // refused at load; never loop on it all the same
        continue;
      }
      position = stop;
      this.#resumeAt = base + stop;
      const isContinuation = base + start === this.#cutAt;
      this.#cutAt = !isFinal && stop === bytes.length ? base + stop : -1;
      if (isContinuation || this.#cutAt !== -1 || stop - start > maxLength) continue;
      this.#accept(bytes, start, stop, out);
    }
  }

  #accept(bytes: Buffer, start: number, stop: number, out: Candidate[]): void {
    const detector = this.detector;
    const raw = bytes.toString('utf8', start, stop);
    let normalized: string;
    if (detector.validator === 'luhn') {
      normalized = raw.replace(/[^0-9]/g, '');
      if (!isLuhnValid(normalized)) return;
    } else if (detector.validator === 'iban') {
      normalized = raw.replace(/\s+/g, '').toUpperCase();
      if (!isValidIban(normalized)) return;
    } else {
      normalized = detector.caseInsensitive ? raw.toLowerCase() : raw;
    }

    let confidence = detector.confidence;
    let labels: string[] = [];
    if (detector.context) {
      const { words, window, required } = detector.context;
      const text = contextText(bytes, { start, end: stop, before: window, after: window });
      labels = words.filter((word) => hasWord(text, word)).map((word) => `+${word}`);
      if (labels.length === 0 && required) return;
      if (labels.length > 0) confidence += RAISE_DELTA;
    }
    out.push({
      detector: detector.id,
      severity: detector.severity,
      start,
      normalized,
      excerpt: maskGeneric(raw),
      pattern: detector.id,
      ...(detector.validator !== 'none' && { validator: detector.validator === 'iban' ? 'iban-mod97' : 'luhn' }),
      confidence: clampConfidence(confidence),
      context: labels,
    });
  }
}
