import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DistinctValues, type Check, type ContentScanner, type DetectedType, type Finding, type StreamInfo } from '../../checks/check.js';
import { AirlockError } from '../errors.js';
import type { CheckRunRecord } from '../tickets/item-store.js';
import { containerKindOf, walkContainer } from './archives/index.js';
import { readChunks } from './read-chunks.js';
import type { InspectionLimits } from './inspection-limits.js';

export interface InspectionTarget {
  /** The item's path as the user named it (relative to its source); drives extension checks. */
  path: string;
  /** A readable file holding the exact bytes (a staged copy, or the file being scanned). */
  file: string;
}

export interface InspectionOptions {
  checks: readonly Check[];
  limits: InspectionLimits;
  /** Per item: checks still running after this long are stopped and the item fails closed. */
  timeoutMs: number;
  /** Where nested containers are spilled while opened (a private directory is made inside). */
  tempRoot?: string;
  signal?: AbortSignal;
}

export interface InspectionResult {
  size: number;
  sha256: string;
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

/**
 * Inspects one item: reads it once, feeding the same chunks to the hasher and every check's scanner,
 * runs the whole-item checks, then opens containers and streams each member through the scanners too.
 * A check that throws or overruns is recorded and named in `failedChecks`; it never stops the others.
 */
export async function inspectItem(target: InspectionTarget, options: InspectionOptions): Promise<InspectionResult> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const runs = new Map<string, RunState>(options.checks.map((c) => [c.id, { check: c, ms: 0, findings: [], failure: undefined }]));
  const values = new DistinctValues();
  const streamInfo = (entry: string | undefined, kind: StreamInfo['kind']): StreamInfo => ({
    path: target.path,
    ...(entry ? { entry } : {}),
    kind,
    values,
  });

  const hash = createHash('sha256');
  let size = 0;
  let head: Buffer | undefined;
  await feed(readChunks(target.file, READ_CHUNK), runs, streamInfo(undefined, 'raw'), signal, (chunk) => {
    hash.update(chunk);
    size += chunk.length;
    head ??= Buffer.from(chunk.subarray(0, 512));
  });

  let type: DetectedType | undefined;
  for (const run of runs.values()) {
    const inspect = run.check.inspect?.bind(run.check);
    if (!inspect || run.failure || signal.aborted) continue;
    const item = { path: target.path, size, sha256: '', open: () => createReadStream(target.file) };
    const result = await timed(run, () => inspect(item, { signal }), signal);
    if (result) {
      type ??= result.type;
      run.findings.push(...result.findings);
    }
  }

  const skipped: InspectionResult['skipped'] = [];
  const kind = head ? containerKindOf(head) : undefined;
  const hasScanners = [...runs.values()].some((r) => r.check.createScanner);
  if (kind && hasScanners && !signal.aborted) {
    const tempDir = await mkdtemp(path.join(options.tempRoot ?? os.tmpdir(), 'airlock-inspect-'));
    try {
      const walked = await walkContainer(
        { file: target.file, name: path.posix.basename(target.path), kind },
        (member) => feed(member.stream, runs, streamInfo(member.entry, member.kind), signal),
        { limits: options.limits, signal, tempDir },
      );
      skipped.push(...walked.skipped);
      // Container findings (bomb, encrypted, corrupt) are file-type findings by the product's contract.
      const owner = runs.get('filetype') ?? runs.values().next().value;
      owner?.findings.push(...walked.findings);
    } catch (error) {
      if (!signal.aborted) throw error;
    } finally {
      await rm(tempDir, { recursive: true, force: true });
    }
  }

  if (signal.aborted) {
    const failure = deadline.aborted
      ? ({ status: 'timeout', error: `did not finish within ${options.timeoutMs} ms` } as const)
      : ({ status: 'error', error: 'inspection was cancelled' } as const);
    for (const run of runs.values()) run.failure ??= failure;
  }
  const records = [...runs.values()].map(toRecord);
  const failedChecks = records.filter((r) => r.status !== 'ok').map((r) => r.check);
  if (skipped.length > 0) failedChecks.push(INCOMPLETE);
  return { size, sha256: hash.digest('hex'), type, runs: records, failedChecks, skipped };
}

interface RunState {
  check: Check;
  ms: number;
  findings: Finding[];
  failure: { status: 'error' | 'timeout'; error: string } | undefined;
}

/** Streams `source` once, handing every chunk to `onChunk` and to each live scanner. */
async function feed(
  source: AsyncIterable<Buffer> & { destroy?: () => void },
  runs: Map<string, RunState>,
  info: StreamInfo,
  signal: AbortSignal,
  onChunk?: (chunk: Buffer) => void,
): Promise<void> {
  const live: { run: RunState; scanner: ContentScanner }[] = [];
  for (const run of runs.values()) {
    const create = run.check.createScanner?.bind(run.check);
    if (!create || run.failure) continue;
    const scanner = guard(run, () => create(info));
    if (scanner) live.push({ run, scanner });
  }
  try {
    for await (const chunk of source) {
      signal.throwIfAborted();
      onChunk?.(chunk);
      for (const entry of live) {
        if (!entry.run.failure) guard(entry.run, () => entry.scanner.write(chunk));
      }
    }
  } catch (error) {
    if (signal.aborted) return;
    throw error;
  } finally {
    source.destroy?.();
  }
  for (const { run, scanner } of live) {
    if (run.failure) continue;
    const found = guard(run, () => scanner.end());
    if (found) run.findings.push(...found);
  }
}

/** Runs a scanner call, charging its time to the check and recording (not rethrowing) its failure. */
function guard<T>(run: RunState, fn: () => T): T | undefined {
  const started = performance.now();
  try {
    return fn();
  } catch (error) {
    run.failure = { status: 'error', error: describeCheckError(error) };
    return undefined;
  } finally {
    run.ms += performance.now() - started;
  }
}

async function timed<T>(run: RunState, fn: () => Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  const started = performance.now();
  let onAbort: (() => void) | undefined;
  try {
    // A check that ignores the signal must not hold the item past its deadline.
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    return await Promise.race([fn(), aborted]);
  } catch (error) {
    // On abort the caller records the timeout or cancellation for every unfinished check.
    if (!signal.aborted) run.failure = { status: 'error', error: describeCheckError(error) };
    return undefined;
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
    run.ms += performance.now() - started;
  }
}

function toRecord(run: RunState): CheckRunRecord {
  return {
    check: run.check.id,
    version: run.check.version,
    status: run.failure?.status ?? 'ok',
    durationMs: run.ms,
    ...(run.failure ? { error: run.failure.error } : {}),
    findings: run.findings,
  };
}

/**
 * A check's failure, reduced to our own message or the error's class: a parser's message may quote
 * the content it choked on, and this text is stored and shown.
 */
export function describeCheckError(error: unknown): string {
  if (error instanceof AirlockError) return error.message;
  const name = error instanceof Error ? error.name : typeof error;
  const code = (error as { code?: unknown } | null)?.code;
  return `the check threw ${name}${typeof code === 'string' ? ` (${code})` : ''}`;
}
