import { describe, expect, it } from 'vitest';
import { evaluatePolicy, type PolicyInput } from './evaluate-policy.js';
import { policySchema } from './policy-schema.js';

/** A policy whose only conditional rule `hit` reviews what `when` matches. */
const policyWhen = (when: Record<string, unknown>) =>
  policySchema.parse({
    name: 'test',
    rules: [
      { id: 'hit', when, then: 'review' },
      { id: 'rest', then: 'allow' },
    ],
  });

const item = (overrides: Partial<NonNullable<PolicyInput['item']>> = {}) => ({
  path: 'reports/q3.csv',
  size: 2_000_000,
  mime: 'text/csv',
  ext: 'csv',
  ...overrides,
});
const decide = (when: Record<string, unknown>, input: Partial<PolicyInput>) =>
  evaluatePolicy(policyWhen(when), { findings: [], failedChecks: [], ...input });

describe('item conditions', () => {
  describe('fileTypes', () => {
    it('matches MIME types exactly or with a * wildcard, ignoring case and parameters', () => {
      expect(decide({ fileTypes: ['text/csv'] }, { item: item() }).reasons).toEqual(['hit: file type is text/csv']);
      expect(decide({ fileTypes: ['TEXT/*'] }, { item: item({ mime: 'text/CSV; charset=utf-8' }) }).reasons).toEqual([
        'hit: file type text/csv matches text/*',
      ]);
      expect(decide({ fileTypes: ['application/vnd.ms-*'] }, { item: item({ mime: 'application/vnd.ms-excel' }) }).rule).toBe('hit');
      expect(decide({ fileTypes: ['image/*'] }, { item: item() }).rule).toBe('rest');
    });

    it('matches an extension by name or by detected content, so renaming does not dodge it', () => {
      expect(decide({ fileTypes: ['.zip'] }, { item: item({ path: 'a/B.ZIP', mime: 'application/zip', ext: 'zip' }) }).reasons).toEqual([
        'hit: name ends with .zip',
      ]);
      expect(decide({ fileTypes: ['.zip'] }, { item: item({ path: 'a/notes.txt', ext: 'zip' }) }).reasons).toEqual([
        'hit: content detected as .zip',
      ]);
      expect(decide({ fileTypes: ['.tar.gz'] }, { item: item({ path: 'dump.tar.gz', ext: 'gz' }) }).rule).toBe('hit');
      expect(decide({ fileTypes: ['.zip'] }, { item: item({ path: 'zip', ext: undefined }) }).rule).toBe('rest');
    });

    it('does not match without an item or without a detected type', () => {
      expect(decide({ fileTypes: ['text/*'] }, {}).rule).toBe('rest');
      expect(decide({ fileTypes: ['text/*'] }, { item: item({ mime: undefined }) }).rule).toBe('rest');
    });
  });

  describe('minSize and maxSize', () => {
    it('bound the size inclusively, with sizes written in units', () => {
      const when = { minSize: '1MB', maxSize: '1.5 MiB' };
      expect(decide(when, { item: item({ size: 999_999 }) }).rule).toBe('rest');
      expect(decide(when, { item: item({ size: 1_000_000 }) }).reasons).toEqual(['hit: size 1 MB is between 1 MB and 1.6 MB']);
      expect(decide(when, { item: item({ size: 1_572_864 }) }).rule).toBe('hit');
      expect(decide(when, { item: item({ size: 1_572_865 }) }).rule).toBe('rest');
    });

    it('say which bound held', () => {
      expect(decide({ minSize: 10 }, { item: item({ size: 12_600_000 }) }).reasons).toEqual(['hit: size 12.6 MB is at least 10 B']);
      expect(decide({ maxSize: '1kB' }, { item: item({ size: 512 }) }).reasons).toEqual(['hit: size 512 B is at most 1 kB']);
    });

    it('do not match an item of unknown size', () => {
      expect(decide({ maxSize: '1GB' }, { item: item({ size: undefined }) }).rule).toBe('rest');
      expect(decide({ maxSize: '1GB' }, {}).rule).toBe('rest');
    });
  });

  it('paths: match the item path against globs, naming the glob that matched', () => {
    const when = { paths: ['exports/**', '*.sql'] };
    expect(decide(when, { item: item({ path: 'exports/2024/q3.csv' }) }).reasons).toEqual(['hit: path matches exports/**']);
    expect(decide(when, { item: item({ path: 'db/backup/full.sql' }) }).reasons).toEqual(['hit: path matches *.sql']);
    expect(decide(when, { item: item({ path: 'reports/exports/q3.csv' }) }).rule).toBe('rest');
  });

  it('pipelines and destinations: match the ticket route by name and connector kind', () => {
    const when = { pipelines: ['finance-export'], destinations: ['s3', 'sftp'] };
    expect(decide(when, { pipeline: 'finance-export', destination: 'sftp' }).reasons).toEqual([
      'hit: pipeline finance-export',
      'hit: destination is sftp',
    ]);
    expect(decide(when, { pipeline: 'finance-export', destination: 'local' }).rule).toBe('rest');
    expect(decide(when, { pipeline: 'hr-export', destination: 's3' }).rule).toBe('rest');
    expect(decide(when, { pipeline: 'finance-export' }).rule).toBe('rest');
  });

  it('are ANDed with finding conditions', () => {
    const when = { detectors: ['email_address'], minDistinct: 2, fileTypes: ['text/csv'], maxSize: '5MB' };
    const emails = ['a', 'b'].map((k) => ({ detector: 'email_address', severity: 'low' as const, confidence: 1, valueKey: k }));
    expect(decide(when, { findings: emails, item: item() }).reasons).toEqual([
      'hit: 2 distinct email_address values (rule needs 2)',
      'hit: file type is text/csv',
      'hit: size 2 MB is at most 5 MB',
    ]);
    expect(decide(when, { findings: emails.slice(1), item: item() }).rule).toBe('rest');
    expect(decide(when, { findings: emails, item: item({ size: 6_000_000 }) }).rule).toBe('rest');
    expect(decide(when, { findings: emails, item: item({ mime: 'text/plain' }) }).rule).toBe('rest');
  });
});
