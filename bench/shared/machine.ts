// The header of a benchmark's report: the machine it ran on and the versions of what was measured.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

export interface MachineOptions {
  /** What shares the cores, for the cores line: `wrk, both servers and PostgreSQL`. */
  coresSharedBy: string;
  /** `- label: value` lines after the CPU, cores, RAM and kernel lines, in order. */
  details: [label: string, value: string][];
}

/** Markdown lines naming the CPU, cores, RAM and kernel, then `details`. */
export function machineLines({ coresSharedBy, details }: MachineOptions): string[] {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    // keep os.cpus()'s answer
  }
  return [
    '## machine',
    `- cpu: ${model}`,
    `- cores: ${availableParallelism()} (${coresSharedBy} share them)`,
    `- ram: ${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    `- kernel: ${release()}`,
    ...details.map(([label, value]) => `- ${label}: ${value}`),
    '',
  ];
}

/** The `version` of the package.json in `dir`. */
export function packageVersion(dir: string): string {
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Airlock's version and commit: `0.1.0 at 1a2b3c4-dirty`. */
export function airlockVersion(repo: string): string {
  return `${packageVersion(repo)} at ${firstLine('git', ['-C', repo, 'describe', '--always', '--dirty'])}`;
}

/** The temp folder's line: its device, file system type and size. */
export function tempDisk(): [label: string, value: string] {
  return [`disk (temp folder ${tmpdir()})`, firstLine('sh', ['-c', `df -h --output=source,fstype,size ${tmpdir()} | tail -1`])];
}

/** The first line a command prints (stdout, then stderr), or `unavailable` when it fails. */
export function firstLine(cmd: string, argv: string[]): string {
  const r = spawnSync(cmd, argv, { encoding: 'utf8' });
  return r.error || r.status !== 0 ? 'unavailable' : (`${r.stdout}${r.stderr}`.trim().split('\n')[0] ?? 'unknown');
}
