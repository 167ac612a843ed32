import { createHash } from 'node:crypto';
import { Transform, type TransformCallback, type Writable } from 'node:stream';
import { AirlockError } from '../../src/errors.js';

/**
 * Bytes per SFTP WRITE request: OpenSSH's sftp-server accepts up to 255 KiB (its `limits@openssh.com`
 * max-write-length); ssh2 splits anything larger into requests sent one after another, so bigger chunks
 * would only cost concurrency.
 */
export const SFTP_CHUNK_BYTES = 255 * 1024;

/**
 * Hashes and counts what passes, and regroups it into `SFTP_CHUNK_BYTES` pieces: ssh2's write stream sends
 * each chunk as one request and only batches several while one is in flight, so tiny source chunks would
 * mean one round trip each and huge ones a serial train of requests.
 */
export class WriteMeter extends Transform {
  readonly #hash = createHash('sha256');
  readonly #path: string;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  size = 0;

  constructor(path: string) {
    super({ writableHighWaterMark: SFTP_CHUNK_BYTES, readableHighWaterMark: SFTP_CHUNK_BYTES });
    this.#path = path;
  }

  get sha256(): string {
    return this.#hash.copy().digest('hex');
  }

  override _transform(chunk: unknown, _encoding: BufferEncoding, callback: TransformCallback): void {
    let bytes: Buffer;
    try {
      bytes = toBytes(chunk, this.#path);
    } catch (error) {
      callback(error as Error);
      return;
    }
    this.#hash.update(bytes);
    this.size += bytes.length;
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
    if (this.#pendingBytes >= SFTP_CHUNK_BYTES) {
      const all = this.#pending.length === 1 ? (this.#pending[0] as Buffer) : Buffer.concat(this.#pending, this.#pendingBytes);
      const whole = all.length - (all.length % SFTP_CHUNK_BYTES);
      for (let offset = 0; offset < whole; offset += SFTP_CHUNK_BYTES) this.push(all.subarray(offset, offset + SFTP_CHUNK_BYTES));
      this.#pending = whole < all.length ? [all.subarray(whole)] : [];
      this.#pendingBytes = all.length - whole;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.#pendingBytes > 0) this.push(Buffer.concat(this.#pending, this.#pendingBytes));
    this.#pending = [];
    callback();
  }
}

/**
 * Resolves once an ssh2 write stream has closed its remote handle (after `finish`; the server has then
 * taken every byte), rejects on its error. Created before the pipeline starts so no event is missed.
 */
export function remoteClosed(stream: Writable): Promise<void> {
  const closed = new Promise<void>((resolve, reject) => {
    stream.once('close', resolve);
    stream.once('error', reject);
  });
  closed.catch(() => undefined);
  return closed;
}

function toBytes(chunk: unknown, path: string): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new AirlockError('invalid_input', `The stream written to ${JSON.stringify(path)} yielded something other than bytes.`);
}
