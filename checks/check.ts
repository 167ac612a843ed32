import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

/**
 * The contract every check implements. A check looks at one staged item and reports what it saw as
 * findings; it never decides (the policy does), never logs content, and never puts a whole sensitive
 * value into a finding (excerpts are masked). A check that cannot finish throws (or is timed out by the
 * engine): the item then fails closed and can never be allowed.
 */
export interface Check {
  /** Registry id (`filetype`, `patterns`, `dlp`); also the `check` field of its findings. */
  readonly id: string;
  /** Bumped when detection changes, and recorded with each run, so a decision can be traced to it. */
  readonly version: string;
  /** One line for operators: what this check looks for. */
  readonly description: string;

  /**
   * Whole-item inspection, for checks that need to look at an item as a unit (its first bytes, its
   * structure). `item.open()` may be called more than once and yields the exact staged bytes. Must stop
   * promptly when `signal` aborts. Must not write anywhere. A check implements this, `createScanner`, or both.
   */
  inspect?(item: InspectedItem, options: { signal: AbortSignal }): Promise<CheckResult>;

  /**
   * Streaming inspection: a scanner for one stream of bytes (the item itself, or one member of an
   * archive or document opened up by the inspector). The inspector reads each stream once and feeds the
   * same chunks to every check's scanner, so a file is read once whatever the number of checks.
   */
  createScanner?(stream: StreamInfo): ContentScanner;
}

/** What a scanner is told about the stream it will be fed. */
export interface StreamInfo {
  /** The top-level item's path as the user named it. */
  path: string;
  /** Inside an archive or document: the member path, `a.zip!/b.tar!/c.txt` style; absent for the item itself. */
  entry?: string;
  /**
   * `raw`: the bytes as stored. `document-text`: text extracted from a document's markup (Office XML with
   * its tags removed, runs joined), so a value split across formatting runs reads as one.
   */
  kind: 'raw' | 'document-text';
  /** Numbers distinct sensitive values across every stream of one top-level item (see `DistinctValues`). */
  values: DistinctValues;
}

/**
 * A scanner receives a stream's bytes in order, in chunks of any size. A value split across two chunks
 * must still be found exactly once; the scanner keeps at most a bounded tail between chunks, so memory
 * does not grow with the stream. `end` is called once, after the last chunk. A chunk is only lent for
 * the duration of `write`: the inspector reuses its memory for the next read, so a scanner copies
 * whatever it keeps.
 */
export interface ContentScanner {
  write(chunk: Buffer): void;
  end(): Finding[];
}

/**
 * Gives each distinct sensitive value of one top-level item a short key (`credit_card#3`), so a policy
 * can count distinct values ("10 or more different card numbers") without any value being stored. The
 * values themselves are held only as SHA-256 digests, in memory, for the duration of one inspection.
 */
export class DistinctValues {
  readonly #keys = new Map<string, string>();
  readonly #counts = new Map<string, number>();

  key(detector: string, normalizedValue: string): string {
    const digest = createHash('sha256').update(detector).update('\0').update(normalizedValue).digest('base64');
    let key = this.#keys.get(digest);
    if (key === undefined) {
      const n = (this.#counts.get(detector) ?? 0) + 1;
      this.#counts.set(detector, n);
      key = `${detector}#${n}`;
      this.#keys.set(digest, key);
    }
    return key;
  }
}

export interface InspectedItem {
  /** Path relative to the source root, as the user named it (used for extension comparisons). */
  path: string;
  size: number;
  sha256: string;
  /** A fresh stream over the staged bytes. */
  open(): Readable;
}

export interface CheckResult {
  findings: Finding[];
  /** What the item is, when this check can tell (the file-type check sets it). */
  type?: DetectedType;
}

export interface DetectedType {
  /** MIME type by content, or `application/octet-stream` / `text/plain` when unknown. */
  mime: string;
  /** Extension that matches the content, without the dot. */
  ext: string;
  /** Extension in the file's name, lower-case, without the dot ('' when none). */
  declaredExt: string;
  /** The content contradicts the name's extension. */
  mismatch: boolean;
}

export type FindingSeverity = 'low' | 'medium' | 'high' | 'critical';

export interface Finding {
  check: string;
  detector: string;
  severity: FindingSeverity;
  /** 0..1: how sure the detector is. */
  confidence: number;
  location: FindingLocation;
  /** A masked excerpt, or a description that holds no content; never the whole sensitive value. */
  excerpt?: string;
  /** Which distinct value this is within the top-level item (`credit_card#3`), from `DistinctValues`. */
  valueKey?: string;
  /** Why the detector fired, for operators and auditors: never the value itself. */
  trace?: FindingTrace;
}

export interface FindingTrace {
  /** The pattern that matched (`visa-grouped`, `pem-header`, a custom detector's id). */
  pattern: string;
  /** The validator that accepted the candidate (`luhn`, `iban-mod97`, `ssa-rules`, `jwt-header`). */
  validator?: string;
  /** Context words near the match that raised (`+card`) or lowered (`-test`) the confidence. */
  context?: string[];
}

export interface FindingLocation {
  /** Path inside an archive, `a.zip!/b.tar!/c.txt` style for nesting. */
  entry?: string;
  line?: number;
  offset?: number;
}
