import { describe, expect, it } from 'vitest';
import { validateYaml } from '../config/yaml-source.js';
import { BUILTIN_DETECTOR_IDS } from './detector-catalog.js';
import { policySchema } from './policy-schema.js';

/** The problems of a policy text, as `line:col: field: message` (the file name cut off). */
function problems(...lines: string[]): string[] {
  const result = validateYaml('/tmp/p.yaml', `${lines.join('\n')}\n`, policySchema, { expectedName: 'p' });
  return result.ok ? [] : result.problems.map((p) => `${p.line}:${p.column}: ${p.field}: ${p.message}`);
}

const catchAll = ['  - id: rest', '    then: allow'];

describe('policySchema', () => {
  it('accepts every condition, approvals from groups, custom detectors and an allow-list', () => {
    expect(
      problems(
        'name: p',
        'detectors:',
        '  - id: employee_id',
        "    pattern: 'EMP-\\d{6}'",
        '    caseInsensitive: true',
        '    validator: none',
        '    context: { words: [employee, badge], window: 40, required: true }',
        '    severity: medium',
        '    confidence: 0.7',
        '    maxLength: 10',
        'allow:',
        "  values: ['4111111111111111']",
        `  sha256: ['${'AB'.repeat(32)}']`,
        "  paths: ['fixtures/**']",
        'rules:',
        '  - id: big',
        '    when:',
        '      detectors: [employee_id, credit_card]',
        '      severities: [high, critical]',
        '      minSeverity: high',
        '      minConfidence: 0.5',
        '      minCount: 2',
        '      minDistinct: 2',
        '      checkFailed: false',
        "      fileTypes: [text/*, .zip, 'application/vnd.ms-*']",
        '      minSize: 1 KiB',
        '      maxSize: 1.5 GiB',
        "      paths: ['exports/**', '*.{csv,tsv}']",
        '      pipelines: [finance-export]',
        '      destinations: [s3, sftp]',
        '    then: review',
        '    approvals: { count: 2, groups: [data-owners, security], distinctGroups: true }',
        ...catchAll,
      ),
    ).toEqual([]);
  });

  it('reports a rule naming an unknown detector at the entry, and accepts declared and built-in ones', () => {
    expect(
      problems(
        'name: p',
        'detectors:',
        '  - { id: badge_no, pattern: "B-\\\\d+", severity: low }',
        'rules:',
        '  - id: a',
        '    when: { detectors: [badge_no, credit_card, credit_crad] }',
        '    then: block',
        ...catchAll,
      ),
    ).toEqual(['6:48: rules[0].when.detectors[2]: "credit_crad" is neither a built-in detector nor declared under `detectors`']);
  });

  it('refuses a custom detector reusing a built-in id, or another custom id, and a wrong shape', () => {
    expect(
      problems(
        'name: p',
        'detectors:',
        '  - { id: credit_card, pattern: "x", severity: high }',
        '  - { id: emp, pattern: "x", severity: high }',
        '  - { id: emp, pattern: "", severity: severe, validator: crc, maxLength: 5000, colour: red }',
        '  - { id: Bad-Id, pattern: "x", severity: low, context: { words: [] } }',
        'rules:',
        ...catchAll,
      ),
    ).toEqual([
      '3:7: detectors[0].id: is the id of a built-in detector; choose another id',
      '5:7: detectors[2].id: "emp" is already declared by detectors[1]',
      expect.stringMatching(/^5:16: detectors\[2\]\.pattern: must not be empty/),
      expect.stringMatching(/^5:29: detectors\[2\]\.severity: /),
      expect.stringMatching(/^5:47: detectors\[2\]\.validator: /),
      expect.stringMatching(/^5:63: detectors\[2\]\.maxLength: /),
      expect.stringMatching(/^5:80: detectors\[2\]\.colour: unknown key \(allowed: id, pattern, caseInsensitive/),
      expect.stringMatching(/^6:7: detectors\[3\]\.id: must be lower-case letters, digits and underscores/),
      expect.stringMatching(/^6:59: detectors\[3\]\.context\.words: must list at least one word/),
    ]);
  });

  it('refuses bad sizes, globs, file types and contradictory bounds, each at its line', () => {
    expect(
      problems(
        'name: p',
        'rules:',
        '  - id: a',
        '    when:',
        '      minSize: 10 XB',
        '      maxSize: -1',
        "      paths: ['reports/**', 'a/../b', '[abc']",
        "      fileTypes: [zip, 'text/csv', text/csv]",
        '    then: block',
        '  - id: b',
        '    when: { minSize: 2GB, maxSize: 1GB, severities: [low], minSeverity: high }',
        '    then: block',
        ...catchAll,
      ),
    ).toEqual([
      '5:7: rules[0].when.minSize: must be a size in bytes such as 1048576, "10MB" or "1.5 GiB"',
      '6:7: rules[0].when.maxSize: must be a size in bytes such as 1048576, "10MB" or "1.5 GiB"',
      '7:29: rules[0].when.paths[1]: is not a valid glob: must not contain "." or ".." segments',
      '7:39: rules[0].when.paths[2]: is not a valid glob: has a "[" without its closing "]"',
      '8:19: rules[0].when.fileTypes[0]: must be a MIME type such as "text/csv" or "text/*", or an extension such as ".zip"',
      '8:36: rules[0].when.fileTypes[2]: "text/csv" is listed twice',
      '11:27: rules[1].when.maxSize: is smaller than minSize, so the rule can never match',
      '11:41: rules[1].when.severities: holds no severity of high or worse, so the rule can never match',
    ]);
  });

  it('refuses approvals outside review, and groups that cannot be covered', () => {
    expect(
      problems(
        'name: p',
        'rules:',
        '  - id: a',
        '    when: { detectors: [iban] }',
        '    then: block',
        '    approvals: { count: 2 }',
        '  - id: b',
        '    when: { detectors: [jwt] }',
        '    then: review',
        '    approvals: { count: 2, groups: [data-owners, security, legal], distinctGroups: true }',
        '  - id: c',
        '    when: { detectors: [us_ssn] }',
        '    then: review',
        '    approvals: { distinctGroups: true }',
        ...catchAll,
      ),
    ).toEqual([
      '6:5: rules[0].approvals: only applies to rules with `then: review`',
      '10:18: rules[1].approvals.count: must be at least 3 (one different person per group) when distinctGroups is true',
      '14:18: rules[2].approvals.distinctGroups: needs `groups` to be listed',
    ]);
  });

  it('refuses an allow-list digest that is not sha256, and unknown allow-list keys', () => {
    expect(problems('name: p', 'allow:', "  sha256: ['abc']", '  hashes: []', 'rules:', ...catchAll)).toEqual([
      '3:12: allow.sha256[0]: must be a sha256 digest (64 hexadecimal characters)',
      expect.stringMatching(/^4:3: allow\.hashes: unknown key \(allowed: values, sha256, paths\)/),
    ]);
  });

  it('knows the fifteen built-in detectors', () => {
    expect(BUILTIN_DETECTOR_IDS).toHaveLength(15);
  });
});
