// Running wrk (https://github.com/wg/wrk, Debian's `wrk` package) for `bench/api/run.ts`, and reading its
// `--latency` report: requests, req/s, latency percentiles, non-2xx/3xx answers and socket errors.
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCaptured } from '../shared/child-process.js';

export interface WrkRequest {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

export interface WrkOptions {
  url: string;
  /** A Lua script from writeWrkScript, or none for a plain GET. */
  script?: string;
  threads: number;
  connections: number;
  seconds: number;
  /** wrk's per-request timeout; slower requests count as socket timeouts and leave the latency figures. */
  requestTimeoutSeconds: number;
}

export interface WrkResult {
  argv: string[];
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p75: number; p90: number; p99: number; max: number };
  /** wrk's "Non-2xx or 3xx responses" (0 when the line is absent). */
  non2xx: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  output: string;
}

/** wrk's version line, or undefined when wrk is not installed. */
export function wrkVersion(): string | undefined {
  // `wrk -v` prints its banner and usage, then exits 1.
  const r = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  if (r.error) return undefined;
  return `${r.stdout}${r.stderr}`.split('\n')[0]?.trim() || 'unknown';
}

/** Writes a wrk Lua script that sends `request` on every call, and returns its path. */
export async function writeWrkScript(dir: string, name: string, request: WrkRequest): Promise<string> {
  const lines = [`wrk.method = ${luaString(request.method)}`];
  for (const [key, value] of Object.entries(request.headers)) lines.push(`wrk.headers[${luaString(key)}] = ${luaString(value)}`);
  if (request.body !== undefined) lines.push(`wrk.body = ${luaString(request.body)}`);
  const file = join(dir, `${name}.lua`);
  // Mode 0600: the script holds a bearer token.
  await writeFile(file, lines.join('\n') + '\n', { mode: 0o600 });
  return file;
}

/** A double-quoted Lua string; only printable ASCII is accepted, so no escape but \" and \\ is needed. */
function luaString(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new Error(`wrk script values must be printable ASCII: ${JSON.stringify(value)}`);
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const argv = [
    'wrk',
    '-t',
    String(options.threads),
    '-c',
    String(options.connections),
    '-d',
    `${options.seconds}s`,
    '--timeout',
    `${options.requestTimeoutSeconds}s`,
    '--latency',
    ...(options.script ? ['-s', options.script] : []),
    options.url,
  ];
  // wrk stops by itself after -d; the time limit only guards against a wedged run.
  const timeoutMs = (options.seconds + options.requestTimeoutSeconds + 30) * 1000;
  const { code, stdout, stderr } = await runCaptured(argv, { timeoutMs });
  if (code !== 0) throw new Error(`wrk exited with ${code}: ${argv.join(' ')}\n${stderr}${stdout}`.trim());
  return { argv, ...parseWrkOutput(stdout) };
}

/** Reads wrk 4's report (with --latency). Throws when a figure it needs is missing. */
export function parseWrkOutput(output: string): Omit<WrkResult, 'argv'> {
  const need = (re: RegExp, what: string): RegExpExecArray => {
    const m = re.exec(output);
    if (!m) throw new Error(`wrk output has no ${what}:\n${output}`);
    return m;
  };
  const percentile = (p: number): number => {
    const m = need(new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm'), `${p}% latency`);
    return toMs(Number(m[1]), m[2]!);
  };
  const totals = need(/^\s*(\d+) requests in ([\d.]+)(us|ms|s|m),/m, 'request total');
  const max = need(/^\s*Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m)/m, 'latency line');
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    requests: Number(totals[1]),
    seconds: toMs(Number(totals[2]), totals[3]!) / 1000,
    requestsPerSecond: Number(need(/^Requests\/sec:\s+([\d.]+)/m, 'Requests/sec')[1]),
    latencyMs: { p50: percentile(50), p75: percentile(75), p90: percentile(90), p99: percentile(99), max: toMs(Number(max[1]), max[2]!) },
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0),
    socketErrors: {
      connect: Number(socket?.[1] ?? 0),
      read: Number(socket?.[2] ?? 0),
      write: Number(socket?.[3] ?? 0),
      timeout: Number(socket?.[4] ?? 0),
    },
    output,
  };
}

function toMs(value: number, unit: string): number {
  const factor: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };
  const f = factor[unit];
  if (f === undefined) throw new Error(`unknown wrk time unit ${unit}`);
  return value * f;
}
