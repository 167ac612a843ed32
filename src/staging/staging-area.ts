import { createHash, randomUUID, type KeyObject } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AirlockError } from '../errors.js';
import { createDecryptStream, createEncryptStream } from './encrypted-file.js';
import { isSealFailure } from './encrypted-file-format.js';
import { EncryptedFileReader } from './encrypted-file-reader.js';
import { TicketKeys } from './ticket-keys.js';

export interface StagedFile {
  size: number;
  sha256: string;
}

export interface StageOptions {
  signal?: AbortSignal;
  /** Called with the running byte count as data arrives (for progress bars). */
  onBytes?: (bytes: number) => void;
}

/** The wrapped ticket key's name in a ticket's directory; item files are uuids, so it cannot collide. */
const KEY_FILE = 'key';

/**
 * The private area between fetch and delivery. Only the engine, checks and the destination connector
 * read from it. Directories are 0700 and files 0600; files are named by item id, never by the source
 * name, so not even file names leak into the staging filesystem. Every file is hashed while written and
 * encrypted at rest (AES-256-GCM in authenticated chunks, see encrypted-file-format.ts) under a data key of
 * its ticket, itself wrapped by the master key and deleted with the ticket's data. Reads authenticate every
 * chunk before releasing it, and delivery re-checks the hash, so what is delivered is exactly what was
 * inspected.
 */
export class StagingArea {
  readonly #keys: TicketKeys;

  /** `masterKey`: the 32 bytes from `loadMasterKey`; only a KeyObject copy of it is kept. */
  constructor(
    readonly root: string,
    masterKey: Buffer,
  ) {
    this.#keys = new TicketKeys(masterKey);
  }

  /**
   * The ticket's private staging folder, for scratch files of its inspection (nested archives spilled
   * while opened): they live under the ticket and go with its purge, even after a crash.
   */
  ticketRoot(ticketId: string): string {
    return this.ticketDir(ticketId);
  }

  private ticketDir(ticketId: string): string {
    return path.join(this.root, safeId(ticketId));
  }

  private itemPath(ticketId: string, itemId: string): string {
    return path.join(this.ticketDir(ticketId), safeId(itemId));
  }

  private keyOf(ticketId: string): Promise<KeyObject> {
    return this.#keys.load(path.join(this.ticketDir(ticketId), KEY_FILE), ticketId);
  }

  /** Encrypts an item's bytes into staging, hashing the plaintext as it passes. Replaces an earlier partial copy. */
  async stage(ticketId: string, itemId: string, source: Readable, options: StageOptions = {}): Promise<StagedFile> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await chmod(this.root, 0o700);
    await mkdir(this.ticketDir(ticketId), { recursive: true, mode: 0o700 });
    const key = await this.#keys.loadOrCreate(path.join(this.ticketDir(ticketId), KEY_FILE), ticketId);
    const target = this.itemPath(ticketId, itemId);
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        hash.update(chunk);
        size += chunk.length;
        options.onBytes?.(size);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(
        source,
        meter,
        createEncryptStream(key, { context: contextOf(ticketId, itemId) }),
        createWriteStream(target, { mode: 0o600 }),
        { signal: options.signal },
      );
    } catch (error) {
      await rm(target, { force: true });
      throw error;
    }
    return { size, sha256: hash.digest('hex') };
  }

  async has(ticketId: string, itemId: string): Promise<boolean> {
    return stat(this.itemPath(ticketId, itemId)).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  /**
   * The item's plaintext, decrypted and authenticated chunk by chunk (for checks, which re-hash nothing).
   * Errors with `integrity_mismatch`, before releasing any byte of a bad chunk, if the staged copy was
   * altered, cut short or extended.
   */
  open(ticketId: string, itemId: string): Readable {
    const file = this.itemPath(ticketId, itemId);
    const context = contextOf(ticketId, itemId);
    const out = new PassThrough();
    this.keyOf(ticketId)
      .then((key) => pipeline(createReadStream(file), createDecryptStream(key, { context }), out))
      // A consumer that stops reading early destroys `out`; destroying it again is a no-op.
      .catch((error: unknown) => out.destroy(error as Error));
    return out;
  }

  /**
   * A stream over the staged bytes that fails, before its end is signalled, if they no longer decrypt and
   * authenticate, or no longer match the size and hash recorded at fetch time. A destination connector
   * writing it therefore never renames a tampered or truncated copy into place.
   */
  openVerified(ticketId: string, itemId: string, expected: StagedFile, itemLabel: string): Readable {
    const hash = createHash('sha256');
    let size = 0;
    const verifier = new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        hash.update(chunk);
        size += chunk.length;
        callback(null, chunk);
      },
      flush(callback: TransformCallback) {
        const actual = hash.digest('hex');
        if (size !== expected.size || actual !== expected.sha256) {
          callback(
            new AirlockError(
              'integrity_mismatch',
              `Staged copy of ${itemLabel} changed since it was inspected (sha256 ${actual.slice(0, 12)}…, expected ${expected.sha256.slice(0, 12)}…); it was not delivered.`,
            ),
          );
          return;
        }
        callback();
      },
    });
    const source = this.open(ticketId, itemId);
    source.on('error', (error) => {
      const tampered = isSealFailure(error)
        ? new AirlockError(
            'integrity_mismatch',
            `Staged copy of ${itemLabel} changed since it was inspected (its encrypted chunks no longer authenticate); it was not delivered.`,
            { cause: error },
          )
        : error;
      verifier.destroy(tampered);
    });
    // A consumer that gives up early must not leave the staged file open behind it.
    verifier.on('close', () => source.destroy());
    return source.pipe(verifier);
  }

  /**
   * Runs `fn` on a decrypted copy of the item, for inspection that needs a file with random access (opening a
   * zip). Trade-off: for the duration of one inspection the plaintext exists on disk, but only inside the
   * ticket's 0700 staging directory, as a 0600 file named `.tmp-<random>` that is deleted when `fn` settles,
   * whatever its outcome. Only authenticated bytes are written to it. `openPlaintextRange` is the way to
   * retire this once the inspector reads containers through a random-access reader.
   */
  async withPlaintextFile<T>(ticketId: string, itemId: string, fn: (file: string) => Promise<T>): Promise<T> {
    const file = path.join(this.ticketDir(ticketId), `.tmp-${randomUUID()}`);
    try {
      await pipeline(this.open(ticketId, itemId), createWriteStream(file, { flags: 'wx', mode: 0o600 }));
      return await fn(file);
    } finally {
      await rm(file, { force: true });
    }
  }

  /**
   * Plaintext bytes [start, end) of an item, decrypting only the chunks that cover them (and the final chunk,
   * which authenticates the size); the shape of yauzl's `RandomAccessReader._readStreamForRange`.
   */
  openPlaintextRange(ticketId: string, itemId: string, start: number, end: number): Readable {
    const file = this.itemPath(ticketId, itemId);
    const context = contextOf(ticketId, itemId);
    const keyOf = () => this.keyOf(ticketId);
    async function* range(): AsyncGenerator<Buffer> {
      const reader = await EncryptedFileReader.open(file, await keyOf(), { context });
      try {
        yield* reader.chunks(start, end);
      } finally {
        await reader.close();
      }
    }
    return Readable.from(range(), { objectMode: false });
  }

  async removeItem(ticketId: string, itemId: string): Promise<void> {
    await rm(this.itemPath(ticketId, itemId), { force: true });
  }

  /** Deletes everything staged for a ticket, its wrapped data key included. */
  async purge(ticketId: string): Promise<void> {
    await rm(this.ticketDir(ticketId), { recursive: true, force: true });
  }
}

/** What a staged file is sealed to: moved to another item or ticket, it no longer opens. */
function contextOf(ticketId: string, itemId: string): string {
  return `${ticketId}/${itemId}`;
}

/** Staging names come from our own uuids; anything else is a bug, not a path to follow. */
function safeId(id: string): string {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw new AirlockError('internal_error', `Refusing staging id ${JSON.stringify(id)}.`);
  return id;
}
