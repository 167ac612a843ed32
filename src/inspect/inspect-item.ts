import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { DistinctValues, type Check, type DetectedType, type StreamInfo } from '../../checks/check.js';
import type { CheckRunRecord } from '../tickets/item-store.js';
import { containerKindOf, walkContainer } from './archives/index.js';
import { feed, newRuns, ScannerSet, timed, toRecord, type RunState } from './check-runs.js';
import { readChunks } from './read-chunks.js';
import type { InspectionLimits } from './inspection-limits.js';

export { describeCheckError } from './check-runs.js';

export interface InspectionTarget {
  /** The item's path as the user named it (relative to its source); drives extension checks. */
  path: string;
  /** A readable file holding the exact bytes (a staged copy, or the file being scanned). */
  file: string;
}

export interface InspectionOptions {
  checks: readonly Check[];
  limits: InspectionLimits;
  /**
   * Per item and check: a scanner that has used this much time while the bytes streamed in, or checks still
   * running this long after the stream ended, are stopped and the item fails closed.
   */
  timeoutMs: number;
  /** Where nested containers are spilled while opened (a private directory is made inside). */
  tempRoot?: string;
  signal?: AbortSignal;
}

/** How the second phase reaches an item's bytes again, once they have streamed past. */
export interface ItemAccess {
  /** The exact bytes from the start; may be called more than once (whole-item checks read a prefix). */
  open(): Readable;
  /** Runs `fn` on a local file holding the exact bytes: containers need random access. */
  withFile<T>(fn: (file: string) => Promise<T>): Promise<T>;
}

export interface InspectionResult {
  size: number;
  type: DetectedType | undefined;
  /** One record per check: its status, time spent and findings. */
  runs: CheckRunRecord[];
  /** Checks that did not finish, plus `inspection-incomplete` when archive members were skipped: never allowed. */
  failedChecks: string[];
  /** Archive members that were not inspected, and why (encrypted, over a limit, unreadable). */
  skipped: { entry: string; reason: string }[];
}

/** Marks an item some of whose content was not inspected; the policy evaluator never allows it. */
export const INCOMPLETE = 'inspection-incomplete';

/** Large enough to amortise per-chunk work across scanners, small enough to stay in cache. */
const READ_CHUNK = 128 * 1024;

/** Enough of the start to tell a container's magic number. */
const HEAD_BYTES = 512;

/**
 * Inspects one item in two phases. While its bytes stream past once (from the source into staging, or from
 * a file), `write` feeds each chunk to every check's scanner. `finish` then runs the
 * whole-item checks and opens containers, streaming each member through the scanners too; only that phase
 * reads the item again, and only containers need it as a file. A check that throws or overruns is recorded
 * and named in `failedChecks`; it never stops the others.
 */
export class ItemInspection {
  readonly #path: string;
  readonly #options: InspectionOptions;
  readonly #runs: Map<string, RunState>;
  readonly #values = new DistinctValues();
  readonly #scanners: ScannerSet;
  #size = 0;
  #head = Buffer.alloc(0);

  constructor(itemPath: string, options: InspectionOptions) {
    this.#path = itemPath;
    this.#options = options;
    this.#runs = newRuns(options.checks);
    this.#scanners = new ScannerSet(this.#runs, this.#streamInfo(undefined, 'raw'), options.timeoutMs);
  }

  /** The next chunk of the item. Only lent: nothing here keeps it past the call. */
  write(chunk: Buffer): void {
    this.#size += chunk.length;
    if (this.#head.length < HEAD_BYTES) {
      this.#head = Buffer.concat([this.#head, chunk.subarray(0, HEAD_BYTES - this.#head.length)]);
    }
    this.#scanners.write(chunk);
  }

  async finish(access: ItemAccess): Promise<InspectionResult> {
    const options = this.#options;
    this.#scanners.end();
    const deadline = AbortSignal.timeout(options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;

    let type: DetectedType | undefined;
    for (const run of this.#runs.values()) {
      const inspect = run.check.inspect?.bind(run.check);
      if (!inspect || run.failure || signal.aborted) continue;
      const item = { path: this.#path, size: this.#size, sha256: '', open: () => access.open() };
      const result = await timed(run, () => inspect(item, { signal }), signal);
      if (result) {
        type ??= result.type;
        run.findings.push(...result.findings);
      }
    }

    const skipped = await this.#openContainer(access, signal);

    if (signal.aborted) {
      const failure = deadline.aborted
        ? ({ status: 'timeout', error: `did not finish within ${options.timeoutMs} ms` } as const)
        : ({ status: 'error', error: 'inspection was cancelled' } as const);
      for (const run of this.#runs.values()) run.failure ??= failure;
    }
    const records = [...this.#runs.values()].map(toRecord);
    const failedChecks = records.filter((r) => r.status !== 'ok').map((r) => r.check);
    if (skipped.length > 0) failedChecks.push(INCOMPLETE);
    return { size: this.#size, type, runs: records, failedChecks, skipped };
  }

  async #openContainer(access: ItemAccess, signal: AbortSignal): Promise<InspectionResult['skipped']> {
    const kind = this.#head.length > 0 ? containerKindOf(this.#head) : undefined;
    const hasScanners = [...this.#runs.values()].some((r) => r.check.createScanner);
    if (!kind || !hasScanners || signal.aborted) return [];
    const { limits, tempRoot } = this.#options;
    const tempDir = await mkdtemp(path.join(tempRoot ?? os.tmpdir(), 'airlock-inspect-'));
    try {
      const walked = await access.withFile((file) =>
        walkContainer(
          { file, name: path.posix.basename(this.#path), kind },
          (member) => feed(member.stream, this.#runs, this.#streamInfo(member.entry, member.kind), signal),
          { limits, signal, tempDir },
        ),
      );
      // Container findings (bomb, encrypted, corrupt) are file-type findings by the product's contract.
      const owner = this.#runs.get('filetype') ?? this.#runs.values().next().value;
      owner?.findings.push(...walked.findings);
      return walked.skipped;
    } catch (error) {
      if (!signal.aborted) throw error;
      return [];
    } finally {
      await rm(tempDir, { recursive: true, force: true });
    }
  }

  #streamInfo(entry: string | undefined, kind: StreamInfo['kind']): StreamInfo {
    return { path: this.#path, ...(entry ? { entry } : {}), kind, values: this.#values };
  }
}

/**
 * Inspects a file that is already on local disk (`airlock scan`), hashing it in the same read. (Staging
 * hashes what it stores, so the engine's ItemInspection does not hash again.)
 */
export async function inspectItem(target: InspectionTarget, options: InspectionOptions): Promise<InspectionResult & { sha256: string }> {
  const inspection = new ItemInspection(target.path, options);
  const hash = createHash('sha256');
  for await (const chunk of readChunks(target.file, READ_CHUNK)) {
    // A cancelled scan still finishes the item, recording every check as cancelled.
    if (options.signal?.aborted) break;
    hash.update(chunk);
    inspection.write(chunk);
  }
  const result = await inspection.finish({ open: () => createReadStream(target.file), withFile: (fn) => fn(target.file) });
  return { ...result, sha256: hash.digest('hex') };
}
