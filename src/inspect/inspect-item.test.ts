import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Check } from '../../checks/check.js';
import { createChecks } from '../../checks/index.js';
import { gzipOf, markEncrypted, tarOf, zipOf } from './archives/archive-samples.test-support.js';
import { INCOMPLETE, inspectItem, type InspectionResult } from './inspect-item.js';
import { DEFAULT_LIMITS } from './inspection-limits.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-inspect-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ALL = createChecks(['filetype', 'patterns', 'dlp']);
const CARD = '4539 1488 0343 6467';
const CARD_DIGITS = CARD.replaceAll(' ', '');

async function inspect(
  name: string,
  content: Buffer | string,
  options: { checks?: readonly Check[]; limits?: typeof DEFAULT_LIMITS; timeoutMs?: number } = {},
) {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}-${path.basename(name)}`);
  await writeFile(file, content);
  return inspectItem(
    { path: name, file },
    { checks: options.checks ?? ALL, limits: options.limits ?? DEFAULT_LIMITS, timeoutMs: options.timeoutMs ?? 30_000 },
  );
}

const findings = (r: InspectionResult) => r.runs.flatMap((run) => run.findings);
const detectors = (r: InspectionResult) =>
  findings(r)
    .map((f) => `${f.detector}@${f.location.entry ?? ''}`)
    .sort();

/** A minimal .docx: the parts Office itself needs to recognise one, with text split across runs. */
function docx(paragraphXml: string, customXml?: string) {
  return zipOf([
    {
      name: '[Content_Types].xml',
      data: '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
    },
    { name: 'word/document.xml', data: `<?xml version="1.0"?><w:document xmlns:w="w"><w:body>${paragraphXml}</w:body></w:document>` },
    ...(customXml ? [{ name: 'docProps/custom.xml', data: customXml }] : []),
  ]);
}

describe('inspectItem', () => {
  it('reads a text file once for every check: hash, card, marking, type, all checks recorded as finished', async () => {
    const content = `Quarterly memo\nCONFIDENTIAL\npay with card ${CARD} today\n`;
    const result = await inspect('memo.txt', content);
    expect(result.sha256).toBe(createHash('sha256').update(content).digest('hex'));
    expect(result.size).toBe(Buffer.byteLength(content));
    expect(result.type).toMatchObject({ mime: 'text/plain', declaredExt: 'txt', mismatch: false });
    expect(result.runs.map((r) => [r.check, r.status])).toEqual([
      ['filetype', 'ok'],
      ['patterns', 'ok'],
      ['dlp', 'ok'],
    ]);
    expect(detectors(result)).toEqual(['classification_marking@', 'credit_card@']);
    const card = findings(result).find((f) => f.detector === 'credit_card')!;
    expect(card.location).toEqual({ line: 3, offset: content.indexOf(CARD) });
    expect(result.failedChecks).toEqual([]);
  });

  it('opens a .docx: a card split across formatting runs is found once, and the sensitivity label is reported', async () => {
    const runs = `<w:p><w:r><w:t>Card: ${CARD.slice(0, 9)}</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>${CARD.slice(9)}</w:t></w:r></w:p>`;
    const custom =
      '<?xml version="1.0"?><Properties><property name="MSIP_Label_0a1b_Enabled"><vt:lpwstr>true</vt:lpwstr></property>' +
      '<property name="MSIP_Label_0a1b_Name"><vt:lpwstr>Highly Confidential</vt:lpwstr></property></Properties>';
    const result = await inspect('report.docx', await docx(runs, custom));
    const cards = findings(result).filter((f) => f.detector === 'credit_card');
    expect(cards).toHaveLength(1);
    expect(cards[0]?.location.entry).toBe('report.docx!/word/document.xml');
    const label = findings(result).find((f) => f.detector === 'classification_marking');
    expect(label).toMatchObject({ severity: 'high', location: { entry: 'report.docx!/docProps/custom.xml' } });
    expect(label?.excerpt).toContain('Highly Confidential');
  });

  it('finds an executable and a key inside a tar.gz inside a zip, naming the nested entry', async () => {
    const elf = Buffer.alloc(64);
    Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(elf);
    const tgz = gzipOf(
      await tarOf([
        { name: 'bin/tool', data: elf },
        { name: 'keys/id', data: '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n' },
      ]),
    );
    const result = await inspect('bundle.zip', await zipOf([{ name: 'inner/pack.tar.gz', data: tgz }]));
    expect(detectors(result)).toEqual([
      'executable@bundle.zip!/inner/pack.tar.gz!/bin/tool',
      'private_key@bundle.zip!/inner/pack.tar.gz!/keys/id',
    ]);
  });

  it('reports an encrypted member and marks the item incomplete, so it can never be allowed', async () => {
    const zip = markEncrypted(
      await zipOf([
        { name: 'secret.txt', data: `card ${CARD}` },
        { name: 'ok.txt', data: 'hello' },
      ]),
      'secret.txt',
    );
    const result = await inspect('box.zip', zip);
    expect(detectors(result)).toContain('encrypted_archive@box.zip!/secret.txt');
    expect(result.failedChecks).toContain(INCOMPLETE);
    expect(result.skipped.map((s) => s.entry)).toEqual(['box.zip!/secret.txt']);
  });

  it('stops expanding an archive bomb at the limit and says so', async () => {
    const zip = await zipOf([{ name: 'zeros.bin', data: Buffer.alloc(8 * 1024 * 1024) }]);
    const result = await inspect('bomb.zip', zip, { limits: { ...DEFAULT_LIMITS, maxExpandedBytes: 2 * 1024 * 1024 } });
    expect(detectors(result)).toContain('archive_bomb@bomb.zip!/zeros.bin');
    expect(result.failedChecks).toContain(INCOMPLETE);
  });

  it('reports a truncated archive as corrupt instead of failing', async () => {
    const zip = await zipOf([{ name: 'a.txt', data: 'x'.repeat(5000) }]);
    const result = await inspect('cut.zip', zip.subarray(0, zip.length - 30));
    expect(detectors(result).some((d) => d.startsWith('corrupt_file@'))).toBe(true);
  });

  it('records a scanner that throws as a failed check without stopping the others, and keeps content out of the error', async () => {
    const crashing: Check = {
      id: 'crashing',
      version: '1',
      description: 'throws while scanning',
      createScanner: () => ({
        write(chunk) {
          throw new RangeError(`bad byte in ${chunk.toString()}`);
        },
        end: () => [],
      }),
    };
    const result = await inspect('memo.txt', `card ${CARD}`, { checks: [...ALL, crashing] });
    expect(result.failedChecks).toEqual(['crashing']);
    expect(result.runs.find((r) => r.check === 'crashing')).toMatchObject({ status: 'error', error: 'the check threw RangeError' });
    expect(detectors(result)).toContain('credit_card@');
    expect(JSON.stringify(result)).not.toContain(CARD_DIGITS);
    expect(JSON.stringify(result)).not.toContain(CARD);
  });

  it('times out a check that never finishes and fails every unfinished check closed', async () => {
    const hanging: Check = { id: 'hanging', version: '1', description: 'never returns', inspect: () => new Promise(() => {}) };
    const result = await inspect('memo.txt', 'hello', { checks: [...ALL, hanging], timeoutMs: 300 });
    expect(result.runs.find((r) => r.check === 'hanging')?.status).toBe('timeout');
    expect(result.failedChecks).toContain('hanging');
  });

  it('numbers distinct values across the members of one item', async () => {
    const other = '4716 1089 9971 6531';
    const zip = await zipOf([
      { name: 'a.txt', data: `${CARD}\n${other}` },
      { name: 'b.txt', data: CARD },
    ]);
    const keys = findings(await inspect('cards.zip', zip))
      .filter((f) => f.detector === 'credit_card')
      .map((f) => f.valueKey);
    expect(keys).toEqual(['credit_card#1', 'credit_card#2', 'credit_card#1']);
  });
});
