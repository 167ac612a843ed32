import type { Readable } from 'node:stream';
import type { Finding } from '../../../checks/check.js';
import type { MemberSource } from './member-source.js';

/** Bounds on opening containers; past any of them the walk reports `archive_bomb` and stops expanding. */
export interface ArchiveLimits {
  /** Containers opened inside each other, the top-level item being 1; a `.tar.gz` counts once. */
  maxDepth: number;
  /** Expanded bytes per byte of the top-level file, enforced once `RATIO_GRACE_BYTES` have been expanded. */
  maxRatio: number;
  /** Bytes read out of members, all levels together (a nested archive's bytes count, then its members'). */
  maxExpandedBytes: number;
  /** Members seen, all levels together, directories included. */
  maxEntries: number;
}

/**
 * The ratio limit is not applied below this many expanded bytes: a 2 KiB file of blanks legitimately
 * expands 500 times, and expanding 1 MiB costs nothing worth refusing.
 */
export const RATIO_GRACE_BYTES = 1024 * 1024;

/** One member handed to the visitor. */
export interface ArchiveMember {
  /** `outer.zip!/inner.tar!/a.txt`: each container's display name, `!/`, the member path; control characters escaped. */
  entry: string;
  /** `document-text` for an Office part whose markup was reduced to text (see `office-text.ts`). */
  kind: 'raw' | 'document-text';
  /** Valid until the visitor's promise settles; read it to the end or destroy it before then. */
  stream: Readable;
}

export interface SkippedMember {
  entry: string;
  reason: string;
}

/** What the walker hands each member to: open it as a container, or visit it as a leaf. */
export type MemberHandler = (ctx: WalkContext, source: MemberSource, member: MemberPlace) => Promise<void>;

export interface MemberPlace {
  entry: string;
  /** Depth of the container holding the member (the top-level item is 1). */
  depth: number;
  /** An Office part whose text the visitor gets instead of its markup, unless it turns out to be a container. */
  isTextPart: boolean;
}

/** Per kind of finding, at most this many are kept: a zip of 10 000 encrypted members says it 100 times. */
const MAX_FINDINGS_PER_DETECTOR = 100;
/** Beyond this, skipped members are only counted, so a huge archive cannot grow the result without bound. */
const MAX_SKIPPED = 1_000;

/**
 * The state of one walk: limits, what was found and skipped, and the counters the limits apply to.
 * Findings are the file-type check's (`check: 'filetype'`); none quotes content, only entry names.
 */
export class WalkContext {
  readonly findings: Finding[] = [];
  readonly skipped: SkippedMember[] = [];
  membersVisited = 0;
  expandedBytes = 0;
  /** Why the walk stopped expanding (a walk-wide limit); every walker stops at its next step. */
  stopReason: string | undefined;
  #entries = 0;
  #moreSkipped = 0;
  readonly #findingCounts = new Map<string, number>();
  readonly #damaged = new Set<string>();

  constructor(
    readonly limits: ArchiveLimits,
    readonly options: {
      rootName: string;
      compressedSize: number;
      tempDir: string;
      signal: AbortSignal | undefined;
      visit: (member: ArchiveMember) => Promise<void>;
    },
  ) {}

  get isStopped(): boolean {
    return this.stopReason !== undefined;
  }

  throwIfAborted(): void {
    this.options.signal?.throwIfAborted();
  }

  /** Counts bytes read out of a member; false once a walk-wide limit has been passed. */
  addExpanded(bytes: number, entry: string): boolean {
    if (this.isStopped) return false;
    this.expandedBytes += bytes;
    const { maxExpandedBytes, maxRatio } = this.limits;
    if (this.expandedBytes > maxExpandedBytes) return this.#stop(entry, `expanded past ${maxExpandedBytes} bytes`);
    if (this.expandedBytes >= RATIO_GRACE_BYTES && this.expandedBytes > maxRatio * this.options.compressedSize) {
      return this.#stop(entry, `expanded more than ${maxRatio} times the size of ${this.options.rootName}`);
    }
    return true;
  }

  /** Counts one member of `container`; false once there are too many. */
  addEntry(container: string): boolean {
    if (this.isStopped) return false;
    this.#entries += 1;
    return this.#entries <= this.limits.maxEntries || this.#stop(container, `more than ${this.limits.maxEntries} members`);
  }

  /** A container nested past `maxDepth`: not opened; the walk goes on with its siblings. */
  tooDeep(entry: string): void {
    const why = `nested deeper than ${this.limits.maxDepth} levels`;
    this.#finding('archive_bomb', 'critical', 0.95, entry, why);
    this.skip(entry, `not opened: ${why}`);
  }

  encrypted(entry: string): void {
    this.#finding('encrypted_archive', 'high', 0.99, entry, 'encrypted member');
    this.skip(entry, 'encrypted');
  }

  /**
   * A container that is truncated or malformed: one `corrupt_file` per container. An error from the
   * operating system (reading the staged file, writing a spill) is not damage and is rethrown.
   */
  damaged(container: string, error: unknown): void {
    this.throwIfAborted();
    if (isSystemError(error)) throw error;
    if (this.#damaged.has(container)) return;
    this.#damaged.add(container);
    const code = (error as { code?: unknown } | null)?.code;
    const detail =
      typeof error === 'string'
        ? error
        : typeof code === 'string' && code.startsWith('Z_')
          ? `unreadable data (${code})`
          : 'truncated or malformed';
    this.#finding('corrupt_file', 'medium', 0.9, container, detail);
  }

  /** After a member was handed on: records a read error as the container's damage, or a cut as a skip. */
  reportRead(source: MemberSource, container: string, member: string): void {
    if (source.error !== undefined) {
      this.damaged(container, source.error);
      this.skip(member, 'not read to its end: the archive is damaged');
    } else if (source.cutShort) {
      this.skip(member, `inspected only in part: ${this.stopReason ?? 'a limit was reached'}`);
    }
  }

  skip(entry: string, reason: string): void {
    if (this.skipped.length < MAX_SKIPPED) this.skipped.push({ entry, reason });
    else this.#moreSkipped += 1;
  }

  /** The skipped list, with a closing line counting what did not fit. */
  skippedList(): SkippedMember[] {
    if (this.#moreSkipped === 0) return this.skipped;
    return [...this.skipped, { entry: this.options.rootName, reason: `${this.#moreSkipped} more members skipped, not listed` }];
  }

  #stop(entry: string, why: string): false {
    this.stopReason = why;
    this.#finding('archive_bomb', 'critical', 0.95, entry, why);
    return false;
  }

  #finding(detector: string, severity: Finding['severity'], confidence: number, entry: string, excerpt: string): void {
    const count = this.#findingCounts.get(detector) ?? 0;
    this.#findingCounts.set(detector, count + 1);
    if (count >= MAX_FINDINGS_PER_DETECTOR) return;
    this.findings.push({ check: 'filetype', detector, severity, confidence, location: { entry }, excerpt });
  }
}

/** `E…` codes (EIO, ENOSPC, ENOENT…) come from the operating system, not from the archive's bytes. */
function isSystemError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

/**
 * `container!/member` with the member path shown as stored (`..`, absolute paths and backslashes kept)
 * but control and bidirectional-override characters escaped, so a name cannot forge lines or reorder
 * what an operator reads.
 */
export function memberEntry(container: string, path: string): string {
  return `${container}!/${escapeName(path)}`;
}

export function escapeName(name: string): string {
  let escaped = '';
  for (const char of name) {
    const code = char.codePointAt(0) ?? 0;
    if (!isUnsafeCodePoint(code)) escaped += char;
    else escaped += code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  }
  return escaped;
}

/** C0 and C1 controls, DEL, and the bidirectional marks, embeddings, overrides and isolates. */
function isUnsafeCodePoint(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}
