import { Worker } from 'node:worker_threads';
import { AirlockError, type ErrorCode } from '../errors.js';
import { IS_COMPILED } from '../package-root.js';
import type { ScanLine } from './scan-line.js';
import type { ScanSettingsSource } from './scan-settings.js';
import type { ScanTarget } from './scan-targets.js';

export type ScanOutcome = { target: ScanTarget; line: ScanLine } | { target: ScanTarget; error: string };

/**
 * Workers read files in chunks and keep nothing between files; a small young generation makes the
 * garbage collector reclaim chunk buffers early, which keeps the process's peak memory flat.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 256 };

/** Files handed to one worker ahead of its current one, so it never waits on the main thread. */
const QUEUE_PER_WORKER = 2;

/**
 * Scans targets with `jobs` worker threads (the machine's other cores) and yields outcomes in the order
 * the targets came, so output is stable whatever finishes first. With one job it scans in this thread.
 */
export async function* scanAll(targets: AsyncIterable<ScanTarget>, source: ScanSettingsSource, jobs: number): AsyncGenerator<ScanOutcome> {
  if (jobs <= 1) {
    // Loaded only here: with workers, the checks live in the workers and this thread stays small.
    const [{ createScanSettings }, { scanFile }] = await Promise.all([import('./scan-settings.js'), import('./scan-file.js')]);
    const settings = await createScanSettings(source);
    for await (const target of targets) {
      yield await scanFile(target, settings).then(
        (line) => ({ target, line }),
        (error: unknown) => ({ target, error: (error as Error).message }),
      );
    }
    return;
  }
  const pool = await startWorkers(source, jobs);
  try {
    yield* pool.run(targets);
  } finally {
    await pool.stop();
  }
}

interface WorkerSlot {
  worker: Worker;
  pending: number;
}

async function startWorkers(source: ScanSettingsSource, jobs: number) {
  const slots: WorkerSlot[] = [];
  const results = new Map<number, ScanOutcome>();
  const targetsBySeq = new Map<number, ScanTarget>();
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };

  for (let i = 0; i < jobs; i++) {
    // Compiled code starts compiled workers; sources need tsx in the worker too.
    const script = new URL(IS_COMPILED ? './scan-worker.js' : './scan-worker.ts', import.meta.url);
    const worker = new Worker(script, {
      workerData: source,
      execArgv: IS_COMPILED ? [] : ['--import', 'tsx'],
      resourceLimits: WORKER_LIMITS,
    });
    const slot: WorkerSlot = { worker, pending: 0 };
    try {
      await new Promise<void>((resolve, reject) => {
        worker.once('error', reject);
        worker.once('message', (hello: { ready: boolean; code?: ErrorCode; message?: string }) =>
          hello.ready
            ? resolve()
            : reject(new AirlockError(hello.code ?? 'internal_error', hello.message ?? 'A scan worker could not start.')),
        );
      });
    } catch (error) {
      await Promise.all([worker, ...slots.map((s) => s.worker)].map((w) => w.terminate()));
      throw error;
    }
    worker.on('message', (message: { seq: number; line?: ScanLine; error?: string }) => {
      const target = targetsBySeq.get(message.seq)!;
      targetsBySeq.delete(message.seq);
      slot.pending--;
      results.set(message.seq, message.line ? { target, line: message.line } : { target, error: message.error ?? 'scan failed' });
      notify();
    });
    worker.on('error', (error: Error) => {
      failure = error;
      notify();
    });
    slots.push(slot);
  }

  const waitForNews = () => new Promise<void>((resolve) => (wake = resolve));

  return {
    async *run(targets: AsyncIterable<ScanTarget>): AsyncGenerator<ScanOutcome> {
      let sent = 0;
      let next = 0;
      const iterator = targets[Symbol.asyncIterator]();
      let exhausted = false;
      while (!exhausted || next < sent) {
        if (failure) throw failure;
        // Keep every worker fed, then hand out results in order as soon as the next one is in.
        for (const slot of slots) {
          while (!exhausted && slot.pending < QUEUE_PER_WORKER) {
            const step = await iterator.next();
            if (step.done) {
              exhausted = true;
              break;
            }
            targetsBySeq.set(sent, step.value);
            slot.worker.postMessage({ seq: sent, target: step.value });
            slot.pending++;
            sent++;
          }
        }
        while (results.has(next)) {
          const outcome = results.get(next)!;
          results.delete(next);
          next++;
          yield outcome;
        }
        if (next < sent && !results.has(next)) await waitForNews();
      }
    },
    async stop() {
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
