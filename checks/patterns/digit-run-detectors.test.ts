import { describe, expect, it } from 'vitest';
import { breakLuhn, expectMasked, scanFor, withLuhn } from './patterns.case.test.js';

const group = (digits: string, sizes: number[], separator: string): string => {
  const groups: string[] = [];
  let at = 0;
  for (const size of sizes) {
    groups.push(digits.slice(at, at + size));
    at += size;
  }
  return groups.join(separator);
};

describe('credit_card', () => {
  it.each([
    ['visa', withLuhn('411111111111111')],
    ['visa', withLuhn('422222222222')],
    ['visa', withLuhn('453201511283036123')],
    ['mastercard', withLuhn('510510510510510')],
    ['mastercard', withLuhn('555555555555444')],
    ['mastercard', withLuhn('222300312200322')],
    ['mastercard', withLuhn('272099999999999')],
    ['amex', withLuhn('37828224631000')],
    ['amex', withLuhn('34343434343434')],
    ['discover', withLuhn('601111111111111')],
    ['discover', withLuhn('644564456445644')],
    ['discover', withLuhn('650000000000000')],
    ['jcb', withLuhn('353011133330000')],
    ['jcb', withLuhn('358900000000000')],
    ['diners', withLuhn('3056930902590')],
    ['diners', withLuhn('3852000002323')],
    ['unionpay', withLuhn('620000000000000')],
    ['maestro', withLuhn('501800000000000')],
    ['maestro', withLuhn('676770000000000')],
    ['mir', withLuhn('220000000000000')],
  ])('recognises a %s number (%s), Luhn-valid, with its brand in the trace', (brand, pan) => {
    const [finding, ...rest] = scanFor('credit_card', `pan: ${pan}\n`);
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ severity: 'high', location: { line: 1, offset: 5 }, trace: { pattern: brand, validator: 'luhn' } });
    expectMasked(finding!, pan);
  });

  it.each([
    ['4-4-4-4 with spaces', [4, 4, 4, 4], ' ', withLuhn('411111111111111')],
    ['4-4-4-4 with dashes', [4, 4, 4, 4], '-', withLuhn('555555555555444')],
    ['4-6-5 (Amex)', [4, 6, 5], ' ', withLuhn('37828224631000')],
    ['4-6-4 (Diners)', [4, 6, 4], ' ', withLuhn('3056930902590')],
    ['4-4-4-4-3 (19 digits)', [4, 4, 4, 4, 3], ' ', withLuhn('453201511283036123')],
    ['4-4-4-1 (13-digit Visa)', [4, 4, 4, 1], '-', withLuhn('422222222222')],
  ])('recognises a number grouped %s, keeping the grouping in the excerpt', (_shape, sizes, separator, pan) => {
    const written = group(pan, sizes, separator);
    const findings = scanFor('credit_card', `Card number ${written}.`);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.trace!.pattern).toMatch(/-grouped$/);
    const shape = written.replace(/[0-9]/g, '#');
    expect(findings[0]!.excerpt!.replace(/[0-9*]/g, '#')).toBe(shape);
    expect(findings[0]!.excerpt!.slice(0, 4)).toBe(pan.slice(0, 4));
    expect(findings[0]!.excerpt!.slice(-4)).toBe(written.slice(-4));
    expectMasked(findings[0]!, written);
  });

  it('shows at most the first and last four digits: 4111 **** **** 1111, 4111********1111', () => {
    expect(scanFor('credit_card', 'x 4111 1111 1111 1111 x')[0]!.excerpt).toBe('4111 **** **** 1111');
    expect(scanFor('credit_card', 'x 4111111111111111 x')[0]!.excerpt).toBe('4111********1111');
    expect(scanFor('credit_card', 'x 3782-822463-10005 x')[0]!.excerpt).toBe('3782-******-*0005');
  });

  it('finds cards in CSV cells, JSON values, XML text, quoted strings and after a JSON escape', () => {
    const pan = withLuhn('401288888888188');
    const text = [
      `1,${pan},2027-01`,
      `{"pan":"${pan}"}`,
      `<card number="x">${pan}</card>`,
      `'${pan}'`,
      `{"note":"line one\\n${pan}\\tend"}`,
      `(${pan})`,
    ].join('\n');
    expect(scanFor('credit_card', text).map((finding) => finding.location.line)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('raises the confidence for card words before the number and lowers it for test words', () => {
    const pan = withLuhn('411111111111111');
    const plain = scanFor('credit_card', `value ${pan}`)[0]!;
    const card = scanFor('credit_card', `credit card: ${pan}`)[0]!;
    const test = scanFor('credit_card', `test data ${pan}`)[0]!;
    expect(card.confidence).toBeGreaterThan(plain.confidence);
    expect(test.confidence).toBeLessThan(plain.confidence);
    expect(card.trace!.context).toEqual(['+card', '+credit']);
    expect(test.trace!.context).toEqual(['-test']);
    expect(plain.trace!.context).toBeUndefined();
    expect(scanFor('credit_card', `company ${pan}`)[0]!.trace!.context).toBeUndefined();
  });

  it('reads numbers joined by single spaces as one longer run, as the contract says, so such a list is not reported', () => {
    const pan = withLuhn('411111111111111');
    expect(scanFor('credit_card', `${pan} ${pan}`)).toEqual([]);
    expect(scanFor('credit_card', `${pan}, ${pan}\n${pan}`)).toHaveLength(3);
  });

  it.each([
    ['a Luhn-invalid 16-digit number', breakLuhn(withLuhn('411111111111111'))],
    ['a Luhn-valid number with no issuer prefix', withLuhn('911111111111111')],
    ['a Luhn-valid 12-digit number', withLuhn('41111111111')],
    ['a Luhn-valid Visa prefix at a length Visa does not issue (17)', withLuhn('4111111111111111')],
    ['16 valid digits inside a 20-digit run', `1234${withLuhn('411111111111111')}`],
    ['16 valid digits followed by more digits', `${withLuhn('411111111111111')}0000`],
    ['a valid card as the first 4 groups of 5', `${group(withLuhn('411111111111111'), [4, 4, 4, 4], ' ')} 1234`],
    ['a valid card after another group', `1234 ${group(withLuhn('411111111111111'), [4, 4, 4, 4], ' ')}`],
    ['a valid card after a number and a dash', `12-${withLuhn('411111111111111')}`],
    ['mixed separators', '4111 1111-1111 1111'],
    ['double spaces', '4111  1111  1111  1111'],
    ['groups of five', '41111 11111 111111'],
    ['a number glued to letters (hex, identifiers)', `INV${withLuhn('411111111111111')}`],
    ['a number followed by letters', `${withLuhn('411111111111111')}abc`],
    ['the fraction of a decimal (a JSON double)', `{"score":0.${withLuhn('453201511283036')}}`],
    ['the integer part of a decimal', `${withLuhn('411111111111111')}.25`],
    ['an order id', 'Order ORD-2024-0001234567 shipped; order #100234, ref 20240506-000123'],
    ['timestamps', '2024-05-06 12:34:56, 2024-05-06T12:34:56.789Z, 20240506123456789'],
    ['epoch milliseconds and microseconds', '1714998896123 1714998896123456'],
    ['UUIDs, including an all-digit one', '3f2a9c1e-8b7d-4e5f-9a0b-1c2d3e4f5a6b 12345678-1234-1234-1234-123456789012'],
    ['a git SHA', 'commit 4111111111111111a94a8fe5ccb19ba61c4c0873d391e987982fbbd3 4532015112830366f00'],
    ['phone numbers', 'call +1 415-555-0132, (415) 555-0132, +44 20 7946 0958 or 0049 30 12345678'],
    ['IPv4 addresses and versions', '10.0.12.34 192.168.100.200 v4.111.111.111'],
  ])('does not report %s', (_case, text) => {
    expect(scanFor('credit_card', `x ${text} x`)).toEqual([]);
  });
});

describe('us_ssn', () => {
  it.each([
    ['dashes', '536-22-8761', 'ssn-dashed', '***-**-8761'],
    ['spaces', '536 22 8761', 'ssn-spaced', '*** ** 8761'],
  ])('recognises AAA-GG-SSSS with %s and shows only the serial', (_separator, ssn, pattern, excerpt) => {
    const [finding, ...rest] = scanFor('us_ssn', `employee ${ssn};`);
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ severity: 'high', excerpt, trace: { pattern, validator: 'ssa-rules' } });
    expectMasked(finding!, ssn);
  });

  it('is more confident with "SSN" or "social security" before it, and dashes over spaces', () => {
    const bare = scanFor('us_ssn', 'id 536-22-8761')[0]!;
    const spaced = scanFor('us_ssn', 'id 536 22 8761')[0]!;
    const named = scanFor('us_ssn', 'SSN: 536-22-8761')[0]!;
    const long = scanFor('us_ssn', 'Social Security number 536 22 8761')[0]!;
    expect(named.confidence).toBeGreaterThan(bare.confidence);
    expect(bare.confidence).toBeGreaterThan(spaced.confidence);
    expect(long.confidence).toBeGreaterThan(spaced.confidence);
    expect(named.trace!.context).toEqual(['+ssn']);
    expect(long.trace!.context).toEqual(['+social security']);
  });

  it('reports a published example number with a low confidence', () => {
    const finding = scanFor('us_ssn', 'SSN 078-05-1120')[0]!;
    expect(finding.confidence).toBeLessThan(0.3);
    expect(finding.trace!.context).toContain('-published');
  });

  it.each([
    ['area 000', '000-12-3456'],
    ['area 666', '666-12-3456'],
    ['area 900-999', '900-12-3456 987-65-4321 999-99-9999'],
    ['group 00', '536-00-8761'],
    ['serial 0000', '536-22-0000'],
    ['nine plain digits', '536228761'],
    ['mixed separators', '536-22 8761'],
    ['a longer run', '1-536-22-8761 536-22-87611 536-22-8761-1 536-22-8761 2'],
    ['a phone number', '415-555-0132'],
    ['a date', '2024-05-06'],
    ['digits glued to letters', 'A536-22-8761 536-22-8761B'],
  ])('does not report %s', (_case, text) => {
    expect(scanFor('us_ssn', `x ${text} x`)).toEqual([]);
  });
});
