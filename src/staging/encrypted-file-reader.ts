import { open, type FileHandle } from 'node:fs/promises';
import { AirlockError } from '../errors.js';
import { HEADER_BYTES, TAG_BYTES, integrityError, openChunk, parseHeader, type DataKey, type FileSeal } from './encrypted-file-format.js';

/**
 * Random access to stored ciphertext bytes: a local file, or an object store serving byte ranges. `read` may
 * return fewer bytes than asked only at the end of the data.
 */
export interface RandomAccessSource {
  size(): Promise<number>;
  read(position: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** A local file as a RandomAccessSource. */
export async function openFileSource(path: string): Promise<RandomAccessSource> {
  const handle = await open(path, 'r');
  return {
    size: async () => (await handle.stat()).size,
    read: (position, length) => readFromHandle(handle, position, length),
    close: () => handle.close(),
  };
}

/**
 * Random access to the plaintext of a sealed file. Opening reads the header and authenticates the final
 * chunk, so `size` is the sealed size and a file cut or extended is refused before any read; each read then
 * decrypts and authenticates only the chunks covering its range.
 */
export class EncryptedFileReader {
  private constructor(
    private readonly source: RandomAccessSource,
    private readonly file: FileSeal,
    private readonly finalIndex: number,
    private readonly finalPlaintext: Buffer,
    /** The plaintext size, authenticated. */
    readonly size: number,
  ) {}

  static async open(path: string, key: DataKey, options: { context: string }): Promise<EncryptedFileReader> {
    return EncryptedFileReader.fromSource(await openFileSource(path), key, options);
  }

  /** As `open`, over any source of the sealed bytes; the reader owns `handle` and closes it. */
  static async fromSource(handle: RandomAccessSource, key: DataKey, options: { context: string }): Promise<EncryptedFileReader> {
    try {
      const fileSize = await handle.size();
      const header = await readExactly(handle, 0, HEADER_BYTES);
      const file = parseHeader(key, header, options.context);
      const record = file.chunkSize + TAG_BYTES;
      const body = fileSize - HEADER_BYTES;
      const finalIndex = Math.floor(body / record);
      const finalLength = body - finalIndex * record;
      if (finalLength < TAG_BYTES) throw integrityError(`it ends without its final chunk (after ${finalIndex} chunks)`);
      const sealed = await readExactly(handle, HEADER_BYTES + finalIndex * record, finalLength);
      const finalPlaintext = openChunk(file, finalIndex, true, sealed);
      return new EncryptedFileReader(handle, file, finalIndex, finalPlaintext, finalIndex * file.chunkSize + finalPlaintext.length);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Plaintext bytes [start, end), chunk by chunk, each authenticated before it is yielded. */
  async *chunks(start: number, end: number): AsyncGenerator<Buffer> {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > this.size) {
      throw new AirlockError('invalid_input', `Range ${start}..${end} lies outside the staged file (${this.size} bytes).`);
    }
    const { chunkSize } = this.file;
    for (let index = Math.floor(start / chunkSize); index * chunkSize < end; index++) {
      const plaintext = await this.chunk(index);
      const from = Math.max(start - index * chunkSize, 0);
      yield plaintext.subarray(from, Math.min(end - index * chunkSize, plaintext.length));
    }
  }

  /** `length` plaintext bytes from `start`, in one buffer. */
  async read(start: number, length: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const part of this.chunks(start, start + length)) parts.push(part);
    return Buffer.concat(parts, length);
  }

  async close(): Promise<void> {
    await this.source.close();
  }

  private async chunk(index: number): Promise<Buffer> {
    if (index === this.finalIndex) return this.finalPlaintext;
    const record = this.file.chunkSize + TAG_BYTES;
    const sealed = await readExactly(this.source, HEADER_BYTES + index * record, record);
    return openChunk(this.file, index, false, sealed);
  }
}

/**
 * Reads plaintext bytes [start, start + length) of a sealed file, decrypting only the chunks that cover them
 * (plus the final chunk, which authenticates the size). Fails with `integrity_mismatch` as the streams do.
 */
export async function readPlaintextRange(
  path: string,
  key: DataKey,
  start: number,
  length: number,
  options: { context: string },
): Promise<Buffer> {
  const reader = await EncryptedFileReader.open(path, key, options);
  try {
    return await reader.read(start, length);
  } finally {
    await reader.close();
  }
}

async function readExactly(source: RandomAccessSource, position: number, length: number): Promise<Buffer> {
  const buffer = await source.read(position, length);
  if (buffer.length < length) throw integrityError('it is shorter than its layout requires');
  return buffer.length === length ? buffer : buffer.subarray(0, length);
}

/** Up to `length` bytes from `position`; fewer only at the end of the file. */
async function readFromHandle(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) return buffer.subarray(0, done);
    done += bytesRead;
  }
  return buffer;
}
