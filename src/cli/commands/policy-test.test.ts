import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/env.js';
import { createLogger } from '../../log/logger.js';
import type { CliContext } from '../cli-context.js';
import { policyTestCommand } from './policy-test.js';

const POLICIES = path.resolve(import.meta.dirname, '../../../policies');

/** A CLI context on the repository's policies whose stdout and stderr are kept as strings. */
function bufferContext(): CliContext & { out: () => string; err: () => string } {
  const sink = () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString());
        done();
      },
    });
    return { stream, text: () => chunks.join('') };
  };
  const stdout = sink();
  const stderr = sink();
  const env = { AIRLOCK_POLICIES_DIR: POLICIES, AIRLOCK_DATA_DIR: 'memory://unused' };
  return {
    config: loadConfig(env),
    logger: createLogger({ level: 'silent', pretty: false }),
    stdout: stdout.stream,
    stderr: stderr.stream,
    env,
    interactive: false,
    out: stdout.text,
    err: stderr.text,
  };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'airlock-policy-test-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function write(name: string, ...lines: string[]): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

describe('airlock policy test', () => {
  it('exits 0 when every shipped default case passes, one PASS line per case and a summary', async () => {
    const ctx = bufferContext();
    expect(await policyTestCommand(ctx, { policy: 'default', cases: path.join(POLICIES, 'default.cases.yaml'), json: false })).toBe(0);
    const lines = ctx.out().trim().split('\n');
    expect(lines.slice(0, -1).every((l) => l.startsWith('PASS  '))).toBe(true);
    expect(lines).toContainEqual(
      'PASS  ten distinct card numbers block  block/pci-bulk  (pci-bulk: 10 distinct credit_card values (rule needs 10))',
    );
    expect(lines.at(-1)).toMatch(/^(\d+) of \1 case\(s\) passed \(policy default [0-9a-f]{12}\)\.$/);
  });

  it('exits 1 and shows got vs expected with the reasons when a case fails', async () => {
    const cases = await write(
      'fail.cases.yaml',
      'cases:',
      '  - name: nine cards are not bulk',
      '    findings: [{ detector: credit_card, severity: high, count: 9 }]',
      '    expect: block',
      '    rule: pci-bulk',
      '  - name: clean',
      '    expect: allow',
    );
    const ctx = bufferContext();
    expect(await policyTestCommand(ctx, { policy: 'default', cases, json: false })).toBe(1);
    expect(ctx.out().split('\n')).toEqual([
      'FAIL  nine cards are not bulk  got review/review-sensitive, expected block/pci-bulk  (review-sensitive: credit_card found (9))',
      'PASS  clean  allow/default-allow  (default-allow: no earlier rule matched)',
      expect.stringMatching(/^1 of 2 case\(s\) passed, 1 failed \(policy default /),
      '',
    ]);
  });

  it('prints JSON lines with --json', async () => {
    const cases = await write('one.cases.yaml', 'cases:', '  - { name: key, findings: [{ detector: private_key }], expect: block }');
    const ctx = bufferContext();
    expect(await policyTestCommand(ctx, { policy: path.join(POLICIES, 'default.yaml'), cases, json: true })).toBe(0);
    const [result, summary] = ctx
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(result).toEqual({
      name: 'key',
      passed: true,
      expected: { verdict: 'block', rule: null },
      got: { verdict: 'block', rule: 'dangerous-content', reasons: ['dangerous-content: private_key found (1)'] },
    });
    expect(summary).toMatchObject({ summary: { policy: 'default', total: 1, failed: 0 } });
  });

  it('exits 2 listing file:line:col problems when the cases file is invalid', async () => {
    const cases = await write(
      'bad.cases.yaml',
      'cases:',
      '  - name: typo',
      '    findings: [{ detector: credit_crad }]',
      '    expect: blok',
    );
    const ctx = bufferContext();
    expect(await policyTestCommand(ctx, { policy: 'default', cases, json: false })).toBe(2);
    expect(ctx.err()).toContain('bad.cases.yaml:3:18: cases[0].findings[0].detector: is neither a built-in detector');
    expect(ctx.err()).toContain('bad.cases.yaml:4:5: cases[0].expect: ');
    expect(ctx.out()).toBe('');
  });

  it('exits 2 listing file:line:col problems when the policy file is invalid', async () => {
    const policy = await write(
      'broken.yaml',
      'name: broken',
      'rules:',
      '  - id: a',
      '    when: { detectors: [nope] }',
      '    then: block',
      '  - id: b',
      '    then: allow',
    );
    const cases = await write('any.cases.yaml', 'cases:', '  - { name: x, expect: allow }');
    const ctx = bufferContext();
    expect(await policyTestCommand(ctx, { policy, cases, json: false })).toBe(2);
    expect(ctx.err()).toContain('broken.yaml:4:25: rules[0].when.detectors[0]: "nope" is neither a built-in detector');
  });
});
