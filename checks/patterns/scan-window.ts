import type { Candidate } from './candidate.js';
import { DIGIT, UPPER } from './byte-classes.js';
import { scanDigitRun } from './digit-run-detectors.js';
import { detectEmail } from './email-detector.js';
import { detectIban } from './iban-detector.js';
import { detectJwt, detectPrivateKey } from './key-detectors.js';
import { scanRegions } from './region-probe.js';
import { detectAwsAccessKey, detectGithubToken, detectSlackToken } from './token-detectors.js';

/**
 * One pass of the built-in detectors over a window of bytes. Per-byte JavaScript is what costs, so the
 * pass avoids it. Values made of digits and uppercase letters (cards, SSNs, IBANs, AWS key ids, the
 * `BEGIN … PRIVATE KEY` header) lie in "regions" found by probing every 11th byte (region-probe.ts);
 * only regions long enough to hold one are read byte by byte. Lower-case prefixes are found with
 * `Buffer.indexOf` (native memchr speed) on a rare part of them: `@`, `_` (GitHub), the `J` of `eyJ`,
 * `xox`; newlines are counted the same way. Detectors read a bounded number of bytes around their
 * trigger; nothing is allocated or decoded unless a candidate passes.
 */

type Detect = (bytes: Uint8Array, trigger: number, end: number, out: Candidate[]) => void;

/** What `Buffer.indexOf` looks for, and the detector tried where it is found. */
const LITERAL_TRIGGERS: readonly (readonly [needle: Buffer | number, detect: Detect])[] = [
  [0x40, detectEmail],
  [0x4a, detectJwt],
  [Buffer.from('xox'), detectSlackToken],
];

/** Per-stream state of the pass: how GitHub tokens are being looked for (see `findGithubTokens`). */
export interface ScanState {
  /** Windows left that look for `gh` and `_pat_` rather than for `_`. */
  githubByPrefix: number;
}

export function createScanState(): ScanState {
  return { githubByPrefix: 0 };
}

/**
 * Runs every built-in detector on the triggers at `[from, to)` of `bytes`, pushing what they accept to
 * `out`, and returns the number of newlines in `[from, to)`. Detectors may read up to
 * `BUILTIN_LOOKBEHIND` bytes before a trigger and `BUILTIN_LOOKAHEAD` bytes after it, within `bytes`;
 * the caller makes sure those bytes are there, unless the stream itself begins or ends sooner.
 */
export function scanWindow(bytes: Buffer, from: number, to: number, out: Candidate[], state: ScanState = createScanState()): number {
  const end = bytes.length;
  scanRegions(bytes, from, to, (start, stop) => scanRegion(bytes, start, stop, end, out));
  for (const [needle, detect] of LITERAL_TRIGGERS) {
    for (let at = bytes.indexOf(needle, from); at !== -1 && at < to; at = bytes.indexOf(needle, at + 1)) detect(bytes, at, end, out);
  }
  findGithubTokens(bytes, from, to, out, state);
  let newlines = 0;
  for (let at = bytes.indexOf(0x0a, from); at !== -1 && at < to; at = bytes.indexOf(0x0a, at + 1)) newlines++;
  return newlines;
}

const GH = Buffer.from('gh');
const PAT = Buffer.from('_pat_');
/** Underscores per KiB past which a stream is searched by prefix instead, and for how many windows. */
const DENSE_UNDERSCORES_PER_KIB = 1;
const PREFIX_WINDOWS = 64;

/**
 * GitHub tokens starting in `[from, to)`. Every token has an underscore 3 (`ghp_`) or 6 (`github_pat_`)
 * bytes in. Underscores are rare in prose and CSV, so they are what is searched for; where they are
 * dense (snake_case logs, code), the next windows search for `gh` and `_pat_` instead, which costs more
 * on prose (`g` is a common letter) but less there. Tokens belong to the window their first byte is in,
 * so each is found once whichever way a window searches.
 */
function findGithubTokens(bytes: Buffer, from: number, to: number, out: Candidate[], state: ScanState): void {
  const end = bytes.length;
  if (state.githubByPrefix > 0) {
    state.githubByPrefix--;
    for (let at = bytes.indexOf(GH, from); at !== -1 && at < to; at = bytes.indexOf(GH, at + 1)) detectGithubToken(bytes, at, end, out);
    for (let at = bytes.indexOf(PAT, from + 6); at !== -1 && at < to + 6; at = bytes.indexOf(PAT, at + 1))
      detectGithubToken(bytes, at - 6, end, out);
    return;
  }
  let underscores = 0;
  for (let at = bytes.indexOf(0x5f, from + 3); at !== -1 && at < to + 6; at = bytes.indexOf(0x5f, at + 1)) {
    underscores++;
    if (at - 3 < to) detectGithubToken(bytes, at - 3, end, out);
    if (at - 6 >= from && bytes[at - 1] === 0x62) detectGithubToken(bytes, at - 6, end, out);
  }
  if (underscores * 1024 > (to - from) * DENSE_UNDERSCORES_PER_KIB) state.githubByPrefix = PREFIX_WINDOWS;
}

/**
 * The exact pass over one region. At each digit that starts a run (no digit, or digit and separator,
 * right before it) the run is read, classified and skipped, and two uppercase letters before it may make
 * it an IBAN's check digits; an `A` may start an AWS key id, a `B` the `BEGIN` of a private key header.
 */
export function scanRegion(bytes: Uint8Array, start: number, stop: number, end: number, out: Candidate[]): void {
  let i = start;
  while (i < stop) {
    const byte = bytes[i]!;
    if (DIGIT[byte] === 1) {
      const before = i > 0 ? bytes[i - 1]! : 0;
      if (DIGIT[before] === 1 || ((before === 0x20 || before === 0x2d) && i > 1 && DIGIT[bytes[i - 2]!] === 1)) {
        i++;
        continue;
      }
      if (UPPER[before] === 1 && i > 1 && UPPER[bytes[i - 2]!] === 1) detectIban(bytes, i - 2, end, out);
      i = scanDigitRun(bytes, i, end, out);
      continue;
    }
    if (byte === 0x41) detectAwsAccessKey(bytes, i, end, out);
    else if (byte === 0x42) detectPrivateKey(bytes, i, end, out);
    i++;
  }
}
