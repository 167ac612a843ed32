import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rename, unlink, type FileHandle } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AirlockError, type ErrorCode } from '../../src/errors.js';
import {
  TEMP_NAME,
  temporaryName,
  type Connector,
  type ConnectorDescription,
  type ListedItem,
  type Selector,
  type WriteOptions,
  type WriteResult,
} from '../connector.js';
import { compileSelector, type PathMatcher } from '../glob.js';
import { splitRelativePath } from '../relative-path.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY } = constants;

/** Filesystem errors an operator can act on, as the end of a sentence starting with the path. */
const FS_FAILURES: Record<string, string> = {
  ENOENT: 'does not exist',
  EACCES: 'is not accessible (permission denied); check owner and mode',
  EPERM: 'is not accessible (operation not permitted); check owner and mode',
  ENOTDIR: 'has a file where a folder should be',
  EISDIR: 'is a folder, not a file',
  ENAMETOOLONG: 'has a name that is too long for the filesystem',
};

/** Filesystem error codes for a passing condition, reported as `connector_unreachable` so they are retried. */
const TRANSIENT_FS_CODES = new Set([
  'EAGAIN', // resource temporarily unavailable
  'EBUSY', // file or device busy
  'EMFILE', // this process is out of file descriptors
  'ENFILE', // the system is out of file descriptors
  'ENOSPC', // disk full; space may be freed
  'EIO', // I/O error, typically a network filesystem hiccup
  'ETIMEDOUT', // network filesystem timeout
]);

export interface LocalConnectorOptions {
  /** Absolute directory the connector is jailed to (the factory resolves relative roots). */
  root: string;
}

/**
 * A directory on this machine. Every path is checked before use: absolute paths, `..`, NUL bytes and
 * backslashes are refused, and symbolic links may never lead outside the root. `list` does not follow
 * links at all, and `open` refuses a link as the file itself (see `open`). Folders reached through a link
 * that stays inside the root are accepted by `open` and `write`. The checks resolve paths and then use
 * them, so a local user able to swap folders for links inside the root in between could still race them:
 * the root must not be writable by anyone Airlock does not trust.
 */
export class LocalConnector implements Connector {
  readonly kind = 'local';
  readonly #root: string;

  constructor(options: LocalConnectorOptions) {
    if (!isAbsolute(options.root)) {
      throw new AirlockError('invalid_input', `Local connector root ${JSON.stringify(options.root)} must be an absolute path.`);
    }
    this.#root = options.root;
  }

  describe(): ConnectorDescription {
    return { kind: this.kind, location: this.#root };
  }

  async *list(selector: Selector = {}): AsyncIterable<ListedItem> {
    const isSelected = compileSelector(selector);
    const prefix = this.#segments(selector.prefix ?? '', true);
    const realRoot = await this.#realRoot();
    const expected = join(realRoot, ...prefix);
    let start: string;
    try {
      start = await realpath(expected);
    } catch (error) {
      // A prefix that does not exist (yet) selects nothing, as an empty bucket prefix would.
      if (hasCode(error, 'ENOENT', 'ENOTDIR')) return;
      throw this.#fsError(error, selector.prefix ?? '');
    }
    if (start !== expected) throw this.#escape(selector.prefix ?? '', 'goes through a symbolic link, which listing never follows');
    yield* this.#walk(start, prefix, isSelected);
  }

  /**
   * Refuses any symbolic link as the file itself, even one pointing inside the root: `list` never returns
   * links, so nothing legitimate opens one, and `O_NOFOLLOW` refuses it atomically instead of checking
   * first and opening after. `O_NONBLOCK` keeps a FIFO from hanging the open; it is then refused as not a
   * regular file. The descriptor is opened before the stream exists so failures reject this promise.
   */
  async open(path: string): Promise<Readable> {
    const segments = this.#segments(path, false);
    const realRoot = await this.#realRoot();
    const parent = await this.#fs(realpath(join(realRoot, ...segments.slice(0, -1))), path);
    if (!isInside(realRoot, parent)) throw this.#escape(path, 'goes through a symbolic link that leads outside the root');
    let handle: FileHandle;
    try {
      handle = await open(join(parent, segments.at(-1) as string), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (error) {
      if (hasCode(error, 'ELOOP')) throw this.#escape(path, 'is a symbolic link, which the local connector never opens');
      throw this.#fsError(error, path);
    }
    try {
      if (!(await handle.stat()).isFile()) throw this.#failure(path, 'is not a regular file');
    } catch (error) {
      await handle.close();
      throw this.#fsError(error, path);
    }
    return handle.createReadStream({ highWaterMark: 256 * 1024 });
  }

  /**
   * Streams into `temporaryName(name, attempt)` beside the target, fsyncs, then renames over the target, so
   * readers see the old file or the whole new one. With an `attempt`, a leftover of that temporary name (its
   * writer was killed) is unlinked first. On any failure the temporary file is removed and `data` is
   * destroyed (write owns the stream once called); errors from `data` come through unchanged.
   */
  async write(path: string, data: Readable, options: WriteOptions = {}): Promise<WriteResult> {
    const { signal, attempt } = options;
    let tempPath: string | undefined;
    try {
      signal?.throwIfAborted();
      const segments = this.#segments(path, false);
      const name = segments.at(-1) as string;
      const dir = await this.#ensureDir(await this.#realRoot(), segments.slice(0, -1), path);
      const temp = join(dir, temporaryName(name, attempt));
      if (attempt !== undefined) await this.#unlinkIfPresent(temp, path);
      tempPath = temp;
      const written = await this.#writeFile(tempPath, data, path, signal);
      await this.#fs(rename(tempPath, join(dir, name)), path);
      tempPath = undefined;
      await syncDirectory(dir);
      return { path: segments.join('/'), ...written };
    } catch (error) {
      data.destroy();
      if (tempPath !== undefined) await unlink(tempPath).catch(() => undefined);
      throw error;
    }
  }

  /** Unlinks the temporary file of `attempt` for `path`; the file at `path` itself is never touched. */
  async discardPartial(path: string, attempt: string): Promise<void> {
    const segments = this.#segments(path, false);
    const realRoot = await this.#realRoot();
    let parent: string;
    try {
      parent = await realpath(join(realRoot, ...segments.slice(0, -1)));
    } catch (error) {
      if (hasCode(error, 'ENOENT', 'ENOTDIR')) return; // no folder, so no leftover in it
      throw this.#fsError(error, path);
    }
    if (!isInside(realRoot, parent)) throw this.#escape(path, 'goes through a symbolic link that leads outside the root');
    await this.#unlinkIfPresent(join(parent, temporaryName(segments.at(-1) as string, attempt)), path);
  }

  async #unlinkIfPresent(file: string, path: string): Promise<void> {
    try {
      await unlink(file);
    } catch (error) {
      if (!hasCode(error, 'ENOENT')) throw this.#fsError(error, path);
    }
  }

  async #writeFile(tempPath: string, data: Readable, path: string, signal?: AbortSignal): Promise<Omit<WriteResult, 'path'>> {
    const handle = await this.#fs(open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o640), path);
    const hash = createHash('sha256');
    let size = 0;
    try {
      const sink = async (source: AsyncIterable<unknown>): Promise<void> => {
        for await (const chunk of source) {
          const bytes = toBytes(chunk, path);
          hash.update(bytes);
          size += bytes.length;
          await this.#fs(writeFully(handle, bytes), path);
        }
      };
      await pipeline(data, sink, { signal });
      await this.#fs(handle.sync(), path);
    } finally {
      await handle.close();
    }
    return { size, sha256: hash.digest('hex') };
  }

  /** Depth-first in UTF-8 byte order of full paths (the order S3 lists keys in): a folder sorts as `name/`. */
  async *#walk(dir: string, base: readonly string[], isSelected: PathMatcher): AsyncGenerator<ListedItem> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if (hasCode(error, 'ENOENT', 'ENOTDIR')) return; // a prefix naming a file, or a folder removed meanwhile
      throw this.#fsError(error, base.join('/'));
    }
    const entries: { name: string; key: Buffer; stats: Stats }[] = [];
    for (const name of names) {
      // A backslash name could never be opened (paths with one are refused), so it is not offered.
      if (name.includes('\\') || TEMP_NAME.test(name)) continue;
      let stats: Stats;
      try {
        stats = await lstat(join(dir, name));
      } catch (error) {
        if (hasCode(error, 'ENOENT')) continue;
        throw this.#fsError(error, [...base, name].join('/'));
      }
      // Links, FIFOs, sockets and devices are skipped: only regular files and real folders are walked.
      if (stats.isDirectory()) entries.push({ name, key: Buffer.from(`${name}/`), stats });
      else if (stats.isFile()) entries.push({ name, key: Buffer.from(name), stats });
    }
    entries.sort((a, b) => Buffer.compare(a.key, b.key));
    for (const { name, stats } of entries) {
      const segments = [...base, name];
      if (stats.isDirectory()) {
        yield* this.#walk(join(dir, name), segments, isSelected);
        continue;
      }
      const path = segments.join('/');
      if (isSelected(path)) yield { path, size: stats.size, modifiedAt: stats.mtime };
    }
  }

  /** Creates missing folders one level at a time, following an existing link only if it stays inside. */
  async #ensureDir(realRoot: string, dirSegments: readonly string[], path: string): Promise<string> {
    let current = realRoot;
    for (const segment of dirSegments) {
      const next = join(current, segment);
      try {
        await mkdir(next, { mode: 0o750 });
        current = next;
        continue;
      } catch (error) {
        if (!hasCode(error, 'EEXIST')) throw this.#fsError(error, path);
      }
      current = await this.#fs(realpath(next), path);
      if (!isInside(realRoot, current)) throw this.#escape(path, 'goes through a symbolic link that leads outside the root');
    }
    return current;
  }

  async #realRoot(): Promise<string> {
    try {
      const real = await realpath(this.#root);
      if ((await lstat(real)).isDirectory()) return real;
    } catch (error) {
      if (!hasCode(error, 'ENOENT', 'ENOTDIR')) throw this.#fsError(error, '.');
    }
    const message = `Local connector root ${this.#root} does not exist or is not a folder; create it or fix the connector's root setting.`;
    throw new AirlockError('connector_failed', message);
  }

  /** Splits a relative path into segments, refusing anything that could name a place outside the root. */
  #segments(path: string, allowRoot: boolean): string[] {
    if (typeof path !== 'string') throw new AirlockError('invalid_input', `A local connector path must be a string, got ${typeof path}.`);
    const split = splitRelativePath(path);
    if ('refused' in split) throw this.#escape(path, split.refused);
    const { segments } = split;
    if (segments.length === 0 && !allowRoot) throw this.#failure(path, 'names the root itself, not a file', undefined, 'invalid_input');
    return segments;
  }

  #escape(path: string, reason: string): AirlockError {
    const message = `Refused path ${JSON.stringify(path)}: it ${reason}; paths must stay inside local connector root ${this.#root}.`;
    return new AirlockError('path_escape', message);
  }

  #failure(path: string, what: string, cause?: unknown, code: ErrorCode = 'connector_failed'): AirlockError {
    return new AirlockError(code, `Path ${JSON.stringify(path)} under local connector root ${this.#root} ${what}.`, { cause });
  }

  /** Translates a filesystem error at the connector's edge; an AirlockError passes through unchanged. */
  #fsError(error: unknown, path: string): AirlockError {
    if (error instanceof AirlockError) return error;
    const code = String((error as { code?: unknown } | null)?.code ?? 'unknown error');
    const known = FS_FAILURES[code];
    if (known !== undefined) return this.#failure(path, known, error);
    const errorCode = TRANSIENT_FS_CODES.has(code) ? 'connector_unreachable' : 'connector_failed';
    return this.#failure(path, `could not be used (${code})`, error, errorCode);
  }

  async #fs<T>(operation: Promise<T>, path: string): Promise<T> {
    try {
      return await operation;
    } catch (error) {
      throw this.#fsError(error, path);
    }
  }
}

function hasCode(error: unknown, ...codes: string[]): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && codes.includes(code);
}

function isInside(realRoot: string, candidate: string): boolean {
  const rel = relative(realRoot, candidate);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function toBytes(chunk: unknown, path: string): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new AirlockError('invalid_input', `The stream written to ${JSON.stringify(path)} yielded something other than bytes.`);
}

async function writeFully(handle: FileHandle, bytes: Buffer): Promise<void> {
  for (let offset = 0; offset < bytes.length;) offset += (await handle.write(bytes, offset)).bytesWritten;
}

/** Makes the rename itself durable. Best effort: some filesystems refuse fsync on a folder. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, O_RDONLY | O_DIRECTORY).catch(() => undefined);
  await handle?.sync().catch(() => undefined);
  await handle?.close().catch(() => undefined);
}
