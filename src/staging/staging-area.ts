import { createHash, randomUUID, type KeyObject } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AirlockError } from '../errors.js';
import { createDecryptStream, createEncryptStream } from './encrypted-file.js';
import { isSealFailure } from './encrypted-file-format.js';
import { EncryptedFileReader } from './encrypted-file-reader.js';
import { LocalStagingStore, type StagingStore } from './staging-store.js';
import { TicketKeys } from './ticket-keys.js';

export interface StagedFile {
  size: number;
  sha256: string;
}

export interface StageOptions {
  signal?: AbortSignal;
  /** Called with the running byte count as data arrives (for progress bars). */
  onBytes?: (bytes: number) => void;
  /** Sees every plaintext chunk as it passes, before it is encrypted (inspection while staging). Only lent. */
  onChunk?: (chunk: Buffer) => void;
}

/**
 * The private area between fetch and delivery. Only the engine, checks and the destination connector
 * read from it. Its bytes live in a StagingStore: a local directory (0700 directories, 0600 files) or an S3
 * bucket shared by several machines; items are named by item id, never by the source name, so not even
 * file names leak into the store. Every file is hashed while written and
 * encrypted at rest (AES-256-GCM in authenticated chunks, see encrypted-file-format.ts) under a data key of
 * its ticket, itself wrapped by the master key and deleted with the ticket's data. Reads authenticate every
 * chunk before releasing it, and delivery re-checks the hash, so what is delivered is exactly what was
 * inspected.
 */
export class StagingArea {
  readonly #keys: TicketKeys;
  /** Key creation in flight per ticket, so concurrent first items of a ticket share one key on any store. */
  readonly #creatingKeys = new Map<string, Promise<KeyObject>>();
  readonly store: StagingStore;

  /**
   * `store`: a StagingStore, or a directory for the local store. `masterKey`: the 32 bytes from
   * `loadMasterKey`; only a KeyObject copy of it is kept.
   */
  constructor(store: StagingStore | string, masterKey: Buffer) {
    this.store = typeof store === 'string' ? new LocalStagingStore(store) : store;
    this.#keys = new TicketKeys(masterKey);
  }

  /** The local directory (local store) or `s3://bucket/prefix`. */
  get root(): string {
    return this.store.location;
  }

  /**
   * The ticket's private local folder, for scratch files of its inspection (nested archives spilled while
   * opened): they go with its purge (for the local store, even after a crash, as they live under the ticket).
   */
  ticketRoot(ticketId: string): string {
    return this.store.scratchDir(safeId(ticketId));
  }

  private keyOf(ticketId: string): Promise<KeyObject> {
    return this.#keys.load(this.store.keySlot(safeId(ticketId)), ticketId);
  }

  private keyForStaging(ticketId: string): Promise<KeyObject> {
    const pending = this.#creatingKeys.get(ticketId);
    if (pending) return pending;
    const created = this.#keys
      .loadOrCreate(this.store.keySlot(safeId(ticketId)), ticketId)
      .finally(() => this.#creatingKeys.delete(ticketId));
    this.#creatingKeys.set(ticketId, created);
    return created;
  }

  /** Encrypts an item's bytes into staging, hashing the plaintext as it passes. Replaces an earlier partial copy. */
  async stage(ticketId: string, itemId: string, source: Readable, options: StageOptions = {}): Promise<StagedFile> {
    safeId(ticketId);
    safeId(itemId);
    const key = await this.keyForStaging(ticketId);
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        hash.update(chunk);
        size += chunk.length;
        try {
          options.onChunk?.(chunk);
        } catch (error) {
          callback(error as Error);
          return;
        }
        options.onBytes?.(size);
        callback(null, chunk);
      },
    });
    const sealed = createEncryptStream(key, { context: contextOf(ticketId, itemId) });
    const encrypted = pipeline(source, meter, sealed, { signal: options.signal });
    const stored = this.store.putItem(ticketId, itemId, sealed, options.signal).catch((error: unknown) => {
      sealed.destroy(error as Error); // stops the source too
      throw error;
    });
    const [encryption, storage] = await Promise.allSettled([encrypted, stored]);
    if (encryption.status === 'rejected' || storage.status === 'rejected') {
      await this.store.removeItem(ticketId, itemId).catch(() => undefined);
      // The source's (or the signal's) error explains more than the store's consequence of it.
      throw encryption.status === 'rejected' ? encryption.reason : (storage as PromiseRejectedResult).reason;
    }
    return { size, sha256: hash.digest('hex') };
  }

  async has(ticketId: string, itemId: string): Promise<boolean> {
    return this.store.hasItem(safeId(ticketId), safeId(itemId));
  }

  /**
   * The item's plaintext, decrypted and authenticated chunk by chunk (for checks, which re-hash nothing).
   * Errors with `integrity_mismatch`, before releasing any byte of a bad chunk, if the staged copy was
   * altered, cut short or extended.
   */
  open(ticketId: string, itemId: string): Readable {
    safeId(ticketId);
    safeId(itemId);
    const context = contextOf(ticketId, itemId);
    const out = new PassThrough();
    this.keyOf(ticketId)
      .then(async (key) => pipeline(await this.store.getItem(ticketId, itemId), createDecryptStream(key, { context }), out))
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
   * zip). Trade-off: for the duration of one inspection the plaintext exists on local disk, but only inside
   * the ticket's 0700 scratch folder (its staging directory for the local store), as a 0600 file named
   * `.tmp-<random>` that is deleted when `fn` settles, whatever its outcome. Only authenticated bytes are written to it. `openPlaintextRange` is the way to
   * retire this once the inspector reads containers through a random-access reader.
   */
  async withPlaintextFile<T>(ticketId: string, itemId: string, fn: (file: string) => Promise<T>): Promise<T> {
    const file = path.join(this.ticketRoot(ticketId), `.tmp-${randomUUID()}`);
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
    safeId(ticketId);
    safeId(itemId);
    const context = contextOf(ticketId, itemId);
    const keyOf = () => this.keyOf(ticketId);
    const openSource = () => this.store.openItemRange(ticketId, itemId);
    async function* range(): AsyncGenerator<Buffer> {
      const key = await keyOf();
      const reader = await EncryptedFileReader.fromSource(await openSource(), key, { context });
      try {
        yield* reader.chunks(start, end);
      } finally {
        await reader.close();
      }
    }
    return Readable.from(range(), { objectMode: false });
  }

  async removeItem(ticketId: string, itemId: string): Promise<void> {
    await this.store.removeItem(safeId(ticketId), safeId(itemId));
  }

  /**
   * Deletes everything staged for a ticket, its wrapped data key and local scratch folder included. Purging a
   * ticket with nothing staged (or purged meanwhile by another worker) does nothing.
   */
  async purge(ticketId: string): Promise<void> {
    await this.store.removeTicket(safeId(ticketId));
  }

  /**
   * The ids of the tickets with anything staged (items, key, this machine's scratch folder), streamed; for
   * sweeping what a crash between a ticket's last transition and its purge left behind.
   */
  stagedTickets(): AsyncIterable<string> {
    return this.store.listTickets();
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
