// How much CPU the processes of a benchmark and everything else used between two snapshots (Linux /proc):
// on a shared machine a busy neighbour lowers every figure, and this says so. Ours: this process and the
// children it reaped (wrk, for one), the given pids (servers, workers), and PostgreSQL's processes serving
// the benchmark's database plus its background processes (checkpointer, WAL writer, …).
import { readFileSync } from 'node:fs';
import { withClient } from './postgres.js';

export interface CpuSnapshot {
  /** Busy jiffies of the whole machine. */
  machineBusy: number;
  /** Jiffies of the processes counted as ours, per pid (a pid gone by the next snapshot keeps its last value). */
  ours: Map<number, number>;
  /** utime+stime+cutime+cstime of this process: includes wrk once it has been waited for. */
  self: number;
  at: number;
}

/**
 * Takes a snapshot; `serverPids` are the pids of the servers or workers, `databaseUrl` the database whose backends are ours
 * (undefined when PostgreSQL runs on another machine: its pids mean nothing here).
 */
export async function cpuSnapshot(serverPids: number[], databaseUrl: string | undefined): Promise<CpuSnapshot> {
  const pgPids = databaseUrl ? await postgresPids(databaseUrl) : [];
  const ours = new Map<number, number>();
  for (const pid of [...serverPids, ...pgPids]) {
    const jiffies = processJiffies(pid);
    if (jiffies !== undefined) ours.set(pid, jiffies.own);
  }
  return { machineBusy: machineBusy(), ours, self: processJiffies(process.pid)?.withChildren ?? 0, at: Date.now() };
}

/** Cores' worth of CPU (0.5 = half a core) used by other processes between two snapshots. */
export function otherCores(before: CpuSnapshot, after: CpuSnapshot): number {
  const ticksPerSecond = 100; // USER_HZ on Linux
  let ours = after.self - before.self;
  for (const [pid, end] of after.ours) ours += end - (before.ours.get(pid) ?? 0);
  const other = after.machineBusy - before.machineBusy - ours;
  const seconds = (after.at - before.at) / 1000;
  return Math.max(0, other / ticksPerSecond / seconds);
}

function machineBusy(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal: only what processes are charged with. Interrupt
  // time (loopback TCP is mostly softirq, largely caused by our own traffic) and steal are left out.
  const [user = 0, nice = 0, system = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  return user + nice + system;
}

function processJiffies(pid: number): { own: number; withChildren: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces), starting at field 3 (state): utime is 14.
  const fields = text
    .slice(text.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  const [utime = 0, stime = 0, cutime = 0, cstime = 0] = fields.slice(11, 15);
  return { own: utime + stime, withChildren: utime + stime + cutime + cstime };
}

async function postgresPids(databaseUrl: string): Promise<number[]> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ pid: number }>(
      'select pid from pg_stat_activity where datname = current_database() or backend_type <> $1',
      ['client backend'],
    );
    return rows.map((r) => r.pid);
  });
}

/** Whether the URL's server is on this machine (loopback or a Unix socket). */
export function isLocalDatabase(url: string): boolean {
  const host = decodeURIComponent(new URL(url).hostname);
  return host === '' || host.startsWith('/') || ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host);
}
