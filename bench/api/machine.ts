// The header of `bench/api/run.ts`'s report: the machine and the versions of every tool that was measured.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';

const GIB = 1024 ** 3;

/** Markdown lines naming the CPU, cores, RAM, kernel, and the versions of Node, wrk, PostgreSQL, Hono and Airlock. */
export function machineLines(repo: string, tools: { wrk: string; postgres: string }): string[] {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    // keep os.cpus()'s answer
  }
  const versionIn = (dir: string): string => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  const dependency = (name: string): string => versionIn(join(repo, 'node_modules', name));
  return [
    '## machine',
    `- cpu: ${model}`,
    `- cores: ${availableParallelism()} (wrk, both servers and PostgreSQL share them)`,
    `- ram: ${(totalmem() / GIB).toFixed(1)} GiB`,
    `- kernel: ${release()}`,
    `- node: ${process.version}`,
    `- wrk: ${tools.wrk}`,
    `- postgresql: ${tools.postgres}`,
    `- hono: ${dependency('hono')}, @hono/node-server: ${dependency('@hono/node-server')}`,
    `- airlock: ${versionIn(repo)} at ${firstLine('git', ['-C', repo, 'describe', '--always', '--dirty'])}`,
    '',
  ];
}

function firstLine(cmd: string, argv: string[]): string {
  const r = spawnSync(cmd, argv, { encoding: 'utf8' });
  return r.error || r.status !== 0 ? 'unavailable' : (`${r.stdout}${r.stderr}`.trim().split('\n')[0] ?? 'unknown');
}
