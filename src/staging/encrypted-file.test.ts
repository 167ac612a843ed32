import { createHash, createSecretKey, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { createDecryptStream, createEncryptStream } from './encrypted-file.js';
import { HEADER_BYTES, TAG_BYTES } from './encrypted-file-format.js';

const key = createSecretKey(randomBytes(32));
const context = 'ticket/item';
const CHUNK = 1024;
const RECORD = CHUNK + TAG_BYTES;

async function seal(plaintext: Buffer, options: { chunkSize?: number; sealKey?: Buffer | typeof key } = {}): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from([plaintext]),
    createEncryptStream(options.sealKey ?? key, { context, chunkSize: options.chunkSize ?? CHUNK }),
    collect(out),
  );
  return Buffer.concat(out);
}

/** Decrypts, feeding the sealed bytes in awkward 7-byte pieces; returns what was emitted and any error. */
async function unseal(sealed: Buffer, options: { openKey?: typeof key; openContext?: string } = {}) {
  const pieces = Array.from({ length: Math.ceil(sealed.length / 7) }, (_, i) => sealed.subarray(i * 7, i * 7 + 7));
  const out: Buffer[] = [];
  const error = await pipeline(
    Readable.from(pieces),
    createDecryptStream(options.openKey ?? key, { context: options.openContext ?? context }),
    collect(out),
  ).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { plaintext: Buffer.concat(out), error };
}

function collect(into: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      into.push(Buffer.from(chunk));
      callback();
    },
  });
}

describe('sealed staging file: round trip', () => {
  it.each([
    ['0 bytes', 0],
    ['1 byte', 1],
    ['exactly one chunk', CHUNK],
    ['one byte short of a chunk', CHUNK - 1],
    ['many chunks and a remainder', 7 * CHUNK + 123],
    ['an exact multiple of the chunk size', 5 * CHUNK],
  ])('decrypts %s back to the same bytes', async (_name, size) => {
    const plaintext = randomBytes(size);
    const sealed = await seal(plaintext);
    // Header, one record per full chunk, and a final chunk that is always shorter than a full one.
    expect(sealed.length).toBe(HEADER_BYTES + Math.floor(size / CHUNK) * RECORD + (size % CHUNK) + TAG_BYTES);
    const { plaintext: back, error } = await unseal(sealed);
    expect(error).toBeUndefined();
    expect(back.equals(plaintext)).toBe(true);
  });

  it('seals the same plaintext differently each time (fresh file id and nonce prefix)', async () => {
    const plaintext = Buffer.alloc(3000, 7);
    expect((await seal(plaintext)).equals(await seal(plaintext))).toBe(false);
  });

  it('streams 50 MiB at the default chunk size without buffering more than a few chunks', async () => {
    const total = 50 * 1024 * 1024;
    const piece = 64 * 1024;
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < total / piece; i++) yield Buffer.alloc(piece, i % 251);
      })(),
    );
    const encrypt = createEncryptStream(key, { context });
    const decrypt = createDecryptStream(key, { context });
    const expected = createHash('sha256');
    for (let i = 0; i < total / piece; i++) expected.update(Buffer.alloc(piece, i % 251));
    const hash = createHash('sha256');
    let size = 0;
    let mostBuffered = 0;
    await pipeline(
      source,
      encrypt,
      decrypt,
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          size += chunk.length;
          const buffered = encrypt.readableLength + encrypt.writableLength + decrypt.readableLength + decrypt.writableLength;
          mostBuffered = Math.max(mostBuffered, buffered);
          callback();
        },
      }),
    );
    expect(size).toBe(total);
    expect(hash.digest('hex')).toBe(expected.digest('hex'));
    // Both transforms together never queue more than a few 64 KiB chunks, whatever the stream's length.
    // (Sampling rss instead proved flaky: V8 frees chunk buffers lazily, so it measures the collector.)
    expect(mostBuffered).toBeGreaterThan(0);
    expect(mostBuffered).toBeLessThanOrEqual(4 * (64 * 1024 + TAG_BYTES));
  });
});

describe('sealed staging file: tampering is refused, and no unverified plaintext is emitted', () => {
  const plaintext = Buffer.concat(Array.from({ length: 6 }, (_, i) => Buffer.alloc(CHUNK, 0x41 + i)).concat(Buffer.from('tail')));
  const sealedOnce = seal(plaintext);
  const recordAt = (i: number) => HEADER_BYTES + i * RECORD;

  async function expectRefused(sealed: Buffer, released: number, options: Parameters<typeof unseal>[1] = {}) {
    const { plaintext: emitted, error } = await unseal(sealed, options);
    expect(error).toMatchObject({ code: 'integrity_mismatch' });
    // Only chunks before the bad one ever came out, and they are the genuine bytes.
    expect(emitted.equals(plaintext.subarray(0, released))).toBe(true);
  }

  it('a flipped bit inside a chunk', async () => {
    const sealed = Buffer.from(await sealedOnce);
    sealed[recordAt(3) + 100]! ^= 0x01;
    await expectRefused(sealed, 3 * CHUNK);
  });

  it('a flipped bit in a tag', async () => {
    const sealed = Buffer.from(await sealedOnce);
    sealed[recordAt(2) + RECORD - 1]! ^= 0x80;
    await expectRefused(sealed, 2 * CHUNK);
  });

  it('two chunks swapped', async () => {
    const original = await sealedOnce;
    const sealed = Buffer.from(original);
    original.copy(sealed, recordAt(1), recordAt(2), recordAt(3));
    original.copy(sealed, recordAt(2), recordAt(1), recordAt(2));
    await expectRefused(sealed, CHUNK);
  });

  it('a chunk duplicated in place of another', async () => {
    const original = await sealedOnce;
    const sealed = Buffer.from(original);
    original.copy(sealed, recordAt(4), recordAt(3), recordAt(4));
    await expectRefused(sealed, 4 * CHUNK);
  });

  it('a chunk dropped from the middle', async () => {
    const original = await sealedOnce;
    const sealed = Buffer.concat([original.subarray(0, recordAt(2)), original.subarray(recordAt(3))]);
    await expectRefused(sealed, 2 * CHUNK);
  });

  it('truncated: the final chunk dropped, the cut falling on a chunk boundary', async () => {
    const original = await sealedOnce;
    await expectRefused(original.subarray(0, recordAt(6)), 6 * CHUNK);
  });

  it('truncated inside the final chunk', async () => {
    const original = await sealedOnce;
    await expectRefused(original.subarray(0, original.length - 3), 6 * CHUNK);
  });

  it('truncated inside the header, or empty', async () => {
    const original = await sealedOnce;
    await expectRefused(original.subarray(0, 20), 0);
    await expectRefused(Buffer.alloc(0), 0);
  });

  it('garbage appended after the final chunk, short or long', async () => {
    const original = await sealedOnce;
    await expectRefused(Buffer.concat([original, Buffer.from('x')]), 6 * CHUNK);
    await expectRefused(Buffer.concat([original, randomBytes(3 * RECORD)]), 6 * CHUNK);
  });

  it('an empty file with garbage appended', async () => {
    const sealed = await seal(Buffer.alloc(0));
    const { error } = await unseal(Buffer.concat([sealed, Buffer.alloc(RECORD + 5)]));
    expect(error).toMatchObject({ code: 'integrity_mismatch' });
  });

  it.each([
    ['the magic', 0],
    ['the version', 4],
    ['a reserved byte', 6],
    ['the chunk size', 10],
    ['the file id', 20],
    ['the nonce prefix', 30],
  ])('a changed header byte in %s', async (_name, offset) => {
    const sealed = Buffer.from(await sealedOnce);
    sealed[offset]! ^= 0x04;
    await expectRefused(sealed, 0);
  });

  it('the wrong ticket key', async () => {
    await expectRefused(await sealedOnce, 0, { openKey: createSecretKey(randomBytes(32)) });
  });

  it('the right key but another item (context)', async () => {
    await expectRefused(await sealedOnce, 0, { openContext: 'ticket/other-item' });
  });

  it('a sealed file from another plaintext spliced in chunk by chunk', async () => {
    const other = await seal(Buffer.alloc(plaintext.length, 0x5a));
    const sealed = Buffer.from(await sealedOnce);
    other.copy(sealed, recordAt(1), recordAt(1), recordAt(2));
    await expectRefused(sealed, CHUNK);
  });

  it('a message that names the failed check without quoting content', async () => {
    const sealed = Buffer.from(await sealedOnce);
    sealed[recordAt(0) + 5]! ^= 1;
    const { error } = await unseal(sealed);
    expect((error as Error).message).toMatch(/chunk 0 failed authentication/);
    expect((error as Error).message).not.toMatch(/AAAA/);
  });
});
