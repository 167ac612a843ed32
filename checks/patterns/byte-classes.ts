/**
 * Byte tables shared by the detectors. Every detector works on raw bytes (UTF-8 or any ASCII-compatible
 * encoding): the values it looks for are ASCII, and a byte table lookup is the cheapest test there is.
 */

function table(predicate: (byte: number) => boolean): Uint8Array {
  const bytes = new Uint8Array(256);
  for (let byte = 0; byte < 256; byte++) bytes[byte] = predicate(byte) ? 1 : 0;
  return bytes;
}

const isDigitByte = (b: number): boolean => b >= 0x30 && b <= 0x39;
const isUpperByte = (b: number): boolean => b >= 0x41 && b <= 0x5a;
const isLowerByte = (b: number): boolean => b >= 0x61 && b <= 0x7a;

/** `[0-9]` */
export const DIGIT = table(isDigitByte);
/** `[A-Z]` */
export const UPPER = table(isUpperByte);
/** `[A-Za-z]` */
export const LETTER = table((b) => isUpperByte(b) || isLowerByte(b));
/** `[A-Za-z0-9]` */
export const ALNUM = table((b) => isDigitByte(b) || isUpperByte(b) || isLowerByte(b));
/** `[A-Za-z0-9_]`, what `\b` calls a word character. */
export const WORD = table((b) => isDigitByte(b) || isUpperByte(b) || isLowerByte(b) || b === 0x5f);
/** `[A-Z0-9]`, the characters of an electronic-format IBAN. */
export const UPPER_ALNUM = table((b) => isDigitByte(b) || isUpperByte(b));
/** `[A-Za-z0-9_-]`, the base64url alphabet (JWT parts). */
export const BASE64URL = table((b) => isDigitByte(b) || isUpperByte(b) || isLowerByte(b) || b === 0x5f || b === 0x2d);

/** Whether `bytes[at, at + text.length)` spells `text` (ASCII). */
export function bytesEqual(bytes: Uint8Array, at: number, text: string): boolean {
  if (at < 0 || at + text.length > bytes.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** `bytes[start, end)` as a string, one character per byte; only for short, already-matched values. */
export function latin1(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}
