// Runs one command and reports its wall time and peak RSS, for benchmarks.
// Node cannot read a child's rusage, so the child runs under a tiny python3 wrapper that waits for it
// and reads RUSAGE_CHILDREN.ru_maxrss (KiB on Linux): the peak RSS of the largest process in the
// child's tree that was waited for, not a sum over processes. The wrapper times the child itself
// (so its own ~20 ms start-up is excluded) and reports as JSON on fd 3, leaving the child's stdout
// and stderr untouched.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

const WRAPPER = `
import json, os, resource, signal, subprocess, sys, time
timeout = float(sys.argv[1])
t0 = time.perf_counter()
p = subprocess.Popen(sys.argv[2:], start_new_session=True)  # fd 3 is not inherited (close_fds)
timed_out = False
try:
    code = p.wait(timeout)
except subprocess.TimeoutExpired:
    os.killpg(p.pid, signal.SIGKILL)
    code = p.wait()
    timed_out = True
seconds = time.perf_counter() - t0
with os.fdopen(3, "w") as out:
    json.dump({"code": code, "seconds": seconds, "timed_out": timed_out,
               "maxrss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}, out)
`;

export interface Measurement {
  argv: string[];
  /** Exit code; negative when killed by that signal (Python's convention). */
  code: number;
  timedOut: boolean;
  /** Wall time of the child alone, measured by the wrapper. */
  seconds: number;
  /** Wall time as Node saw it (process.hrtime), wrapper start-up included. */
  outerSeconds: number;
  peakRssKiB: number;
  /** Newlines the child wrote to stdout, when stdout was 'count-lines'. */
  stdoutLines: number;
}

export interface MeasureOptions {
  cwd?: string;
  /** 'ignore' sends stdout to /dev/null; 'count-lines' pipes it here and counts lines. */
  stdout?: 'ignore' | 'count-lines';
  timeoutSeconds?: number;
}

export async function measure(argv: string[], options: MeasureOptions = {}): Promise<Measurement> {
  const { cwd, stdout = 'ignore', timeoutSeconds = 600 } = options;
  const start = process.hrtime.bigint();
  const child = spawn('python3', ['-c', WRAPPER, String(timeoutSeconds), ...argv], {
    cwd,
    stdio: ['ignore', stdout === 'ignore' ? 'ignore' : 'pipe', 'inherit', 'pipe'],
  });
  let stdoutLines = 0;
  child.stdout?.on('data', (chunk: Buffer) => {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) stdoutLines++;
  });
  let report = '';
  (child.stdio[3] as Readable).on('data', (chunk: Buffer) => (report += chunk.toString()));
  const exit = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const outerSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (exit !== 0 || !report) throw new Error(`measure: python3 wrapper failed (exit ${exit}) for: ${argv.join(' ')}`);
  const r = JSON.parse(report) as { code: number; seconds: number; timed_out: boolean; maxrss_kib: number };
  return {
    argv,
    code: r.code,
    timedOut: r.timed_out,
    seconds: r.seconds,
    outerSeconds,
    peakRssKiB: r.maxrss_kib,
    stdoutLines,
  };
}
