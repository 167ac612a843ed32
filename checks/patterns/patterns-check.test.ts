import { describe, expect, it } from 'vitest';
import { runCheckContract } from '../check.case.test.js';
import { checks } from '../index.js';
import { patternsCheck, PatternsCheck } from './index.js';
import { expectMasked, POSITIVE_SAMPLES, scan } from './patterns.case.test.js';

const MARKER = '4556737586899855';

runCheckContract(patternsCheck, {
  clean: {
    path: 'notes/q3.txt',
    content: 'Quarterly notes: 1,204 orders shipped on 2024-05-06 12:34:56; ticket #4412; call +1 415-555-0132.\n',
  },
  flagged: {
    path: 'exports/customers.csv',
    content: `id,name,card,email\n1,Jane,${MARKER},jane@acme-corp.io\n2,Bob,5555 5555 5555 4444,bob@acme-corp.io\n`,
    marker: MARKER,
  },
});

describe('PatternsCheck', () => {
  it('is registered as `patterns` with a version and a description', () => {
    expect(checks.patterns).toBe(patternsCheck);
    expect(patternsCheck).toBeInstanceOf(PatternsCheck);
    expect(patternsCheck).toMatchObject({ id: 'patterns', version: '1' });
    expect(patternsCheck.description).not.toBe('');
  });

  it.each(POSITIVE_SAMPLES.map((sample) => [sample.name, sample] as const))('finds %s exactly once', (_name, sample) => {
    const findings = scan(sample.text);
    expect(findings.map((finding) => finding.detector)).toEqual([sample.detector]);
    expect(findings[0]).toMatchObject({ check: 'patterns', valueKey: `${sample.detector}#1` });
  });

  it('masks every finding of every positive sample: no excerpt, trace or key repeats the value', () => {
    const findings = POSITIVE_SAMPLES.flatMap((sample) => scan(sample.text).map((finding) => [finding, sample.value] as const));
    expect(findings.length).toBe(POSITIVE_SAMPLES.length);
    for (const [finding, value] of findings) expectMasked(finding, value);
  });

  it('finds every sample of one document, in order, once each, whatever the chunk size', () => {
    const document = POSITIVE_SAMPLES.map((sample) => sample.text).join('\n--\n');
    const expected = POSITIVE_SAMPLES.map((sample) => sample.detector);
    for (const chunkSize of [undefined, 1, 5, 64, 4096, 65_536]) {
      expect(
        scan(document, { chunkSize }).map((finding) => finding.detector),
        `chunks of ${chunkSize ?? 'all'}`,
      ).toEqual(expected);
    }
  });
});
