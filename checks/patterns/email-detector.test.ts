import { describe, expect, it } from 'vitest';
import { expectMasked, scanFor } from './patterns.case.test.js';

describe('email_address', () => {
  it.each([
    ['prose', 'Contact jane.doe@acme-corp.io today.', 'jane.doe@acme-corp.io', 'j***@acme-corp.io'],
    ['angle brackets', 'From: "Jane" <Jane.Doe@Acme.IO>', 'Jane.Doe@Acme.IO', 'J***@Acme.IO'],
    ['a CSV cell', '7,bob+billing@shop.co.uk,EUR', 'bob+billing@shop.co.uk', 'b***@shop.co.uk'],
    ['a JSON value', '{"email":"o_neil-99@mail.server.museum"}', 'o_neil-99@mail.server.museum', 'o***@mail.server.museum'],
    ['a mailto link', '<a href="mailto:ops@corp.net">', 'ops@corp.net', 'o***@corp.net'],
    ['the end of a sentence', 'Write to ops@corp.net.', 'ops@corp.net', 'o***@corp.net'],
  ])('recognises an address in %s, masking the local part', (_format, text, address, excerpt) => {
    const [finding, ...rest] = scanFor('email_address', text);
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ severity: 'low', excerpt, trace: { pattern: 'email', validator: 'email-domain' } });
    expect(finding!.location.offset).toBe(Buffer.from(text).indexOf(address));
    expectMasked(finding!, address);
  });

  it('normalizes case, so one address written twice is one value', () => {
    const findings = scanFor('email_address', 'Jane@Acme.io and jane@acme.IO');
    expect(findings.map((finding) => finding.valueKey)).toEqual(['email_address#1', 'email_address#1']);
  });

  it('reports documentation domains (example.com, .test) with a low confidence', () => {
    const real = scanFor('email_address', 'jane@acme.io')[0]!;
    const example = scanFor('email_address', 'jane@example.com')[0]!;
    expect(example.confidence).toBeLessThan(real.confidence);
    expect(example.trace!.context).toContain('-reserved-domain');
    expect(scanFor('email_address', 'bob@host.test')[0]!.trace!.context).toContain('-reserved-domain');
  });

  it.each([
    ['a host without a dot', 'admin@localhost'],
    ['a handle', 'ping @jane on chat'],
    ['a scoped package', 'npm i @types/node'],
    ['an image name', 'logo@2x.png and icon@3x.webp'],
    ['a one-letter top-level label', 'a@b.c'],
    ['a numeric top-level label', 'root@10.0.0.1'],
    ['a label starting with a dash', 'x@-bad.com'],
    ['an empty local part', '@acme.io'],
    ['a local part ending in a dot', 'jane.@acme.io'],
    ['a local part over 64 characters', `${'a'.repeat(65)}@acme.io`],
  ])('does not report %s', (_case, text) => {
    expect(scanFor('email_address', text)).toEqual([]);
  });
});
