import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HEADER_BYTES, newFileSeal, openChunk, parseHeader, sealChunk } from './encrypted-file-format.js';

// The stream tests prove whole files; these prove each binding in the AAD on its own, since the file
// layout alone already catches most rearrangements and would hide a binding that silently went missing.
const key = randomBytes(32);
const context = 'ticket/item';

describe('sealed chunk bindings', () => {
  const file = newFileSeal(key, { context, chunkSize: 1024 });
  const plaintext = randomBytes(1024);

  it('opens a chunk at its own index with its own final flag', () => {
    expect(openChunk(file, 3, false, Buffer.concat(sealChunk(file, 3, false, plaintext))).equals(plaintext)).toBe(true);
    expect(openChunk(file, 3, true, Buffer.concat(sealChunk(file, 3, true, plaintext))).equals(plaintext)).toBe(true);
  });

  it('binds the final flag: a chunk sealed as not final does not open as final, and the reverse', () => {
    expect(() => openChunk(file, 3, true, Buffer.concat(sealChunk(file, 3, false, plaintext)))).toThrow(/chunk 3 failed authentication/);
    expect(() => openChunk(file, 3, false, Buffer.concat(sealChunk(file, 3, true, plaintext)))).toThrow(/chunk 3 failed authentication/);
  });

  it('binds the index', () => {
    expect(() => openChunk(file, 4, false, Buffer.concat(sealChunk(file, 3, false, plaintext)))).toThrow(/chunk 4 failed authentication/);
  });

  it('binds the whole header, even a field the key derivation does not use', () => {
    const header = Buffer.from(file.header);
    header.writeUInt32BE(2048, 8); // another valid chunk size
    const reread = parseHeader(key, header, context);
    expect(() => openChunk(reread, 0, false, Buffer.concat(sealChunk(file, 0, false, plaintext)))).toThrow(/failed authentication/);
  });

  it('derives a key per file id and per context', () => {
    const sealed = Buffer.concat(sealChunk(file, 0, true, plaintext));
    expect(openChunk(parseHeader(key, file.header, context), 0, true, sealed).equals(plaintext)).toBe(true);
    expect(() => openChunk(parseHeader(key, file.header, 'ticket/other'), 0, true, sealed)).toThrow(/failed authentication/);
    const otherId = Buffer.from(file.header);
    otherId[HEADER_BYTES - 20]! ^= 1;
    expect(() => openChunk(parseHeader(key, otherId, context), 0, true, sealed)).toThrow(/failed authentication/);
  });

  it('refuses chunk sizes outside the supported range when sealing', () => {
    expect(() => newFileSeal(key, { context, chunkSize: 100 })).toThrow(/outside/);
    expect(() => newFileSeal(key, { context, chunkSize: 8 * 1024 * 1024 })).toThrow(/outside/);
  });
});
