import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { AirlockError } from '../errors.js';

/**
 * The sealed staging file, version 1 ("ALS1"). All integers are big-endian.
 *
 *   header (36 bytes, authenticated as part of every chunk's AAD)
 *     0..3    magic "ALS1"
 *     4       version, 1
 *     5..7    reserved, zero
 *     8..11   chunk size C: plaintext bytes per chunk (uint32, 1 KiB ≤ C ≤ 4 MiB)
 *     12..27  file id: 16 random bytes, the HKDF salt
 *     28..35  nonce prefix: 8 random bytes
 *   chunks, in order, i = 0, 1, …
 *     AES-256-GCM ciphertext of plaintext bytes [i·C, (i+1)·C) ‖ 16-byte tag
 *
 * Every chunk but the last holds exactly C plaintext bytes; the last holds 0 to C-1 (an empty final chunk
 * follows when the plaintext is a multiple of C, and is the whole body of an empty file), so lengths need no
 * framing and the final chunk's position follows from the file size.
 *
 *   file key, nonce   key = HKDF-SHA256(ikm = data key, salt = file id, info = INFO ‖ context, 32 bytes)
 *                     nonce_i = nonce prefix ‖ uint32(i)
 *   AAD_i             header ‖ uint32(i) ‖ final flag (1 on the last chunk, else 0)
 *
 * A key of its own per file means (key, nonce) pairs never repeat across the files of a ticket; the
 * context (the staging area uses "<ticketId>/<itemId>") ties a file to its place, so one item's file copied
 * over another's does not open. The AAD makes any header change, reordering, duplication or dropping of
 * chunks fail authentication, and the final flag makes a file cut at a chunk boundary, or extended past its
 * final chunk, fail too (the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár, 2015).
 */
export const MAGIC = Buffer.from('ALS1', 'latin1');
export const VERSION = 1;
export const HEADER_BYTES = 36;
export const TAG_BYTES = 16;
export const DEFAULT_CHUNK_SIZE = 256 * 1024;
export const MIN_CHUNK_SIZE = 1024;
export const MAX_CHUNK_SIZE = 4 * 1024 * 1024;
/** The chunk index is a 32-bit counter: a file holds at most this many chunks (1 PiB at 256 KiB). */
export const MAX_CHUNKS = 2 ** 32;

const INFO = Buffer.from('airlock staging ALS1 file key\0', 'latin1');
const KEY_BYTES = 32;

/** A ticket data key: 32 bytes, raw or as a secret KeyObject. */
export type DataKey = Buffer | KeyObject;

export interface SealOptions {
  /** Binds the file to its place; the same string must be given to open it. */
  context: string;
  /** Plaintext bytes per chunk; 64 KiB unless a test wants many small chunks. */
  chunkSize?: number;
}

/** The per-file state both directions need: the header bytes, file key and nonce prefix. */
export interface FileSeal {
  header: Buffer;
  chunkSize: number;
  key: KeyObject;
  noncePrefix: Buffer;
}

/** Starts a new sealed file: random file id and nonce prefix, and the key derived from them. */
export function newFileSeal(dataKey: DataKey, options: SealOptions): FileSeal {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new AirlockError('internal_error', `Chunk size ${chunkSize} is outside ${MIN_CHUNK_SIZE}..${MAX_CHUNK_SIZE}.`);
  }
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt8(VERSION, 4);
  header.writeUInt32BE(chunkSize, 8);
  randomBytes(24).copy(header, 12);
  return seal(dataKey, header, chunkSize, options.context);
}

/** Reads a header back, refusing anything that is not a version-1 sealed file with sane parameters. */
export function parseHeader(dataKey: DataKey, header: Buffer, context: string): FileSeal {
  if (header.length < HEADER_BYTES || !header.subarray(0, 4).equals(MAGIC)) throw integrityError('it is not a sealed staging file');
  if (header.readUInt8(4) !== VERSION || header.readUIntBE(5, 3) !== 0) throw integrityError('its header names an unknown format');
  const chunkSize = header.readUInt32BE(8);
  if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) throw integrityError('its header names an impossible chunk size');
  return seal(dataKey, Buffer.from(header.subarray(0, HEADER_BYTES)), chunkSize, context);
}

function seal(dataKey: DataKey, header: Buffer, chunkSize: number, context: string): FileSeal {
  const size = Buffer.isBuffer(dataKey) ? dataKey.length : dataKey.symmetricKeySize;
  if (size !== KEY_BYTES) throw new AirlockError('internal_error', `A staging data key must be ${KEY_BYTES} bytes.`);
  const info = Buffer.concat([INFO, Buffer.from(context, 'utf8')]);
  const derived = Buffer.from(hkdfSync('sha256', dataKey, header.subarray(12, 28), info, KEY_BYTES));
  // A KeyObject, not a Buffer: createCipheriv takes it without re-importing the key per chunk (about 40% faster).
  const key = createSecretKey(derived);
  derived.fill(0);
  return { header, chunkSize, key, noncePrefix: header.subarray(28, 36) };
}

/** Encrypts one chunk: ciphertext ‖ tag, as two buffers (joining them would copy every chunk once more). */
export function sealChunk(file: FileSeal, index: number, isFinal: boolean, plaintext: Buffer): [Buffer, Buffer] {
  const cipher = createCipheriv('aes-256-gcm', file.key, nonce(file, index));
  cipher.setAAD(aad(file, index, isFinal));
  const body = cipher.update(plaintext);
  cipher.final();
  return [body, cipher.getAuthTag()];
}

/**
 * Decrypts and authenticates one chunk (ciphertext ‖ tag). The plaintext is returned only once the tag has
 * been checked, so bytes of a forged chunk never leave this function.
 */
export function openChunk(file: FileSeal, index: number, isFinal: boolean, sealed: Buffer): Buffer {
  if (sealed.length < TAG_BYTES) throw integrityError(`chunk ${index} is cut short`);
  const decipher = createDecipheriv('aes-256-gcm', file.key, nonce(file, index));
  decipher.setAAD(aad(file, index, isFinal));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
  try {
    decipher.final();
  } catch (error) {
    plaintext.fill(0);
    throw integrityError(`chunk ${index} failed authentication`, error);
  }
  return plaintext;
}

function nonce(file: FileSeal, index: number): Buffer {
  if (index >= MAX_CHUNKS) throw new AirlockError('internal_error', 'A sealed staging file cannot hold more than 2^32 chunks.');
  const bytes = Buffer.alloc(12);
  file.noncePrefix.copy(bytes, 0);
  bytes.writeUInt32BE(index, 8);
  return bytes;
}

function aad(file: FileSeal, index: number, isFinal: boolean): Buffer {
  const bytes = Buffer.alloc(HEADER_BYTES + 5);
  file.header.copy(bytes, 0);
  bytes.writeUInt32BE(index, HEADER_BYTES);
  bytes.writeUInt8(isFinal ? 1 : 0, HEADER_BYTES + 4);
  return bytes;
}

/**
 * The one failure of a sealed file, whatever the cause: altered, cut, extended, reordered, or sealed under
 * another key or context. The reason says which check tripped; it never quotes content.
 */
export function integrityError(reason: string, cause?: unknown): AirlockError {
  const error = new AirlockError(
    'integrity_mismatch',
    `A staged file failed its integrity check (${reason}); it was altered, truncated or sealed under another key, and none of its unverified bytes were released.`,
    cause === undefined ? {} : { cause },
  );
  sealFailures.add(error);
  return error;
}

/** Whether `error` is a sealed file failing its checks (as opposed to a missing key or a disk error). */
export function isSealFailure(error: unknown): boolean {
  return error instanceof AirlockError && sealFailures.has(error);
}

const sealFailures = new WeakSet<AirlockError>();
