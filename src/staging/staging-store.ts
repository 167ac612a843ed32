import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { chmod, mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AirlockError } from '../errors.js';
import { openFileSource, type RandomAccessSource } from './encrypted-file-reader.js';
import { fileKeySlot, type KeySlot } from './ticket-keys.js';

/** The wrapped ticket key's name beside a ticket's items; item names are uuids, so it cannot collide. */
export const KEY_NAME = 'key';

/**
 * Where StagingArea keeps sealed bytes: one object per item and one wrapped key per ticket, under the ticket.
 * Stores hold ciphertext only; encryption, authentication and hashing stay in StagingArea. Ids reaching a
 * store have been checked to be uuids.
 */
export interface StagingStore {
  /** For messages: the directory, or `s3://bucket/prefix`. */
  readonly location: string;
  /** Stores an item's sealed bytes from `body`; rejects (storing nothing usable) if `body` errors. */
  putItem(ticketId: string, itemId: string, body: Readable, signal?: AbortSignal): Promise<void>;
  /** The item's sealed bytes; rejects or errors if there are none. */
  getItem(ticketId: string, itemId: string): Promise<Readable>;
  /** Byte-range access to the item's sealed bytes. */
  openItemRange(ticketId: string, itemId: string): Promise<RandomAccessSource>;
  hasItem(ticketId: string, itemId: string): Promise<boolean>;
  removeItem(ticketId: string, itemId: string): Promise<void>;
  /** Deletes every object of the ticket, its key and its local scratch folder included. */
  removeTicket(ticketId: string): Promise<void>;
  /** The ticket's wrapped key (read, or created exclusively). */
  keySlot(ticketId: string): KeySlot;
  /**
   * A private (0700) local folder for the ticket's scratch files: decrypted copies during inspection, nested
   * archives spilled while opened. Created if missing, removed by `removeTicket`.
   */
  scratchDir(ticketId: string): string;
  /**
   * The ids of the tickets that have anything staged here (objects, key or scratch folder), each once, for
   * sweeping what a crash left behind. Only canonical (lowercase) uuids, the names this store creates;
   * anything else under the root is not ours to judge and is skipped. Streams: a bucket lists page by page,
   * and removing a listed ticket while iterating is allowed.
   */
  listTickets(): AsyncIterable<string>;
}

/** A ticket id as staging names it: a lowercase uuid (`randomUUID`, PostgreSQL's uuid output). */
const TICKET_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isStagedTicketId(name: string): boolean {
  return TICKET_ID.test(name);
}

/** The uuid-named directories directly under `root` (none if it does not exist yet). */
export async function ticketDirsUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  });
  return entries.filter((entry) => entry.isDirectory() && isStagedTicketId(entry.name)).map((entry) => entry.name);
}

/** Staging in a local directory: 0700 directories, 0600 files named by id, the key beside the items. */
export class LocalStagingStore implements StagingStore {
  constructor(readonly root: string) {}

  get location(): string {
    return this.root;
  }

  private ticketDir(ticketId: string): string {
    return path.join(this.root, ticketId);
  }

  private itemPath(ticketId: string, itemId: string): string {
    return path.join(this.ticketDir(ticketId), itemId);
  }

  private async ensureTicketDir(ticketId: string): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await chmod(this.root, 0o700);
    await mkdir(this.ticketDir(ticketId), { recursive: true, mode: 0o700 });
  }

  async putItem(ticketId: string, itemId: string, body: Readable, signal?: AbortSignal): Promise<void> {
    await this.ensureTicketDir(ticketId);
    const target = this.itemPath(ticketId, itemId);
    try {
      await pipeline(body, createWriteStream(target, { mode: 0o600 }), { signal });
    } catch (error) {
      await rm(target, { force: true });
      throw error;
    }
  }

  async getItem(ticketId: string, itemId: string): Promise<Readable> {
    return createReadStream(this.itemPath(ticketId, itemId), { highWaterMark: 256 * 1024 });
  }

  openItemRange(ticketId: string, itemId: string): Promise<RandomAccessSource> {
    return openFileSource(this.itemPath(ticketId, itemId));
  }

  hasItem(ticketId: string, itemId: string): Promise<boolean> {
    return stat(this.itemPath(ticketId, itemId)).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  async removeItem(ticketId: string, itemId: string): Promise<void> {
    await rm(this.itemPath(ticketId, itemId), { force: true });
  }

  async removeTicket(ticketId: string): Promise<void> {
    await rm(this.ticketDir(ticketId), { recursive: true, force: true });
  }

  keySlot(ticketId: string): KeySlot {
    const slot = fileKeySlot(path.join(this.ticketDir(ticketId), KEY_NAME));
    return {
      read: () => slot.read(),
      createExclusive: async (data) => {
        await this.ensureTicketDir(ticketId);
        return slot.createExclusive(data);
      },
    };
  }

  /**
   * The ticket's own staging folder (created if missing, as the interface promises): its scratch files go with
   * its purge, even after a crash.
   */
  scratchDir(ticketId: string): string {
    return privateScratchDir(this.root, ticketId);
  }

  /** One directory per ticket holds its items, key and scratch files alike. */
  async *listTickets(): AsyncIterable<string> {
    yield* await ticketDirsUnder(this.root);
  }
}

/** A private local scratch folder `<root>/<ticketId>` (0700, root 0700 too), created synchronously. */
export function privateScratchDir(root: string, ticketId: string): string {
  const dir = path.join(root, ticketId);
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new AirlockError('internal_error', `Cannot create the staging scratch folder ${dir}.`, { cause: error });
  }
  return dir;
}
