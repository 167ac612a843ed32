// Runs the real `airlock` command (bin/airlock.js, as `npx airlock` does) in a child process, against a
// throw-away copy of the example pipelines, policies and inbox, so the CLI tests see exactly what an
// operator sees: exit code, stdout and stderr.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestStore, type TestStore } from './test-store.js';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const AIRLOCK_BIN = path.join(REPO_ROOT, 'bin', 'airlock.js');

/** A child that takes longer than this is killed and its run fails, naming the command. */
export const CLI_TIMEOUT_MS = 60_000;

export interface CliResult {
  /** The exit code; null when the child was ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  /** Set (or, with undefined, remove) variables on top of the inherited environment. */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/**
 * The child's environment: this process's, minus anything that would point the child at shared state
 * (DATABASE_URL, AIRLOCK_* folders, PORT/HOST), plus what the test passes. Without a DATABASE_URL from the
 * test the child uses the embedded store in `<cwd>/.airlock`.
 */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key === 'DATABASE_URL' || key === 'PORT' || key === 'HOST' || key.startsWith('AIRLOCK_')) delete env[key];
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export interface CliProcess {
  readonly child: ChildProcess;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  /** Settles when the child has exited and its output streams are closed. */
  readonly exited: Promise<CliResult>;
}

/** Starts `airlock <args>` without waiting for it (for `serve`). The caller must end it. */
export function startCli(args: readonly string[], options: CliOptions): CliProcess {
  const child = spawn(process.execPath, [AIRLOCK_BIN, ...args], {
    cwd: options.cwd,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    // 'close' (not 'exit') so that all output has been read.
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs `airlock <args>` to completion. Rejects, after killing the child, if it runs past the timeout. */
export async function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? CLI_TIMEOUT_MS;
  const run = startCli(args, options);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      run.child.kill('SIGKILL');
      reject(
        new Error(
          `airlock ${args.join(' ')} (in ${options.cwd}) did not finish within ${timeoutMs / 1000} s and was killed.\n` +
            `stdout so far:\n${run.stdout()}\nstderr so far:\n${run.stderr()}`,
        ),
      );
    }, timeoutMs);
  });
  try {
    return await Promise.race([run.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Text to put in an assertion message: what the command printed, to see why it did what it did. */
export function describeResult(result: CliResult): string {
  return `exit ${result.code ?? result.signal}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

export interface Workspace {
  /** The temporary folder: pipelines/, policies/, examples/inbox/ and an empty examples/outbox/. */
  readonly dir: string;
  /** Variables the child needs: this workspace's own PostgreSQL database when the suite runs on one. */
  readonly env: Record<string, string | undefined>;
  /** Runs `airlock <args>` in this workspace. */
  run(args: readonly string[], options?: Omit<CliOptions, 'cwd'>): Promise<CliResult>;
  /** Drops the workspace's database (if any) and deletes the folder. */
  cleanup(): Promise<void>;
}

/**
 * A fresh copy of the example setup in a temp folder. On the embedded backend the child keeps its data in
 * `<dir>/.airlock`; when DATABASE_URL is set, the workspace gets its own database from createTestStore().
 */
export async function makeWorkspace(): Promise<Workspace> {
  const dir = await mkdtemp(path.join(tmpdir(), 'airlock-cli-'));
  let store: TestStore | undefined;
  try {
    await cp(path.join(REPO_ROOT, 'pipelines'), path.join(dir, 'pipelines'), { recursive: true });
    await cp(path.join(REPO_ROOT, 'policies'), path.join(dir, 'policies'), { recursive: true });
    await cp(path.join(REPO_ROOT, 'examples', 'inbox'), path.join(dir, 'examples', 'inbox'), { recursive: true });
    await mkdir(path.join(dir, 'examples', 'outbox'));
    if (process.env.DATABASE_URL) store = await createTestStore();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const env = store?.url ? { DATABASE_URL: store.url } : {};
  return {
    dir,
    env,
    run: (args, options = {}) => runCli(args, { ...options, cwd: dir, env: { ...env, ...options.env } }),
    async cleanup() {
      try {
        await store?.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A port nobody listens on right now (the OS picks it; the gap until serve binds it is tiny). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('could not get a free port');
  return address.port;
}
