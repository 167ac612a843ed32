import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldName, formatIssues, parseYamlSource, positionOf, strictConfigObject, validateYaml } from './yaml-source.js';

const TEXT = ['name: demo', 'destination:', '  kind: s3', '  root: out', 'checks:', '  - filetype', '  - 42', ''].join('\n');

const schema = strictConfigObject({
  name: z.string(),
  destination: strictConfigObject({ kind: z.enum(['local']), root: z.string(), bucket: z.string() }),
  checks: z.array(z.string()),
});

describe('positionOf', () => {
  const { doc, lineCounter } = parseYamlSource('x.yaml', TEXT);

  it('points at the key of a map entry, 1-based', () => {
    expect(positionOf(doc, lineCounter, ['destination', 'kind'])).toEqual({ line: 3, column: 3 });
  });

  it('points at a sequence item by index', () => {
    expect(positionOf(doc, lineCounter, ['checks', 1])).toEqual({ line: 7, column: 5 });
  });

  it('falls back to the nearest existing parent when a key is missing', () => {
    expect(positionOf(doc, lineCounter, ['destination', 'bucket'])).toEqual({ line: 2, column: 1 });
    expect(positionOf(doc, lineCounter, ['nowhere', 'deep'])).toEqual({ line: 1, column: 1 });
  });
});

describe('formatIssues', () => {
  it('lists every problem as file:line:col: field: message, in file order', () => {
    const { doc, lineCounter } = parseYamlSource('pipelines/bad.yaml', TEXT);
    const result = schema.safeParse(doc.toJS());
    expect(result.success).toBe(false);
    const lines = formatIssues('pipelines/bad.yaml', doc, lineCounter, result.error!.issues);
    expect(lines).toEqual([
      'pipelines/bad.yaml:2:1: destination.bucket: Invalid input: expected string, received undefined',
      'pipelines/bad.yaml:3:3: destination.kind: Invalid input: expected "local"',
      'pipelines/bad.yaml:7:5: checks[1]: Invalid input: expected string, received number',
    ]);
  });

  it('gives each unknown key its own line at the key, naming the allowed keys', () => {
    const { doc, lineCounter } = parseYamlSource('x.yaml', 'name: a\nnmae: b\ncheks: []\n');
    const result = z.object({ name: z.string() }).strict().safeParse(doc.toJS());
    expect(formatIssues('x.yaml', doc, lineCounter, result.error!.issues)).toEqual([
      'x.yaml:2:1: nmae: Unrecognized keys: "nmae", "cheks"',
      'x.yaml:3:1: cheks: Unrecognized keys: "nmae", "cheks"',
    ]);
    const strict = strictConfigObject({ name: z.string() }).safeParse(doc.toJS());
    expect(strict.error!.issues[0]!.message).toBe('unknown key (allowed: name)');
  });
});

describe('validateYaml', () => {
  it('reports YAML syntax errors with file:line:col and does not run the schema', () => {
    const result = validateYaml('bad.yaml', 'name: a\nchecks: [filetype\nother: 1\n', schema);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.length).toBeGreaterThan(0);
    expect(result.problems[0]!.text).toMatch(/^bad\.yaml:\d+:\d+: \S/);
  });

  it('refuses duplicate keys', () => {
    const result = validateYaml('dup.yaml', 'name: a\nname: b\n', schema);
    expect(result.ok ? [] : result.problems.map((p) => p.text)).toEqual(['dup.yaml:2:1: Map keys must be unique']);
  });

  it('says a missing field is required, at its parent', () => {
    const result = validateYaml('x.yaml', 'name: x\ndestination: { kind: local, root: r }\n', schema);
    expect(result.ok ? [] : result.problems.map((p) => p.text)).toEqual([
      'x.yaml:1:1: checks: is required (array)',
      'x.yaml:2:1: destination.bucket: is required (string)',
    ]);
  });

  it('reports a name that differs from the file name, together with schema problems', () => {
    const text = 'name: other\ndestination: { kind: local, root: r, bucket: b }\nchecks: [1]\n';
    const result = validateYaml('x.yaml', text, schema, { expectedName: 'x' });
    expect(result.ok ? [] : result.problems.map((p) => p.text)).toEqual([
      'x.yaml:1:1: name: is "other" but must equal the file name "x"',
      'x.yaml:3:10: checks[0]: Invalid input: expected string, received number',
    ]);
  });

  it('positions a problem about an empty file at 1:1', () => {
    const result = validateYaml('empty.yaml', '', schema);
    expect(result.ok ? [] : result.problems.map((p) => p.text)).toEqual(['empty.yaml:1:1: Invalid input: expected object, received null']);
  });

  it('returns the data and where its name is written when valid', () => {
    const result = validateYaml('x.yaml', '# c\nname: x\ndestination: { kind: local, root: r, bucket: b }\nchecks: []\n', schema);
    expect(result).toMatchObject({ ok: true, data: { name: 'x' }, nameAt: { line: 2, column: 1 } });
  });
});

describe('fieldName', () => {
  it('joins keys with dots and indices with brackets', () => {
    expect(fieldName(['rules', 2, 'when', 'detectors', 0])).toBe('rules[2].when.detectors[0]');
    expect(fieldName([])).toBe('');
  });
});
