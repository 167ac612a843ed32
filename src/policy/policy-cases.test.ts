import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicyCases, runPolicyCases } from './policy-cases.js';
import { loadPolicy, type LoadedPolicy } from './policy-loader.js';

const POLICIES = path.resolve(import.meta.dirname, '../../policies');

let dir: string;
let defaults: LoadedPolicy;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'airlock-cases-'));
  defaults = await loadPolicy(POLICIES, 'default');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function casesFrom(...lines: string[]) {
  const file = path.join(dir, 'c.cases.yaml');
  await writeFile(file, `${lines.join('\n')}\n`);
  return loadPolicyCases(file, defaults);
}

describe('policy cases', () => {
  it('the shipped default cases all pass, and cover every rule of the default policy', async () => {
    const loaded = await loadPolicyCases(path.join(POLICIES, 'default.cases.yaml'), defaults);
    if (!loaded.ok) throw new Error(loaded.problems.map((p) => p.text).join('\n'));
    const results = runPolicyCases(defaults, loaded.cases);
    expect(results.filter((r) => !r.passed).map((r) => `${r.case.name}: ${r.decision.rule}`)).toEqual([]);
    expect(new Set(results.map((r) => r.decision.rule))).toEqual(new Set(defaults.rules.map((r) => r.id)));
  });

  it('expands count and distinct into findings with value keys no other entry shares', async () => {
    const loaded = await casesFrom(
      'cases:',
      '  - name: c',
      '    findings:',
      '      - { detector: credit_card, count: 4, distinct: 2, severity: high }',
      '      - { detector: credit_card, distinct: 3, entry: a.zip!/x.csv }',
      '    item: { path: x.csv, size: 1 KiB, mime: text/csv }',
      '    expect: review',
    );
    if (!loaded.ok) throw new Error(loaded.problems.map((p) => p.text).join('\n'));
    const input = loaded.cases[0]!.input;
    expect(input.findings.map((f) => f.valueKey)).toEqual([
      'credit_card#1.1',
      'credit_card#1.2',
      'credit_card#1.1',
      'credit_card#1.2',
      'credit_card#2.1',
      'credit_card#2.2',
      'credit_card#2.3',
    ]);
    expect(input.findings[0]).toEqual({ detector: 'credit_card', severity: 'high', confidence: 1, valueKey: 'credit_card#1.1' });
    expect(input.findings[4]).toMatchObject({ severity: 'medium', location: { entry: 'a.zip!/x.csv' } });
    expect(input.item).toEqual({ path: 'x.csv', size: 1024, mime: 'text/csv' });
  });

  it('reports unknown detectors and rules, impossible counts and repeated names with their lines', async () => {
    const loaded = await casesFrom(
      'cases:',
      '  - name: a',
      '    findings: [{ detector: credit_crad }]',
      '    expect: block',
      '    rule: pci-bluk',
      '  - name: a',
      '    findings: [{ detector: iban, count: 2, distinct: 3 }]',
      '    expect: maybe',
    );
    expect(loaded.ok).toBe(false);
    expect(!loaded.ok && loaded.problems.map((p) => `${p.line}:${p.column}: ${p.field}: ${p.message}`)).toEqual([
      '3:18: cases[0].findings[0].detector: is neither a built-in detector nor declared by the policy',
      '5:5: cases[0].rule: is not a rule of the policy',
      '6:5: cases[1].name: "a" names another case too',
      expect.stringMatching(/^7:44: cases\[1\]\.findings\[0\]\.distinct: is more than count/),
      expect.stringMatching(/^8:5: cases\[1\]\.expect: /),
    ]);
  });
});
