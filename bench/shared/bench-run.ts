// The frame the benchmarks' run.ts share: progress on stderr (`bench:api: …`), the report on stdout, failing
// an invalid run (exit 1), everything to undo run once, newest first, on success, failure, SIGINT/SIGTERM or
// the time limit, and the `bench:` lines.

/** An invalid run: its message has been printed already. */
export class BenchFailure extends Error {}

/** One line of the report (stdout). */
export const out = (line = ''): void => void process.stdout.write(line + '\n');

/** A number with at most three decimals and no trailing zeros. */
export const fmt = (x: number): string => String(Number(x.toFixed(3)));

export interface BenchLine {
  /** The figure's name: `bench: <name> …`. */
  name: string;
  airlock: number;
  anchor: number;
  unit: string;
  /** What the ratio airlock / anchor must be to be `ok` (else `short`). */
  target: ['>=' | '<=' | '<', number];
}

/** `bench: <name> airlock=… anchor=… unit=… ratio=… target=… ok|short`, the ratio being airlock / anchor. */
export function benchLine({ name, airlock, anchor, unit, target: [op, value] }: BenchLine): string {
  const ratio = airlock / anchor;
  const ok = op === '>=' ? ratio >= value : op === '<=' ? ratio <= value : ratio < value;
  return `bench: ${name} airlock=${fmt(airlock)} anchor=${fmt(anchor)} unit=${unit} ratio=${fmt(ratio)} target=${op}${value} ${ok ? 'ok' : 'short'}`;
}

export interface BenchRunOptions {
  /** The prefix of progress lines, `bench:api`. */
  name: string;
  /** What an abort stops besides cleaning up: `the servers`, `the workers`. */
  stopping: string;
  /** How long the cleanup may take after an abort before the process exits regardless. */
  abortGraceMs: number;
}

export interface BenchRun {
  /** A progress line on stderr. */
  progress(msg: string): void;
  /** Prints `msg` (unless the run is being aborted: what fails then is a consequence, not news) and throws a BenchFailure. */
  fail(msg: string): never;
  /**
   * Registers a step to undo at exit; the returned function runs it early (and unregisters it), so a step
   * a part of the run undoes itself when it ends only runs again at exit if that part failed.
   */
  defer(what: string, run: () => Promise<void>): () => Promise<void>;
  /**
   * Runs `main` under a time limit of `timeoutSeconds`, with SIGINT and SIGTERM stopping it; then runs every
   * step still to undo. A failure sets exit code 1 (and prints the stack of anything but a BenchFailure).
   */
  run(main: () => Promise<void>, timeoutSeconds: number): Promise<void>;
}

export function benchRun(options: BenchRunOptions): BenchRun {
  const progress = (msg: string): void => void process.stderr.write(`${options.name}: ${msg}\n`);
  /** Set once SIGINT, SIGTERM or the time limit stops the run. */
  let aborting = false;
  const fail = (msg: string): never => {
    if (!aborting) progress(msg);
    throw new BenchFailure(msg);
  };

  const cleanups: { what: string; run: () => Promise<void> }[] = [];
  const defer = (what: string, run: () => Promise<void>): (() => Promise<void>) => {
    const step = { what, run };
    cleanups.push(step);
    return async () => {
      const i = cleanups.indexOf(step);
      if (i === -1) return;
      cleanups.splice(i, 1);
      await run();
    };
  };
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> => {
    cleaning ??= (async () => {
      for (const step of cleanups.splice(0).reverse()) {
        await step.run().catch((error: unknown) => progress(`cleanup: ${step.what} failed: ${(error as Error).message}`));
      }
    })();
    return cleaning;
  };
  const abort = (reason: string, code: number): void => {
    aborting = true;
    progress(`${reason}: stopping ${options.stopping} and cleaning up`);
    setTimeout(() => process.exit(code), options.abortGraceMs).unref(); // a cleanup step that hangs must not keep us alive
    void cleanup().finally(() => process.exit(code));
  };

  const run = async (main: () => Promise<void>, timeoutSeconds: number): Promise<void> => {
    const watchdog = setTimeout(() => abort(`time limit of ${timeoutSeconds} s reached`, 1), timeoutSeconds * 1000);
    process.once('SIGINT', () => abort('interrupted (SIGINT)', 130));
    process.once('SIGTERM', () => abort('terminated (SIGTERM)', 143));
    try {
      await main();
    } catch (error) {
      if (!(error instanceof BenchFailure)) progress((error as Error).stack ?? String(error));
      process.exitCode = 1;
    } finally {
      clearTimeout(watchdog);
      await cleanup();
    }
  };

  return { progress, fail, defer, run };
}
