import { describe, expect, it } from 'vitest';
import { createOfficeTextStream } from './office-text.js';

/** Runs `xml` through the transform in chunks of `size` bytes and returns the text. */
async function textOf(xml: string | Buffer, size = Number.MAX_SAFE_INTEGER): Promise<string> {
  const bytes = Buffer.from(xml);
  const stream = createOfficeTextStream();
  const out: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => out.push(chunk));
  for (let at = 0; at < bytes.length; at += size) stream.write(bytes.subarray(at, at + size));
  stream.end();
  await new Promise((resolve) => stream.on('end', resolve));
  return Buffer.concat(out).toString('utf8');
}

const DOCX =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
  '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">\n' +
  '  <w:body>\n' +
  '    <w:p><w:pPr><w:pStyle w:val="Title"/></w:pPr><w:r><w:t>Card: 4111 1111</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve"> 1111 1111</w:t></w:r></w:p>\n' +
  '    <w:p><w:r><w:t>R&amp;D &lt;draft&gt; &#x41;&#66; &quot;q&quot; &apos;a&apos;</w:t><w:tab/><w:t>after tab</w:t><w:br/><w:t>next line</w:t></w:r></w:p>\n' +
  '    <w:tbl><w:tr><w:tc><w:p><w:r><w:t>a1</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>b1</w:t></w:r></w:p></w:tc></w:tr></w:tbl>\n' +
  '  </w:body>\n' +
  '</w:document>\n';

const DOCX_TEXT = 'Card: 4111 1111 1111 1111\nR&D <draft> AB "q" \'a\'\tafter tab\nnext line\na1\n\tb1\n\t\n';

describe('OfficeTextTransform', () => {
  it('drops tags, joins the runs of a paragraph, decodes entities and ends paragraphs, rows and cells', async () => {
    expect(await textOf(DOCX)).toBe(DOCX_TEXT);
  });

  it('gives the same text whatever the chunk boundaries, a tag or an entity split across chunks included', async () => {
    for (const size of [1, 2, 3, 5, 7, 16, 64]) expect(await textOf(DOCX, size), `chunks of ${size}`).toBe(DOCX_TEXT);
  });

  it('reads spreadsheet shared strings and sheet cells, rich-text runs joined', async () => {
    const shared = '<sst><si><t>plain</t></si><si><r><t>41</t></r><r><rPr><b/></rPr><t>11</t></r></si></sst>';
    expect(await textOf(shared)).toBe('plain\n4111\n');
    const sheet =
      '<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>inline</t></is></c></row></sheetData></worksheet>';
    expect(await textOf(sheet)).toBe('0\tinline\t\n');
  });

  it('reads slide text and OpenDocument paragraphs', async () => {
    expect(await textOf('<p:sld><p:txBody><a:p><a:r><a:t>Slide</a:t></a:r><a:br/><a:r><a:t>two</a:t></a:r></a:p></p:txBody></p:sld>')).toBe(
      'Slide\ntwo\n',
    );
    expect(await textOf('<office:text><text:h>Title</text:h><text:p>One<text:s/>two<text:tab/>three</text:p></office:text>')).toBe(
      'Title\nOne two\tthree\n',
    );
  });

  it('keeps attribute values out of the text, even with > inside quotes, and skips comments', async () => {
    expect(await textOf('<w:p><w:r w:rsid="a>b" x=\'c>d\'><!-- a > b -- c --><w:t>ok</w:t></w:r></w:p>')).toBe('ok\n');
  });

  it('passes CDATA through as text and leaves unknown or broken entities as written', async () => {
    expect(await textOf('<t><![CDATA[a < b ]] c]]></t>')).toBe('a < b ]] c');
    expect(await textOf('<t>&nbsp; &#xD800; & x &amp</t>')).toBe('&nbsp; &#xD800; & x &amp');
  });

  it('keeps spaces inside text but drops indentation between tags', async () => {
    expect(await textOf('<w:t> </w:t><w:t>a</w:t>\n   <w:t>b</w:t>')).toBe(' ab');
  });

  it('keeps multi-byte characters intact across chunk boundaries', async () => {
    expect(await textOf('<w:t>Grüße – 東京</w:t>', 1)).toBe('Grüße – 東京');
  });

  it('passes an endless attribute and a long whitespace run through without holding on to them', async () => {
    const stream = createOfficeTextStream();
    let produced = 0;
    stream.on('data', (chunk: Buffer) => (produced += chunk.length));
    stream.write(Buffer.from('<w:t v="'));
    for (let i = 0; i < 64; i++) stream.write(Buffer.alloc(64 * 1024, 0x78));
    stream.write(Buffer.from('">'));
    for (let i = 0; i < 16; i++) stream.write(Buffer.alloc(64 * 1024, 0x20));
    stream.end('tail</w:t>');
    await new Promise((resolve) => stream.on('end', resolve));
    expect(produced).toBe(16 * 64 * 1024 + 4);
  });
});
