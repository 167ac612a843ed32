import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AirlockError } from '../errors.js';

export interface StagedFile {
  size: number;
  sha256: string;
}

export interface StageOptions {
  signal?: AbortSignal;
  /** Called with the running byte count as data arrives (for progress bars). */
  onBytes?: (bytes: number) => void;
}

/**
 * The private area between fetch and delivery. Only the engine, checks and the destination connector
 * read from it. Directories are 0700 and files 0600; files are named by item id, never by the source
 * name, so not even file names leak into the staging filesystem. Every file is hashed while written,
 * and read back through a verifier, so what is delivered is exactly what was inspected.
 */
export class StagingArea {
  constructor(readonly root: string) {}

  private ticketDir(ticketId: string): string {
    return path.join(this.root, safeId(ticketId));
  }

  /** The staged file itself, for inspection that needs random access (opening a zip). Read-only use. */
  pathOf(ticketId: string, itemId: string): string {
    return this.itemPath(ticketId, itemId);
  }

  private itemPath(ticketId: string, itemId: string): string {
    return path.join(this.ticketDir(ticketId), safeId(itemId));
  }

  /** Writes an item's bytes to staging, hashing as they pass. Replaces an earlier partial copy. */
  async stage(ticketId: string, itemId: string, source: Readable, options: StageOptions = {}): Promise<StagedFile> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await chmod(this.root, 0o700);
    await mkdir(this.ticketDir(ticketId), { recursive: true, mode: 0o700 });
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
      await pipeline(source, meter, createWriteStream(target, { mode: 0o600 }), { signal: options.signal });
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

  /** A plain stream over the staged bytes (for checks, which re-hash nothing). */
  open(ticketId: string, itemId: string): Readable {
    return createReadStream(this.itemPath(ticketId, itemId));
  }

  /**
   * A stream over the staged bytes that fails, before its end is signalled, if they no longer match
   * the size and hash recorded at fetch time. A destination connector writing it therefore never
   * renames a tampered or truncated copy into place.
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
    source.on('error', (error) => verifier.destroy(error));
    return source.pipe(verifier);
  }

  async removeItem(ticketId: string, itemId: string): Promise<void> {
    await rm(this.itemPath(ticketId, itemId), { force: true });
  }

  /** Deletes everything staged for a ticket. */
  async purge(ticketId: string): Promise<void> {
    await rm(this.ticketDir(ticketId), { recursive: true, force: true });
  }
}

/** Staging names come from our own uuids; anything else is a bug, not a path to follow. */
function safeId(id: string): string {
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw new AirlockError('internal_error', `Refusing staging id ${JSON.stringify(id)}.`);
  return id;
}
