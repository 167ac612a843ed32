import { fileTypeFromBuffer, type FileTypeResult } from 'file-type';

/** What the first bytes of an item are, as far as names are concerned. */
export interface SniffedContent {
  mime: string;
  /** Extension that matches the content, without the dot. */
  ext: string;
  /** `executable` and `text` get their own naming rules; everything else is `binary`. */
  kind: 'executable' | 'text' | 'binary';
  /** Operator-facing words for the content ("ELF executable", "PNG"); never quotes it. */
  label: string;
}

/**
 * file-type results that are text formats themselves: when the sample also looks like text they are
 * kept (they are more precise than `text/plain`) and the content still counts as text.
 */
const TEXT_FORMATS = new Set(['xml', 'rtf', 'ps', 'eps', 'vcf', 'ics', 'vtt', 'pgp', 'reg']);

/**
 * Binary formats whose magic is long and specific enough to trust even when the sample looks like text.
 * A small uncompressed PDF can be all printable bytes; "BM" (BMP) or "MZ" at the start of a CSV cannot
 * be trusted the same way.
 */
const TEXT_LIKE_BINARY_FORMATS = new Set(['pdf']);

/** Control bytes that ordinary text carries: backspace, tab, LF, VT, FF, CR, ESC (terminal colours). */
const TEXT_CONTROL_BYTES = new Set([0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1b]);

/**
 * Classifies a sample (the item's first bytes). `isTruncated` says the item goes on past the sample, so
 * a multi-byte character cut at its end is not an encoding error.
 */
export async function sniffContent(sample: Uint8Array, options: { isTruncated: boolean; signal: AbortSignal }): Promise<SniffedContent> {
  const isText = looksLikeText(sample, options.isTruncated);
  const executable = detectExecutable(sample, isText);
  if (executable) return executable;

  let detected: FileTypeResult | undefined = sample.length > 0 ? await fileTypeFromBuffer(sample, { signal: options.signal }) : undefined;
  if (detected && isText && !TEXT_FORMATS.has(detected.ext) && !TEXT_LIKE_BINARY_FORMATS.has(detected.ext)) detected = undefined;

  if (detected) {
    const kind = isText && TEXT_FORMATS.has(detected.ext) ? 'text' : 'binary';
    return { mime: detected.mime, ext: detected.ext, kind, label: detected.ext.toUpperCase() };
  }
  if (isText) return { mime: 'text/plain', ext: 'txt', kind: 'text', label: 'text' };
  return { mime: 'application/octet-stream', ext: 'bin', kind: 'binary', label: 'unrecognised binary' };
}

/**
 * Native executables by their own magic, independent of file-type, so that a detection change there
 * cannot silently drop the `executable` finding. Java class files share Mach-O's universal magic.
 */
export function detectExecutable(sample: Uint8Array, isText: boolean): SniffedContent | undefined {
  const view = new DataView(sample.buffer, sample.byteOffset, sample.byteLength);
  const magic = sample.length >= 4 ? view.getUint32(0, false) : undefined;

  if (magic === 0x7f454c46) return executable('ELF', 'application/x-elf', 'elf');

  // Thin Mach-O, 32/64-bit, in either byte order (MH_MAGIC, MH_MAGIC_64, MH_CIGAM, MH_CIGAM_64).
  if (magic === 0xfeedface || magic === 0xfeedfacf || magic === 0xcefaedfe || magic === 0xcffaedfe) {
    return executable('Mach-O', 'application/x-mach-binary', 'macho');
  }
  // Universal binaries (FAT_MAGIC, FAT_MAGIC_64) are followed by a small architecture count; a Java class
  // file continues with minor and major version (major >= 45), which reads as a far larger number. The
  // cut-off at 30 is the one file(1) uses.
  if ((magic === 0xcafebabe || magic === 0xcafebabf) && sample.length >= 8) {
    const architectures = view.getUint32(4, false);
    if (architectures >= 1 && architectures <= 30) return executable('Mach-O universal', 'application/x-mach-binary', 'macho');
  }

  if (sample[0] === 0x4d && sample[1] === 0x5a) {
    if (hasPeHeader(sample, view)) return executable('PE', 'application/x-msdownload', 'exe');
    // A bare MZ header is still a DOS executable (or a PE whose header lies past the sample), but two
    // letters at the start of a text file are not.
    if (!isText) return executable('MZ (DOS)', 'application/x-msdownload', 'exe');
  }
  return undefined;
}

/** e_lfanew, at 0x3c of the DOS header, points at the `PE\0\0` signature of a Windows executable. */
function hasPeHeader(sample: Uint8Array, view: DataView): boolean {
  if (sample.length < 0x40) return false;
  const offset = view.getUint32(0x3c, true);
  return offset >= 0x40 && offset + 4 <= sample.length && view.getUint32(offset, false) === 0x50450000;
}

function executable(format: string, mime: string, ext: string): SniffedContent {
  return { mime, ext, kind: 'executable', label: `${format} executable` };
}

/**
 * Text is: no NUL byte, at most 1% unusual control bytes, and either valid UTF-8 or a legacy 8-bit
 * encoding (a Windows-1252 CSV export is text; its high bytes are the exception, not the rule). A UTF-16
 * byte-order mark counts as text although UTF-16 is full of NULs.
 */
export function looksLikeText(sample: Uint8Array, isTruncated: boolean): boolean {
  if (sample.length === 0) return true;
  if ((sample[0] === 0xff && sample[1] === 0xfe) || (sample[0] === 0xfe && sample[1] === 0xff)) return true;

  let controls = 0;
  let highBytes = 0;
  for (const byte of sample) {
    if (byte === 0) return false;
    if ((byte < 0x20 && !TEXT_CONTROL_BYTES.has(byte)) || byte === 0x7f) controls++;
    else if (byte >= 0x80) highBytes++;
  }
  if (controls * 100 > sample.length) return false;
  if (highBytes === 0 || isUtf8(sample, isTruncated)) return true;
  return highBytes * 100 <= sample.length * 30;
}

function isUtf8(sample: Uint8Array, isTruncated: boolean): boolean {
  try {
    // `stream: true` holds back a sequence cut by the sample's end instead of calling it invalid.
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: isTruncated });
    return true;
  } catch {
    return false;
  }
}
