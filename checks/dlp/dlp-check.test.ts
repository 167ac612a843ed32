import { describe, expect, it } from 'vitest';
import { runCheckContract, scanSample } from '../check.case.test.js';
import { DistinctValues, type Finding, type StreamInfo } from '../check.js';
import { dlpCheck } from './index.js';
import { MAX_MARKINGS_PER_STREAM } from './marking-scanner.js';

runCheckContract(dlpCheck, {
  clean: { path: 'notes.txt', content: 'The secret to good soup is time.\nConfidential matters are handled by HR.\nSECRETS_MANAGER=on\n' },
  flagged: {
    path: 'brief.txt',
    content: 'TOP SECRET//NOFORN\nOperation NIGHTJAR begins at dawn.\nCONFIDENTIAL annex follows.\n',
    marker: 'NIGHTJAR',
  },
});

const scan = (content: string | Buffer, info: Partial<StreamInfo> = {}, chunkSize?: number): Finding[] =>
  scanSample(dlpCheck.createScanner.bind(dlpCheck), { path: 'doc.txt', content }, chunkSize, info);
const markings = (content: string | Buffer, chunkSize?: number) => scan(content, {}, chunkSize).map((f) => f.excerpt);

describe('dlp check: classification markings', () => {
  it('reports each marking with its severity, a masked excerpt, its line and byte offset, and a distinct-value key', () => {
    const findings = scan('header\nTOP SECRET\nbody SECRET and CONFIDENTIAL\nRESTRICTED', { entry: 'a.zip!/doc.txt' });
    expect(findings.map((f) => [f.excerpt, f.severity, f.location, f.valueKey, f.trace?.pattern])).toEqual([
      ['marking TOP SECRET', 'critical', { entry: 'a.zip!/doc.txt', line: 2, offset: 7 }, 'classification_marking#1', 'marking-top-secret'],
      ['marking SECRET', 'high', { entry: 'a.zip!/doc.txt', line: 3, offset: 23 }, 'classification_marking#2', 'marking-secret'],
      [
        'marking CONFIDENTIAL',
        'medium',
        { entry: 'a.zip!/doc.txt', line: 3, offset: 34 },
        'classification_marking#3',
        'marking-confidential',
      ],
      ['marking RESTRICTED', 'medium', { entry: 'a.zip!/doc.txt', line: 4, offset: 47 }, 'classification_marking#4', 'marking-restricted'],
    ]);
    expect(findings[0]).toMatchObject({ check: 'dlp', detector: 'classification_marking' });
  });

  it('counts TOP SECRET once, written with one or more blanks or a hyphen, and never also as SECRET', () => {
    for (const text of ['TOP SECRET', 'TOP  SECRET', 'TOP\tSECRET', 'TOP-SECRET', '(TOP SECRET)']) {
      expect(markings(text), text).toEqual(['marking TOP SECRET']);
    }
    expect(markings('STOP SECRET')).toEqual(['marking SECRET']);
  });

  it('ignores lower and mixed case, longer words and identifiers', () => {
    const text = 'a secret, Confidential advice, CONFIDENTIALITY, SECRETS_MANAGER, TOP_SECRET, XSECRET, SECRET2, RESTRICTEDÉ, ÉSECRET';
    expect(markings(text)).toEqual([]);
  });

  it('accepts punctuation and non-letter characters as word boundaries', () => {
    expect(markings('SECRET//NOFORN “SECRET” SECRET—CONFIDENTIAL.')).toEqual([
      'marking SECRET',
      'marking SECRET',
      'marking SECRET',
      'marking CONFIDENTIAL',
    ]);
  });

  it('is surer of a banner with a control suffix', () => {
    expect(scan('SECRET//REL TO USA').map((f) => [f.confidence, f.trace?.context])).toEqual([[0.95, ['+banner']]]);
  });

  it('finds a marking split across chunks exactly once, at the same offset, whatever the chunk size', () => {
    const text = `${'é'.repeat(3)} ${'x'.repeat(100)} TOP   SECRET ${'y'.repeat(50)}\nCONFIDENTIAL`;
    const whole = scan(text);
    expect(whole.map((f) => f.excerpt)).toEqual(['marking TOP SECRET', 'marking CONFIDENTIAL']);
    for (const size of [1, 2, 3, 5, 8, 13, 21, 22, 40]) {
      expect(scan(text, {}, size), `chunks of ${size}`).toEqual(whole);
    }
  });

  it('keeps one key per distinct marking across the streams of an item', () => {
    const values = new DistinctValues();
    const first = scan('SECRET then SECRET', { values });
    const second = scan('CONFIDENTIAL and SECRET', { values });
    expect([...first, ...second].map((f) => f.valueKey)).toEqual([
      'classification_marking#1',
      'classification_marking#1',
      'classification_marking#2',
      'classification_marking#1',
    ]);
  });

  it('reports at most a bounded number of markings per stream', () => {
    expect(scan('SECRET\n'.repeat(MAX_MARKINGS_PER_STREAM + 50), {}, 64)).toHaveLength(MAX_MARKINGS_PER_STREAM);
  });

  it('scans document text like raw text', () => {
    expect(scan('Budget\nSECRET\n', { kind: 'document-text', entry: 'memo.docx!/word/document.xml' })).toMatchObject([
      { excerpt: 'marking SECRET', location: { entry: 'memo.docx!/word/document.xml', line: 2, offset: 7 } },
    ]);
  });
});

describe('dlp check: Office sensitivity labels', () => {
  const customXml = (properties: Record<string, string>) =>
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">' +
    Object.entries(properties)
      .map(
        ([name, value], i) =>
          `<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="${i + 2}" name="${name}"><vt:lpwstr>${value}</vt:lpwstr></property>`,
      )
      .join('') +
    '</Properties>';
  const guid = 'f42aa342-8706-4288-bd11-ebb85995028c';
  const labelled = (name: string, enabled = 'true') =>
    customXml({
      [`MSIP_Label_${guid}_Enabled`]: enabled,
      [`MSIP_Label_${guid}_SetDate`]: '2024-05-01T10:00:00Z',
      [`MSIP_Label_${guid}_Name`]: name,
    });
  const labels = (xml: string, chunkSize?: number) =>
    scan(xml, { entry: 'plan.docx!/docProps/custom.xml' }, chunkSize).map((f) => [
      f.excerpt,
      f.severity,
      f.location.entry,
      f.trace?.pattern,
    ]);

  it('reports the label by name, its severity following the name', () => {
    expect(labels(labelled('Highly Confidential'))).toEqual([
      ['sensitivity label "Highly Confidential"', 'high', 'plan.docx!/docProps/custom.xml', 'msip-label'],
    ]);
    expect(labels(labelled('Secret'))[0]?.[1]).toBe('high');
    expect(labels(labelled('Confidential - Internal'))[0]?.[1]).toBe('medium');
    expect(labels(labelled('General'))[0]?.[1]).toBe('low');
  });

  it('decodes entities in the name and reads it whatever the chunk size', () => {
    expect(labels(labelled('R&amp;D Confidential'), 7)).toEqual([
      ['sensitivity label "R&D Confidential"', 'medium', 'plan.docx!/docProps/custom.xml', 'msip-label'],
    ]);
  });

  it('ignores a label whose Enabled property is false, and other custom properties', () => {
    expect(labels(labelled('Highly Confidential', 'false'))).toEqual([]);
    expect(labels(customXml({ Department: 'Finance', ContentTypeId: '0x0101' }))).toEqual([]);
  });

  it('reads labels only from a custom properties part', () => {
    expect(scan(labelled('Highly Confidential'), { entry: 'plan.docx!/word/document.xml' })).toEqual([]);
    expect(scan(labelled('Highly Confidential'))).toEqual([]);
  });

  it('survives hostile markup without a label', () => {
    expect(labels('<'.repeat(100_000) + '<property name="MSIP_Label_x_Name">'.repeat(10_000))).toEqual([]);
  });
});
