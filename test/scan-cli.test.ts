// `airlock scan` as scripts use it: the JSON Lines contract, exit codes, and that nothing sensitive is
// ever printed whole. Every sample is built here; the CLI runs as a child process from the repository root.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zipOf } from '../src/inspect/archives/archive-samples.test-support.js';
import { describeResult, REPO_ROOT, runCli } from './run-cli.js';
import { TEST_CARDS } from './sample-values.js';

const CARDS = TEST_CARDS;
const AWS_KEY = 'AKIAQWERTYUIOPASDF23';
const TOP_SECRET = 'TOP SECRET';

let dir: string;
const scan = (args: string[]) => runCli(['scan', ...args], { cwd: REPO_ROOT, timeoutMs: 120_000 });
const lines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown> & { path: string; verdict: string; findings: Record<string, unknown>[] });

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'airlock-scan-'));
  const corpus = path.join(dir, 'corpus');
  await mkdir(path.join(corpus, 'sub', 'deeper'), { recursive: true });
  await writeFile(path.join(corpus, 'clean.txt'), 'Minutes of the weekly meeting. Nothing to report.\n');
  await writeFile(path.join(corpus, 'sub', 'one-card.csv'), `name,card\nalice,${CARDS[0]}\n`);
  await writeFile(path.join(corpus, 'sub', 'bulk.csv'), `name,card\n${CARDS.map((c, i) => `p${i},${c}`).join('\n')}\n`);
  await writeFile(path.join(corpus, 'sub', 'deeper', 'memo.md'), `${TOP_SECRET}\nOperation details follow.\n`);
  await writeFile(path.join(corpus, 'config.env'), `AWS_ACCESS_KEY_ID=${AWS_KEY}\n`);
  const elf = Buffer.alloc(64);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(elf);
  await writeFile(path.join(corpus, 'bundle.zip'), await zipOf([{ name: 'tools/run', data: elf }]));
  await writeFile(path.join(corpus, 'empty.txt'), '');
  await writeFile(path.join(dir, 'outside.txt'), `card ${CARDS[1]}\n`);
  await symlink(path.join(dir, 'outside.txt'), path.join(corpus, 'link.txt'));
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('airlock scan --json', () => {
  it('prints one contract-shaped JSON line per file, in a stable order, paths relative to the folder, symlinks not followed', async () => {
    const result = await scan([path.join(dir, 'corpus'), '--json']);
    expect(result.code, describeResult(result)).toBe(0);
    const out = lines(result.stdout);
    expect(out.map((l) => l.path)).toEqual([
      'bundle.zip',
      'clean.txt',
      'config.env',
      'empty.txt',
      'sub/bulk.csv',
      'sub/deeper/memo.md',
      'sub/one-card.csv',
    ]);
    for (const line of out) {
      expect(Object.keys(line).sort()).toEqual(['findings', 'path', 'reasons', 'sha256', 'size', 'type', 'verdict']);
      expect(line.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(Object.keys(line.type as object).sort()).toEqual(['declaredExt', 'ext', 'mime', 'mismatch']);
      for (const finding of line.findings) {
        expect(Object.keys(finding).sort()).toEqual(['check', 'confidence', 'detector', 'excerpt', 'location', 'severity']);
        expect(['patterns', 'filetype', 'dlp']).toContain(finding.check);
      }
    }
  });

  it('decides each file with the default policy', async () => {
    const out = lines((await scan([path.join(dir, 'corpus'), '--json'])).stdout);
    const verdicts = Object.fromEntries(out.map((l) => [l.path, l.verdict]));
    expect(verdicts).toEqual({
      'bundle.zip': 'block',
      'clean.txt': 'allow',
      'config.env': 'block',
      'empty.txt': 'allow',
      'sub/bulk.csv': 'block',
      'sub/deeper/memo.md': 'block',
      'sub/one-card.csv': 'review',
    });
    const bulk = out.find((l) => l.path === 'sub/bulk.csv')!;
    expect((bulk.reasons as string[])[0]).toMatch(/^pci-bulk: 11 distinct credit_card values/);
    const bundle = out.find((l) => l.path === 'bundle.zip')!;
    expect(bundle.findings).toContainEqual(
      expect.objectContaining({ detector: 'executable', location: { entry: 'bundle.zip!/tools/run', offset: 0 } }),
    );
  });

  it('never prints a whole card number or key, on stdout or stderr, with or without --trace', async () => {
    for (const extra of [[], ['--trace']]) {
      const result = await scan([path.join(dir, 'corpus'), '--json', ...extra]);
      const printed = result.stdout + result.stderr;
      for (const card of CARDS) expect(printed).not.toContain(card);
      expect(printed).not.toContain(AWS_KEY);
    }
  });

  it('names a file argument as given', async () => {
    const file = path.join(dir, 'corpus', 'clean.txt');
    const out = lines((await scan([file, '--json'])).stdout);
    expect(out.map((l) => l.path)).toEqual([file]);
  });

  it('with --trace adds each finding its trace and distinct-value key', async () => {
    const out = lines((await scan([path.join(dir, 'corpus', 'sub', 'one-card.csv'), '--json', '--trace'])).stdout);
    expect(out[0]?.findings[0]).toMatchObject({ valueKey: 'credit_card#1', trace: { validator: 'luhn' } });
  });
});

describe('airlock scan exit status', () => {
  it('exits 3 when a verdict reaches --fail-on, 0 when none does', async () => {
    expect((await scan([path.join(dir, 'corpus'), '--json', '--fail-on', 'review'])).code).toBe(3);
    expect((await scan([path.join(dir, 'corpus', 'sub', 'one-card.csv'), '--fail-on', 'block'])).code).toBe(0);
    expect((await scan([path.join(dir, 'corpus', 'sub', 'one-card.csv'), '--fail-on', 'review'])).code).toBe(3);
  });

  it('exits 2 on usage errors: a missing path, a bad --fail-on, no path', async () => {
    const missing = await scan([path.join(dir, 'nope'), '--json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file or folder');
    expect(missing.stdout).toBe('');
    expect((await scan([dir, '--fail-on', 'sometimes'])).stderr).toContain('--fail-on must be "review" or "block"');
    expect((await scan([])).code).toBe(2);
  });

  it('exits 2 naming file, line and field for an invalid policy', async () => {
    const policy = path.join(dir, 'bad.yaml');
    await writeFile(policy, 'name: bad\nrules:\n  - id: x\n    then: sometimes\n');
    const result = await scan([path.join(dir, 'corpus', 'clean.txt'), '--policy', policy, '--json']);
    expect(result.code, describeResult(result)).toBe(2);
    expect(result.stderr).toMatch(/bad\.yaml:4:\d+: rules\[0\]\.then/);
  });
});

describe('airlock scan with a custom policy', () => {
  it('applies a custom detector and an allow-list from the policy file', async () => {
    const policy = path.join(dir, 'custom.yaml');
    await writeFile(
      policy,
      [
        'name: custom',
        'detectors:',
        '  - id: employee_id',
        "    pattern: 'EMP-[0-9]{6}'",
        '    severity: high',
        'allow:',
        `  values: ['${CARDS[0]}']`,
        'rules:',
        '  - id: staff-data',
        '    when: { detectors: [employee_id] }',
        '    then: block',
        '  - id: cards',
        '    when: { detectors: [credit_card] }',
        '    then: review',
        '  - id: rest',
        '    then: allow',
        '',
      ].join('\n'),
    );
    const staff = path.join(dir, 'staff.txt');
    await writeFile(staff, 'Employee EMP-123456 joined.\n');
    const out = lines((await scan([staff, path.join(dir, 'corpus', 'sub', 'one-card.csv'), '--policy', policy, '--json'])).stdout);
    expect(out.map((l) => [l.verdict, l.findings.map((f) => f.detector)])).toEqual([
      ['block', ['employee_id']],
      ['allow', []],
    ]);
    expect(JSON.stringify(out)).not.toContain('EMP-123456');
  });
});
