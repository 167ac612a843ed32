// Child processes of the benchmarks: servers and workers started, waited for, and stopped by their pid
// (SIGTERM, then SIGKILL after a grace period), their stderr kept (the last 8 KB) so a crash can be
// reported; and commands run to completion with their output collected.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface ChildServer {
  readonly name: string;
  readonly child: ChildProcess;
  /** The last lines the server wrote to stderr, for error messages. */
  stderrTail(): string;
  /** Whether it has exited (crashed, or stopped). */
  hasExited(): boolean;
  /** Stops it and waits for it to exit; idempotent. */
  stop(): Promise<void>;
}

export interface ChildServerOptions {
  name: string;
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** How long SIGTERM may take before SIGKILL (default 10 s). */
  graceMs?: number;
}

const TAIL_BYTES = 8 * 1024;

export function startChildServer(options: ChildServerOptions): ChildServer {
  const [command, ...args] = options.argv;
  if (!command) throw new Error(`${options.name}: empty command line`);
  // stdin is a pipe we never write: a server that watches it (bench/api/bare-server.ts) stops if this process dies.
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-TAIL_BYTES);
  });
  child.stdout?.resume();
  child.on('error', (error) => {
    tail += `\nspawn failed: ${error.message}`;
  });
  let exited = child.exitCode !== null || child.signalCode !== null;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  let stopping: Promise<void> | undefined;
  return {
    name: options.name,
    child,
    stderrTail: () => tail.trim(),
    hasExited: () => exited,
    stop() {
      stopping ??= (async () => {
        if (exited || child.pid === undefined) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), options.graceMs ?? 10_000);
        await exit;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

/** Polls `url` until it answers 200, the server exits, or `timeoutMs` passes. */
export async function waitForOk(server: ChildServer, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (server.hasExited()) throw new Error(`${server.name} exited before ${url} answered 200:\n${server.stderrTail()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      last = `HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`;
      if (res.status === 200) return;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${server.name}: ${url} did not answer 200 within ${timeoutMs / 1000} s (last: ${last})\n${server.stderrTail()}`);
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port ? resolve(port) : reject(new Error('could not find a free port'))));
    });
  });
}

export interface Captured {
  /** Exit code, null when a signal ended it (the time limit's SIGKILL, for one). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `argv` to completion with stdin closed, collecting stdout and stderr; SIGKILL once `timeoutMs` has passed. */
export async function runCaptured(
  argv: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<Captured> {
  const [command, ...args] = argv;
  if (!command) throw new Error('runCaptured: empty command line');
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  }).finally(() => clearTimeout(timer));
  return { code, stdout, stderr };
}
