/**
 * Throughput of the patterns scanner on realistic mixed text: `npx tsx checks/patterns/measure-throughput.ts [MB]`.
 * Generates about 200 MB in memory from a seeded PRNG (prose, CSV rows with dates, ids and amounts,
 * JSON log lines with timestamps, UUIDs and IPs, one planted sensitive value per ~50 KB), feeds it to
 * one scanner in 64 KiB chunks, and prints MB/s (10^6 bytes; median and best of 7 rounds) for the scanner
 * alone, SHA-256 alone, and both over the same chunks, as the inspector does them on one core. It also
 * prints how many values it planted and how many the scanner found, per detector: they should be equal.
 */
import { createHash } from 'node:crypto';
import { DistinctValues } from '../check.js';
import { patternsCheck } from './index.js';

const TARGET_BYTES = Number(process.argv[2] ?? 200) * 1e6;
const CHUNK = 64 * 1024;
const ROUNDS = 7;

/** mulberry32: small, seeded, good enough to make text that is not a repeating pattern. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(20240506);
const int = (n: number): number => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
const digits = (n: number): string => Array.from({ length: n }, () => int(10)).join('');
const hex = (n: number): string => Array.from({ length: n }, () => '0123456789abcdef'[int(16)]).join('');
const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

const WORDS = (
  'the of and to in is was that for on with as by at from this be are have it not or an which were their has been ' +
  'shipment delivery customer invoice quarter report account service region market revenue growth team review ' +
  'following meeting agreed project schedule budget approved change request support ticket release version ' +
  'warehouse inventory supplier contract payment terms period balance transfer during after before within'
).split(' ');
const NAMES = ['Alice Martin', 'Bob Chen', 'Carla Rossi', 'Dmitri Ivanov', 'Emma Schmidt', 'Farid Haddad', 'Grace Okafor', 'Hiro Tanaka'];
const CITIES = ['Berlin', 'Lyon', 'Austin', 'Osaka', 'Lagos', 'Porto', 'Denver', 'Gdansk'];
const PATHS = ['/api/v1/orders', '/api/v1/customers', '/health', '/api/v2/search', '/static/app.js', '/login'];

function date(): string {
  return `2024-${pad(1 + int(12))}-${pad(1 + int(28))}`;
}
function time(): string {
  return `${pad(int(24))}:${pad(int(60))}:${pad(int(60))}`;
}

function proseLine(): string {
  const words: string[] = [];
  for (let length = 0; length < 70;) {
    let word = pick(WORDS);
    if (words.length === 0 || random() < 0.06) word = word[0]!.toUpperCase() + word.slice(1);
    if (random() < 0.03) word = String(1950 + int(75));
    words.push(word);
    length += word.length + 1;
  }
  return `${words.join(' ')}${pick(['.', ',', '.', ';'])}`;
}

function csvLine(): string {
  const amount = (random() * 5000).toFixed(2);
  return [
    10000 + int(900000),
    date(),
    time(),
    pick(NAMES),
    pick(CITIES),
    amount,
    pick(['EUR', 'USD', 'GBP']),
    int(40),
    `SKU-${digits(6)}`,
    `ORD-2024-${digits(7)}`,
    pick(['shipped', 'pending', 'returned']),
  ].join(',');
}

function jsonLine(): string {
  const uuid = `${hex(8)}-${hex(4)}-4${hex(3)}-${pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`;
  return JSON.stringify({
    ts: `${date()}T${time()}.${digits(3)}Z`,
    level: pick(['INFO', 'INFO', 'INFO', 'WARN', 'ERROR', 'DEBUG']),
    service: pick(['checkout', 'search', 'billing', 'gateway']),
    request_id: uuid,
    ip: `10.${int(256)}.${int(256)}.${int(256)}`,
    method: pick(['GET', 'GET', 'POST', 'PUT']),
    path: `${pick(PATHS)}/${int(100000)}`,
    status: pick([200, 200, 200, 201, 304, 404, 500]),
    duration_ms: Math.round(random() * 1e6) / 1000,
    epoch_ms: 1714998896123 + int(1e9),
    commit: hex(40),
  });
}

function luhnComplete(body: string): string {
  for (let check = 0; check < 10; check++) {
    const candidate = body + check;
    let sum = 0;
    for (let i = 0; i < candidate.length; i++) {
      let d = Number(candidate[candidate.length - 1 - i]);
      if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    if (sum % 10 === 0) return candidate;
  }
  throw new Error('unreachable');
}

const chars = (alphabet: string, n: number): string => Array.from({ length: n }, () => alphabet[int(alphabet.length)]).join('');
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** One generator per detector; each line holds exactly one value. */
const PLANTED: readonly (readonly [detector: string, line: () => string])[] = [
  ['credit_card', () => `card on file: ${luhnComplete(`4${digits(14)}`)}`],
  ['us_ssn', () => `SSN ${100 + int(500)}-${pad(1 + int(98))}-${1000 + int(8999)}`],
  ['iban', () => 'IBAN DE89 3704 0044 0532 0130 00'],
  ['email_address', () => `contact ${pick(['jane', 'bob', 'ops'])}.${digits(3)}@example-corp.com`],
  ['aws_access_key', () => `aws_access_key_id = AKIA${chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`],
  ['jwt', () => `Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI${digits(8)}In0.${hex(43)}`],
  ['github_token', () => `GITHUB_TOKEN=ghp_${chars(ALNUM, 36)}`],
  ['slack_token', () => `SLACK_TOKEN=xoxb-${digits(12)}-${digits(13)}-${chars(ALNUM, 24)}`],
  ['private_key', () => `-----BEGIN RSA PRIVATE KEY-----\n${chars(`${ALNUM}+/`, 64)}\n-----END RSA PRIVATE KEY-----`],
];
const planted = new Map<string, number>();

function generate(total: number): Buffer[] {
  const blocks: Buffer[] = [];
  let produced = 0;
  let sincePlant = 0;
  while (produced < total) {
    const lines: string[] = [];
    let size = 0;
    while (size < 1 << 20) {
      const kind = random();
      const count = 5 + int(30);
      for (let n = 0; n < count; n++) {
        const line = kind < 0.35 ? proseLine() : kind < 0.65 ? csvLine() : jsonLine();
        lines.push(line);
        size += line.length + 1;
        sincePlant += line.length + 1;
        if (sincePlant >= 50_000) {
          const [detector, line] = pick(PLANTED);
          lines.push(line());
          planted.set(detector, (planted.get(detector) ?? 0) + 1);
          sincePlant = 0;
        }
      }
    }
    const block = Buffer.from(`${lines.join('\n')}\n`, 'latin1');
    blocks.push(block);
    produced += block.length;
  }
  const all = Buffer.concat(blocks);
  const chunks: Buffer[] = [];
  for (let at = 0; at < all.length; at += CHUNK) chunks.push(all.subarray(at, at + CHUNK));
  return chunks;
}

function measure(label: string, chunks: readonly Buffer[], bytes: number, run: () => void): void {
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    run();
    rates.push(bytes / 1e6 / ((performance.now() - started) / 1000));
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)]!;
  const best = rates[rates.length - 1]!;
  console.log(
    `${label.padEnd(28)} median ${median.toFixed(0).padStart(5)} MB/s, best ${best.toFixed(0).padStart(5)} MB/s  (${ROUNDS} rounds of ${(bytes / 1e6).toFixed(0)} MB in ${chunks.length} chunks)`,
  );
}

const generated = performance.now();
const chunks = generate(TARGET_BYTES);
const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
console.log(`generated ${(bytes / 1e6).toFixed(0)} MB of mixed text in ${((performance.now() - generated) / 1000).toFixed(1)} s`);

const counts = new Map<string, number>();
const scanOnce = (hash: boolean): void => {
  const scanner = patternsCheck.createScanner({ path: 'mixed.txt', kind: 'raw', values: new DistinctValues() });
  const digest = hash ? createHash('sha256') : undefined;
  for (const chunk of chunks) {
    digest?.update(chunk);
    scanner.write(chunk);
  }
  digest?.digest();
  counts.clear();
  for (const finding of scanner.end()) counts.set(finding.detector, (counts.get(finding.detector) ?? 0) + 1);
};

measure('patterns scanner', chunks, bytes, () => scanOnce(false));
console.log(`planted:  ${[...planted].map(([detector, n]) => `${detector}=${n}`).join(', ')}`);
console.log(`findings: ${[...planted.keys()].map((detector) => `${detector}=${counts.get(detector) ?? 0}`).join(', ')}`);
measure('sha256 only', chunks, bytes, () => {
  const digest = createHash('sha256');
  for (const chunk of chunks) digest.update(chunk);
  digest.digest();
});
measure('scanner + sha256 (one core)', chunks, bytes, () => scanOnce(true));
