import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AirlockError } from '../errors.js';
import { listPolicyNames, loadPolicy, loadPolicyRef } from './policy-loader.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'airlock-policies-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function loadError(name: string, text: string): Promise<{ error: AirlockError; lines: string[] }> {
  await writeFile(path.join(dir, `${name}.yaml`), text);
  const error = await loadPolicy(dir, name).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AirlockError);
  return { error: error as AirlockError, lines: (error as AirlockError).message.split('\n').slice(1) };
}

const lines = (...l: string[]) => `${l.join('\n')}\n`;

describe('loadPolicy', () => {
  it('loads a policy with its file and the sha256 of its content', async () => {
    const text = lines(
      'name: strict',
      'rules:',
      '  - id: review-all',
      '    when: { minCount: 1 }',
      '    then: review',
      '  - id: allow-rest',
      '    then: allow',
    );
    await writeFile(path.join(dir, 'strict.yaml'), text);
    const policy = await loadPolicy(dir, 'strict');
    expect(policy).toMatchObject({
      name: 'strict',
      file: path.join(dir, 'strict.yaml'),
      rules: [{ id: 'review-all' }, { id: 'allow-rest' }],
    });
    expect(policy.version).toBe(createHash('sha256').update(text).digest('hex'));
    expect(Object.isFrozen(policy.rules[0])).toBe(true);
  });

  it('loads the default policy shipped in this repository', async () => {
    const policy = await loadPolicy(path.resolve(import.meta.dirname, '../../policies'), 'default');
    expect(policy.rules.map((r) => [r.id, r.then])).toEqual([
      ['check-failed', 'block'],
      ['dangerous-content', 'block'],
      ['pci-bulk', 'block'],
      ['classified', 'block'],
      ['review-sensitive', 'review'],
      ['default-allow', 'allow'],
    ]);
    expect(policy.rules[4]!.approvals).toEqual({ count: 1 });
  });

  it('loads the strict example policy, with its custom detector, allow-list and sizes in bytes', async () => {
    const policy = await loadPolicy(path.resolve(import.meta.dirname, '../../policies'), 'strict');
    expect(policy.detectors?.map((d) => d.id)).toEqual(['employee_id']);
    expect(policy.allow?.paths).toContain('test-fixtures/**');
    expect(policy.rules.find((r) => r.id === 'too-large')?.when?.minSize).toBe(2 * 1024 ** 3);
  });

  it('requires the last rule to be a catch-all, pointing at its `when`', async () => {
    const { error, lines: problems } = await loadError(
      'p',
      lines('name: p', 'rules:', '  - id: block-exe', '    when: { detectors: [executable] }', '    then: block'),
    );
    expect(error.code).toBe('policy_invalid');
    expect(problems).toEqual([expect.stringContaining('p.yaml:4:5: rules[0].when: the last rule must have no `when` (a catch-all)')]);
  });

  it('refuses a catch-all before the last rule, since the rules after it are unreachable', async () => {
    const { lines: problems } = await loadError(
      'p',
      lines('name: p', 'rules:', '  - id: allow-all', '    then: allow', '  - id: never', '    then: block'),
    );
    expect(problems).toEqual([expect.stringContaining('p.yaml:3:5: rules[0]: has no `when`')]);
  });

  it('lists every problem with its line: bad verdict, duplicate id, unknown condition, misplaced approvals', async () => {
    const { lines: problems } = await loadError(
      'p',
      lines(
        'name: p',
        'rules:',
        '  - id: one',
        '    when: { detectors: [executable], minSeverty: high }',
        '    then: maybe',
        '  - id: one',
        '    when: { checkFailed: true }',
        '    then: block',
        '    approvals: { count: 2 }',
        '  - id: rest',
        '    then: allow',
      ),
    );
    expect(problems.map((l) => l.replace(/^.*p\.yaml:/, ''))).toEqual([
      expect.stringMatching(/^4:38: rules\[0\]\.when\.minSeverty: unknown key \(allowed: detectors, severities, minSeverity/),
      expect.stringMatching(/^5:5: rules\[0\]\.then: Invalid option/),
      '6:5: rules[1].id: "one" is already used by rules[0]',
      '9:5: rules[1].approvals: only applies to rules with `then: review`',
    ]);
  });

  it('refuses an empty `when`, out-of-range numbers and a wrong severity', async () => {
    const { lines: problems } = await loadError(
      'p',
      lines(
        'name: p',
        'rules:',
        '  - id: a',
        '    when: {}',
        '    then: block',
        '  - id: b',
        '    when: { minConfidence: 1.5, minCount: 0, minSeverity: severe }',
        '    then: review',
        '  - id: c',
        '    then: allow',
      ),
    );
    expect(problems.map((l) => l.replace(/^.*p\.yaml:(\d+):\d+: (\S+): .*$/, '$1 $2'))).toEqual([
      '4 rules[0].when',
      '7 rules[1].when.minConfidence',
      '7 rules[1].when.minCount',
      '7 rules[1].when.minSeverity',
    ]);
  });

  it('reports YAML syntax errors with file:line:col', async () => {
    const { error, lines: problems } = await loadError('p', lines('name: p', 'rules:', '  - id: a', '     then: [allow'));
    expect(error.code).toBe('policy_invalid');
    expect(problems[0]).toMatch(/p\.yaml:\d+:\d+: /);
  });

  it('requires the name to equal the file name', async () => {
    const { lines: problems } = await loadError('p', lines('name: q', 'rules:', '  - id: all', '    then: allow'));
    expect(problems).toEqual([expect.stringContaining('p.yaml:1:1: name: is "q" but must equal the file name "p"')]);
  });

  it('throws not_found listing the policies available, leaving out test-case files', async () => {
    await writeFile(path.join(dir, 'default.yaml'), lines('name: default', 'rules:', '  - id: all', '    then: allow'));
    await writeFile(path.join(dir, 'default.cases.yaml'), lines('cases: []'));
    await expect(loadPolicy(dir, 'strict')).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringMatching(/available: default\.$/),
    });
    expect(await listPolicyNames(dir)).toEqual(['default']);
    await expect(loadPolicy(dir, 'default.cases')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('loads a policy by file path or by name', async () => {
    await writeFile(path.join(dir, 'mine.yaml'), lines('name: mine', 'rules:', '  - id: all', '    then: allow'));
    expect((await loadPolicyRef(dir, path.join(dir, 'mine.yaml'))).name).toBe('mine');
    expect((await loadPolicyRef(dir, 'mine')).name).toBe('mine');
    await expect(loadPolicyRef(dir, path.join(dir, 'other.yaml'))).rejects.toMatchObject({ code: 'not_found' });
  });
});
