import { describe, expect, it } from 'vitest';
import { DistinctValues, type Finding } from '../check.js';
import type { Candidate } from './candidate.js';
import { PatternsScanner } from './patterns-scanner.js';
import { MAX_FINDINGS_PER_DETECTOR } from './index.js';
import { defaultCheck, POSITIVE_SAMPLES, scan, withLuhn } from './patterns.case.test.js';
import { scanRegion, scanWindow } from './scan-window.js';

const key = (finding: Finding): string =>
  `${finding.detector}@${finding.location.line}:${finding.location.offset}:${finding.valueKey}:${finding.excerpt}`;

function scanChunks(chunks: readonly Buffer[]): Finding[] {
  const scanner = defaultCheck.createScanner({ path: 'x.txt', kind: 'raw', values: new DistinctValues() });
  for (const chunk of chunks) scanner.write(chunk);
  return scanner.end();
}

/** A small seeded generator, so failures reproduce. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('PatternsScanner streaming', () => {
  const document = Buffer.from(POSITIVE_SAMPLES.map((sample) => sample.text).join('\n'));
  const whole = scan(document).map(key);

  it('finds each value once when the stream is split in two at every possible position', () => {
    expect(whole).toHaveLength(POSITIVE_SAMPLES.length);
    for (let at = 0; at <= document.length; at++) {
      const found = scanChunks([document.subarray(0, at), document.subarray(at)]).map(key);
      if (found.join('\n') !== whole.join('\n')) expect(found, `split at byte ${at}`).toEqual(whole);
    }
  });

  it('finds the same values for random chunkings, from one byte to whole', () => {
    const random = prng(7);
    for (let round = 0; round < 40; round++) {
      const chunks: Buffer[] = [];
      const largest = [1, 3, 17, 300, 5000, 70_000][round % 6]!;
      for (let at = 0; at < document.length;) {
        const size = 1 + Math.floor(random() * largest);
        chunks.push(document.subarray(at, at + size));
        at += size;
      }
      expect(scanChunks(chunks).map(key), `round ${round}`).toEqual(whole);
    }
  });

  it('reports 1-based lines and 0-based byte offsets, counting multi-byte characters as their bytes, and the entry', () => {
    const text = 'première ligne\r\n€ deux: 536-22-8761\n\nquatre jane@acme.io';
    const findings = scan(text, { info: { entry: 'a.zip!/b.txt' } });
    expect(findings.map((finding) => [finding.detector, finding.location])).toEqual([
      ['us_ssn', { entry: 'a.zip!/b.txt', line: 2, offset: Buffer.from(text).indexOf('536') }],
      ['email_address', { entry: 'a.zip!/b.txt', line: 4, offset: Buffer.from(text).indexOf('jane') }],
    ]);
    expect(scan(text)[0]!.location).not.toHaveProperty('entry');
  });

  it('keeps counting lines across chunks and passes', () => {
    const text = `${'line\n'.repeat(100_000)}ssn 536-22-8761\n`;
    for (const chunkSize of [undefined, 1000, 65_536]) {
      expect(scan(text, { chunkSize })[0]!.location).toEqual({ line: 100_001, offset: 500_004 });
    }
  });

  it('numbers distinct values per item: the same value keeps its key across streams sharing DistinctValues', () => {
    const values = new DistinctValues();
    const pan = withLuhn('411111111111111');
    const other = withLuhn('555555555555444');
    const first = scan(`${pan}, ${other}, ${pan}`, { info: { values } });
    const second = scan(`again ${other}`, { info: { values, entry: 'b.txt' } });
    expect(first.map((finding) => finding.valueKey)).toEqual(['credit_card#1', 'credit_card#2', 'credit_card#1']);
    expect(second.map((finding) => finding.valueKey)).toEqual(['credit_card#2']);
  });

  it(`caps findings at ${MAX_FINDINGS_PER_DETECTOR} per detector and stream, still reporting other detectors`, () => {
    const text = `${Array.from({ length: 1500 }, (_, i) => `user${i}@acme.io`).join('\n')}\nSSN 536-22-8761\n`;
    const findings = scan(text, { chunkSize: 4096 });
    expect(findings.filter((finding) => finding.detector === 'email_address')).toHaveLength(MAX_FINDINGS_PER_DETECTOR);
    expect(findings.filter((finding) => finding.detector === 'us_ssn')).toHaveLength(1);
  });

  it('holds a bounded tail between writes, however long the stream and whatever the chunk size', () => {
    for (const chunkSize of [1, 100, 8192, 65_536, 1_000_000]) {
      const scanner = new PatternsScanner(
        { path: 'x', kind: 'raw', values: new DistinctValues() },
        { custom: [], allow: { isAllowed: () => false } },
      );
      const chunk = Buffer.alloc(chunkSize, 'All work and no play 2024-05-06 12:34:56 makes Jack a dull boy.\n');
      let held = 0;
      const total = chunkSize === 1 ? 200_000 : 20_000_000;
      for (let written = 0; written < total; written += chunkSize) {
        scanner.write(chunk);
        held = Math.max(held, scanner.heldBytes);
      }
      expect(scanner.end()).toEqual([]);
      expect(held, `chunks of ${chunkSize}`).toBeLessThanOrEqual(Math.max(chunkSize, 16 * 1024) + 5 * 1024);
    }
  });

  it('accepts binary content and long runs of digits without finding anything or slowing down', () => {
    const random = prng(3);
    const binary = Buffer.from(Array.from({ length: 1 << 20 }, () => Math.floor(random() * 256)));
    const digits = Buffer.alloc(2 << 20, '0123456789');
    const started = performance.now();
    expect(scan(Buffer.concat([binary, digits]), { chunkSize: 65_536 }).filter((finding) => finding.detector !== 'email_address')).toEqual(
      [],
    );
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('finds cards, SSNs, IBANs, AWS keys and key headers by probing exactly what a byte-by-byte pass finds', () => {
    const random = prng(11);
    const pieces = [' ', '-', '  ', '\n', 'x', 'DE', 'GB', 'AKIA', '-----BEGIN RSA PRIVATE KEY-----', '.', ',', 'A', 'Z', 'ssn', 'card'];
    const values = [
      withLuhn('411111111111111'),
      '4111 1111 1111 1111',
      '536-22-8761',
      'DE89370400440532013000',
      'DE89 3704 0044 0532 0130 00',
      'AKIAQWERTYUIOP234567',
    ];
    for (let round = 0; round < 200; round++) {
      let text = '';
      while (text.length < 2000) {
        const roll = random();
        if (roll < 0.45) text += String(Math.floor(random() * 10 ** (1 + Math.floor(random() * 8))));
        else if (roll < 0.9) text += pieces[Math.floor(random() * pieces.length)];
        else text += values[Math.floor(random() * values.length)];
      }
      const bytes = Buffer.from(text);
      const probed: Candidate[] = [];
      scanWindow(bytes, 0, bytes.length, probed);
      const exhaustive: Candidate[] = [];
      scanRegion(bytes, 0, bytes.length, bytes.length, exhaustive);
      const numberish = (list: Candidate[]): string[] =>
        list
          .filter((candidate) => ['credit_card', 'us_ssn', 'iban', 'aws_access_key', 'private_key'].includes(candidate.detector))
          .map((candidate) => `${candidate.detector}@${candidate.start}`)
          .sort();
      expect(numberish(probed), `round ${round}`).toEqual(numberish(exhaustive));
    }
  });
});
