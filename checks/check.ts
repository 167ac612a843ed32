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
   * Inspects one item. `item.open()` may be called more than once and yields the exact staged bytes.
   * Must stop promptly when `signal` aborts. Must not write anywhere.
   */
  inspect(item: InspectedItem, options: { signal: AbortSignal }): Promise<CheckResult>;
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
}

export interface FindingLocation {
  /** Path inside an archive, `a.zip!/b.tar!/c.txt` style for nesting. */
  entry?: string;
  line?: number;
  offset?: number;
}
