import { Writable } from 'node:stream';
import type { SftpChannel } from './sftp-connector-config.js';

export interface SftpWriteStreamOptions {
  /** WRITE requests kept in flight. */
  concurrency: number;
  /** Rewrites a channel failure before the stream fails with it. */
  translate: (error: unknown) => Error;
}

/**
 * Writes to an open remote file with a sliding window of WRITE requests: a new chunk goes out as soon as any
 * earlier one is acknowledged. ssh2's own write stream sends what is buffered as one batch and waits for the
 * whole batch before the next, so the link idles once per batch (stop and go), about half of fastPut's
 * speed. Finishing waits for every acknowledgement and closes the handle, so `finish` means the server holds
 * every byte. Chunks may be reused by the caller once written: ssh2 copies them into its packets at once.
 */
export class SftpWriteStream extends Writable {
  readonly #channel: SftpChannel;
  readonly #handle: Buffer;
  readonly #options: SftpWriteStreamOptions;
  #position = 0;
  #inFlight = 0;
  #failure: Error | undefined;
  /** The producer's callback, held while the window is full. */
  #blocked: ((error?: Error | null) => void) | undefined;
  /** `_final`'s callback, waiting for the last acknowledgements. */
  #draining: (() => void) | undefined;
  #isClosed = false;

  constructor(channel: SftpChannel, handle: Buffer, options: SftpWriteStreamOptions) {
    super({ highWaterMark: 0 });
    this.#channel = channel;
    this.#handle = handle;
    this.#options = options;
  }

  /** Bytes sent so far (acknowledged once the stream has finished). */
  get bytesWritten(): number {
    return this.#position;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#failure) {
      callback(this.#failure);
      return;
    }
    const position = this.#position;
    this.#position += chunk.length;
    this.#inFlight++;
    this.#channel.write(this.#handle, chunk, 0, chunk.length, position, (error) => this.#acknowledged(error));
    if (this.#inFlight < this.#options.concurrency) callback();
    else this.#blocked = callback;
  }

  override _final(callback: (error?: Error | null) => void): void {
    const close = () => {
      if (this.#failure) {
        callback(this.#failure);
        return;
      }
      this.#isClosed = true;
      this.#channel.close(this.#handle, (error) => callback(error ? this.#options.translate(error) : null));
    };
    if (this.#inFlight === 0) close();
    else this.#draining = close;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.#isClosed) {
      this.#isClosed = true;
      // Not waiting for the reply: on a dropped connection it never comes.
      this.#channel.close(this.#handle, () => undefined);
    }
    callback(error);
  }

  #acknowledged(error: Error | undefined | null): void {
    this.#inFlight--;
    if (error && !this.#failure) this.#failure = this.#options.translate(error);
    const blocked = this.#blocked;
    this.#blocked = undefined;
    blocked?.(this.#failure ?? null);
    if (this.#inFlight === 0 && this.#draining) {
      const draining = this.#draining;
      this.#draining = undefined;
      draining();
    }
  }
}
