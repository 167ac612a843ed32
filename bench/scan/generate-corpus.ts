// Deterministic text corpus for the scan benchmark: prose, CSV and JSON-lines files of varied sizes,
// with a low density of planted sensitive values and near misses, and a manifest counting them.
// Files are written in 1 MiB chunks, so memory stays flat whatever the corpus size. The corpus is
// cached (never committed) and reused when its COMPLETE marker matches this generator version.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  FIRST_NAMES,
  LAST_NAMES,
  NEAR_MISS_KINDS,
  PLANTED_KINDS,
  Rng,
  nearMissValue,
  pickPlantedKind,
  plantedValue,
  uuid,
  type NearMissKind,
  type PlantedKind,
} from './values.js';

/** Bump when the output changes, so stale cached corpora are regenerated. */
export const GENERATOR_VERSION = 2;

const KIB = 1024;
const MIB = 1024 * KIB;
const MIN_FILE = 64 * KIB;
const MAX_FILE = 32 * MIB;
const CHUNK = MIB;
/** Mean gap between planted values, and between near misses: "about one per 64 KiB". */
const MEAN_GAP = 64 * KIB;
const FILES_PER_DIR = 32;

type FileKind = 'prose' | 'csv' | 'jsonl';
const EXTENSION: Record<FileKind, string> = { prose: 'txt', csv: 'csv', jsonl: 'jsonl' };

export interface Manifest {
  generatorVersion: number;
  seed: number;
  requestedBytes: number;
  bytes: number;
  files: number;
  filesByKind: Record<FileKind, number>;
  planted: Record<PlantedKind, number>;
  nearMisses: Record<NearMissKind, number>;
}

export interface Corpus {
  root: string;
  /** The directory to scan: only generated files, no manifest or marker. */
  dataDir: string;
  manifest: Manifest;
  reused: boolean;
}

export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB)?$/i.exec(text.trim());
  if (!m) throw new Error(`bad size "${text}" (use e.g. 64MiB, 1GiB)`);
  const unit = (m[2] ?? 'B').toLowerCase();
  const factor = unit === 'gib' ? 1024 * MIB : unit === 'mib' ? MIB : unit === 'kib' ? KIB : 1;
  return Math.round(Number(m[1]) * factor);
}

export function formatSize(bytes: number): string {
  if (bytes % (1024 * MIB) === 0) return `${bytes / (1024 * MIB)}GiB`;
  if (bytes % MIB === 0) return `${bytes / MIB}MiB`;
  if (bytes % KIB === 0) return `${bytes / KIB}KiB`;
  return `${bytes}B`;
}

export function cacheRoot(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'airlock-bench');
}

const WORDS = (
  'the of and to in is was for on that with as by at from it be this are have an which not or had but ' +
  'one all were when there can more if will other about into their time only new some could these two ' +
  'may first then do any like my now over such our man me even most made after also did many before ' +
  'must through back years where much your way well down should because each just those people how too ' +
  'little state good very make world still own see men work long get here between both life being under ' +
  'never day same another know while last might us great old year off come since against go came right ' +
  'used take three report shipment invoice customer account payment review quarter supplier contract ' +
  'delivery schedule warehouse budget forecast meeting approval transfer ledger audit policy request'
).split(' ');

/** Text generators for one file kind: every string they return is ASCII, so length equals bytes. */
class Writer {
  private clock = Date.UTC(2024, 0, 1);
  constructor(private readonly rng: Rng) {}

  words(n: number): string {
    let s = this.rng.pick(WORDS);
    for (let i = 1; i < n; i++) s += ' ' + this.rng.pick(WORDS);
    return s;
  }

  header(kind: FileKind): string {
    if (kind === 'csv') return 'date,order_id,customer,phone,amount,currency,uuid,note\n';
    return '';
  }

  /** One record (paragraph, row or log line); `extra` is a planted value or near miss to carry. */
  record(kind: FileKind, extra: string | undefined): string {
    const r = this.rng;
    if (kind === 'prose') {
      if (extra?.includes('\n')) return `${extra}\n\n`; // a PEM block stands on its own lines
      const sentences: string[] = [];
      const n = 3 + r.int(5);
      for (let i = 0; i < n; i++) {
        let s = this.words(6 + r.int(13));
        if (extra !== undefined && i === 0) s += ` ${extra} ${this.words(3)}`;
        sentences.push(s.charAt(0).toUpperCase() + s.slice(1) + '.');
      }
      return sentences.join(' ') + '\n\n';
    }
    if (kind === 'csv') {
      const date = `2024-${pad(1 + r.int(12), 2)}-${pad(1 + r.int(28), 2)}`;
      const phone = r.int(2) ? `+1-555-${r.digits(3)}-${r.digits(4)}` : `+44 20 ${r.digits(4)} ${r.digits(4)}`;
      const amount = (r.int(1_000_000) / 100).toFixed(2);
      const note = extra ?? (r.int(4) === 0 ? this.words(1 + r.int(4)) : '');
      const customer = `${r.pick(FIRST_NAMES)} ${r.pick(LAST_NAMES)}`;
      return `${date},ORD-${r.digits(8)},${customer},${phone},${amount},${r.pick(['EUR', 'USD', 'GBP'])},${uuid(r)},${csvField(note)}\n`;
    }
    this.clock += r.int(50);
    const level = r.pick(['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN', 'ERROR']);
    const ip = `10.${r.int(256)}.${r.int(256)}.${r.int(256)}`;
    const path = r.pick(['/api/v1/orders/', '/api/v1/customers/', '/api/v2/invoices/', '/health/']) + r.int(100000);
    const detail = extra === undefined ? '' : `,"detail":${JSON.stringify(extra)}`;
    return (
      `{"ts":"${new Date(this.clock).toISOString()}","level":"${level}","svc":"orders","req":"${uuid(r)}",` +
      `"ip":"${ip}","method":"${r.pick(['GET', 'POST', 'PUT'])}","path":"${path}","status":${r.pick([200, 200, 201, 404, 500])},` +
      `"ms":${(r.int(100000) / 100).toFixed(2)},"msg":"${this.words(2 + r.int(6))}"${detail}}\n`
    );
  }
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function emptyCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

function generate(dataDir: string, requestedBytes: number, seed: number, log: (msg: string) => void): Manifest {
  const rng = new Rng(seed);
  const writer = new Writer(rng);
  const m: Manifest = {
    generatorVersion: GENERATOR_VERSION,
    seed,
    requestedBytes,
    bytes: 0,
    files: 0,
    filesByKind: { prose: 0, csv: 0, jsonl: 0 },
    planted: emptyCounts(PLANTED_KINDS),
    nearMisses: emptyCounts(NEAR_MISS_KINDS),
  };
  let untilPlant = rng.int(2 * MEAN_GAP);
  let untilNearMiss = rng.int(2 * MEAN_GAP);
  let nextProgress = 0;

  while (m.bytes < requestedBytes) {
    // Log-uniform sizes: many small files, a few large ones, as in a real transfer.
    const drawn = Math.round(Math.exp(Math.log(MIN_FILE) + rng.float() * Math.log(MAX_FILE / MIN_FILE)));
    const remaining = requestedBytes - m.bytes;
    const target = remaining - drawn < MIN_FILE ? remaining : drawn;
    const kind = rng.pick(['prose', 'csv', 'jsonl'] as const);
    const dir = join(dataDir, `d${pad(Math.floor(m.files / FILES_PER_DIR), 3)}`);
    mkdirSync(dir, { recursive: true });
    const fd = openSync(join(dir, `f${pad(m.files, 5)}.${EXTENSION[kind]}`), 'w');
    let written = 0;
    let buf = writer.header(kind);
    while (written + buf.length < target) {
      let extra: string | undefined;
      if (untilPlant <= 0) {
        const k = pickPlantedKind(rng);
        extra = plantedValue(k, rng);
        m.planted[k]++;
        untilPlant = rng.int(2 * MEAN_GAP);
      } else if (untilNearMiss <= 0) {
        const k = rng.pick(NEAR_MISS_KINDS);
        extra = nearMissValue(k, rng);
        m.nearMisses[k]++;
        untilNearMiss = rng.int(2 * MEAN_GAP);
      }
      const rec = writer.record(kind, extra);
      untilPlant -= rec.length;
      untilNearMiss -= rec.length;
      buf += rec;
      if (buf.length >= CHUNK) {
        writeSync(fd, buf);
        written += buf.length;
        buf = '';
      }
    }
    writeSync(fd, buf);
    written += buf.length;
    closeSync(fd);
    m.files++;
    m.filesByKind[kind]++;
    m.bytes += written;
    if (m.bytes >= nextProgress) {
      log(`generate: ${Math.round(m.bytes / MIB)} / ${Math.round(requestedBytes / MIB)} MiB`);
      nextProgress += Math.max(64 * MIB, requestedBytes / 8);
    }
  }
  return m;
}

/** Returns the cached corpus for (size, seed), generating it first when absent, partial or stale. */
export function ensureCorpus(requestedBytes: number, seed: number, log: (msg: string) => void = () => {}): Corpus {
  const root = join(cacheRoot(), `corpus-${formatSize(requestedBytes)}-${seed}`);
  const dataDir = join(root, 'data');
  const marker = join(root, 'COMPLETE');
  if (existsSync(marker)) {
    const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as Manifest;
    if (manifest.generatorVersion === GENERATOR_VERSION) return { root, dataDir, manifest, reused: true };
  }
  log(`generate: writing ${formatSize(requestedBytes)} corpus (seed ${seed}) to ${root}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const manifest = generate(dataDir, requestedBytes, seed, log);
  writeFileSync(join(root, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  writeFileSync(marker, `${GENERATOR_VERSION}\n`); // last: a crash before this leaves the corpus "partial"
  return { root, dataDir, manifest, reused: false };
}

// `tsx bench/scan/generate-corpus.ts [size] [seed]` generates (or finds) one corpus and prints where.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const corpus = ensureCorpus(parseSize(process.argv[2] ?? '64MiB'), Number(process.argv[3] ?? 1), (s) => process.stderr.write(s + '\n'));
  process.stdout.write(`${corpus.dataDir}\n${JSON.stringify(corpus.manifest, null, 2)}\n`);
}
