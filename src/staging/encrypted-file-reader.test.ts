import { createSecretKey, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEncryptStream } from './encrypted-file.js';
import { EncryptedFileReader, readPlaintextRange } from './encrypted-file-reader.js';
import { HEADER_BYTES, TAG_BYTES } from './encrypted-file-format.js';

const key = createSecretKey(randomBytes(32));
const context = 'ticket/item';
const CHUNK = 1024;
const plaintext = randomBytes(5 * CHUNK + 300);

let dir: string;
let sealedFile: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-sealed-'));
  sealedFile = path.join(dir, 'sealed');
  await pipeline(Readable.from([plaintext]), createEncryptStream(key, { context, chunkSize: CHUNK }), createWriteStream(sealedFile));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function copyWith(change: (bytes: Buffer) => Buffer): Promise<string> {
  const file = path.join(dir, `copy-${randomBytes(4).toString('hex')}`);
  await writeFile(file, change(Buffer.from(await readFile(sealedFile))));
  return file;
}

describe('random access to a sealed file', () => {
  it('knows the authenticated plaintext size', async () => {
    const reader = await EncryptedFileReader.open(sealedFile, key, { context });
    expect(reader.size).toBe(plaintext.length);
    await reader.close();
  });

  it.each([
    ['the first byte', 0, 1],
    ['a whole first chunk', 0, CHUNK],
    ['the last byte of a chunk', CHUNK - 1, 1],
    ['across one chunk boundary', CHUNK - 10, 20],
    ['exactly one middle chunk', 2 * CHUNK, CHUNK],
    ['across several chunks', CHUNK + 1, 3 * CHUNK],
    ['the final, short chunk', 5 * CHUNK, 300],
    ['the last byte', 5 * CHUNK + 299, 1],
    ['everything', 0, 5 * CHUNK + 300],
    ['nothing, at the very end', 5 * CHUNK + 300, 0],
  ])('reads %s', async (_name, start, length) => {
    const bytes = await readPlaintextRange(sealedFile, key, start, length, { context });
    expect(bytes.equals(plaintext.subarray(start, start + length))).toBe(true);
  });

  it('refuses a range past the end instead of returning fewer bytes', async () => {
    await expect(readPlaintextRange(sealedFile, key, 5 * CHUNK, 301, { context })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(readPlaintextRange(sealedFile, key, -1, 2, { context })).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('a range away from a tampered chunk still reads; one touching it fails', async () => {
    const file = await copyWith((bytes) => {
      bytes[HEADER_BYTES + 3 * (CHUNK + TAG_BYTES) + 7]! ^= 1;
      return bytes;
    });
    expect((await readPlaintextRange(file, key, 0, 100, { context })).equals(plaintext.subarray(0, 100))).toBe(true);
    await expect(readPlaintextRange(file, key, 3 * CHUNK + 500, 10, { context })).rejects.toMatchObject({ code: 'integrity_mismatch' });
  });

  it('refuses a file cut at a chunk boundary or extended, whatever range is asked for', async () => {
    const cut = path.join(dir, 'cut');
    await writeFile(cut, await readFile(sealedFile));
    await truncate(cut, HEADER_BYTES + 5 * (CHUNK + TAG_BYTES));
    await expect(readPlaintextRange(cut, key, 0, 10, { context })).rejects.toMatchObject({ code: 'integrity_mismatch' });
    const extended = await copyWith((bytes) => Buffer.concat([bytes, Buffer.from('more')]));
    await expect(readPlaintextRange(extended, key, 0, 10, { context })).rejects.toMatchObject({ code: 'integrity_mismatch' });
  });

  it('refuses the wrong key, another context, a changed header and a file shorter than its header', async () => {
    await expect(readPlaintextRange(sealedFile, createSecretKey(randomBytes(32)), 0, 1, { context })).rejects.toMatchObject({
      code: 'integrity_mismatch',
    });
    await expect(readPlaintextRange(sealedFile, key, 0, 1, { context: 'ticket/other' })).rejects.toMatchObject({
      code: 'integrity_mismatch',
    });
    const header = await copyWith((bytes) => {
      bytes[15]! ^= 1;
      return bytes;
    });
    await expect(readPlaintextRange(header, key, 0, 1, { context })).rejects.toMatchObject({ code: 'integrity_mismatch' });
    const stub = await copyWith((bytes) => bytes.subarray(0, 10));
    await expect(readPlaintextRange(stub, key, 0, 1, { context })).rejects.toMatchObject({ code: 'integrity_mismatch' });
  });

  it('yields a long range chunk by chunk rather than in one buffer', async () => {
    const reader = await EncryptedFileReader.open(sealedFile, key, { context });
    const sizes: number[] = [];
    for await (const part of reader.chunks(10, plaintext.length)) sizes.push(part.length);
    await reader.close();
    expect(sizes).toEqual([CHUNK - 10, CHUNK, CHUNK, CHUNK, CHUNK, 300]);
  });
});
