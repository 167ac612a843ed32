import { describe, expect, it } from 'vitest';
import { expectMasked, scanFor } from './patterns.case.test.js';

const body = Array.from({ length: 5 }, (_, line) =>
  Array.from({ length: 64 }, (_, i) => 'ABCxyz0123+/'[(i * 7 + line) % 12]).join(''),
).join('\n');
const pem = (label: string): string => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (header: unknown, signature = 'c2lnbmF0dXJlLWJ5dGVz'): string =>
  `${b64url(header)}.${b64url({ sub: '42', iat: 1700000000 })}.${signature}`;

describe('private_key', () => {
  it.each([
    ['RSA PRIVATE KEY', 'pem-rsa'],
    ['EC PRIVATE KEY', 'pem-ec'],
    ['DSA PRIVATE KEY', 'pem-dsa'],
    ['OPENSSH PRIVATE KEY', 'pem-openssh'],
    ['ENCRYPTED PRIVATE KEY', 'pem-encrypted'],
    ['PRIVATE KEY', 'pem-pkcs8'],
    ['PGP PRIVATE KEY BLOCK', 'pgp-private-key-block'],
  ])('recognises a %s, keeping only the header in the excerpt', (label, pattern) => {
    const [finding, ...rest] = scanFor('private_key', `config:\n${pem(label)}`);
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      severity: 'critical',
      location: { line: 2, offset: 8 },
      excerpt: `-----BEGIN ${label}----- [redacted]`,
      trace: { pattern },
    });
    expect(finding!.confidence).toBeGreaterThan(0.9);
    expectMasked(finding!, body.split('\n')[0]!);
  });

  it('tells two keys apart by their bodies, and the same key pasted twice by its body', () => {
    const other = pem('RSA PRIVATE KEY').replace(body.slice(0, 10), 'QQQQQQQQQQ');
    const findings = scanFor('private_key', `${pem('RSA PRIVATE KEY')}${other}${pem('RSA PRIVATE KEY')}`);
    expect(findings.map((finding) => finding.valueKey)).toEqual(['private_key#1', 'private_key#2', 'private_key#1']);
  });

  it('reports a bare header (documentation about keys) with a lower confidence', () => {
    const finding = scanFor('private_key', 'Paste the -----BEGIN RSA PRIVATE KEY----- block here.')[0]!;
    expect(finding.confidence).toBeLessThan(0.7);
  });

  it.each([
    ['a public key', pem('PUBLIC KEY')],
    ['a certificate', pem('CERTIFICATE')],
    ['an RSA public key', pem('RSA PUBLIC KEY')],
    ['a header without its dashes', 'BEGIN RSA PRIVATE KEY'],
    ['a lower-case header', '-----begin rsa private key-----'],
  ])('does not report %s', (_case, text) => {
    expect(scanFor('private_key', text)).toEqual([]);
  });
});

describe('jwt', () => {
  it('recognises a JWT whose header decodes to JSON with alg, in a header, JSON and a cookie', () => {
    const token = jwt({ alg: 'HS256', typ: 'JWT' });
    for (const text of [`Authorization: Bearer ${token}\n`, `{"access_token":"${token}"}`, `Cookie: session=${token}; Path=/`]) {
      const [finding, ...rest] = scanFor('jwt', text);
      expect(rest).toEqual([]);
      expect(finding).toMatchObject({ severity: 'high', excerpt: 'eyJ[redacted]', trace: { pattern: 'jwt', validator: 'jwt-header' } });
      expectMasked(finding!, token);
    }
  });

  it('accepts an unsecured JWT (alg none, empty signature)', () => {
    expect(scanFor('jwt', `t=${jwt({ alg: 'none' }, '')} `)).toHaveLength(1);
  });

  it('reports a JWT longer than 4 KiB once, by its first 4 KiB', () => {
    const token = `${b64url({ alg: 'RS256' })}.${b64url({ claims: 'x'.repeat(6000) })}.sig`;
    const findings = scanFor('jwt', `Bearer ${token}`, { chunkSize: 1000 });
    expect(findings).toHaveLength(1);
    expect(findings[0]!.trace!.pattern).toBe('jwt-truncated');
  });

  it.each([
    ['a header that is not JSON', `eyJub3QganNvbg.${b64url({ sub: 1 })}.sig`],
    ['a JSON header without alg', jwt({ typ: 'JWT' })],
    ['a JSON header whose alg is not a string', jwt({ alg: 5 })],
    ['a JSON array header', `${b64url([{ alg: 'HS256' }])}.${b64url({ sub: 1 })}.sig`],
    ['two parts only', jwt({ alg: 'HS256' }).split('.').slice(0, 2).join('.')],
    ['eyJ inside a longer base64 string', `abc${jwt({ alg: 'HS256' })}`],
  ])('does not report %s', (_case, text) => {
    expect(scanFor('jwt', `token ${text} end`)).toEqual([]);
  });
});
