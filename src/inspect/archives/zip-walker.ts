import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { MemberSource } from './member-source.js';
import { OfficeSignature, isOfficeTextPart, type OfficeFlavour } from './office-parts.js';
import { memberEntry, type MemberHandler, type WalkContext } from './walk-context.js';

/**
 * `decodeStrings: false` because yauzl refuses a whole archive over one member named `../x` or `/x`; we
 * inspect such members (nothing is ever written under a member's name) and decode names ourselves.
 * `validateEntrySizes` makes a member that inflates past its declared size fail instead of running on.
 */
const ZIP_OPTIONS = { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: true } as const;

/** General-purpose flag bit 0: the member is encrypted (traditional PKWARE or AES). */
const ENCRYPTED_FLAG = 0x1;

/**
 * Walks the zip in `file` (random access: the central directory sits at its end), handing each member to
 * `onMember` in central-directory order. Office packages are recognised first, so their text parts are
 * marked whatever order the members come in.
 */
export async function walkZipFile(ctx: WalkContext, file: string, display: string, depth: number, onMember: MemberHandler): Promise<void> {
  const flavour = await officeFlavourOf(file, ctx.limits.maxEntries);
  let zipfile: ZipFile;
  try {
    zipfile = await yauzl.openPromise(file, ZIP_OPTIONS);
  } catch (error) {
    ctx.damaged(display, error);
    ctx.skip(display, 'not opened: its central directory is unreadable');
    return;
  }
  // yauzl may report a late error after iteration ended; the iterator below is where errors are handled.
  zipfile.on('error', () => {});
  const entries = zipfile.eachEntry();
  let read = 0;
  try {
    for (;;) {
      let next: IteratorResult<Entry>;
      try {
        next = await entries.next();
      } catch (error) {
        ctx.damaged(display, error);
        ctx.skip(display, `${zipfile.entryCount - read} more members not inspected: the central directory is damaged`);
        break;
      }
      if (next.done) break;
      ctx.throwIfAborted();
      if (!ctx.addEntry(display)) break;
      read += 1;
      await walkZipEntry(ctx, zipfile, next.value, { display, depth, flavour, onMember });
      if (ctx.isStopped) break;
    }
  } finally {
    await entries.return?.();
    zipfile.close();
  }
  const remaining = zipfile.entryCount - read;
  if (ctx.isStopped && remaining > 0) ctx.skip(display, `${remaining} more members not inspected: ${ctx.stopReason}`);
}

interface ZipPlace {
  display: string;
  depth: number;
  flavour: OfficeFlavour | undefined;
  onMember: MemberHandler;
}

async function walkZipEntry(ctx: WalkContext, zipfile: ZipFile, entry: Entry, place: ZipPlace): Promise<void> {
  // Strict names keep backslashes as stored: they are shown as-is, never rewritten.
  const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
  const member = memberEntry(place.display, name);
  // A directory holds nothing; one that claims data is read like any member, so nothing hides behind a slash.
  if (name.endsWith('/') && entry.compressedSize === 0) return;
  if (entry.generalPurposeBitFlag & ENCRYPTED_FLAG) return ctx.encrypted(member);
  if (!entry.canDecodeFileData()) return ctx.skip(member, `compression method ${entry.compressionMethod} is not supported`);

  let stream;
  try {
    stream = await zipfile.openReadStreamPromise(entry);
  } catch (error) {
    ctx.damaged(place.display, error);
    return ctx.skip(member, 'not read: its local header is damaged');
  }
  const source = new MemberSource(stream, ctx, { entry: member, counted: true, drainOnRelease: false });
  try {
    await place.onMember(ctx, source, { entry: member, depth: place.depth, isTextPart: isOfficeTextPart(place.flavour, name) });
  } finally {
    await source.release();
  }
  ctx.reportRead(source, place.display, member);
  // yauzl checks sizes but not checksums; a member whose bytes differ from its CRC-32 was altered or damaged.
  if (source.isComplete && source.crc !== entry.crc32) ctx.damaged(place.display, 'CRC-32 mismatch');
}

/** A first pass over the central directory (cheap: names only) to tell an Office package from a zip. */
async function officeFlavourOf(file: string, maxEntries: number): Promise<OfficeFlavour | undefined> {
  const signature = new OfficeSignature();
  let zipfile: ZipFile | undefined;
  try {
    zipfile = await yauzl.openPromise(file, ZIP_OPTIONS);
    zipfile.on('error', () => {});
    let seen = 0;
    for await (const entry of zipfile.eachEntry()) {
      signature.see(yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true));
      if ((seen += 1) > maxEntries) break;
    }
  } catch {
    // The main pass meets the same damage and reports it.
  } finally {
    zipfile?.close();
  }
  return signature.flavour;
}
