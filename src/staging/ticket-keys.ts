import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AirlockError } from '../errors.js';
import { writeFileExclusive } from './exclusive-file.js';
import { MASTER_KEY_BYTES } from './master-key.js';

/**
 * A wrapped ticket key file, 64 bytes: magic "ALK1" ‖ 12-byte random nonce ‖ the 32-byte data key
 * encrypted with AES-256-GCM under the master key ‖ 16-byte tag. The AAD is the magic and the ticket id, so
 * a key file moved to another ticket does not unwrap.
 */
const MAGIC = Buffer.from('ALK1', 'latin1');
const WRAPPED_BYTES = 4 + 12 + MASTER_KEY_BYTES + 16;

/** Where one ticket's wrapped key is kept: a local file, or an object in the staging bucket. */
export interface KeySlot {
  /** The wrapped key, or undefined if there is none. */
  read(): Promise<Buffer | undefined>;
  /** Stores `data` unless a key is already there; whether this call stored it. Readers see all or nothing. */
  createExclusive(data: Buffer): Promise<boolean>;
}

/** A wrapped key file (0600, written atomically). */
export function fileKeySlot(file: string): KeySlot {
  return {
    read: () => readWrapped(file),
    createExclusive: (data) => writeFileExclusive(file, data, 0o600),
  };
}

const slotOf = (slot: string | KeySlot): KeySlot => (typeof slot === 'string' ? fileKeySlot(slot) : slot);

/**
 * Each ticket's data key, generated when its first item is staged and kept beside its items wrapped by the
 * master key. Purging the ticket directory deletes the key with the data, so the bytes of a purged ticket
 * could not be read even if recovered from the disk (crypto-shredding). Keys are unwrapped per use, never
 * cached, and leave this class only as KeyObjects, which print as nothing.
 */
export class TicketKeys {
  readonly #masterKey: KeyObject;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== MASTER_KEY_BYTES) {
      throw new AirlockError('invalid_input', `The staging master key must be ${MASTER_KEY_BYTES} bytes; check AIRLOCK_MASTER_KEY.`);
    }
    this.#masterKey = createSecretKey(masterKey);
  }

  /** The ticket's key at `file` (a path or a slot), created (0600, atomically) if this is its first item. */
  async loadOrCreate(file: string | KeySlot, ticketId: string): Promise<KeyObject> {
    const slot = slotOf(file);
    const existing = await slot.read();
    if (existing) return this.unwrap(existing, ticketId);
    const dataKey = randomBytes(MASTER_KEY_BYTES);
    try {
      if (await slot.createExclusive(this.wrap(dataKey, ticketId))) return createSecretKey(dataKey);
    } finally {
      dataKey.fill(0);
    }
    // Another item of the same ticket created it first.
    return this.load(slot, ticketId);
  }

  /** The ticket's key at `file`; `integrity_mismatch` if it is missing, altered, or wrapped by another master key. */
  async load(file: string | KeySlot, ticketId: string): Promise<KeyObject> {
    const wrapped = await slotOf(file).read();
    if (!wrapped) {
      throw new AirlockError(
        'integrity_mismatch',
        `The staging key of ticket ${ticketId} is missing (purged, or removed by hand); its staged data can no longer be read.`,
      );
    }
    return this.unwrap(wrapped, ticketId);
  }

  private unwrap(wrapped: Buffer, ticketId: string): KeyObject {
    if (wrapped.length !== WRAPPED_BYTES || !wrapped.subarray(0, 4).equals(MAGIC)) throw unwrapError(ticketId);
    const decipher = createDecipheriv('aes-256-gcm', this.#masterKey, wrapped.subarray(4, 16));
    decipher.setAAD(aadFor(ticketId));
    decipher.setAuthTag(wrapped.subarray(16 + MASTER_KEY_BYTES));
    const dataKey = decipher.update(wrapped.subarray(16, 16 + MASTER_KEY_BYTES));
    try {
      decipher.final();
      return createSecretKey(dataKey);
    } catch (error) {
      throw unwrapError(ticketId, error);
    } finally {
      dataKey.fill(0);
    }
  }

  private wrap(dataKey: Buffer, ticketId: string): Buffer {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#masterKey, nonce);
    cipher.setAAD(aadFor(ticketId));
    const sealed = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return Buffer.concat([MAGIC, nonce, sealed, cipher.getAuthTag()]);
  }
}

async function readWrapped(file: string): Promise<Buffer | undefined> {
  return readFile(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
}

function aadFor(ticketId: string): Buffer {
  return Buffer.concat([MAGIC, Buffer.from(ticketId, 'utf8')]);
}

function unwrapError(ticketId: string, cause?: unknown): AirlockError {
  return new AirlockError(
    'integrity_mismatch',
    `The staging key of ticket ${ticketId} does not unwrap with the configured master key (the key changed, or the key file was altered); its staged data cannot be read.`,
    cause === undefined ? {} : { cause },
  );
}
