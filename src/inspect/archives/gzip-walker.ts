import { createGunzip } from 'node:zlib';
import { CONTAINER_HEAD_BYTES, containerKindOf } from './container-kind.js';
import { MemberSource, feed } from './member-source.js';
import { walkTarStream } from './tar-walker.js';
import { memberEntry, type MemberHandler, type WalkContext } from './walk-context.js';

/**
 * Walks a gzip stream. Its payload is one member named after the gzip (`x.gz!/x`), unless it is a tar:
 * then `.tar.gz` is one container, its members listed directly under it (`x.tar.gz!/a.txt`) and counted
 * as one nesting level. Node's gunzip reads concatenated gzip members as one payload, and fails on
 * trailing bytes that are not zeros, a wrong CRC or a truncated stream; each is reported as damage.
 */
export async function walkGzipStream(
  ctx: WalkContext,
  input: AsyncIterable<Buffer>,
  place: { display: string; depth: number; onMember: MemberHandler },
): Promise<void> {
  const { display, depth, onMember } = place;
  const gunzip = createGunzip();
  const feeding = feed(input, gunzip);
  const payload = memberEntry(display, gunzippedName(display));
  const source = new MemberSource(gunzip, ctx, { entry: payload, counted: true, drainOnRelease: false });
  try {
    const head = await source.head(CONTAINER_HEAD_BYTES);
    if (containerKindOf(head) === 'tar') {
      await walkTarStream(ctx, source.chunks(), { display, depth, counted: false, onMember });
    } else if (source.error !== undefined && head.length === 0) {
      // Not gzip data at all (a bad header): nothing to hand on; reported below as damage.
    } else if (ctx.addEntry(display)) {
      await onMember(ctx, source, { entry: payload, depth, isTextPart: false });
    }
  } finally {
    await source.release();
    await feeding;
  }
  ctx.reportRead(source, display, payload);
}

/** `x.gz` → `x`, `x.tgz` → `x.tar`, `x.svgz` → `x.svg`, from the last segment of the display name. */
export function gunzippedName(display: string): string {
  const base = display.slice(display.lastIndexOf('/') + 1);
  const name = base.replace(/\.t?gz$|\.gzip$|(?<=\.svg)z$/i, (suffix) => (suffix.toLowerCase() === '.tgz' ? '.tar' : ''));
  return name === '' ? base : name;
}
