import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Finding } from '../../../checks/check.js';
import type { ContainerKind } from './container-kind.js';
import { walkGzipStream } from './gzip-walker.js';
import { MemberSource } from './member-source.js';
import { walkTarStream } from './tar-walker.js';
import { WalkContext, escapeName, type ArchiveLimits, type ArchiveMember, type SkippedMember } from './walk-context.js';
import { walkMember } from './walk-member.js';
import { walkZipFile } from './zip-walker.js';

export interface WalkSource {
  /** A readable file on disk (zip needs random access). */
  file: string;
  /** How the item is shown in entries, e.g. `report.zip`. */
  name: string;
  /** What the item is, by its magic bytes (`containerKindOf`). */
  kind: ContainerKind;
}

export interface WalkOptions {
  limits: ArchiveLimits;
  signal?: AbortSignal;
  /** A private directory (0700) for nested zips copied out for random access; left empty afterwards. */
  tempDir: string;
}

export interface WalkResult {
  /** `archive_bomb`, `encrypted_archive`, `corrupt_file`, reported as the `filetype` check's. */
  findings: Finding[];
  /** Members not inspected, or inspected only in part, and why. Anything listed here was not fully seen. */
  skipped: SkippedMember[];
  /** Leaf members handed to the visitor. */
  membersVisited: number;
  /** Bytes read out of members, all levels together, as the limits counted them. */
  expandedBytes: number;
}

/**
 * Opens a container and hands every leaf member to `visit`, one at a time and in order, recursing into
 * nested containers (recognised by content) up to `limits.maxDepth`. Limits apply to bytes actually
 * produced, never to sizes or counts an archive declares. Damage, encryption and limits become findings
 * and skipped entries; the promise rejects only on an abort, a failing visitor, or an I/O error on the
 * file or the temporary directory.
 */
export async function walkContainer(
  source: WalkSource,
  visit: (member: ArchiveMember) => Promise<void>,
  options: WalkOptions,
): Promise<WalkResult> {
  const { signal, tempDir, limits } = options;
  signal?.throwIfAborted();
  const { size } = await stat(source.file);
  const display = escapeName(source.name);
  const ctx = new WalkContext(limits, { rootName: display, compressedSize: size, tempDir, signal, visit });

  if (source.kind === 'zip') {
    await walkZipFile(ctx, source.file, display, 1, walkMember);
  } else {
    // The item's own bytes: not counted (nothing was expanded yet) and, unlike a member's, an error
    // reading them is an I/O failure rather than damage.
    const file = new MemberSource(createReadStream(source.file), ctx, { entry: display, counted: false, drainOnRelease: false });
    try {
      const place = { display, depth: 1, onMember: walkMember };
      if (source.kind === 'tar') await walkTarStream(ctx, file.chunks(), { ...place, counted: true });
      else await walkGzipStream(ctx, file.chunks(), place);
    } finally {
      await file.release();
    }
    if (file.error !== undefined) throw file.error;
  }
  ctx.throwIfAborted();
  return { findings: ctx.findings, skipped: ctx.skippedList(), membersVisited: ctx.membersVisited, expandedBytes: ctx.expandedBytes };
}
