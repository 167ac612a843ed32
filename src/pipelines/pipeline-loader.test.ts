import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AirlockError } from '../errors.js';
import { loadPipeline, loadPipelines } from './pipeline-loader.js';

/** A valid pipeline file for `name`; `extra` lines are appended, `replace` swaps whole lines by key. */
function pipelineYaml(name: string, replace: Record<string, string> = {}, extra = ''): string {
  const lines: Record<string, string> = {
    name: `name: ${name}`,
    description: 'description: test pipeline',
    source: 'source: { kind: local, root: ../in, include: ["**/*.csv"], exclude: [tmp/**], prefix: reports }',
    destination: 'destination: { kind: local, root: ../out }',
    policy: 'policy: default',
    delivery: 'delivery: per-item',
    trigger: 'trigger: { manual: true }',
    ...replace,
  };
  return `${Object.values(lines).join('\n')}\n${extra}`;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'airlock-pipelines-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const write = (file: string, text: string) => writeFile(path.join(dir, file), text);

async function loadError(name: string): Promise<AirlockError> {
  const error = await loadPipeline(dir, name).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AirlockError);
  return error as AirlockError;
}

describe('loadPipelines', () => {
  it('loads a valid file with defaults, the selector taken out of source, its folder and a content hash', async () => {
    await write('good.yaml', pipelineYaml('good'));
    const { pipelines, errors } = await loadPipelines(dir);
    expect(errors).toEqual([]);
    const pipeline = pipelines.get('good')!;
    expect(pipeline).toMatchObject({
      name: 'good',
      source: { kind: 'local', root: '../in' },
      selector: { include: ['**/*.csv'], exclude: ['tmp/**'], prefix: 'reports' },
      destination: { kind: 'local', root: '../out' },
      policy: 'default',
      delivery: 'per-item',
      approvers: [],
      checks: ['filetype', 'patterns', 'dlp'],
      trigger: { kind: 'manual' },
      redactNames: false,
      file: path.join(dir, 'good.yaml'),
      dir,
    });
    expect(pipeline.source).not.toHaveProperty('include');
    expect(pipeline.version).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.isFrozen(pipeline.source)).toBe(true);
  });

  it('names file, line and field of a bad value', async () => {
    await write('bad.yaml', pipelineYaml('bad', { delivery: 'delivery: sometimes' }));
    const { pipelines, errors } = await loadPipelines(dir);
    expect(pipelines.size).toBe(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file: path.join(dir, 'bad.yaml'), line: 6, column: 1, field: 'delivery' });
    expect(errors[0]!.text).toContain('bad.yaml:6:1: delivery: Invalid option: expected one of "all-or-nothing"|"per-item"');
  });

  it('lists every problem of a file, nested ones at their own line', async () => {
    const text = pipelineYaml('bad', { destination: 'destination:\n  kind: Local\n  root: ../out', trigger: 'trigger: {}' });
    await write('bad.yaml', text);
    const { errors } = await loadPipelines(dir);
    expect(errors.map((e) => `${e.line}:${e.column} ${e.field}`)).toEqual(['5:3 destination.kind', '9:1 trigger']);
  });

  it('rejects unknown top-level keys, naming each one', async () => {
    await write('bad.yaml', pipelineYaml('bad', {}, 'shedule: nightly\nowner: ops\n'));
    const { errors } = await loadPipelines(dir);
    expect(errors.map((e) => e.text)).toEqual([
      expect.stringMatching(/bad\.yaml:8:1: shedule: unknown key \(allowed: name, description, source, .*\)$/),
      expect.stringMatching(/bad\.yaml:9:1: owner: unknown key/),
    ]);
  });

  it('refuses an inline secret in connector settings without echoing it', async () => {
    const destination = 'destination:\n  kind: sftp\n  host: files.example.com\n  password: hunter2-inline';
    await write('bad.yaml', pipelineYaml('bad', { destination }));
    const { errors } = await loadPipelines(dir);
    expect(errors.map((e) => e.text)).toEqual([
      expect.stringContaining('bad.yaml:7:3: destination.password: must be a ${env:…} or ${file:…} reference, not an inline secret'),
    ]);
    expect(JSON.stringify(errors)).not.toContain('hunter2-inline');
  });

  it('accepts secret references in connector settings', async () => {
    const destination = 'destination: { kind: sftp, password: "${env:SFTP_PASSWORD}", auth: { privateKey: "${file:/run/key}" } }';
    await write('ok.yaml', pipelineYaml('ok', { destination }));
    const { pipelines, errors } = await loadPipelines(dir);
    expect(errors).toEqual([]);
    expect(pipelines.get('ok')!.destination).toEqual({
      kind: 'sftp',
      password: '${env:SFTP_PASSWORD}',
      auth: { privateKey: '${file:/run/key}' },
    });
  });

  it('keeps loading the good files when one is bad', async () => {
    await write('a-good.yaml', pipelineYaml('a-good'));
    await write('b-bad.yaml', 'name: b-bad\nsource: [\n');
    await write('c-good.yml', pipelineYaml('c-good'));
    await write('notes.txt', 'not a pipeline');
    const { pipelines, errors } = await loadPipelines(dir);
    expect([...pipelines.keys()]).toEqual(['a-good', 'c-good']);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.file.endsWith('b-bad.yaml') && /b-bad\.yaml:\d+:\d+: /.test(e.text))).toBe(true);
  });

  it('reports a name that differs from the file name', async () => {
    await write('report.yaml', pipelineYaml('reports'));
    const { pipelines, errors } = await loadPipelines(dir);
    expect(pipelines.size).toBe(0);
    expect(errors.map((e) => e.text)).toEqual([
      expect.stringContaining('report.yaml:1:1: name: is "reports" but must equal the file name "report"'),
    ]);
  });

  it('reports a duplicate name in both files and loads neither', async () => {
    await write('twin.yaml', pipelineYaml('twin'));
    await write('twin.yml', pipelineYaml('twin'));
    await write('other.yaml', pipelineYaml('other'));
    const { pipelines, errors } = await loadPipelines(dir);
    expect([...pipelines.keys()]).toEqual(['other']);
    expect(errors.map((e) => `${path.basename(e.file)}:${e.line} ${e.field}`)).toEqual(['twin.yaml:1 name', 'twin.yml:1 name']);
    expect(errors[0]!.message).toContain('defined more than once (twin.yaml, twin.yml)');
  });

  it('fails with invalid_input when the folder does not exist', async () => {
    await expect(loadPipelines(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'invalid_input' });
  });
});

describe('loadPipeline', () => {
  it('loads one pipeline by name', async () => {
    await write('one.yaml', pipelineYaml('one'));
    await write('broken.yaml', 'name: [');
    expect((await loadPipeline(dir, 'one')).name).toBe('one');
  });

  it('throws not_found naming the pipeline and listing the available ones', async () => {
    await write('alpha.yaml', pipelineYaml('alpha'));
    await write('beta.yml', pipelineYaml('beta'));
    const error = await loadError('gamma');
    expect(error.code).toBe('not_found');
    expect(error.message).toContain('Pipeline "gamma" was not found');
    expect(error.message).toContain('available: alpha, beta');
  });

  it('never looks outside the folder for a name with a path in it', async () => {
    await mkdir(path.join(dir, 'inner'));
    await write('outside.yaml', pipelineYaml('outside'));
    const inner = path.join(dir, 'inner');
    const error = await loadPipeline(inner, '../outside').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'not_found' });
  });

  it('throws pipeline_invalid listing every problem as file:line:col', async () => {
    await write('bad.yaml', pipelineYaml('bad', { delivery: 'delivery: sometimes', policy: 'policy: Default' }));
    const error = await loadError('bad');
    expect(error.code).toBe('pipeline_invalid');
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('Pipeline "bad" is invalid (2 problems):');
    expect(lines[1]).toContain('bad.yaml:5:1: policy: must be lower-case');
    expect(lines[2]).toContain('bad.yaml:6:1: delivery: Invalid option');
  });
});

describe('the example pipeline in this repository', () => {
  it('loads cleanly', async () => {
    const pipelinesDir = path.resolve(import.meta.dirname, '../../pipelines');
    const pipeline = await loadPipeline(pipelinesDir, 'example-local');
    expect(pipeline).toMatchObject({
      source: { kind: 'local', root: '../examples/inbox' },
      destination: { kind: 'local', root: '../examples/outbox' },
      policy: 'default',
      delivery: 'per-item',
      checks: ['filetype', 'patterns', 'dlp'],
      trigger: { kind: 'manual' },
      dir: pipelinesDir,
    });
  });
});
