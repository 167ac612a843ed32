// Seeded randomness and the values the corpus plants: every planted value passes the validator Airlock
// applies (Luhn, IBAN mod-97, SSA rules, JWT header), every near miss has the shape but fails it.
import { crc32 } from 'node:zlib';

/** sfc32 seeded through splitmix32: fast, deterministic, and never touches Math.random. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  chars(alphabet: string, n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }

  digits(n: number): string {
    return this.chars(DIGITS, n);
  }
}

const DIGITS = '0123456789';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const ALNUM = UPPER + 'abcdefghijklmnopqrstuvwxyz' + DIGITS;
const HEX = '0123456789abcdef';
const BASE64 = ALNUM + '+/';

export const PLANTED_KINDS = [
  'credit_card',
  'iban',
  'us_ssn',
  'email_address',
  'aws_access_key',
  'private_key',
  'jwt',
  'github_token',
  'slack_token',
  'marking',
] as const;
export type PlantedKind = (typeof PLANTED_KINDS)[number];

export const NEAR_MISS_KINDS = ['card_luhn_invalid', 'epoch_millis', 'git_sha'] as const;
export type NearMissKind = (typeof NEAR_MISS_KINDS)[number];

/** The detector a near miss looks like: a shape-only matcher (ripgrep) counts it there, Airlock must not. */
export const NEAR_MISS_LOOKS_LIKE: Record<NearMissKind, PlantedKind | null> = {
  card_luhn_invalid: 'credit_card',
  epoch_millis: 'credit_card',
  git_sha: null,
};

/** Relative frequency of each planted kind; markings are deliberately rare ("a few"). */
const PLANT_WEIGHTS: Record<PlantedKind, number> = {
  credit_card: 3,
  iban: 2,
  us_ssn: 2,
  email_address: 3,
  aws_access_key: 1,
  private_key: 1,
  jwt: 1,
  github_token: 1,
  slack_token: 1,
  marking: 0.25,
};
const WEIGHT_TOTAL = Object.values(PLANT_WEIGHTS).reduce((a, b) => a + b, 0);

export function pickPlantedKind(rng: Rng): PlantedKind {
  let r = rng.float() * WEIGHT_TOTAL;
  for (const kind of PLANTED_KINDS) {
    r -= PLANT_WEIGHTS[kind];
    if (r < 0) return kind;
  }
  return 'credit_card';
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

function withLuhnDigit(payload: string): string {
  for (let d = 0; d < 10; d++) if (luhnValid(payload + d)) return payload + d;
  throw new Error('unreachable: some check digit always satisfies Luhn');
}

function card(rng: Rng): string {
  const brand = rng.int(3);
  if (brand === 2) {
    const n = withLuhnDigit(rng.pick(['34', '37']) + rng.digits(12)); // Amex, 15 digits, 4-6-5
    const sep = rng.pick(['', ' ', '-']);
    return sep ? [n.slice(0, 4), n.slice(4, 10), n.slice(10)].join(sep) : n;
  }
  const n = withLuhnDigit((brand === 0 ? '4' : '5' + (1 + rng.int(5))) + rng.digits(brand === 0 ? 14 : 13));
  const sep = rng.pick(['', ' ', '-']); // plain and grouped forms, as people write them
  return sep ? (n.match(/.{4}/g) ?? []).join(sep) : n;
}

function lettersToDigits(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
}

function mod97(numeric: string): number {
  let r = 0;
  for (const ch of numeric) r = (r * 10 + (ch.charCodeAt(0) - 48)) % 97;
  return r;
}

/** Compact IBANs only: a grouped one would hide card-shaped digit runs and blur the manifest. */
function iban(rng: Rng): string {
  const country = rng.pick(['DE', 'GB', 'FR', 'NL']);
  const bban =
    country === 'DE'
      ? rng.digits(18)
      : country === 'GB'
        ? rng.chars(UPPER, 4) + rng.digits(14)
        : country === 'FR'
          ? rng.digits(23)
          : rng.chars(UPPER, 4) + rng.digits(10);
  const check = 98 - mod97(lettersToDigits(bban + country + '00'));
  return country + String(check).padStart(2, '0') + bban;
}

function ssn(rng: Rng): string {
  let area = 1 + rng.int(899); // SSA: never 000, 666 or 900-999
  if (area === 666) area = 665;
  const group = 1 + rng.int(99);
  const serial = 1 + rng.int(9999);
  return `${String(area).padStart(3, '0')}-${String(group).padStart(2, '0')}-${String(serial).padStart(4, '0')}`;
}

export const FIRST_NAMES =
  'james mary robert patricia john jennifer michael linda david elizabeth william barbara richard susan joseph jessica thomas sarah charles karen amara kenji lucia omar ingrid mateo priya yusuf'.split(
    ' ',
  );
export const LAST_NAMES =
  'smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez wilson anderson taylor thomas moore jackson martin lee okafor tanaka rossi novak larsen'.split(
    ' ',
  );

function email(rng: Rng): string {
  const domain = rng.pick(['example.com', 'mail.example.org', 'corp.example.co.uk', 'example.io']);
  return `${rng.pick(FIRST_NAMES)}.${rng.pick(LAST_NAMES)}${rng.int(100)}@${domain}`;
}

function base64url(s: string | Buffer): string {
  return Buffer.from(s).toString('base64url');
}

function jwt(rng: Rng): string {
  const header = base64url(JSON.stringify({ alg: rng.pick(['HS256', 'RS256', 'ES256']), typ: 'JWT' }));
  const payload = base64url(JSON.stringify({ sub: rng.digits(10), name: rng.pick(FIRST_NAMES), iat: 1700000000 + rng.int(1e7) }));
  const sig = base64url(Buffer.from(Array.from({ length: 32 }, () => rng.int(256))));
  return `${header}.${payload}.${sig}`;
}

/** Real GitHub tokens end in a base62 CRC32 of the first 30 characters; do the same. */
function githubToken(rng: Rng): string {
  const body = rng.chars(ALNUM, 30);
  let c = crc32(body);
  let tail = '';
  for (let i = 0; i < 6; i++) {
    tail = ALNUM[c % 62] + tail;
    c = Math.floor(c / 62);
  }
  return `${rng.pick(['ghp', 'ghp', 'gho', 'ghs'])}_${body}${tail}`;
}

/** 11- and 12-digit id groups: long enough to be realistic, too short to look like a card number. */
function slackToken(rng: Rng): string {
  return `xox${rng.pick(['b', 'p', 'a'])}-${rng.digits(11)}-${rng.digits(12)}-${rng.chars(ALNUM, 24)}`;
}

function privateKey(rng: Rng): string {
  const label = rng.pick(['RSA PRIVATE KEY', 'PRIVATE KEY', 'EC PRIVATE KEY', 'OPENSSH PRIVATE KEY']);
  const body = Array.from({ length: 3 }, () => rng.chars(BASE64, 64)).join('\n');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----`;
}

export function plantedValue(kind: PlantedKind, rng: Rng): string {
  switch (kind) {
    case 'credit_card':
      return card(rng);
    case 'iban':
      return iban(rng);
    case 'us_ssn':
      return ssn(rng);
    case 'email_address':
      return email(rng);
    case 'aws_access_key':
      return rng.pick(['AKIA', 'AKIA', 'ASIA']) + rng.chars(UPPER + '234567', 16);
    case 'private_key':
      return privateKey(rng);
    case 'jwt':
      return jwt(rng);
    case 'github_token':
      return githubToken(rng);
    case 'slack_token':
      return slackToken(rng);
    case 'marking':
      return 'CONFIDENTIAL';
  }
}

/** Epoch milliseconds (13 digits, card-shaped), nudged until they fail Luhn so Airlock must drop them. */
function epochMillis(rng: Rng): string {
  let ms = 1_600_000_000_000 + rng.int(200_000_000_000);
  while (luhnValid(String(ms))) ms++;
  return String(ms);
}

export function nearMissValue(kind: NearMissKind, rng: Rng): string {
  switch (kind) {
    case 'card_luhn_invalid': {
      const valid = withLuhnDigit('4' + rng.digits(14));
      const wrong = (Number(valid.slice(-1)) + 1 + rng.int(9)) % 10;
      return valid.slice(0, -1) + wrong;
    }
    case 'epoch_millis':
      return epochMillis(rng);
    case 'git_sha':
      return rng.chars(HEX, 40);
  }
}

/** A v4 UUID, re-drawn when some of its groups join into a card-shaped digit run (e.g. 8-4-4 all
 *  digits): ripgrep would count that and the manifest would not, and the manifest must stay exact. */
const CARD_SHAPE = /\b(?:[0-9][ -]?){12,18}[0-9]\b/;
export function uuid(rng: Rng): string {
  for (;;) {
    const g4 = rng.pick(['8', '9', 'a', 'b']) + rng.chars(HEX, 3);
    const u = `${rng.chars(HEX, 8)}-${rng.chars(HEX, 4)}-4${rng.chars(HEX, 3)}-${g4}-${rng.chars(HEX, 12)}`;
    if (!CARD_SHAPE.test(u)) return u;
  }
}
