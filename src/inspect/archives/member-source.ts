import { crc32 } from 'node:zlib';
import type { WalkContext } from './walk-context.js';

/** A member's bytes as its container yields them: a Node stream, or a streamx one from tar-stream. */
export type MemberStream = AsyncIterable<unknown> & { destroy(error?: Error): unknown };

export interface MemberSourceOptions {
  /** The member's display entry, named by a limit finding when its bytes pass one. */
  entry: string;
  /**
   * Whether these bytes count toward `maxExpandedBytes`. False for a tar read from a stream whose bytes
   * were already counted (the payload of a `.tar.gz`, a tar inside a zip), so they are not counted twice.
   */
  counted: boolean;
  /**
   * A tar entry must be read to its end before the next one can be, and destroying it would end the
   * whole archive; such a source is drained on release rather than destroyed.
   */
  drainOnRelease: boolean;
}

/**
 * One member's bytes, read once, as they come out of their container: counted against the walk's limits,
 * checksummed (CRC-32, for zip), with its first bytes available ahead (`head`) for recognising nested
 * containers. A read error does not throw: it ends the bytes and is kept in `error` for the container's
 * walker to report as damage. Only an abort throws.
 */
export class MemberSource {
  /** The stream's own error, if it failed; its bytes end there. */
  error: unknown;
  /** A walk-wide limit stopped the reading before the member's end. */
  cutShort = false;
  bytes = 0;
  crc = 0;
  readonly #iterator: AsyncIterator<unknown>;
  readonly #ahead: Buffer[] = [];
  #ended = false;
  #released = false;

  constructor(
    private readonly stream: MemberStream,
    private readonly ctx: WalkContext,
    private readonly options: MemberSourceOptions,
  ) {
    this.#iterator = stream[Symbol.asyncIterator]();
  }

  /** The member was read to its end, without error or limit. */
  get isComplete(): boolean {
    return this.#ended && this.error === undefined && !this.cutShort;
  }

  /** Up to `size` leading bytes (fewer when the member is shorter); they are still yielded by `chunks`. */
  async head(size: number): Promise<Buffer> {
    let length = this.#ahead.reduce((sum, chunk) => sum + chunk.length, 0);
    while (length < size) {
      const chunk = await this.#pull();
      if (!chunk) break;
      this.#ahead.push(chunk);
      length += chunk.length;
    }
    const head = Buffer.concat(this.#ahead);
    return head.subarray(0, Math.min(size, head.length));
  }

  /** The member's bytes in order, once. Leaving the loop early releases the source. */
  async *chunks(): AsyncGenerator<Buffer, void, undefined> {
    try {
      for (;;) {
        const chunk = this.#ahead.shift() ?? (await this.#pull());
        if (!chunk) return;
        yield chunk;
      }
    } finally {
      await this.release();
    }
  }

  /**
   * Lets go of the member: drained (a tar entry, while the walk goes on) or destroyed (anything else, or
   * when `isFailing`: the walk is about to reject and the rest of the archive does not matter). Idempotent.
   */
  async release(isFailing = false): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    this.#ahead.length = 0;
    if (this.#ended) return;
    if (this.options.drainOnRelease && !isFailing && !this.ctx.isStopped && !this.ctx.options.signal?.aborted) {
      try {
        while (!(await this.#iterator.next()).done) this.ctx.throwIfAborted();
      } catch (error) {
        // A read error while draining is the container's damage, reported by its walker; an abort is not.
        this.ctx.throwIfAborted();
        this.error ??= error;
      }
      this.#ended = true;
      return;
    }
    this.stream.destroy();
  }

  async #pull(): Promise<Buffer | undefined> {
    if (this.#ended || this.#released) return undefined;
    this.ctx.throwIfAborted();
    if (this.ctx.isStopped) {
      this.cutShort = true;
      return undefined;
    }
    let result: IteratorResult<unknown>;
    try {
      result = await this.#iterator.next();
    } catch (error) {
      this.#ended = true;
      this.ctx.throwIfAborted();
      // Once a limit has stopped the walk, a parent stream ends early on purpose: that is not damage.
      if (this.ctx.isStopped) this.cutShort = true;
      else this.error = error;
      return undefined;
    }
    this.ctx.throwIfAborted();
    if (result.done) {
      this.#ended = true;
      return undefined;
    }
    const chunk = Buffer.isBuffer(result.value) ? result.value : Buffer.from(result.value as Uint8Array);
    this.bytes += chunk.length;
    this.crc = crc32(chunk, this.crc);
    // The chunk that passes a limit is still handed out; the next pull stops.
    if (this.options.counted && !this.ctx.addExpanded(chunk.length, this.options.entry)) this.cutShort = true;
    return chunk;
  }
}

/** A writable end that `feed` can push into: a Node stream or tar-stream's streamx extractor. */
export interface FeedSink {
  readonly destroyed: boolean;
  write(chunk: Buffer): boolean;
  end(data?: undefined): unknown;
  destroy(error?: Error): unknown;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}

/**
 * Writes every chunk of `input` into `sink`, waiting for it to drain, then ends it. Stops when the sink is
 * destroyed (its reader gave up); an error from `input` (an abort) destroys the sink. Never rejects.
 */
export async function feed(input: AsyncIterable<Buffer>, sink: FeedSink): Promise<void> {
  try {
    for await (const chunk of input) {
      if (sink.destroyed) break;
      if (!sink.write(chunk)) await drained(sink);
    }
    if (!sink.destroyed) sink.end();
  } catch (error) {
    sink.destroy(error instanceof Error ? error : new Error('input failed'));
  }
}

function drained(sink: FeedSink): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      sink.off('drain', done);
      sink.off('close', done);
      resolve();
    };
    sink.once('drain', done);
    sink.once('close', done);
  });
}
