import { expect } from 'vitest';
import type { Finding, StreamInfo } from '../check.js';
import { scanSample } from '../check.case.test.js';
import { PatternsCheck } from './patterns-check.js';

/**
 * Shared by the patterns check's tests: a scan helper, builders for valid test values, and the table of
 * positive samples that the masking test runs over as a whole (every detector, every format).
 */

export const defaultCheck = new PatternsCheck();

export interface ScanOptions {
  check?: PatternsCheck;
  chunkSize?: number;
  info?: Partial<StreamInfo>;
}

/** Scans `text` as one stream (in `chunkSize` chunks when given). */
export function scan(text: string | Buffer, options: ScanOptions = {}): Finding[] {
  const check = options.check ?? defaultCheck;
  return scanSample(check.createScanner.bind(check), { path: 'sample.txt', content: text }, options.chunkSize, options.info);
}

/** The findings of one detector. */
export function scanFor(detector: string, text: string | Buffer, options: ScanOptions = {}): Finding[] {
  return scan(text, options).filter((finding) => finding.detector === detector);
}

/** Appends the Luhn check digit to `body`, making a valid card-like number. */
export function withLuhn(body: string): string {
  for (let check = 0; check <= 9; check++) {
    const digits = `${body}${check}`;
    let sum = 0;
    for (let i = 0; i < digits.length; i++) {
      let digit = Number(digits[digits.length - 1 - i]);
      if (i % 2 === 1) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
      sum += digit;
    }
    if (sum % 10 === 0) return digits;
  }
  throw new Error('unreachable');
}

/** Replaces the check digit of a valid number by a wrong one. */
export function breakLuhn(valid: string): string {
  const last = Number(valid.at(-1));
  return `${valid.slice(0, -1)}${(last + 1) % 10}`;
}

/** Asserts that nothing the finding carries repeats `value`, as written or reduced to its letters and digits. */
export function expectMasked(finding: Finding, value: string): void {
  const compact = value.replace(/[^A-Za-z0-9]/g, '');
  const carried = `${finding.excerpt ?? ''}\n${JSON.stringify(finding.trace ?? {})}\n${finding.valueKey ?? ''}`;
  expect(carried).not.toContain(value);
  expect(carried.replace(/[^A-Za-z0-9*]/g, '')).not.toContain(compact);
}

/** A positive sample: `text` holds `value`, which `detector` must report once. */
export interface PositiveSample {
  name: string;
  detector: string;
  value: string;
  text: string;
}

const visa = '4111111111111111';
const amex = '378282246310005';
const jwt =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const github = `ghp_${'Zx9'.repeat(12)}`;
const githubPat = `github_pat_11ABCDEFG0${'aB3_'.repeat(17)}1234`;
const visa19 = withLuhn('400000000000000000');
const visa19Grouped = visa19.replace(/(\d{4})(\d{4})(\d{4})(\d{4})(\d{3})/, '$1 $2 $3 $4 $5');
const slack = 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
const pemBody =
  'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmw';

/** Every detector in several formats; each text holds exactly one value. */
export const POSITIVE_SAMPLES: readonly PositiveSample[] = [
  { name: 'Visa, plain text', detector: 'credit_card', value: visa, text: `Please charge card ${visa} today.` },
  { name: 'Visa, grouped by spaces', detector: 'credit_card', value: '4111 1111 1111 1111', text: 'card: 4111 1111 1111 1111\n' },
  { name: 'Visa, grouped by dashes', detector: 'credit_card', value: '4111-1111-1111-1111', text: 'cc=4111-1111-1111-1111;' },
  { name: 'Visa in a JSON value', detector: 'credit_card', value: visa, text: `{"card":"${visa}","exp":"12/27"}` },
  { name: 'Visa in a CSV cell', detector: 'credit_card', value: visa, text: `id,name,pan\n7,Jane,${visa}\n` },
  { name: 'Visa in XML text', detector: 'credit_card', value: visa, text: `<payment><pan>${visa}</pan></payment>` },
  { name: 'Visa after a JSON newline escape', detector: 'credit_card', value: visa, text: `{"note":"card:\\n${visa}"}` },
  { name: 'Amex, 4-6-5', detector: 'credit_card', value: '3782 822463 10005', text: 'amex 3782 822463 10005 exp 09/29' },
  { name: 'Amex, plain', detector: 'credit_card', value: amex, text: `amex=${amex}` },
  { name: 'Mastercard 2-series', detector: 'credit_card', value: '2223003122003222', text: 'mc 2223003122003222.' },
  { name: 'Visa 19 digits, 4-4-4-4-3', detector: 'credit_card', value: visa19Grouped, text: `pan ${visa19Grouped}` },
  { name: 'SSN with dashes', detector: 'us_ssn', value: '536-22-8761', text: 'SSN: 536-22-8761\n' },
  { name: 'SSN with spaces', detector: 'us_ssn', value: '536 22 8761', text: 'social security number 536 22 8761' },
  { name: 'SSN in a CSV cell', detector: 'us_ssn', value: '536-22-8761', text: 'name,ssn\nJane,536-22-8761\n' },
  { name: 'SSN in a JSON value', detector: 'us_ssn', value: '536-22-8761', text: '{"ssn":"536-22-8761"}' },
  { name: 'IBAN, electronic form', detector: 'iban', value: 'DE89370400440532013000', text: 'IBAN DE89370400440532013000 (Commerzbank)' },
  { name: 'IBAN, grouped', detector: 'iban', value: 'GB29 NWBK 6016 1331 9268 19', text: 'Pay to GB29 NWBK 6016 1331 9268 19, ref 7.' },
  { name: 'IBAN in a JSON value', detector: 'iban', value: 'FR1420041010050500013M02606', text: '{"iban":"FR1420041010050500013M02606"}' },
  { name: 'IBAN in a CSV cell', detector: 'iban', value: 'NL91ABNA0417164300', text: 'payee,iban\nACME,NL91ABNA0417164300\n' },
  {
    name: 'IBAN, Malta (31, letters at the end)',
    detector: 'iban',
    value: 'MT84 MALT 0110 0001 2345 MTLC AST0 01S',
    text: 'account MT84 MALT 0110 0001 2345 MTLC AST0 01S',
  },
  {
    name: 'e-mail in prose',
    detector: 'email_address',
    value: 'jane.doe@acme-corp.io',
    text: 'Write to jane.doe@acme-corp.io for access.',
  },
  {
    name: 'e-mail in a JSON value',
    detector: 'email_address',
    value: 'j.smith+tag@mail.example.co.uk',
    text: '{"email":"j.smith+tag@mail.example.co.uk"}',
  },
  { name: 'e-mail in XML', detector: 'email_address', value: 'ops@corp.internal.net', text: '<contact>ops@corp.internal.net</contact>' },
  {
    name: 'AWS key id in an env file',
    detector: 'aws_access_key',
    value: 'AKIAQWERTYUIOP234567',
    text: 'AWS_ACCESS_KEY_ID=AKIAQWERTYUIOP234567\n',
  },
  {
    name: 'AWS temporary key id in JSON',
    detector: 'aws_access_key',
    value: 'ASIAZXCVBNMASDFGHJKL',
    text: '{"AccessKeyId":"ASIAZXCVBNMASDFGHJKL"}',
  },
  {
    name: 'RSA private key',
    detector: 'private_key',
    value: pemBody.slice(0, 64),
    text: `-----BEGIN RSA PRIVATE KEY-----\n${pemBody}\n-----END RSA PRIVATE KEY-----\n`,
  },
  {
    name: 'OpenSSH private key',
    detector: 'private_key',
    value: pemBody.slice(0, 64),
    text: `key: |\n  -----BEGIN OPENSSH PRIVATE KEY-----\n  ${pemBody}\n  -----END OPENSSH PRIVATE KEY-----\n`,
  },
  {
    name: 'PKCS#8 private key',
    detector: 'private_key',
    value: pemBody.slice(0, 64),
    text: `-----BEGIN PRIVATE KEY-----\r\n${pemBody}\r\n-----END PRIVATE KEY-----`,
  },
  { name: 'JWT in a header', detector: 'jwt', value: jwt, text: `Authorization: Bearer ${jwt}\n` },
  { name: 'JWT in a JSON value', detector: 'jwt', value: jwt, text: `{"token":"${jwt}"}` },
  { name: 'GitHub classic token', detector: 'github_token', value: github, text: `GITHUB_TOKEN=${github}` },
  { name: 'GitHub fine-grained token', detector: 'github_token', value: githubPat, text: `"token": "${githubPat}"` },
  { name: 'Slack bot token', detector: 'slack_token', value: slack, text: `SLACK_BOT_TOKEN=${slack}\n` },
];
