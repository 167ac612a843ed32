import tar from 'tar-stream';
import { MemberSource, feed, type MemberStream } from './member-source.js';
import { memberEntry, type MemberHandler, type WalkContext } from './walk-context.js';

/** What tar-stream's extractor yields: a streamx readable of the entry's content, with its header. */
type TarEntry = MemberStream & { header: tar.Header };

/** Entry types that carry content; links, directories and devices have none to inspect. */
const CONTENT_TYPES = new Set(['file', 'contiguous-file']);

export interface TarPlace {
  display: string;
  depth: number;
  /** False when `input` is itself a counted member's bytes (see `MemberSourceOptions.counted`). */
  counted: boolean;
  onMember: MemberHandler;
}

/**
 * Walks a tar read from `input` in one pass: each entry is handed to `onMember` as it comes, then drained,
 * since tar has no index to seek in. tar-stream caps its long-name and PAX headers at 4 MiB, so a header
 * cannot make it buffer without bound.
 */
export async function walkTarStream(ctx: WalkContext, input: AsyncIterable<Buffer>, place: TarPlace): Promise<void> {
  const { display } = place;
  const extract = tar.extract();
  const feeding = feed(input, extract);
  const entries = extract[Symbol.asyncIterator]();
  let isDone = false;
  try {
    for (;;) {
      let next: IteratorResult<TarEntry>;
      try {
        next = await entries.next();
      } catch (error) {
        // Once a limit stopped the walk, the input was cut on purpose and the tar ends early.
        if (ctx.isStopped) break;
        ctx.damaged(display, error);
        ctx.skip(display, 'members after the damage not inspected');
        break;
      }
      if (next.done) {
        isDone = true;
        break;
      }
      ctx.throwIfAborted();
      if (!ctx.addEntry(display)) break;
      await walkTarEntry(ctx, next.value, place);
      if (ctx.isStopped) break;
    }
  } finally {
    if (!isDone) extract.destroy();
    await feeding;
  }
  if (ctx.isStopped && !isDone) ctx.skip(display, `members after this point not inspected: ${ctx.stopReason}`);
}

async function walkTarEntry(ctx: WalkContext, entry: TarEntry, place: TarPlace): Promise<void> {
  const member = memberEntry(place.display, entry.header.name);
  const source = new MemberSource(entry, ctx, { entry: member, counted: place.counted, drainOnRelease: true });
  try {
    if (CONTENT_TYPES.has(entry.header.type ?? 'file')) {
      await place.onMember(ctx, source, { entry: member, depth: place.depth, isTextPart: false });
    }
  } catch (error) {
    await source.release(true);
    throw error;
  }
  await source.release();
  ctx.reportRead(source, place.display, member);
}
