import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { PassThrough, Readable } from 'node:stream';
import { AirlockError } from '../../src/errors.js';
import type { Connector, ConnectorContext, ConnectorDescription, ListedItem, Selector, WriteOptions, WriteResult } from '../connector.js';
import { compileSelector } from '../glob.js';
import { RETRY_DEFAULTS, withRetry, type RetryOptions } from '../retry.js';
import { createS3Client } from './s3-client.js';
import type { S3ClientSlice, S3ConnectorConfig } from './s3-connector-config.js';
import { isMissingObjectError, isTransientS3Error, s3Failure, type S3FailureSite } from './s3-errors.js';
import { copySource, uploadAndVerify } from './s3-upload.js';
import { splitRelativePath } from '../relative-path.js';

export interface S3ConnectorOptions {
  config: S3ConnectorConfig;
  resolveSecret: ConnectorContext['resolveSecret'];
  /** A client to use instead of one built from `config`; tests wrap a real one. `close` leaves it open. */
  client?: S3ClientSlice;
  /** Backoff for transient failures of each request; which failures are transient is the connector's call. */
  retry?: Omit<RetryOptions, 'isRetryable' | 'signal'>;
}

/**
 * A bucket, or a prefix inside one, on AWS S3 or an S3-compatible service. Paths are keys relative to
 * `prefix` and are checked like the local connector's (no `..`, absolute paths, NUL or backslash), so no
 * path names a key outside the prefix. Every request is retried on transient failures (5xx, throttling,
 * dropped sockets) with backoff; permanent ones (missing bucket or object, refused credentials) fail at once.
 */
export class S3Connector implements Connector {
  readonly kind = 's3';
  readonly #config: S3ConnectorConfig;
  readonly #client: S3ClientSlice;
  /** The client this connector built, and so closes; undefined when one was injected. */
  readonly #ownClient: S3Client | undefined;
  /** `prefix/`, or '' for the whole bucket: what every key starts with. */
  readonly #root: string;
  readonly #location: string;
  readonly #retry: Omit<RetryOptions, 'isRetryable' | 'signal'>;

  constructor(options: S3ConnectorOptions) {
    this.#config = options.config;
    const { bucket, prefix, endpoint } = this.#config;
    this.#ownClient = options.client === undefined ? createS3Client(this.#config, options.resolveSecret) : undefined;
    this.#client = options.client ?? (this.#ownClient as S3Client);
    this.#root = prefix === undefined ? '' : `${prefix}/`;
    this.#location = `s3://${bucket}${prefix === undefined ? '' : `/${prefix}`}${endpoint === undefined ? '' : ` at ${endpoint}`}`;
    this.#retry = { ...RETRY_DEFAULTS, ...options.retry };
  }

  describe(): ConnectorDescription {
    return { kind: this.kind, location: this.#location };
  }

  /**
   * Pages through ListObjectsV2 under the prefix. S3 returns keys in UTF-8 byte order, which is the order
   * the contract asks for. Skipped: folder markers (keys ending in `/`), keys no path can name (empty, `.`
   * or `..` segments, a backslash), and objects already moved by `after: move:`.
   */
  async *list(selector: Selector = {}): AsyncIterable<ListedItem> {
    const isSelected = compileSelector(selector);
    const folder = this.#segments(selector.prefix ?? '', true);
    const listPrefix = this.#root + folder.map((segment) => `${segment}/`).join('');
    const after = this.#config.after;
    const moved = after.action === 'move' ? `${after.prefix}/` : undefined;
    let token: string | undefined;
    do {
      const command = new ListObjectsV2Command({ Bucket: this.#config.bucket, Prefix: listPrefix, ContinuationToken: token });
      const page = await this.#run(this.#site('list', selector.prefix), () => this.#client.send(command));
      for (const object of page.Contents ?? []) {
        const path = object.Key?.startsWith(this.#root) ? object.Key.slice(this.#root.length) : undefined;
        if (path === undefined || !isNameable(path) || (moved !== undefined && path.startsWith(moved)) || !isSelected(path)) continue;
        yield { path, size: object.Size ?? 0, ...(object.LastModified === undefined ? {} : { modifiedAt: object.LastModified }) };
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /** GetObject; resolves once S3 answered, so a missing object rejects here. Failures mid-stream are translated too. */
  async open(path: string): Promise<Readable> {
    const key = this.#key(path);
    const site = this.#site('read', path);
    const response = await this.#run(site, () => this.#client.send(new GetObjectCommand({ Bucket: this.#config.bucket, Key: key })));
    if (!(response.Body instanceof Readable))
      throw new AirlockError('connector_failed', `S3 connector ${this.#location} got no readable body for ${JSON.stringify(path)}.`);
    return translateStreamErrors(response.Body, (error) => s3Failure(error, site));
  }

  /** See `uploadAndVerify`. The write owns `data` once called: it is destroyed on any failure or abort. */
  async write(path: string, data: Readable, options: WriteOptions = {}): Promise<WriteResult> {
    const { signal } = options;
    // Destroying the source is what stops an upload waiting for bytes; its requests are cancelled too.
    const onAbort = (): void => void data.destroy();
    try {
      signal?.throwIfAborted();
      const key = this.#key(path);
      signal?.addEventListener('abort', onAbort, { once: true });
      const written = await uploadAndVerify(data, {
        client: this.#client,
        bucket: this.#config.bucket,
        key,
        partSize: this.#config.partSizeMb * 1024 * 1024,
        queueSize: this.#config.concurrency,
        checksums: this.#config.checksums,
        retry: this.#retry,
        site: this.#site('write', path),
        ...(signal === undefined ? {} : { signal }),
      });
      return { path: key.slice(this.#root.length), ...written };
    } catch (error) {
      data.destroy();
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Applies `after`: `keep` does nothing, `delete` deletes the object (a missing one is fine: S3 deletes
   * idempotently), `move:<prefix>` copies it to `<prefix>/<path>` and then deletes it. A repeated move
   * after a crash copies again, or, when the source is gone but the destination exists, is already done.
   */
  async afterDelivered(path: string): Promise<void> {
    const after = this.#config.after;
    if (after.action === 'keep') return;
    const { bucket } = this.#config;
    const key = this.#key(path);
    const remove = (): Promise<unknown> =>
      this.#run(this.#site('delete', path), () => this.#client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
    if (after.action === 'delete') {
      await remove();
      return;
    }
    const target = this.#key(`${after.prefix}/${key.slice(this.#root.length)}`);
    const site = this.#site('move', path);
    const copy = new CopyObjectCommand({ Bucket: bucket, Key: target, CopySource: copySource(bucket, key) });
    try {
      await this.#retried(() => this.#client.send(copy));
    } catch (error) {
      if (!isMissingObjectError(error)) throw s3Failure(error, site);
      if (await this.#exists(target, site)) return;
      throw new AirlockError(
        'connector_failed',
        `S3 connector ${this.#location} could not move ${JSON.stringify(path)}: it is neither there nor under ${after.prefix}/.`,
        {
          cause: error,
        },
      );
    }
    await remove();
  }

  async close(): Promise<void> {
    this.#ownClient?.destroy();
  }

  async #exists(key: string, site: S3FailureSite): Promise<boolean> {
    try {
      await this.#retried(() => this.#client.send(new HeadObjectCommand({ Bucket: this.#config.bucket, Key: key })));
      return true;
    } catch (error) {
      if (isMissingObjectError(error)) return false;
      throw s3Failure(error, site);
    }
  }

  /** One request, retried while transient, its final failure translated. */
  async #run<T>(site: S3FailureSite, request: () => Promise<T>): Promise<T> {
    try {
      return await this.#retried(request);
    } catch (error) {
      throw s3Failure(error, site);
    }
  }

  #retried<T>(request: () => Promise<T>): Promise<T> {
    return withRetry(request, { ...this.#retry, isRetryable: isTransientS3Error });
  }

  #site(doing: string, path?: string): S3FailureSite {
    return { location: this.#location, bucket: this.#config.bucket, doing, ...(path === undefined ? {} : { path }) };
  }

  /** The key for a path; refuses any path that could name a key outside the prefix. */
  #key(path: string): string {
    return this.#root + this.#segments(path, false).join('/');
  }

  #segments(path: string, allowRoot: boolean): string[] {
    if (typeof path !== 'string') throw new AirlockError('invalid_input', `An S3 connector path must be a string, got ${typeof path}.`);
    const split = splitRelativePath(path);
    if ('refused' in split) throw this.#escape(path, split.refused);
    const { segments } = split;
    if (segments.length === 0 && !allowRoot) {
      throw new AirlockError(
        'invalid_input',
        `Path ${JSON.stringify(path)} names the root of S3 connector ${this.#location}, not an object.`,
      );
    }
    return segments;
  }

  #escape(path: string, reason: string): AirlockError {
    return new AirlockError(
      'path_escape',
      `Refused path ${JSON.stringify(path)}: it ${reason}; paths must stay inside S3 connector ${this.#location}.`,
    );
  }
}

/** Whether a key (relative to the root) is one `open` can reach under the same name. */
function isNameable(path: string): boolean {
  if (path.includes('\\') || path.includes('\0')) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/** A stream of `body`'s bytes whose failure is translated; destroying it releases `body`'s connection. */
function translateStreamErrors(body: Readable, translate: (error: unknown) => Error): Readable {
  const out = new PassThrough();
  body.on('error', (error) => out.destroy(translate(error)));
  out.on('close', () => body.destroy());
  body.pipe(out);
  return out;
}
