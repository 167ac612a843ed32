import { AirlockError } from '../../src/errors.js';
import type { ContentScanner, Finding, StreamInfo } from '../check.js';
import type { Candidate } from './candidate.js';
import { CONTEXT_WINDOW } from './context-words.js';
import { CustomDetectorScan } from './custom-detector-scan.js';
import { DIGIT_RUN_LOOKAHEAD } from './digit-run-detectors.js';
import { EMAIL_LOOKAHEAD, EMAIL_LOOKBEHIND } from './email-detector.js';
import { IBAN_LOOKAHEAD } from './iban-detector.js';
import { KEY_LOOKAHEAD, KEY_LOOKBEHIND } from './key-detectors.js';
import type { AllowMatcher, CompiledCustomDetector } from './patterns-check-config.js';
import { createScanState, scanWindow } from './scan-window.js';
import { TOKEN_LOOKAHEAD, TOKEN_LOOKBEHIND } from './token-detectors.js';

/** Findings kept per detector and stream; past it, matches of that detector are dropped. */
export const MAX_FINDINGS_PER_DETECTOR = 1000;

/** Bytes a built-in detector may read before its trigger: its own prefix, a boundary byte, and context words. */
export const BUILTIN_LOOKBEHIND = Math.max(EMAIL_LOOKBEHIND, KEY_LOOKBEHIND, TOKEN_LOOKBEHIND, 3) + CONTEXT_WINDOW + 2;
/** Bytes a built-in detector may read from its trigger on (a JWT, capped at 4 KiB, is the longest). */
export const BUILTIN_LOOKAHEAD = Math.max(KEY_LOOKAHEAD, TOKEN_LOOKAHEAD, EMAIL_LOOKAHEAD, IBAN_LOOKAHEAD, DIGIT_RUN_LOOKAHEAD) + 2;

/** Small writes are gathered up to this size before a pass, so that passes stay few whatever the chunking. */
const MIN_SCAN_BYTES = 16 * 1024;
/** The window buffer is reused between writes; one grown past this for a large write is let go afterwards. */
const RETAINED_WINDOW_BYTES = 256 * 1024;

export interface ScannerSetup {
  readonly custom: readonly CompiledCustomDetector[];
  readonly allow: AllowMatcher;
}

/**
 * The streaming scanner of the patterns check. Each pass runs over the carried tail and the new bytes,
 * and owns the triggers from where the previous pass stopped to `lookahead` bytes before the end, so
 * every detector sees the same bytes around a trigger whatever the chunking: a value split across chunks
 * is found once. Between writes it keeps `lookbehind + lookahead` bytes (about 4.1 KiB with the built-in
 * detectors), plus less than 16 KiB of small writes not yet scanned, in one buffer reused from pass to
 * pass (a large write grows it for that pass only).
 */
export class PatternsScanner implements ContentScanner {
  readonly #stream: StreamInfo;
  readonly #allow: AllowMatcher;
  readonly #custom: CustomDetectorScan[];
  readonly #lookbehind: number;
  readonly #lookahead: number;
  /** Carried tail, then the bytes written since the last pass; reused so that a pass allocates nothing. */
  #window: Buffer = Buffer.allocUnsafeSlow(MIN_SCAN_BYTES * 2);
  /** Bytes of `#window` in use. */
  #length = 0;
  /** Bytes of `#window` that were already there at the last pass (the carry). */
  #carryLength = 0;
  /** Stream offset of `#window[0]`. */
  #windowOffset = 0;
  /** Stream offset of the first trigger not yet scanned. */
  #scanFrom = 0;
  /** Line number (1-based) at `#scanFrom`. */
  #line = 1;
  #isEnded = false;
  readonly #findings: Finding[] = [];
  readonly #counts = new Map<string, number>();
  readonly #state = createScanState();

  constructor(stream: StreamInfo, setup: ScannerSetup) {
    this.#stream = stream;
    this.#allow = setup.allow;
    this.#custom = setup.custom.map((detector) => new CustomDetectorScan(detector));
    this.#lookbehind = Math.max(BUILTIN_LOOKBEHIND, ...this.#custom.map((scan) => scan.lookbehind));
    this.#lookahead = Math.max(BUILTIN_LOOKAHEAD, ...this.#custom.map((scan) => scan.lookahead));
  }

  write(chunk: Buffer): void {
    if (this.#isEnded) throw new AirlockError('internal_error', 'The patterns scanner was given bytes after the end of its stream.');
    if (chunk.length === 0) return;
    if (this.#length + chunk.length > this.#window.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(this.#window.length * 2, this.#length + chunk.length));
      this.#window.copy(grown, 0, 0, this.#length);
      this.#window = grown;
    }
    chunk.copy(this.#window, this.#length);
    this.#length += chunk.length;
    if (this.#length - this.#carryLength >= MIN_SCAN_BYTES) this.#scan(false);
  }

  end(): Finding[] {
    if (!this.#isEnded) {
      this.#scan(true);
      this.#isEnded = true;
      this.#findings.sort((a, b) => (a.location.offset ?? 0) - (b.location.offset ?? 0));
    }
    return [...this.#findings];
  }

  /** Bytes held between writes right now (carry and unscanned writes), for tests of the memory bound. */
  get heldBytes(): number {
    return this.#length;
  }

  #scan(isFinal: boolean): void {
    const bytes = this.#window.subarray(0, this.#length);
    const base = this.#windowOffset;
    const from = this.#scanFrom - base;
    const to = isFinal ? bytes.length : bytes.length - this.#lookahead;

    if (to > from) {
      const candidates: Candidate[] = [];
      const newlines = scanWindow(bytes, from, to, candidates, this.#state);
      for (const custom of this.#custom) {
        if ((this.#counts.get(custom.detector.id) ?? 0) < MAX_FINDINGS_PER_DETECTOR)
          custom.scan(bytes, base, from, to, isFinal, candidates);
      }
      if (candidates.length > 0) this.#report(bytes, base, from, candidates);
      this.#line += newlines;
      this.#scanFrom = base + to;
    }
    if (isFinal) {
      this.#window = Buffer.alloc(0);
      this.#length = this.#carryLength = 0;
      return;
    }
    // Keep what the next pass needs before its first trigger (and the bytes not yet scanned) at the front.
    const keepFrom = Math.max(0, this.#scanFrom - base - this.#lookbehind);
    const kept = this.#length - keepFrom;
    if (this.#window.length > RETAINED_WINDOW_BYTES) {
      const smaller = Buffer.allocUnsafeSlow(Math.max(MIN_SCAN_BYTES * 2, kept * 2));
      this.#window.copy(smaller, 0, keepFrom, this.#length);
      this.#window = smaller;
    } else {
      this.#window.copyWithin(0, keepFrom, this.#length);
    }
    this.#length = this.#carryLength = kept;
    this.#windowOffset = base + keepFrom;
  }

  /** Turns a pass's candidates into findings, in stream order: allow-list, per-detector cap, line, value key. */
  #report(bytes: Buffer, base: number, from: number, candidates: Candidate[]): void {
    candidates.sort((a, b) => a.start - b.start || (a.detector < b.detector ? -1 : a.detector > b.detector ? 1 : 0));
    let cursor = from;
    let line = this.#line;
    for (const candidate of candidates) {
      if (this.#allow.isAllowed(candidate.normalized)) continue;
      const count = this.#counts.get(candidate.detector) ?? 0;
      if (count >= MAX_FINDINGS_PER_DETECTOR) continue;
      this.#counts.set(candidate.detector, count + 1);

      let findingLine: number;
      if (candidate.start >= cursor) {
        line += countNewlines(bytes, cursor, candidate.start);
        cursor = candidate.start;
        findingLine = line;
      } else {
        findingLine = line - countNewlines(bytes, candidate.start, cursor);
      }
      const { entry } = this.#stream;
      this.#findings.push({
        check: 'patterns',
        detector: candidate.detector,
        severity: candidate.severity,
        confidence: candidate.confidence,
        location:
          entry === undefined
            ? { line: findingLine, offset: base + candidate.start }
            : { entry, line: findingLine, offset: base + candidate.start },
        excerpt: candidate.excerpt,
        valueKey: this.#stream.values.key(candidate.detector, candidate.normalized),
        trace: {
          pattern: candidate.pattern,
          ...(candidate.validator !== undefined && { validator: candidate.validator }),
          ...(candidate.context.length > 0 && { context: candidate.context }),
        },
      });
    }
  }
}

function countNewlines(bytes: Buffer, start: number, stop: number): number {
  const view = bytes.subarray(start, stop);
  let count = 0;
  for (let at = view.indexOf(0x0a); at !== -1; at = view.indexOf(0x0a, at + 1)) count++;
  return count;
}
