import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { CheckResult, InspectedItem } from '../check.js';
import { createSampleItem, runCheckContract } from '../check.case.test.js';
import { filetypeCheck, SAMPLE_BYTES } from './index.js';

// Every sample is built here from its format's documented header; no binary is committed for tests.

const MARKER = 'AIRLOCK-PLANTED-MARKER-7f3a';

runCheckContract(filetypeCheck, {
  clean: { path: 'notes/readme.txt', content: 'A plain paragraph of notes.\n' },
  flagged: { path: 'report.txt', content: Buffer.concat([elf(), Buffer.from(MARKER)]), marker: MARKER },
});

const inspect = (path: string, content: Buffer | string): Promise<CheckResult> =>
  filetypeCheck.inspect(createSampleItem({ path, content }), { signal: new AbortController().signal });

const detectors = (result: CheckResult): string[] => result.findings.map((finding) => finding.detector);

describe('FiletypeCheck', () => {
  it.each([
    ['ELF', 'tools/update', elf(), 'application/x-elf'],
    ['PE', 'setup.exe', pe(), 'application/x-msdownload'],
    ['DOS MZ without a PE header', 'old.exe', dosStub(), 'application/x-msdownload'],
    ['Mach-O 64-bit', 'a.out', machO64(), 'application/x-mach-binary'],
    ['Mach-O universal', 'Tool', machOUniversal(), 'application/x-mach-binary'],
  ])('reports %s content as a critical executable', async (_format, path, content, mime) => {
    const result = await inspect(path, content);
    expect(detectors(result)).toEqual(['executable']);
    expect(result.findings[0]).toMatchObject({ check: 'filetype', severity: 'critical', confidence: 0.99, location: { offset: 0 } });
    expect(result.type).toMatchObject({ mime, mismatch: false });
  });

  it('reports an ELF named report.txt as both an executable and a mismatch, describing without quoting', async () => {
    const result = await inspect('docs/report.txt', Buffer.concat([elf(), Buffer.from(MARKER)]));
    expect(detectors(result)).toEqual(['executable', 'extension_mismatch']);
    expect(result.findings[1]).toMatchObject({ severity: 'medium', confidence: 0.9, location: { offset: 0 } });
    expect(result.findings.map((finding) => finding.excerpt)).toEqual(['ELF executable content', 'ELF executable content, named .txt']);
    expect(result.type).toEqual({ mime: 'application/x-elf', ext: 'elf', declaredExt: 'txt', mismatch: true });
  });

  it('reports an executable under a document, image or script name as a mismatch too', async () => {
    for (const path of ['scan.pdf', 'photo.jpg', 'letter.docx', 'run.sh']) {
      expect(detectors(await inspect(path, pe()))).toEqual(['executable', 'extension_mismatch']);
    }
  });

  it('does not take a Java class file (same CAFEBABE magic as Mach-O universal) for an executable', async () => {
    const result = await inspect('Main.class', javaClass());
    expect(result.findings).toEqual([]);
    expect(result.type).toMatchObject({ mime: 'application/java-vm', ext: 'class' });
  });

  it.each([
    ['PNG named .png', 'logo.png', png(), 'image/png'],
    ['JPEG named .jpeg (alias of jpg)', 'photo.JPEG', jpeg(), 'image/jpeg'],
    ['plain zip named .docx', 'letter.docx', zip({ 'hello.txt': 'hello' }), 'application/zip'],
    ['OOXML zip named .docx', 'letter.docx', docx(), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    ['OOXML zip named .zip', 'letter.zip', docx(), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    ['small PDF made only of printable bytes', 'memo.pdf', '%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n', 'application/pdf'],
    ['CSV named .csv', 'data/q3.csv', 'region,orders\nNorth,412\n', 'text/csv'],
    ['JSON named .txt', 'payload.txt', '{"orders": [1, 2, 3]}\n', 'text/plain'],
    ['CSV whose first letters are the BMP magic', 'cars.csv', 'BMW,320i,2019\nAudi,A4,2020\n', 'text/csv'],
    ['text whose first letters are the MZ magic', 'states.txt', 'MZ is not a state code; MS and MO are.\n', 'text/plain'],
    ['UTF-8 text with accents', 'café.md', 'Crème brûlée, naïve façade, Ærøskøbing — déjà vu.\n', 'text/markdown'],
    ['Windows-1252 text named .csv', 'export.csv', Buffer.from('name,city\nJosé,Málaga\nFrançois,Besançon\n', 'latin1'), 'text/csv'],
    ['PEM certificate named .key', 'server.key', '-----BEGIN CERTIFICATE-----\nMIIBsz...\n', 'text/plain'],
    ['SSH public key named .pub', 'id_ed25519.pub', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 user@host\n', 'text/plain'],
    ['MPEG transport stream named .ts', 'clip.ts', mpegTs(), 'video/mp2t'],
    ['shell script with a shebang named .txt', 'install.txt', '#!/bin/sh\necho hello\n', 'text/plain'],
    ['binary of an unknown kind with an unknown extension', 'blob.dat', Buffer.from([0, 1, 2, 3, 0xff, 0x10]), 'application/octet-stream'],
    ['ELF with a generic .bin name', 'update.bin', elf(), 'application/x-elf'],
  ])('accepts a %s without a mismatch', async (_case, path, content, mime) => {
    const result = await inspect(path, content);
    expect(result.findings.map((finding) => finding.detector)).not.toContain('extension_mismatch');
    expect(result.type).toMatchObject({ mime, mismatch: false });
  });

  it.each([
    ['PNG named .jpg', 'photo.jpg', png(), 'PNG content, named .jpg'],
    ['docx named .xlsx', 'sheet.xlsx', docx(), 'DOCX content, named .xlsx'],
    ['binary named .txt', 'notes.txt', Buffer.from([0, 1, 2, 3, 0xff, 0x10]), 'unrecognised binary content, named .txt'],
    ['text named .pdf', 'invoice.pdf', 'Dear customer,\n', 'text content, named .pdf'],
  ])('reports a %s as a medium extension mismatch', async (_case, path, content, excerpt) => {
    const result = await inspect(path, content);
    expect(result.findings).toEqual([
      { check: 'filetype', detector: 'extension_mismatch', severity: 'medium', confidence: 0.9, location: { offset: 0 }, excerpt },
    ]);
    expect(result.type?.mismatch).toBe(true);
  });

  it('never reports a mismatch for a name without an extension', async () => {
    for (const path of ['Makefile', 'dir.d/README', '.bashrc']) {
      const result = await inspect(path, png());
      expect(result).toEqual({ findings: [], type: { mime: 'image/png', ext: 'png', declaredExt: '', mismatch: false } });
    }
  });

  it('reports nothing on an empty file, whatever its name', async () => {
    for (const path of ['empty.txt', 'empty.png', 'empty']) {
      const result = await inspect(path, '');
      expect(result.findings).toEqual([]);
      expect(result.type).toMatchObject({ mime: 'text/plain', mismatch: false });
    }
  });

  it('keeps text whose multi-byte character is cut by the end of the sample as text', async () => {
    const content = Buffer.from('a'.repeat(SAMPLE_BYTES - 1) + 'é'.repeat(10));
    expect((await inspect('long.txt', content)).type).toMatchObject({ mime: 'text/plain', mismatch: false });
  });

  describe('on real files', () => {
    const fileItem = (path: string, size: number, streams: ReturnType<typeof createReadStream>[]): InspectedItem => ({
      path,
      size,
      sha256: '',
      open: () => {
        const stream = createReadStream(path);
        streams.push(stream);
        return stream;
      },
    });

    it('reads only the start of a large file and closes the file', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'airlock-filetype-'));
      try {
        const path = join(dir, 'big.txt');
        await writeFile(path, Buffer.concat([elf(), Buffer.alloc(4 * 1024 * 1024, 0x41)]));
        const streams: ReturnType<typeof createReadStream>[] = [];
        const result = await filetypeCheck.inspect(fileItem(path, (await stat(path)).size, streams), {
          signal: AbortSignal.timeout(5_000),
        });
        expect(detectors(result)).toEqual(['executable', 'extension_mismatch']);
        expect(streams[0]?.bytesRead).toBeLessThan(1024 * 1024);
        // Destroying a file stream closes its descriptor asynchronously; the close must follow on its own.
        const [stream] = streams;
        if (stream && !stream.closed) await new Promise((resolve) => stream.once('close', resolve));
        expect(stream?.closed).toBe(true);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('flags the demo inbox tool as an executable and nothing else in the inbox', async () => {
      const inbox = join(import.meta.dirname, '../../examples/inbox');
      const signal = AbortSignal.timeout(5_000);
      const found: Record<string, string[]> = {};
      for (const name of ['readme.txt', 'notes.md', 'reports/q3-summary.csv', 'tools/update.bin']) {
        const path = join(inbox, name);
        found[name] = detectors(await filetypeCheck.inspect(fileItem(path, (await stat(path)).size, []), { signal }));
      }
      expect(found).toEqual({ 'readme.txt': [], 'notes.md': [], 'reports/q3-summary.csv': [], 'tools/update.bin': ['executable'] });
    });
  });
});

/** A 64-byte ELF64 header: x86-64 executable, no program or section headers. */
function elf(): Buffer {
  const header = Buffer.alloc(64);
  header.write('\x7fELF', 0, 'latin1');
  header.set([2, 1, 1], 4); // ELFCLASS64, little-endian, EV_CURRENT
  header.writeUInt16LE(2, 16); // ET_EXEC
  header.writeUInt16LE(0x3e, 18); // EM_X86_64
  header.writeUInt32LE(1, 20);
  header.writeUInt16LE(64, 52); // e_ehsize
  return header;
}

/** A DOS header whose e_lfanew (0x3c) points at a `PE\0\0` signature and an x86-64 COFF header. */
function pe(): Buffer {
  const image = Buffer.alloc(0x98);
  image.write('MZ', 0, 'latin1');
  image.writeUInt32LE(0x80, 0x3c);
  image.write('PE\0\0', 0x80, 'latin1');
  image.writeUInt16LE(0x8664, 0x84);
  return image;
}

/** A bare DOS header: MZ, bytes on the last page, page count, no PE header. */
function dosStub(): Buffer {
  return Buffer.concat([Buffer.from('MZ'), Buffer.from([0x90, 0, 3, 0]), Buffer.alloc(58)]);
}

/** MH_MAGIC_64 in little-endian order (cf fa ed fe), x86-64, MH_EXECUTE. */
function machO64(): Buffer {
  const header = Buffer.alloc(32);
  header.writeUInt32LE(0xfeedfacf, 0);
  header.writeUInt32LE(0x01000007, 4);
  header.writeUInt32LE(3, 8);
  header.writeUInt32LE(2, 12);
  return header;
}

/** FAT_MAGIC with two architecture entries (x86-64, arm64). */
function machOUniversal(): Buffer {
  const header = Buffer.alloc(48);
  header.writeUInt32BE(0xcafebabe, 0);
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(0x01000007, 8);
  header.writeUInt32BE(0x0100000c, 28);
  return header;
}

/** CAFEBABE, minor 0, major 52 (Java 8), and the start of a constant pool. */
function javaClass(): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32BE(0xcafebabe, 0);
  header.writeUInt16BE(52, 6);
  header.writeUInt16BE(12, 8);
  return header;
}

/** A valid 1x1 greyscale PNG. */
function png(): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const frame = Buffer.alloc(8 + body.length + 4);
    frame.writeUInt32BE(data.length, 0);
    body.copy(frame, 4);
    frame.writeUInt32BE(crc32(body), 4 + body.length);
    return frame;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr[8] = 8; // bit depth
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.from([0, 0]))), chunk('IEND', Buffer.alloc(0))]);
}

/** Two 188-byte MPEG transport stream packets, each opening with the 0x47 sync byte. */
function mpegTs(): Buffer {
  const packets = Buffer.alloc(376, 0xff);
  packets.set([0x47, 0x40, 0x00, 0x10], 0);
  packets.set([0x47, 0x1f, 0xff, 0x10], 188);
  return packets;
}

/** A JFIF start of image (ff d8 ff), an APP0 segment and an end of image (ff d9). */
function jpeg(): Buffer {
  return Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex');
}

/** An OOXML word-processing package as far as file-type looks: content types, then the main part. */
function docx(): Buffer {
  const main = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml';
  const types = `<?xml version="1.0"?><Types><Override PartName="/word/document.xml" ContentType="${main}"/></Types>`;
  return zip({ '[Content_Types].xml': types, 'word/document.xml': '<w:document/>' });
}

/** A zip archive with stored (uncompressed) entries. */
function zip(entries: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(entries)) {
    const [fileName, data] = [Buffer.from(name), Buffer.from(text)];
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fileName.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    local.copy(central, 16, 14, 26); // crc and sizes
    central.writeUInt16LE(fileName.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, fileName, data);
    centrals.push(central, fileName);
    offset += local.length + fileName.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
