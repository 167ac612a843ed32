// Reads a V8 `.cpuprofile` (from `node --cpu-prof`) for `bench/scale/run.ts --profile`: where a worker's main
// thread spent a time window, by code area (Airlock folder, npm package, Node internals, GC, idle), by function
// (self time), and which Airlock functions the time was spent under (inclusive time).
import { readFile } from 'node:fs/promises';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  /** Microseconds on the monotonic clock (CLOCK_MONOTONIC on Linux, as `process.hrtime`). */
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Whether the window fell inside the profile (else the whole profile was used). */
  windowed: boolean;
  /** Sampled time in the window, ms (idle included). */
  totalMs: number;
  /** Time the main thread was not idle, ms. */
  busyMs: number;
  byArea: { name: string; ms: number }[];
  topSelf: { name: string; ms: number }[];
  /** Airlock functions (compiled dist/ code) by time spent in them and below them. */
  topInclusive: { name: string; ms: number }[];
}

const SPECIAL = new Set(['(idle)', '(garbage collector)', '(program)', '(root)']);

/**
 * Summarizes `file` over `[startUs, endUs]` on the monotonic clock (the benchmark takes these from
 * `process.hrtime`, which reads the same clock as V8's profiler on Linux). `repo` shortens paths.
 */
export async function summarizeProfile(file: string, window: { startUs: number; endUs: number }, repo: string): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const windowed = window.startUs >= profile.startTime && window.endUs <= profile.endTime && window.endUs > window.startUs;

  const root = repo.endsWith('/') ? repo : `${repo}/`;
  const shortUrl = (url: string): string => url.replace(/^file:\/\//, '').replace(root, '');
  const area = (f: CallFrame): string => {
    if (SPECIAL.has(f.functionName)) return f.functionName;
    const url = shortUrl(f.url);
    if (url === '') return '(native / V8 builtins)';
    if (url.startsWith('node:')) return `node ${url.split('/').slice(0, 2).join('/')}`;
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (pkg) return `npm ${pkg[1]}`;
    const dist = /^dist\/(.*)\/[^/]+$/.exec(url);
    if (dist) return `airlock ${dist[1]}`;
    return url;
  };
  const fnName = (f: CallFrame): string =>
    SPECIAL.has(f.functionName)
      ? f.functionName
      : `${f.functionName || '(anonymous)'} ${shortUrl(f.url) || '(native)'}:${f.lineNumber + 1}`;
  const isAirlock = (f: CallFrame): boolean => shortUrl(f.url).startsWith('dist/');

  const selfMs = new Map<string, number>();
  const areaMs = new Map<string, number>();
  const inclusiveMs = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (windowed && (t < window.startUs || t > window.endUs)) continue;
    const node = byId.get(profile.samples[i] ?? -1);
    if (!node) continue;
    const ms = delta / 1000;
    totalMs += ms;
    if (node.callFrame.functionName === '(idle)') idleMs += ms;
    const add = (map: Map<string, number>, key: string): void => void map.set(key, (map.get(key) ?? 0) + ms);
    add(selfMs, fnName(node.callFrame));
    add(areaMs, area(node.callFrame));
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)?.callFrame;
      if (!frame || !isAirlock(frame)) continue;
      const key = fnName(frame);
      if (!seen.has(key)) {
        seen.add(key);
        add(inclusiveMs, key);
      }
    }
  }
  const top = (map: Map<string, number>, n: number): { name: string; ms: number }[] =>
    [...map]
      .map(([name, ms]) => ({ name, ms }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, n);
  return {
    windowed,
    totalMs,
    busyMs: totalMs - idleMs,
    byArea: top(areaMs, 20),
    topSelf: top(selfMs, 25),
    topInclusive: top(inclusiveMs, 30),
  };
}
