import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AirlockError } from '../../src/errors.js';
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
import { DEFAULT_SFTP_RETRY, SftpConnections, type SftpRetryOptions } from './sftp-connections.js';
import type { CreateSftpClient, SftpConnectorConfig } from './sftp-connector-config.js';
import { classifySftpError, sftpFailure } from './sftp-errors.js';
import { replaceAtomically, SftpPaths } from './sftp-paths.js';
import { FILE_SHRANK, SftpReadStream } from './sftp-read-stream.js';
import type { SftpCredentials, SftpSession } from './sftp-session.js';
import { remoteClosed, SFTP_CHUNK_BYTES, WriteMeter } from './sftp-streams.js';
import { SftpWriteStream } from './sftp-write-stream.js';

export type { SftpRetryOptions } from './sftp-connections.js';

export interface SftpConnectorOptions {
  config: SftpConnectorConfig;
  /** Reads the key file and resolves secret references; called for every new connection, so rotations apply. */
  loadCredentials: () => Promise<SftpCredentials>;
  /** Builds the SFTP client (ssh2-sftp-client in production; tests may wrap or fake it). */
  createClient: CreateSftpClient;
  /** Retry timing for transient failures; tests shorten it. */
  retry?: SftpRetryOptions;
}

/**
 * A folder on an SFTP server. One connection is shared by all operations and reopened by the next
 * operation after it drops. Short operations (listing a folder, stat, mkdir, rename, delete, opening a
 * file) are retried on a new connection after a transient failure; a transfer in progress is not, since
 * its source cannot be replayed: it fails with `connector_unreachable` and the caller retries the item.
 * Symbolic links are neither listed nor opened; folders reached through one must resolve inside the root.
 */
export class SftpConnector implements Connector {
  readonly kind = 'sftp';
  readonly #config: SftpConnectorConfig;
  readonly #location: string;
  readonly #paths: SftpPaths;
  readonly #connections: SftpConnections;

  constructor(options: SftpConnectorOptions) {
    const { config } = options;
    this.#config = config;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    this.#location = `sftp://${config.username}@${host}:${config.port}${config.root}`;
    this.#paths = new SftpPaths(config.root, this.#location);
    this.#connections = new SftpConnections({ ...options, location: this.#location, retry: options.retry ?? DEFAULT_SFTP_RETRY });
  }

  describe(): ConnectorDescription {
    return { kind: this.kind, location: this.#location };
  }

  async *list(selector: Selector = {}): AsyncIterable<ListedItem> {
    const isSelected = compileSelector(selector);
    const prefix = this.#paths.segments(selector.prefix ?? '', true);
    const { real, root } = await this.#connections.run('listing', selector.prefix ?? '', async (session) => ({
      real: await session.client.realPath(this.#paths.remote(prefix)),
      root: session.realRoot,
    }));
    if (real === '') return; // a prefix that does not exist (yet) selects nothing, as an empty bucket prefix would
    if (real !== posix.join(root, ...prefix)) {
      throw this.#paths.escape(selector.prefix ?? '', 'goes through a symbolic link, which listing never follows');
    }
    yield* this.#walk(prefix, isSelected);
  }

  /** Checks the file (a regular file, not a link, not through a link leading out), opens it, and reads ahead. */
  async open(path: string): Promise<Readable> {
    const segments = this.#paths.segments(path, false);
    const remote = this.#paths.remote(segments);
    return this.#connections.run('reading', path, async (session) => {
      await this.#paths.checkParent(session, segments, path);
      const type = await session.client.exists(remote);
      if (type === false) throw this.#paths.failure(path, 'does not exist');
      if (type === 'l') throw this.#paths.escape(path, 'is a symbolic link, which the SFTP connector never opens');
      if (type !== '-') throw this.#paths.failure(path, 'is not a regular file');
      const { channel } = session;
      const handle = await session.guard(promised<Buffer>((callback) => channel.open(remote, 'r', callback)));
      let size: number;
      try {
        const stats = await session.guard(promised<{ size: number; isFile(): boolean }>((callback) => channel.fstat(handle, callback)));
        if (!stats.isFile()) throw this.#paths.failure(path, 'is not a regular file');
        size = stats.size;
      } catch (error) {
        channel.close(handle, () => undefined);
        throw error;
      }
      const translate = (error: unknown): Error =>
        (error as { code?: unknown }).code === FILE_SHRANK
          ? new AirlockError(
              'connector_unreachable',
              `SFTP path ${JSON.stringify(path)} under ${this.#location} got shorter while being read; fetch it again once it is complete.`,
            )
          : sftpFailure(error, this.#location, 'reading', path);
      const options = { chunkBytes: SFTP_CHUNK_BYTES, concurrency: this.#config.concurrency, translate };
      return session.track(new SftpReadStream(channel, handle, size, options), translate);
    });
  }

  /**
   * Streams into `temporaryName(name, attempt)` beside the target (created exclusively), checks the size
   * the server holds, then replaces the target atomically with `posix-rename@openssh.com`. With an
   * `attempt`, a leftover of that temporary name (its writer was killed) is deleted first. On any failure
   * the temporary file is removed (or, when the connection is gone, on the next one) and `data` destroyed.
   */
  async write(path: string, data: Readable, options: WriteOptions = {}): Promise<WriteResult> {
    const { signal, attempt } = options;
    let temp: string | undefined;
    let session: SftpSession | undefined;
    // Listening from the start: a source failing while the connection is made must not go unhandled.
    let origin: 'source' | 'sink' | undefined;
    data.once('error', () => (origin ??= 'source'));
    try {
      signal?.throwIfAborted();
      const segments = this.#paths.segments(path, false);
      const dirSegments = segments.slice(0, -1);
      const tempName = this.#paths.remote([...dirSegments, temporaryName(segments.at(-1) as string, attempt)]);
      const prepare = async (s: SftpSession): Promise<SftpSession> => {
        await this.#paths.ensureDir(s, dirSegments, path);
        if (attempt !== undefined) await s.client.delete(tempName, true);
        return s;
      };
      // The folders are made (and a leftover removed) with retries on the connection the bytes then go through.
      session = await this.#connections.run('writing', path, prepare, signal);
      temp = tempName;
      this.#connections.hold(temp);
      const meter = new WriteMeter(path);
      const { channel } = session;
      const handle = await session.guard(promised<Buffer>((callback) => channel.open(tempName, 'wx', { mode: 0o640 }, callback)));
      const translate = (error: unknown): Error => sftpFailure(error, this.#location, 'writing', path);
      const sink = session.track(new SftpWriteStream(channel, handle, { concurrency: this.#config.concurrency, translate }), translate);
      const closed = remoteClosed(sink);
      sink.once('error', () => (origin ??= 'sink'));
      try {
        await pipeline(data, meter, sink, { signal });
      } catch (error) {
        // The source's own error, or the abort, comes through unchanged; the server side's is translated.
        throw origin === 'sink' && signal?.aborted !== true && !(error instanceof AirlockError) ? translate(error) : error;
      }
      const tempPath = temp;
      await this.#connections.step(session, 'writing', path, async (s) => {
        await s.guard(closed);
        const { size } = await s.client.stat(tempPath);
        if (size !== meter.size) {
          const message = `SFTP server holds ${size} of ${meter.size} bytes written to ${JSON.stringify(path)} under ${this.#location}; retry the transfer.`;
          throw new AirlockError('connector_unreachable', message);
        }
        await replaceAtomically(s, tempPath, this.#paths.remote(segments));
      });
      this.#connections.release(temp);
      return { path: segments.join('/'), size: meter.size, sha256: meter.sha256 };
    } catch (error) {
      data.destroy();
      if (temp !== undefined && session !== undefined) await this.#connections.discard(session, temp);
      throw error;
    }
  }

  /** Deletes the temporary file of `attempt` for `path`; the file at `path` itself is never touched. */
  async discardPartial(path: string, attempt: string): Promise<void> {
    const segments = this.#paths.segments(path, false);
    const temp = this.#paths.remote([...segments.slice(0, -1), temporaryName(segments.at(-1) as string, attempt)]);
    await this.#connections.run('discarding a partial write of', path, async (session) => {
      // A folder that leads out of the root through a link is refused rather than deleted in.
      await this.#paths.checkParent(session, segments, path);
      await session.client.delete(temp, true);
    });
  }

  /** `keep` does nothing; `delete` and `move:` succeed again when an earlier call already did the work. */
  async afterDelivered(path: string): Promise<void> {
    const after = this.#config.after;
    if (after.action === 'keep') return;
    const segments = this.#paths.segments(path, false);
    const remote = this.#paths.remote(segments);
    if (after.action === 'delete') {
      await this.#connections.run('deleting', path, (session) => session.client.delete(remote, true));
      return;
    }
    const target = [...this.#paths.segments(after.dir, false), ...segments];
    await this.#connections.run('moving', path, async (session) => {
      if ((await session.client.exists(remote)) === false) {
        if ((await session.client.exists(this.#paths.remote(target))) === '-') return;
        throw this.#paths.failure(path, `does not exist, so it cannot be moved to ${after.dir}`);
      }
      await this.#paths.ensureDir(session, target.slice(0, -1), path);
      await replaceAtomically(session, remote, this.#paths.remote(target));
    });
  }

  async close(): Promise<void> {
    await this.#connections.close();
  }

  /** Depth-first in UTF-8 byte order of full paths (the order S3 lists keys in): a folder sorts as `name/`. */
  async *#walk(base: readonly string[], isSelected: PathMatcher): AsyncGenerator<ListedItem> {
    let entries: { type: string; name: string; size: number; modifyTime: number }[];
    try {
      entries = await this.#connections.run('listing', base.join('/'), (session) => session.client.list(this.#paths.remote(base)));
    } catch (error) {
      // A folder removed while walking is skipped, as a file would be.
      if (base.length > 0 && error instanceof AirlockError && classifySftpError(error.cause) === 'missing') return;
      throw error;
    }
    // Files already handled by `after: move:` are not offered again.
    const moveDir = this.#config.after.action === 'move' ? this.#config.after.dir : undefined;
    const kept = entries
      // Links and special files are skipped; a backslash name could never be opened, so it is not offered.
      .filter((entry) => (entry.type === 'd' || entry.type === '-') && !entry.name.includes('\\') && !TEMP_NAME.test(entry.name))
      .filter((entry) => moveDir === undefined || [...base, entry.name].join('/') !== moveDir)
      .map((entry) => ({ ...entry, key: Buffer.from(entry.type === 'd' ? `${entry.name}/` : entry.name) }))
      .sort((a, b) => Buffer.compare(a.key, b.key));
    for (const entry of kept) {
      const segments = [...base, entry.name];
      if (entry.type === 'd') {
        yield* this.#walk(segments, isSelected);
        continue;
      }
      const path = segments.join('/');
      if (isSelected(path)) yield { path, size: entry.size, modifiedAt: new Date(entry.modifyTime) };
    }
  }
}

/** Calls a Node-style callback API and settles with its result. */
function promised<T>(call: (callback: (error: Error | undefined | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => call((error, value) => (error ? reject(error) : resolve(value))));
}
