import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CONTAINER_HEAD_BYTES, containerKindOf } from './container-kind.js';
import { walkGzipStream } from './gzip-walker.js';
import { feed, type MemberSource } from './member-source.js';
import { createOfficeTextStream } from './office-text.js';
import { walkTarStream } from './tar-walker.js';
import type { MemberHandler, MemberPlace, WalkContext } from './walk-context.js';
import { walkZipFile } from './zip-walker.js';

/**
 * Decides what a member is by its first bytes, never its name: a container is opened (while the nesting
 * allows), anything else is handed to the visitor. An Office text part that turns out to be a container
 * is opened as one, so a zip renamed `word/document.xml` is not reduced to "text".
 */
export const walkMember: MemberHandler = async (ctx, source, member) => {
  const kind = containerKindOf(await source.head(CONTAINER_HEAD_BYTES));
  if (kind === undefined) return visitLeaf(ctx, source, member);
  if (member.depth >= ctx.limits.maxDepth) return ctx.tooDeep(member.entry);
  const place = { display: member.entry, depth: member.depth + 1, onMember: walkMember };
  if (kind === 'tar') return walkTarStream(ctx, source.chunks(), { ...place, counted: false });
  if (kind === 'gzip') return walkGzipStream(ctx, source.chunks(), place);
  return spillZip(ctx, source, place);
};

/**
 * A nested zip needs random access, so it is copied to a file of its own first: a random name in the
 * walk's private directory (never the member's name), mode 0600, removed afterwards. The copied bytes
 * were counted as they were read, so the limits bound the disk used as well.
 */
async function spillZip(
  ctx: WalkContext,
  source: MemberSource,
  place: { display: string; depth: number; onMember: MemberHandler },
): Promise<void> {
  const file = join(ctx.options.tempDir, `${randomUUID()}.zip`);
  try {
    await pipeline(Readable.from(source.chunks()), createWriteStream(file, { flags: 'wx', mode: 0o600 }));
    // A copy cut short by damage or a limit is reported by the parent's walker, not opened.
    if (source.isComplete) await walkZipFile(ctx, file, place.display, place.depth, place.onMember);
  } finally {
    await rm(file, { force: true });
  }
}

/**
 * Hands one leaf member to the visitor while pumping its bytes into the stream the visitor reads. The
 * stream ends normally even when the member's bytes stop early (damage, a limit): the container's walker
 * reports that, and the visitor has inspected what there was. The stream is destroyed once the visitor's
 * promise settles, so a visitor that stops reading cannot hold the walk.
 */
async function visitLeaf(ctx: WalkContext, source: MemberSource, member: MemberPlace): Promise<void> {
  ctx.membersVisited += 1;
  const kind = member.isTextPart ? 'document-text' : 'raw';
  const stream = kind === 'document-text' ? createOfficeTextStream() : new PassThrough();
  const pumping = feed(source.chunks(), stream);
  let failure: { error: unknown } | undefined;
  try {
    await ctx.options.visit({ entry: member.entry, kind, stream });
  } catch (error) {
    failure = { error };
  }
  stream.destroy();
  await pumping;
  ctx.throwIfAborted();
  if (failure) throw failure.error;
}
