import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AirlockError } from '../../src/errors.js';
import { DistinctValues } from '../check.js';
import { compileCustomDetectors, PatternsCheck, type CustomDetectorSpec } from './index.js';
import { expectMasked, scan, withLuhn } from './patterns.case.test.js';

const employeeId: CustomDetectorSpec = { id: 'employee_id', pattern: 'EMP-[0-9]{6}', severity: 'medium' };

function compileError(spec: Partial<CustomDetectorSpec>): AirlockError {
  try {
    compileCustomDetectors([{ ...employeeId, ...spec } as CustomDetectorSpec]);
  } catch (error) {
    expect(error).toBeInstanceOf(AirlockError);
    expect(error).toMatchObject({ code: 'policy_invalid', status: 400 });
    return error as AirlockError;
  }
  throw new Error('expected compileCustomDetectors to throw');
}

describe('custom detectors', () => {
  it('reports matches under the detector id and severity, masked and traced to the detector', () => {
    const check = new PatternsCheck({ custom: [employeeId] });
    const findings = scan('owner: EMP-004211\nbackup: EMP-004212, again EMP-004211', { check });
    expect(findings.map((finding) => [finding.detector, finding.severity, finding.location, finding.valueKey])).toEqual([
      ['employee_id', 'medium', { line: 1, offset: 7 }, 'employee_id#1'],
      ['employee_id', 'medium', { line: 2, offset: 26 }, 'employee_id#2'],
      ['employee_id', 'medium', { line: 2, offset: 44 }, 'employee_id#1'],
    ]);
    expect(findings[0]).toMatchObject({ check: 'patterns', confidence: 0.7, excerpt: 'E********1', trace: { pattern: 'employee_id' } });
    for (const finding of findings) expectMasked(finding, 'EMP-004211');
  });

  it('shows at most two characters at each end, and never more than a third of the value', () => {
    const excerpts = (pattern: string, text: string): string[] =>
      scan(text, { check: new PatternsCheck({ custom: [{ id: 'code', pattern, severity: 'low' }] }) }).map((finding) => finding.excerpt!);
    expect(excerpts('K[0-9]{2}', 'K12')).toEqual(['***']);
    expect(excerpts('K[0-9]{5}', 'K12345')).toEqual(['K****5']);
    expect(excerpts('K[0-9]{11}', 'K12345678901')).toEqual(['K1********01']);
  });

  it('matches letters regardless of case when caseInsensitive, and normalizes the value to lower case', () => {
    const check = new PatternsCheck({
      custom: [{ id: 'project', pattern: 'project-(falcon|osprey)', caseInsensitive: true, severity: 'high' }],
    });
    const findings = scan('PROJECT-FALCON and project-falcon and Project-Osprey', { check });
    expect(findings.map((finding) => finding.valueKey)).toEqual(['project#1', 'project#1', 'project#2']);
  });

  it('requires context words when told to, raises the confidence when they are there, and names them in the trace', () => {
    const spec: CustomDetectorSpec = {
      ...employeeId,
      confidence: 0.5,
      context: { words: ['Badge', 'employee'], window: 20, required: true },
    };
    const check = new PatternsCheck({ custom: [spec] });
    expect(scan('ticket EMP-004211', { check })).toEqual([]);
    expect(scan(`badge ${'x'.repeat(30)} EMP-004211`, { check })).toEqual([]);
    const [before] = scan('Employee badge: EMP-004211', { check });
    expect(before).toMatchObject({ confidence: 0.65, trace: { context: ['+badge', '+employee'] } });
    expect(scan('EMP-004211 (employee)', { check })).toHaveLength(1);
    const optional = new PatternsCheck({ custom: [{ ...spec, context: { words: ['badge'] } }] });
    expect(scan('ticket EMP-004211', { check: optional })[0]!.confidence).toBe(0.5);
  });

  it('applies the luhn and iban validators to matches', () => {
    const check = new PatternsCheck({
      custom: [
        { id: 'loyalty_card', pattern: '\\bLC[0-9]{12}\\b', validator: 'luhn', severity: 'medium' },
        { id: 'payout_account', pattern: 'DE[0-9]{2}(?: ?[0-9]{4}){4} ?[0-9]{2}', validator: 'iban', severity: 'high' },
      ],
    });
    const valid = withLuhn('12345678901');
    const invalid = `${valid.slice(0, -1)}${(Number(valid.at(-1)) + 1) % 10}`;
    const text = `LC${valid} LC${invalid}\nacct:DE89 3704 0044 0532 0130 00\nacct:DE88370400440532013000`;
    const findings = scan(text, { check }).filter((finding) => finding.detector !== 'iban');
    expect(findings.map((finding) => [finding.detector, finding.trace!.validator])).toEqual([
      ['loyalty_card', 'luhn'],
      ['payout_account', 'iban-mod97'],
    ]);
  });

  it('drops matches longer than maxLength', () => {
    const check = new PatternsCheck({ custom: [{ id: 'ticket', pattern: 'T-[0-9]+', maxLength: 8, severity: 'low' }] });
    expect(scan('T-123456 T-1234567', { check }).map((finding) => finding.location.offset)).toEqual([0]);
  });

  it('finds each match once wherever the stream is split, and drops a too-long match split across chunks', () => {
    const check = new PatternsCheck({
      custom: [{ ...employeeId, pattern: 'EMP-[0-9]{6}|LONG-[a-z]+', maxLength: 40, context: { words: ['owner'] } }],
    });
    const text = Buffer.from(`owner EMP-004211;EMP-004212 EMP-00421 LONG-${'a'.repeat(60)} LONG-abc\n`);
    const whole = scan(text, { check }).map((finding) => `${finding.location.offset}:${finding.confidence}`);
    expect(whole).toHaveLength(3);
    for (let at = 0; at <= text.length; at++) {
      const scanner = check.createScanner({ path: 'x', kind: 'raw', values: new DistinctValues() });
      scanner.write(text.subarray(0, at));
      scanner.write(text.subarray(at));
      expect(
        scanner.end().map((finding) => `${finding.location.offset}:${finding.confidence}`),
        `split at ${at}`,
      ).toEqual(whole);
    }
  });

  it('matches in linear time: (a+)+$ over 100 KB finishes well under a second', () => {
    const check = new PatternsCheck({ custom: [{ id: 'redos', pattern: '(a+)+$', maxLength: 4096, severity: 'low' }] });
    const text = `${'a'.repeat(100_000)}!`;
    const started = performance.now();
    expect(scan(text, { check, chunkSize: 65_536 })).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it.each([
    ['invalid syntax', { pattern: 'EMP-[0-9' }, /"employee_id".*RE2 cannot compile \(missing \]/],
    ['a back-reference', { pattern: '(EMP)-\\1' }, /"employee_id".*RE2 cannot compile.*back-references/],
    ['look-ahead', { pattern: 'EMP(?=-)' }, /"employee_id".*RE2 cannot compile/],
    ['look-behind', { pattern: '(?<=x)EMP' }, /"employee_id".*RE2 cannot compile/],
    ['a pattern matching the empty string', { pattern: '[0-9]*' }, /"employee_id".*empty string/],
    ['an anchor alone', { pattern: '^' }, /"employee_id".*empty string/],
    ['an empty pattern', { pattern: '' }, /"employee_id" has no pattern/],
    ['a built-in id', { id: 'credit_card' }, /"credit_card" uses the id of a built-in detector/],
    ['a malformed id', { id: 'Employee-ID' }, /"Employee-ID" needs an id of lower-case letters/],
    ['an unknown severity', { severity: 'severe' as never }, /"employee_id" has severity "severe"/],
    ['an unknown validator', { validator: 'crc' as never }, /"employee_id" has validator "crc"/],
    ['a confidence above 1', { confidence: 1.5 }, /"employee_id" has a confidence outside 0\.\.1/],
    ['a maxLength above 4096', { maxLength: 5000 }, /"employee_id" has a maxLength outside 1\.\.4096/],
    ['empty context words', { context: { words: [] } }, /"employee_id" has context words/],
  ])('refuses %s at load with policy_invalid, naming the detector', (_case, spec, message) => {
    expect(compileError(spec).message).toMatch(message);
  });

  it('refuses two detectors with the same id', () => {
    expect(() => compileCustomDetectors([employeeId, employeeId])).toThrow(/"employee_id" is declared twice/);
  });

  it('fails when the check is built, so a policy with a bad detector does not load', () => {
    expect(() => new PatternsCheck({ custom: [{ ...employeeId, pattern: '(' }] })).toThrow(AirlockError);
  });
});

describe('allow-list', () => {
  const pan = withLuhn('411111111111111');
  const other = withLuhn('555555555555444');

  it('suppresses a listed value however it is written, and leaves others alone', () => {
    const check = new PatternsCheck({
      allow: { values: [pan.replace(/(\d{4})(?=\d)/g, '$1 '), 'Jane@Acme.io', 'de89 3704 0044 0532 0130 00'] },
    });
    const text = `${pan}\n${pan.replace(/(\d{4})(?=\d)/g, '$1-')}\n${other}\njane@acme.io\nDE89370400440532013000\nbob@acme.io`;
    expect(scan(text, { check }).map((finding) => [finding.detector, finding.valueKey])).toEqual([
      ['credit_card', 'credit_card#1'],
      ['email_address', 'email_address#1'],
    ]);
  });

  it('suppresses a value listed by the SHA-256 of its normalized form', () => {
    const digest = createHash('sha256').update(pan).digest('hex').toUpperCase();
    const check = new PatternsCheck({ allow: { sha256: [digest] } });
    expect(scan(`${pan}, ${other}`, { check }).map((finding) => finding.excerpt)).toEqual([
      `${other.slice(0, 4)}********${other.slice(-4)}`,
    ]);
  });

  it('applies to custom detectors too', () => {
    const check = new PatternsCheck({ custom: [employeeId], allow: { values: ['EMP-000001'] } });
    expect(scan('EMP-000001 EMP-000002', { check }).map((finding) => finding.location.offset)).toEqual([11]);
  });
});
