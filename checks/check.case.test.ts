import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  DistinctValues,
  type Check,
  type CheckResult,
  type Finding,
  type FindingSeverity,
  type InspectedItem,
  type StreamInfo,
} from './check.js';

/**
 * The contract every check must honour, run by each check's own test file:
 * `runCheckContract(myCheck, { clean, flagged })`. A check that cannot meet one of these cases must say
 * why in a skipped test of its own, not drop the case here.
 */

/** An item as the user named it, built in memory by the test. */
export interface CheckSample {
  path: string;
  content: Buffer | string;
}

export interface CheckContractSamples {
  /** Something the check must report nothing on. */
  clean: CheckSample;
  /**
   * Something the check must report at least one finding on. `marker` is a string planted in `content`
   * (a fake secret, say) that no excerpt may repeat; a check that describes rather than quotes passes
   * trivially, one that quotes must mask.
   */
  flagged: CheckSample & { marker: string };
}

/** An in-memory item that remembers the streams it handed out, to prove they were closed. */
export interface SampleItem extends InspectedItem {
  readonly streams: readonly Readable[];
}

export function createSampleItem(sample: CheckSample): SampleItem {
  const bytes = Buffer.from(sample.content);
  const streams: Readable[] = [];
  return {
    path: sample.path,
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    streams,
    open() {
      // One chunk per 16 KiB, like a file stream, so checks that stop early get the chance to.
      const chunks = Array.from({ length: Math.ceil(bytes.length / 16_384) }, (_, i) => bytes.subarray(i * 16_384, (i + 1) * 16_384));
      const stream = Readable.from(chunks, { objectMode: false });
      streams.push(stream);
      return stream;
    },
  };
}

/** An item whose stream never yields a byte; `onRead` fires once the check starts waiting on it. */
export function createStalledItem(path: string, onRead: () => void): SampleItem {
  const streams: Readable[] = [];
  return {
    path,
    size: 1_000_000,
    sha256: '0'.repeat(64),
    streams,
    open() {
      const stream = new Readable({ read: () => queueMicrotask(onRead) });
      streams.push(stream);
      return stream;
    },
  };
}

const SEVERITIES: readonly FindingSeverity[] = ['low', 'medium', 'high', 'critical'];

/** How long "promptly" is: generous for a loaded CI machine, far below any inspection timeout. */
const PROMPT_MS = 2_000;

/**
 * Runs the contract for whichever forms the check implements: whole-item `inspect`, streaming
 * `createScanner`, or both. A check must implement at least one.
 */
export function runCheckContract(check: Check, samples: CheckContractSamples): void {
  describe(`check contract: ${check.id}`, () => {
    it('implements inspect, createScanner or both', () => {
      expect(typeof check.inspect === 'function' || typeof check.createScanner === 'function').toBe(true);
    });
  });
  if (check.inspect) runInspectContract(check, check.inspect.bind(check), samples);
  if (check.createScanner) runScannerContract(check, check.createScanner.bind(check), samples);
}

/** Scans a sample with one scanner, writing it in chunks of `chunkSize` bytes (all at once when omitted). */
export function scanSample(
  createScanner: NonNullable<Check['createScanner']>,
  sample: CheckSample,
  chunkSize?: number,
  info: Partial<StreamInfo> = {},
): Finding[] {
  const bytes = Buffer.from(sample.content);
  const scanner = createScanner({ path: sample.path, kind: 'raw', values: new DistinctValues(), ...info });
  const step = chunkSize ?? Math.max(1, bytes.length);
  for (let at = 0; at < bytes.length; at += step) scanner.write(bytes.subarray(at, at + step));
  return scanner.end();
}

/**
 * Scanners are run on the samples as members of an archive: every scanner is fed members, while some
 * (the file-type check) leave the item itself to `inspect`. Each check's own tests cover the item itself.
 */
function runScannerContract(check: Check, rawCreateScanner: NonNullable<Check['createScanner']>, samples: CheckContractSamples): void {
  const createScanner: NonNullable<Check['createScanner']> = (stream) =>
    rawCreateScanner({ ...stream, entry: stream.entry ?? `sample.zip!/${stream.path}` });
  const key = (f: Finding) => `${f.detector}@${f.location.entry ?? ''}:${f.location.offset ?? ''}:${f.valueKey ?? ''}`;

  describe(`check contract (streaming scanner): ${check.id}`, () => {
    it('reports nothing on the clean sample', () => {
      expect(scanSample(createScanner, samples.clean)).toEqual([]);
    });

    it('reports well-formed findings on the flagged sample, never repeating the planted marker', () => {
      const findings = scanSample(createScanner, samples.flagged);
      expect(findings.length).toBeGreaterThan(0);
      for (const finding of findings) {
        expectWellFormed(finding, check.id);
        expect(finding.excerpt ?? '').not.toContain(samples.flagged.marker);
        expect(JSON.stringify(finding.trace ?? {})).not.toContain(samples.flagged.marker);
      }
    });

    it('finds the same things whatever the chunk boundaries', () => {
      const whole = scanSample(createScanner, samples.flagged).map(key).sort();
      for (const size of [1, 2, 3, 7, 16, 64, 1000]) {
        expect(scanSample(createScanner, samples.flagged, size).map(key).sort(), `chunks of ${size} bytes`).toEqual(whole);
      }
    });

    it('accepts an empty stream', () => {
      expect(scanSample(createScanner, { path: 'empty.txt', content: '' })).toEqual([]);
    });
  });
}

function runInspectContract(check: Check, inspectFn: NonNullable<Check['inspect']>, samples: CheckContractSamples): void {
  const inspect = (item: InspectedItem, signal = new AbortController().signal): Promise<CheckResult> => inspectFn(item, { signal });

  describe(`check contract: ${check.id}`, () => {
    it('describes itself with a registry id, a version and a description', () => {
      expect(check.id).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(check.version).not.toBe('');
      expect(check.description).not.toBe('');
    });

    it('reports nothing on the clean sample', async () => {
      const result = await inspect(createSampleItem(samples.clean));
      expect(result.findings).toEqual([]);
    });

    it('reports well-formed findings on the flagged sample', async () => {
      const result = await inspect(createSampleItem(samples.flagged));
      expect(result.findings.length).toBeGreaterThan(0);
      for (const finding of result.findings) expectWellFormed(finding, check.id);
    });

    it('never repeats the planted marker in an excerpt', async () => {
      expect(Buffer.from(samples.flagged.content).includes(samples.flagged.marker)).toBe(true);
      const result = await inspect(createSampleItem(samples.flagged));
      for (const { excerpt } of result.findings) expect(excerpt ?? '').not.toContain(samples.flagged.marker);
    });

    it('gives the same result when the same item is inspected twice', async () => {
      for (const sample of [samples.clean, samples.flagged]) {
        const item = createSampleItem(sample);
        expect(await inspect(item)).toEqual(await inspect(item));
      }
    });

    it('closes every stream it opens', async () => {
      for (const sample of [samples.clean, samples.flagged]) {
        const item = createSampleItem(sample);
        await inspect(item);
        await delay(0);
        for (const stream of item.streams) expect(stream.destroyed).toBe(true);
      }
    });

    it('rejects promptly when the signal is already aborted', async () => {
      const controller = new AbortController();
      controller.abort(new Error('cancelled by the contract test'));
      const outcome = await settleWithin(inspect(createSampleItem(samples.flagged), controller.signal), PROMPT_MS);
      expect(outcome).toBe('rejected');
    });

    it('stops and closes its stream when the signal aborts while it waits for bytes', async () => {
      const controller = new AbortController();
      const item = createStalledItem(samples.flagged.path, () => controller.abort(new Error('cancelled by the contract test')));
      const outcome = await settleWithin(inspect(item, controller.signal), PROMPT_MS);
      // A check that never reads content cannot be stuck on it; one that reads must give up.
      if (item.streams.length === 0) return;
      expect(outcome).toBe('rejected');
      for (const stream of item.streams) expect(stream.destroyed).toBe(true);
    });
  });
}

function expectWellFormed(finding: Finding, checkId: string): void {
  expect(finding.check).toBe(checkId);
  expect(finding.detector).toMatch(/^[a-z][a-z0-9_]*$/);
  expect(SEVERITIES).toContain(finding.severity);
  expect(finding.confidence).toBeGreaterThanOrEqual(0);
  expect(finding.confidence).toBeLessThanOrEqual(1);
  const { entry, line, offset } = finding.location;
  if (entry !== undefined) expect(typeof entry).toBe('string');
  if (line !== undefined) expect(Number.isInteger(line) && line >= 1).toBe(true);
  if (offset !== undefined) expect(Number.isInteger(offset) && offset >= 0).toBe(true);
  if (finding.excerpt !== undefined) expect(typeof finding.excerpt).toBe('string');
}

async function settleWithin(promise: Promise<unknown>, ms: number): Promise<'fulfilled' | 'rejected' | 'pending'> {
  const watchdog = new AbortController();
  try {
    return await Promise.race([
      promise.then(
        () => 'fulfilled' as const,
        () => 'rejected' as const,
      ),
      delay(ms, 'pending' as const, { signal: watchdog.signal }),
    ]);
  } finally {
    watchdog.abort();
  }
}
