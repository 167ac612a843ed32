import { describe, expect, it } from 'vitest';
import type { Finding } from '../../checks/check.js';
import { evaluatePolicy } from './evaluate-policy.js';
import { policySchema } from './policy-schema.js';
import { summarizeForRequester } from './summarize-for-requester.js';

const p = policySchema.parse({
  name: 'test',
  detectors: [{ id: 'employee_id', pattern: 'EMP-\\d+', severity: 'medium' }],
  rules: [
    { id: 'pci-bulk', when: { detectors: ['credit_card'], minDistinct: 10 }, then: 'block' },
    { id: 'secrets', when: { detectors: ['private_key', 'aws_access_key'] }, then: 'block' },
    { id: 'staff', when: { detectors: ['employee_id'] }, then: 'review' },
    { id: 'too-large', when: { minSize: '1GB' }, then: 'review' },
    { id: 'rest', then: 'allow' },
  ],
});

const secretExcerpt = '4111 **** **** 1111';
const found = (detector: string, n: number, distinct = n): Finding[] =>
  Array.from({ length: n }, (_, i) => ({
    check: 'patterns',
    detector,
    severity: 'high' as const,
    confidence: 0.9,
    location: { entry: 'payroll/secret-plans.csv', line: 1200 + i },
    excerpt: secretExcerpt,
    valueKey: `${detector}#${(i % distinct) + 1}`,
  }));

const summary = (findings: Finding[], input: Partial<Parameters<typeof evaluatePolicy>[1]> = {}) =>
  summarizeForRequester(evaluatePolicy(p, { findings, failedChecks: [], ...input }), findings);

describe('summarizeForRequester', () => {
  it('names what was found in plain words with its distinct count and the rule', () => {
    expect(summary(found('credit_card', 40, 12))).toBe('blocked: payment card numbers, 12 found, rule pci-bulk');
  });

  it('lists each detector that counted', () => {
    expect(summary([...found('aws_access_key', 2), ...found('private_key', 1)])).toBe(
      'blocked: private keys, 1 found; AWS access keys, 2 found, rule secrets',
    );
  });

  it('uses a custom detector id as its name', () => {
    expect(summary(found('employee_id', 3))).toBe('needs review: employee_id, 3 found, rule staff');
  });

  it('says a file could not be fully inspected, without naming the check or its error', () => {
    expect(summary([], { failedChecks: ['patterns'] })).toBe('blocked: the file could not be fully inspected, rule fail-closed');
  });

  it('mentions what else was found when the rule decided on the item itself', () => {
    expect(summary(found('email_address', 5, 4), { item: { path: 'dump.bin', size: 2e9 } })).toBe(
      'needs review, rule too-large; also found: e-mail addresses (4)',
    );
  });

  it('is short for an allowed file', () => {
    expect(summary(found('email_address', 5))).toBe('allowed, rule rest');
  });

  it('never holds excerpts, locations or value keys', () => {
    const line = summary([...found('credit_card', 12), ...found('private_key', 1)]);
    expect(line).not.toContain('4111');
    expect(line).not.toContain('payroll');
    expect(line).not.toContain('#');
  });
});
