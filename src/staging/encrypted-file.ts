import { Transform, type TransformCallback } from 'node:stream';
import {
  HEADER_BYTES,
  TAG_BYTES,
  integrityError,
  newFileSeal,
  openChunk,
  parseHeader,
  sealChunk,
  type DataKey,
  type FileSeal,
  type SealOptions,
} from './encrypted-file-format.js';

export type { DataKey, SealOptions } from './encrypted-file-format.js';
export { readPlaintextRange } from './encrypted-file-reader.js';

export interface OpenOptions {
  /** The context the file was sealed with. */
  context: string;
}

/**
 * Plaintext in, a sealed file (see encrypted-file-format.ts) out. Holds at most one chunk of plaintext
 * (256 KiB by default) between writes, so memory stays flat whatever the size of the stream.
 */
export function createEncryptStream(key: DataKey, options: SealOptions): Transform {
  const file = newFileSeal(key, options);
  const pending = Buffer.allocUnsafe(file.chunkSize);
  let filled = 0;
  let index = 0;
  let started = false;
  const start = (stream: Transform) => {
    if (!started) stream.push(file.header);
    started = true;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        start(this);
        let offset = 0;
        while (offset < chunk.length) {
          if (filled === 0 && chunk.length - offset >= file.chunkSize) {
            // A whole chunk available in the input: seal it in place, without copying it first.
            pushAll(this, sealChunk(file, index++, false, chunk.subarray(offset, offset + file.chunkSize)));
            offset += file.chunkSize;
            continue;
          }
          const taken = chunk.copy(pending, filled, offset, Math.min(chunk.length, offset + file.chunkSize - filled));
          filled += taken;
          offset += taken;
          if (filled === file.chunkSize) {
            pushAll(this, sealChunk(file, index++, false, pending));
            filled = 0;
          }
        }
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        start(this);
        // The final chunk is always shorter than a full one, possibly empty.
        pushAll(this, sealChunk(file, index, true, pending.subarray(0, filled)));
        pending.fill(0);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    destroy(error, callback) {
      pending.fill(0);
      callback(error);
    },
  });
}

/**
 * A sealed file in, its plaintext out. Each chunk is authenticated before any of its bytes are pushed; the
 * stream errors with `integrity_mismatch` at the first chunk that fails, and at its end if the final
 * chunk never came. Holds at most one sealed chunk (chunk size + 16 bytes) at a time.
 */
export function createDecryptStream(key: DataKey, options: OpenOptions): Transform {
  const header = Buffer.alloc(HEADER_BYTES);
  let headerFilled = 0;
  let file: FileSeal | undefined;
  let record = Buffer.alloc(0);
  let filled = 0;
  let index = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        let offset = 0;
        if (!file) {
          const taken = chunk.copy(header, headerFilled, 0, HEADER_BYTES - headerFilled);
          headerFilled += taken;
          offset = taken;
          if (headerFilled < HEADER_BYTES) return callback();
          file = parseHeader(key, header, options.context);
          record = Buffer.allocUnsafe(file.chunkSize + TAG_BYTES);
        }
        while (offset < chunk.length) {
          const taken = chunk.copy(record, filled, offset);
          filled += taken;
          offset += taken;
          // A full record is never the final chunk, which is always shorter.
          if (filled === record.length) {
            this.push(openChunk(file, index++, false, record));
            filled = 0;
          }
        }
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        if (!file) throw integrityError('it ends inside its header');
        if (filled < TAG_BYTES) throw integrityError(`it ends without its final chunk (after ${index} chunks)`);
        this.push(openChunk(file, index, true, record.subarray(0, filled)));
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

function pushAll(stream: Transform, parts: readonly Buffer[]): void {
  for (const part of parts) if (part.length > 0) stream.push(part);
}
