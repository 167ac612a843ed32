import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gzipOf, renameMember, tarOf, walkSample, zipOf } from './archive-samples.test-support.js';
import { containerKindOf } from './container-kind.js';
import { walkContainer } from './walk-container.js';

const texts = (walked: { members: { entry: string; text: string }[] }) => walked.members.map((m) => [m.entry, m.text]);

describe('containerKindOf', () => {
  it('recognises zip (also empty), gzip and ustar tar by their magic bytes, and nothing else', async () => {
    expect(containerKindOf(await zipOf([{ name: 'a', data: 'x' }]))).toBe('zip');
    expect(containerKindOf(await zipOf([]))).toBe('zip');
    expect(containerKindOf(gzipOf('x'))).toBe('gzip');
    expect(containerKindOf(await tarOf([{ name: 'a', data: 'x' }]))).toBe('tar');
    expect(containerKindOf(Buffer.from('PK but not a zip'))).toBeUndefined();
    expect(containerKindOf(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('walkContainer', () => {
  it('visits the members of a zip in order, as raw streams named outer!/member', async () => {
    const zip = await zipOf([
      { name: 'a.txt', data: 'alpha' },
      { name: 'dir/b.txt', data: 'beta', compress: false },
    ]);
    const walked = await walkSample(zip, 'report.zip', 'zip');
    expect(walked.members).toEqual([
      { entry: 'report.zip!/a.txt', kind: 'raw', text: 'alpha' },
      { entry: 'report.zip!/dir/b.txt', kind: 'raw', text: 'beta' },
    ]);
    expect(walked).toMatchObject({ findings: [], skipped: [], membersVisited: 2, expandedBytes: 9 });
  });

  it('visits the files of a tar and passes over directories and links', async () => {
    const bytes = await tarOf([
      { name: 'dir/', type: 'directory' },
      { name: 'dir/a.txt', data: 'alpha' },
      { name: 'link', type: 'symlink' },
      { name: 'b.txt', data: 'beta' },
    ]);
    const walked = await walkSample(bytes, 'backup.tar', 'tar');
    expect(texts(walked)).toEqual([
      ['backup.tar!/dir/a.txt', 'alpha'],
      ['backup.tar!/b.txt', 'beta'],
    ]);
    expect(walked.skipped).toEqual([]);
  });

  it('names a gzip payload after the gzip, and reads concatenated gzip members as one payload', async () => {
    const walked = await walkSample(Buffer.concat([gzipOf('first '), gzipOf('second')]), 'notes.txt.gz', 'gzip');
    expect(texts(walked)).toEqual([['notes.txt.gz!/notes.txt', 'first second']]);
    expect(walked.findings).toEqual([]);
  });

  it('opens a .tar.gz as one container, listing the tar members directly under it', async () => {
    const walked = await walkSample(gzipOf(await tarOf([{ name: 'a.txt', data: 'alpha' }])), 'site.tgz', 'gzip');
    expect(texts(walked)).toEqual([['site.tgz!/a.txt', 'alpha']]);
  });

  it('recurses into nested containers recognised by content, not by name, and removes its spills', async () => {
    const deeper = await zipOf([{ name: 'b.txt', data: 'bravo' }]);
    const inner = await tarOf([
      { name: 'a.txt', data: 'alpha' },
      { name: 'data.bin', data: deeper },
      { name: 'fake.zip', data: 'just text' },
    ]);
    const outer = await zipOf([
      { name: 'inner.tar', data: inner },
      { name: 'c.txt.gz', data: gzipOf('charlie'), compress: false },
    ]);
    const walked = await walkSample(outer, 'outer.zip', 'zip');
    expect(texts(walked)).toEqual([
      ['outer.zip!/inner.tar!/a.txt', 'alpha'],
      ['outer.zip!/inner.tar!/data.bin!/b.txt', 'bravo'],
      ['outer.zip!/inner.tar!/fake.zip', 'just text'],
      ['outer.zip!/c.txt.gz!/c.txt', 'charlie'],
    ]);
    expect(walked.findings).toEqual([]);
    expect(walked.leftovers).toEqual([]);
  });

  it('passes the text parts of an Office document as text, runs joined, and its other parts raw', async () => {
    const body =
      '<?xml version="1.0"?><w:document><w:body><w:p><w:r><w:t>Card 4111 1111</w:t></w:r><w:r><w:t xml:space="preserve"> 1111 1111</w:t></w:r></w:p>' +
      '<w:p><w:r><w:t>Tom &amp; Jerry</w:t></w:r></w:p></w:body></w:document>';
    const docx = await zipOf([
      { name: 'word/document.xml', data: body },
      { name: '[Content_Types].xml', data: '<Types/>' },
      { name: 'docProps/custom.xml', data: '<Properties/>' },
      { name: 'word/footer1.xml', data: '<w:ftr><w:p><w:r><w:t>footer</w:t></w:r></w:p></w:ftr>' },
    ]);
    const walked = await walkSample(docx, 'memo.docx', 'zip');
    expect(walked.members).toEqual([
      { entry: 'memo.docx!/word/document.xml', kind: 'document-text', text: 'Card 4111 1111 1111 1111\nTom & Jerry\n' },
      { entry: 'memo.docx!/[Content_Types].xml', kind: 'raw', text: '<Types/>' },
      { entry: 'memo.docx!/docProps/custom.xml', kind: 'raw', text: '<Properties/>' },
      { entry: 'memo.docx!/word/footer1.xml', kind: 'document-text', text: 'footer\n' },
    ]);
  });

  it('finds the text parts of spreadsheets, presentations and OpenDocument files', async () => {
    const xlsx = await zipOf([
      { name: '[Content_Types].xml', data: '<Types/>' },
      { name: 'xl/sharedStrings.xml', data: '<sst><si><t>name</t></si></sst>' },
      { name: 'xl/worksheets/sheet1.xml', data: '<row><c><v>42</v></c></row>' },
      { name: 'xl/styles.xml', data: '<styleSheet/>' },
    ]);
    const kinds = async (bytes: Buffer, name: string) =>
      (await walkSample(bytes, name, 'zip')).members.map((m) => `${m.entry} ${m.kind} ${JSON.stringify(m.text)}`);
    expect(await kinds(xlsx, 'book.xlsx')).toEqual([
      'book.xlsx!/[Content_Types].xml raw "<Types/>"',
      'book.xlsx!/xl/sharedStrings.xml document-text "name\\n"',
      'book.xlsx!/xl/worksheets/sheet1.xml document-text "42\\t\\n"',
      'book.xlsx!/xl/styles.xml raw "<styleSheet/>"',
    ]);
    const pptx = await zipOf([
      { name: '[Content_Types].xml', data: '<Types/>' },
      { name: 'ppt/slides/slide1.xml', data: '<a:p><a:r><a:t>slide</a:t></a:r></a:p>' },
      { name: 'ppt/notesSlides/notesSlide1.xml', data: '<a:p><a:r><a:t>notes</a:t></a:r></a:p>' },
    ]);
    expect((await kinds(pptx, 'deck.pptx')).slice(1)).toEqual([
      'deck.pptx!/ppt/slides/slide1.xml document-text "slide\\n"',
      'deck.pptx!/ppt/notesSlides/notesSlide1.xml document-text "notes\\n"',
    ]);
    const odt = await zipOf([
      { name: 'mimetype', data: 'application/vnd.oasis.opendocument.text', compress: false },
      { name: 'content.xml', data: '<office:text><text:p>body</text:p></office:text>' },
    ]);
    expect((await kinds(odt, 'letter.odt')).slice(1)).toEqual(['letter.odt!/content.xml document-text "body\\n"']);
  });

  it('reads the same parts raw in a zip that is not an Office package', async () => {
    const walked = await walkSample(await zipOf([{ name: 'word/document.xml', data: '<w:t>x</w:t>' }]), 'plain.zip', 'zip');
    expect(walked.members).toEqual([{ entry: 'plain.zip!/word/document.xml', kind: 'raw', text: '<w:t>x</w:t>' }]);
  });

  it('opens a container hidden under an Office text part name instead of reducing it to text', async () => {
    const hidden = await zipOf([{ name: 'secret.txt', data: 'hidden' }]);
    const docx = await zipOf([
      { name: '[Content_Types].xml', data: '<Types/>' },
      { name: 'word/document.xml', data: hidden },
    ]);
    expect(texts(await walkSample(docx, 'memo.docx', 'zip'))).toEqual([
      ['memo.docx!/[Content_Types].xml', '<Types/>'],
      ['memo.docx!/word/document.xml!/secret.txt', 'hidden'],
    ]);
  });

  it('inspects members with traversal, absolute and backslash names, shown as stored with controls escaped', async () => {
    let zip = await zipOf([
      { name: 'xx/evil.txt', data: 'one' },
      { name: 'xabs.txt', data: 'two' },
      { name: 'dir/win.txt', data: 'three' },
      { name: 'bell.txt', data: 'four' },
    ]);
    zip = renameMember(zip, 'xx/evil.txt', '../evil.txt');
    zip = renameMember(zip, 'xabs.txt', '/abs.txt');
    zip = renameMember(zip, 'dir/win.txt', 'dir\\win.txt');
    zip = renameMember(zip, 'bell.txt', 'be\x07\x1b.txt');
    expect(texts(await walkSample(zip, 'x.zip', 'zip'))).toEqual([
      ['x.zip!/../evil.txt', 'one'],
      ['x.zip!//abs.txt', 'two'],
      ['x.zip!/dir\\win.txt', 'three'],
      ['x.zip!/be\\x07\\x1b.txt', 'four'],
    ]);
  });

  it('escapes bidirectional overrides in tar names and in the display name', async () => {
    const walked = await walkSample(await tarOf([{ name: 'invoice\u202Etxt.exe', data: 'x' }]), 'a\nb.tar', 'tar');
    expect(walked.members.map((m) => m.entry)).toEqual(['a\\x0ab.tar!/invoice\\u{202e}txt.exe']);
  });

  it('goes on with the next member when the visitor destroys a stream early', async () => {
    const big = 'x'.repeat(1024 * 1024);
    for (const [bytes, name, kind] of [
      [
        await zipOf([
          { name: 'big.txt', data: big },
          { name: 'small.txt', data: 'small' },
        ]),
        'a.zip',
        'zip',
      ],
      [
        await tarOf([
          { name: 'big.txt', data: big },
          { name: 'small.txt', data: 'small' },
        ]),
        'a.tar',
        'tar',
      ],
    ] as const) {
      const seen: string[] = [];
      const walked = await walkSample(bytes, name, kind, {
        visit: async (member) => {
          seen.push(member.entry);
          (member.stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
        },
      });
      expect(seen).toEqual([`${name}!/big.txt`, `${name}!/small.txt`]);
      expect(walked).toMatchObject({ findings: [], skipped: [] });
    }
  });

  it('accepts an empty zip', async () => {
    expect(await walkSample(await zipOf([]), 'empty.zip', 'zip')).toMatchObject({ findings: [], skipped: [], membersVisited: 0 });
  });

  it('rejects with the visitor’s own error', async () => {
    const zip = await zipOf([{ name: 'a.txt', data: 'alpha' }]);
    const failing = walkSample(zip, 'a.zip', 'zip', { visit: () => Promise.reject(new Error('scanner broke')) });
    await expect(failing).rejects.toThrow('scanner broke');
  });

  it('rejects with the abort reason when the signal aborts mid-walk', async () => {
    const controller = new AbortController();
    const zip = await zipOf([
      { name: 'a.txt', data: 'alpha' },
      { name: 'b.txt', data: 'beta' },
    ]);
    const walking = walkSample(zip, 'a.zip', 'zip', {
      signal: controller.signal,
      visit: async (member) => {
        controller.abort(new Error('cancelled'));
        for await (const chunk of member.stream) void chunk;
      },
    });
    await expect(walking).rejects.toThrow('cancelled');
  });

  it('rejects when the file cannot be read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-archives-'));
    try {
      const walking = walkContainer({ file: join(dir, 'missing.zip'), name: 'missing.zip', kind: 'zip' }, async () => {}, {
        limits: { maxDepth: 3, maxRatio: 100, maxExpandedBytes: 1e9, maxEntries: 100 },
        tempDir: dir,
      });
      await expect(walking).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
