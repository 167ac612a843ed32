import { type Check, type ContentScanner, type Finding, type StreamInfo } from '../../checks/check.js';
import { AirlockError } from '../errors.js';
import type { CheckRunRecord } from '../tickets/item-store.js';

/** One check's part in inspecting one item: time charged to it, what it found, and how it failed. */
export interface RunState {
  check: Check;
  ms: number;
  findings: Finding[];
  failure: { status: 'error' | 'timeout'; error: string } | undefined;
}

export function newRuns(checks: readonly Check[]): Map<string, RunState> {
  return new Map(checks.map((c) => [c.id, { check: c, ms: 0, findings: [], failure: undefined }]));
}

/**
 * The scanners of every live check for one stream. Each chunk goes to each scanner in turn; a scanner that
 * throws is recorded and dropped, and (while the stream is still arriving from a source, when no deadline
 * runs) one that has used more than `budgetMs` of time is stopped as timed out.
 */
export class ScannerSet {
  readonly #live: { run: RunState; scanner: ContentScanner }[] = [];
  readonly #budgetMs: number;

  constructor(runs: Map<string, RunState>, info: StreamInfo, budgetMs = Infinity) {
    this.#budgetMs = budgetMs;
    for (const run of runs.values()) {
      const create = run.check.createScanner?.bind(run.check);
      if (!create || run.failure) continue;
      const scanner = guard(run, () => create(info));
      if (scanner) this.#live.push({ run, scanner });
    }
  }

  write(chunk: Buffer): void {
    for (const entry of this.#live) {
      if (entry.run.failure) continue;
      guard(entry.run, () => entry.scanner.write(chunk));
      if (entry.run.ms > this.#budgetMs && !entry.run.failure) {
        entry.run.failure = { status: 'timeout', error: `did not finish within ${this.#budgetMs} ms` };
      }
    }
  }

  end(): void {
    for (const { run, scanner } of this.#live) {
      if (run.failure) continue;
      const found = guard(run, () => scanner.end());
      if (found) run.findings.push(...found);
    }
  }
}

/** Streams `source` once through a fresh ScannerSet; a stream cut short by `signal` ends quietly. */
export async function feed(
  source: AsyncIterable<Buffer> & { destroy?: () => void },
  runs: Map<string, RunState>,
  info: StreamInfo,
  signal: AbortSignal,
): Promise<void> {
  const scanners = new ScannerSet(runs, info);
  try {
    for await (const chunk of source) {
      signal.throwIfAborted();
      scanners.write(chunk);
    }
  } catch (error) {
    if (signal.aborted) return;
    throw error;
  } finally {
    source.destroy?.();
  }
  scanners.end();
}

/** Runs a scanner call, charging its time to the check and recording (not rethrowing) its failure. */
export function guard<T>(run: RunState, fn: () => T): T | undefined {
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

/** Runs a whole-item check, charging its time to it; a check that ignores `signal` is left behind when it aborts. */
export async function timed<T>(run: RunState, fn: () => Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  const started = performance.now();
  let onAbort: (() => void) | undefined;
  try {
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

export function toRecord(run: RunState): CheckRunRecord {
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
