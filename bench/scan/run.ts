// `npm run bench:scan`: throughput and peak RSS of `airlock scan` against ripgrep on the same
// generated corpus, in the same run. A benchmark, not a test: it prints numbers and `bench:` lines,
// and exits 1 only when a run is invalid (tool missing, crashed, timed out, or wrong output).
//
//   --sizes 256MiB,1GiB   corpus sizes (default 1GiB,2GiB; --quick means 256MiB)
//   --only-airlock        skip the ripgrep measurements
//   --airlock-cmd "..."   stand-in for Airlock, split on spaces (no shell); {dir} is the corpus,
//                         appended when absent
//   --runs N              measured runs per tool and size, interleaved (default 3, --quick 1)
//   --seed N, --timeout S per-child time limit in seconds (default 600)
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measure, type Measurement } from '../measure.js';
import { ensureCorpus, formatSize, parseSize, type Corpus } from './generate-corpus.js';
import { NEAR_MISS_KINDS, NEAR_MISS_LOOKS_LIKE, PLANTED_KINDS } from './values.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const PATTERNS = join(REPO, 'bench/scan/patterns.txt');
const GIB = 1024 ** 3;
const RSS_ANCHOR_MB = 200;
const THROUGHPUT_TARGET = 0.5;

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'only-airlock': { type: 'boolean', default: false },
    'airlock-cmd': { type: 'string', default: 'node bin/airlock.js scan {dir} --json' },
    seed: { type: 'string', default: '1' },
    timeout: { type: 'string', default: '600' },
    runs: { type: 'string' },
  },
});
let sizes: number[] = [];
try {
  sizes = (args.sizes ?? (args.quick ? '256MiB' : '1GiB,2GiB')).split(',').map(parseSize);
} catch (err) {
  fail((err as Error).message);
}
const seed = Number(args.seed);
const timeoutSeconds = Number(args.timeout);
const runs = Number(args.runs ?? (args.quick ? 1 : 3));
if (![seed, timeoutSeconds, runs].every((n) => Number.isFinite(n) && n >= 0) || runs < 1) {
  fail('--seed, --timeout and --runs take numbers (--runs at least 1)');
}

const progress = (msg: string): void => void process.stderr.write(`bench:scan: ${msg}\n`);
const out = (line = ''): void => void process.stdout.write(line + '\n');
function fail(msg: string): never {
  process.stderr.write(`bench:scan: ${msg}\n`);
  process.exit(1);
}
const fmt = (x: number): string => String(Number(x.toFixed(3)));
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

function rgVersion(): string {
  const r = spawnSync('rg', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) fail('ripgrep (rg) is not installed: apt-get install ripgrep');
  return r.stdout.split('\n')[0] ?? 'unknown';
}

function describeMachine(rg: string): void {
  let model = 'unknown';
  try {
    model = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    model = cpus()[0]?.model ?? model;
  }
  out('## machine');
  out(`- cpu: ${model}`);
  out(`- cores: ${availableParallelism()}`);
  out(`- ram: ${(totalmem() / GIB).toFixed(1)} GiB`);
  out(`- node: ${process.version}`);
  out(`- rg: ${rg}`);
  out(`- kernel: ${release()}`);
  out();
}

/** The Airlock command line for a corpus: `node` is this Node, so both tools run under one toolchain. */
function airlockArgv(dir: string): string[] {
  const words = (args['airlock-cmd'] ?? '').trim().split(/\s+/);
  const argv = words.map((w) => (w === 'node' ? process.execPath : w.replaceAll('{dir}', dir)));
  return words.some((w) => w.includes('{dir}')) ? argv : [...argv, dir];
}

const rgArgv = (dir: string): string[] => ['rg', '-j1', '--no-unicode', '-c', '-f', PATTERNS, dir];

/**
 * Counts what ripgrep's patterns match, per pattern (named by its `(?P<kind>…)` group), and compares
 * with the manifest: planted values plus near misses of the same shape. This also reads the whole
 * corpus, so both tools start from a warm page cache.
 */
async function sanityCheck(corpus: Corpus): Promise<void> {
  const patterns = readFileSync(PATTERNS, 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => {
      const kind = /^\(\?P<(\w+)>/.exec(line)?.[1];
      if (!kind) fail(`patterns.txt: every line must start with a (?P<kind>...) group: ${line}`);
      return { kind, re: new RegExp(`^(?:${line.replaceAll('(?P<', '(?<')})$`) };
    });
  const found = new Map<string, number>();
  const rg = spawn('rg', ['--no-unicode', '-o', '--no-filename', '-N', '-f', PATTERNS, corpus.dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => rg.on('close', resolve));
  for await (const match of createInterface({ input: rg.stdout })) {
    const kind = patterns.find((p) => p.re.test(match))?.kind ?? 'unclassified';
    found.set(kind, (found.get(kind) ?? 0) + 1);
  }
  const code = await exited;
  if (code !== 0 && code !== 1) fail(`ripgrep failed (exit ${code}) counting matches in ${corpus.dataDir}`);
  const m = corpus.manifest;
  out(`### corpus ${formatSize(m.requestedBytes)}: ${m.files} files, ${m.bytes} bytes, manifest vs ripgrep`);
  out('| kind | planted | look-alike near misses | rg matches | |');
  out('|---|---:|---:|---:|---|');
  let mismatches = 0;
  for (const kind of [...PLANTED_KINDS, 'unclassified'] as const) {
    const planted = kind === 'unclassified' ? 0 : m.planted[kind];
    const alike = NEAR_MISS_KINDS.filter((n) => NEAR_MISS_LOOKS_LIKE[n] === kind).reduce((s, n) => s + m.nearMisses[n], 0);
    const rgCount = found.get(kind) ?? 0;
    if (rgCount !== planted + alike) mismatches++;
    out(`| ${kind} | ${planted} | ${alike} | ${rgCount} | ${rgCount === planted + alike ? 'ok' : 'differs'} |`);
  }
  out(`near misses planted: ${NEAR_MISS_KINDS.map((n) => `${n}=${m.nearMisses[n]}`).join(' ')}`);
  out();
  if (mismatches) progress(`warning: ripgrep's counts differ from the manifest for ${mismatches} kind(s)`);
}

type Tool = 'ripgrep' | 'airlock';

/** Runs one tool on one corpus and rejects the run when it is not a valid measurement. */
async function run(tool: Tool, corpus: Corpus): Promise<Measurement> {
  const argv = tool === 'ripgrep' ? rgArgv(corpus.dataDir) : airlockArgv(corpus.dataDir);
  const m = await measure(argv, { cwd: REPO, stdout: tool === 'ripgrep' ? 'ignore' : 'count-lines', timeoutSeconds });
  const what = `${tool} on ${formatSize(corpus.manifest.requestedBytes)}`;
  if (m.timedOut) fail(`${what} timed out after ${timeoutSeconds} s: ${argv.join(' ')}`);
  // rg exits 1 when nothing matched; Airlock's CLI exits 1 on failure (0 done, 1 failure, 2 usage).
  // Anything else, or a signal (negative code), makes the run invalid.
  const okCodes = tool === 'ripgrep' ? [0, 1] : [0];
  if (!okCodes.includes(m.code)) fail(`${what} exited with ${m.code}: ${argv.join(' ')}`);
  if (tool === 'airlock' && m.stdoutLines !== corpus.manifest.files) {
    fail(`${what}: printed ${m.stdoutLines} lines for ${corpus.manifest.files} files, so the run is invalid`);
  }
  progress(`${what}: ${m.seconds.toFixed(3)} s, peak RSS ${(m.peakRssKiB / 1024).toFixed(1)} MiB`);
  return m;
}

interface Row {
  size: number;
  tool: Tool;
  seconds: number;
  mbps: number;
  rssMB: number;
}

async function main(): Promise<void> {
  describeMachine(rgVersion());
  const corpora = sizes.map((size) => ensureCorpus(size, seed, progress));
  for (const c of corpora) {
    progress(`${c.reused ? 'reusing' : 'generated'} ${c.dataDir}`);
    await sanityCheck(c);
  }

  // Warm both tools the same way (Node, tsx and its transform cache; the rg binary) on the 1 GiB
  // corpus, or the smallest one in a smoke run; nothing is dropped from the page cache.
  const warm =
    corpora.find((c) => c.manifest.requestedBytes === GIB) ?? corpora.reduce((a, b) => (a.manifest.bytes <= b.manifest.bytes ? a : b));
  progress(`warm-up on ${formatSize(warm.manifest.requestedBytes)} (not measured)`);
  if (!args['only-airlock']) await run('ripgrep', warm);
  await run('airlock', warm);

  // Interleaved repetitions, median time and highest peak RSS: one noisy run on a shared machine
  // should not decide the verdict.
  const tools = args['only-airlock'] ? (['airlock'] as const) : (['ripgrep', 'airlock'] as const);
  const rows: Row[] = [];
  for (const c of corpora) {
    const samples = new Map<Tool, Measurement[]>(tools.map((t) => [t, []]));
    for (let i = 1; i <= runs; i++) {
      for (const tool of tools) {
        progress(`measuring ${tool} on ${formatSize(c.manifest.requestedBytes)} (run ${i}/${runs})`);
        samples.get(tool)?.push(await run(tool, c));
      }
    }
    for (const [tool, ms] of samples) {
      const seconds = median(ms.map((m) => m.seconds));
      const rssMB = (Math.max(...ms.map((m) => m.peakRssKiB)) * 1024) / 1e6;
      rows.push({ size: c.manifest.requestedBytes, tool, seconds, mbps: c.manifest.bytes / 1e6 / seconds, rssMB });
    }
  }

  out(`## results (median of ${runs} run(s); MB = 10^6 bytes; RSS is the highest of the runs)`);
  out('| size | tool | seconds | MB/s | peak RSS MB |');
  out('|---|---|---:|---:|---:|');
  for (const r of rows)
    out(`| ${formatSize(r.size)} | ${r.tool} | ${r.seconds.toFixed(3)} | ${r.mbps.toFixed(1)} | ${r.rssMB.toFixed(1)} |`);
  out();
  const row = (size: number, tool: Tool): Row | undefined => rows.find((r) => r.size === size && r.tool === tool);
  for (const size of sizes) {
    const a = row(size, 'airlock');
    const r = row(size, 'ripgrep');
    if (a && r) out(`ratio airlock/ripgrep throughput at ${formatSize(size)}: ${fmt(a.mbps / r.mbps)}`);
  }
  out();

  // One line per target, built only from the size the target names: a smoke run prints fewer.
  const a1 = row(GIB, 'airlock');
  const r1 = row(GIB, 'ripgrep');
  const verdict = (ok: boolean): string => (ok ? 'ok' : 'short');
  if (a1 && r1) {
    const ratio = a1.mbps / r1.mbps;
    out(
      `bench: scan-throughput airlock=${fmt(a1.mbps)} anchor=${fmt(r1.mbps)} unit=MB/s ratio=${fmt(ratio)} target=>=${THROUGHPUT_TARGET} ${verdict(ratio >= THROUGHPUT_TARGET)}`,
    );
  } else progress('no scan-throughput line: needs airlock and ripgrep at 1GiB');
  for (const [name, size] of [
    ['scan-rss-1gib', GIB],
    ['scan-rss-2gib', 2 * GIB],
  ] as const) {
    const a = row(size, 'airlock');
    if (!a) {
      progress(`no ${name} line: needs airlock at ${formatSize(size)}`);
      continue;
    }
    const ratio = a.rssMB / RSS_ANCHOR_MB;
    out(`bench: ${name} airlock=${fmt(a.rssMB)} anchor=${RSS_ANCHOR_MB} unit=MB ratio=${fmt(ratio)} target=<1 ${verdict(ratio < 1)}`);
  }
}

await main();
