// `npm run bench:transfer`: wall time and peak RSS of `airlock run <pipeline>` (S3 -> SFTP, all checks on)
// against `rclone copy` with its default flags, between the same s3rver and the same OpenSSH sshd, in the
// same run, for one 1 GiB file and for 1,000 files of 100 KiB. A benchmark, not a test: it prints numbers
// and `bench:` lines, and exits 1 only when a run is invalid (tool missing, crashed, timed out, or what
// arrived at the SFTP server is not exactly what was put into S3).
//
//   --runs N        measured runs per tool for the 1 GiB case (default 1); the small-files case gets
//                   --small-runs N (default 3). Runs are interleaved; medians are reported.
//   --quick         a 64 MiB file and 100 small files, one run each, no `bench:` lines
//   --timeout S     per-run time limit in seconds (default 900); a run over it is killed and invalid
//   --keep          leave the temp folders (s3rver data excepted) for inspection
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { startSshd, type SshdServer } from '../../test/servers/sshd-server.js';
import { measure, type Measurement } from '../measure.js';
import { textBuffer, textStream } from './data.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
const RSS_ANCHOR_MB = 250;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    'small-runs': { type: 'string' },
    timeout: { type: 'string', default: '900' },
    keep: { type: 'boolean', default: false },
    // Run Airlock on PostgreSQL instead of the embedded store: a fresh database per run on this server.
    'database-url': { type: 'string' },
  },
});
const quick = args.quick;
const bigRuns = Number(args.runs ?? 1);
const smallRuns = Number(args['small-runs'] ?? (quick ? 1 : 3));
const timeoutSeconds = Number(args.timeout);
if (![bigRuns, smallRuns, timeoutSeconds].every((n) => Number.isInteger(n) && n >= 1)) {
  fail('--runs, --small-runs and --timeout take whole numbers of at least 1');
}

interface Case {
  id: 'transfer-1gib' | 'transfer-1000x100k';
  label: string;
  bucket: string;
  files: number;
  fileBytes: number;
  runs: number;
}
const BIG: Case = {
  id: 'transfer-1gib',
  label: quick ? '1 x 64 MiB' : '1 x 1 GiB',
  bucket: 'bench-big',
  files: 1,
  fileBytes: quick ? 64 * MIB : GIB,
  runs: quick ? 1 : bigRuns,
};
const SMALL: Case = {
  id: 'transfer-1000x100k',
  label: quick ? '100 x 100 KiB' : '1000 x 100 KiB',
  bucket: 'bench-small',
  files: quick ? 100 : 1000,
  fileBytes: 100 * 1024,
  runs: smallRuns,
};
const TARGETS: Record<Case['id'], number> = { 'transfer-1gib': 1.1, 'transfer-1000x100k': 1.0 };

type Tool = 'rclone' | 'airlock';

const progress = (msg: string): void => void process.stderr.write(`bench:transfer: ${msg}\n`);
const out = (line = ''): void => void process.stdout.write(line + '\n');
function fail(msg: string): never {
  process.stderr.write(`bench:transfer: ${msg}\n`);
  process.exitCode = 1;
  throw new BenchFailure(msg);
}
class BenchFailure extends Error {}
const fmt = (x: number): string => String(Number(x.toFixed(3)));
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

function firstLine(cmd: string, argv: string[]): string {
  const r = spawnSync(cmd, argv, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'unavailable';
  return `${r.stdout}${r.stderr}`.trim().split('\n')[0] ?? 'unknown';
}

function describeMachine(): { rclone: string } {
  const rclone = firstLine('rclone', ['version']);
  if (rclone === 'unavailable') fail('rclone is not installed: apt-get install rclone');
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    // keep os.cpus()'s answer
  }
  out('## machine');
  out(`- cpu: ${model}`);
  out(`- cores: ${availableParallelism()}`);
  out(`- ram: ${(totalmem() / GIB).toFixed(1)} GiB`);
  out(`- kernel: ${release()}`);
  out(`- node: ${process.version}`);
  out(`- rclone: ${rclone}`);
  out(`- openssh: ${firstLine('ssh', ['-V'])}`);
  out(`- disk (temp folder ${tmpdir()}): ${firstLine('sh', ['-c', `df -h --output=source,fstype,size ${tmpdir()} | tail -1`])}`);
  out();
  return { rclone };
}

// ---------------------------------------------------------------------------------------------------
// Servers

interface S3Info {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  dir: string;
}

/** s3rver in a child process (see s3rver-process.ts), so its CPU use stays out of this event loop. */
async function startS3Process(buckets: string[]): Promise<{ info: S3Info; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'bench/transfer/s3rver-process.ts'), ...buckets], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (text) => {
      rl.close();
      resolve(text);
    });
    child.once('exit', (code) => reject(new Error(`s3rver process exited (${code}) before starting`)));
    child.once('error', reject);
  });
  return {
    info: JSON.parse(line) as S3Info,
    child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

interface Expected {
  /** Path relative to the destination folder. */
  path: string;
  size: number;
  sha256: string;
}

/** Puts a case's files into its bucket, once, and returns what must arrive. */
async function upload(s3: S3Info, c: Case, seedBase: number): Promise<Expected[]> {
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    if (c.files === 1) {
      const name = `data-${c.fileBytes / MIB}mib.txt`;
      const { stream, digest } = textStream(seedBase, c.fileBytes);
      const up = new Upload({ client, params: { Bucket: c.bucket, Key: name, Body: stream }, partSize: 16 * MIB, queueSize: 4 });
      await up.done();
      return [{ path: name, size: c.fileBytes, sha256: digest() }];
    }
    const expected: Expected[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < c.files) {
        const i = next++;
        const name = `f${String(i).padStart(4, '0')}.txt`;
        const { data, sha256 } = textBuffer(seedBase + i, c.fileBytes);
        await client.send(new PutObjectCommand({ Bucket: c.bucket, Key: name, Body: data }));
        expected.push({ path: name, size: data.length, sha256 });
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    return expected.sort((a, b) => (a.path < b.path ? -1 : 1));
  } finally {
    client.destroy();
  }
}

/** `[127.0.0.1]:port ssh-ed25519 …` from ssh-keyscan, accepted only if its fingerprint is the one sshd reported. */
function knownHostsLine(sshd: SshdServer): string {
  const scan = spawnSync('ssh-keyscan', ['-t', 'ed25519', '-p', String(sshd.port), sshd.host], { encoding: 'utf8' });
  const line = scan.stdout.split('\n').find((l) => l.includes('ssh-ed25519'));
  if (!line) fail(`ssh-keyscan found no ed25519 host key on ${sshd.host}:${sshd.port}: ${scan.stderr}`);
  const fp = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', '-'], { input: `${line}\n`, encoding: 'utf8' });
  if (fp.stdout.split(' ')[1] !== sshd.hostKeyFingerprint) fail(`ssh-keyscan's host key is not the one sshd was given`);
  return line;
}

// ---------------------------------------------------------------------------------------------------
// Runs

interface Env {
  work: string;
  s3: S3Info;
  sshd: SshdServer;
  policiesDir: string;
  pipelinesDir: string;
  rcloneConfig: string;
  knownHosts: string;
  expected: Map<Case['id'], Expected[]>;
}

let runCounter = 0;

function airlockPipeline(env: Env, c: Case, name: string, root: string): string {
  const q = (value: string | number): string => JSON.stringify(value);
  return [
    `name: ${name}`,
    `description: ${q(`bench:transfer ${c.label}, s3rver to sshd`)}`,
    'source:',
    '  kind: s3',
    `  bucket: ${q(c.bucket)}`,
    `  endpoint: ${q(env.s3.endpoint)}`,
    `  region: ${q(env.s3.region)}`,
    '  forcePathStyle: true',
    `  accessKeyId: ${q('${env:BENCH_S3_ACCESS_KEY_ID}')}`,
    `  secretAccessKey: ${q('${env:BENCH_S3_SECRET_ACCESS_KEY}')}`,
    'destination:',
    '  kind: sftp',
    `  host: ${q(env.sshd.host)}`,
    `  port: ${env.sshd.port}`,
    `  username: ${q(env.sshd.username)}`,
    `  root: ${q(root)}`,
    `  privateKey: ${q(`\${file:${env.sshd.privateKeyPath}}`)}`,
    `  hostKey: ${q(env.sshd.hostKeyFingerprint)}`,
    'policy: default',
    'delivery: per-item',
    'checks: [filetype, patterns, dlp]',
    'trigger: { manual: true }',
    '',
  ].join('\n');
}

/** Databases made by `freshDatabase`, dropped when the benchmark ends. */
const createdDatabases = new Set<string>();

/** Drops and recreates `name` on the server of `url`; returns the URL of the new, empty database. */
async function freshDatabase(url: string, name: string): Promise<string> {
  await adminQueries(url, [`drop database if exists ${name} with (force)`, `create database ${name}`]);
  createdDatabases.add(name);
  const target = new URL(url);
  target.pathname = `/${name}`;
  return target.toString();
}

async function adminQueries(url: string, statements: readonly string[]): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    for (const statement of statements) await admin.query(statement);
  } finally {
    await admin.end();
  }
}

/** `env` then `sh` that `exec`s the tool: both replace themselves, so the measured process is the tool. */
function wrapped(vars: Record<string, string>, unset: string[], stdoutFile: string, stderrFile: string, argv: string[]): string[] {
  return [
    'env',
    ...unset.flatMap((name) => ['-u', name]),
    ...Object.entries(vars).map(([k, v]) => `${k}=${v}`),
    'sh',
    '-c',
    'o=$1; e=$2; shift 2; exec "$@" >"$o" 2>"$e"',
    'sh',
    stdoutFile,
    stderrFile,
    ...argv,
  ];
}

interface RunResult {
  m: Measurement;
}

async function runOnce(env: Env, tool: Tool, c: Case, label: string): Promise<RunResult> {
  const n = ++runCounter;
  const runDir = join(env.work, `run-${n}-${tool}`);
  await mkdir(runDir);
  const dest = join(env.sshd.root, `${c.id}-${n}-${tool}`);
  await mkdir(dest);
  const stdoutFile = join(runDir, 'stdout');
  const stderrFile = join(runDir, 'stderr');
  let argv: string[];
  if (tool === 'airlock') {
    const name = `bench-${c.id}`;
    await writeFile(join(env.pipelinesDir, `${name}.yaml`), airlockPipeline(env, c, name, dest));
    const dataDir = join(runDir, 'data');
    const databaseUrl = args['database-url']
      ? await freshDatabase(args['database-url'], `airlock_bench_${c.id.replace(/\W/g, '_')}_${n}`)
      : undefined;
    argv = wrapped(
      {
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
        AIRLOCK_DATA_DIR: dataDir,
        AIRLOCK_PIPELINES_DIR: env.pipelinesDir,
        AIRLOCK_POLICIES_DIR: env.policiesDir,
        BENCH_S3_ACCESS_KEY_ID: env.s3.accessKeyId,
        BENCH_S3_SECRET_ACCESS_KEY: env.s3.secretAccessKey,
      },
      [...(databaseUrl ? [] : ['DATABASE_URL']), 'AIRLOCK_STAGING_DIR', 'AIRLOCK_MASTER_KEY', 'AIRLOCK_MASTER_KEY_FILE'].filter(
        (k) => k in process.env,
      ),
      stdoutFile,
      stderrFile,
      [process.execPath, join(REPO, 'bin/airlock.js'), 'run', name, '--json'],
    );
  } else {
    argv = wrapped(
      rcloneVars(env),
      ['AWS_CA_BUNDLE', ...Object.keys(process.env).filter((k) => k.startsWith('RCLONE_'))].filter((k) => k in process.env),
      stdoutFile,
      stderrFile,
      ['rclone', 'copy', `src:${c.bucket}`, `dst:${dest}`],
    );
  }
  progress(`${label}: ${tool} ${c.label} ...`);
  const m = await measure(argv, { cwd: REPO, timeoutSeconds });
  const what = `${tool} on ${c.label} (${label})`;
  const logTail = async (): Promise<string> => (await readFile(stderrFile, 'utf8').catch(() => '')).slice(-3000);
  if (m.timedOut) fail(`${what} timed out after ${timeoutSeconds} s and was killed\n${await logTail()}`);
  if (m.code !== 0) fail(`${what} exited with ${m.code}\n${await logTail()}`);
  if (tool === 'airlock') {
    const text = await readFile(stdoutFile, 'utf8');
    let t: { state?: string; failureReason?: string | null; items?: { state: string; size: number | null }[] };
    try {
      t = JSON.parse(text) as typeof t;
    } catch {
      fail(`${what}: stdout is not JSON: ${text.slice(0, 500)}`);
    }
    const items = t.items ?? [];
    const delivered = items.filter((i) => i.state === 'delivered' && i.size === c.fileBytes).length;
    if (t.state !== 'delivered' || items.length !== c.files || delivered !== c.files) {
      fail(
        `${what}: ticket ${t.state ?? '?'} with ${delivered} of ${items.length} item(s) delivered at ${c.fileBytes} bytes, ${c.files} expected (${t.failureReason ?? ''})`,
      );
    }
  }
  await verifyDelivered(what, dest, env.expected.get(c.id) ?? []);
  progress(`${what}: ${m.seconds.toFixed(3)} s, peak RSS ${((m.peakRssKiB * 1024) / 1e6).toFixed(1)} MB, delivery verified`);
  if (!args.keep) {
    await rm(dest, { recursive: true, force: true });
    await rm(runDir, { recursive: true, force: true });
  }
  return { m };
}

function rcloneVars(env: Env): Record<string, string> {
  return {
    RCLONE_CONFIG: env.rcloneConfig,
    RCLONE_CONFIG_SRC_TYPE: 's3',
    RCLONE_CONFIG_SRC_PROVIDER: 'Other',
    RCLONE_CONFIG_SRC_ENDPOINT: env.s3.endpoint,
    RCLONE_CONFIG_SRC_REGION: env.s3.region,
    RCLONE_CONFIG_SRC_ACCESS_KEY_ID: env.s3.accessKeyId,
    RCLONE_CONFIG_SRC_SECRET_ACCESS_KEY: env.s3.secretAccessKey,
    RCLONE_CONFIG_SRC_FORCE_PATH_STYLE: 'true',
    RCLONE_CONFIG_DST_TYPE: 'sftp',
    RCLONE_CONFIG_DST_HOST: env.sshd.host,
    RCLONE_CONFIG_DST_PORT: String(env.sshd.port),
    RCLONE_CONFIG_DST_USER: env.sshd.username,
    RCLONE_CONFIG_DST_KEY_FILE: env.sshd.privateKeyPath,
    RCLONE_CONFIG_DST_KNOWN_HOSTS_FILE: env.knownHosts,
  };
}

/** Every expected file is there with the right size and SHA-256, and nothing else is (no temp files). */
async function verifyDelivered(what: string, dest: string, expected: Expected[]): Promise<void> {
  const found = (await readdir(dest, { recursive: true, withFileTypes: true }))
    .filter((e) => !e.isDirectory())
    .map((e) => relative(dest, join(e.parentPath, e.name)))
    .sort();
  const want = expected.map((e) => e.path);
  if (found.length !== want.length || found.some((p, i) => p !== want[i])) {
    const extra = found.filter((p) => !want.includes(p)).slice(0, 5);
    const missing = want.filter((p) => !found.includes(p)).slice(0, 5);
    fail(
      `${what}: destination holds ${found.length} file(s), ${want.length} expected; extra ${JSON.stringify(extra)}, missing ${JSON.stringify(missing)}`,
    );
  }
  for (const e of expected) {
    const file = join(dest, e.path);
    const size = (await stat(file)).size;
    if (size !== e.size) fail(`${what}: ${e.path} has ${size} bytes, ${e.size} expected`);
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file, { highWaterMark: 4 * MIB })) hash.update(chunk as Buffer);
    if (hash.digest('hex') !== e.sha256) fail(`${what}: ${e.path} differs from what was put into S3 (SHA-256)`);
  }
}

/** The hashes rclone says the sftp remote supports: what `rclone copy` can compare after an upload. */
function rcloneDstHashes(env: Env): string {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...rcloneVars(env) };
  delete childEnv.AWS_CA_BUNDLE;
  const r = spawnSync('rclone', ['backend', 'features', `dst:${env.sshd.root}`], { env: childEnv, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return `unknown (rclone backend features failed: ${r.stderr.trim().split('\n').at(-1) ?? ''})`;
  try {
    const hashes = (JSON.parse(r.stdout) as { Hashes?: string[] }).Hashes ?? [];
    return hashes.length ? hashes.join(', ') : 'none';
  } catch {
    return 'unknown';
  }
}

// ---------------------------------------------------------------------------------------------------

interface Row {
  c: Case;
  tool: Tool;
  seconds: number;
  mbps: number;
  rssMB: number;
  samples: number[];
}

async function main(): Promise<void> {
  describeMachine();
  const work = await mkdtemp(join(tmpdir(), 'airlock-bench-transfer-'));
  let s3proc: Awaited<ReturnType<typeof startS3Process>> | undefined;
  let sshd: SshdServer | undefined;
  try {
    progress('building (npm run build), so bin/airlock.js runs the compiled dist/');
    const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] });
    if (build.status !== 0) fail('npm run build failed');

    progress('starting s3rver (child process) and sshd');
    s3proc = await startS3Process([BIG.bucket, SMALL.bucket]);
    sshd = await startSshd();
    const policiesDir = join(work, 'policies');
    const pipelinesDir = join(work, 'pipelines');
    await mkdir(policiesDir);
    await mkdir(pipelinesDir);
    await copyFile(join(REPO, 'policies/default.yaml'), join(policiesDir, 'default.yaml'));
    const rcloneConfig = join(work, 'rclone.conf');
    await writeFile(rcloneConfig, '');
    const knownHosts = join(work, 'known_hosts');
    await writeFile(knownHosts, `${knownHostsLine(sshd)}\n`);
    const env: Env = { work, s3: s3proc.info, sshd, policiesDir, pipelinesDir, rcloneConfig, knownHosts, expected: new Map() };

    for (const c of [SMALL, BIG]) {
      progress(`uploading ${c.label} into s3rver bucket ${c.bucket}`);
      const t0 = Date.now();
      env.expected.set(c.id, await upload(env.s3, c, c === BIG ? 1_000_000 : 1));
      progress(`uploaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }

    const sshdConfig = await readFile(join(dirname(sshd.privateKeyPath), 'sshd_config'), 'utf8').catch(() => '');
    const forced = /^ForceCommand internal-sftp$/m.test(sshdConfig);
    const hashes = rcloneDstHashes(env);
    out('## setup');
    out(`- s3rver 3.7 (test/servers/s3rver-server.ts) in its own Node process at ${env.s3.endpoint}; path-style; data on local disk`);
    out(
      `- OpenSSH sshd (test/servers/sshd-server.ts) on ${sshd.host}:${sshd.port}, user ${sshd.username}, ed25519 keys; ` +
        `${forced ? "`ForceCommand internal-sftp` and `SetEnv SHLVL=1`: no login shell ever starts, so no shell start-up work (root's .bashrc / pyenv) slows either tool" : 'sshd_config not as expected (no ForceCommand internal-sftp)'}`,
    );
    out(
      `- airlock: \`node bin/airlock.js run <pipeline> --json\` (compiled dist/), ${args['database-url'] ? 'PostgreSQL (a fresh database per run on --database-url)' : 'embedded store (fresh AIRLOCK_DATA_DIR per run, DATABASE_URL unset)'}, policy default, delivery per-item, checks [filetype, patterns, dlp], S3 credentials via \${env:…}, host key pinned by fingerprint`,
    );
    out(
      `- rclone: \`rclone copy src:<bucket> dst:<folder>\`, default flags; remotes from RCLONE_CONFIG_* variables only (empty config file), known_hosts from ssh-keyscan checked against the fingerprint; AWS_CA_BUNDLE unset for rclone only (rclone 1.60 stops with LoadCustomCABundleError otherwise)`,
    );
    out(
      `- hashes rclone's sftp remote offers: ${hashes}${hashes === 'none' ? ' (its md5sum/sha1sum probes cannot run a shell here), so `rclone copy` checks each upload by size only' : ''}`,
    );
    out(
      `- airlock checks each item's SHA-256 from S3 through its encrypted staging to the bytes written over SFTP, then the size the SFTP server reports; it writes to a temp name and renames atomically`,
    );
    out(
      `- after every run (untimed) this script checks the destination folder holds exactly the expected files with the expected sizes and SHA-256, else the run is invalid`,
    );
    out(
      `- every run gets a fresh destination folder; both tools see the same page cache (s3rver's files stay cached after upload); RSS is the peak of the tool's largest process`,
    );
    out();

    progress('warm-up on the small-files case (not measured)');
    await runOnce(env, 'rclone', SMALL, 'warm-up');
    await runOnce(env, 'airlock', SMALL, 'warm-up');

    const rows: Row[] = [];
    for (const c of [BIG, SMALL]) {
      const samples = new Map<Tool, Measurement[]>([
        ['rclone', []],
        ['airlock', []],
      ]);
      for (let i = 1; i <= c.runs; i++) {
        // Alternate which tool goes first, so neither always follows the other's disk writes.
        const order: Tool[] = i % 2 === 1 ? ['rclone', 'airlock'] : ['airlock', 'rclone'];
        for (const tool of order) samples.get(tool)?.push((await runOnce(env, tool, c, `run ${i}/${c.runs}`)).m);
      }
      for (const [tool, ms] of samples) {
        const seconds = median(ms.map((m) => m.seconds));
        const bytes = c.files * c.fileBytes;
        rows.push({
          c,
          tool,
          seconds,
          mbps: bytes / 1e6 / seconds,
          rssMB: (Math.max(...ms.map((m) => m.peakRssKiB)) * 1024) / 1e6,
          samples: ms.map((m) => m.seconds),
        });
      }
    }

    out(`## results (median of the runs; MB = 10^6 bytes; peak RSS is the highest of the runs)`);
    out('| case | tool | seconds | MB/s | peak RSS MB | runs (s) |');
    out('|---|---|---:|---:|---:|---|');
    for (const r of rows) {
      out(
        `| ${r.c.label} | ${r.tool} | ${r.seconds.toFixed(3)} | ${r.mbps.toFixed(1)} | ${r.rssMB.toFixed(1)} | ${r.samples.map((s) => s.toFixed(2)).join(', ')} |`,
      );
    }
    out();
    const row = (c: Case, tool: Tool): Row => rows.find((r) => r.c === c && r.tool === tool) as Row;
    for (const c of [BIG, SMALL]) {
      out(`ratio airlock/rclone time, ${c.label}: ${fmt(row(c, 'airlock').seconds / row(c, 'rclone').seconds)}`);
    }
    out();
    if (quick) {
      progress('--quick: no bench: lines (they name the 1 GiB and 1000-file cases)');
      return;
    }
    const verdict = (ok: boolean): string => (ok ? 'ok' : 'short');
    for (const c of [BIG, SMALL]) {
      const a = row(c, 'airlock');
      const r = row(c, 'rclone');
      const ratio = a.seconds / r.seconds;
      out(
        `bench: ${c.id} airlock=${fmt(a.seconds)} anchor=${fmt(r.seconds)} unit=s ratio=${fmt(ratio)} target=<=${TARGETS[c.id]} ${verdict(ratio <= TARGETS[c.id])}`,
      );
    }
    for (const [name, c] of [
      ['transfer-rss-1gib', BIG],
      ['transfer-rss-1000x100k', SMALL],
    ] as const) {
      const a = row(c, 'airlock');
      const ratio = a.rssMB / RSS_ANCHOR_MB;
      out(`bench: ${name} airlock=${fmt(a.rssMB)} anchor=${RSS_ANCHOR_MB} unit=MB ratio=${fmt(ratio)} target=<1 ${verdict(ratio < 1)}`);
    }
  } finally {
    await sshd?.stop().catch(() => undefined);
    await s3proc?.stop().catch(() => undefined);
    const url = args['database-url'];
    if (url && createdDatabases.size > 0) {
      await adminQueries(
        url,
        [...createdDatabases].map((name) => `drop database if exists ${name} with (force)`),
      ).catch(() => undefined);
    }
    if (!args.keep) await rm(work, { recursive: true, force: true });
    else progress(`kept ${work}`);
  }
}

try {
  await main();
} catch (error) {
  if (!(error instanceof BenchFailure)) {
    process.stderr.write(`bench:transfer: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exitCode = 1;
}
